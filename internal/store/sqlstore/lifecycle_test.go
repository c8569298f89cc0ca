package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func TestLifecycleCreateMarkAndRead(t *testing.T) {
	clk := &clock{}
	t0 := time.Date(2026, 4, 1, 10, 0, 0, 123456000, time.UTC)
	clk.Set(t0)
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		clk.Set(t0)
		ctx := t.Context()
		a, err := s.CreateLifecycle(ctx, model.Lifecycle{DeckyName: "web-01", HostUUID: model.LocalHost,
			Operation: model.LifecycleDeploy})
		if err != nil {
			t.Fatal(err)
		}
		want := model.Lifecycle{ID: a.ID, DeckyName: "web-01", HostUUID: model.LocalHost,
			Operation: model.LifecycleDeploy, Status: model.LifecyclePending, StartedAt: t0, UpdatedAt: t0}
		if diff := cmp.Diff(want, a); diff != "" || len(a.ID) != 36 {
			t.Fatalf("created (-want +got):\n%s", diff)
		}
		b, err := s.CreateLifecycle(ctx, model.Lifecycle{ID: "fixed-id", DeckyName: "db-01", HostUUID: "h2",
			Operation: model.LifecycleMutate})
		if err != nil {
			t.Fatal(err)
		}

		open, err := s.OpenLifecycles(ctx, model.LocalHost)
		if err != nil || len(open) != 1 || open[0].ID != a.ID {
			t.Fatalf("OpenLifecycles(local) = %+v, %v; want only %s", open, err, a.ID)
		}

		t1 := t0.Add(time.Second)
		clk.Set(t1)
		r, err := s.MarkLifecycle(ctx, a.ID, model.LifecycleRunning, "")
		if err != nil || r.Status != model.LifecycleRunning || !r.UpdatedAt.Equal(t1) || !r.CompletedAt.IsZero() {
			t.Fatalf("mark running = %+v, %v", r, err)
		}
		t2 := t1.Add(time.Second)
		clk.Set(t2)
		long := strings.Repeat("x", 3000)
		f, err := s.MarkLifecycle(ctx, a.ID, model.LifecycleFailed, long)
		if err != nil {
			t.Fatal(err)
		}
		if f.Status != model.LifecycleFailed || len(f.Error) != 2000 || !f.CompletedAt.Equal(t2) || !f.StartedAt.Equal(t0) {
			t.Errorf("mark failed = status %s, %d-byte error, completed %v, started %v", f.Status, len(f.Error),
				f.CompletedAt, f.StartedAt)
		}
		// Terminal rows are immutable.
		if _, err := s.MarkLifecycle(ctx, a.ID, model.LifecycleSucceeded, ""); !errors.Is(err, store.ErrConflict) {
			t.Errorf("re-marking a terminal row: %v; want ErrConflict", err)
		}
		if _, err := s.MarkLifecycle(ctx, "nope", model.LifecycleRunning, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("marking an unknown row: %v; want ErrNotFound", err)
		}
		for _, bad := range []string{"", model.LifecyclePending, "exploded"} {
			if _, err := s.MarkLifecycle(ctx, b.ID, bad, ""); err == nil {
				t.Errorf("MarkLifecycle(%q) accepted", bad)
			}
		}
		if open, err := s.OpenLifecycles(ctx, model.LocalHost); err != nil || len(open) != 0 {
			t.Errorf("OpenLifecycles after completion = %+v, %v; want none", open, err)
		}

		got, err := s.GetLifecycles(ctx, []string{b.ID, "unknown", a.ID, b.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != b.ID || got[1].ID != a.ID || got[1].Status != model.LifecycleFailed {
			t.Errorf("GetLifecycles = %+v; want b then a, unknown and repeat left out", got)
		}
		if got, err := s.GetLifecycles(ctx, nil); err != nil || got == nil || len(got) != 0 {
			t.Errorf("GetLifecycles(nil) = %#v, %v; want an empty list", got, err)
		}
	})
}

func TestLifecycleCreateRejectsInvalidRows(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		for _, l := range []model.Lifecycle{
			{DeckyName: "d", HostUUID: model.LocalHost},
			{DeckyName: "d", HostUUID: model.LocalHost, Operation: "explode"},
			{HostUUID: model.LocalHost, Operation: model.LifecycleDeploy},
			{DeckyName: "d", Operation: model.LifecycleDeploy},
			{DeckyName: strings.Repeat("d", maxDecky+1), HostUUID: model.LocalHost, Operation: model.LifecycleDeploy},
		} {
			if _, err := s.CreateLifecycle(t.Context(), l); err == nil {
				t.Errorf("CreateLifecycle(%+v) accepted", l)
			}
		}
		l := model.Lifecycle{ID: "same", DeckyName: "d", HostUUID: model.LocalHost, Operation: model.LifecycleTeardown}
		if _, err := s.CreateLifecycle(t.Context(), l); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateLifecycle(t.Context(), l); !errors.Is(err, store.ErrConflict) {
			t.Errorf("duplicate id: %v; want ErrConflict", err)
		}
	})
}
