package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
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

// memUsers is an in-memory store.UserRepository. The same behaviour is
// expected from the SQL store.
type memUsers struct {
	mu      sync.Mutex
	users   map[string]model.User // by uuid
	revoked map[string]time.Time  // jti → expires
}

func newMemUsers() *memUsers {
	return &memUsers{users: map[string]model.User{}, revoked: map[string]time.Time{}}
}

func (m *memUsers) GetUserByUsername(_ context.Context, name string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.Username == name {
			return u, nil
		}
	}
	return model.User{}, store.ErrNotFound
}

func (m *memUsers) GetUserByUUID(_ context.Context, id string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return model.User{}, store.ErrNotFound
	}
	return u, nil
}

func (m *memUsers) CreateUser(_ context.Context, u model.User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.users {
		if o.Username == u.Username {
			return store.ErrConflict
		}
	}
	m.users[u.UUID] = u
	return nil
}

func (m *memUsers) UpdateUserPassword(_ context.Context, id, hash string, mustChange bool, validFrom time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return store.ErrNotFound
	}
	u.PasswordHash, u.MustChangePassword, u.TokensValidFrom = hash, mustChange, validFrom
	m.users[id] = u
	return nil
}

func (m *memUsers) ListUsers(context.Context) ([]model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]model.User, 0, len(m.users))
	for _, u := range m.users {
		out = append(out, u)
	}
	return out, nil
}

func (m *memUsers) RevokeToken(_ context.Context, jti, _ string, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoked[jti] = expiresAt
	return nil
}

func (m *memUsers) IsTokenRevoked(_ context.Context, jti string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.revoked[jti]
	return ok, nil
}

// setRole changes a user's role directly in the store.
func (m *memUsers) setRole(id, role string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[id]
	u.Role = role
	m.users[id] = u
}

var _ store.UserRepository = (*memUsers)(nil)

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
	users  *memUsers
	hasher *auth.Hasher
	tokens *auth.Tokens
	logs   *syncBuffer
}

// newEnv starts a server; opt may adjust the options before New.
func newEnv(t *testing.T, opt func(*Options)) *env {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	users := newMemUsers()
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
	raw    string
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
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out.body); err != nil {
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
