package fleet

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// eventSink collects events the way the bus's EVENTS stream would.
type eventSink struct {
	mu  sync.Mutex
	evs []model.Event
}

func (s *eventSink) PublishEventAsync(ev model.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs = append(s.evs, ev)
	return nil
}

func (s *eventSink) all() []model.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.evs)
}

func (s *eventSink) only(t *testing.T) model.Event {
	t.Helper()
	all := s.all()
	if len(all) != 1 {
		t.Fatalf("%d events, want 1: %+v", len(all), all)
	}
	return all[0]
}

// noteSink collects bus notifications.
type noteSink struct {
	mu    sync.Mutex
	subjs []string
	pays  []any
}

func (n *noteSink) Publish(_ context.Context, topic, _ string, payload any) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.subjs = append(n.subjs, topic)
	n.pays = append(n.pays, payload)
	return nil
}

func (n *noteSink) subjects() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.subjs)
}

type harness struct {
	st     *sqlstore.Store
	events *eventSink
	notes  *noteSink
	kicks  *atomic.Int32
}

// newManager builds a Manager over a fresh SQLite store with sinks for its
// events and notices.
func newManager(t *testing.T, opt func(*ManagerOptions)) (*Manager, harness) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), sqlstore.Options{Dialect: "sqlite",
		DSN: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := harness{st: st, events: &eventSink{}, notes: &noteSink{}, kicks: &atomic.Int32{}}
	o := ManagerOptions{Repo: st, Lifecycles: st, State: st, Events: h.events, Notify: h.notes, Seed: 99,
		Subnet: "127.93.9.0/24", Kick: func() { h.kicks.Add(1) }}
	if opt != nil {
		opt(&o)
	}
	m, err := NewManager(o)
	if err != nil {
		t.Fatal(err)
	}
	return m, h
}

const twoDeckyINI = `[general]
net = 127.93.2.0/24

[alpha]
services = ssh

[beta]
services = telnet
mutate_interval = 15

[beta.telnet]
user = admin
`

func TestDeployRecordsDeckiesAndLifecycleRows(t *testing.T) {
	m, h := newManager(t, nil)
	ctx := context.Background()
	res, err := m.Deploy(ctx, twoDeckyINI, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.LifecycleIDs) != 2 || len(res.Deckies) != 2 {
		t.Fatalf("result = %+v", res)
	}
	rows, err := h.st.GetLifecycles(ctx, res.LifecycleIDs)
	if err != nil || len(rows) != 2 {
		t.Fatalf("lifecycle rows = %+v, %v", rows, err)
	}
	for i, l := range rows {
		if l.Operation != model.LifecycleDeploy || l.Status != model.LifecyclePending || l.DeckyName != res.Deckies[i].Name {
			t.Errorf("row %d = %+v", i, l)
		}
	}
	ds, _ := h.st.ListDeckies(ctx, model.LocalHost)
	if len(ds) != 2 || ds[0].MutateInterval != model.MutateIntervalGlobal || ds[1].MutateInterval != 15 ||
		ds[1].ServiceConfig["telnet"]["user"] != "admin" || !strings.HasPrefix(ds[0].IP, "127.93.2.") {
		t.Errorf("stored deckies = %+v", ds)
	}
	if h.kicks.Load() == 0 {
		t.Error("the runtime was not kicked")
	}

	// The same names again collide.
	if _, err := m.Deploy(ctx, twoDeckyINI, false); !errors.Is(err, ErrConflict) {
		t.Errorf("second deploy: %v; want ErrConflict", err)
	}
	// Replacing the fleet tears down what the new INI does not name.
	res, err = m.Deploy(ctx, "[gamma]\nservices = ssh\n", true)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ = h.st.ListDeckies(ctx, model.LocalHost)
	if len(ds) != 1 || ds[0].Name != "gamma" || !strings.HasPrefix(ds[0].IP, "127.93.9.") {
		t.Errorf("after replace: %+v", ds)
	}
	open, _ := h.st.OpenLifecycles(ctx, model.LocalHost)
	var teardowns []string
	for _, l := range open {
		if l.Operation == model.LifecycleTeardown {
			teardowns = append(teardowns, l.DeckyName)
		}
	}
	slices.Sort(teardowns)
	if !slices.Equal(teardowns, []string{"alpha", "beta"}) {
		t.Errorf("teardown rows for %v; want alpha, beta", teardowns)
	}
}

func TestDeployRefusals(t *testing.T) {
	m, h := newManager(t, nil)
	ctx := context.Background()
	if err := m.SetDeploymentLimit(ctx, 2); err != nil {
		t.Fatal(err)
	}
	for name, ini := range map[string]string{
		"empty":        "  \n",
		"syntax":       "[alpha\nservices = ssh\n",
		"unknown svc":  "[alpha]\nservices = gopher\n",
		"ip collision": "[a]\nip = 127.93.9.5\nservices = ssh\n[b]\nip = 127.93.9.5\nservices = ssh\n",
		"over limit":   "[a]\nservices = ssh\n[b]\nservices = ssh\n[c]\nservices = ssh\n",
	} {
		if _, err := m.Deploy(ctx, ini, false); !errors.Is(err, ErrConflict) {
			t.Errorf("%s: %v; want ErrConflict", name, err)
		}
	}
	if ds, _ := h.st.ListDeckies(ctx, ""); len(ds) != 0 {
		t.Errorf("refused deploys stored %+v", ds)
	}
	if _, err := m.Deploy(ctx, "[a]\nservices = ssh\n[b]\nservices = ssh\n", false); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := m.Deploy(ctx, "[c]\nservices = ssh\n", false); !errors.Is(err, ErrConflict) ||
		!strings.Contains(err.Error(), "deployment limit of 2") {
		t.Errorf("over the limit with existing deckies: %v", err)
	}
}

func TestServiceEdits(t *testing.T) {
	m, h := newManager(t, nil)
	ctx := context.Background()
	if err := h.st.CreateDeckies(ctx, []model.Decky{testDecky("ed", "127.93.3.2", "ssh")}); err != nil {
		t.Fatal(err)
	}
	e, err := m.AddService(ctx, "ed", "telnet", map[string]string{"user": "admin", "bogus": "dropped"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Decky.Services, []string{"ssh", "telnet"}) || e.Config["user"] != "admin" ||
		e.Config["bogus"] != "" || !e.Recreated || e.LifecycleID == "" {
		t.Errorf("add = %+v", e)
	}
	if _, err := m.AddService(ctx, "ed", "telnet", nil); !errors.Is(err, ErrConflict) {
		t.Errorf("add twice: %v", err)
	}
	if _, err := m.AddService(ctx, "ed", "gopher", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown service: %v", err)
	}
	if _, err := m.AddService(ctx, "ghost", "telnet", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown decky: %v", err)
	}
	if _, err := m.SetServiceConfig(ctx, "ed", "ssh", map[string]string{"weak_passwords": "b64:!!"}, false); !errors.Is(err, ErrBadConfig) {
		t.Errorf("malformed b64 value: %v; want ErrBadConfig", err)
	}
	same, err := m.SetServiceConfig(ctx, "ed", "telnet", map[string]string{"user": "admin"}, false)
	if err != nil || same.Recreated || same.LifecycleID != "" {
		t.Errorf("unchanged config: %+v, %v; want not recreated", same, err)
	}
	chg, err := m.SetServiceConfig(ctx, "ed", "telnet", map[string]string{"user": "root"}, false)
	if err != nil || !chg.Recreated || chg.Config["user"] != "root" {
		t.Errorf("changed config: %+v, %v", chg, err)
	}
	if err := h.st.CreateDeckies(ctx, []model.Decky{testDecky("ed2", "127.93.3.3", "ssh")}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.SetServiceConfig(ctx, "ed2", "telnet", nil, false); !errors.Is(err, ErrConflict) {
		t.Errorf("config of a service not on the decky: %v", err)
	}
	if up, err := m.SetServiceConfig(ctx, "ed2", "telnet", nil, true); err != nil || !slices.Contains(up.Decky.Services, "telnet") {
		t.Errorf("apply adds: %+v, %v", up, err)
	}
	rm, err := m.RemoveService(ctx, "ed", "telnet")
	if err != nil || !slices.Equal(rm.Decky.Services, []string{"ssh"}) || rm.Decky.ServiceConfig["telnet"] != nil {
		t.Errorf("remove = %+v, %v", rm, err)
	}
	if _, err := m.RemoveService(ctx, "ed", "telnet"); !errors.Is(err, ErrConflict) {
		t.Errorf("remove twice: %v", err)
	}
	if _, err := m.RemoveService(ctx, "ed", "ssh"); !errors.Is(err, ErrInvalid) {
		t.Errorf("remove the last service: %v", err)
	}
	subj := h.notes.subjects()
	for _, want := range []string{"decky.ed.service_added", "decky.ed.service_removed", "decky.ed.service_config_changed"} {
		if !slices.Contains(subj, want) {
			t.Errorf("no %s notice in %v", want, subj)
		}
	}
}

func TestTeardownAndMutateInterval(t *testing.T) {
	m, h := newManager(t, nil)
	ctx := context.Background()
	if err := h.st.CreateDeckies(ctx, []model.Decky{testDecky("td", "127.93.4.2", "ssh")}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetMutateInterval(ctx, "td", 1440); err != nil {
		t.Fatal(err)
	}
	if d, _ := h.st.GetDecky(ctx, model.LocalHost, "td"); d.MutateInterval != 1440 {
		t.Errorf("mutate interval = %d", d.MutateInterval)
	}
	if err := m.SetMutateInterval(ctx, "nope", 5); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown decky: %v", err)
	}
	l, err := m.Teardown(ctx, "td")
	if err != nil || l.Operation != model.LifecycleTeardown {
		t.Fatalf("teardown = %+v, %v", l, err)
	}
	if _, err := h.st.GetDecky(ctx, model.LocalHost, "td"); err == nil {
		t.Error("the row is still there")
	}
	if _, err := m.Teardown(ctx, "td"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second teardown: %v", err)
	}
}

func TestParseInterval(t *testing.T) {
	for in, want := range map[string]int{"1m": 1, "30m": 30, "2d": 2880, "1M": 43200, "1y": 525600, "3Y": 1576800} {
		if got, err := ParseInterval(in); err != nil || got != want {
			t.Errorf("ParseInterval(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0m", "05m", "30", "m", "1h", "-1m", "1 m", "99999999999y"} {
		if _, err := ParseInterval(bad); !errors.Is(err, ErrInterval) {
			t.Errorf("ParseInterval(%q) = %v; want ErrInterval", bad, err)
		}
	}
}

// TestReconcileCompletesLifecycleRows drives the real runtime over the
// manager's rows: deploy → running → succeeded, a start failure → failed
// with the reason, teardown → succeeded once the decky is stopped.
func TestReconcileCompletesLifecycleRows(t *testing.T) {
	m, h := newManager(t, nil)
	ctx := context.Background()
	rt, err := New(Options{Repo: h.st, Lifecycles: h.st, Notify: h.notes, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.StopAll(context.Background()) })
	res, err := m.Deploy(ctx, "[general]\nnet = 127.93.5.0/24\n[ok]\nservices = ssh\n", false)
	if err != nil {
		t.Fatal(err)
	}
	// A decky outside loopback cannot be bound by the loopback binder's
	// checks: its start fails.
	bad := testDecky("bad", "10.255.255.9", "ssh")
	if err := h.st.CreateDeckies(ctx, []model.Decky{bad}); err != nil {
		t.Fatal(err)
	}
	badL, err := h.st.CreateLifecycle(ctx, model.Lifecycle{DeckyName: "bad", HostUUID: model.LocalHost,
		Operation: model.LifecycleDeploy})
	if err != nil {
		t.Fatal(err)
	}
	_ = rt.Reconcile(ctx)
	rows, err := h.st.GetLifecycles(ctx, []string{res.LifecycleIDs[0], badL.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rows[0].Status != model.LifecycleSucceeded || rows[0].CompletedAt.IsZero() {
		t.Errorf("deploy of ok = %+v; want succeeded", rows[0])
	}
	if rows[1].Status != model.LifecycleFailed || rows[1].Error == "" {
		t.Errorf("deploy of bad = %+v; want failed with the reason", rows[1])
	}
	a := addr(t, rt, "ok", "ssh")
	if !dials(a) {
		t.Fatalf("ok does not answer on %s", a)
	}

	l, err := m.Teardown(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	_ = rt.Reconcile(ctx)
	rows, _ = h.st.GetLifecycles(ctx, []string{l.ID})
	if len(rows) != 1 || rows[0].Status != model.LifecycleSucceeded {
		t.Errorf("teardown row = %+v; want succeeded", rows)
	}
	if dials(a) {
		t.Errorf("%s still answers after the teardown", a)
	}
	var sawRunning bool
	h.notes.mu.Lock()
	for i, s := range h.notes.subjs {
		if n, ok := h.notes.pays[i].(LifecycleNotice); ok && s == "decky.ok.lifecycle" && n.Status == model.LifecycleRunning {
			sawRunning = n.LifecycleID == n.ID
		}
	}
	h.notes.mu.Unlock()
	if !sawRunning {
		t.Error("no running notice on decky.ok.lifecycle")
	}
}
