package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/workertest"
)

type env struct {
	t     *testing.T
	store *sqlstore.Store
	bus   *bus.Bus
	got   chan bus.Envelope

	mu   sync.Mutex
	next int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, store: workertest.Store(t), got: make(chan bus.Envelope, 1000)}
	e.bus = workertest.Bus(t)
	workertest.Subscribe(t, e.bus, func(ev bus.Envelope) { e.got <- ev }, bus.CampaignAll, bus.IdentityCampaignAssigned)
	return e
}

func (e *env) newUUID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	return fmt.Sprintf("00000000-0000-4000-8000-00000000c%03d", e.next)
}

// identity stores an attacker and an identity holding it.
func (e *env) identity(n int) (attacker, identity string) {
	e.t.Helper()
	a, err := e.store.UpsertAttacker(e.t.Context(), model.Attacker{IP: fmt.Sprintf("10.0.0.%d", n), FirstSeen: t0,
		LastSeen: t0.Add(h)})
	if err != nil {
		e.t.Fatal(err)
	}
	identity = fmt.Sprintf("00000000-0000-4000-8000-0000000000%02d", n)
	if err := e.store.ApplyIdentityPlan(e.t.Context(), store.IdentityPlan{Formed: []string{identity},
		Links:   []store.IdentityLink{{AttackerUUID: a.UUID, IdentityUUID: identity}},
		Rollups: []store.IdentityRollup{{UUID: identity, ObservationCount: 1}}}); err != nil {
		e.t.Fatal(err)
	}
	return a.UUID, identity
}

func (e *env) tag(attacker, decky, tactic string, at time.Time) {
	e.t.Helper()
	src := fmt.Sprintf("%s-%s-%s", attacker, decky, tactic)
	if _, err := e.store.InsertTTPTags(e.t.Context(), []model.TTPTag{{
		UUID: ttp.TagUUID(ttp.KindCommand, src, "R0001", 1, "T1082", ""), SourceKind: ttp.KindCommand, SourceID: src,
		AttackerUUID: attacker, DeckyID: decky, Tactic: tactic, TechniqueID: "T1082", Confidence: 0.9, RuleID: "R0001",
		RuleVersion: 1, Evidence: json.RawMessage(`{}`), AttackRelease: "v18.1", CreatedAt: at}}); err != nil {
		e.t.Fatal(err)
	}
}

type note struct {
	Topic   string
	Type    string
	Payload map[string]any
}

// tick runs RunOnce and returns what it published, read up to markers.
func (e *env) tick(c *CampaignClusterer) (TickResult, []note) {
	e.t.Helper()
	res, err := c.RunOnce(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	// Each subscription delivers in order, so a marker behind each means
	// everything before it arrived.
	for _, topic := range []string{bus.CampaignFormed, bus.IdentityCampaignAssigned} {
		if err := e.bus.Publish(e.t.Context(), topic, "marker", nil); err != nil {
			e.t.Fatal(err)
		}
	}
	var out []note
	markers := 0
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.got:
			if ev.Type == "marker" {
				if markers++; markers == 2 {
					return res, out
				}
				continue
			}
			n := note{Topic: ev.Topic, Type: ev.Type}
			if err := json.Unmarshal(ev.Payload, &n.Payload); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, n)
		case <-deadline:
			e.t.Fatal("no marker")
		}
	}
}

// byTopic orders notes campaign.* first, keeping each topic root's order.
func byTopic(ns []note) []note {
	return slices.Concat(
		slices.DeleteFunc(slices.Clone(ns), func(n note) bool { return n.Topic == bus.IdentityCampaignAssigned }),
		slices.DeleteFunc(slices.Clone(ns), func(n note) bool { return n.Topic != bus.IdentityCampaignAssigned }))
}

func TestCampaignClustererTicksAndAnnounces(t *testing.T) {
	e := newEnv(t)
	c, err := NewCampaignClusterer(Options{Repo: e.store, Publisher: e.bus, NewUUID: e.newUUID})
	if err != nil {
		t.Fatal(err)
	}
	a1, i1 := e.identity(1)
	a2, _ := e.identity(2)
	res, notes := e.tick(c)
	if res.Formed != 2 || res.Assigned != 2 {
		t.Fatalf("first tick %+v", res)
	}
	// Two subscriptions interleave; each keeps its own order.
	notes = byTopic(notes)
	var topics []string
	for _, n := range notes {
		topics = append(topics, n.Topic)
	}
	want := []string{bus.CampaignFormed, bus.CampaignFormed, bus.IdentityCampaignAssigned, bus.IdentityCampaignAssigned}
	if diff := cmp.Diff(want, topics); diff != "" {
		t.Fatalf("topics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"campaign_uuid": "00000000-0000-4000-8000-00000000c001",
		"identity_uuids": []any{i1}, "identity_count": float64(1)}, notes[0].Payload); diff != "" {
		t.Errorf("campaign.formed payload (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"identity_uuid": i1, "campaign_uuid": "00000000-0000-4000-8000-00000000c001",
		"prior_campaign_uuid": nil}, notes[2].Payload); diff != "" {
		t.Errorf("identity.campaign.assigned payload (-want +got):\n%s", diff)
	}
	if res, notes := e.tick(c); res.Formed+res.Assigned+res.Merged+res.Unmerged != 0 || len(notes) != 0 {
		t.Fatalf("steady tick %+v published %v", res, notes)
	}

	// A C2 → discovery hand-off: the campaigns merge.
	e.tag(a1, "decky-01", "TA0011", t0)
	e.tag(a2, "decky-01", "TA0007", t0.Add(2*h))
	_, notes = e.tick(c)
	if len(notes) != 1 || notes[0].Topic != bus.CampaignMerged || notes[0].Type != TypeMerged {
		t.Fatalf("after the hand-off: %+v; want one campaign.merged", notes)
	}
	if diff := cmp.Diff(map[string]any{"winner_uuid": "00000000-0000-4000-8000-00000000c001",
		"loser_uuid": "00000000-0000-4000-8000-00000000c002"}, notes[0].Payload); diff != "" {
		t.Errorf("campaign.merged payload (-want +got):\n%s", diff)
	}

	// A third identity handed over to joins the winner.
	a3, i3 := e.identity(3)
	e.tag(a2, "decky-02", "TA0003", t0.Add(3*h))
	e.tag(a3, "decky-02", "TA0008", t0.Add(4*h))
	_, notes = e.tick(c)
	notes = byTopic(notes)
	topics = topics[:0]
	for _, n := range notes {
		topics = append(topics, n.Topic+"/"+n.Type)
	}
	want = []string{bus.CampaignIdentityAssigned + "/" + TypeIdentityAssigned,
		bus.IdentityCampaignAssigned + "/" + TypeCampaignAssigned}
	if diff := cmp.Diff(want, topics); diff != "" {
		t.Fatalf("topics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"campaign_uuid": "00000000-0000-4000-8000-00000000c001", "identity_uuid": i3,
		"prior_campaign_uuid": nil}, notes[0].Payload); diff != "" {
		t.Errorf("campaign.identity.assigned payload (-want +got):\n%s", diff)
	}
	members, total, err := e.store.ListCampaignIdentities(t.Context(), "00000000-0000-4000-8000-00000000c002", 10, 0)
	if err != nil || total != 3 {
		t.Fatalf("ListCampaignIdentities = %v, %d, %v; want all three through the merge", members, total, err)
	}
}

// failingPhases is a repository whose phase reads fail: the bulk one
// always, the per-identity one for the identities in fail.
type failingPhases struct {
	store.CampaignClusterRepository
	fail map[string]bool
}

func (f failingPhases) ListDeckyPhasesByIdentity(context.Context) (map[string][]store.DeckyPhase, error) {
	return nil, errors.New("ttp_tag is unreachable")
}

func (f failingPhases) ListTTPDeckyPhases(ctx context.Context, id string) ([]store.DeckyPhase, error) {
	if f.fail[id] {
		return nil, errors.New("ttp_tag is unreachable for " + id)
	}
	return f.CampaignClusterRepository.ListTTPDeckyPhases(ctx, id)
}

// TestPhaseReadFailuresAreNotFatal pins the original's fallback: when tag
// phases cannot be read, the identity concerned is clustered with an empty
// hand-off signal and the tick (and the worker) carry on.
func TestPhaseReadFailuresAreNotFatal(t *testing.T) {
	e := newEnv(t)
	a1, i1 := e.identity(1)
	a2, i2 := e.identity(2)
	a3, _ := e.identity(3)
	e.tag(a1, "decky-01", "TA0011", t0)
	e.tag(a2, "decky-01", "TA0007", t0.Add(h))
	e.tag(a3, "decky-01", "TA0008", t0.Add(2*h))
	repo := failingPhases{CampaignClusterRepository: e.store, fail: map[string]bool{i2: true}}
	c, err := NewCampaignClusterer(Options{Repo: repo, NewUUID: e.newUUID})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.RunOnce(t.Context())
	if err != nil {
		t.Fatalf("RunOnce: %v; want the failure absorbed", err)
	}
	if res.PhaseFailures != 1 || res.Formed != 2 {
		t.Fatalf("tick %+v; want one phase failure and two campaigns (i1 with i3, i2 alone)", res)
	}
	got := map[string]string{}
	for _, id := range []string{i1, i2} {
		m, err := e.store.GetIdentity(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		got[id] = m.CampaignID
	}
	if got[i1] == got[i2] {
		t.Errorf("i2 without phases joined i1's campaign: %v", got)
	}

	// Run keeps going across failing ticks: a broken store is logged and
	// retried, and the context ends it.
	broken := failingPhases{CampaignClusterRepository: brokenRepo{e.store}}
	w, err := NewCampaignClusterer(Options{Repo: broken, PollInterval: 10 * time.Millisecond,
		MinInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := w.Run(ctx, nil); err != nil {
		t.Errorf("Run = %v; want nil after ctx ends", err)
	}
}

// brokenRepo fails every read.
type brokenRepo struct {
	store.CampaignClusterRepository
}

func (brokenRepo) ListCampaignInputIdentities(context.Context) ([]store.CampaignIdentity, error) {
	return nil, errors.New("database is down")
}

func TestRunWakesOnIdentityNotifications(t *testing.T) {
	e := newEnv(t)
	c, err := NewCampaignClusterer(Options{Repo: e.store, Publisher: e.bus, NewUUID: e.newUUID,
		PollInterval: time.Hour, MinInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wake, unsubscribe, err := Wake(e.bus)
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx, wake); close(done) }()
	defer func() { cancel(); <-done }()
	// The first tick runs at once over an empty store; then an identity
	// appears and identity.formed wakes the worker.
	_, id := e.identity(1)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := e.bus.Publish(t.Context(), bus.IdentityFormed, "formed", map[string]any{"identity_uuid": id}); err != nil {
			t.Fatal(err)
		}
		m, err := e.store.GetIdentity(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.CampaignID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("identity never got a campaign")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !slices.Contains(WakeTopics, bus.TTPTagged) || slices.Contains(WakeTopics, bus.IdentityCampaignAssigned) {
		t.Errorf("WakeTopics = %v; want ttp.tagged and not our own identity.campaign.assigned", WakeTopics)
	}
}

func TestNewCampaignClustererNeedsRepo(t *testing.T) {
	if _, err := NewCampaignClusterer(Options{}); err == nil {
		t.Fatal("no error without a repository")
	}
}

// seedSynthetic stores the synthetic population straight through SQL
// (identities, one attacker each, their tags): one row at a time through
// the profiler and the tagger would dominate the benchmark's setup.
func seedSynthetic(tb testing.TB, s *sqlstore.Store, in []syntheticInput) {
	tb.Helper()
	ctx := tb.Context()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	const layout = "2006-01-02 15:04:05.000000"
	jsonList := func(v []string) any {
		if len(v) == 0 {
			return nil
		}
		raw, _ := json.Marshal(v)
		return string(raw)
	}
	for i, x := range in {
		var kd any
		if x.id.KDDigraphSimhash != nil {
			kd = x.id.KDDigraphSimhash
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO attacker_identities (uuid, created_at, updated_at, "+
			"first_seen_at, last_seen_at, observation_count, payload_simhashes, c2_endpoints, kd_digraph_simhash) "+
			"VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?)", x.id.UUID, t0.Format(layout), t0.Format(layout),
			x.id.FirstSeenAt.Format(layout), x.id.LastSeenAt.Format(layout), jsonList(x.id.PayloadHashes),
			jsonList(x.id.C2Endpoints), kd); err != nil {
			tb.Fatal(err)
		}
		a := x.attackers[0]
		if _, err := tx.ExecContext(ctx, "INSERT INTO attackers (uuid, ip, identity_id, first_seen, last_seen, "+
			"services, deckies, fingerprints, commands, asn, updated_at) VALUES (?, ?, ?, ?, ?, '[]', ?, '[]', '[]', ?, ?)",
			a.UUID, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), x.id.UUID, a.FirstSeen.Format(layout),
			a.LastSeen.Format(layout), jsonList(a.Deckies), a.ASN, t0.Format(layout)); err != nil {
			tb.Fatal(err)
		}
		for k, p := range x.phases {
			if _, err := tx.ExecContext(ctx, "INSERT INTO ttp_tag (uuid, source_kind, source_id, attacker_uuid, "+
				"decky_id, tactic, technique_id, confidence, rule_id, rule_version, evidence, attack_release, created_at) "+
				"VALUES (?, 'command', ?, ?, ?, ?, 'T1082', 0.9, 'R0001', 1, '{}', 'v18.1', ?)",
				fmt.Sprintf("%s-%d", a.UUID, k), a.UUID, a.UUID, p.DeckyID, p.Tactic, p.CreatedAt.Format(layout)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTickSQLite10k measures whole ticks over 10 000 identities (one
// attacker each, 35 000 tags) in SQLite: load, project, cluster, reconcile
// and apply. The first tick (every campaign formed, every identity
// assigned) is reported as first-tick-s; the loop measures steady ticks.
func BenchmarkTickSQLite10k(b *testing.B) {
	s := workertest.Store(b)
	seedSynthetic(b, s, syntheticInputs(10_000))
	c, err := NewCampaignClusterer(Options{Repo: s})
	if err != nil {
		b.Fatal(err)
	}
	var campaigns int
	workertest.BenchTicks(b, func() error {
		res, err := c.RunOnce(b.Context())
		campaigns = res.Campaigns
		return err
	})
	b.ReportMetric(float64(campaigns), "campaigns")
}
