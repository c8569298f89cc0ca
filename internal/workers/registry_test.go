package workers

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

func TestRegistryFollowsHeartbeatsAndAgesThem(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(t.TempDir(), "nats"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	now := time.Now()
	clock := func() time.Time { return now }
	r := New(clock)
	stop, err := r.Follow(b)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	hctx, cancel := context.WithCancel(ctx)
	go b.RunHeartbeat(hctx, "profiler", time.Hour, func() any { return map[string]any{"events": 42} })
	go b.RunHeartbeat(hctx, "intruder", time.Hour, nil) // not a decnet worker: ignored
	deadline := time.Now().Add(5 * time.Second)
	var prof Worker
	for time.Now().Before(deadline) {
		for _, w := range r.List() {
			if w.Name == "profiler" {
				prof = w
			}
		}
		if prof.Status == StatusOK {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if prof.Status != StatusOK || prof.Extra["events"] != float64(42) || prof.Extra["worker"] != nil {
		t.Fatalf("profiler = %+v", prof)
	}
	list := r.List()
	if len(list) != len(Names) {
		t.Errorf("%d workers listed, want the %d known ones", len(list), len(Names))
	}
	for _, w := range list {
		if w.Name == "ingest" && w.Status != StatusUnknown {
			t.Errorf("a worker never heard from is %s", w.Status)
		}
	}
	now = now.Add(StaleAfter + time.Second)
	for _, w := range r.List() {
		if w.Name == "profiler" && w.Status != StatusStale {
			t.Errorf("profiler after %s without a heartbeat: %s", StaleAfter, w.Status)
		}
	}
}
