-- Signed API requests seen within their date window, so that a captured
-- signature works once, also across a restart. The digest is SHA-256 of
-- "<access key>:<signature>".
CREATE TABLE signature_replays (
    digest     BLOB    PRIMARY KEY CHECK (length(digest) = 32),
    expires_at INTEGER NOT NULL
) STRICT;
