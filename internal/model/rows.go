package model

import (
	"encoding/json"
	"time"
)

// LogEntry is one row of the logs table: an event as stored.
type LogEntry struct {
	ID         int64             `json:"id"`
	EventID    string            `json:"event_id"`
	Timestamp  time.Time         `json:"timestamp"`
	Decky      string            `json:"decky"`
	Service    string            `json:"service"`
	EventType  string            `json:"event_type"`
	AttackerIP string            `json:"attacker_ip"`
	SessionID  string            `json:"session_id,omitempty"`
	RawLine    string            `json:"raw_line"`
	Fields     map[string]string `json:"fields"`
	Msg        string            `json:"msg"`
}

// Credential outcomes recorded by services.
const (
	OutcomeSuccess  = "success"
	OutcomeFailure  = "failure"
	OutcomeObserved = "observed"
)

// Credential is one deduplicated credential attempt (credentials table). The
// dedup key is (AttackerIP, DeckyName, Service, SecretKind, SecretSHA256,
// PrincipalKey).
type Credential struct {
	ID           int64  `json:"id"`
	AttackerIP   string `json:"attacker_ip"`
	AttackerUUID string `json:"attacker_uuid,omitempty"`
	DeckyName    string `json:"decky_name"`
	Service      string `json:"service"`
	// Principal is the claimed identity; empty when the protocol carries none.
	Principal string `json:"principal"`
	// PrincipalKey is Principal, or "" when absent: part of the dedup key.
	PrincipalKey    string            `json:"principal_key"`
	SecretKind      string            `json:"secret_kind"`
	SecretSHA256    string            `json:"secret_sha256"`
	SecretB64       string            `json:"secret_b64"`
	SecretPrintable string            `json:"secret_printable"`
	Outcome         string            `json:"outcome,omitempty"`
	Fields          map[string]string `json:"fields"`
	FirstSeen       time.Time         `json:"first_seen"`
	LastSeen        time.Time         `json:"last_seen"`
	AttemptCount    int64             `json:"attempt_count"`
}

// Bounty types stored in the bounty table.
const (
	BountyFingerprint = "fingerprint"
	BountyIPLeak      = "ip_leak"
	BountyArtifact    = "artifact"
)

// Bounty is one intelligence item extracted from an event (bounty table).
// Payload is the JSON object, serialised deterministically so identical
// findings dedup on (BountyType, AttackerIP, Payload).
type Bounty struct {
	ID         int64           `json:"id"`
	Timestamp  time.Time       `json:"timestamp"`
	Decky      string          `json:"decky"`
	Service    string          `json:"service"`
	AttackerIP string          `json:"attacker_ip"`
	BountyType string          `json:"bounty_type"`
	Payload    json.RawMessage `json:"payload"`
}

// IngestRecord is everything the ingest worker derives from one event, written
// in one transaction with the rest of its batch.
type IngestRecord struct {
	Log        LogEntry
	Credential *Credential
	Bounties   []Bounty
}

// IngestResult reports what a committed batch changed. Records whose event id
// was already stored are skipped whole, so redelivery never doubles rows.
type IngestResult struct {
	LogsInserted     int
	Duplicates       int
	BountiesInserted int
	// Credentials has one entry per credential dedup key the batch wrote,
	// with AttemptCount and the seen window covering this batch's attempts
	// only (ID unset), for credential.captured notifications.
	Credentials []Credential
}

// Attacker is one row per source IP (attackers table), maintained by the
// profiler.
type Attacker struct {
	UUID            string         `json:"uuid"`
	IP              string         `json:"ip"`
	IdentityID      string         `json:"identity_id,omitempty"`
	FirstSeen       time.Time      `json:"first_seen"`
	LastSeen        time.Time      `json:"last_seen"`
	EventCount      int64          `json:"event_count"`
	ServiceCount    int            `json:"service_count"`
	DeckyCount      int            `json:"decky_count"`
	Services        []string       `json:"services"`
	Deckies         []string       `json:"deckies"`
	TraversalPath   string         `json:"traversal_path,omitempty"`
	IsTraversal     bool           `json:"is_traversal"`
	BountyCount     int64          `json:"bounty_count"`
	CredentialCount int64          `json:"credential_count"`
	Fingerprints    []Fingerprint  `json:"fingerprints"`
	Commands        []CommandEntry `json:"commands"`
	CountryCode     string         `json:"country_code,omitempty"`
	CountrySource   string         `json:"country_source,omitempty"`
	ASN             int64          `json:"asn,omitempty"`
	ASName          string         `json:"as_name,omitempty"`
	BGPPrefix       string         `json:"bgp_prefix,omitempty"`
	ASNSource       string         `json:"asn_source,omitempty"`
	UpdatedAt       time.Time      `json:"updated_at"`
}

// Fingerprint is one typed fingerprint observed for an attacker.
type Fingerprint struct {
	Type    string          `json:"type"`
	Value   string          `json:"value"`
	Service string          `json:"service,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

// CommandEntry is one command an attacker ran on a decky.
type CommandEntry struct {
	Service   string    `json:"service"`
	Decky     string    `json:"decky"`
	Command   string    `json:"command"`
	Timestamp time.Time `json:"timestamp"`
}

// AttackerBehavior is the behavioural profile of one attacker
// (attacker_behavior table).
type AttackerBehavior struct {
	AttackerUUID   string          `json:"attacker_uuid"`
	OSGuess        string          `json:"os_guess,omitempty"`
	HopDistance    *int            `json:"hop_distance,omitempty"`
	TCPFingerprint json.RawMessage `json:"tcp_fingerprint"`
	// KexOrderRaw and SSHClientBanners are the distinct SSH key-exchange
	// orders and client banners seen from the attacker.
	KexOrderRaw      []string `json:"kex_order_raw"`
	SSHClientBanners []string `json:"ssh_client_banners"`
	// InteractedServices and ScannedServices are the interaction classes:
	// services the attacker did something with, and those it only probed.
	InteractedServices []string        `json:"interacted_services"`
	ScannedServices    []string        `json:"scanned_services"`
	RetransmitCount    int             `json:"retransmit_count"`
	BehaviorClass      string          `json:"behavior_class,omitempty"`
	BeaconIntervalS    *float64        `json:"beacon_interval_s,omitempty"`
	BeaconJitterPct    *float64        `json:"beacon_jitter_pct,omitempty"`
	ToolGuesses        []string        `json:"tool_guesses"`
	TimingStats        json.RawMessage `json:"timing_stats"`
	PhaseSequence      json.RawMessage `json:"phase_sequence"`
	UpdatedAt          time.Time       `json:"updated_at"`
}

// User roles.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// User is a dashboard/API account (users table).
type User struct {
	UUID               string `json:"uuid"`
	Username           string `json:"username"`
	PasswordHash       string `json:"-"`
	Role               string `json:"role"`
	MustChangePassword bool   `json:"must_change_password"`
	// TokensValidFrom invalidates every token issued before it; zero = none.
	TokensValidFrom time.Time `json:"-"`
}
