package api

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/decnet/decnet/internal/model"
)

// pathParam matches a {wildcard} of a route pattern.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestRBACContractOverEveryRoute walks every registered route (whatever
// issues add later) with the four kinds of caller: no token → 401; a
// viewer → 403 on admin routes and never 403 elsewhere; an admin → never
// 401 or 403; a user who must still change the password → 403 everywhere
// except the routes open to any authenticated user (change-password,
// logout).
func TestRBACContractOverEveryRoute(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Intel, o.Identities, o.TTP, o.Reuse, o.Webhooks = st, st, st, st, st, st
		o.Campaigns = st
		o.Fleet = newTestManager(t, st)
		// The walk logs in a few hundred times; the login limits have
		// tests of their own.
		o.LimiterEnabled = false
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	e.addUser("pending", viewerPW, model.RoleAdmin, true)
	for _, rt := range e.s.Routes() {
		if rt.Access == AccessPublic {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "x")
		call := func(user, pw string) response {
			// A fresh token per call: logout and change-password revoke
			// the one they are called with.
			var body any
			if rt.Method != http.MethodGet && rt.Method != http.MethodDelete {
				body = map[string]any{}
			}
			return e.do(req{method: rt.Method, path: path, token: e.token(user, pw), body: body})
		}
		t.Run(rt.Pattern(), func(t *testing.T) {
			want401(t, e.do(req{method: rt.Method, path: path}))

			v := call("viewer", viewerPW)
			switch {
			case rt.Access == AccessAdmin && v.status != http.StatusForbidden:
				t.Errorf("viewer on an admin route: %d %s", v.status, v.raw)
			case rt.Access != AccessAdmin && (v.status == http.StatusForbidden || v.status == http.StatusUnauthorized):
				t.Errorf("viewer on a %s route: %d %s", rt.Access, v.status, v.raw)
			}
			if a := call("admin", adminPW); a.status == http.StatusForbidden || a.status == http.StatusUnauthorized {
				t.Errorf("admin: %d %s", a.status, a.raw)
			}
			p := call("pending", viewerPW)
			if rt.Access == AccessAuthenticated {
				if p.status == http.StatusForbidden || p.status == http.StatusUnauthorized {
					t.Errorf("a user with a pending password change on %s: %d %s", rt.Access, p.status, p.raw)
				}
			} else {
				wantStatus(t, p, http.StatusForbidden, detailMustChange)
			}
		})
	}
}
