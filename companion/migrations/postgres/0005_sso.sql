-- Single sign-on. A login started at an identity provider waits here for
-- the provider's answer (its state, nonce and PKCE verifier, bound to the
-- browser that started it; deleted when used). Its success is handed to the
-- client as a one-time token (the sToken, stored only as a hash) that
-- /server/token-login turns into a session. An identity, once matched to an
-- account, stays linked to it by the provider's subject.

CREATE TABLE sso_flows (
    state_hash       BYTEA   PRIMARY KEY CHECK (length(state_hash) = 32),
    browser_hash     BYTEA   NOT NULL CHECK (length(browser_hash) = 32),
    provider         TEXT    NOT NULL,
    nonce            TEXT    NOT NULL,
    pkce_verifier    TEXT    NOT NULL,
    redirect_to      TEXT    NOT NULL,
    force            BOOLEAN NOT NULL,
    -- The client's own binding of the sToken (a PKCE-style S256 challenge).
    client_challenge TEXT,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL
);

CREATE TABLE sso_tokens (
    token_hash       BYTEA   PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id          BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider         TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    force            BOOLEAN NOT NULL,
    client_challenge TEXT,
    -- Token logins tried with it (a one-time code or `force` may need a retry).
    attempts         BIGINT  NOT NULL DEFAULT 0,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    spent_at         BIGINT
);

CREATE TABLE sso_identities (
    issuer    TEXT    NOT NULL,
    subject   TEXT    NOT NULL,
    user_id   BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    linked_at BIGINT  NOT NULL,
    PRIMARY KEY (issuer, subject)
);

CREATE INDEX sso_identities_by_user ON sso_identities (user_id);
