-- Budgets: server settings, member allowances, job records and the append-only ledger.
-- Money is integer micro-dollars. Times are integer microseconds since the Unix epoch (UTC).

CREATE TABLE guild_settings (
    guild_id          INTEGER PRIMARY KEY,
    default_allowance INTEGER CHECK (default_allowance >= 0),  -- NULL: the config's [budget] default
    default_period    TEXT CHECK (default_period IN ('day', 'week', 'month', 'total')),
    cap_amount        INTEGER CHECK (cap_amount >= 0),         -- NULL: no cap across the server
    cap_period        TEXT CHECK (cap_period IN ('day', 'week', 'month', 'total')),
    CHECK ((cap_amount IS NULL) = (cap_period IS NULL))
) STRICT;

CREATE TABLE moderator_roles (
    guild_id INTEGER NOT NULL,
    role_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, role_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE member_allowances (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    amount   INTEGER NOT NULL CHECK (amount >= 0),
    period   TEXT CHECK (period IN ('day', 'week', 'month', 'total')),  -- NULL: the server's period
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    user_id     INTEGER NOT NULL,
    command     TEXT NOT NULL,
    operation   TEXT NOT NULL,
    parameters  TEXT NOT NULL CHECK (json_valid(parameters)),
    prompt      TEXT,
    status      TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    cost        INTEGER CHECK (cost >= 0),
    seed        INTEGER,
    message_id  INTEGER UNIQUE,
    error       TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER
) STRICT;

CREATE INDEX jobs_running ON jobs (status) WHERE status = 'running';

-- Append-only: every movement of money and every settings change, with who, when, why and which job.
-- A hold reserves money; exactly one capture (charges part or all of it, the rest returns) or release
-- (returns all of it) settles it. Captures and releases count in the period of their hold.
CREATE TABLE ledger (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('hold', 'capture', 'release', 'grant', 'adjustment')),
    amount       INTEGER NOT NULL,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER,                          -- NULL only for server-wide adjustments
    actor_id     INTEGER,                          -- who did it; NULL when the bot itself did
    reason       TEXT NOT NULL DEFAULT '',
    job_id       INTEGER REFERENCES jobs (id),
    hold_id      INTEGER REFERENCES ledger (id),   -- captures and releases: the hold they settle
    period       TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'total')),
    period_start INTEGER NOT NULL,                 -- start of the period the entry counts in
    counts_at    INTEGER NOT NULL,                 -- when it counts: its hold's time for a settlement
    created_at   INTEGER NOT NULL,
    CHECK (CASE kind WHEN 'grant' THEN 1 WHEN 'adjustment' THEN amount = 0 ELSE amount >= 0 END),
    CHECK ((hold_id IS NOT NULL) = (kind IN ('capture', 'release'))),
    CHECK (user_id IS NOT NULL OR kind = 'adjustment')
) STRICT;

CREATE UNIQUE INDEX ledger_one_settlement_per_hold ON ledger (hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX ledger_by_member ON ledger (guild_id, user_id, id);
CREATE INDEX ledger_by_time ON ledger (guild_id, created_at);

-- Derived from the ledger by the triggers below, inside the same statement, so they can never disagree
-- with it: holds not yet settled, and per-day totals that make any period's sums a short range scan.
CREATE TABLE open_holds (
    hold_id      INTEGER PRIMARY KEY REFERENCES ledger (id),
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    job_id       INTEGER,
    amount       INTEGER NOT NULL,
    period       TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    counts_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE member_days (
    guild_id INTEGER NOT NULL,
    user_id  INTEGER NOT NULL,
    day      INTEGER NOT NULL,  -- the UTC midnight starting the day, in microseconds
    spent    INTEGER NOT NULL DEFAULT 0,
    held     INTEGER NOT NULL DEFAULT 0,
    granted  INTEGER NOT NULL DEFAULT 0,
    captures INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, user_id, day)
) STRICT, WITHOUT ROWID;

CREATE INDEX member_days_by_day ON member_days (guild_id, day);

CREATE TABLE guild_days (
    guild_id INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    spent    INTEGER NOT NULL DEFAULT 0,
    held     INTEGER NOT NULL DEFAULT 0,
    granted  INTEGER NOT NULL DEFAULT 0,
    captures INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, day)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'the ledger is append-only');
END;

-- A settlement must match an open hold: same member, same period, a capture no larger than the hold,
-- a release of all of it.
CREATE TRIGGER ledger_settlement_checks BEFORE INSERT ON ledger
WHEN NEW.kind IN ('capture', 'release')
BEGIN
    SELECT RAISE(ABORT, 'a capture or release must settle an open hold of the same member')
    WHERE NOT EXISTS (
        SELECT 1 FROM open_holds AS o
        WHERE o.hold_id = NEW.hold_id
          AND o.guild_id = NEW.guild_id
          AND o.user_id = NEW.user_id
          AND o.counts_at = NEW.counts_at
          AND o.period_start = NEW.period_start
          AND (NEW.amount = o.amount OR (NEW.kind = 'capture' AND NEW.amount < o.amount))
    );
END;

CREATE TRIGGER ledger_after_hold AFTER INSERT ON ledger
WHEN NEW.kind = 'hold'
BEGIN
    INSERT INTO open_holds (hold_id, guild_id, user_id, job_id, amount, period, period_start, counts_at)
    VALUES (NEW.id, NEW.guild_id, NEW.user_id, NEW.job_id, NEW.amount, NEW.period, NEW.period_start,
            NEW.counts_at);
    INSERT INTO member_days (guild_id, user_id, day, held)
    VALUES (NEW.guild_id, NEW.user_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET held = held + excluded.held;
    INSERT INTO guild_days (guild_id, day, held)
    VALUES (NEW.guild_id, NEW.counts_at - NEW.counts_at % 86400000000, NEW.amount)
    ON CONFLICT DO UPDATE SET held = held + excluded.held;
END;

CREATE TRIGGER ledger_after_settlement AFTER INSERT ON ledger
WHEN NEW.kind IN ('capture', 'release')
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
        captures = captures + (NEW.kind = 'capture')
    WHERE guild_id = NEW.guild_id AND day = NEW.counts_at - NEW.counts_at % 86400000000;
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
