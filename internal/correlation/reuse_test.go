package correlation

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/workertest"
)

// t0 is when the test's credentials are seen; the correlator's clock starts
// a minute later.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     *testing.T
	store *sqlstore.Store
	bus   *bus.Bus
	clock *clock
	got   chan bus.Envelope
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, store: workertest.Store(t), clock: &clock{t: t0.Add(time.Minute)}, got: make(chan bus.Envelope, 100)}
	e.bus = workertest.Bus(t)
	workertest.Subscribe(t, e.bus, func(ev bus.Envelope) { e.got <- ev }, bus.CredentialReuseDetected)
	return e
}

func (e *env) correlator() *ReuseCorrelator {
	e.t.Helper()
	c, err := NewReuseCorrelator(ReuseOptions{Repo: e.store, State: e.store, Attackers: e.store, Publisher: e.bus,
		Now: e.clock.Now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// attempt stores one credential attempt of secret by principal from ip on
// decky:service at ts.
func (e *env) attempt(ts time.Time, ip, decky, service, principal, secret string) {
	e.t.Helper()
	_, err := e.store.CommitBatch(e.t.Context(), []model.IngestRecord{{
		Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: ts, Decky: decky, Service: service,
			EventType: "login_attempt", AttackerIP: ip, RawLine: "-", Fields: map[string]string{}},
		Credential: &model.Credential{Principal: principal, SecretKind: "plaintext",
			SecretSHA256: fmt.Sprintf("%064x", secret), SecretPrintable: secret},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
}

// run calls RunOnce and returns the payloads it published: it publishes a
// marker after the run and reads up to it (one connection's messages arrive
// in order).
func (e *env) run(c *ReuseCorrelator) (ReuseResult, []ReuseDetectedPayload) {
	e.t.Helper()
	res, err := c.RunOnce(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.bus.Publish(e.t.Context(), bus.CredentialReuseDetected, "marker", nil); err != nil {
		e.t.Fatal(err)
	}
	var out []ReuseDetectedPayload
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-e.got:
			if ev.Type == "marker" {
				return res, out
			}
			if ev.Type != "reuse.detected" {
				e.t.Errorf("type %q, want reuse.detected", ev.Type)
			}
			var p ReuseDetectedPayload
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				e.t.Fatal(err)
			}
			out = append(out, p)
		case <-timeout:
			e.t.Fatal("marker never arrived")
		}
	}
}

func (e *env) attacker(ip string) string {
	e.t.Helper()
	a, err := e.store.UpsertAttacker(e.t.Context(), model.Attacker{IP: ip, FirstSeen: t0, LastSeen: t0})
	if err != nil {
		e.t.Fatal(err)
	}
	return a.UUID
}

func TestReuseCorrelatorDetectsGrowsAndDoesNotInflate(t *testing.T) {
	e := newEnv(t)
	c := e.correlator()
	sha := fmt.Sprintf("%064x", "hunter2")

	// One target, however often: nothing.
	e.attempt(t0, "10.0.0.1", "decky-01", "ssh", "root", "hunter2")
	e.attempt(t0, "10.0.0.1", "decky-01", "ssh", "root", "hunter2")
	if res, got := e.run(c); res.Groups != 0 || len(got) != 0 || !res.Full {
		t.Fatalf("one target: %+v, published %+v; want a full run finding nothing", res, got)
	}

	// A second target, from an attacker the profiler knows, and a
	// different principal with the same secret on one target only.
	known := e.attacker("10.0.0.2")
	e.attempt(t0.Add(time.Second), "10.0.0.2", "decky-02", "ssh", "root", "hunter2")
	e.attempt(t0.Add(time.Second), "10.0.0.2", "decky-02", "ssh", "admin", "hunter2")
	e.clock.Add(time.Minute)
	res, got := e.run(c)
	if res.Full || res.Created != 1 || len(got) != 1 {
		t.Fatalf("second target: %+v, published %d; want one incremental creation", res, len(got))
	}
	want := ReuseDetectedPayload{
		ID: got[0].ID, SecretSHA256: sha, SecretKind: "plaintext", Principal: "root", PrincipalKey: "root",
		New: true, TargetCount: 2, Targets: []string{"decky-01:ssh", "decky-02:ssh"},
		Deckies: []string{"decky-01", "decky-02"}, Services: []string{"ssh"}, AttackerCount: 2,
		AttackerIPs: []string{"10.0.0.1", "10.0.0.2"}, AttackerUUIDs: []string{known},
		AttackerIP: "10.0.0.2", AttackerUUID: known, AttemptCount: 3,
		FirstSeen: t0, LastSeen: t0.Add(time.Second),
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	id := got[0].ID

	// QUIRK 9: re-running leaves the true attempt count and publishes
	// nothing.
	for range 2 {
		e.clock.Add(time.Minute)
		if res, got := e.run(c); res.Created+res.Grown+res.Updated != 0 || len(got) != 0 {
			t.Fatalf("re-run: %+v, published %+v; want no change", res, got)
		}
	}
	row, err := e.store.GetReuse(t.Context(), id)
	if err != nil || row.AttemptCount != 3 {
		t.Fatalf("GetReuse = %+v, %v; want attempt_count 3", row, err)
	}

	// More attempts on known targets update the row silently.
	e.attempt(t0.Add(2*time.Second), "10.0.0.1", "decky-02", "ssh", "root", "hunter2")
	e.clock.Add(time.Minute)
	if res, got := e.run(c); res.Updated != 1 || len(got) != 0 {
		t.Fatalf("more attempts: %+v, published %+v; want a silent update", res, got)
	}
	// A new target grows the finding and republishes it, anchored on the
	// newest attacker (not profiled yet: empty uuid, no error).
	e.attempt(t0.Add(3*time.Second), "10.0.0.3", "decky-03", "http", "root", "hunter2")
	e.clock.Add(time.Minute)
	res, got = e.run(c)
	if res.Grown != 1 || len(got) != 1 {
		t.Fatalf("new target: %+v, published %d; want one growth", res, len(got))
	}
	p := got[0]
	if p.ID != id || p.New || p.TargetCount != 3 || p.AttemptCount != 5 || p.AttackerIP != "10.0.0.3" ||
		p.AttackerUUID != "" || !cmp.Equal(p.AttackerUUIDs, []string{known}) {
		t.Errorf("grown payload = %+v", p)
	}
	row, err = e.store.GetReuse(t.Context(), id)
	if err != nil || row.AttemptCount != 5 || row.TargetCount != 3 {
		t.Fatalf("GetReuse = %+v, %v; want 5 attempts on 3 targets", row, err)
	}
}

func TestReuseCorrelatorCursorSurvivesRestart(t *testing.T) {
	e := newEnv(t)
	e.attempt(t0, "10.0.0.1", "decky-01", "ssh", "root", "a")
	e.attempt(t0, "10.0.0.1", "decky-02", "ssh", "root", "a")
	e.clock.Add(time.Hour)
	if res, got := e.run(e.correlator()); !res.Full || len(got) != 1 {
		t.Fatalf("first run: %+v, published %d; want a full run and one finding", res, len(got))
	}
	raw, err := e.store.GetState(t.Context(), CursorKey)
	if err != nil {
		t.Fatal(err)
	}
	var cur reuseCursor
	if err := json.Unmarshal(raw, &cur); err != nil || !cur.Since.Equal(t0.Add(time.Hour+time.Minute-DefaultLookback)) {
		t.Fatalf("stored cursor %s (%v), want since = start - lookback", raw, err)
	}

	// A new instance resumes incrementally: an old group it is not told
	// about again is not recomputed, a fresh one is found.
	e.clock.Add(time.Hour)
	e.attempt(t0.Add(2*time.Hour), "10.0.0.1", "decky-01", "ssh", "root", "b")
	e.attempt(t0.Add(2*time.Hour), "10.0.0.1", "decky-02", "ftp", "root", "b")
	res, got := e.run(e.correlator())
	if res.Full || res.Groups != 1 || res.Created != 1 || len(got) != 1 || got[0].SecretSHA256 != fmt.Sprintf("%064x", "b") {
		t.Fatalf("after restart: %+v, published %+v; want only the new group, incrementally", res, got)
	}

	// Past FullScanEvery the run covers everything again, and finds
	// nothing new.
	e.clock.Add(DefaultFullScanEvery)
	if res, got := e.run(e.correlator()); !res.Full || res.Groups != 2 || len(got) != 0 {
		t.Fatalf("full rescan: %+v, published %+v; want 2 groups, nothing new", res, got)
	}
}

func TestReuseCorrelatorRunWakes(t *testing.T) {
	e := newEnv(t)
	c, err := NewReuseCorrelator(ReuseOptions{Repo: e.store, State: e.store, Attackers: e.store, Publisher: e.bus,
		Now: e.clock.Now, PollInterval: time.Hour, MinInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wake, stop, err := Wake(e.bus)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, wake) }()

	e.attempt(t0, "10.0.0.1", "decky-01", "ssh", "root", "x")
	e.attempt(t0, "10.0.0.1", "decky-02", "ssh", "root", "x")
	// The ingester's notification wakes the correlator well before its
	// hour-long poll.
	deadline := time.After(10 * time.Second)
	for found := false; !found; {
		if err := e.bus.Publish(ctx, bus.CredentialCaptured, "captured", map[string]string{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-e.got:
			found = ev.Type == "reuse.detected"
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatal("no credential.reuse.detected after wake-ups")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

func TestNewReuseCorrelatorNeedsRepositories(t *testing.T) {
	if _, err := NewReuseCorrelator(ReuseOptions{}); err == nil {
		t.Error("no repository: no error")
	}
	var s store.StateRepository
	if _, err := NewReuseCorrelator(ReuseOptions{Repo: (*sqlstore.Store)(nil), State: s}); err == nil {
		t.Error("no state repository: no error")
	}
}
