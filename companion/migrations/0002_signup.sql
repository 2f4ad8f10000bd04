-- Invitations to sign up, and the single-use tokens mailed for email
-- verification and password reset. Tokens are stored only as SHA-256.

CREATE TABLE invitations (
    id              INTEGER PRIMARY KEY,
    token_hash      BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- Only this address may use it, when set (canonical form).
    email_canonical TEXT,
    uses_total      INTEGER NOT NULL CHECK (uses_total > 0),
    uses_left       INTEGER NOT NULL CHECK (uses_left >= 0 AND uses_left <= uses_total),
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;

CREATE TABLE mailed_tokens (
    id          INTEGER PRIMARY KEY,
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('verify-email', 'reset-password')),
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    -- Set when the token was used, or replaced by a newer one.
    used_at     INTEGER
) STRICT;

CREATE INDEX mailed_tokens_by_user ON mailed_tokens (user_id, purpose, created_at);

-- When the account holder agreed to the terms (null: a client that does not ask).
ALTER TABLE users ADD COLUMN agreed_at INTEGER;
ALTER TABLE users ADD COLUMN invitation_id INTEGER REFERENCES invitations (id);
