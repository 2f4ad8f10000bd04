-- SAML 2.0 sign-ons. A login waits here for the identity provider's answer
-- (the AuthnRequest's id, bound to the browser that started it). The answer
-- comes as a cross-site POST, which carries no SameSite=Lax cookie, so it is
-- checked and recorded first (answered_*), and the browser binding is checked
-- on the same-site redirect that follows, which takes the row. Assertion ids
-- are remembered until they expire, so each is accepted once.

CREATE TABLE saml_flows (
    relay_hash       BYTEA   PRIMARY KEY CHECK (length(relay_hash) = 32),
    browser_hash     BYTEA   NOT NULL CHECK (length(browser_hash) = 32),
    request_id       TEXT    NOT NULL UNIQUE,
    redirect_to      TEXT    NOT NULL,
    force            BOOLEAN NOT NULL,
    client_challenge TEXT,
    created_at       BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    answered_at      BIGINT,
    -- A verified identity and its account...
    user_id          BIGINT  REFERENCES users (id) ON DELETE CASCADE,
    issuer           TEXT,
    subject          TEXT,
    -- ...or why not (a bai_error code).
    failure          TEXT
);

CREATE TABLE saml_assertions (
    id_hash    BYTEA   PRIMARY KEY CHECK (length(id_hash) = 32),
    expires_at BIGINT  NOT NULL
);
