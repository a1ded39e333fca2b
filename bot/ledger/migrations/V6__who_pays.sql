-- Who pays for what (issue #8): refunds, write-offs and uncertain entries; the operator's cap across all
-- servers; when a job's request was sent and what the provider billed; holds tagged with the process
-- (instance) that made them, so each process recovers only its own.
-- Runs with foreign keys off (see `migrate`): the ledger table is rebuilt to widen its CHECK constraints,
-- the way SQLite documents for changes ALTER TABLE cannot make.

ALTER TABLE jobs ADD COLUMN source_job_id INTEGER REFERENCES jobs (id);  -- the job this one was derived from
ALTER TABLE jobs ADD COLUMN request_sent_at INTEGER;                      -- when the request left for the API
ALTER TABLE jobs ADD COLUMN billed INTEGER CHECK (billed >= 0);           -- what the provider billed, once known
ALTER TABLE jobs ADD COLUMN instance_id TEXT NOT NULL DEFAULT 'default';  -- the process that ran it

CREATE INDEX jobs_running_by_instance ON jobs (instance_id) WHERE status = 'running';

ALTER TABLE member_days ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN refunded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN written_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE guild_days ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;

ALTER TABLE open_holds ADD COLUMN instance_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX open_holds_by_instance ON open_holds (instance_id);

-- What all servers together paid the provider (captures, write-offs, uncertain) and hold, per UTC day.
CREATE TABLE operator_days (
    day  INTEGER PRIMARY KEY,
    paid INTEGER NOT NULL DEFAULT 0,
    held INTEGER NOT NULL DEFAULT 0
) STRICT;

INSERT INTO operator_days (day, paid, held)
SELECT day, SUM(spent), SUM(held) FROM guild_days GROUP BY day;

-- Append-only: every movement of money and every settings change, with who, when, why and which job.
-- A hold reserves money. At most one write-off (billed by the provider, never received by the member) takes
-- part of it; then exactly one capture (charges part or all of the rest, the remainder returns), release
-- (returns all of the rest) or uncertain (the rest, when the outcome is unknown) settles it. Settlements
-- count in the period of their hold. A refund returns what a job captured, once, in the capture's period.
CREATE TABLE ledger_v4 (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('hold', 'capture', 'release', 'grant', 'adjustment', 'refund',
                                               'write-off', 'uncertain')),
    amount       INTEGER NOT NULL,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER,                          -- NULL only for server-wide adjustments
    actor_id     INTEGER,                          -- who did it; NULL when the bot itself did
    reason       TEXT NOT NULL DEFAULT '',
    job_id       INTEGER REFERENCES jobs (id),
    hold_id      INTEGER REFERENCES ledger (id),   -- settlements: the hold they settle
    instance_id  TEXT,                             -- holds: the process that made it
    period       TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'total')),
    period_start INTEGER NOT NULL,                 -- start of the period the entry counts in
    counts_at    INTEGER NOT NULL,                 -- when it counts: its hold's (or capture's) time
    created_at   INTEGER NOT NULL,
    CHECK (CASE kind WHEN 'grant' THEN 1 WHEN 'adjustment' THEN amount = 0 ELSE amount >= 0 END),
    CHECK (kind NOT IN ('refund', 'write-off') OR amount > 0),
    CHECK ((hold_id IS NOT NULL) = (kind IN ('capture', 'release', 'write-off', 'uncertain'))),
    CHECK ((instance_id IS NOT NULL) = (kind = 'hold')),
    CHECK (kind <> 'refund' OR job_id IS NOT NULL),
    CHECK (user_id IS NOT NULL OR kind = 'adjustment')
) STRICT;

INSERT INTO ledger_v4 (id, kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id, instance_id, period,
                       period_start, counts_at, created_at)
SELECT id, kind, amount, guild_id, user_id, actor_id, reason, job_id, hold_id,
       CASE kind WHEN 'hold' THEN 'default' END, period, period_start, counts_at, created_at
FROM ledger;

DROP TABLE ledger;
ALTER TABLE ledger_v4 RENAME TO ledger;

CREATE UNIQUE INDEX ledger_one_settlement_per_hold ON ledger (hold_id)
WHERE kind IN ('capture', 'release', 'uncertain');
CREATE UNIQUE INDEX ledger_one_write_off_per_hold ON ledger (hold_id) WHERE kind = 'write-off';
CREATE UNIQUE INDEX ledger_one_refund_per_job ON ledger (job_id) WHERE kind = 'refund';
CREATE INDEX ledger_by_job ON ledger (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX ledger_by_member ON ledger (guild_id, user_id, id);
CREATE INDEX ledger_by_time ON ledger (guild_id, created_at);

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

-- A settlement must match an open hold: same member, job and period; a capture or write-off no larger than
-- what is left of the hold, a release or uncertain entry of all of it.
CREATE TRIGGER ledger_settlement_checks BEFORE INSERT ON ledger
WHEN NEW.kind IN ('capture', 'release', 'write-off', 'uncertain')
BEGIN
    SELECT RAISE(ABORT, 'a settlement must settle an open hold of the same member')
    WHERE NOT EXISTS (
        SELECT 1 FROM open_holds AS o
        WHERE o.hold_id = NEW.hold_id
          AND o.guild_id = NEW.guild_id
          AND o.user_id = NEW.user_id
          AND o.job_id IS NEW.job_id
          AND o.counts_at = NEW.counts_at
          AND o.period_start = NEW.period_start
          AND (NEW.amount = o.amount OR (NEW.kind IN ('capture', 'write-off') AND NEW.amount < o.amount))
    );
END;

-- A refund returns exactly what its job captured, to the job's member, in the job's server.
CREATE TRIGGER ledger_refund_checks BEFORE INSERT ON ledger
WHEN NEW.kind = 'refund'
BEGIN
    SELECT RAISE(ABORT, 'a refund must return what its job captured to its member')
    WHERE NEW.amount <> (SELECT COALESCE(SUM(c.amount), 0) FROM ledger AS c
                         WHERE c.job_id = NEW.job_id AND c.kind = 'capture')
       OR NOT EXISTS (SELECT 1 FROM jobs AS j
                      WHERE j.id = NEW.job_id AND j.guild_id = NEW.guild_id AND j.user_id = NEW.user_id);
END;

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
    INSERT INTO operator_days (day, held)
    VALUES (NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
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
    WHERE day = NEW.counts_at - NEW.counts_at % 86400000000;
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
    WHERE day = NEW.counts_at - NEW.counts_at % 86400000000;
    DELETE FROM open_holds WHERE hold_id = NEW.hold_id;
END;

CREATE TRIGGER ledger_after_grant AFTER INSERT ON ledger
WHEN NEW.kind = 'grant'
BEGIN
    INSERT INTO member_days (guild_id, user_id, day, granted)
    VALUES (NEW.guild_id, NEW.user_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET granted = granted + excluded.granted;
    INSERT INTO guild_days (guild_id, day, granted)
    VALUES (NEW.guild_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET granted = granted + excluded.granted;
END;

-- A refund gives the member back what the job captured, in the period the capture counted in; what the
-- server and the operator paid the provider does not change.
CREATE TRIGGER ledger_after_refund AFTER INSERT ON ledger
WHEN NEW.kind = 'refund'
BEGIN
    INSERT INTO member_days (guild_id, user_id, day, refunded)
    VALUES (NEW.guild_id, NEW.user_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET refunded = refunded + excluded.refunded;
    INSERT INTO guild_days (guild_id, day, refunded)
    VALUES (NEW.guild_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET refunded = refunded + excluded.refunded;
END;
