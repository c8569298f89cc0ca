package store

import (
	"context"
	"time"

	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/model"
)

// MaxMergeHops bounds how far readers and the clusterer follow
// merged_into_uuid chains (pipeline.md §4, api_db.md §1.3): a corrupt or
// cyclic chain cannot loop forever, and real chains are one or two hops.
// It is the clusterers' bound, so SQL readers stop where they do.
const MaxMergeHops = components.MaxMergeHops

// CredentialTuple is one (principal, secret hash) pair an attacker tried,
// the unit of the identity clusterer's low tier.
type CredentialTuple struct {
	PrincipalKey string
	SecretSHA256 string
}

// IdentityLink points one attacker row (an observation) at an identity.
type IdentityLink struct {
	AttackerUUID string
	IdentityUUID string
}

// IdentityMerge soft-merges a losing identity into the winner: the loser's
// row stays and gets merged_into_uuid = Winner.
type IdentityMerge struct {
	WinnerUUID string
	LoserUUID  string
}

// IdentityUnmerge resurrects a soft-merged identity whose members no longer
// cluster with its former winner's.
type IdentityUnmerge struct {
	ResurrectedUUID  string
	FormerWinnerUUID string
}

// IdentityRollup is what an identity's member attackers add up to,
// recomputed every tick so counts and seen times stay true (the original
// froze them at creation: QUIRK 10). Lists are sorted and distinct; empty
// ones are stored as NULL.
type IdentityRollup struct {
	UUID string
	// FirstSeenAt and LastSeenAt are the min first_seen and max last_seen
	// of the members; zero when it has none.
	FirstSeenAt, LastSeenAt time.Time
	// ObservationCount is the number of member attackers, counting those
	// of identities merged into this one.
	ObservationCount int
	JA3Hashes        []string
	HASSHHashes      []string
	JA4HHashes       []string
	TLSCertSHA256    []string
	// PayloadHashes are payload SHA-256 digests, stored in the
	// payload_simhashes column until payload simhashes exist.
	PayloadHashes []string
	C2Endpoints   []string
}

// IdentityPlan is everything one clustering tick changes, applied in one
// transaction so readers never see half a tick.
type IdentityPlan struct {
	// Formed lists identities to create; each has its rollup in Rollups.
	Formed []string
	// Links set attackers.identity_id.
	Links []IdentityLink
	// Merges set merged_into_uuid on losers.
	Merges []IdentityMerge
	// Unmerges clear merged_into_uuid.
	Unmerges []IdentityUnmerge
	// Rollups carry the recomputed rollup of every live identity; the
	// store writes the ones that differ from what it holds.
	Rollups []IdentityRollup
}

// Empty reports whether p changes nothing but, perhaps, rollups.
func (p IdentityPlan) Empty() bool {
	return len(p.Formed) == 0 && len(p.Links) == 0 && len(p.Merges) == 0 && len(p.Unmerges) == 0
}

// IdentityClusterRepository is the part of the store the identity
// clusterer reads its inputs from and writes its plans to.
type IdentityClusterRepository interface {
	// ListClusterInputs returns every attacker row with only the columns
	// clustering reads: uuid, ip, identity_id, first/last seen, asn and
	// fingerprints. Commands are left out: they feed only the medium
	// tier, which cannot make an edge (clustering.EdgeThreshold), and are
	// the bulk of a row.
	ListClusterInputs(ctx context.Context) ([]model.Attacker, error)
	// ListIdentityLinks maps every identity uuid to its merged_into_uuid
	// ("" for a live identity).
	ListIdentityLinks(ctx context.Context) (map[string]string, error)
	// ApplyIdentityPlan writes a whole tick in one transaction, stamping
	// created_at/updated_at with the store's clock. Rollups equal to the
	// stored values are not written, so updated_at moves only on change.
	ApplyIdentityPlan(ctx context.Context, p IdentityPlan) error
}

// CredentialTupleRepository feeds the clusterer's low tier.
type CredentialTupleRepository interface {
	// ListCredentialTuples maps each attacker ip to the distinct
	// (principal_key, secret_sha256) pairs it tried.
	ListCredentialTuples(ctx context.Context) (map[string][]CredentialTuple, error)
}

// IdentityRepository is what the API reads about identities.
type IdentityRepository interface {
	// ListIdentities returns a page of live (unmerged) identities, most
	// recently updated first, and the number of live identities.
	ListIdentities(ctx context.Context, limit, offset int) ([]model.Identity, int64, error)
	// GetIdentity returns the identity uuid resolves to, following
	// merged_into_uuid at most MaxMergeHops times; unknown is ErrNotFound.
	GetIdentity(ctx context.Context, uuid string) (model.Identity, error)
	// ListIdentityObservations returns a page of the attacker rows under
	// the identity uuid resolves to (its own and those of identities
	// merged into it), most recently seen first, and their number.
	// Unknown is ErrNotFound.
	ListIdentityObservations(ctx context.Context, uuid string, limit, offset int) ([]model.Attacker, int64, error)
}
