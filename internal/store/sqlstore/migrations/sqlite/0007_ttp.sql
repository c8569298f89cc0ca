-- 0007_ttp: MITRE ATT&CK tags (ttp_tag), the database rule store's copy of
-- the rule files (ttp_rule) and operators' rule states (ttp_rule_state)
-- (ttp.md §1).
--
-- Mirrored by migrations/mysql/0007_ttp.sql; the conventions of
-- 0001_foundation.sql apply (TEXT timestamps in UTC, JSON as TEXT, STRICT,
-- ';' at the end of each statement's last line).
-- * ttp_tag.uuid is the deterministic UUIDv5 of the tag's source event,
--   rule, rule version and technique (ttp.TagUUID), so a replay inserts
--   nothing;
-- * source_id has no foreign key: tags outlive their source rows;
-- * a tag hangs on an attacker, an identity or both (ttp_tag_has_anchor),
--   and goes with either when it is deleted;
-- * technique_id is the parent technique (T1548), sub_technique_id the full
--   dotted id (T1548.001) or NULL;
-- * evidence is a JSON object, stored as given so it reads back byte for
--   byte;
-- * mitre_url is the URL resolved when the tag was built; readers look
--   names and URLs up again in the loaded catalogue.
CREATE TABLE IF NOT EXISTS ttp_tag (
    uuid             TEXT NOT NULL PRIMARY KEY,
    source_kind      TEXT NOT NULL,
    source_id        TEXT NOT NULL,
    attacker_uuid    TEXT REFERENCES attackers (uuid) ON DELETE CASCADE,
    identity_uuid    TEXT REFERENCES attacker_identities (uuid) ON DELETE CASCADE,
    session_id       TEXT,
    decky_id         TEXT,
    tactic           TEXT NOT NULL,
    technique_id     TEXT NOT NULL,
    sub_technique_id TEXT,
    confidence       REAL NOT NULL,
    rule_id          TEXT NOT NULL,
    rule_version     INTEGER NOT NULL,
    evidence         TEXT NOT NULL,
    attack_release   TEXT NOT NULL,
    mitre_url        TEXT,
    created_at       TEXT NOT NULL,
    CONSTRAINT ttp_tag_has_anchor CHECK (attacker_uuid IS NOT NULL OR identity_uuid IS NOT NULL),
    CONSTRAINT ttp_tag_confidence_range CHECK (confidence >= 0.0 AND confidence <= 1.0)
) STRICT;
CREATE INDEX IF NOT EXISTS ix_ttp_tag_attacker_uuid ON ttp_tag (attacker_uuid);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_identity_uuid ON ttp_tag (identity_uuid);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_session_id ON ttp_tag (session_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_decky_id ON ttp_tag (decky_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_tactic ON ttp_tag (tactic);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_technique_id ON ttp_tag (technique_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_sub_technique_id ON ttp_tag (sub_technique_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_rule_id ON ttp_tag (rule_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_attack_release ON ttp_tag (attack_release);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_created_at ON ttp_tag (created_at);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_identity_technique ON ttp_tag (identity_uuid, technique_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_attacker_technique ON ttp_tag (attacker_uuid, technique_id);
CREATE INDEX IF NOT EXISTS ix_ttp_tag_technique_created ON ttp_tag (technique_id, created_at);

-- ttp_rule: one row per rule file, written by the master's sync and tailed
-- by workers through updated_at (ix_ttp_rule_updated_at).
-- * updated_by is "filesystem", "git" or the admin's JWT subject.
CREATE TABLE IF NOT EXISTS ttp_rule (
    rule_id      TEXT NOT NULL PRIMARY KEY,
    rule_version INTEGER NOT NULL,
    source_path  TEXT NOT NULL,
    yaml_content TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    updated_by   TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS ix_ttp_rule_updated_at ON ttp_rule (updated_at);

-- ttp_rule_state: an operator's state for one rule; no row means enabled.
-- * confidence_max is the ceiling of a clipped rule; expires_at, when set,
--   reverts the state to enabled once passed.
CREATE TABLE IF NOT EXISTS ttp_rule_state (
    rule_id        TEXT NOT NULL PRIMARY KEY,
    state          TEXT NOT NULL,
    confidence_max REAL,
    expires_at     TEXT,
    reason         TEXT,
    set_by         TEXT,
    set_at         TEXT NOT NULL,
    CONSTRAINT ttp_rule_state_state CHECK (state IN ('enabled', 'disabled', 'clipped'))
) STRICT;
