package store

import (
	"context"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// CampaignIdentity is the campaign clusterer's view of one
// attacker_identities row: its links and the rollup columns the campaign
// features and rollups read.
type CampaignIdentity struct {
	UUID string
	// MergedIntoUUID is "" for a live identity.
	MergedIntoUUID string
	// CampaignID is the stored campaign_id, "" when unassigned.
	CampaignID              string
	FirstSeenAt, LastSeenAt time.Time
	JA3Hashes, HASSHHashes  []string
	TLSCertSHA256           []string
	// PayloadHashes (column payload_simhashes) and C2Endpoints are the
	// identity clusterer's rollup of its attackers' captured-file digests
	// and download hosts.
	PayloadHashes, C2Endpoints []string
	// KDDigraphSimhash is the keystroke centroid, nil when unknown.
	KDDigraphSimhash []byte
}

// CampaignAttacker is what the campaign features read of one attacker row
// linked to an identity.
type CampaignAttacker struct {
	UUID       string
	IdentityID string
	// FirstSeen and LastSeen bound the attacker's activity: one session
	// window of its identity.
	FirstSeen, LastSeen time.Time
	// ASN is the origin AS, 0 when unknown.
	ASN int64
	// Deckies are the deckies the address touched.
	Deckies []string
	// ToolGuesses are the profiler's tool guesses (attacker_behavior).
	ToolGuesses []string
}

// CampaignAssignment sets one identity's campaign_id. Prior is the
// campaign_id it replaces ("" for none), echoed in the notifications.
type CampaignAssignment struct {
	IdentityUUID string
	CampaignUUID string
	Prior        string
}

// CampaignMerge soft-merges a losing campaign into the winner.
type CampaignMerge struct {
	WinnerUUID string
	LoserUUID  string
}

// CampaignUnmerge resurrects a soft-merged campaign whose identities no
// longer cluster with its former winner's.
type CampaignUnmerge struct {
	ResurrectedUUID  string
	FormerWinnerUUID string
}

// CampaignRollup is what a campaign's member identities add up to,
// recomputed every tick. Lists are sorted and distinct; empty ones are
// stored as NULL.
type CampaignRollup struct {
	UUID                       string
	FirstSeenAt, LastSeenAt    time.Time
	IdentityCount              int
	JA3Hashes, HASSHHashes     []string
	TLSCertSHA256              []string
	PayloadHashes, C2Endpoints []string
}

// CampaignPlan is everything one campaign tick changes, applied in one
// transaction.
type CampaignPlan struct {
	// Formed lists campaigns to create; each has its rollup in Rollups.
	Formed      []string
	Assignments []CampaignAssignment
	Merges      []CampaignMerge
	Unmerges    []CampaignUnmerge
	// Rollups carry every live campaign's rollup; the store writes those
	// that differ from what it holds.
	Rollups []CampaignRollup
}

// Empty reports whether p changes nothing but, perhaps, rollups.
func (p CampaignPlan) Empty() bool {
	return len(p.Formed) == 0 && len(p.Assignments) == 0 && len(p.Merges) == 0 && len(p.Unmerges) == 0
}

// CampaignClusterRepository is the part of the store the campaign
// clusterer reads its inputs from and writes its plans to.
type CampaignClusterRepository interface {
	// ListCampaignInputIdentities returns every identity, live and merged.
	ListCampaignInputIdentities(ctx context.Context) ([]CampaignIdentity, error)
	// ListCampaignInputAttackers returns every attacker linked to an
	// identity, with its behaviour's tool guesses.
	ListCampaignInputAttackers(ctx context.Context) ([]CampaignAttacker, error)
	// ListDeckyPhasesByIdentity maps each identity uuid to the tags that
	// name a decky and are anchored on it or on one of its attackers,
	// oldest first: ListTTPDeckyPhases for every identity in one query.
	ListDeckyPhasesByIdentity(ctx context.Context) (map[string][]DeckyPhase, error)
	// ListTTPDeckyPhases is the same for one identity (list_ttp_decky_phases);
	// the clusterer falls back to it when the bulk query fails.
	ListTTPDeckyPhases(ctx context.Context, identityUUID string) ([]DeckyPhase, error)
	// ListCampaignLinks maps every campaign uuid to its merged_into_uuid
	// ("" for a live campaign).
	ListCampaignLinks(ctx context.Context) (map[string]string, error)
	// ApplyCampaignPlan writes a whole tick in one transaction.
	ApplyCampaignPlan(ctx context.Context, p CampaignPlan) error
}

// CampaignRepository is what the API reads about campaigns.
type CampaignRepository interface {
	// ListCampaigns returns a page of live (unmerged) campaigns, most
	// recently updated first, and the number of live campaigns.
	ListCampaigns(ctx context.Context, limit, offset int) ([]model.Campaign, int64, error)
	// GetCampaign returns the campaign uuid resolves to, following
	// merged_into_uuid at most MaxMergeHops times; unknown is ErrNotFound.
	GetCampaign(ctx context.Context, uuid string) (model.Campaign, error)
	// ListCampaignIdentities returns a page of the live identities in the
	// campaign uuid resolves to (its own and those of campaigns merged
	// into it), most recently updated first, and their number. Unknown is
	// ErrNotFound.
	ListCampaignIdentities(ctx context.Context, uuid string, limit, offset int) ([]model.Identity, int64, error)
	// ResolveCampaigns maps each campaign uuid to the live campaign it
	// resolves to; unknown uuids are left out.
	ResolveCampaigns(ctx context.Context, uuids []string) (map[string]string, error)
}
