-- 0003_credential_reuse: one row per secret seen on several targets
-- (credential_reuse), maintained by the reuse correlator.
--
-- Mirrored by migrations/sqlite/0003_credential_reuse.sql (see the notes
-- there); the conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
-- * the JSON lists are MEDIUMTEXT: a common password can be tried by
--   thousands of addresses;
-- * the unique key sums to 352 characters, 1 408 bytes in utf8mb4, inside
--   InnoDB's 3 072-byte index limit.
CREATE TABLE IF NOT EXISTS credential_reuse (
    id               VARCHAR(36) NOT NULL,
    secret_sha256    VARCHAR(64) NOT NULL,
    secret_kind      VARCHAR(32) NOT NULL,
    principal        VARCHAR(256) NULL,
    principal_key    VARCHAR(256) NOT NULL DEFAULT '',
    targets          MEDIUMTEXT NOT NULL,
    deckies          MEDIUMTEXT NOT NULL,
    services         MEDIUMTEXT NOT NULL,
    attacker_ips     MEDIUMTEXT NOT NULL,
    attacker_uuids   MEDIUMTEXT NOT NULL,
    last_attacker_ip VARCHAR(64) NOT NULL,
    target_count     INT NOT NULL,
    attempt_count    BIGINT NOT NULL,
    confidence       DOUBLE NOT NULL DEFAULT 1.0,
    first_seen       DATETIME(6) NOT NULL,
    last_seen        DATETIME(6) NOT NULL,
    updated_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_credential_reuse_secret_principal (secret_sha256, secret_kind, principal_key),
    KEY ix_credential_reuse_target_count (target_count, last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
