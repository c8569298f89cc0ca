package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func TestRoutesListsEveryRouteWithItsAccess(t *testing.T) {
	e := newEnv(t, nil)
	want := []Route{
		{"GET", "/api/v1/openapi.json", AccessPublic},
		{"POST", "/api/v1/auth/login", AccessPublic},
		{"POST", "/api/v1/auth/logout", AccessAuthenticated},
		{"POST", "/api/v1/auth/change-password", AccessAuthenticated},
		{"GET", "/api/v1/health", AccessViewer},
		{"POST", "/api/v1/auth/sse-ticket", AccessViewer},
		{"GET", "/api/v1/stream", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/events", AccessViewer},
		{"GET", "/api/v1/identities/events", AccessViewer},
		{"GET", "/api/v1/campaigns/events", AccessViewer},
		{"GET", "/api/v1/ttp/events", AccessViewer},
		{"GET", "/api/v1/config", AccessViewer},
		{"POST", "/api/v1/config/users", AccessAdmin},
		{"DELETE", "/api/v1/config/users/{user_uuid}", AccessAdmin},
		{"PUT", "/api/v1/config/users/{user_uuid}/role", AccessAdmin},
		{"PUT", "/api/v1/config/users/{user_uuid}/reset-password", AccessAdmin},
		{"GET", "/api/v1/workers", AccessViewer},
		{"POST", "/api/v1/workers/{name}/stop", AccessAdmin},
		{"POST", "/api/v1/workers/{name}/start", AccessAdmin},
		{"GET", "/api/v1/logs", AccessViewer},
		{"GET", "/api/v1/logs/histogram", AccessViewer},
		{"GET", "/api/v1/stats", AccessViewer},
		{"GET", "/api/v1/attackers", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/commands", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/credentials", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/artifacts", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/transcripts", AccessViewer},
		{"GET", "/api/v1/artifacts/{decky}/{stored_as}", AccessAdmin},
		{"GET", "/api/v1/transcripts/{decky}/{sid}", AccessAdmin},
		{"GET", "/api/v1/credentials", AccessViewer},
		{"GET", "/api/v1/bounty", AccessViewer},
		{"GET", "/api/v1/identities", AccessViewer},
		{"GET", "/api/v1/identities/{uuid}", AccessViewer},
		{"GET", "/api/v1/identities/{uuid}/observations", AccessViewer},
		{"GET", "/api/v1/campaigns", AccessViewer},
		{"GET", "/api/v1/campaigns/{uuid}", AccessViewer},
		{"GET", "/api/v1/campaigns/{uuid}/identities", AccessViewer},
		{"GET", "/api/v1/credential-reuse", AccessViewer},
		{"GET", "/api/v1/credential-reuse/{id}", AccessViewer},
		{"GET", "/api/v1/attackers/export/stix", AccessViewer},
		{"GET", "/api/v1/attackers/export/misp", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/export/stix", AccessViewer},
		{"GET", "/api/v1/attackers/{uuid}/export/misp", AccessViewer},
		{"GET", "/api/v1/identities/{uuid}/export/stix", AccessViewer},
		{"GET", "/api/v1/identities/{uuid}/export/misp", AccessViewer},
		{"GET", "/api/v1/campaigns/{uuid}/export/stix", AccessViewer},
		{"GET", "/api/v1/campaigns/{uuid}/export/misp", AccessViewer},
		{"GET", "/api/v1/ttp/techniques", AccessViewer},
		{"GET", "/api/v1/ttp/techniques/{technique_id}/groups", AccessViewer},
		{"GET", "/api/v1/ttp/by-identity/{id}", AccessViewer},
		{"GET", "/api/v1/ttp/by-attacker/{id}", AccessViewer},
		{"GET", "/api/v1/ttp/by-session/{id}", AccessViewer},
		{"GET", "/api/v1/ttp/by-campaign/{id}", AccessViewer},
		{"GET", "/api/v1/ttp/tags/{scope}/{uuid}/{technique_id}", AccessViewer},
		{"GET", "/api/v1/ttp/rules", AccessViewer},
		{"POST", "/api/v1/ttp/rules/{rule_id}/state", AccessAdmin},
		{"DELETE", "/api/v1/ttp/rules/{rule_id}/state", AccessAdmin},
		{"GET", "/api/v1/ttp/export/navigator", AccessViewer},
		{"GET", "/api/v1/ttp/export/navigator/identity/{uuid}", AccessViewer},
		{"GET", "/api/v1/ttp/export/navigator/campaign/{uuid}", AccessViewer},
		{"GET", "/api/v1/webhooks", AccessAdmin},
		{"POST", "/api/v1/webhooks", AccessAdmin},
		{"GET", "/api/v1/webhooks/{uuid}", AccessAdmin},
		{"PATCH", "/api/v1/webhooks/{uuid}", AccessAdmin},
		{"DELETE", "/api/v1/webhooks/{uuid}", AccessAdmin},
		{"POST", "/api/v1/webhooks/{uuid}/test", AccessAdmin},
		{"GET", "/api/v1/deckies", AccessViewer},
		{"POST", "/api/v1/deckies/deploy", AccessAdmin},
		{"GET", "/api/v1/deckies/lifecycle", AccessViewer},
		{"POST", "/api/v1/deckies/{decky_name}/mutate", AccessAdmin},
		{"PUT", "/api/v1/deckies/{decky_name}/mutate-interval", AccessAdmin},
		{"POST", "/api/v1/deckies/{decky_name}/services", AccessAdmin},
		{"PUT", "/api/v1/deckies/{decky_name}/services/{service_name}/config", AccessAdmin},
		{"POST", "/api/v1/deckies/{decky_name}/services/{service_name}/apply", AccessAdmin},
		{"DELETE", "/api/v1/deckies/{decky_name}/services/{service_name}", AccessAdmin},
		{"DELETE", "/api/v1/deckies/{decky_name}", AccessAdmin},
		{"PUT", "/api/v1/config/deployment-limit", AccessAdmin},
		{"PUT", "/api/v1/config/global-mutation-interval", AccessAdmin},
	}
	if diff := cmp.Diff(want, e.s.Routes()); diff != "" {
		t.Errorf("Routes() mismatch (-want +got):\n%s", diff)
	}
	if got := want[4].Pattern(); got != "GET /api/v1/health" {
		t.Errorf("Pattern() = %q", got)
	}
}

func TestEveryNonPublicRouteRefusesAnonymousCallers(t *testing.T) {
	e := newEnv(t, nil)
	for _, rt := range e.s.Routes() {
		if rt.Access == AccessPublic {
			continue
		}
		t.Run(rt.Pattern(), func(t *testing.T) {
			want401(t, e.do(req{method: rt.Method, path: rt.Path}))
		})
	}
}

func TestViewerRoutesRejectMustChangeUsersAndAdminRoutesRejectViewers(t *testing.T) {
	e := newEnv(t, nil)
	e.s.register(route{http.MethodGet, "/api/v1/test/admin", AccessAdmin, func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	viewer, admin := e.token("viewer", viewerPW), e.token("admin", adminPW)

	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/test/admin", token: viewer}), http.StatusForbidden, "Insufficient permissions")
	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/test/admin", token: admin}), http.StatusNoContent, "")
	wantStatus(t, e.health(admin), http.StatusOK, "")
	wantStatus(t, e.health(viewer), http.StatusOK, "")
}

func TestPanicBecomesOpaque500WithErrorIDAndLoggedTrace(t *testing.T) {
	e := newEnv(t, nil)
	e.s.register(route{http.MethodGet, "/api/v1/test/panic", AccessPublic, func(http.ResponseWriter, *http.Request) error {
		panic("secret internal state 0xdeadbeef")
	}})
	r := e.do(req{method: "GET", path: "/api/v1/test/panic"})
	wantStatus(t, r, http.StatusInternalServerError, "Internal Server Error")
	id, _ := r.body["error_id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(id) {
		t.Fatalf("error_id = %q", id)
	}
	if strings.Contains(r.raw, "0xdeadbeef") || strings.Contains(r.raw, "goroutine") || strings.Contains(r.raw, ".go:") {
		t.Fatalf("panic details leaked: %s", r.raw)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, id) || !strings.Contains(logs, "0xdeadbeef") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("log lacks the error id, panic value or stack:\n%s", logs)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Error("500 from a panic lost the security headers")
	}
}

// failingUsers makes every lookup fail with an error the handlers do not
// know, standing in for a bug deep in a repository.
type failingUsers struct{ store.UserRepository }

func (failingUsers) GetUserByUsername(context.Context, string) (model.User, error) {
	return model.User{}, errors.New("sql: internal invariant broken near 10.9.9.9")
}

// unavailableUsers fails every lookup the way the SQL store reports an
// unreachable database.
type unavailableUsers struct{ store.UserRepository }

func (unavailableUsers) GetUserByUsername(context.Context, string) (model.User, error) {
	return model.User{}, fmt.Errorf("sqlstore: GetUserByUsername: %w: dial tcp 10.9.9.9:3306: connection refused", store.ErrUnavailable)
}

func TestDatabaseOutageIs503NotAnOpaque500(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Users = unavailableUsers{} })
	r := e.login("alice", viewerPW)
	wantStatus(t, r, http.StatusServiceUnavailable, "Database unavailable; retry shortly")
	if strings.Contains(r.raw, "10.9.9.9") {
		t.Fatalf("body leaks the cause: %s", r.raw)
	}
}

func TestUnexpectedErrorBecomesOpaque500WithErrorID(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Users = failingUsers{} })
	r := e.login("alice", viewerPW)
	wantStatus(t, r, http.StatusInternalServerError, "Internal Server Error")
	id, _ := r.body["error_id"].(string)
	if id == "" || strings.Contains(r.raw, "10.9.9.9") {
		t.Fatalf("body = %s, want an error_id and no internal error text", r.raw)
	}
	if logs := e.logs.String(); !strings.Contains(logs, id) || !strings.Contains(logs, "10.9.9.9") {
		t.Fatalf("log lacks the error id or cause:\n%s", logs)
	}
}

func TestPostWithNonJSONBodyIs415(t *testing.T) {
	e := newEnv(t, nil)
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"} {
		t.Run(ct, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/api/v1/auth/login", contentType: ct, body: `{"username":"a","password":"b"}`})
			wantStatus(t, r, http.StatusUnsupportedMediaType, "Unsupported Media Type: expected application/json")
		})
	}
	t.Run("charset parameter accepted", func(t *testing.T) {
		r := e.do(req{method: "POST", path: "/api/v1/auth/login", contentType: "application/json; charset=utf-8",
			body: `{"username":"a","password":"b"}`})
		wantStatus(t, r, http.StatusUnauthorized, "")
	})
}

func TestEmptyPostNeedsNoContentType(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/logout", token: tok}), http.StatusOK, "")
}

func TestMalformedJSONIs400(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(req{method: "POST", path: "/api/v1/auth/login", body: `{"username":`})
	wantStatus(t, r, http.StatusBadRequest, "")
}

func TestBodyOverLimitIs413(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.MaxBodyBytes = 64 })
	big := `{"username":"` + strings.Repeat("a", 100) + `","password":"b"}`
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/login", body: big}), http.StatusRequestEntityTooLarge, "")

	t.Run("default limit is 1 MiB", func(t *testing.T) {
		o, err := Options{}.withDefaults()
		if err != nil {
			t.Fatal(err)
		}
		if o.MaxBodyBytes != 1<<20 {
			t.Fatalf("default MaxBodyBytes = %d, want 1 MiB", o.MaxBodyBytes)
		}
	})
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newEnv(t, nil)
	for _, r := range []response{
		e.login("nobody", "wrong-password"),
		e.do(req{method: "GET", path: "/api/v1/nope"}),
		e.health(""),
	} {
		for k, v := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"X-Frame-Options":        "DENY",
			"Referrer-Policy":        "no-referrer",
		} {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if r.header.Get("X-Request-ID") == "" {
			t.Error("no X-Request-ID")
		}
	}
}

func TestCORSEchoesOnlyConfiguredOrigins(t *testing.T) {
	e := newEnv(t, nil)
	allowed := e.do(req{method: "POST", path: "/api/v1/auth/login", body: `{"username":"a","password":"b"}`,
		header: map[string]string{"Origin": "http://localhost:8080"}})
	if got := allowed.header.Get("Access-Control-Allow-Origin"); got != "http://localhost:8080" {
		t.Errorf("allowed origin: Access-Control-Allow-Origin = %q", got)
	}
	other := e.do(req{method: "POST", path: "/api/v1/auth/login", body: `{"username":"a","password":"b"}`,
		header: map[string]string{"Origin": "https://evil.example"}})
	if got := other.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("foreign origin: Access-Control-Allow-Origin = %q", got)
	}

	pre := e.do(req{method: "OPTIONS", path: "/api/v1/auth/login", header: map[string]string{
		"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type",
	}})
	if pre.status != http.StatusNoContent || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight = %d %v", pre.status, pre.header)
	}
	if pre.header.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials allowed; the API uses bearer tokens only")
	}
}

func TestNewRefusesWildcardCORSAndMissingDependencies(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"wildcard origin", Options{Users: e.users, Tokens: e.tokens, CORSOrigins: []string{"*"}}},
		{"origin with path", Options{Users: e.users, Tokens: e.tokens, CORSOrigins: []string{"http://localhost:8080/app"}}},
		{"no users", Options{Tokens: e.tokens}},
		{"no tokens", Options{Users: e.users}},
		{"negative body limit", Options{Users: e.users, Tokens: e.tokens, MaxBodyBytes: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.o); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestUnknownRoutesAreJSON404AndWrongMethodsJSON405(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/api/v1/does-not-exist", "/api/v2/health", "/"} {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusNotFound, "Not Found")
	}
	r := e.do(req{method: "GET", path: "/api/v1/auth/login"})
	wantStatus(t, r, http.StatusMethodNotAllowed, "Method Not Allowed")
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
}

func TestAccessLogRecordsRequestsWithoutQueryOrAuthorization(t *testing.T) {
	e := newEnv(t, nil)
	e.do(req{method: "GET", path: "/api/v1/health?ticket=s3cr3t-ticket", header: map[string]string{"Authorization": "Bearer s3cr3t-jwt"}})
	logs := e.logs.String()
	if !strings.Contains(logs, `"path":"/api/v1/health"`) || !strings.Contains(logs, `"status":401`) {
		t.Fatalf("access log missing the request:\n%s", logs)
	}
	if strings.Contains(logs, "s3cr3t") {
		t.Fatal("access log leaks the query string or Authorization header")
	}
}
