package tick

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func waitRuns(t *testing.T, runs *atomic.Int32, want int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs, want %d", runs.Load(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRunTicksAtStartOnWakeAndDefersWakeUpsInsideTheMinimumInterval(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	wake := make(chan struct{}, 1)
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Run(ctx, wake, time.Hour, 20*time.Millisecond, clock.now, func() { runs.Add(1) })
	}()
	waitRuns(t, &runs, 1) // at start

	clock.add(time.Second) // long after the last run: a wake-up runs at once
	wake <- struct{}{}
	waitRuns(t, &runs, 2)

	// Inside the minimum interval (the fake clock stands still): the
	// wake-up is deferred to a timer, not dropped.
	wake <- struct{}{}
	waitRuns(t, &runs, 3)
	cancel()
	<-done
	if n := runs.Load(); n != 3 {
		t.Errorf("%d runs after cancel, want 3", n)
	}
}

func TestRunWithoutAWakeChannelStillPolls(t *testing.T) {
	// Wake itself is exercised against the real bus by the correlator
	// and clusterer tests.
	var runs atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go Run(ctx, nil, 5*time.Millisecond, 0, nil, func() { runs.Add(1) })
	waitRuns(t, &runs, 3)
}
