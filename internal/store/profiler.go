package store

import (
	"context"

	"github.com/decnet/decnet/internal/model"
)

// ProfileState is the profiler's persisted aggregate state of one source
// address: opaque JSON owned by the profiler, and the stream position
// (bus.EventPos.Ordinal) of the newest event folded into it.
type ProfileState struct {
	State   []byte
	LastSeq uint64
}

// ProfileWrite is one address's share of a profiler flush.
type ProfileWrite struct {
	// Attacker is the row to upsert by IP. Its UUID, BountyCount and
	// CredentialCount are ignored: the store assigns the one and counts the
	// others from the bounty and credentials tables in the same transaction.
	Attacker model.Attacker
	// Behavior is the attacker_behavior row; its AttackerUUID is filled in.
	Behavior model.AttackerBehavior
	State    ProfileState
}

// ProfileSaved reports what a flush stored for one address.
type ProfileSaved struct {
	IP   string
	UUID string
	// Created is true when the address had no attackers row before.
	Created         bool
	BountyCount     int64
	CredentialCount int64
}

// ProfilerRepository stores the profiler's output and its resumable state.
type ProfilerRepository interface {
	// LoadProfileStates returns the stored state of each of ips that has
	// one; addresses never profiled are absent from the map.
	LoadProfileStates(ctx context.Context, ips []string) (map[string]ProfileState, error)
	// SaveProfiles writes, in one transaction, each address's attackers
	// row (with bounty and credential counts read from their tables),
	// behaviour row and state, and stamps the attacker uuid on the
	// address's credentials that lack one. The result is in ws's order.
	SaveProfiles(ctx context.Context, ws []ProfileWrite) ([]ProfileSaved, error)
}
