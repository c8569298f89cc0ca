package fleet

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

func TestPickServicesDrawsADifferentSetFromThePool(t *testing.T) {
	pool := []string{"a", "b", "c", "d", "e"}
	r := decky.NewRand(42)
	for i := range 200 {
		cur := []string{"a", "b"}
		pick, ok := PickServices(r, pool, cur)
		if !ok {
			t.Fatalf("draw %d: nothing picked from a pool of 5", i)
		}
		if len(pick) < 1 || len(pick) > 3 {
			t.Fatalf("draw %d: %v has %d services, want 1 to 3", i, pick, len(pick))
		}
		if comboKey(pick) == comboKey(cur) {
			t.Fatalf("draw %d: %v is the current set", i, pick)
		}
		for _, s := range pick {
			if !slices.Contains(pool, s) {
				t.Fatalf("draw %d: %s is not in the pool", i, s)
			}
		}
		if !slices.IsSortedFunc(pick, func(x, y string) int { return slices.Index(pool, x) - slices.Index(pool, y) }) {
			t.Fatalf("draw %d: %v is not in pool order", i, pick)
		}
	}
}

func TestPickServicesIsSeededAndBounded(t *testing.T) {
	a, _ := PickServices(decky.NewRand(7), []string{"ssh", "telnet", "http"}, []string{"ssh"})
	b, _ := PickServices(decky.NewRand(7), []string{"ssh", "telnet", "http"}, []string{"ssh"})
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different picks: %v vs %v", a, b)
	}
	// A one-service pool equal to the current set cannot give anything
	// new: the draw gives up after its bounded tries instead of looping.
	if pick, ok := PickServices(decky.NewRand(1), []string{"ssh"}, []string{"ssh"}); ok {
		t.Errorf("picked %v from a pool holding only the current set", pick)
	}
	if _, ok := PickServices(decky.NewRand(1), nil, []string{"ssh"}); ok {
		t.Error("picked from an empty pool")
	}
	if pick, ok := PickServices(decky.NewRand(1), []string{"ssh"}, []string{"telnet"}); !ok || !slices.Equal(pick, []string{"ssh"}) {
		t.Errorf("pick = %v, %v; want [ssh]", pick, ok)
	}
}

func TestServicePoolUsesTheArchetypeListOrEveryService(t *testing.T) {
	m, _ := newManager(t, nil)
	cat := services.Catalog{}
	// The archetype's list, kept to the services this build registers, in
	// the archetype's order.
	var iot []string
	for _, s := range []string{"mqtt", "snmp", "telnet"} {
		if cat.Known(s) {
			iot = append(iot, s)
		}
	}
	if got := m.servicePool(model.Decky{Archetype: "iot-device"}); !slices.Equal(got, iot) {
		t.Errorf("iot-device pool = %v; want %v", got, iot)
	}
	var all []string
	for _, s := range cat.Names() {
		if !cat.Singleton(s) {
			all = append(all, s)
		}
	}
	if got := m.servicePool(model.Decky{}); !slices.Equal(got, all) || !slices.Contains(got, "ssh") {
		t.Errorf("pool without archetype = %v; want every registered service %v", got, all)
	}
}

func TestMutateRotatesRecordsAndAnnounces(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	m, h := newManager(t, func(o *ManagerOptions) { o.Now = clk.Now })
	ctx := context.Background()
	d := testDecky("rot", "127.93.0.2", "ssh")
	if err := h.st.CreateDeckies(ctx, []model.Decky{d}); err != nil {
		t.Fatal(err)
	}
	l, err := m.Mutate(ctx, "rot", TriggerOperator, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if l.Operation != model.LifecycleMutate || l.Status != model.LifecyclePending {
		t.Errorf("lifecycle = %+v", l)
	}
	got, err := h.st.GetDecky(ctx, model.LocalHost, "rot")
	if err != nil {
		t.Fatal(err)
	}
	if comboKey(got.Services) == "ssh" || !got.LastMutated.Equal(clk.Now()) {
		t.Errorf("after mutate: services %v, last_mutated %v", got.Services, got.LastMutated)
	}
	ev := h.events.only(t)
	if ev.Service != "mutator" || ev.EventType != "decky_mutated" || ev.Decky != "rot" ||
		ev.Fields["old_services"] != "ssh" || ev.Fields["trigger"] != "operator" || ev.Fields["actor"] != "admin" ||
		ev.Fields["new_services"] == "" {
		t.Errorf("event = %+v", ev)
	}
	if n := h.notes.subjects(); !slices.Contains(n, "decky.rot.mutation") || !slices.Contains(n, "decky.rot.lifecycle") {
		t.Errorf("notices = %v", n)
	}
	if h.kicks.Load() == 0 {
		t.Error("the runtime was not kicked")
	}

	if _, err := m.Mutate(ctx, "ghost", TriggerOperator, ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown decky: %v", err)
	}
	one := testDecky("one", "127.93.0.3", "telnet")
	one.Archetype = "iot-device" // pool [telnet] = its set
	if err := h.st.CreateDeckies(ctx, []model.Decky{one}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Mutate(ctx, "one", TriggerOperator, ""); !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrNothingToPick) {
		t.Errorf("nothing to pick: %v", err)
	}
}

func TestMutateDueFollowsOwnOrGlobalIntervals(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	clk := &testClock{t: t0}
	m, h := newManager(t, func(o *ManagerOptions) { o.Now = clk.Now })
	ctx := context.Background()
	own := testDecky("own", "127.93.1.2", "ssh")
	own.MutateInterval, own.LastMutated = 5, t0
	glob := testDecky("glob", "127.93.1.3", "ssh")
	glob.MutateInterval, glob.LastMutated = model.MutateIntervalGlobal, t0
	never := testDecky("never", "127.93.1.4", "ssh")
	never.MutateInterval, never.LastMutated = 0, t0
	stuck := testDecky("stuck", "127.93.1.5", "telnet")
	stuck.Archetype, stuck.MutateInterval, stuck.LastMutated = "iot-device", 5, t0
	if err := h.st.CreateDeckies(ctx, []model.Decky{own, glob, never, stuck}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetGlobalMutationInterval(ctx, "1d"); err != nil {
		t.Fatal(err)
	}
	services := func(name string) model.Decky {
		d, err := h.st.GetDecky(ctx, model.LocalHost, name)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	clk.Advance(4 * time.Minute)
	if n, err := m.MutateDue(ctx); n != 0 || err != nil {
		t.Fatalf("before any interval: %d, %v", n, err)
	}
	clk.Advance(time.Minute)
	if n, err := m.MutateDue(ctx); n != 1 || err != nil {
		t.Fatalf("after 5 minutes: %d rotated, %v; want 1 (own)", n, err)
	}
	if d := services("own"); comboKey(d.Services) == "ssh" {
		t.Errorf("own was not rotated: %v", d.Services)
	}
	if d := services("stuck"); !d.LastMutated.Equal(clk.Now()) || comboKey(d.Services) != "telnet" {
		t.Errorf("stuck: %v at %v; want telnet stamped now", d.Services, d.LastMutated)
	}
	clk.Advance(24 * time.Hour)
	n, err := m.MutateDue(ctx)
	if err != nil || n != 2 {
		t.Fatalf("after a day: %d rotated, %v; want 2 (own, glob)", n, err)
	}
	if d := services("never"); comboKey(d.Services) != "ssh" {
		t.Errorf("never rotated: %v", d.Services)
	}
	for _, ev := range h.events.all() {
		if ev.Fields["trigger"] != TriggerScheduled {
			t.Errorf("trigger = %q; want scheduled", ev.Fields["trigger"])
		}
	}
}
