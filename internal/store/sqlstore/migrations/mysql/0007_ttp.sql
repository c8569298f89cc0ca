-- 0007_ttp: MITRE ATT&CK tags (ttp_tag), the database rule store's copy of
-- the rule files (ttp_rule) and operators' rule states (ttp_rule_state)
-- (ttp.md §1).
--
-- Mirrored by migrations/sqlite/0007_ttp.sql (see the notes there); the
-- conventions of 0001_foundation.sql apply (DATETIME(6) in UTC,
-- utf8mb4_bin, one CREATE TABLE IF NOT EXISTS with its indexes inline, ';' at
-- the end of each statement's last line).
-- * evidence is MEDIUMTEXT, not JSON: MySQL's JSON type rewrites the
--   document (key order, spacing), and the store hands evidence back as it
--   was given; the store checks it is a JSON object;
-- * the CHECKs are enforced by MySQL 8.0.16+ and MariaDB 10.2+; the store
--   checks the anchor and the confidence range itself for older servers;
-- * yaml_content is MEDIUMTEXT: a rule file may exceed TEXT's 64 KiB.
CREATE TABLE IF NOT EXISTS ttp_tag (
    uuid             VARCHAR(36) NOT NULL,
    source_kind      VARCHAR(32) NOT NULL,
    source_id        VARCHAR(255) NOT NULL,
    attacker_uuid    VARCHAR(36) NULL,
    identity_uuid    VARCHAR(36) NULL,
    session_id       VARCHAR(128) NULL,
    decky_id         VARCHAR(128) NULL,
    tactic           VARCHAR(16) NOT NULL,
    technique_id     VARCHAR(16) NOT NULL,
    sub_technique_id VARCHAR(16) NULL,
    confidence       DOUBLE NOT NULL,
    rule_id          VARCHAR(64) NOT NULL,
    rule_version     INT NOT NULL,
    evidence         MEDIUMTEXT NOT NULL,
    attack_release   VARCHAR(16) NOT NULL,
    mitre_url        VARCHAR(512) NULL,
    created_at       DATETIME(6) NOT NULL,
    PRIMARY KEY (uuid),
    KEY ix_ttp_tag_attacker_uuid (attacker_uuid),
    KEY ix_ttp_tag_identity_uuid (identity_uuid),
    KEY ix_ttp_tag_session_id (session_id),
    KEY ix_ttp_tag_decky_id (decky_id),
    KEY ix_ttp_tag_tactic (tactic),
    KEY ix_ttp_tag_technique_id (technique_id),
    KEY ix_ttp_tag_sub_technique_id (sub_technique_id),
    KEY ix_ttp_tag_rule_id (rule_id),
    KEY ix_ttp_tag_attack_release (attack_release),
    KEY ix_ttp_tag_created_at (created_at),
    KEY ix_ttp_tag_identity_technique (identity_uuid, technique_id),
    KEY ix_ttp_tag_attacker_technique (attacker_uuid, technique_id),
    KEY ix_ttp_tag_technique_created (technique_id, created_at),
    CONSTRAINT ttp_tag_has_anchor CHECK (attacker_uuid IS NOT NULL OR identity_uuid IS NOT NULL),
    CONSTRAINT ttp_tag_confidence_range CHECK (confidence >= 0.0 AND confidence <= 1.0),
    CONSTRAINT fk_ttp_tag_attacker FOREIGN KEY (attacker_uuid)
        REFERENCES attackers (uuid) ON DELETE CASCADE,
    CONSTRAINT fk_ttp_tag_identity FOREIGN KEY (identity_uuid)
        REFERENCES attacker_identities (uuid) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ttp_rule (
    rule_id      VARCHAR(64) NOT NULL,
    rule_version INT NOT NULL,
    source_path  VARCHAR(1024) NOT NULL,
    yaml_content MEDIUMTEXT NOT NULL,
    updated_at   DATETIME(6) NOT NULL,
    updated_by   VARCHAR(255) NOT NULL,
    PRIMARY KEY (rule_id),
    KEY ix_ttp_rule_updated_at (updated_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS ttp_rule_state (
    rule_id        VARCHAR(64) NOT NULL,
    state          VARCHAR(16) NOT NULL,
    confidence_max DOUBLE NULL,
    expires_at     DATETIME(6) NULL,
    reason         TEXT NULL,
    set_by         VARCHAR(255) NULL,
    set_at         DATETIME(6) NOT NULL,
    PRIMARY KEY (rule_id),
    CONSTRAINT ttp_rule_state_state CHECK (state IN ('enabled', 'disabled', 'clipped'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
