-- 0001_foundation: raw events (logs, credentials, bounty), attackers and
-- their behaviour, auth (users, revoked_tokens) and the state key/value table.
--
-- Conventions (mirrored by migrations/mysql/0001_foundation.sql, which a test
-- compares column by column and index by index):
-- * timestamps are TEXT 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, fixed width so
--   text order is time order;
-- * JSON documents are TEXT;
-- * STRICT tables, so a value of the wrong type is an error, not a silent
--   affinity conversion that MySQL would not do;
-- * every statement ends with ';' at the end of a line (see migrate.go).

CREATE TABLE IF NOT EXISTS state (
    `key` TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- logs.id is AUTOINCREMENT so an id is never reused after a delete: the
-- dashboard stream resumes from MAX(id).
CREATE TABLE IF NOT EXISTS logs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT,
    timestamp   TEXT NOT NULL,
    decky       TEXT NOT NULL,
    service     TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    attacker_ip TEXT NOT NULL,
    session_id  TEXT,
    raw_line    TEXT NOT NULL,
    fields      TEXT NOT NULL,
    msg         TEXT,
    trace_id    TEXT,
    span_id     TEXT
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_logs_event_id ON logs (event_id);
-- Only the indexes the hot reads need: event id (idempotent ingest), time
-- (ranges, newest first) and attacker ip (per-attacker history). Single-column
-- indexes on decky, service and event_type (the original's) select poorly
-- -- a handful of values each -- and each one cost about 15% of ingest
-- throughput; filters on them walk the timestamp index instead.
CREATE INDEX IF NOT EXISTS ix_logs_timestamp ON logs (timestamp);
CREATE INDEX IF NOT EXISTS ix_logs_attacker_ip ON logs (attacker_ip);

-- attackers.ip is UNIQUE (the original only had a plain index and relied on
-- its upsert code), so two profilers cannot create two rows for one IP.
CREATE TABLE IF NOT EXISTS attackers (
    uuid                 TEXT NOT NULL PRIMARY KEY,
    ip                   TEXT NOT NULL,
    identity_id          TEXT,
    first_seen           TEXT NOT NULL,
    last_seen            TEXT NOT NULL,
    event_count          INTEGER NOT NULL DEFAULT 0,
    service_count        INTEGER NOT NULL DEFAULT 0,
    decky_count          INTEGER NOT NULL DEFAULT 0,
    services             TEXT NOT NULL,
    deckies              TEXT NOT NULL,
    traversal_path       TEXT,
    is_traversal         INTEGER NOT NULL DEFAULT 0,
    bounty_count         INTEGER NOT NULL DEFAULT 0,
    credential_count     INTEGER NOT NULL DEFAULT 0,
    fingerprints         TEXT NOT NULL,
    commands             TEXT NOT NULL,
    country_code         TEXT,
    country_source       TEXT,
    asn                  INTEGER,
    as_name              TEXT,
    bgp_prefix           TEXT,
    asn_source           TEXT,
    rpki_status          TEXT,
    rpki_source          TEXT,
    ptr_record           TEXT,
    rotation_count       INTEGER NOT NULL DEFAULT 0,
    last_rotation_at     TEXT,
    ipv6_leak_count      INTEGER NOT NULL DEFAULT 0,
    last_ipv6_leak_at    TEXT,
    last_ipv6_link_local TEXT,
    last_ipv6_iid_kind   TEXT,
    last_ipv6_mac_oui    TEXT,
    updated_at           TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_attackers_ip ON attackers (ip);
CREATE INDEX IF NOT EXISTS ix_attackers_identity_id ON attackers (identity_id);
CREATE INDEX IF NOT EXISTS ix_attackers_first_seen ON attackers (first_seen);
CREATE INDEX IF NOT EXISTS ix_attackers_last_seen ON attackers (last_seen);
CREATE INDEX IF NOT EXISTS ix_attackers_country_code ON attackers (country_code);
CREATE INDEX IF NOT EXISTS ix_attackers_asn ON attackers (asn);
CREATE INDEX IF NOT EXISTS ix_attackers_bgp_prefix ON attackers (bgp_prefix);
CREATE INDEX IF NOT EXISTS ix_attackers_last_rotation_at ON attackers (last_rotation_at);
CREATE INDEX IF NOT EXISTS ix_attackers_last_ipv6_leak_at ON attackers (last_ipv6_leak_at);
CREATE INDEX IF NOT EXISTS ix_attackers_updated_at ON attackers (updated_at);

CREATE TABLE IF NOT EXISTS attacker_behavior (
    attacker_uuid      TEXT NOT NULL PRIMARY KEY
                       REFERENCES attackers (uuid) ON DELETE CASCADE,
    os_guess           TEXT,
    hop_distance       INTEGER,
    tcp_fingerprint    TEXT NOT NULL,
    kex_order_raw      TEXT,
    ssh_client_banners TEXT,
    retransmit_count   INTEGER NOT NULL DEFAULT 0,
    behavior_class     TEXT,
    beacon_interval_s  REAL,
    beacon_jitter_pct  REAL,
    tool_guesses       TEXT,
    timing_stats       TEXT NOT NULL,
    phase_sequence     TEXT NOT NULL,
    updated_at         TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS ix_attacker_behavior_updated_at ON attacker_behavior (updated_at);

-- Indexes the original declared on attacker_ip, principal and secret_sha256
-- alone are left out: the dedup key and the two composites start with those
-- columns and serve the same lookups, at three fewer index writes a row.
CREATE TABLE IF NOT EXISTS credentials (
    id               INTEGER PRIMARY KEY,
    attacker_ip      TEXT NOT NULL,
    attacker_uuid    TEXT REFERENCES attackers (uuid) ON DELETE SET NULL,
    decky_name       TEXT NOT NULL,
    service          TEXT NOT NULL,
    principal        TEXT,
    principal_key    TEXT NOT NULL DEFAULT '',
    secret_kind      TEXT NOT NULL,
    secret_sha256    TEXT NOT NULL,
    secret_b64       TEXT,
    secret_printable TEXT,
    outcome          TEXT,
    fields           TEXT NOT NULL,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    attempt_count    INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_credentials_dedup ON credentials
    (attacker_ip, decky_name, service, secret_kind, secret_sha256, principal_key);
-- Every index here is paid for on each captured credential; the original's
-- single-column indexes on decky_name, service, secret_kind and first_seen
-- (a few distinct values each, or never sorted on) are left out: lookups by
-- attacker go through the dedup key, reuse grouping through the secret and
-- principal composites, lists through last_seen.
CREATE INDEX IF NOT EXISTS ix_credentials_attacker_uuid ON credentials (attacker_uuid);
CREATE INDEX IF NOT EXISTS ix_credentials_last_seen ON credentials (last_seen);
CREATE INDEX IF NOT EXISTS ix_credentials_secret_service ON credentials (secret_sha256, service);
CREATE INDEX IF NOT EXISTS ix_credentials_principal_service ON credentials (principal, service);

-- bounty dedup is a constraint on the payload's SHA-256 (the original
-- checked for an identical row first, racing concurrent ingesters);
-- uq_bounty_dedup also serves filters on bounty_type.
CREATE TABLE IF NOT EXISTS bounty (
    id             INTEGER PRIMARY KEY,
    timestamp      TEXT NOT NULL,
    decky          TEXT NOT NULL,
    service        TEXT NOT NULL,
    attacker_ip    TEXT NOT NULL,
    bounty_type    TEXT NOT NULL,
    payload        TEXT NOT NULL,
    payload_sha256 TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_bounty_dedup ON bounty (bounty_type, attacker_ip, payload_sha256);
CREATE INDEX IF NOT EXISTS ix_bounty_timestamp ON bounty (timestamp);
-- No single-column decky/service indexes: few distinct values, and each
-- costs every bounty insert.
CREATE INDEX IF NOT EXISTS ix_bounty_attacker_ip ON bounty (attacker_ip);

CREATE TABLE IF NOT EXISTS users (
    uuid                 TEXT NOT NULL PRIMARY KEY,
    username             TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    role                 TEXT NOT NULL DEFAULT 'viewer',
    must_change_password INTEGER NOT NULL DEFAULT 0,
    tokens_valid_from    TEXT
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_users_username ON users (username);

CREATE TABLE IF NOT EXISTS revoked_tokens (
    jti        TEXT NOT NULL PRIMARY KEY,
    user_uuid  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS ix_revoked_tokens_expires_at ON revoked_tokens (expires_at);
CREATE INDEX IF NOT EXISTS ix_revoked_tokens_user_uuid ON revoked_tokens (user_uuid);
