-- Signed API requests seen within their date window, so that a captured
-- signature works once in the whole deployment, also across a restart. The
-- digest is SHA-256 of "<access key>:<signature>". A logged table: an
-- UNLOGGED one would be emptied by a crash, and the window with it.
CREATE TABLE signature_replays (
    digest     BYTEA   PRIMARY KEY CHECK (length(digest) = 32),
    expires_at BIGINT  NOT NULL
);
