-- Accounts, their login sessions, and the audit trail of authentication events.
-- Times are Unix seconds (UTC).

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    -- Public id, never reused.
    uuid                TEXT    NOT NULL UNIQUE,
    email               TEXT    NOT NULL,
    email_canonical     TEXT    NOT NULL UNIQUE,
    username            TEXT    NOT NULL,
    username_canonical  TEXT    NOT NULL UNIQUE,
    -- bcrypt, modular crypt format ($2b$12$...).
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
    status              TEXT    NOT NULL CHECK (status IN ('active', 'inactive', 'before-verification')),
    access_key          TEXT    NOT NULL UNIQUE,
    -- AES-256-GCM: 12-byte nonce followed by ciphertext and tag; the key lives
    -- in the data directory, never in this file.
    secret_key_sealed   BLOB    NOT NULL,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL,
    last_login_at       INTEGER
) STRICT;

CREATE TABLE sessions (
    id                  INTEGER PRIMARY KEY,
    -- SHA-256 of the session token; the token itself is never stored.
    token_hash          BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at          INTEGER NOT NULL,
    last_seen_at        INTEGER NOT NULL,
    -- Idle deadline: moves with extensions, never past absolute_expires_at.
    expires_at          INTEGER NOT NULL,
    absolute_expires_at INTEGER NOT NULL,
    client_ip           TEXT,
    user_agent          TEXT
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    kind        TEXT    NOT NULL,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- What was typed to log in, canonical, when no account matched it.
    identifier  TEXT,
    client_ip   TEXT,
    user_agent  TEXT,
    detail      TEXT
) STRICT;

CREATE INDEX audit_events_by_user ON audit_events (user_id, at);
