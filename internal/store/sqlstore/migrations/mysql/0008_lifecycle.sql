-- 0008_lifecycle: asynchronous fleet operations (decky_lifecycle).
--
-- Mirrored by migrations/sqlite/0008_lifecycle.sql (see the notes there); the
-- conventions of 0001_foundation.sql apply (DATETIME(6) in UTC, utf8mb4_bin,
-- one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at the end of
-- each statement's last line).
-- * the CHECKs are enforced by MySQL 8.0.16+ and MariaDB 10.2+; the store
--   checks operation and status itself for older servers.
CREATE TABLE IF NOT EXISTS decky_lifecycle (
    id           VARCHAR(36) NOT NULL,
    decky_name   VARCHAR(128) NOT NULL,
    host_uuid    VARCHAR(36) NOT NULL,
    operation    VARCHAR(16) NOT NULL,
    status       VARCHAR(16) NOT NULL DEFAULT 'pending',
    error        VARCHAR(2000) NULL,
    started_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    completed_at DATETIME(6) NULL,
    PRIMARY KEY (id),
    KEY ix_decky_lifecycle_decky_name (decky_name),
    KEY ix_decky_lifecycle_host_status (host_uuid, status),
    KEY ix_decky_lifecycle_operation (operation),
    CONSTRAINT ck_decky_lifecycle_operation
        CHECK (operation IN ('deploy', 'mutate', 'teardown', 'service')),
    CONSTRAINT ck_decky_lifecycle_status
        CHECK (status IN ('pending', 'running', 'succeeded', 'failed'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
