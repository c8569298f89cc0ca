-- 0009_campaigns: campaigns, formed by the campaign clusterer from
-- identities linked by a kill-chain hand-off, shared infrastructure or
-- keystroke dynamics (pipeline.md §5, api_db.md §1.3).
--
-- Mirrored by migrations/mysql/0009_campaigns.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * the list columns are JSON lists of sorted distinct strings, NULL when
--   empty, rolled up from the member identities on every tick;
-- * first_seen_at/last_seen_at span the member identities' activity and
--   identity_count counts the live member identities, kept true on every
--   tick (the original froze them at creation: QUIRK 10);
-- * merged_into_uuid is a soft merge, as for identities: the loser row
--   stays and points at the winner; readers follow the chain (at most 8
--   hops);
-- * attacker_identities.campaign_id (0006) keeps no foreign key: SQLite
--   cannot add one to an existing table without rebuilding it and the
--   tables that reference it, and the clusterer treats a campaign_id
--   naming no campaign as none. MySQL matches, so both dialects behave
--   alike.
CREATE TABLE IF NOT EXISTS campaigns (
    uuid              TEXT NOT NULL PRIMARY KEY,
    schema_version    INTEGER NOT NULL DEFAULT 1,
    first_seen_at     TEXT,
    last_seen_at      TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    confidence        REAL,
    identity_count    INTEGER NOT NULL DEFAULT 0,
    ja3_hashes        TEXT,
    hassh_hashes      TEXT,
    tls_cert_sha256   TEXT,
    payload_simhashes TEXT,
    c2_endpoints      TEXT,
    merged_into_uuid  TEXT REFERENCES campaigns (uuid) ON DELETE SET NULL,
    notes             TEXT
) STRICT;
CREATE INDEX IF NOT EXISTS ix_campaigns_first_seen_at ON campaigns (first_seen_at);
CREATE INDEX IF NOT EXISTS ix_campaigns_last_seen_at ON campaigns (last_seen_at);
CREATE INDEX IF NOT EXISTS ix_campaigns_created_at ON campaigns (created_at);
CREATE INDEX IF NOT EXISTS ix_campaigns_updated_at ON campaigns (updated_at);
CREATE INDEX IF NOT EXISTS ix_campaigns_merged_into_uuid ON campaigns (merged_into_uuid);
