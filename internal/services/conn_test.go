package services_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handlerFunc adapts a function to Handler.
type handlerFunc func(ctx context.Context, c *services.Conn)

func (f handlerFunc) ServeConn(ctx context.Context, c *services.Conn) { f(ctx, c) }

func startServe(t *testing.T, h services.Handler, lim services.Limits) (addr string, rec *servicetest.Events, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec = &servicetest.Events{}
	env := &services.Env{
		Decky:   model.Decky{Name: "decky-01", IP: "127.0.0.1"},
		Emitter: services.NewEmitter("echo", services.EmitterOptions{Publisher: rec, Decky: "decky-01", IP: "127.0.0.1"}),
		Limits:  lim,
		Logger:  slog.New(slog.DiscardHandler),
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		services.Serve(ctx, ln, h, env)
	}()
	return ln.Addr().String(), rec, func() { cancel(); <-done }
}

func TestServeStampsEventsWithDeckyServiceAndSession(t *testing.T) {
	addr, rec, stop := startServe(t, handlerFunc(func(ctx context.Context, c *services.Conn) {
		c.Emit("hello", map[string]string{"k": "v"}, "hi")
	}), services.Limits{})
	defer stop()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	local := c.LocalAddr().(*net.TCPAddr)
	io.Copy(io.Discard, c)
	c.Close()
	waitFor(t, "hello event", func() bool { return len(rec.OfType("hello")) == 1 })
	ev := rec.OfType("hello")[0]
	if ev.Decky != "decky-01" || ev.Service != "echo" || ev.SrcIP != "127.0.0.1" || ev.SrcPort != local.Port ||
		ev.DstIP != "127.0.0.1" || ev.DstPort == 0 || ev.SessionID == "" || ev.ID == "" || ev.TS.IsZero() || ev.Fields["k"] != "v" {
		t.Errorf("event %+v", ev)
	}
}

func TestPanicInAHandlerCostsOnlyItsConnection(t *testing.T) {
	addr, rec, stop := startServe(t, handlerFunc(func(ctx context.Context, c *services.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line == "boom\n" {
			panic("hostile input")
		}
		c.Write([]byte("ok\n"))
	}), services.Limits{})
	defer stop()
	bad, _ := net.Dial("tcp", addr)
	bad.Write([]byte("boom\n"))
	io.Copy(io.Discard, bad)
	waitFor(t, "protocol_error", func() bool { return len(rec.OfType("protocol_error")) == 1 })
	if got := rec.OfType("protocol_error")[0].Fields["error"]; got != "panic: hostile input" {
		t.Errorf("error field %q", got)
	}
	good, _ := net.Dial("tcp", addr)
	good.Write([]byte("hi\n"))
	reply, _ := bufio.NewReader(good).ReadString('\n')
	if reply != "ok\n" {
		t.Errorf("after a panic the service answered %q", reply)
	}
}

func TestPerAddressCapRefusesAndReportsOncePerSecond(t *testing.T) {
	release := make(chan struct{})
	addr, rec, stop := startServe(t, handlerFunc(func(ctx context.Context, c *services.Conn) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	}), services.Limits{MaxConnsPerIP: 2})
	defer stop()
	defer close(release)
	var conns []net.Conn
	for range 5 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	// The refused connections are closed by the server at once.
	for _, c := range conns[2:] {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("refused connection read: %v, want EOF", err)
		}
	}
	waitFor(t, "connection_refused", func() bool { return len(rec.OfType("connection_refused")) >= 1 })
	if n := len(rec.OfType("connection_refused")); n != 1 {
		t.Errorf("%d connection_refused events for 3 refusals within a second, want 1", n)
	}
}

func TestIdleAndPhaseDeadlinesCloseStalledClients(t *testing.T) {
	errs := make(chan error, 2)
	addr, _, stop := startServe(t, handlerFunc(func(ctx context.Context, c *services.Conn) {
		c.SetPhaseDeadline(50 * time.Millisecond)
		_, err := c.Read(make([]byte, 1))
		errs <- err
	}), services.Limits{IdleTimeout: time.Hour})
	defer stop()
	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	select {
	case err := <-errs:
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			t.Errorf("read ended with %v, want a timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a stalled client outlived the phase deadline")
	}
}

func TestShutdownClosesOpenConnections(t *testing.T) {
	addr, _, stop := startServe(t, handlerFunc(func(ctx context.Context, c *services.Conn) {
		io.Copy(io.Discard, c)
	}), services.Limits{})
	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	c.Write([]byte("x"))
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return with a client still connected")
	}
}
