package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/tick"
)

// Defaults for Options.
const (
	// DefaultPollInterval is the original worker's poll fallback; wake-ups
	// make it rarely matter.
	DefaultPollInterval = 60 * time.Second
	// DefaultMinInterval spaces ticks under a storm of wake-ups: one
	// identity tick announces many changes, and one campaign tick covers
	// them all.
	DefaultMinInterval = time.Second
	// maxPayloadList caps identity_uuids in campaign.formed, keeping the
	// notification under the bus's 1 MiB message limit.
	maxPayloadList = 1000
	// publishTimeout bounds one notification.
	publishTimeout = 2 * time.Second
)

// Envelope types of the notifications: the topic without its root, as the
// SSE streams name them (api_db.md §5).
const (
	TypeFormed           = "formed"
	TypeIdentityAssigned = "identity.assigned"
	TypeMerged           = "merged"
	TypeUnmerged         = "unmerged"
	TypeCampaignAssigned = "campaign.assigned"
)

// Publisher sends notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// Options configures a CampaignClusterer. Repo is required.
type Options struct {
	// Repo supplies identities, attackers, tag phases and campaigns and
	// applies plans.
	Repo store.CampaignClusterRepository
	// Publisher receives campaign.* and identity.campaign.assigned; nil
	// disables them.
	Publisher Publisher
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// PollInterval is how often Run ticks without a wake-up.
	PollInterval time.Duration
	// MinInterval is the least time between two ticks of Run.
	MinInterval time.Duration
	// HandoffWindow is the phase hand-off window; 0 means
	// DefaultHandoffWindow.
	HandoffWindow time.Duration
	// Now is the clock Run spaces ticks with; nil means time.Now.
	Now func() time.Time
	// NewUUID names new campaigns; nil means a random (v4) uuid.
	NewUUID func() string
}

// CampaignClusterer recomputes campaigns from every identity on each tick
// and announces the changes.
type CampaignClusterer struct {
	o   Options
	log *slog.Logger
	mu  sync.Mutex // serialises RunOnce
}

// TickResult reports what one RunOnce did.
type TickResult struct {
	// Identities and Components count the identities read (merged ones
	// included) and the clusters found.
	Identities, Components int
	// Formed, Assigned, Merged and Unmerged count the plan's changes
	// (Assigned includes the members of formed campaigns).
	Formed, Assigned, Merged, Unmerged int
	// Campaigns counts the live campaigns rolled up.
	Campaigns int
	// PhaseFailures counts identities whose tag phases could not be read
	// and were clustered without a hand-off signal.
	PhaseFailures int
	// Published counts notifications sent.
	Published int
}

// FormedPayload is the payload of campaign.formed. IdentityUUIDs is capped
// at 1000 entries; IdentityCount is the total.
type FormedPayload struct {
	CampaignUUID  string   `json:"campaign_uuid"`
	IdentityUUIDs []string `json:"identity_uuids"`
	IdentityCount int      `json:"identity_count"`
}

// IdentityAssignedPayload is the payload of campaign.identity.assigned: an
// identity joined an existing campaign. PriorCampaignUUID is always null,
// as in the original: an assigned identity had no campaign.
type IdentityAssignedPayload struct {
	CampaignUUID      string  `json:"campaign_uuid"`
	IdentityUUID      string  `json:"identity_uuid"`
	PriorCampaignUUID *string `json:"prior_campaign_uuid"`
}

// CampaignAssignedPayload is the payload of identity.campaign.assigned;
// PriorCampaignUUID is the campaign_id replaced (one naming no stored
// campaign), or null.
type CampaignAssignedPayload struct {
	IdentityUUID      string  `json:"identity_uuid"`
	CampaignUUID      string  `json:"campaign_uuid"`
	PriorCampaignUUID *string `json:"prior_campaign_uuid"`
}

// MergedPayload is the payload of campaign.merged.
type MergedPayload struct {
	WinnerUUID string `json:"winner_uuid"`
	LoserUUID  string `json:"loser_uuid"`
}

// UnmergedPayload is the payload of campaign.unmerged.
type UnmergedPayload struct {
	ResurrectedUUID  string `json:"resurrected_uuid"`
	FormerWinnerUUID string `json:"former_winner_uuid"`
}

// NewCampaignClusterer checks o and fills its defaults.
func NewCampaignClusterer(o Options) (*CampaignClusterer, error) {
	if o.Repo == nil {
		return nil, errors.New("campaign: repository is required")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.HandoffWindow <= 0 {
		o.HandoffWindow = DefaultHandoffWindow
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewUUID == nil {
		o.NewUUID = uuid.NewString
	}
	return &CampaignClusterer{o: o, log: o.Logger.With("component", "campaign-clusterer")}, nil
}

// RunOnce is one tick: load every identity, its attackers and tag phases
// and every campaign link, cluster, reconcile, apply the plan in one
// transaction, then publish formed, identity.assigned, merged, unmerged
// and identity.campaign.assigned. A tick over unchanged inputs changes
// nothing and publishes nothing. A failure to read tag phases is not one:
// the identities concerned are clustered without a hand-off signal.
func (c *CampaignClusterer) RunOnce(ctx context.Context) (res TickResult, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	idents, err := c.o.Repo.ListCampaignInputIdentities(ctx)
	if err != nil {
		return res, fmt.Errorf("campaign: %w", err)
	}
	attackers, err := c.o.Repo.ListCampaignInputAttackers(ctx)
	if err != nil {
		return res, fmt.Errorf("campaign: %w", err)
	}
	links, err := c.o.Repo.ListCampaignLinks(ctx)
	if err != nil {
		return res, fmt.Errorf("campaign: %w", err)
	}
	feats, failures := c.features(ctx, idents, attackers)
	part := Cluster(feats, c.o.HandoffWindow)
	plan := Reconcile(feats, part, links, c.o.NewUUID)
	if err := c.o.Repo.ApplyCampaignPlan(ctx, plan); err != nil {
		return res, fmt.Errorf("campaign: %w", err)
	}
	res = TickResult{Identities: len(feats), Components: len(part.Components), Formed: len(plan.Formed),
		Assigned: len(plan.Assignments), Merged: len(plan.Merges), Unmerged: len(plan.Unmerges),
		Campaigns: len(plan.Rollups), PhaseFailures: failures}
	res.Published = c.announce(ctx, plan)
	return res, nil
}

// features projects every identity. Attackers and tags of a merged
// identity count for the live identity it resolves to (members are never
// re-pointed on a soft merge); the merged identity itself gets an Alias.
// It returns how many live identities lost their phases to a repository
// failure.
func (c *CampaignClusterer) features(ctx context.Context, idents []store.CampaignIdentity,
	attackers []store.CampaignAttacker) ([]Features, int) {
	merged := make(map[string]string, len(idents))
	for _, id := range idents {
		merged[id.UUID] = id.MergedIntoUUID
	}
	live := func(id string) string { return components.Resolve(merged, id) }
	byIdentity := map[string][]store.CampaignAttacker{}
	for _, a := range attackers {
		l := live(a.IdentityID)
		byIdentity[l] = append(byIdentity[l], a)
	}
	phases, failures := c.phases(ctx, idents, live)
	feats := make([]Features, len(idents))
	for i, id := range idents {
		if id.MergedIntoUUID != "" {
			feats[i] = Features{ID: id.UUID, Alias: live(id.UUID), CampaignID: id.CampaignID}
			continue
		}
		feats[i] = FromIdentityRow(id, byIdentity[id.UUID], phases[id.UUID])
	}
	// Partition and Reconcile walk identities in ID order.
	slices.SortFunc(feats, func(a, b Features) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return feats, failures
}

// phases maps each live identity to its decky tags, oldest first. The bulk
// query is tried first; if it fails, each live identity is read on its own
// (list_ttp_decky_phases), and one whose read fails gets no tags — an
// empty hand-off signal, as the original fell back to — so the worker stays
// up.
func (c *CampaignClusterer) phases(ctx context.Context, idents []store.CampaignIdentity,
	live func(string) string) (map[string][]store.DeckyPhase, int) {
	byLiteral, err := c.o.Repo.ListDeckyPhasesByIdentity(ctx)
	if err == nil {
		out := make(map[string][]store.DeckyPhase, len(byLiteral))
		var mixed []string
		for id, ps := range byLiteral {
			l := live(id)
			if _, ok := out[l]; ok {
				mixed = append(mixed, l)
			}
			out[l] = append(out[l], ps...)
		}
		// A live identity gathering tags of merged ones needs them back
		// in time order.
		for _, l := range mixed {
			slices.SortStableFunc(out[l], func(a, b store.DeckyPhase) int { return a.CreatedAt.Compare(b.CreatedAt) })
		}
		return out, 0
	}
	if ctx.Err() != nil {
		return nil, 0
	}
	c.log.Warn("campaign clusterer: bulk phase read failed; reading identities one by one", "err", err)
	out := map[string][]store.DeckyPhase{}
	failures := 0
	var lastErr error
	for _, id := range idents {
		if id.MergedIntoUUID != "" {
			continue
		}
		ps, err := c.o.Repo.ListTTPDeckyPhases(ctx, id.UUID)
		if err != nil {
			failures++
			lastErr = err
			continue
		}
		out[id.UUID] = ps
	}
	if failures > 0 {
		c.log.Warn("campaign clusterer: identities clustered without hand-off phases", "identities", failures,
			"err", lastErr)
	}
	return out, failures
}

// announce publishes plan's notifications and returns how many were sent.
func (c *CampaignClusterer) announce(ctx context.Context, plan store.CampaignPlan) int {
	if c.o.Publisher == nil {
		return 0
	}
	formed := make(map[string]*FormedPayload, len(plan.Formed))
	order := make([]*FormedPayload, 0, len(plan.Formed))
	for _, id := range plan.Formed {
		p := &FormedPayload{CampaignUUID: id, IdentityUUIDs: []string{}}
		formed[id] = p
		order = append(order, p)
	}
	var joined []IdentityAssignedPayload
	for _, a := range plan.Assignments {
		if p := formed[a.CampaignUUID]; p != nil {
			p.IdentityCount++
			if len(p.IdentityUUIDs) < maxPayloadList {
				p.IdentityUUIDs = append(p.IdentityUUIDs, a.IdentityUUID)
			}
			continue
		}
		joined = append(joined, IdentityAssignedPayload{CampaignUUID: a.CampaignUUID, IdentityUUID: a.IdentityUUID})
	}
	sent := 0
	for _, p := range order {
		sent += c.publish(ctx, bus.CampaignFormed, TypeFormed, p)
	}
	for _, p := range joined {
		sent += c.publish(ctx, bus.CampaignIdentityAssigned, TypeIdentityAssigned, p)
	}
	for _, m := range plan.Merges {
		sent += c.publish(ctx, bus.CampaignMerged, TypeMerged, MergedPayload{WinnerUUID: m.WinnerUUID, LoserUUID: m.LoserUUID})
	}
	for _, u := range plan.Unmerges {
		sent += c.publish(ctx, bus.CampaignUnmerged, TypeUnmerged,
			UnmergedPayload{ResurrectedUUID: u.ResurrectedUUID, FormerWinnerUUID: u.FormerWinnerUUID})
	}
	for _, a := range plan.Assignments {
		p := CampaignAssignedPayload{IdentityUUID: a.IdentityUUID, CampaignUUID: a.CampaignUUID}
		if a.Prior != "" {
			prior := a.Prior
			p.PriorCampaignUUID = &prior
		}
		sent += c.publish(ctx, bus.IdentityCampaignAssigned, TypeCampaignAssigned, p)
	}
	return sent
}

// publish sends one notification, logging a failure: the plan is stored
// either way, and bus delivery is at most once.
func (c *CampaignClusterer) publish(ctx context.Context, topic, typ string, p any) int {
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := c.o.Publisher.Publish(pctx, topic, typ, p); err != nil {
		c.log.Warn("campaign clusterer: publish failed", "topic", topic, "err", err)
		return 0
	}
	return 1
}

// Run ticks now, on every wake-up and every PollInterval, at most once per
// MinInterval, until ctx ends; then it returns nil. A failed tick is logged
// and retried at the next trigger.
func (c *CampaignClusterer) Run(ctx context.Context, wake <-chan struct{}) error {
	tick.Run(ctx, wake, c.o.PollInterval, c.o.MinInterval, c.o.Now, func() {
		res, err := c.RunOnce(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				c.log.Warn("campaign clusterer: tick failed", "err", err)
			}
		case res.Formed+res.Assigned+res.Merged+res.Unmerged > 0:
			c.log.Info("campaign clusterer: campaigns changed", "formed", res.Formed, "assigned", res.Assigned,
				"merged", res.Merged, "unmerged", res.Unmerged, "identities", res.Identities)
		}
	})
	return nil
}

// WakeTopics are the notifications that wake the clusterer: identity
// changes (identity.> of the original, less its own
// identity.campaign.assigned, which would only wake it for a tick with
// nothing to do) and ttp.tagged, since hand-off phases come from tags that
// usually land after the identity formed.
var WakeTopics = []string{bus.IdentityFormed, bus.IdentityObservationLinked, bus.IdentityMerged,
	bus.IdentityUnmerged, bus.TTPTagged}

// Wake subscribes to WakeTopics and returns a channel for Run and the
// function that unsubscribes.
func Wake(b tick.Subscriber) (<-chan struct{}, func(), error) {
	return tick.Wake(b, WakeTopics...)
}
