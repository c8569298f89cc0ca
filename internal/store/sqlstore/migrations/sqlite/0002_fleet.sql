-- 0002_fleet: the decoy fleet, one row per decky per host (fleet_deckies).
--
-- Mirrored by migrations/mysql/0002_fleet.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
--
-- Unlike the original's single decky_config JSON blob, each persona field has
-- its own column, so the store can constrain them; the JSON documents are the
-- service list (services, an array) and the per-service configuration
-- (service_config, an object, NULL when the decky has none).
-- * seed is the decimal text of an unsigned 64-bit value: INTEGER is signed
--   here, and text reads the same on both engines;
-- * state is constrained to the model's five states;
-- * uq_fleet_deckies_ip keeps two deckies of one host off one address;
-- * no foreign key to a hosts table (deliberate, as in the original): the
--   local host is the sentinel 'local', not a row.
CREATE TABLE IF NOT EXISTS fleet_deckies (
    host_uuid       TEXT NOT NULL,
    name            TEXT NOT NULL,
    hostname        TEXT NOT NULL,
    distro          TEXT NOT NULL,
    archetype       TEXT,
    nmap_os         TEXT NOT NULL,
    seed            TEXT NOT NULL,
    ip              TEXT NOT NULL,
    net_mode        TEXT NOT NULL,
    interface       TEXT,
    services        TEXT NOT NULL,
    service_config  TEXT,
    mutate_interval INTEGER NOT NULL DEFAULT 0,
    last_mutated    TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'degraded', 'failed', 'torn_down')),
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_seen       TEXT,
    PRIMARY KEY (host_uuid, name)
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_fleet_deckies_ip ON fleet_deckies (host_uuid, ip);
CREATE INDEX IF NOT EXISTS ix_fleet_deckies_state ON fleet_deckies (state);
