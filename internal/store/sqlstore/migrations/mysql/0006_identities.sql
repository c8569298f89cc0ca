-- 0006_identities: attacker identities (attacker_identities), formed by the
-- identity clusterer (pipeline.md §4).
--
-- Mirrored by migrations/sqlite/0006_identities.sql (see the notes there);
-- the conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
CREATE TABLE IF NOT EXISTS attacker_identities (
    uuid                 VARCHAR(36) NOT NULL,
    schema_version       INT NOT NULL DEFAULT 1,
    campaign_id          VARCHAR(36) NULL,
    first_seen_at        DATETIME(6) NULL,
    last_seen_at         DATETIME(6) NULL,
    created_at           DATETIME(6) NOT NULL,
    updated_at           DATETIME(6) NOT NULL,
    confidence           DOUBLE NULL,
    observation_count    INT NOT NULL DEFAULT 0,
    ja3_hashes           MEDIUMTEXT NULL,
    hassh_hashes         MEDIUMTEXT NULL,
    ja4h_hashes          MEDIUMTEXT NULL,
    ja4_quic_hashes      MEDIUMTEXT NULL,
    http_versions_seen   TEXT NULL,
    tls_cert_sha256      MEDIUMTEXT NULL,
    ipv6_link_local_iids MEDIUMTEXT NULL,
    payload_simhashes    MEDIUMTEXT NULL,
    c2_endpoints         MEDIUMTEXT NULL,
    kd_digraph_simhash   BINARY(8) NULL,
    merged_into_uuid     VARCHAR(36) NULL,
    notes                TEXT NULL,
    PRIMARY KEY (uuid),
    KEY ix_attacker_identities_campaign_id (campaign_id),
    KEY ix_attacker_identities_first_seen_at (first_seen_at),
    KEY ix_attacker_identities_last_seen_at (last_seen_at),
    KEY ix_attacker_identities_created_at (created_at),
    KEY ix_attacker_identities_updated_at (updated_at),
    KEY ix_attacker_identities_kd_digraph_simhash (kd_digraph_simhash),
    KEY ix_attacker_identities_merged_into_uuid (merged_into_uuid),
    CONSTRAINT fk_attacker_identities_merged_into FOREIGN KEY (merged_into_uuid)
        REFERENCES attacker_identities (uuid) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
