package clustering

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/tick"
)

// Defaults for Options.
const (
	// DefaultPollInterval is the original worker's poll fallback; wake-ups
	// (attacker.observed, attacker.scored) make it rarely matter.
	DefaultPollInterval = 60 * time.Second
	// DefaultMinInterval spaces ticks under a storm of wake-ups: the
	// profiler scores every attacker it upserts, and one tick covers them
	// all.
	DefaultMinInterval = time.Second
	// maxPayloadList caps observation_uuids in identity.formed, keeping a
	// huge botnet's notification under the bus's 1 MiB message limit.
	maxPayloadList = 1000
	// publishTimeout bounds one notification.
	publishTimeout = 2 * time.Second
)

// Envelope types of the identity.* notifications: the topic's suffix, as
// the SSE stream names them (api_db.md §5).
const (
	TypeFormed   = "formed"
	TypeLinked   = "observation.linked"
	TypeMerged   = "merged"
	TypeUnmerged = "unmerged"
)

// Publisher sends notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// Options configures an IdentityClusterer. Repo is required.
type Options struct {
	// Repo supplies the attackers and identities and applies plans. The
	// low tier's credential tuples are not loaded: weak tiers can never
	// make an edge on their own (see EdgeThreshold), so they cannot change
	// the partition.
	Repo store.IdentityClusterRepository
	// Publisher receives identity.*; nil disables it.
	Publisher Publisher
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// PollInterval is how often Run ticks without a wake-up.
	PollInterval time.Duration
	// MinInterval is the least time between two ticks of Run.
	MinInterval time.Duration
	// Now is the clock Run spaces ticks with; nil means time.Now.
	Now func() time.Time
	// NewUUID names new identities; nil means a random (v4) uuid.
	NewUUID func() string
}

// IdentityClusterer recomputes identities from every attacker row on each
// tick and announces the changes on identity.*.
type IdentityClusterer struct {
	o   Options
	log *slog.Logger
	mu  sync.Mutex // serialises RunOnce
}

// TickResult reports what one RunOnce did.
type TickResult struct {
	// Observations and Components count the attackers read and the
	// clusters found.
	Observations, Components int
	// Formed, Linked, Merged and Unmerged count the plan's changes
	// (Linked includes the members of formed identities).
	Formed, Linked, Merged, Unmerged int
	// Identities counts the live identities rolled up.
	Identities int
	// Published counts notifications sent.
	Published int
}

// FormedPayload is the payload of identity.formed. ObservationUUIDs is
// capped at 1000 entries; ObservationCount is the total.
type FormedPayload struct {
	IdentityUUID     string   `json:"identity_uuid"`
	ObservationUUIDs []string `json:"observation_uuids"`
	ObservationCount int      `json:"observation_count"`
}

// LinkedPayload is the payload of identity.observation.linked.
type LinkedPayload struct {
	IdentityUUID    string `json:"identity_uuid"`
	ObservationUUID string `json:"observation_uuid"`
}

// MergedPayload is the payload of identity.merged.
type MergedPayload struct {
	WinnerUUID string `json:"winner_uuid"`
	LoserUUID  string `json:"loser_uuid"`
}

// UnmergedPayload is the payload of identity.unmerged.
type UnmergedPayload struct {
	ResurrectedUUID  string `json:"resurrected_uuid"`
	FormerWinnerUUID string `json:"former_winner_uuid"`
}

// NewIdentityClusterer checks o and fills its defaults.
func NewIdentityClusterer(o Options) (*IdentityClusterer, error) {
	if o.Repo == nil {
		return nil, errors.New("clustering: repository is required")
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
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
	return &IdentityClusterer{o: o, log: o.Logger.With("component", "identity-clusterer")}, nil
}

// RunOnce is one tick: load every attacker and identity link, cluster,
// reconcile, apply the plan in one transaction, then publish formed,
// linked, merged and unmerged in that order. A tick over unchanged inputs
// changes nothing and publishes nothing.
func (c *IdentityClusterer) RunOnce(ctx context.Context) (res TickResult, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	attackers, err := c.o.Repo.ListClusterInputs(ctx)
	if err != nil {
		return res, fmt.Errorf("clustering: %w", err)
	}
	links, err := c.o.Repo.ListIdentityLinks(ctx)
	if err != nil {
		return res, fmt.Errorf("clustering: %w", err)
	}
	obs := make([]Observation, len(attackers))
	for i, a := range attackers {
		obs[i] = FromAttacker(a, nil)
	}
	part := Cluster(obs)
	plan := Reconcile(obs, part, links, c.o.NewUUID)
	if err := c.o.Repo.ApplyIdentityPlan(ctx, plan); err != nil {
		return res, fmt.Errorf("clustering: %w", err)
	}
	res = TickResult{Observations: len(obs), Components: len(part.Components), Formed: len(plan.Formed),
		Linked: len(plan.Links), Merged: len(plan.Merges), Unmerged: len(plan.Unmerges), Identities: len(plan.Rollups)}
	res.Published = c.announce(ctx, plan)
	return res, nil
}

// announce publishes plan's notifications in the spec's order and returns
// how many were sent.
func (c *IdentityClusterer) announce(ctx context.Context, plan store.IdentityPlan) int {
	if c.o.Publisher == nil {
		return 0
	}
	formed := make(map[string]*FormedPayload, len(plan.Formed))
	order := make([]*FormedPayload, 0, len(plan.Formed))
	for _, id := range plan.Formed {
		p := &FormedPayload{IdentityUUID: id, ObservationUUIDs: []string{}}
		formed[id] = p
		order = append(order, p)
	}
	var linked []LinkedPayload
	for _, l := range plan.Links {
		if p := formed[l.IdentityUUID]; p != nil {
			p.ObservationCount++
			if len(p.ObservationUUIDs) < maxPayloadList {
				p.ObservationUUIDs = append(p.ObservationUUIDs, l.AttackerUUID)
			}
			continue
		}
		linked = append(linked, LinkedPayload{IdentityUUID: l.IdentityUUID, ObservationUUID: l.AttackerUUID})
	}
	sent := 0
	for _, p := range order {
		sent += c.publish(ctx, bus.IdentityFormed, TypeFormed, p)
	}
	for _, p := range linked {
		sent += c.publish(ctx, bus.IdentityObservationLinked, TypeLinked, p)
	}
	for _, m := range plan.Merges {
		sent += c.publish(ctx, bus.IdentityMerged, TypeMerged, MergedPayload{WinnerUUID: m.WinnerUUID, LoserUUID: m.LoserUUID})
	}
	for _, u := range plan.Unmerges {
		sent += c.publish(ctx, bus.IdentityUnmerged, TypeUnmerged,
			UnmergedPayload{ResurrectedUUID: u.ResurrectedUUID, FormerWinnerUUID: u.FormerWinnerUUID})
	}
	return sent
}

// publish sends one notification, logging a failure: the plan is stored
// either way, and bus delivery is at most once.
func (c *IdentityClusterer) publish(ctx context.Context, topic, typ string, p any) int {
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := c.o.Publisher.Publish(pctx, topic, typ, p); err != nil {
		c.log.Warn("identity clusterer: publish failed", "topic", topic, "err", err)
		return 0
	}
	return 1
}

// Run ticks now, on every wake-up and every PollInterval, at most once per
// MinInterval, until ctx ends; then it returns nil. A failed tick is logged
// and retried at the next trigger. wake may be nil; senders should not
// block on it (Wake's channel has a buffer of one).
func (c *IdentityClusterer) Run(ctx context.Context, wake <-chan struct{}) error {
	tick.Run(ctx, wake, c.o.PollInterval, c.o.MinInterval, c.o.Now, func() {
		res, err := c.RunOnce(ctx)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				c.log.Warn("identity clusterer: tick failed", "err", err)
			}
		case res.Formed+res.Linked+res.Merged+res.Unmerged > 0:
			c.log.Info("identity clusterer: identities changed", "formed", res.Formed, "linked", res.Linked,
				"merged", res.Merged, "unmerged", res.Unmerged, "observations", res.Observations)
		}
	})
	return nil
}

// Wake subscribes to the topics that should wake the clusterer
// (attacker.observed, attacker.scored) and returns a channel for Run and
// the function that unsubscribes.
func Wake(b tick.Subscriber) (<-chan struct{}, func(), error) {
	return tick.Wake(b, bus.AttackerObserved, bus.AttackerScored)
}
