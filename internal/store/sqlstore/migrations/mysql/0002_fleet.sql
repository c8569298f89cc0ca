-- 0002_fleet: the decoy fleet, one row per decky per host (fleet_deckies).
--
-- Mirrored by migrations/sqlite/0002_fleet.sql (see the notes there); the
-- conventions of 0001_foundation.sql apply (DATETIME(6) in UTC, utf8mb4_bin,
-- one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at the end of
-- each statement's last line).
-- * seed is the decimal text of an unsigned 64-bit value, as on SQLite;
-- * the state CHECK is enforced by MySQL 8.0.16+ and MariaDB 10.2+;
-- * sizes match the store's limits (sqlstore/fleet.go); last_error is cut to
--   2000 bytes, which always fits 2000 characters.
CREATE TABLE IF NOT EXISTS fleet_deckies (
    host_uuid       VARCHAR(36) NOT NULL,
    name            VARCHAR(128) NOT NULL,
    hostname        VARCHAR(255) NOT NULL,
    distro          VARCHAR(64) NOT NULL,
    archetype       VARCHAR(64) NULL,
    nmap_os         VARCHAR(32) NOT NULL,
    seed            VARCHAR(20) NOT NULL,
    ip              VARCHAR(64) NOT NULL,
    net_mode        VARCHAR(16) NOT NULL,
    interface       VARCHAR(64) NULL,
    services        TEXT NOT NULL,
    service_config  MEDIUMTEXT NULL,
    mutate_interval INT NOT NULL DEFAULT 0,
    last_mutated    DATETIME(6) NULL,
    state           VARCHAR(16) NOT NULL DEFAULT 'pending',
    last_error      VARCHAR(2000) NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL,
    last_seen       DATETIME(6) NULL,
    PRIMARY KEY (host_uuid, name),
    UNIQUE KEY uq_fleet_deckies_ip (host_uuid, ip),
    KEY ix_fleet_deckies_state (state),
    CONSTRAINT ck_fleet_deckies_state
        CHECK (state IN ('pending', 'running', 'degraded', 'failed', 'torn_down'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
