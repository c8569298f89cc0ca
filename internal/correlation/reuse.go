// Package correlation holds decnet's cross-event correlators: workers that
// read what the ingester and profiler stored and derive findings spanning
// several attackers or targets. The credential-reuse correlator
// (pipeline.md §6) is the first.
package correlation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/tick"
)

// Defaults for ReuseOptions.
const (
	// DefaultMinTargets is the original's threshold: a secret tried on two
	// distinct decky:service pairs is reuse.
	DefaultMinTargets = 2
	// DefaultPollInterval is the original worker's poll fallback; wake-ups
	// (credential.captured, attacker.observed) make it rarely matter.
	DefaultPollInterval = 60 * time.Second
	// DefaultMinInterval spaces runs under a storm of wake-ups: a brute
	// force captures many credentials a second, and one recomputation
	// covers all of them.
	DefaultMinInterval = time.Second
	// DefaultLookback is how far before its last run's start an
	// incremental run looks. Credentials carry their event's time, which
	// can trail the wall clock (collector buffering, ingest backlog);
	// this much lag costs nothing.
	DefaultLookback = 10 * time.Minute
	// DefaultFullScanEvery bounds how long a credential stamped further in
	// the past than Lookback can go unnoticed: such runs recompute every
	// group.
	DefaultFullScanEvery = 6 * time.Hour
	// CursorKey is the state-table key holding the correlator's cursor.
	CursorKey = "correlation.reuse.cursor"
	// maxPayloadList caps each list in a credential.reuse.detected payload,
	// keeping a password tried by thousands of addresses well under the
	// bus's 1 MiB message limit; the counts give the totals.
	maxPayloadList = 1000
	// maxUUIDCache bounds the remembered ip → attacker uuid lookups.
	maxUUIDCache = 100_000
	// publishTimeout bounds one notification.
	publishTimeout = 2 * time.Second
)

// Publisher sends notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// AttackerLookup finds the attacker row of a source address;
// store.AttackerRepository implements it. An address without a row is
// store.ErrNotFound.
type AttackerLookup interface {
	GetAttackerUUIDByIP(ctx context.Context, ip string) (string, error)
}

// ReuseRepository is the part of the store the correlator uses.
type ReuseRepository interface {
	FindReuse(ctx context.Context, minTargets int, since time.Time) ([]model.CredentialReuse, error)
	UpsertReuse(ctx context.Context, r model.CredentialReuse) (store.ReuseUpsert, error)
}

// ReuseOptions configures a ReuseCorrelator. Repo and State are required.
type ReuseOptions struct {
	Repo ReuseRepository
	// State keeps the cursor, so a restarted correlator resumes.
	State store.StateRepository
	// Attackers resolves source addresses to attacker uuids; nil leaves
	// uuids to what the credentials carry.
	Attackers AttackerLookup
	// Publisher receives credential.reuse.detected; nil disables it.
	Publisher Publisher
	// MinTargets is the distinct decky:service pairs a finding needs.
	MinTargets int
	// PollInterval is how often Run recomputes without a wake-up.
	PollInterval time.Duration
	// MinInterval is the least time between two runs of Run.
	MinInterval time.Duration
	// Lookback and FullScanEvery shape incremental runs (see the defaults).
	Lookback      time.Duration
	FullScanEvery time.Duration
	// Logger receives failures; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ReuseCorrelator recomputes credential reuse findings and announces new
// and widened ones on credential.reuse.detected.
type ReuseCorrelator struct {
	o   ReuseOptions
	log *slog.Logger

	mu     sync.Mutex // serialises RunOnce
	cursor *reuseCursor
	uuids  map[string]string // ip → attacker uuid, found ones only
}

// reuseCursor is the state-table document under CursorKey.
type reuseCursor struct {
	// Since is where the next incremental run starts (credentials.last_seen).
	Since time.Time `json:"since"`
	// FullScanAt is when the last run over every group started.
	FullScanAt time.Time `json:"full_scan_at"`
}

// ReuseResult reports what one RunOnce did.
type ReuseResult struct {
	// Full is true when the run recomputed every group.
	Full bool
	// Groups is the number of groups recomputed.
	Groups int
	// Created, Grown and Updated count new findings, findings that gained
	// a target, and other changed findings.
	Created, Grown, Updated int
	// Published counts credential.reuse.detected notifications sent.
	Published int
}

// ReuseDetectedPayload is the payload of credential.reuse.detected. Unlike
// the original's (lists as JSON strings, no single attacker), lists are JSON
// arrays, capped at 1000 entries each (the counts are totals), and
// AttackerIP/AttackerUUID anchor the finding to its most recent attacker so
// taggers keyed on one attacker can use it.
type ReuseDetectedPayload struct {
	ID           string `json:"id"`
	SecretSHA256 string `json:"secret_sha256"`
	SecretKind   string `json:"secret_kind"`
	Principal    string `json:"principal"`
	PrincipalKey string `json:"principal_key"`
	// New is true for a first detection, false for a finding that gained a
	// target.
	New           bool      `json:"new"`
	TargetCount   int       `json:"target_count"`
	Targets       []string  `json:"targets"`
	Deckies       []string  `json:"deckies"`
	Services      []string  `json:"services"`
	AttackerCount int       `json:"attacker_count"`
	AttackerIPs   []string  `json:"attacker_ips"`
	AttackerUUIDs []string  `json:"attacker_uuids"`
	AttackerIP    string    `json:"attacker_ip"`
	AttackerUUID  string    `json:"attacker_uuid"`
	AttemptCount  int64     `json:"attempt_count"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
}

// NewReuseCorrelator checks o and fills its defaults.
func NewReuseCorrelator(o ReuseOptions) (*ReuseCorrelator, error) {
	if o.Repo == nil {
		return nil, errors.New("correlation: reuse: repository is required")
	}
	if o.State == nil {
		return nil, errors.New("correlation: reuse: state repository is required")
	}
	if o.MinTargets <= 0 {
		o.MinTargets = DefaultMinTargets
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.MinInterval <= 0 {
		o.MinInterval = DefaultMinInterval
	}
	if o.Lookback <= 0 {
		o.Lookback = DefaultLookback
	}
	if o.FullScanEvery <= 0 {
		o.FullScanEvery = DefaultFullScanEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &ReuseCorrelator{o: o, log: o.Logger.With("component", "reuse-correlator"), uuids: map[string]string{}}, nil
}

// loadCursor reads the cursor once; a missing one means start with a full
// run.
func (c *ReuseCorrelator) loadCursor(ctx context.Context) error {
	if c.cursor != nil {
		return nil
	}
	cur := &reuseCursor{}
	raw, err := c.o.State.GetState(ctx, CursorKey)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(raw, cur); err != nil {
			c.log.Warn("reuse correlator: unreadable cursor, starting over", "err", err)
			cur = &reuseCursor{}
		}
	}
	c.cursor = cur
	return nil
}

// RunOnce recomputes the groups with credentials seen since the cursor (all
// of them on the first run and every FullScanEvery), stores them, publishes
// credential.reuse.detected for new findings and findings that gained a
// target, and advances the cursor. Re-running changes nothing stored and
// publishes nothing. On error the cursor stays, so the next run redoes the
// work.
func (c *ReuseCorrelator) RunOnce(ctx context.Context) (res ReuseResult, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.loadCursor(ctx); err != nil {
		return res, fmt.Errorf("correlation: reuse: load cursor: %w", err)
	}
	start := c.o.Now().UTC()
	since := c.cursor.Since
	if since.IsZero() || start.Sub(c.cursor.FullScanAt) >= c.o.FullScanEvery {
		since, res.Full = time.Time{}, true
	}
	groups, err := c.o.Repo.FindReuse(ctx, c.o.MinTargets, since)
	if err != nil {
		return res, fmt.Errorf("correlation: reuse: %w", err)
	}
	res.Groups = len(groups)
	for _, g := range groups {
		anchor, err := c.resolve(ctx, &g)
		if err != nil {
			return res, fmt.Errorf("correlation: reuse: %w", err)
		}
		up, err := c.o.Repo.UpsertReuse(ctx, g)
		if err != nil {
			return res, fmt.Errorf("correlation: reuse: %w", err)
		}
		switch {
		case up.Created:
			res.Created++
		case up.Grown:
			res.Grown++
		case up.Changed:
			res.Updated++
		}
		if (up.Created || up.Grown) && c.publish(ctx, payload(up, g, anchor)) {
			res.Published++
		}
	}
	next := reuseCursor{Since: start.Add(-c.o.Lookback), FullScanAt: c.cursor.FullScanAt}
	if res.Full {
		next.FullScanAt = start
	}
	raw, err := json.Marshal(next)
	if err == nil {
		err = c.o.State.SetState(ctx, CursorKey, raw)
	}
	if err != nil {
		return res, fmt.Errorf("correlation: reuse: save cursor: %w", err)
	}
	*c.cursor = next
	return res, nil
}

// resolve adds the attacker uuids known for g's addresses to those its
// credentials carry, and returns the uuid of its anchor address ("" when
// the profiler has not seen it yet).
func (c *ReuseCorrelator) resolve(ctx context.Context, g *model.CredentialReuse) (anchor string, err error) {
	if c.o.Attackers == nil {
		return "", nil
	}
	uuids := slices.Clone(g.AttackerUUIDs)
	for _, ip := range g.AttackerIPs {
		u, err := c.lookup(ctx, ip)
		if err != nil {
			return "", err
		}
		if u != "" {
			uuids = append(uuids, u)
		}
		if ip == g.LastAttackerIP {
			anchor = u
		}
	}
	slices.Sort(uuids)
	g.AttackerUUIDs = slices.Compact(uuids)
	return anchor, nil
}

// lookup returns ip's attacker uuid, "" when there is none yet. Found uuids
// are remembered (an address keeps its row); misses are asked again.
func (c *ReuseCorrelator) lookup(ctx context.Context, ip string) (string, error) {
	if u, ok := c.uuids[ip]; ok {
		return u, nil
	}
	u, err := c.o.Attackers.GetAttackerUUIDByIP(ctx, ip)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("attacker uuid of %s: %w", ip, err)
	}
	if len(c.uuids) >= maxUUIDCache {
		clear(c.uuids)
	}
	c.uuids[ip] = u
	return u, nil
}

func payload(up store.ReuseUpsert, g model.CredentialReuse, anchor string) ReuseDetectedPayload {
	capped := func(v []string) []string {
		if v == nil {
			return []string{}
		}
		return v[:min(len(v), maxPayloadList)]
	}
	return ReuseDetectedPayload{
		ID: up.ID, SecretSHA256: g.SecretSHA256, SecretKind: g.SecretKind, Principal: g.Principal,
		PrincipalKey: g.PrincipalKey, New: up.Created, TargetCount: g.TargetCount, Targets: capped(g.Targets),
		Deckies: capped(g.Deckies), Services: capped(g.Services), AttackerCount: len(g.AttackerIPs),
		AttackerIPs: capped(g.AttackerIPs), AttackerUUIDs: capped(g.AttackerUUIDs), AttackerIP: g.LastAttackerIP,
		AttackerUUID: anchor, AttemptCount: g.AttemptCount, FirstSeen: g.FirstSeen, LastSeen: g.LastSeen,
	}
}

// publish sends p, logging a failure: the finding is stored either way, and
// bus delivery is at most once.
func (c *ReuseCorrelator) publish(ctx context.Context, p ReuseDetectedPayload) bool {
	if c.o.Publisher == nil {
		return false
	}
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := c.o.Publisher.Publish(pctx, bus.CredentialReuseDetected, "reuse.detected", p); err != nil {
		c.log.Warn("reuse correlator: publish failed", "id", p.ID, "err", err)
		return false
	}
	return true
}

// Run calls RunOnce now, on every wake-up and every PollInterval, at most
// once per MinInterval, until ctx ends; then it returns nil. A failed run
// is logged and retried at the next trigger. wake may be nil; senders
// should not block on it (a buffer of one and a non-blocking send suffice,
// as Wake does).
func (c *ReuseCorrelator) Run(ctx context.Context, wake <-chan struct{}) error {
	tick.Run(ctx, wake, c.o.PollInterval, c.o.MinInterval, nil, func() {
		if res, err := c.RunOnce(ctx); err != nil {
			if ctx.Err() == nil {
				c.log.Warn("reuse correlator: run failed", "err", err)
			}
		} else if res.Created+res.Grown > 0 {
			c.log.Info("reuse correlator: findings", "created", res.Created, "grown", res.Grown, "groups", res.Groups)
		}
	})
	return nil
}

// Wake subscribes to the topics that should wake the reuse correlator
// (credential.captured, attacker.observed) and returns a channel for Run
// and the function that unsubscribes.
func Wake(b tick.Subscriber) (<-chan struct{}, func(), error) {
	return tick.Wake(b, bus.CredentialCaptured, bus.AttackerObserved)
}
