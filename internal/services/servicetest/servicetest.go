// Package servicetest holds what service tests share: a publisher that
// keeps the events a service emits, so tests can wait for and inspect them,
// and a loopback server for a service handler.
package servicetest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// Events records published events; it satisfies services.Publisher.
type Events struct {
	mu  sync.Mutex
	evs []model.Event
}

// PublishEventAsync keeps ev.
func (e *Events) PublishEventAsync(ev model.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
	return nil
}

// OfType returns the events of one type, in emission order.
func (e *Events) OfType(typ string) []model.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []model.Event
	for _, ev := range e.evs {
		if ev.EventType == typ {
			out = append(out, ev)
		}
	}
	return out
}

// Wait returns the events of typ once there are at least n, failing the
// test after 10 seconds.
func (e *Events) Wait(t testing.TB, typ string, n int) []model.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := e.OfType(typ); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events, want %d", len(e.OfType(typ)), typ, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Serve runs h with env on a fresh 127.0.0.1 port until the test ends and
// returns the address.
func Serve(t testing.TB, h services.Handler, env *services.Env) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		services.Serve(ctx, ln, h, env)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}
