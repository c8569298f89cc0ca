package model

import "time"

// Campaign is a group of identities working together (campaigns table):
// the identities the campaign clusterer linked through a kill-chain
// hand-off on a decky, shared infrastructure or keystroke dynamics. The
// lists are sorted and distinct.
type Campaign struct {
	UUID          string `json:"uuid"`
	SchemaVersion int    `json:"schema_version"`
	// FirstSeenAt and LastSeenAt span the member identities' activity;
	// IdentityCount counts the live member identities.
	FirstSeenAt    time.Time `json:"first_seen_at"`
	LastSeenAt     time.Time `json:"last_seen_at"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	Confidence     *float64  `json:"confidence,omitempty"`
	IdentityCount  int       `json:"identity_count"`
	JA3Hashes      []string  `json:"ja3_hashes"`
	HASSHHashes    []string  `json:"hassh_hashes"`
	TLSCertSHA256  []string  `json:"tls_cert_sha256"`
	PayloadHashes  []string  `json:"payload_simhashes"`
	C2Endpoints    []string  `json:"c2_endpoints"`
	MergedIntoUUID string    `json:"merged_into_uuid,omitempty"`
	Notes          string    `json:"notes,omitempty"`
}
