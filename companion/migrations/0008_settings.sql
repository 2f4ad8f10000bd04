-- Values the deployment holds once, whichever companion wrote them: the
-- fingerprint of the secret key the stored secrets are sealed with, so that
-- a companion started with another key refuses to start.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
