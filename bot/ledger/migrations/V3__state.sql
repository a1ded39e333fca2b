-- Small facts the bot must remember between runs, e.g. the hash of the last command tree it synced.
CREATE TABLE state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
