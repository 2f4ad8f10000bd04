-- One row that /health writes to, so it notices when the database takes
-- no writes (a standby after a failover, a full disk, a lock held too long).
CREATE TABLE health_probe (
    id     BIGINT PRIMARY KEY CHECK (id = 1),
    probed BIGINT NOT NULL
);

INSERT INTO health_probe (id, probed) VALUES (1, 0);
