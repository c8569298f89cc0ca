package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

// switchable is a health check whose result a test can flip.
type switchable struct {
	err   atomic.Pointer[error]
	calls atomic.Int32
}

func (s *switchable) set(err error) { s.err.Store(&err) }

func (s *switchable) check(context.Context) error {
	s.calls.Add(1)
	if p := s.err.Load(); p != nil {
		return *p
	}
	return nil
}

// secretErr looks like what a driver returns: it names hosts and files.
var secretErr = errors.New("dial tcp 10.1.2.3:3306: connect: refused (/var/lib/decnet/decnet.db)")

func healthEnv(t *testing.T, comps ...HealthComponent) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) { o.Health = comps })
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

func TestHealthRequiresAToken(t *testing.T) {
	e, _ := healthEnv(t)
	want401(t, e.health(""))
}

func TestHealthReportsEachComponentAndOverallStatus(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dbErr      error
		workerErr  error
		wantStatus int
		want       map[string]any
	}{
		{
			name: "all ok is healthy", wantStatus: 200,
			want: map[string]any{"status": "healthy", "components": map[string]any{
				"database": map[string]any{"status": "ok"}, "collector_worker": map[string]any{"status": "ok"},
			}},
		},
		{
			name: "critical failing is unhealthy 503", dbErr: secretErr, wantStatus: 503,
			want: map[string]any{"status": "unhealthy", "components": map[string]any{
				"database":         map[string]any{"status": "failing", "detail": "unreachable"},
				"collector_worker": map[string]any{"status": "ok"},
			}},
		},
		{
			name: "non-critical failing is degraded 200", workerErr: secretErr, wantStatus: 200,
			want: map[string]any{"status": "degraded", "components": map[string]any{
				"database":         map[string]any{"status": "ok"},
				"collector_worker": map[string]any{"status": "failing", "detail": "unreachable"},
			}},
		},
		{
			name: "deadline exceeded reads timeout", dbErr: context.DeadlineExceeded, workerErr: secretErr, wantStatus: 503,
			want: map[string]any{"status": "unhealthy", "components": map[string]any{
				"database":         map[string]any{"status": "failing", "detail": "timeout"},
				"collector_worker": map[string]any{"status": "failing", "detail": "unreachable"},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, worker := &switchable{}, &switchable{}
			db.set(tc.dbErr)
			worker.set(tc.workerErr)
			e, tok := healthEnv(t,
				HealthComponent{Name: "database", Critical: true, Check: db.check},
				HealthComponent{Name: "collector_worker", Check: worker.check},
			)
			r := e.health(tok)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d, want %d", r.status, tc.wantStatus)
			}
			if diff := cmp.Diff(tc.want, r.body); diff != "" {
				t.Errorf("body mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(r.raw, "10.1.2.3") || strings.Contains(r.raw, "refused") || strings.Contains(r.raw, "Error") {
				t.Errorf("error text leaked: %s", r.raw)
			}
			if tc.dbErr == secretErr && !strings.Contains(e.logs.String(), "10.1.2.3") {
				t.Error("the real error was not logged")
			}
		})
	}
}

func TestHealthCachesResultForAboutOneSecond(t *testing.T) {
	db := &switchable{}
	e, tok := healthEnv(t, HealthComponent{Name: "database", Critical: true, Check: db.check})
	wantStatus(t, e.health(tok), http.StatusOK, "")
	db.set(secretErr)
	wantStatus(t, e.health(tok), http.StatusOK, "")
	if n := db.calls.Load(); n != 1 {
		t.Fatalf("check ran %d times within the cache window, want 1", n)
	}
	e.clk.Advance(1100 * time.Millisecond)
	wantStatus(t, e.health(tok), http.StatusServiceUnavailable, "")
}

func TestHealthCheckThatIgnoresItsDeadlineIsReportedAsTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	hung := func(context.Context) error { <-release; return nil }
	e, tok := healthEnv(t, HealthComponent{Name: "docker", Critical: true, Check: hung})
	e.s.health.timeout = time.Millisecond

	for range 2 { // the second run must not start another goroutine
		r := e.health(tok)
		wantStatus(t, r, http.StatusServiceUnavailable, "")
		comp := r.body["components"].(map[string]any)["docker"]
		if diff := cmp.Diff(map[string]any{"status": "failing", "detail": "timeout"}, comp); diff != "" {
			t.Fatalf("docker mismatch (-want +got):\n%s", diff)
		}
		e.clk.Advance(2 * time.Second)
	}
}

func TestHealthCheckPanicIsAFailureNotACrash(t *testing.T) {
	e, tok := healthEnv(t, HealthComponent{Name: "sniffer_worker", Check: func(context.Context) error { panic("boom") }})
	r := e.health(tok)
	wantStatus(t, r, http.StatusOK, "")
	if r.body["status"] != "degraded" || strings.Contains(r.raw, "boom") {
		t.Fatalf("body = %s", r.raw)
	}
}

func TestNewRejectsBadHealthComponents(t *testing.T) {
	ok := func(context.Context) error { return nil }
	for _, tc := range []struct {
		name  string
		comps []HealthComponent
	}{
		{"empty name", []HealthComponent{{Check: ok}}},
		{"nil check", []HealthComponent{{Name: "db"}}},
		{"duplicate", []HealthComponent{{Name: "db", Check: ok}, {Name: "db", Check: ok}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			_, err := New(Options{Users: e.users, Tokens: e.tokens, Hasher: e.hasher, Health: tc.comps})
			if err == nil {
				t.Fatal("New accepted invalid health components")
			}
		})
	}
}
