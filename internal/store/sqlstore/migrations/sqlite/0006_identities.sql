-- 0006_identities: attacker identities (attacker_identities), formed by the
-- identity clusterer from attackers rows that share a client fingerprint,
-- a payload or a C2 endpoint (pipeline.md §4).
--
-- Mirrored by migrations/mysql/0006_identities.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * the *_hashes, tls_cert_sha256, http_versions_seen,
--   ipv6_link_local_iids, payload_simhashes and c2_endpoints columns are
--   JSON lists of sorted distinct strings, NULL when empty;
-- * first_seen_at/last_seen_at span the member attackers' activity and
--   observation_count counts them, both kept true on every tick (the
--   original froze them at creation: QUIRK 10);
-- * merged_into_uuid is a soft merge: the loser row stays and points at the
--   winner; readers follow the chain (at most 8 hops);
-- * campaign_id has no foreign key yet: the campaigns table arrives with
--   campaign clustering.
CREATE TABLE IF NOT EXISTS attacker_identities (
    uuid                 TEXT NOT NULL PRIMARY KEY,
    schema_version       INTEGER NOT NULL DEFAULT 1,
    campaign_id          TEXT,
    first_seen_at        TEXT,
    last_seen_at         TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    confidence           REAL,
    observation_count    INTEGER NOT NULL DEFAULT 0,
    ja3_hashes           TEXT,
    hassh_hashes         TEXT,
    ja4h_hashes          TEXT,
    ja4_quic_hashes      TEXT,
    http_versions_seen   TEXT,
    tls_cert_sha256      TEXT,
    ipv6_link_local_iids TEXT,
    payload_simhashes    TEXT,
    c2_endpoints         TEXT,
    kd_digraph_simhash   BLOB,
    merged_into_uuid     TEXT REFERENCES attacker_identities (uuid) ON DELETE SET NULL,
    notes                TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS ix_attacker_identities_campaign_id ON attacker_identities (campaign_id);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_first_seen_at ON attacker_identities (first_seen_at);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_last_seen_at ON attacker_identities (last_seen_at);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_created_at ON attacker_identities (created_at);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_updated_at ON attacker_identities (updated_at);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_kd_digraph_simhash ON attacker_identities (kd_digraph_simhash);
CREATE INDEX IF NOT EXISTS ix_attacker_identities_merged_into_uuid ON attacker_identities (merged_into_uuid);
