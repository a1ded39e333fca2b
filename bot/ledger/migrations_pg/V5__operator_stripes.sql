-- SQLite's V7 (operator_stripes) in PostgreSQL: what all servers together paid and hold per UTC day, in 16
-- stripes (a server's entries go to the stripe of its id modulo 16), so that processes holding and settling in
-- different servers no longer queue on one row per day until their transactions commit. The operator cap sums
-- the stripes. The rows are rebuilt from the servers' day totals (paid: captures, write-offs, uncertain).

DROP TABLE operator_days;

CREATE TABLE operator_days (
    day    bigint NOT NULL,
    stripe bigint NOT NULL CHECK (stripe >= 0 AND stripe < 16),
    paid   bigint NOT NULL DEFAULT 0,
    held   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, stripe)
);

INSERT INTO operator_days (day, stripe, paid, held)
SELECT day, guild_id % 16, SUM(spent + written_off + uncertain), SUM(held)
FROM guild_days
GROUP BY day, guild_id % 16
HAVING SUM(spent + written_off + uncertain) <> 0 OR SUM(held) <> 0;

-- Open holds and per-day totals (member, server, operator) follow the ledger inside the statement that wrote it.
CREATE OR REPLACE FUNCTION ledger_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry_day bigint := NEW.counts_at - NEW.counts_at % 86400000000;
    entry_stripe bigint := NEW.guild_id % 16;
    hold_amount bigint;
BEGIN
    IF NEW.kind = 'hold' THEN
        INSERT INTO open_holds (hold_id, guild_id, user_id, job_id, amount, period, period_start, counts_at,
                                instance_id)
        VALUES (NEW.id, NEW.guild_id, NEW.user_id, NEW.job_id, NEW.amount, NEW.period, NEW.period_start,
                NEW.counts_at, NEW.instance_id);
        INSERT INTO member_days AS d (guild_id, user_id, day, held) VALUES (NEW.guild_id, NEW.user_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, user_id, day) DO UPDATE SET held = d.held + excluded.held;
        INSERT INTO guild_days AS d (guild_id, day, held) VALUES (NEW.guild_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, day) DO UPDATE SET held = d.held + excluded.held;
        INSERT INTO operator_days AS d (day, stripe, held) VALUES (entry_day, entry_stripe, NEW.amount)
        ON CONFLICT (day, stripe) DO UPDATE SET held = d.held + excluded.held;
    ELSIF NEW.kind = 'write-off' THEN
        UPDATE member_days SET held = member_days.held - NEW.amount
        WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id AND member_days.day = entry_day;
        UPDATE guild_days SET held = guild_days.held - NEW.amount, written_off = written_off + NEW.amount
        WHERE guild_id = NEW.guild_id AND guild_days.day = entry_day;
        UPDATE operator_days SET held = operator_days.held - NEW.amount, paid = paid + NEW.amount
        WHERE operator_days.day = entry_day AND operator_days.stripe = entry_stripe;
        UPDATE open_holds SET amount = amount - NEW.amount WHERE hold_id = NEW.hold_id;
    ELSIF NEW.kind IN ('capture', 'release', 'uncertain') THEN
        DELETE FROM open_holds WHERE hold_id = NEW.hold_id RETURNING amount INTO hold_amount;
        UPDATE member_days
        SET held = member_days.held - hold_amount,
            spent = spent + CASE WHEN NEW.kind = 'capture' THEN NEW.amount ELSE 0 END,
            captures = captures + CASE WHEN NEW.kind = 'capture' THEN 1 ELSE 0 END
        WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id AND member_days.day = entry_day;
        UPDATE guild_days
        SET held = guild_days.held - hold_amount,
            spent = spent + CASE WHEN NEW.kind = 'capture' THEN NEW.amount ELSE 0 END,
            uncertain = uncertain + CASE WHEN NEW.kind = 'uncertain' THEN NEW.amount ELSE 0 END,
            captures = captures + CASE WHEN NEW.kind = 'capture' THEN 1 ELSE 0 END
        WHERE guild_id = NEW.guild_id AND guild_days.day = entry_day;
        UPDATE operator_days
        SET held = operator_days.held - hold_amount,
            paid = paid + CASE WHEN NEW.kind = 'release' THEN 0 ELSE NEW.amount END
        WHERE operator_days.day = entry_day AND operator_days.stripe = entry_stripe;
    ELSIF NEW.kind = 'grant' THEN
        INSERT INTO member_days AS d (guild_id, user_id, day, granted)
        VALUES (NEW.guild_id, NEW.user_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, user_id, day) DO UPDATE SET granted = d.granted + excluded.granted;
        INSERT INTO guild_days AS d (guild_id, day, granted) VALUES (NEW.guild_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, day) DO UPDATE SET granted = d.granted + excluded.granted;
    ELSIF NEW.kind = 'refund' THEN
        INSERT INTO member_days AS d (guild_id, user_id, day, refunded)
        VALUES (NEW.guild_id, NEW.user_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, user_id, day) DO UPDATE SET refunded = d.refunded + excluded.refunded;
        INSERT INTO guild_days AS d (guild_id, day, refunded) VALUES (NEW.guild_id, entry_day, NEW.amount)
        ON CONFLICT (guild_id, day) DO UPDATE SET refunded = d.refunded + excluded.refunded;
    END IF;
    RETURN NULL;
END;
$$;
