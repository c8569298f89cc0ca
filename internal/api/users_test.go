package api

import (
	"net/http"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func TestAdminsManageUsersAndChangesKillTheTargetsTokens(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.LimiterEnabled = false })
	adminID := e.addUser("admin", adminPW, model.RoleAdmin, false)
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	admin, viewer := e.token("admin", adminPW), e.token("viewer", viewerPW)

	r := e.do(req{method: http.MethodGet, path: "/api/v1/config", token: viewer})
	if r.status != 200 || r.body["role"] != "viewer" || r.body["users"] != nil {
		t.Fatalf("viewer config: %d %s", r.status, r.raw)
	}
	r = e.do(req{method: http.MethodGet, path: "/api/v1/config", token: admin})
	if users, _ := r.body["users"].([]any); r.status != 200 || len(users) != 2 {
		t.Fatalf("admin config: %d %s", r.status, r.raw)
	}

	body := map[string]any{"username": "analyst", "password": "a-long-enough-password"}
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: viewer, body: body}),
		http.StatusForbidden, "Insufficient permissions")
	r = e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: admin, body: body})
	id, _ := r.body["uuid"].(string)
	if r.status != http.StatusCreated || id == "" || r.body["role"] != "viewer" || r.body["must_change_password"] != true ||
		r.body["password_hash"] != nil {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: admin, body: body}),
		http.StatusConflict, "Username already exists")
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: admin,
		body: map[string]any{"username": "x", "password": "short"}}), http.StatusUnprocessableEntity, "")
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/config/users", token: admin,
		body: map[string]any{"username": "y", "password": "a-long-enough-password", "role": "root"}}),
		http.StatusUnprocessableEntity, "role must be admin or viewer")

	// The new user's token dies when an admin changes the role, and again
	// when the password is reset.
	analyst := e.token("analyst", "a-long-enough-password")
	e.clk.Advance(2 * time.Second)
	if r := e.do(req{method: http.MethodPut, path: "/api/v1/config/users/" + id + "/role", token: admin,
		body: map[string]any{"role": "admin"}}); r.status != 200 {
		t.Fatalf("role: %d %s", r.status, r.raw)
	}
	want401(t, e.do(req{method: http.MethodGet, path: "/api/v1/config", token: analyst}))
	if r := e.do(req{method: http.MethodPut, path: "/api/v1/config/users/" + id + "/reset-password", token: admin,
		body: map[string]any{"new_password": "another-long-password"}}); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	if r := e.login("analyst", "another-long-password"); r.status != 200 || r.body["must_change_password"] != true {
		t.Errorf("login after reset: %d %s", r.status, r.raw)
	}

	wantStatus(t, e.do(req{method: http.MethodDelete, path: "/api/v1/config/users/" + adminID, token: admin}),
		http.StatusForbidden, "You cannot do this to your own account")
	wantStatus(t, e.do(req{method: http.MethodPut, path: "/api/v1/config/users/" + adminID + "/role", token: admin,
		body: map[string]any{"role": "viewer"}}), http.StatusForbidden, "")
	if r := e.do(req{method: http.MethodDelete, path: "/api/v1/config/users/" + id, token: admin}); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodDelete, path: "/api/v1/config/users/" + id, token: admin}),
		http.StatusNotFound, "User not found")
}
