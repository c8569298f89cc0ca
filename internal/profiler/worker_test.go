package profiler

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/workertest"
)

// workerEnv is a real SQLite store and embedded bus, with the notifications
// the worker publishes and the events it emits collected.
type workerEnv struct {
	t     *testing.T
	store *sqlstore.Store
	bus   *bus.Bus

	mu       sync.Mutex
	notes    []bus.Envelope
	emitted  []model.Event
	floor    atomic.Uint64
	useFloor bool
	maxBytes int
}

func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	e := &workerEnv{t: t, store: workertest.Store(t)}
	e.bus = workertest.Bus(t)
	workertest.Subscribe(t, e.bus, func(ev bus.Envelope) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.notes = append(e.notes, ev)
	}, bus.AttackerAll)
	return e
}

// start runs a worker on the durable consumer named durable until the
// returned stop is called.
func (e *workerEnv) start(durable string) (stop func()) {
	e.t.Helper()
	c, err := e.bus.EventConsumer(e.t.Context(), durable)
	if err != nil {
		e.t.Fatal(err)
	}
	o := WorkerOptions{
		Source: c, Repo: e.store, Publisher: e.bus, FlushInterval: 20 * time.Millisecond,
		Emit: func(ev model.Event) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.emitted = append(e.emitted, ev)
		},
		Enrich: func(ip string) Enrichment {
			return Enrichment{CountryCode: "NL", CountrySource: "maxmind", ASN: 64500, ASName: "Example Net",
				BGPPrefix: "203.0.113.0/24", ASNSource: "maxmind"}
		},
	}
	o.MaxResidentBytes = e.maxBytes
	if e.useFloor {
		o.IngestFloor = func(context.Context) (uint64, error) { return e.floor.Load(), nil }
	}
	w, err := NewWorker(o)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	return func() { cancel(); <-done }
}

func (e *workerEnv) publish(evs ...model.Event) {
	e.t.Helper()
	for _, ev := range evs {
		ev.ID = uuid.Must(uuid.NewV7()).String()
		if err := e.bus.PublishEvent(e.t.Context(), ev); err != nil {
			e.t.Fatal(err)
		}
	}
}

// waitAttacker polls until ip's row satisfies ok.
func (e *workerEnv) waitAttacker(ip string, ok func(model.Attacker) bool) model.Attacker {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last model.Attacker
	for time.Now().Before(deadline) {
		id, err := e.store.GetAttackerUUIDByIP(e.t.Context(), ip)
		if err == nil {
			if last, err = e.store.GetAttackerByUUID(e.t.Context(), id); err == nil && ok(last) {
				return last
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("attacker %s never reached the expected state; last row %+v", ip, last)
	return last
}

func (e *workerEnv) topics() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for _, n := range e.notes {
		out[n.Topic]++
	}
	return out
}

func loginEvent(ts time.Time, ip, decky, user string) model.Event {
	return model.Event{TS: ts, SrcIP: ip, Decky: decky, Service: "ssh", EventType: "login_attempt",
		Fields: map[string]string{"username": user, "password": "123456", "hassh": "ec7378c1a92f5a8dde7e8b7a1ddf33d1"}}
}

var w0 = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func TestWorkerBuildsAttackerRowsAndResumesAfterRestartWithoutResetting(t *testing.T) {
	e := newWorkerEnv(t)
	stop := e.start(DurableName)
	const ip = "203.0.113.50"
	for i := range 10 {
		e.publish(loginEvent(w0.Add(time.Duration(i)*time.Second), ip, "web1", "root"))
	}
	a := e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount == 10 })
	if !a.FirstSeen.Equal(w0) || a.ServiceCount != 1 || a.DeckyCount != 1 || a.IsTraversal {
		t.Errorf("row after 10 logins = %+v", a)
	}
	if a.CountryCode != "NL" || a.ASN != 64500 || a.BGPPrefix != "203.0.113.0/24" {
		t.Errorf("enrichment not stored: %+v", a)
	}
	if len(a.Fingerprints) != 1 || a.Fingerprints[0].Type != FPHASSH {
		t.Errorf("fingerprints = %+v, want the client HASSH", a.Fingerprints)
	}
	b, err := e.store.GetAttackerBehavior(t.Context(), a.UUID)
	if err != nil || b.BehaviorClass != string(ClassBruteForce) {
		t.Errorf("behaviour = %+v, %v; want brute_force", b, err)
	}
	stop()

	// A new worker (a restart) resumes from the stored state: the row
	// keeps first_seen and keeps counting (QUIRK 4 fixed), and
	// attacker.observed is not published again.
	stop = e.start(DurableName)
	defer stop()
	e.publish(
		model.Event{TS: w0.Add(20 * time.Second), SrcIP: ip, Decky: "web2", Service: "ssh", EventType: "command",
			Fields: map[string]string{"command": "uname -a"}},
	)
	a = e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount == 11 })
	if !a.FirstSeen.Equal(w0) || !a.IsTraversal || a.TraversalPath != "web1 → web2" || a.DeckyCount != 2 {
		t.Errorf("row after restart = %+v; want first_seen kept and a web1 → web2 traversal", a)
	}
	if len(a.Commands) != 1 || a.Commands[0].Command != "uname -a" || a.Commands[0].Decky != "web2" {
		t.Errorf("commands = %+v", a.Commands)
	}
	waitFor(t, func() bool { return e.topics()[bus.AttackerScored] >= 2 })
	if n := e.topics()[bus.AttackerObserved]; n != 1 {
		t.Errorf("attacker.observed published %d times across the restart, want once", n)
	}
	e.mu.Lock()
	emitted := append([]model.Event{}, e.emitted...)
	e.mu.Unlock()
	if len(emitted) != 1 || emitted[0].EventType != EventTraversal || emitted[0].Fields["deckies"] != "web1,web2" ||
		emitted[0].SrcIP != ip {
		t.Errorf("emitted %+v, want one traversal_detected for web1,web2", emitted)
	}
}

func TestWorkerSkipsRedeliveredEventsBySequence(t *testing.T) {
	e := newWorkerEnv(t)
	const ip = "203.0.113.51"
	stop := e.start(DurableName)
	for i := range 5 {
		e.publish(loginEvent(w0.Add(time.Duration(i)*time.Second), ip, "web1", "admin"))
	}
	e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount == 5 })
	stop()

	// A consumer created now delivers the whole stream again, as a crash
	// between commit and ack would: the stored sequence skips all of it.
	stop = e.start("profiler-replay")
	defer stop()
	// The new event follows the replayed ones in the stream, and events
	// are folded in stream order: once it is counted, so are they.
	e.publish(loginEvent(w0.Add(10*time.Second), ip, "web1", "admin"))
	if a := e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount >= 6 }); a.EventCount != 6 {
		t.Errorf("event_count after a full replay = %d, want 6", a.EventCount)
	}
}

func TestWorkerRecountsCredentialsUntilTheIngesterCatchesUp(t *testing.T) {
	e := newWorkerEnv(t)
	e.useFloor = true // the ingester has acked nothing yet
	const ip = "203.0.113.52"
	stop := e.start(DurableName)
	defer stop()
	e.publish(loginEvent(w0, ip, "web1", "root"))
	a := e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount == 1 })
	if a.CredentialCount != 0 {
		t.Fatalf("credential_count = %d before the ingester wrote anything", a.CredentialCount)
	}
	// The ingester now writes the credential and acks past the event.
	_, err := e.store.CommitBatch(t.Context(), []model.IngestRecord{{
		Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: w0, Decky: "web1", Service: "ssh",
			EventType: "login_attempt", AttackerIP: ip, Fields: map[string]string{}},
		Credential: &model.Credential{Principal: "root", SecretKind: "password",
			SecretSHA256: fmt.Sprintf("%064x", 1), SecretPrintable: "123456"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.floor.Store(1 << 40)
	a = e.waitAttacker(ip, func(a model.Attacker) bool { return a.CredentialCount == 1 })
	if a.EventCount != 1 {
		t.Errorf("event_count = %d after a recount, want 1", a.EventCount)
	}
}

func TestWorkerFilesProberAndCorrelatorEventsAsInternalAndSkipsEventsWithoutAnAttacker(t *testing.T) {
	e := newWorkerEnv(t)
	stop := e.start(DurableName)
	defer stop()
	const ip = "203.0.113.53"
	e.publish(
		model.Event{TS: w0, SrcIP: model.UnknownIP, Decky: "web1", Service: "ssh", EventType: "startup"},
		model.Event{TS: w0, SrcIP: ip, Decky: CorrelatorDecky, Service: CorrelatorService, EventType: EventTraversal},
		model.Event{TS: w0, Decky: "decnet-prober", Service: "prober", EventType: "jarm",
			Fields: map[string]string{"target_ip": ip, "jarm_hash": "27d40d40d29d40d1dc42d43d00041d"}},
	)
	a := e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount >= 2 })
	if a.EventCount != 2 || len(a.Fingerprints) != 1 || a.Fingerprints[0].Type != FPJARM || a.DeckyCount != 0 ||
		a.ServiceCount != 0 {
		t.Errorf("row = %+v; want the correlator's and the prober's events counted (the prober's filed under "+
			"the probed host) and neither as a decky or service", a)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWorkerEvictsStateOverItsMemoryBoundAndReloadsIt(t *testing.T) {
	e := newWorkerEnv(t)
	e.maxBytes = 1 // every clean address is evicted after each flush
	stop := e.start(DurableName)
	defer stop()
	const ip = "203.0.113.54"
	for i := range 3 {
		e.publish(loginEvent(w0.Add(time.Duration(i)*time.Second), ip, "web1", "root"))
		// Each event lands after the previous flush evicted the state,
		// so each fold starts from the stored state.
		e.waitAttacker(ip, func(a model.Attacker) bool { return a.EventCount == int64(i+1) })
	}
	a := e.waitAttacker(ip, func(a model.Attacker) bool { return true })
	if !a.FirstSeen.Equal(w0) || a.EventCount != 3 {
		t.Errorf("row after evictions = %+v; want first_seen kept and 3 events", a)
	}
}
