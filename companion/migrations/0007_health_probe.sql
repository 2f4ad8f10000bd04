-- One row that /health writes to, so it notices when the database takes
-- no writes (a full disk, a read-only or damaged file, a lock held too long).
CREATE TABLE health_probe (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    probed INTEGER NOT NULL
) STRICT;

INSERT INTO health_probe (id, probed) VALUES (1, 0);
