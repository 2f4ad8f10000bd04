-- Failed-login counters, one per account (key `user:<id>`) or per unknown
-- login name (key `name:<canonical name>`), and public ids for sessions so an
-- account can list and end its own.

CREATE TABLE login_guards (
    key          TEXT    PRIMARY KEY,
    user_id      BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    -- Failures since the last success or the end of the last lock.
    failures     BIGINT  NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- Failures since the last success, across locks.
    consecutive  BIGINT  NOT NULL DEFAULT 0 CHECK (consecutive >= 0),
    -- Locked until then (fixed: later attempts do not move it).
    locked_until BIGINT,
    -- Password login off until a reset or an administrator's unlock.
    disabled     BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   BIGINT  NOT NULL
);

CREATE INDEX login_guards_by_user ON login_guards (user_id);

-- A fresh schema: no session predates its public id, so it is never null.
ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL;
CREATE UNIQUE INDEX sessions_by_public_id ON sessions (public_id);
