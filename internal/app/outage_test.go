package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/testenv"
)

// cutProxy forwards TCP connections to a target until it is cut: then it
// drops every open connection and refuses new ones, like a database host
// falling off the network, until it is restored on the same address.
type cutProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{t: t, addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *cutProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = struct{}{}, struct{}{}
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

func (p *cutProxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("restore proxy on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// TestDatabaseLostMidRunPausesIngestAndLosesNothing cuts the network path to
// MariaDB while events are flowing: ingest must pause (health 503), keep the
// unacknowledged events on the bus, and once the database is back commit
// every event exactly once.
func TestDatabaseLostMidRunPausesIngestAndLosesNothing(t *testing.T) {
	dsn := os.Getenv("DECNET_TEST_MYSQL_DSN")
	if dsn == "" {
		testenv.Missing(t, "MySQL/MariaDB not configured: set DECNET_TEST_MYSQL_DSN")
	}
	cfg, err := mysql.ParseDSN(freshMySQLDatabase(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t, cfg.Addr)
	cfg.Addr = proxy.addr
	cfg.Timeout = 2 * time.Second
	a, _ := startApp(t, testConfig(t, map[string]string{"DECNET_DB_TYPE": "mysql", "DECNET_DB_URL": cfg.FormatDSN()}))
	tok := login(t, a.APIURL(), "admin", testAdminPassword)
	health := func() int {
		req, _ := http.NewRequest(http.MethodGet, a.APIURL()+"/health", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, _ := do(t, req)
		return resp.StatusCode
	}
	ctx := context.Background()

	const first, second = 2000, 3000
	publishSynthetic(t, a.Bus(), first)
	waitForRows(t, a.Store(), first)

	proxy.cut()
	for i := first; i < first+second; i++ {
		if err := a.Bus().PublishEventAsync(synth.Event(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Bus().FlushAsync(ctx); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 30*time.Second, func() error {
		if st := a.IngestStatus(); st.State != ingest.StatePaused {
			return fmt.Errorf("ingest state %q, want paused", st.State)
		}
		if code := health(); code != http.StatusServiceUnavailable {
			return fmt.Errorf("health = %d, want 503 while the database is unreachable", code)
		}
		return nil
	})

	proxy.restore()
	waitForRows(t, a.Store(), first+second)
	checkFor(t, 30*time.Second, func() error {
		if code := health(); code != http.StatusOK {
			return fmt.Errorf("health = %d after the database came back", code)
		}
		return nil
	})
	var attempts int64
	if err := a.Store().DB().QueryRowContext(ctx, "SELECT COALESCE(SUM(attempt_count),0) FROM credentials").Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if want := int64(synth.AuthEvents(first + second)); attempts != want {
		t.Errorf("credential attempts = %d, want %d (none lost, none doubled)", attempts, want)
	}
}

func TestAPIPortInUseIsOneActionableLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	a, err := New(testConfig(t, map[string]string{"DECNET_API_PORT": port}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(context.Background())
	if err == nil {
		a.Stop(context.Background())
		t.Fatal("started on a port in use")
	}
	msg := err.Error()
	if !strings.Contains(msg, "127.0.0.1:"+port+" is already in use") || !strings.Contains(msg, "DECNET_API_PORT") || strings.Contains(msg, "\n") {
		t.Errorf("error = %q", msg)
	}
	if errors.Is(err, context.Canceled) {
		t.Errorf("unexpected cancellation: %v", err)
	}
}

func TestSyslogPortInUseIsOneActionableLine(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := New(testConfig(t, map[string]string{"DECNET_SYSLOG_ADDR": ln.Addr().String()}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Start(context.Background())
	if err == nil {
		a.Stop(context.Background())
		t.Fatal("started with the syslog address in use")
	}
	if msg := err.Error(); !strings.Contains(msg, "already in use") || !strings.Contains(msg, "DECNET_SYSLOG_ADDR") {
		t.Errorf("error = %q", msg)
	}
}
