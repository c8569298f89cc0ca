package model

import "time"

// CredentialReuse is one secret seen on several targets (credential_reuse
// table): the credentials sharing (SecretSHA256, SecretKind, PrincipalKey)
// across at least two distinct decky:service pairs.
type CredentialReuse struct {
	ID           string `json:"id"`
	SecretSHA256 string `json:"secret_sha256"`
	SecretKind   string `json:"secret_kind"`
	// Principal is the claimed identity; empty when the protocol carries none.
	Principal string `json:"principal"`
	// PrincipalKey is Principal, or "" when absent: part of the group key.
	PrincipalKey string `json:"principal_key"`
	// Targets are the distinct "decky:service" pairs, sorted; TargetCount is
	// their number.
	Targets     []string `json:"targets"`
	TargetCount int      `json:"target_count"`
	// Deckies and Services are the sorted distinct halves of Targets.
	Deckies  []string `json:"deckies"`
	Services []string `json:"services"`
	// AttackerIPs are the distinct source addresses, sorted; AttackerUUIDs
	// the distinct attacker rows known for them, sorted (an address the
	// profiler has not seen yet has none).
	AttackerIPs   []string `json:"attacker_ips"`
	AttackerUUIDs []string `json:"attacker_uuids"`
	// LastAttackerIP is the source of the group's most recently seen
	// credential: the anchor of credential.reuse.detected.
	LastAttackerIP string `json:"last_attacker_ip"`
	// AttemptCount is the sum of the group's credential attempt counts.
	AttemptCount int64   `json:"attempt_count"`
	Confidence   float64 `json:"confidence"`
	// FirstSeen and LastSeen span the group's credentials.
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	UpdatedAt time.Time `json:"updated_at"`
	// SecretPrintable and SecretB64 come from one credential of the group
	// on reads (ListReuse, GetReuse); they are not stored in the row.
	SecretPrintable string `json:"secret_printable"`
	SecretB64       string `json:"secret_b64"`
}
