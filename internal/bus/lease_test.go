package bus

import (
	"context"
	"sync"
	"testing"
	"time"
)

// holder runs RunExclusive on b in the background and reports when its fn
// starts and stops.
type holder struct {
	started, stopped chan struct{}
	cancel           context.CancelFunc
	returned         chan error
}

func runHolder(t *testing.T, b *Bus, name string) *holder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h := &holder{started: make(chan struct{}), stopped: make(chan struct{}), cancel: cancel, returned: make(chan error, 1)}
	var once sync.Once
	go func() {
		h.returned <- b.RunExclusive(ctx, name, func(ctx context.Context) {
			once.Do(func() { close(h.started) })
			<-ctx.Done()
			close(h.stopped)
		})
	}()
	t.Cleanup(cancel)
	return h
}

func within(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("%s not within %s", what, d)
	}
}

func notWithin(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s, but it should not have", what)
	case <-time.After(d):
	}
}

// twoProcesses opens two buses on one server, as two decnet processes
// sharing a NATS deployment.
func twoProcesses(t *testing.T, h *harness, ttl time.Duration) (*Bus, *Bus) {
	t.Helper()
	o := h.base
	o.LeaseTTL = ttl
	if !h.external {
		o.Listen = "127.0.0.1:0"
	}
	first := (&harness{external: h.external, base: o}).open(t)
	second := o
	if !h.external {
		second = Options{URL: first.ClientURL(), Name: "second", LeaseTTL: ttl, Logger: o.Logger}
	}
	return first, (&harness{external: true, base: second}).open(t)
}

func TestOnlyOneProcessHoldsALeaseAndTheOtherTakesOverWhenItStops(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		a, b := twoProcesses(t, h, 3*time.Second)
		ha := runHolder(t, a, "profiler")
		within(t, ha.started, 10*time.Second, "the first process took the lease")
		hb := runHolder(t, b, "profiler")
		notWithin(t, hb.started, 1500*time.Millisecond, "the second process ran the worker while the first held the lease")

		ha.cancel() // the first process shuts down and releases the lease
		within(t, ha.stopped, 5*time.Second, "the first worker stopped")
		if err := <-ha.returned; err != nil {
			t.Errorf("RunExclusive returned %v", err)
		}
		within(t, hb.started, 5*time.Second, "the second process took over after the release")

		// A different lease is independent.
		other := runHolder(t, a, "clusterer")
		within(t, other.started, 10*time.Second, "an unrelated lease was taken")
	})
}

func TestALeaseOfACrashedHolderExpiresAndIsTakenOver(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		ttl := 2 * time.Second
		a, b := twoProcesses(t, h, ttl)
		// The first holder takes the lease and then stops renewing without
		// releasing it, as a killed process would: its connection closes.
		kv, err := a.leaseBucket(context.Background(), ttl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Create(context.Background(), "clusterer", []byte("crashed-process")); err != nil {
			t.Fatal(err)
		}
		hb := runHolder(t, b, "clusterer")
		notWithin(t, hb.started, ttl/2, "the lease was taken while its holder's TTL ran")
		within(t, hb.started, 4*ttl, "the lease was taken over after its TTL")
	})
}

func TestRunExclusiveRefusesAnInvalidName(t *testing.T) {
	b := (&harness{base: Options{DataDir: t.TempDir(), Logger: testLogger()}}).open(t)
	if err := b.RunExclusive(context.Background(), "a.b", func(context.Context) {}); err == nil {
		t.Fatal("a lease name with a dot was accepted")
	}
}
