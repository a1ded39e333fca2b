-- What all servers together paid and hold per UTC day, now in 16 stripes: a server's entries go to the stripe
-- of its id modulo 16. Holds and settlements of different servers then write different rows, so processes
-- sharing a PostgreSQL ledger no longer queue on one row per day (SQLite keeps the same schema: the tests
-- compare them). The operator cap sums the stripes. A stripe's paid is its servers' captures, write-offs and
-- uncertain entries, as in V6, so the rows are rebuilt from the servers' day totals.

DROP TRIGGER ledger_after_hold;
DROP TRIGGER ledger_after_write_off;
DROP TRIGGER ledger_after_settlement;
DROP TABLE operator_days;

CREATE TABLE operator_days (
    day    INTEGER NOT NULL,
    stripe INTEGER NOT NULL CHECK (stripe >= 0 AND stripe < 16),
    paid   INTEGER NOT NULL DEFAULT 0,
    held   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, stripe)
) STRICT;

INSERT INTO operator_days (day, stripe, paid, held)
SELECT day, guild_id % 16, SUM(spent + written_off + uncertain), SUM(held)
FROM guild_days
GROUP BY day, guild_id % 16
HAVING SUM(spent + written_off + uncertain) <> 0 OR SUM(held) <> 0;

CREATE TRIGGER ledger_after_hold AFTER INSERT ON ledger
WHEN NEW.kind = 'hold'
BEGIN
    INSERT INTO open_holds (hold_id, guild_id, user_id, job_id, amount, period, period_start, counts_at,
                            instance_id)
    VALUES (NEW.id, NEW.guild_id, NEW.user_id, NEW.job_id, NEW.amount, NEW.period, NEW.period_start,
            NEW.counts_at, NEW.instance_id);
    INSERT INTO member_days (guild_id, user_id, day, held)
    VALUES (NEW.guild_id, NEW.user_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET held = held + excluded.held;
    INSERT INTO guild_days (guild_id, day, held)
    VALUES (NEW.guild_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET held = held + excluded.held;
    INSERT INTO operator_days (day, stripe, held)
    VALUES (NEW.counts_at - NEW.counts_at % 86400000000, NEW.guild_id % 16, NEW.amount)
    ON CONFLICT DO UPDATE SET held = held + excluded.held;
END;

-- A write-off moves part of an open hold from held to paid: the server and the operator paid it, the
-- member did not.
CREATE TRIGGER ledger_after_write_off AFTER INSERT ON ledger
WHEN NEW.kind = 'write-off'
BEGIN
    UPDATE member_days SET held = held - NEW.amount
    WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id AND day = NEW.counts_at - NEW.counts_at % 86400000000;
    UPDATE guild_days SET held = held - NEW.amount, written_off = written_off + NEW.amount
    WHERE guild_id = NEW.guild_id AND day = NEW.counts_at - NEW.counts_at % 86400000000;
    UPDATE operator_days SET held = held - NEW.amount, paid = paid + NEW.amount
    WHERE day = NEW.counts_at - NEW.counts_at % 86400000000 AND stripe = NEW.guild_id % 16;
    UPDATE open_holds SET amount = amount - NEW.amount WHERE hold_id = NEW.hold_id;
END;

CREATE TRIGGER ledger_after_settlement AFTER INSERT ON ledger
WHEN NEW.kind IN ('capture', 'release', 'uncertain')
BEGIN
    UPDATE member_days
    SET held = held - (SELECT amount FROM open_holds WHERE hold_id = NEW.hold_id),
        spent = spent + iif(NEW.kind = 'capture', NEW.amount, 0),
        captures = captures + (NEW.kind = 'capture')
    WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id
      AND day = NEW.counts_at - NEW.counts_at % 86400000000;
    UPDATE guild_days
    SET held = held - (SELECT amount FROM open_holds WHERE hold_id = NEW.hold_id),
        spent = spent + iif(NEW.kind = 'capture', NEW.amount, 0),
        uncertain = uncertain + iif(NEW.kind = 'uncertain', NEW.amount, 0),
        captures = captures + (NEW.kind = 'capture')
    WHERE guild_id = NEW.guild_id AND day = NEW.counts_at - NEW.counts_at % 86400000000;
    UPDATE operator_days
    SET held = held - (SELECT amount FROM open_holds WHERE hold_id = NEW.hold_id),
        paid = paid + iif(NEW.kind = 'release', 0, NEW.amount)
    WHERE day = NEW.counts_at - NEW.counts_at % 86400000000 AND stripe = NEW.guild_id % 16;
    DELETE FROM open_holds WHERE hold_id = NEW.hold_id;
END;
