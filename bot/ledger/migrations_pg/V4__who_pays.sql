-- SQLite's V6 (who_pays) in PostgreSQL: refunds, write-offs and uncertain entries; the operator's cap across
-- all servers; when a job's request was sent and what the provider billed; holds tagged with the process
-- (instance) that made them. SQLite rebuilds its ledger table to widen the CHECK constraints; PostgreSQL alters
-- them in place (tests/ledger/test_schemas.py compares the two).

ALTER TABLE jobs ADD COLUMN source_job_id bigint REFERENCES jobs (id);
ALTER TABLE jobs ADD COLUMN request_sent_at bigint;
ALTER TABLE jobs ADD COLUMN billed bigint CHECK (billed >= 0);
ALTER TABLE jobs ADD COLUMN instance_id text NOT NULL DEFAULT 'default';

CREATE INDEX jobs_running_by_instance ON jobs (instance_id) WHERE status = 'running';

ALTER TABLE member_days ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN refunded bigint NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN written_off bigint NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN uncertain bigint NOT NULL DEFAULT 0;

ALTER TABLE open_holds ADD COLUMN instance_id text NOT NULL DEFAULT 'default';
CREATE INDEX open_holds_by_instance ON open_holds (instance_id);

CREATE TABLE operator_days (
    day  bigint PRIMARY KEY,
    paid bigint NOT NULL DEFAULT 0,
    held bigint NOT NULL DEFAULT 0
);

INSERT INTO operator_days (day, paid, held)
SELECT day, SUM(spent), SUM(held) FROM guild_days GROUP BY day;

-- Holds written before this version belong to the default instance. The ledger refuses updates; this one
-- fills a new column, inside the migration's transaction, with the append-only trigger set aside for it.
ALTER TABLE ledger ADD COLUMN instance_id text;
ALTER TABLE ledger DISABLE TRIGGER ledger_no_update;
UPDATE ledger SET instance_id = 'default' WHERE kind = 'hold';
ALTER TABLE ledger ENABLE TRIGGER ledger_no_update;

DO $$
DECLARE
    old record;
BEGIN
    FOR old IN SELECT conname FROM pg_constraint WHERE conrelid = 'ledger'::regclass AND contype = 'c' LOOP
        EXECUTE format('ALTER TABLE ledger DROP CONSTRAINT %I', old.conname);
    END LOOP;
END;
$$;

ALTER TABLE ledger ADD CHECK (kind IN ('hold', 'capture', 'release', 'grant', 'adjustment', 'refund', 'write-off',
                                       'uncertain'));
ALTER TABLE ledger ADD CHECK (period IN ('day', 'week', 'month', 'total'));
ALTER TABLE ledger ADD CHECK (CASE kind WHEN 'grant' THEN true WHEN 'adjustment' THEN amount = 0 ELSE amount >= 0 END);
ALTER TABLE ledger ADD CHECK (kind NOT IN ('refund', 'write-off') OR amount > 0);
ALTER TABLE ledger ADD CHECK ((hold_id IS NOT NULL) = (kind IN ('capture', 'release', 'write-off', 'uncertain')));
ALTER TABLE ledger ADD CHECK ((instance_id IS NOT NULL) = (kind = 'hold'));
ALTER TABLE ledger ADD CHECK (kind <> 'refund' OR job_id IS NOT NULL);
ALTER TABLE ledger ADD CHECK (user_id IS NOT NULL OR kind = 'adjustment');

DROP INDEX ledger_one_settlement_per_hold;
CREATE UNIQUE INDEX ledger_one_settlement_per_hold ON ledger (hold_id)
WHERE kind IN ('capture', 'release', 'uncertain');
CREATE UNIQUE INDEX ledger_one_write_off_per_hold ON ledger (hold_id) WHERE kind = 'write-off';
CREATE UNIQUE INDEX ledger_one_refund_per_job ON ledger (job_id) WHERE kind = 'refund';
CREATE INDEX ledger_by_job ON ledger (job_id) WHERE job_id IS NOT NULL;

-- A settlement must match an open hold: same member, job and period; a capture or write-off no larger than
-- what is left of the hold, a release or uncertain entry of all of it.
CREATE OR REPLACE FUNCTION ledger_settlement_checks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM open_holds AS o
        WHERE o.hold_id = NEW.hold_id
          AND o.guild_id = NEW.guild_id
          AND o.user_id = NEW.user_id
          AND o.job_id IS NOT DISTINCT FROM NEW.job_id
          AND o.counts_at = NEW.counts_at
          AND o.period_start = NEW.period_start
          AND (NEW.amount = o.amount OR (NEW.kind IN ('capture', 'write-off') AND NEW.amount < o.amount))
    ) THEN
        RAISE EXCEPTION 'a settlement must settle an open hold of the same member'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

DROP TRIGGER ledger_settlement_checks ON ledger;
CREATE TRIGGER ledger_settlement_checks BEFORE INSERT ON ledger
FOR EACH ROW WHEN (NEW.kind IN ('capture', 'release', 'write-off', 'uncertain'))
EXECUTE FUNCTION ledger_settlement_checks();

-- A refund returns exactly what its job captured, to the job's member, in the job's server.
CREATE FUNCTION ledger_refund_checks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.amount <> (SELECT COALESCE(SUM(c.amount), 0) FROM ledger AS c
                      WHERE c.job_id = NEW.job_id AND c.kind = 'capture')
       OR NOT EXISTS (SELECT 1 FROM jobs AS j
                      WHERE j.id = NEW.job_id AND j.guild_id = NEW.guild_id AND j.user_id = NEW.user_id) THEN
        RAISE EXCEPTION 'a refund must return what its job captured to its member'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ledger_refund_checks BEFORE INSERT ON ledger
FOR EACH ROW WHEN (NEW.kind = 'refund') EXECUTE FUNCTION ledger_refund_checks();

-- Open holds and per-day totals (member, server, operator) follow the ledger inside the statement that wrote it.
CREATE OR REPLACE FUNCTION ledger_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    entry_day bigint := NEW.counts_at - NEW.counts_at % 86400000000;
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
        INSERT INTO operator_days AS d (day, held) VALUES (entry_day, NEW.amount)
        ON CONFLICT (day) DO UPDATE SET held = d.held + excluded.held;
    ELSIF NEW.kind = 'write-off' THEN
        UPDATE member_days SET held = member_days.held - NEW.amount
        WHERE guild_id = NEW.guild_id AND user_id = NEW.user_id AND member_days.day = entry_day;
        UPDATE guild_days SET held = guild_days.held - NEW.amount, written_off = written_off + NEW.amount
        WHERE guild_id = NEW.guild_id AND guild_days.day = entry_day;
        UPDATE operator_days SET held = operator_days.held - NEW.amount, paid = paid + NEW.amount
        WHERE operator_days.day = entry_day;
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
        WHERE operator_days.day = entry_day;
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
