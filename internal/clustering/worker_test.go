package clustering

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/store/sqlstore"
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
	workertest.Subscribe(t, e.bus, func(ev bus.Envelope) { e.got <- ev }, bus.IdentityAll)
	return e
}

// newUUID names identities in creation order.
func (e *env) newUUID() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.next++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", e.next)
}

func (e *env) clusterer(o Options) *IdentityClusterer {
	e.t.Helper()
	o.Repo, o.Publisher, o.NewUUID = e.store, e.bus, e.newUUID
	c, err := NewIdentityClusterer(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) attacker(ip string, fps ...string) string {
	e.t.Helper()
	a := model.Attacker{IP: ip, FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	for i := 0; i+1 < len(fps); i += 2 {
		a.Fingerprints = append(a.Fingerprints, model.Fingerprint{Type: fps[i], Value: fps[i+1]})
	}
	out, err := e.store.UpsertAttacker(e.t.Context(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	return out.UUID
}

// note is one received notification: topic and decoded payload.
type note struct {
	Topic   string
	Type    string
	Payload map[string]any
}

// tick runs one RunOnce and returns the notifications it published, read
// up to a marker published after it (one connection's messages arrive in
// order).
func (e *env) tick(c *IdentityClusterer) (TickResult, []note) {
	e.t.Helper()
	res, err := c.RunOnce(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.bus.Publish(e.t.Context(), bus.IdentityFormed, "marker", nil); err != nil {
		e.t.Fatal(err)
	}
	return res, e.until("marker")
}

// until collects notifications up to one of type stop.
func (e *env) until(stop string) []note {
	e.t.Helper()
	var out []note
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.got:
			if ev.Type == stop {
				return out
			}
			n := note{Topic: ev.Topic, Type: ev.Type}
			if err := json.Unmarshal(ev.Payload, &n.Payload); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, n)
		case <-timeout:
			e.t.Fatalf("no %q notification arrived", stop)
		}
	}
}

func topics(ns []note) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Topic)
	}
	return out
}

func identityOf(t *testing.T, s *sqlstore.Store, attacker string) string {
	t.Helper()
	a, err := s.GetAttackerByUUID(t.Context(), attacker)
	if err != nil {
		t.Fatal(err)
	}
	return a.IdentityID
}

func TestIdentityClustererTicks(t *testing.T) {
	e := newEnv(t)
	c := e.clusterer(Options{})
	ctx := t.Context()
	a1 := e.attacker("10.0.0.1", "ja3", "ja3-a")
	a2 := e.attacker("10.0.0.2", "ja3", "ja3-a", "hassh", "hassh-a")
	b1 := e.attacker("10.0.0.3", "hassh", "hassh-b")
	// Shared C2 with distinct JA3s: two identities (§4 fixture contract).
	c1 := e.attacker("10.0.0.4", "ja3", "ja3-c1", "c2_endpoint", "evil:4444")
	c2 := e.attacker("10.0.0.5", "ja3", "ja3-c2", "c2_endpoint", "evil:4444")

	res, got := e.tick(c)
	if res.Observations != 5 || res.Formed != 4 || res.Linked != 5 || res.Published != 4 {
		t.Errorf("first tick = %+v; want 5 observations, 4 formed, 5 linked, 4 published", res)
	}
	if diff := cmp.Diff([]string{bus.IdentityFormed, bus.IdentityFormed, bus.IdentityFormed, bus.IdentityFormed},
		topics(got)); diff != "" {
		t.Fatalf("first tick topics (-want +got):\n%s", diff)
	}
	ia := identityOf(t, e.store, a1)
	if ia == "" || identityOf(t, e.store, a2) != ia {
		t.Fatalf("a1, a2 identities = %q, %q; want one shared", ia, identityOf(t, e.store, a2))
	}
	ib, ic1, ic2 := identityOf(t, e.store, b1), identityOf(t, e.store, c1), identityOf(t, e.store, c2)
	if ib == ia || ic1 == ic2 || ic1 == "" || ic2 == "" {
		t.Fatalf("identities a=%s b=%s c1=%s c2=%s; want b, c1, c2 apart", ia, ib, ic1, ic2)
	}
	for _, n := range got {
		if n.Payload["identity_uuid"] == ia {
			if diff := cmp.Diff([]any{a1, a2}, n.Payload["observation_uuids"],
				cmp.Transformer("sort", sortAny)); diff != "" {
				t.Errorf("formed observation_uuids (-want +got):\n%s", diff)
			}
		}
	}
	ident, err := e.store.GetIdentity(ctx, ia)
	if err != nil || ident.ObservationCount != 2 || !cmp.Equal(ident.JA3Hashes, []string{"ja3-a"}) ||
		!cmp.Equal(ident.HASSHHashes, []string{"hassh-a"}) {
		t.Errorf("identity a = %+v, %v; want 2 members with ja3-a and hassh-a", ident, err)
	}

	// Re-running changes nothing and publishes nothing.
	if res, got := e.tick(c); res.Formed+res.Linked+res.Merged+res.Unmerged != 0 || len(got) != 0 {
		t.Errorf("idle tick = %+v, published %v; want nothing", res, got)
	}

	// A newcomer sharing a's JA3 and b's HASSH joins both: it is linked to
	// the smaller identity uuid and the other is merged into it.
	x := e.attacker("10.0.0.6", "ja3", "ja3-a", "hassh", "hassh-b")
	winner, loser := min(ia, ib), max(ia, ib)
	_, got = e.tick(c)
	want := []note{
		{Topic: bus.IdentityObservationLinked, Type: TypeLinked,
			Payload: map[string]any{"identity_uuid": winner, "observation_uuid": x}},
		{Topic: bus.IdentityMerged, Type: TypeMerged,
			Payload: map[string]any{"winner_uuid": winner, "loser_uuid": loser}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge tick (-want +got):\n%s", diff)
	}
	ident, err = e.store.GetIdentity(ctx, loser)
	if err != nil || ident.UUID != winner || ident.ObservationCount != 4 {
		t.Errorf("GetIdentity(loser) = %+v, %v; want the winner with 4 members", ident, err)
	}
	if identityOf(t, e.store, b1) != ib {
		t.Errorf("b1 re-pointed to %s; soft merge keeps %s", identityOf(t, e.store, b1), ib)
	}

	// The bridge drops its fingerprints: the merged identity is resurrected.
	if _, err := e.store.UpsertAttacker(ctx, model.Attacker{IP: "10.0.0.6", FirstSeen: t0, LastSeen: t0,
		IdentityID: winner}); err != nil {
		t.Fatal(err)
	}
	_, got = e.tick(c)
	want = []note{{Topic: bus.IdentityUnmerged, Type: TypeUnmerged,
		Payload: map[string]any{"resurrected_uuid": loser, "former_winner_uuid": winner}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("unmerge tick (-want +got):\n%s", diff)
	}
	page, total, err := e.store.ListIdentities(ctx, 0, 0)
	if err != nil || total != 4 || len(page) != 4 {
		t.Errorf("ListIdentities = %d rows, total %d, %v; want 4 live", len(page), total, err)
	}
}

func sortAny(v []any) []string {
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprint(x))
	}
	return distinct(out)
}

func TestIdentityClustererRunWakesOnAttackerNotifications(t *testing.T) {
	e := newEnv(t)
	c := e.clusterer(Options{PollInterval: time.Hour, MinInterval: time.Millisecond})
	wake, stop, err := Wake(e.bus)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx, wake)
	}()
	defer func() { cancel(); <-done }()

	for i, topic := range []string{bus.AttackerObserved, bus.AttackerScored} {
		id := e.attacker(fmt.Sprintf("10.0.1.%d", i), "ja3", fmt.Sprintf("j%d", i))
		// Runs may already be under way; keep nudging until this
		// attacker's identity is announced.
		deadline := time.After(10 * time.Second)
	wait:
		for {
			if err := e.bus.Publish(t.Context(), topic, "test", map[string]any{"attacker_ip": "x"}); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-e.got:
				var p FormedPayload
				if err := json.Unmarshal(ev.Payload, &p); err != nil {
					t.Fatal(err)
				}
				if ev.Topic == bus.IdentityFormed && len(p.ObservationUUIDs) == 1 && p.ObservationUUIDs[0] == id {
					break wait
				}
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatalf("%s never woke the clusterer", topic)
			}
		}
	}
}

func TestNewIdentityClustererNeedsRepo(t *testing.T) {
	if _, err := NewIdentityClusterer(Options{}); err == nil {
		t.Error("NewIdentityClusterer without a repository succeeded")
	}
	var _ store.IdentityClusterRepository = (*sqlstore.Store)(nil)
}

// seedObservations writes obs as attackers rows in one transaction,
// straight through SQL: the profiler's upsert one row at a time would
// dominate the benchmark's setup.
func seedObservations(tb testing.TB, s *sqlstore.Store, obs []Observation) {
	tb.Helper()
	ctx := tb.Context()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, "INSERT INTO attackers (uuid, ip, first_seen, last_seen, services, deckies, "+
		"fingerprints, commands, asn, updated_at) VALUES (?, ?, ?, ?, '[]', '[]', ?, '[]', ?, ?)")
	if err != nil {
		tb.Fatal(err)
	}
	const layout = "2006-01-02 15:04:05.000000"
	for i, o := range obs {
		var fps []model.Fingerprint
		for _, l := range []struct {
			typ  string
			vals []string
		}{{FPJA3, o.JA3}, {FPHASSH, o.HASSH}, {FPJA4H, o.JA4H}, {FPPayloadSHA256, o.PayloadHashes},
			{FPC2Endpoint, o.C2Endpoints}} {
			for _, v := range l.vals {
				fps = append(fps, model.Fingerprint{Type: l.typ, Value: v})
			}
		}
		raw, err := json.Marshal(fps)
		if err != nil {
			tb.Fatal(err)
		}
		var asn any
		if o.ASN != 0 {
			asn = o.ASN
		}
		if _, err := st.ExecContext(ctx, o.ID, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255),
			o.FirstSeen.Format(layout), o.LastSeen.Format(layout), string(raw), asn, t0.Format(layout)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTickSQLite100k measures whole ticks over 100 000 attackers in
// SQLite: load, cluster, reconcile and apply. The first tick (every
// identity formed, every attacker linked) is reported as first-tick-s; the
// loop measures steady ticks, where rollups are compared and nothing is
// written.
func BenchmarkTickSQLite100k(b *testing.B) {
	s := workertest.Store(b)
	seedObservations(b, s, synthetic(100_000))
	c, err := NewIdentityClusterer(Options{Repo: s})
	if err != nil {
		b.Fatal(err)
	}
	var identities int
	workertest.BenchTicks(b, func() error {
		res, err := c.RunOnce(b.Context())
		identities = res.Identities
		return err
	})
	b.ReportMetric(float64(identities), "identities")
}
