-- Two-factor authentication: one TOTP secret per account (sealed with the
-- data-directory key), its single-use recovery codes (keyed hashes), and the
-- short-lived tokens that let an account without 2FA register it at login.

CREATE TABLE totp_credentials (
    user_id       INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    -- NULL until a code from the authenticator confirmed it.
    confirmed_at  INTEGER,
    -- The last time step whose code was accepted: no code is accepted twice.
    last_step     INTEGER
) STRICT;

CREATE TABLE recovery_codes (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  BLOB    NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX recovery_codes_by_user ON recovery_codes (user_id);

CREATE TABLE totp_registrations (
    token_hash BLOB    PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;
