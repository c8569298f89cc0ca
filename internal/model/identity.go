package model

import "time"

// Identity is one actor behind several attackers rows (attacker_identities
// table): the rows the identity clusterer linked through a shared client
// fingerprint, payload or C2 endpoint. The lists are sorted and distinct.
type Identity struct {
	UUID          string `json:"uuid"`
	SchemaVersion int    `json:"schema_version"`
	CampaignID    string `json:"campaign_id,omitempty"`
	// FirstSeenAt and LastSeenAt span the member attackers' activity;
	// ObservationCount counts the members.
	FirstSeenAt       time.Time `json:"first_seen_at"`
	LastSeenAt        time.Time `json:"last_seen_at"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
	Confidence        *float64  `json:"confidence,omitempty"`
	ObservationCount  int       `json:"observation_count"`
	JA3Hashes         []string  `json:"ja3_hashes"`
	HASSHHashes       []string  `json:"hassh_hashes"`
	JA4HHashes        []string  `json:"ja4h_hashes"`
	JA4QUICHashes     []string  `json:"ja4_quic_hashes"`
	HTTPVersionsSeen  []string  `json:"http_versions_seen"`
	TLSCertSHA256     []string  `json:"tls_cert_sha256"`
	IPv6LinkLocalIIDs []string  `json:"ipv6_link_local_iids"`
	PayloadSimhashes  []string  `json:"payload_simhashes"`
	C2Endpoints       []string  `json:"c2_endpoints"`
	// KDDigraphSimhash is the keystroke-dynamics centroid (8 bytes), when
	// known.
	KDDigraphSimhash []byte `json:"kd_digraph_simhash,omitempty"`
	// MergedIntoUUID is set on a soft-merged loser: the identity it now
	// belongs to.
	MergedIntoUUID string `json:"merged_into_uuid,omitempty"`
	Notes          string `json:"notes,omitempty"`
}
