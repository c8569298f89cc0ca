package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/webhook"
)

// recordingPublisher collects what the routes publish.
type recordingPublisher struct {
	mu     sync.Mutex
	topics []string
}

func (p *recordingPublisher) Publish(_ context.Context, topic, _ string, _ any) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.topics = append(p.topics, topic)
	return nil
}

func (p *recordingPublisher) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.topics)
}

// webhookEnv is an API whose webhook routes use the env's SQLite store and
// a real dispatcher; tlsRoots, when set, is trusted for test deliveries.
type webhookEnv struct {
	*env
	pub   *recordingPublisher
	admin string
}

func newWebhookEnv(t *testing.T, allowPrivate bool, tlsRoots *x509.CertPool) *webhookEnv {
	t.Helper()
	pub := &recordingPublisher{}
	opts := webhook.Options{AllowPrivate: allowPrivate}
	if tlsRoots != nil {
		opts.TLSConfig = &tls.Config{RootCAs: tlsRoots, MinVersion: tls.VersionTLS12}
	}
	d := webhook.New(opts)
	t.Cleanup(func() { d.Close() })
	e := newEnv(t, func(o *Options) {
		o.WebhookDeliverer = d
		o.Publisher = pub
	})
	// The repository is the env's own store, set after New opened it.
	e.s.webhooks = e.users.Store
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	return &webhookEnv{env: e, pub: pub, admin: e.token("admin", adminPW)}
}

// list returns GET /webhooks's status and raw body (a JSON array, which
// env.do does not decode).
func (e *webhookEnv) list() (int, string) {
	e.t.Helper()
	hr, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/webhooks", nil)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+e.admin)
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestWebhookCreateShowsTheSecretOnceAndListMasksIt(t *testing.T) {
	e := newWebhookEnv(t, false, nil)
	r := e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: map[string]any{
		"name": "siem", "url": "https://93.184.215.14/hook", "simple_events": []string{"DeckyStatus"},
		"topic_patterns": []string{"attacker.>", "decky.*.state"},
	}})
	wantStatus(t, r, http.StatusCreated, "")
	secret, _ := r.body["secret"].(string)
	if len(secret) != 43 || strings.Contains(secret, "*") {
		t.Fatalf("create secret = %q, want a 43-character token_urlsafe(32)", secret)
	}
	if got := r.body["topic_patterns"].([]any); len(got) != 3 || got[0] != "decky.*.state" ||
		got[1] != "decky.*.traffic" || got[2] != "attacker.>" {
		t.Errorf("topic_patterns = %v, want shortcuts expanded first, deduplicated", got)
	}
	id := r.body["uuid"].(string)
	if e.pub.count() != 1 || e.pub.topics[0] != bus.SystemWebhookSubscriptionsChanged {
		t.Errorf("published %v", e.pub.topics)
	}

	status, raw := e.list()
	if status != http.StatusOK || strings.Contains(raw, secret) ||
		!strings.Contains(raw, `"secret":"********`+secret[len(secret)-4:]+`"`) {
		t.Errorf("list %d leaks or does not mask the secret: %s", status, raw)
	}
	g := e.do(req{method: "GET", path: "/api/v1/webhooks/" + id, token: e.admin})
	wantStatus(t, g, http.StatusOK, "")
	if strings.Contains(g.raw, secret) || g.body["name"] != "siem" {
		t.Errorf("get: %s", g.raw)
	}

	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: map[string]any{
		"name": "siem", "url": "https://93.184.215.14/other", "topic_patterns": []string{"system.>"},
	}}), http.StatusConflict, `Webhook name "siem" already exists`)

	p := e.do(req{method: "PATCH", path: "/api/v1/webhooks/" + id, token: e.admin,
		body: map[string]any{"enabled": false, "topic_patterns": []string{"system.>"}}})
	wantStatus(t, p, http.StatusOK, "")
	if p.body["enabled"] != false || strings.Contains(p.raw, secret) {
		t.Errorf("patch: %s", p.raw)
	}
	wantStatus(t, e.do(req{method: "PATCH", path: "/api/v1/webhooks/" + id, token: e.admin,
		body: map[string]any{"topic_patterns": []string{}}}), http.StatusBadRequest, "")
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/webhooks/" + id, token: e.admin}), http.StatusOK, "")
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/webhooks/" + id, token: e.admin}),
		http.StatusNotFound, "Webhook not found")
	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/webhooks/" + id, token: e.admin}),
		http.StatusNotFound, "Webhook not found")
	if e.pub.count() != 3 {
		t.Errorf("published %d changes, want 3 (create, patch, delete)", e.pub.count())
	}
}

func TestWebhookCreateRefusesInvalidAndSSRFTargets(t *testing.T) {
	e := newWebhookEnv(t, false, nil)
	for _, c := range []struct {
		name   string
		body   map[string]any
		status int
		detail string
	}{
		{"loopback", map[string]any{"name": "a", "url": "https://127.0.0.1:9/x", "topic_patterns": []string{"system.>"}},
			http.StatusUnprocessableEntity, "DECNET_WEBHOOK_ALLOW_PRIVATE=true"},
		{"metadata", map[string]any{"name": "a", "url": "http://169.254.169.254/latest", "topic_patterns": []string{"system.>"}},
			http.StatusUnprocessableEntity, "Webhook URL refused"},
		{"rfc1918", map[string]any{"name": "a", "url": "https://10.0.0.5/x", "topic_patterns": []string{"system.>"}},
			http.StatusUnprocessableEntity, "Webhook URL refused"},
		{"scheme", map[string]any{"name": "a", "url": "ftp://example.com/x", "topic_patterns": []string{"system.>"}},
			http.StatusUnprocessableEntity, "Invalid webhook"},
		{"short secret", map[string]any{"name": "a", "url": "https://93.184.215.14/x", "secret": "short",
			"topic_patterns": []string{"system.>"}}, http.StatusUnprocessableEntity, "Invalid webhook: secret must be"},
		{"long name", map[string]any{"name": strings.Repeat("n", 65), "url": "https://93.184.215.14/x",
			"topic_patterns": []string{"system.>"}}, http.StatusUnprocessableEntity, "Invalid webhook: name must be"},
		{"unknown simple event", map[string]any{"name": "a", "url": "https://93.184.215.14/x",
			"simple_events": []string{"Everything"}}, http.StatusUnprocessableEntity, "unknown simple event"},
		{"bad pattern", map[string]any{"name": "a", "url": "https://93.184.215.14/x",
			"topic_patterns": []string{"a.>.b"}}, http.StatusUnprocessableEntity, "must be the last token"},
		{"no topics", map[string]any{"name": "a", "url": "https://93.184.215.14/x"},
			http.StatusBadRequest, "at least one of simple_events or topic_patterns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: c.body})
			wantStatus(t, r, c.status, "")
			if d, _ := r.body["detail"].(string); !strings.Contains(d, c.detail) {
				t.Errorf("detail = %q, want it to contain %q", d, c.detail)
			}
		})
	}
	if status, raw := e.list(); status != http.StatusOK || raw != "[]" {
		t.Errorf("refused creates stored something: %d %s", status, raw)
	}
	if e.pub.count() != 0 {
		t.Errorf("refused creates published %v", e.pub.topics)
	}
}

func TestWebhookRoutesAreAdminOnly(t *testing.T) {
	e := newWebhookEnv(t, false, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)
	for _, rt := range e.s.Routes() {
		if !strings.HasPrefix(rt.Path, "/api/v1/webhooks") {
			continue
		}
		path := strings.Replace(rt.Path, "{uuid}", "6f1c1f0e-9a4b-4c1d-8e2f-0123456789ab", 1)
		wantStatus(t, e.do(req{method: rt.Method, path: path, token: tok, body: "{}"}), http.StatusForbidden,
			detailForbidden)
	}
}

func TestWebhookTestFireDeliversASignedPing(t *testing.T) {
	type got struct {
		body     []byte
		sig, ts  string
		topic    string
		verified error
	}
	ch := make(chan got, 1)
	var secret []byte
	var mu sync.Mutex
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		key := secret
		mu.Unlock()
		g := got{body: b, sig: r.Header.Get(webhook.HeaderSignature), ts: r.Header.Get(webhook.HeaderTimestamp),
			topic: r.Header.Get(webhook.HeaderEventTopic)}
		g.verified = webhook.Verify(key, g.sig, g.ts, b, time.Now(), 0)
		ch <- g
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(recv.Certificate())
	e := newWebhookEnv(t, true, pool)

	r := e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: map[string]any{
		"name": "local", "url": recv.URL + "/hook", "secret": "a-test-secret-of-32-characters!!",
		"topic_patterns": []string{"system.>"},
	}})
	wantStatus(t, r, http.StatusCreated, "")
	mu.Lock()
	secret = []byte(r.body["secret"].(string))
	mu.Unlock()
	if string(secret) != "a-test-secret-of-32-characters!!" {
		t.Fatalf("create returned secret %q", secret)
	}
	res := e.do(req{method: "POST", path: "/api/v1/webhooks/" + r.body["uuid"].(string) + "/test", token: e.admin})
	wantStatus(t, res, http.StatusOK, "")
	if res.body["delivered"] != true || res.body["status_code"] != float64(204) || res.body["attempts"] != float64(1) {
		t.Errorf("test result: %s", res.raw)
	}
	select {
	case g := <-ch:
		if g.verified != nil {
			t.Errorf("signature %q over %s does not verify: %v", g.sig, g.body, g.verified)
		}
		if g.topic != "test.ping" || !strings.Contains(string(g.body), `"triggered_by":"admin"`) {
			t.Errorf("topic %q body %s", g.topic, g.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("receiver got nothing")
	}
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/webhooks/nope/test", token: e.admin}),
		http.StatusNotFound, "Webhook not found")
}

func TestWebhookRoutesWithoutAStoreAnswer503(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/webhooks/x", token: e.token("admin", adminPW)}),
		http.StatusServiceUnavailable, "Webhooks are not configured")
}

func TestTwentyFirstWebhookCreateWithinAMinuteIs429(t *testing.T) {
	e := newWebhookEnv(t, false, nil)
	create := func(i int) response {
		return e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: map[string]any{
			"name": "w" + strings.Repeat("x", i), "url": "https://93.184.215.14/x", "topic_patterns": []string{"system.>"},
		}})
	}
	for i := range 20 {
		wantStatus(t, create(i), http.StatusCreated, "")
	}
	r := create(20)
	wantStatus(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	e.clk.Advance(time.Minute + time.Second)
	wantStatus(t, create(21), http.StatusCreated, "")
}

func TestWebhookPatchReenableClearsTheCircuit(t *testing.T) {
	e := newWebhookEnv(t, false, nil)
	r := e.do(req{method: "POST", path: "/api/v1/webhooks", token: e.admin, body: map[string]any{
		"name": "siem", "url": "https://93.184.215.14/x", "simple_events": []string{"SystemStatus"},
	}})
	wantStatus(t, r, http.StatusCreated, "")
	id := r.body["uuid"].(string)
	ctx := context.Background()
	for range 3 {
		if _, err := e.users.RecordWebhookResult(ctx, id, false, "HTTP 500"); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.users.DisableWebhook(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	g := e.do(req{method: "GET", path: "/api/v1/webhooks/" + id, token: e.admin})
	if g.body["enabled"] != false || g.body["auto_disabled_at"] == nil || g.body["last_error"] != "HTTP 500" ||
		g.body["consecutive_failures"] != float64(3) {
		t.Fatalf("tripped row: %s", g.raw)
	}
	p := e.do(req{method: "PATCH", path: "/api/v1/webhooks/" + id, token: e.admin, body: map[string]any{"enabled": true}})
	wantStatus(t, p, http.StatusOK, "")
	if p.body["enabled"] != true || p.body["auto_disabled_at"] != nil || p.body["last_error"] != nil ||
		p.body["consecutive_failures"] != float64(0) {
		t.Errorf("re-enabled row: %s", p.raw)
	}
	wantStatus(t, e.do(req{method: "PATCH", path: "/api/v1/webhooks/" + id, token: e.admin,
		body: map[string]any{"url": "https://192.168.1.10/x"}}), http.StatusUnprocessableEntity, "")
	wantStatus(t, e.do(req{method: "PATCH", path: "/api/v1/webhooks/nope", token: e.admin,
		body: map[string]any{"enabled": true}}), http.StatusNotFound, "Webhook not found")
}
