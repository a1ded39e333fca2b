-- Per-server policy (/policy). Moderator roles live in `moderator_roles` (V1).
CREATE TABLE guild_policy (
    guild_id       INTEGER PRIMARY KEY,
    cooldown_s     INTEGER NOT NULL DEFAULT 0 CHECK (cooldown_s >= 0),  -- between a member's jobs; 0 = off
    log_channel_id INTEGER                                              -- NULL: no log channel
) STRICT;

-- Where generation works; no rows for a server = everywhere.
CREATE TABLE policy_channels (
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
) STRICT, WITHOUT ROWID;

-- Words and phrases a prompt may not contain, stored NFKC-normalised and case-folded.
CREATE TABLE blocked_words (
    guild_id INTEGER NOT NULL,
    word     TEXT NOT NULL CHECK (length(word) > 0),
    PRIMARY KEY (guild_id, word)
) STRICT, WITHOUT ROWID;

-- Allowances given to a role with /budget set: members without their own get the highest of their roles'.
CREATE TABLE role_allowances (
    guild_id INTEGER NOT NULL,
    role_id  INTEGER NOT NULL,
    amount   INTEGER NOT NULL CHECK (amount >= 0),
    period   TEXT CHECK (period IN ('day', 'week', 'month', 'total')),  -- NULL: the server's period
    PRIMARY KEY (guild_id, role_id)
) STRICT, WITHOUT ROWID;
