-- 0003_credential_reuse: one row per secret seen on several targets
-- (credential_reuse), maintained by the reuse correlator.
--
-- Mirrored by migrations/mysql/0003_credential_reuse.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * the group key is (secret_sha256, secret_kind, principal_key), with
--   principal_key = principal or '' as in credentials;
-- * targets is the sorted JSON list of distinct "decky:service" pairs and
--   target_count its length; deckies and services are the sorted distinct
--   halves, kept for the original's API shape;
-- * attempt_count is the sum of the group's credentials.attempt_count,
--   replaced on every recomputation (the original added it every tick);
-- * first_seen/last_seen span the group's credentials; last_attacker_ip is
--   the attacker of the most recently seen credential of the group.
CREATE TABLE IF NOT EXISTS credential_reuse (
    id               TEXT NOT NULL PRIMARY KEY,
    secret_sha256    TEXT NOT NULL,
    secret_kind      TEXT NOT NULL,
    principal        TEXT,
    principal_key    TEXT NOT NULL DEFAULT '',
    targets          TEXT NOT NULL,
    deckies          TEXT NOT NULL,
    services         TEXT NOT NULL,
    attacker_ips     TEXT NOT NULL,
    attacker_uuids   TEXT NOT NULL,
    last_attacker_ip TEXT NOT NULL,
    target_count     INTEGER NOT NULL,
    attempt_count    INTEGER NOT NULL,
    confidence       REAL NOT NULL DEFAULT 1.0,
    first_seen       TEXT NOT NULL,
    last_seen        TEXT NOT NULL,
    updated_at       TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS uq_credential_reuse_secret_principal ON credential_reuse
    (secret_sha256, secret_kind, principal_key);
-- The list order: widest reuse first, then most recent.
CREATE INDEX IF NOT EXISTS ix_credential_reuse_target_count ON credential_reuse (target_count, last_seen);
