package model

import (
	"encoding/json"
	"time"
)

// TTPTag is one MITRE ATT&CK observation (ttp_tag table): one source event
// × rule × emitted technique, keyed by a deterministic UUIDv5 so replays
// and backfills add nothing. At least one of AttackerUUID and IdentityUUID
// is set; empty strings are NULL.
type TTPTag struct {
	UUID         string `json:"uuid"`
	SourceKind   string `json:"source_kind"`
	SourceID     string `json:"source_id"`
	AttackerUUID string `json:"attacker_uuid,omitempty"`
	IdentityUUID string `json:"identity_uuid,omitempty"`
	SessionID    string `json:"session_id,omitempty"`
	DeckyID      string `json:"decky_id,omitempty"`
	// Tactic is the TA#### id; TechniqueID the parent technique (T1548);
	// SubTechniqueID the full dotted id (T1548.001) or empty.
	Tactic         string  `json:"tactic"`
	TechniqueID    string  `json:"technique_id"`
	SubTechniqueID string  `json:"sub_technique_id,omitempty"`
	Confidence     float64 `json:"confidence"`
	RuleID         string  `json:"rule_id"`
	RuleVersion    int     `json:"rule_version"`
	// Evidence is a JSON object: what in the source made the rule fire.
	Evidence      json.RawMessage `json:"evidence"`
	AttackRelease string          `json:"attack_release"`
	MitreURL      string          `json:"mitre_url,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

// TTP rule states (ttp_rule_state.state).
const (
	RuleEnabled  = "enabled"
	RuleDisabled = "disabled"
	RuleClipped  = "clipped"
)

// TTPRuleState is an operator's state for one rule (ttp_rule_state):
// disabled rules do not fire, clipped ones fire at most ConfidenceMax, and
// a state past ExpiresAt reverts to enabled.
type TTPRuleState struct {
	RuleID        string     `json:"rule_id"`
	State         string     `json:"state"`
	ConfidenceMax *float64   `json:"confidence_max,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Reason        string     `json:"reason,omitempty"`
	SetBy         string     `json:"set_by,omitempty"`
	SetAt         time.Time  `json:"set_at"`
}

// TTPRuleRow is the database rule store's copy of one rule file (ttp_rule).
type TTPRuleRow struct {
	RuleID      string    `json:"rule_id"`
	RuleVersion int       `json:"rule_version"`
	SourcePath  string    `json:"source_path"`
	YAMLContent string    `json:"yaml_content"`
	UpdatedAt   time.Time `json:"updated_at"`
	UpdatedBy   string    `json:"updated_by"`
}

// TechniqueRollup is one (technique, sub-technique) of a scope with its
// tag count and seen window (ttp.md §1.5). IdentityCount is set by the
// campaign rollup only.
type TechniqueRollup struct {
	TechniqueID    string    `json:"technique_id"`
	SubTechniqueID string    `json:"sub_technique_id,omitempty"`
	Tactic         string    `json:"tactic"`
	Count          int64     `json:"count"`
	FirstSeen      time.Time `json:"first_seen"`
	LastSeen       time.Time `json:"last_seen"`
	ConfidenceMax  float64   `json:"confidence_max"`
	IdentityCount  int64     `json:"identity_count,omitempty"`
}
