-- Failed-login counters, one per account (key `user:<id>`) or per unknown
-- login name (key `name:<canonical name>`), and public ids for sessions so an
-- account can list and end its own.

CREATE TABLE login_guards (
    key          TEXT    PRIMARY KEY,
    user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    -- Failures since the last success or the end of the last lock.
    failures     INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- Failures since the last success, across locks.
    consecutive  INTEGER NOT NULL DEFAULT 0 CHECK (consecutive >= 0),
    -- Locked until then (fixed: later attempts do not move it).
    locked_until INTEGER,
    -- Password login off until a reset or an administrator's unlock.
    disabled     INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX login_guards_by_user ON login_guards (user_id);

ALTER TABLE sessions ADD COLUMN public_id TEXT;
UPDATE sessions SET public_id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX sessions_by_public_id ON sessions (public_id);
