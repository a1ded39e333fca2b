-- SQLite's V4 (member_settings) and V5 (policy) in PostgreSQL: members' own defaults per server (/settings),
-- the per-server policy (/policy) and role allowances.
CREATE TABLE member_settings (
    guild_id        bigint NOT NULL,
    user_id         bigint NOT NULL,
    rendering_speed text,
    aspect_ratio    text,
    style_type      text,
    magic_prompt    text,
    num_images      bigint CHECK (num_images BETWEEN 1 AND 8),
    model           text,
    negative_prompt text,
    PRIMARY KEY (guild_id, user_id)
);

CREATE INDEX jobs_by_member ON jobs (guild_id, user_id, id);

CREATE TABLE guild_policy (
    guild_id       bigint PRIMARY KEY,
    cooldown_s     bigint NOT NULL DEFAULT 0 CHECK (cooldown_s >= 0),
    log_channel_id bigint
);

CREATE TABLE policy_channels (
    guild_id   bigint NOT NULL,
    channel_id bigint NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);

CREATE TABLE blocked_words (
    guild_id bigint NOT NULL,
    word     text NOT NULL CHECK (length(word) > 0),
    PRIMARY KEY (guild_id, word)
);

CREATE TABLE role_allowances (
    guild_id bigint NOT NULL,
    role_id  bigint NOT NULL,
    amount   bigint NOT NULL CHECK (amount >= 0),
    period   text CHECK (period IN ('day', 'week', 'month', 'total')),
    PRIMARY KEY (guild_id, role_id)
);
