// Package clustering groups attacker rows (observations, one per source IP)
// into identities: the actors behind several addresses (pipeline.md §4).
// The core is pure — Observation, the edge tiers, Cluster and Reconcile
// take values and return values — and the IdentityClusterer worker wires it
// to the store and the bus.
package clustering

import (
	"slices"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Fingerprint types (model.Fingerprint.Type) the clusterer reads. The
// profiler writes typed entries, so unlike the original (QUIRK 1, where
// JA3/HASSH never reached the clusterer) they feed the high tier.
const (
	FPJA3           = "ja3"
	FPJA4H          = "ja4h"
	FPHASSH         = "hassh"        // SSH client HASSH seen by our SSH decoy
	FPHASSHServer   = "hassh_server" // server HASSH the prober got from attacker infrastructure
	FPTLSCertSHA256 = "tls_cert_sha256"
	FPPayloadSHA256 = "payload_sha256"
	FPC2Endpoint    = "c2_endpoint"
)

// PhaseExecution is the Unified Kill Chain phase every command is filed
// under until TTP tagging assigns phases to commands.
const PhaseExecution = "execution"

// CredentialTuple is one (username, password hash) pair an attacker tried;
// the low tier compares sets of them.
type CredentialTuple struct {
	Username       string
	PasswordSHA256 string
}

// Observation is the clusterer's view of one attackers row: the keys the
// edge tiers compare, plus the identity link and seen window Reconcile
// needs. Every list is sorted and distinct. Edges never read the times.
type Observation struct {
	// ID is the attacker uuid.
	ID string
	// JA3, HASSH and JA4H are the client fingerprint slots of the high
	// tier; HASSH holds both client (hassh) and server (hassh_server)
	// hashes, as the original's HASSH slot did.
	JA3, HASSH, JA4H []string
	// ASN is the origin AS, 0 when unknown.
	ASN int64
	// PayloadHashes are SHA-256 digests of captured files and downloads;
	// C2Endpoints the hosts (or host:port) of download URLs.
	PayloadHashes, C2Endpoints []string
	// Credentials are the distinct tuples tried (low tier).
	Credentials []CredentialTuple
	// CommandsByPhase maps a UKC phase to the distinct commands run in it
	// (medium tier).
	CommandsByPhase map[string][]string

	// TLSCertSHA256 is only rolled up onto the identity.
	TLSCertSHA256 []string
	// IdentityID is the attacker's current identity_id, "" when unlinked.
	IdentityID string
	// FirstSeen and LastSeen feed the identity's seen window only.
	FirstSeen, LastSeen time.Time
}

// FromAttacker projects an attackers row and the credential tuples of its
// address (nil when not loaded) onto an Observation.
func FromAttacker(a model.Attacker, creds []CredentialTuple) Observation {
	o := Observation{ID: a.UUID, ASN: a.ASN, IdentityID: a.IdentityID, FirstSeen: a.FirstSeen, LastSeen: a.LastSeen}
	for _, f := range a.Fingerprints {
		v := strings.TrimSpace(f.Value)
		if v == "" {
			continue
		}
		switch f.Type {
		case FPJA3:
			o.JA3 = append(o.JA3, v)
		case FPHASSH, FPHASSHServer:
			o.HASSH = append(o.HASSH, v)
		case FPJA4H:
			o.JA4H = append(o.JA4H, v)
		case FPTLSCertSHA256:
			o.TLSCertSHA256 = append(o.TLSCertSHA256, v)
		case FPPayloadSHA256:
			o.PayloadHashes = append(o.PayloadHashes, v)
		case FPC2Endpoint:
			o.C2Endpoints = append(o.C2Endpoints, v)
		}
	}
	o.JA3, o.HASSH, o.JA4H = distinct(o.JA3), distinct(o.HASSH), distinct(o.JA4H)
	o.TLSCertSHA256, o.PayloadHashes, o.C2Endpoints = distinct(o.TLSCertSHA256), distinct(o.PayloadHashes), distinct(o.C2Endpoints)
	if len(creds) > 0 {
		o.Credentials = slices.Clone(creds)
		slices.SortFunc(o.Credentials, compareTuples)
		o.Credentials = slices.Compact(o.Credentials)
	}
	// No TTP phases exist for commands yet, so every command is filed
	// under "execution"; the medium tier then compares whole command sets.
	var cmds []string
	for _, c := range a.Commands {
		if c.Command != "" {
			cmds = append(cmds, c.Command)
		}
	}
	if cmds = distinct(cmds); len(cmds) > 0 {
		o.CommandsByPhase = map[string][]string{PhaseExecution: cmds}
	}
	return o
}

func compareTuples(a, b CredentialTuple) int {
	if c := strings.Compare(a.Username, b.Username); c != 0 {
		return c
	}
	return strings.Compare(a.PasswordSHA256, b.PasswordSHA256)
}

// distinct sorts v in place and drops duplicates; nil stays nil.
func distinct(v []string) []string {
	if len(v) < 2 {
		return v
	}
	slices.Sort(v)
	return slices.Compact(v)
}
