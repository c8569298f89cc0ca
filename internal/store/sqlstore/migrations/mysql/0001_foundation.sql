-- 0001_foundation: raw events (logs, credentials, bounty), attackers and
-- their behaviour, auth (users, revoked_tokens) and the state key/value table.
--
-- Conventions (mirrored by migrations/sqlite/0001_foundation.sql, which a test
-- compares column by column and index by index):
-- * timestamps are DATETIME(6) holding UTC;
-- * JSON documents are TEXT, MEDIUMTEXT where they can grow large;
-- * utf8mb4 with the binary collation, so comparisons and unique keys are
--   byte-exact as on SQLite (note that MariaDB's utf8mb4_bin still pads:
--   'a' and 'a ' compare equal);
-- * MySQL commits around DDL, so each table is one CREATE TABLE IF NOT
--   EXISTS with its indexes inline: re-running a half-applied file converges;
-- * every statement ends with ';' at the end of a line (see migrate.go).

CREATE TABLE IF NOT EXISTS state (
    `key` VARCHAR(255) NOT NULL,
    value MEDIUMTEXT NOT NULL,
    PRIMARY KEY (`key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS logs (
    id          BIGINT NOT NULL AUTO_INCREMENT,
    event_id    VARCHAR(64) NULL,
    `timestamp` DATETIME(6) NOT NULL,
    decky       VARCHAR(128) NOT NULL,
    service     VARCHAR(64) NOT NULL,
    event_type  VARCHAR(64) NOT NULL,
    attacker_ip VARCHAR(64) NOT NULL,
    session_id  VARCHAR(128) NULL,
    raw_line    TEXT NOT NULL,
    fields      MEDIUMTEXT NOT NULL,
    msg         TEXT NULL,
    trace_id    VARCHAR(64) NULL,
    span_id     VARCHAR(32) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_logs_event_id (event_id),
    -- Same index set as SQLite; see the note there.
    KEY ix_logs_timestamp (`timestamp`),
    KEY ix_logs_attacker_ip (attacker_ip)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS attackers (
    uuid                 VARCHAR(36) NOT NULL,
    ip                   VARCHAR(64) NOT NULL,
    identity_id          VARCHAR(36) NULL,
    first_seen           DATETIME(6) NOT NULL,
    last_seen            DATETIME(6) NOT NULL,
    event_count          BIGINT NOT NULL DEFAULT 0,
    service_count        INT NOT NULL DEFAULT 0,
    decky_count          INT NOT NULL DEFAULT 0,
    services             MEDIUMTEXT NOT NULL,
    deckies              MEDIUMTEXT NOT NULL,
    traversal_path       TEXT NULL,
    is_traversal         BOOLEAN NOT NULL DEFAULT FALSE,
    bounty_count         BIGINT NOT NULL DEFAULT 0,
    credential_count     BIGINT NOT NULL DEFAULT 0,
    fingerprints         MEDIUMTEXT NOT NULL,
    commands             MEDIUMTEXT NOT NULL,
    country_code         VARCHAR(2) NULL,
    country_source       VARCHAR(16) NULL,
    asn                  BIGINT NULL,
    as_name              VARCHAR(128) NULL,
    bgp_prefix           VARCHAR(43) NULL,
    asn_source           VARCHAR(16) NULL,
    rpki_status          VARCHAR(16) NULL,
    rpki_source          VARCHAR(16) NULL,
    ptr_record           VARCHAR(256) NULL,
    rotation_count       INT NOT NULL DEFAULT 0,
    last_rotation_at     DATETIME(6) NULL,
    ipv6_leak_count      INT NOT NULL DEFAULT 0,
    last_ipv6_leak_at    DATETIME(6) NULL,
    last_ipv6_link_local VARCHAR(45) NULL,
    last_ipv6_iid_kind   VARCHAR(16) NULL,
    last_ipv6_mac_oui    VARCHAR(8) NULL,
    updated_at           DATETIME(6) NOT NULL,
    PRIMARY KEY (uuid),
    UNIQUE KEY uq_attackers_ip (ip),
    KEY ix_attackers_identity_id (identity_id),
    KEY ix_attackers_first_seen (first_seen),
    KEY ix_attackers_last_seen (last_seen),
    KEY ix_attackers_country_code (country_code),
    KEY ix_attackers_asn (asn),
    KEY ix_attackers_bgp_prefix (bgp_prefix),
    KEY ix_attackers_last_rotation_at (last_rotation_at),
    KEY ix_attackers_last_ipv6_leak_at (last_ipv6_leak_at),
    KEY ix_attackers_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS attacker_behavior (
    attacker_uuid      VARCHAR(36) NOT NULL,
    os_guess           VARCHAR(255) NULL,
    hop_distance       INT NULL,
    tcp_fingerprint    TEXT NOT NULL,
    kex_order_raw      TEXT NULL,
    ssh_client_banners TEXT NULL,
    retransmit_count   INT NOT NULL DEFAULT 0,
    behavior_class     VARCHAR(32) NULL,
    beacon_interval_s  DOUBLE NULL,
    beacon_jitter_pct  DOUBLE NULL,
    tool_guesses       TEXT NULL,
    timing_stats       TEXT NOT NULL,
    phase_sequence     TEXT NOT NULL,
    updated_at         DATETIME(6) NOT NULL,
    PRIMARY KEY (attacker_uuid),
    KEY ix_attacker_behavior_updated_at (updated_at),
    CONSTRAINT fk_attacker_behavior_attacker FOREIGN KEY (attacker_uuid)
        REFERENCES attackers (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS credentials (
    id               BIGINT NOT NULL AUTO_INCREMENT,
    attacker_ip      VARCHAR(64) NOT NULL,
    attacker_uuid    VARCHAR(36) NULL,
    decky_name       VARCHAR(128) NOT NULL,
    service          VARCHAR(64) NOT NULL,
    principal        VARCHAR(256) NULL,
    principal_key    VARCHAR(256) NOT NULL DEFAULT '',
    secret_kind      VARCHAR(32) NOT NULL,
    secret_sha256    VARCHAR(64) NOT NULL,
    secret_b64       VARCHAR(2048) NULL,
    secret_printable VARCHAR(512) NULL,
    outcome          VARCHAR(16) NULL,
    fields           MEDIUMTEXT NOT NULL,
    first_seen       DATETIME(6) NOT NULL,
    last_seen        DATETIME(6) NOT NULL,
    attempt_count    BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (id),
    UNIQUE KEY uq_credentials_dedup
        (attacker_ip, decky_name, service, secret_kind, secret_sha256, principal_key),
    KEY ix_credentials_attacker_uuid (attacker_uuid),
    KEY ix_credentials_last_seen (last_seen),
    KEY ix_credentials_secret_service (secret_sha256, service),
    KEY ix_credentials_principal_service (principal, service),
    CONSTRAINT fk_credentials_attacker FOREIGN KEY (attacker_uuid)
        REFERENCES attackers (uuid) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS bounty (
    id             BIGINT NOT NULL AUTO_INCREMENT,
    `timestamp`    DATETIME(6) NOT NULL,
    decky          VARCHAR(128) NOT NULL,
    service        VARCHAR(64) NOT NULL,
    attacker_ip    VARCHAR(64) NOT NULL,
    bounty_type    VARCHAR(32) NOT NULL,
    payload        MEDIUMTEXT NOT NULL,
    payload_sha256 CHAR(64) NOT NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uq_bounty_dedup (bounty_type, attacker_ip, payload_sha256),
    KEY ix_bounty_timestamp (`timestamp`),
    KEY ix_bounty_attacker_ip (attacker_ip)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS users (
    uuid                 VARCHAR(36) NOT NULL,
    username             VARCHAR(255) NOT NULL,
    password_hash        VARCHAR(255) NOT NULL,
    role                 VARCHAR(16) NOT NULL DEFAULT 'viewer',
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    tokens_valid_from    DATETIME(6) NULL,
    PRIMARY KEY (uuid),
    UNIQUE KEY uq_users_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        VARCHAR(128) NOT NULL,
    user_uuid  VARCHAR(36) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NOT NULL,
    PRIMARY KEY (jti),
    KEY ix_revoked_tokens_expires_at (expires_at),
    KEY ix_revoked_tokens_user_uuid (user_uuid)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
