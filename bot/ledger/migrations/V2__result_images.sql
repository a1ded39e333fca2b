-- The images of a finished job, so a reaction or button on its message can find the result later,
-- also after a restart.
CREATE TABLE result_images (
    job_id        INTEGER NOT NULL REFERENCES jobs (id),
    idx           INTEGER NOT NULL CHECK (idx >= 0),  -- position in the provider's answer, from 0
    attachment_id INTEGER,                           -- NULL for an image withheld as unsafe
    url           TEXT,
    sha256        TEXT,
    is_safe       INTEGER NOT NULL CHECK (is_safe IN (0, 1)),
    seed          INTEGER,
    prompt        TEXT,
    PRIMARY KEY (job_id, idx)
) STRICT, WITHOUT ROWID;
