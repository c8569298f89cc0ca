-- 0009_campaigns: campaigns, formed by the campaign clusterer (pipeline.md
-- §5, api_db.md §1.3).
--
-- Mirrored by migrations/sqlite/0009_campaigns.sql (see the notes there);
-- the conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
CREATE TABLE IF NOT EXISTS campaigns (
    uuid              VARCHAR(36) NOT NULL,
    schema_version    INT NOT NULL DEFAULT 1,
    first_seen_at     DATETIME(6) NULL,
    last_seen_at      DATETIME(6) NULL,
    created_at        DATETIME(6) NOT NULL,
    updated_at        DATETIME(6) NOT NULL,
    confidence        DOUBLE NULL,
    identity_count    INT NOT NULL DEFAULT 0,
    ja3_hashes        MEDIUMTEXT NULL,
    hassh_hashes      MEDIUMTEXT NULL,
    tls_cert_sha256   MEDIUMTEXT NULL,
    payload_simhashes MEDIUMTEXT NULL,
    c2_endpoints      MEDIUMTEXT NULL,
    merged_into_uuid  VARCHAR(36) NULL,
    notes             TEXT NULL,
    PRIMARY KEY (uuid),
    KEY ix_campaigns_first_seen_at (first_seen_at),
    KEY ix_campaigns_last_seen_at (last_seen_at),
    KEY ix_campaigns_created_at (created_at),
    KEY ix_campaigns_updated_at (updated_at),
    KEY ix_campaigns_merged_into_uuid (merged_into_uuid),
    CONSTRAINT fk_campaigns_merged_into FOREIGN KEY (merged_into_uuid)
        REFERENCES campaigns (uuid) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
