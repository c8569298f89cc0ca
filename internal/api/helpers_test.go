package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// fakeClock is a manually advanced clock shared by the server, the token
// issuer and the limiters.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sqlUsers is the real user repository: the SQLite store in a temp dir.
type sqlUsers struct{ *sqlstore.Store }

// newSQLUsers opens and migrates a SQLite store for one test, on the test's
// clock so token-revocation pruning follows the fake time.
func newSQLUsers(t *testing.T, now func() time.Time) sqlUsers {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), sqlstore.Options{
		Dialect: sqlstore.DialectSQLite, DSN: filepath.Join(t.TempDir(), "decnet.db"), Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return sqlUsers{s}
}

// setRole changes a user's role directly in the database, as another
// process (or an admin route) would.
func (u sqlUsers) setRole(t *testing.T, id, role string) {
	t.Helper()
	if _, err := u.DB().ExecContext(context.Background(), "UPDATE users SET role = ? WHERE uuid = ?", role, id); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer collects log output written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var testSecret = []byte("test-secret-test-secret-test-secret!")

// env is a running API over httptest with its fakes.
type env struct {
	t      *testing.T
	srv    *httptest.Server
	s      *Server
	clk    *fakeClock
	users  sqlUsers
	hasher *auth.Hasher
	tokens *auth.Tokens
	logs   *syncBuffer
}

// newEnv starts a server; opt may adjust the options before New.
func newEnv(t *testing.T, opt func(*Options)) *env {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	users := newSQLUsers(t, clk.Now)
	hasher, err := auth.NewHasher(bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(auth.TokenOptions{Secret: testSecret, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	o := Options{
		Users:          users,
		Tokens:         tokens,
		Hasher:         hasher,
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LimiterEnabled: true,
		CORSOrigins:    []string{"http://localhost:8080"},
		Now:            clk.Now,
	}
	if opt != nil {
		opt(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, s: s, clk: clk, users: users, hasher: hasher, tokens: tokens, logs: logs}
}

// addUser stores a user with password and returns its uuid.
func (e *env) addUser(username, password, role string, mustChange bool) string {
	e.t.Helper()
	hash, err := e.hasher.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	id := "uuid-" + username
	if err := e.users.CreateUser(context.Background(), model.User{
		UUID: id, Username: username, PasswordHash: hash, Role: role, MustChangePassword: mustChange,
	}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// response is a decoded API response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	// list is the body when it is a JSON array.
	list []any
	raw  string
}

// req describes one request; zero fields are omitted.
type req struct {
	method      string
	path        string
	token       string
	body        any // string sent verbatim, anything else JSON-encoded
	contentType string
	header      map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	var body io.Reader
	ct := r.contentType
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	if body != nil && ct == "" {
		ct = "application/json"
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		hr.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		// An SSE stream never ends by itself: callers that walk every
		// route get its status and headers; closing the body hangs up.
		return response{status: resp.StatusCode, header: resp.Header}
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		dst := any(&out.body)
		if raw[0] == '[' {
			dst = &out.list
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			e.t.Fatalf("%s %s: undecodable JSON %q: %v", r.method, r.path, raw, err)
		}
	}
	return out
}

func (e *env) login(username, password string) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/v1/auth/login",
		body: map[string]string{"username": username, "password": password}})
}

// token logs in and returns the access token, failing the test otherwise.
func (e *env) token(username, password string) string {
	e.t.Helper()
	r := e.login(username, password)
	tok, _ := r.body["access_token"].(string)
	if r.status != http.StatusOK || tok == "" {
		e.t.Fatalf("login %s: %d %s", username, r.status, r.raw)
	}
	return tok
}

func (e *env) health(token string) response {
	e.t.Helper()
	return e.do(req{method: "GET", path: "/api/v1/health", token: token})
}

// wantStatus fails unless r has status and, when detail is non-empty, that detail.
func wantStatus(t *testing.T, r response, status int, detail string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if detail != "" && r.body["detail"] != detail {
		t.Fatalf("detail = %q, want %q", r.body["detail"], detail)
	}
}

// want401 checks the uniform authentication failure.
func want401(t *testing.T, r response) {
	t.Helper()
	wantStatus(t, r, http.StatusUnauthorized, detailUnauthorized)
	if got := r.header.Get("WWW-Authenticate"); got != "Bearer" {
		t.Fatalf("WWW-Authenticate = %q, want Bearer", got)
	}
}
