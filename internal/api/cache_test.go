package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func TestCachedRoutesAreRegisteredReadRoutes(t *testing.T) {
	e := newEnv(t, nil)
	registered := map[string]bool{}
	for _, rt := range e.s.Routes() {
		registered[rt.Pattern()] = true
	}
	for pattern := range routeCacheTTL {
		if !registered[pattern] {
			t.Errorf("routeCacheTTL names %q, which is not a registered route", pattern)
		}
		if pattern[:4] != "GET " {
			t.Errorf("routeCacheTTL names %q: only reads may be cached", pattern)
		}
	}
	for path := range keepsCaches {
		found := false
		for _, rt := range e.s.Routes() {
			found = found || rt.Path == path
		}
		if !found {
			t.Errorf("keepsCaches names %q, which is not a registered route", path)
		}
	}
}

func TestResponseCacheRunsConcurrentIdenticalReadsOnce(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c := newResponseCache(clk.Now)
	var calls atomic.Int32
	release := make(chan struct{})
	h := func(w http.ResponseWriter, _ *http.Request) error {
		calls.Add(1)
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"n":1}`))
		return nil
	}
	const readers = 50
	var wg sync.WaitGroup
	bodies := make([]string, readers)
	for i := range readers {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			if err := c.serve(rec, httptest.NewRequest("GET", "/x", nil), "k", time.Second, h); err != nil {
				t.Error(err)
			}
			bodies[i] = rec.Body.String()
		})
	}
	// Let every reader reach the cache before the leader finishes.
	for {
		c.mu.Lock()
		e := c.entries["k"]
		c.mu.Unlock()
		if e != nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times for %d concurrent identical reads, want 1", n, readers)
	}
	for i, b := range bodies {
		if b != `{"n":1}` {
			t.Fatalf("reader %d got %q", i, b)
		}
	}
}

func TestResponseCacheExpiresAfterTTLAndKeepsOnlySuccesses(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c := newResponseCache(clk.Now)
	n := 0
	status := http.StatusOK
	h := func(w http.ResponseWriter, _ *http.Request) error {
		n++
		w.WriteHeader(status)
		fmt.Fprintf(w, "%d", n)
		return nil
	}
	get := func() string {
		rec := httptest.NewRecorder()
		if err := c.serve(rec, httptest.NewRequest("GET", "/x", nil), "k", 2*time.Second, h); err != nil {
			t.Fatal(err)
		}
		return rec.Body.String()
	}
	if a, b := get(), get(); a != "1" || b != "1" {
		t.Fatalf("within the TTL: %q then %q, want 1 twice", a, b)
	}
	clk.Advance(2 * time.Second)
	if got := get(); got != "2" {
		t.Fatalf("after the TTL: %q, want a fresh 2", got)
	}
	clk.Advance(2 * time.Second)
	status = http.StatusNotFound
	if a, b := get(), get(); a != "3" || b != "4" {
		t.Fatalf("non-200 answers: %q then %q, want each computed (3, 4)", a, b)
	}
	failing := func(http.ResponseWriter, *http.Request) error { return errors.New("db down") }
	if err := c.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/y", nil), "y", time.Second, failing); err == nil {
		t.Fatal("a failing handler's error was swallowed")
	}
	if _, ok := c.entries["y"]; ok {
		t.Fatal("a failed read was kept in the cache")
	}
}

func TestResponseCacheStaysBoundedUnderDistinctQueries(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c := newResponseCache(clk.Now)
	h := func(w http.ResponseWriter, _ *http.Request) error { _, _ = w.Write([]byte("x")); return nil }
	for i := range 3 * maxCacheEntries {
		if err := c.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), fmt.Sprint(i), time.Minute, h); err != nil {
			t.Fatal(err)
		}
	}
	if len(c.entries) > maxCacheEntries {
		t.Fatalf("%d entries, want at most %d", len(c.entries), maxCacheEntries)
	}
}

func TestWriteThroughTheAPIIsVisibleInTheNextCachedRead(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("root", adminPW, model.RoleAdmin, false)
	tok := e.token("root", adminPW)
	users := func() int {
		r := e.do(req{method: http.MethodGet, path: "/api/v1/config", token: tok})
		wantStatus(t, r, http.StatusOK, "")
		list, _ := r.body["users"].([]any)
		return len(list)
	}
	before := users()
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: tok,
		body: map[string]string{"username": "bob", "password": "a-long-password-1", "role": "viewer"}}), http.StatusCreated, "")
	if after := users(); after != before+1 {
		t.Fatalf("users listed after creating one: %d, want %d (the cached list was served)", after, before+1)
	}
}

func TestCachedReadsAreKeptApartByRole(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("root", adminPW, model.RoleAdmin, false)
	e.addUser("vera", viewerPW, model.RoleViewer, false)
	admin, viewer := e.token("root", adminPW), e.token("vera", viewerPW)
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/config", token: admin}); r.body["users"] == nil {
		t.Fatalf("admin config lists no users: %s", r.raw)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/config", token: viewer}); r.body["users"] != nil {
		t.Fatalf("a viewer was served the admin's cached config: %s", r.raw)
	}
}

func TestLogoutEndsACachedSessionAtOnce(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("vera", viewerPW, model.RoleViewer, false)
	tok := e.token("vera", viewerPW)
	wantStatus(t, e.health(tok), http.StatusOK, "")
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/auth/logout", token: tok}), http.StatusOK, "")
	want401(t, e.health(tok))
}

func TestDisabledCacheReadsTheStoreOnEveryRequest(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Logs, o.DisableCache = o.Users.(sqlUsers).Store, true })
	id := e.addUser("viewer", viewerPW, model.RoleViewer, false)
	tok := e.token("viewer", viewerPW)
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/stats", token: tok}); r.body["total_logs"] != 0.0 {
		t.Fatalf("empty store: %s", r.raw)
	}
	seedLogs(t, e)
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/stats", token: tok}); r.body["total_logs"] != 3.0 {
		t.Fatalf("after seeding, with the cache off: %s, want 3 logs at once", r.raw)
	}
	e.users.setRole(t, id, "intern")
	wantStatus(t, e.health(tok), http.StatusForbidden, "Insufficient permissions")
}

func TestResponseCacheSurvivesAPanickingHandler(t *testing.T) {
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c := newResponseCache(clk.Now)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the handler's panic did not reach the caller")
			}
		}()
		_ = c.serve(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil), "k", time.Second,
			func(http.ResponseWriter, *http.Request) error { panic("boom") })
	}()
	// The key is not left in flight: the next read runs its handler at
	// once instead of waiting for a leader that will never finish.
	rec := httptest.NewRecorder()
	if err := c.serve(rec, httptest.NewRequest("GET", "/x", nil), "k", time.Second,
		func(w http.ResponseWriter, _ *http.Request) error { _, _ = w.Write([]byte("fine")); return nil }); err != nil {
		t.Fatal(err)
	}
	if rec.Body.String() != "fine" {
		t.Fatalf("after a panic the cache answered %q", rec.Body.String())
	}
}
