-- Members' own defaults per server (/settings): applied to every job they start where they did not give the
-- option themselves. NULL: no default for that option.
CREATE TABLE member_settings (
    guild_id        INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    rendering_speed TEXT,
    aspect_ratio    TEXT,
    style_type      TEXT,
    magic_prompt    TEXT,
    num_images      INTEGER CHECK (num_images BETWEEN 1 AND 8),
    model           TEXT,
    negative_prompt TEXT,
    PRIMARY KEY (guild_id, user_id)
) STRICT, WITHOUT ROWID;

-- /history: a member's jobs in a server, newest first.
CREATE INDEX jobs_by_member ON jobs (guild_id, user_id, id);
