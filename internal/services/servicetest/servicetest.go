// Package servicetest holds what service tests share: a publisher that
// keeps the events a service emits, so tests can wait for and inspect them,
// the Env and loopback server a service instance runs in, and the clients
// that drive it (a raw numbered-reply client, a drain for hostile input,
// nmap's version scan).
package servicetest

import (
	"context"
	"log/slog"
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

// NewEnv returns the Env the runtime would give svc in decky d: cfg
// resolved against svc's schema (tests that want the schema's checks
// validate first), events kept in the returned Events, logs discarded.
// Tests add TLS, Quarantine or Limits to it as they need.
func NewEnv(svc services.Service, d model.Decky, cfg map[string]string) (*services.Env, *Events) {
	evs := &Events{}
	return &services.Env{
		Decky:   d,
		Config:  svc.Schema().Resolve(cfg),
		Emitter: services.NewEmitter(svc.Name(), services.EmitterOptions{Publisher: evs, Decky: d.Name, IP: d.IP}),
		Logger:  slog.New(slog.DiscardHandler),
	}, evs
}

// Start builds svc's handler for env and serves it on addr (port 0: any)
// until the test ends, returning the bound address. Services that also run
// for real on the test machine (MariaDB, PostgreSQL, Redis on 127.0.0.1)
// give their deckies other loopback addresses, as the runtime does.
func Start(t testing.TB, svc services.Service, env *services.Env, addr string) string {
	t.Helper()
	h, err := svc.New(env)
	if err != nil {
		t.Fatal(err)
	}
	return ServeAt(t, h, env, addr)
}

// Serve runs h with env on a fresh 127.0.0.1 port until the test ends and
// returns the address.
func Serve(t testing.TB, h services.Handler, env *services.Env) string {
	t.Helper()
	return ServeAt(t, h, env, "127.0.0.1:0")
}

// ServeAt runs h with env on addr (port 0: any) until the test ends and
// returns the bound address.
func ServeAt(t testing.TB, h services.Handler, env *services.Env, addr string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ServeListener(t, h, env, ln)
	return ln.Addr().String()
}

// ServeListener runs h with env on ln until the test ends, for services
// that bind several ports (FTP's passive range) with one handler.
func ServeListener(t testing.TB, h services.Handler, env *services.Env, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		services.Serve(ctx, ln, h, env)
	}()
	t.Cleanup(func() { cancel(); <-done })
}
