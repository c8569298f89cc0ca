package store

import (
	"context"

	"github.com/decnet/decnet/internal/model"
)

// AttackerSort orders ListAttackers. Every order ends on the uuid, so pages
// are stable when the sort keys tie.
type AttackerSort int

// Attacker orders, the API's sort_by values.
const (
	// AttackerSortRecent is most recently seen first ("recent", the default).
	AttackerSortRecent AttackerSort = iota
	// AttackerSortActive is most events first ("active").
	AttackerSortActive
	// AttackerSortTraversals puts attackers that moved between deckies
	// first, widest traversal first, then most recently seen
	// ("traversals").
	AttackerSortTraversals
)

// AttackerQuery selects attacker rows.
type AttackerQuery struct {
	Limit, Offset int
	// Search keeps rows whose ip contains it, taken literally (% and _ are
	// not wildcards).
	Search string
	// Service keeps rows whose services list holds exactly this service.
	Service string
	Sort    AttackerSort
}

// AttackerReadRepository is what the API reads about attackers.
type AttackerReadRepository interface {
	// GetAttackerByUUID returns one attacker row, or ErrNotFound.
	GetAttackerByUUID(ctx context.Context, uuid string) (model.Attacker, error)
	// ListAttackers returns a page of attacker rows matching q and the
	// number matching without paging.
	ListAttackers(ctx context.Context, q AttackerQuery) ([]model.Attacker, int64, error)
	// ListAttackerBehaviors returns the behaviour rows of the attackers
	// named, keyed by attacker uuid; attackers without one are absent.
	ListAttackerBehaviors(ctx context.Context, attackerUUIDs []string) (map[string]model.AttackerBehavior, error)
	// ListAttackerCredentials returns a page of the credential rows of one
	// attacker, matched by attacker_uuid or by ip (the uuid is backfilled
	// later than the row is written), most recently seen first, and their
	// number.
	ListAttackerCredentials(ctx context.Context, attackerUUID, ip string, limit, offset int) ([]model.Credential, int64, error)
	// ListBounties returns bounty rows matching q, newest first, and the
	// number matching without paging.
	ListBounties(ctx context.Context, q BountyQuery) ([]model.Bounty, int64, error)
}

// CredentialSearch selects credential rows, most recently seen first.
type CredentialSearch struct {
	CredentialQuery
	// Search keeps rows whose decky_name, service, principal or
	// secret_printable contains it, taken literally and
	// ignoring case (at least ASCII case: SQLite folds no other letters).
	Search string
}

// BountySearch selects bounty rows, newest first.
type BountySearch struct {
	BountyQuery
	// Search keeps rows whose decky, service, attacker_ip or payload text
	// contains it, taken literally and
	// ignoring case (at least ASCII case: SQLite folds no other letters).
	Search string
}

// IntelRepository is what the API reads of the credentials and bounty
// tables.
type IntelRepository interface {
	// SearchCredentials returns a page of credential rows matching q and
	// the number matching without paging.
	SearchCredentials(ctx context.Context, q CredentialSearch) ([]model.Credential, int64, error)
	// SearchBounties returns a page of bounty rows matching q and the
	// number matching without paging.
	SearchBounties(ctx context.Context, q BountySearch) ([]model.Bounty, int64, error)
}
