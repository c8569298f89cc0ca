package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/model"
)

const (
	viewerPW = "viewer-password-1"
	adminPW  = "admin-password-12"
)

func TestLoginReturnsBearerTokenForCorrectPassword(t *testing.T) {
	e := newEnv(t, nil)
	id := e.addUser("alice", viewerPW, model.RoleViewer, false)
	r := e.login("alice", viewerPW)
	wantStatus(t, r, http.StatusOK, "")
	if r.body["token_type"] != "bearer" || r.body["must_change_password"] != false {
		t.Fatalf("body = %v", r.body)
	}
	c, err := e.tokens.Verify(r.body["access_token"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if c.UUID != id || c.JTI == "" || !c.IssuedAt.Equal(e.clk.Now()) || !c.ExpiresAt.After(c.IssuedAt) {
		t.Fatalf("claims = %+v, want uuid %s with jti, iat=now and a later exp", c, id)
	}
}

func TestLoginReportsPendingPasswordChange(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, model.RoleAdmin, true)
	r := e.login("admin", adminPW)
	wantStatus(t, r, http.StatusOK, "")
	if r.body["must_change_password"] != true {
		t.Fatalf("must_change_password = %v, want true", r.body["must_change_password"])
	}
}

func TestLoginRefusesWrongPasswordAndUnknownUserAlike(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	for _, tc := range []struct{ name, user, pw string }{
		{"wrong password", "alice", "not-the-password"},
		{"unknown user", "mallory", viewerPW},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.login(tc.user, tc.pw)
			wantStatus(t, r, http.StatusUnauthorized, "Incorrect username or password")
			if r.body["access_token"] != nil {
				t.Fatal("token issued on failed login")
			}
		})
	}
}

func TestLoginRejectsPasswordOver72BytesWith422(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	wantStatus(t, e.login("alice", viewerPW+strings.Repeat("x", 60)), http.StatusUnprocessableEntity,
		"Password must be at most 72 bytes")
}

func TestLoginRejectsMalformedOrIncompleteBodiesWith400(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name string
		body string
	}{
		{"malformed JSON", `{"username": "a", `},
		{"missing password", `{"username": "alice"}`},
		{"missing username", `{"password": "x"}`},
		{"wrong type", `{"username": 42, "password": "x"}`},
		{"unknown field", `{"username": "a", "password": "b", "admin": true}`},
		{"not an object", `[1,2]`},
		{"trailing data", `{"username": "a", "password": "b"} {}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/api/v1/auth/login", body: tc.body})
			wantStatus(t, r, http.StatusBadRequest, "")
			if d, _ := r.body["detail"].(string); !strings.HasPrefix(d, "Bad Request") || strings.Contains(d, "loginRequest") {
				t.Fatalf("detail = %q, want a Bad Request message free of Go type names", d)
			}
		})
	}
}

func TestEleventhLoginFromOneAddressWithinFiveMinutesIs429EvenAfterSuccesses(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	for i := range 10 {
		// Successes and failures, across usernames: all count per address.
		user, pw := "alice", viewerPW
		if i%2 == 1 {
			user, pw = fmt.Sprintf("user%d", i), "wrong-password"
		}
		if r := e.login(user, pw); r.status == http.StatusTooManyRequests {
			t.Fatalf("attempt %d limited", i+1)
		}
		e.clk.Advance(20 * time.Second)
	}
	r := e.login("alice", viewerPW)
	wantStatus(t, r, http.StatusTooManyRequests, "Rate limit exceeded: 10 per 5 minutes")
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	e.clk.Advance(5 * time.Minute)
	wantStatus(t, e.login("alice", viewerPW), http.StatusOK, "")
}

func TestLoginLimitAlsoAppliesPerUsernameAcrossAddresses(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	// Every test request comes from 127.0.0.1; switching the per-address
	// bucket off stands in for an attacker rotating addresses.
	var err error
	e.s.loginByIP, err = auth.NewLimiter(auth.LimiterOptions{Limit: 1, Window: time.Minute, Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		pw := "wrong-password"
		if i == 3 {
			pw = viewerPW // a success still counts
		}
		if r := e.login("alice", pw); r.status == http.StatusTooManyRequests {
			t.Fatalf("attempt %d limited", i+1)
		}
	}
	wantStatus(t, e.login("alice", viewerPW), http.StatusTooManyRequests, "")
	// Another username is unaffected.
	wantStatus(t, e.login("bob", "whatever-password"), http.StatusUnauthorized, "")
}

func TestUnparseableLoginBodiesShareOneUsernameBucket(t *testing.T) {
	e := newEnv(t, nil)
	e.s.loginByIP, _ = auth.NewLimiter(auth.LimiterOptions{Limit: 1, Window: time.Minute, Disabled: true})
	for range 10 {
		wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/login", body: "{garbage"}), http.StatusBadRequest, "")
	}
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/login", body: "{garbage"}), http.StatusTooManyRequests, "")
}

func TestDisabledLimiterNeverReturns429(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.LimiterEnabled = false })
	for range 30 {
		if r := e.login("nobody", "wrong-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("status %d with limiter disabled", r.status)
		}
	}
}

func TestSixthPasswordChangeWithinAMinuteIs429(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)
	for range 5 {
		// Wrong old password: fails without revoking the token, still counts.
		r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
			body: map[string]string{"old_password": "wrong-old-password", "new_password": "new-password-123"}})
		wantStatus(t, r, http.StatusUnauthorized, "Incorrect old password")
	}
	r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
		body: map[string]string{"old_password": viewerPW, "new_password": "new-password-123"}})
	wantStatus(t, r, http.StatusTooManyRequests, "Rate limit exceeded: 5 per 1 minute")

	e.clk.Advance(time.Minute)
	r = e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
		body: map[string]string{"old_password": viewerPW, "new_password": "new-password-123"}})
	wantStatus(t, r, http.StatusOK, "")
}

func TestLogoutKillsOnlyThatTokenAndSecondLogoutIs401(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	first := e.token("alice", viewerPW)
	second := e.token("alice", viewerPW)

	r := e.do(req{method: "POST", path: "/api/v1/auth/logout", token: first})
	wantStatus(t, r, http.StatusOK, "")
	if r.body["message"] != "Logged out" {
		t.Fatalf("body = %v", r.body)
	}
	want401(t, e.health(first))
	want401(t, e.do(req{method: "POST", path: "/api/v1/auth/logout", token: first}))
	wantStatus(t, e.health(second), http.StatusOK, "")
}

func TestLogoutIsAllowedWhilePasswordChangeIsPending(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, model.RoleAdmin, true)
	tok := e.token("admin", adminPW)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/logout", token: tok}), http.StatusOK, "")
	want401(t, e.do(req{method: "POST", path: "/api/v1/auth/logout", token: tok}))
}

func TestPendingPasswordChangeBlocksHealthButAllowsChangingIt(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, model.RoleAdmin, true)
	tok := e.token("admin", adminPW)
	wantStatus(t, e.health(tok), http.StatusForbidden, "Password change required before accessing this resource")

	r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
		body: map[string]string{"old_password": adminPW, "new_password": "brand-new-password"}})
	wantStatus(t, r, http.StatusOK, "")
	if r.body["message"] != "Password updated successfully" {
		t.Fatalf("body = %v", r.body)
	}
	// The session that changed the password is dead too.
	want401(t, e.health(tok))

	e.clk.Advance(time.Second)
	r = e.login("admin", "brand-new-password")
	wantStatus(t, r, http.StatusOK, "")
	if r.body["must_change_password"] != false {
		t.Fatal("must_change_password still set after change")
	}
	wantStatus(t, e.health(r.body["access_token"].(string)), http.StatusOK, "")
	wantStatus(t, e.login("admin", adminPW), http.StatusUnauthorized, "")
}

func TestPasswordChangeRevokesEveryOlderTokenOfThatUserOnly(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	e.addUser("bob", "bob-password-123", model.RoleViewer, false)
	aliceOther := e.token("alice", viewerPW)
	bob := e.token("bob", "bob-password-123")
	e.clk.Advance(2 * time.Second)
	aliceCurrent := e.token("alice", viewerPW)

	e.clk.Advance(2 * time.Second)
	r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: aliceCurrent,
		body: map[string]string{"old_password": viewerPW, "new_password": "alice-new-password"}})
	wantStatus(t, r, http.StatusOK, "")

	want401(t, e.health(aliceOther))
	want401(t, e.health(aliceCurrent))
	wantStatus(t, e.health(bob), http.StatusOK, "")
}

func TestChangePasswordEnforcesPolicyWith422(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	for _, tc := range []struct {
		name   string
		newPW  string
		status int
		detail string
	}{
		{"11 characters rejected", strings.Repeat("a", 11), 422, "New password must be at least 12 characters"},
		{"73 bytes rejected", strings.Repeat("a", 73), 422, "New password must be at most 72 bytes (UTF-8)"},
		{"25 three-byte characters rejected", strings.Repeat("€", 25), 422, "New password must be at most 72 bytes (UTF-8)"},
		{"12 characters accepted", strings.Repeat("b", 12), 200, ""},
		{"exactly 72 bytes accepted", strings.Repeat("c", 72), 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh login per case: a success revokes the token it used.
			e.clk.Advance(2 * time.Second)
			u, _ := e.users.GetUserByUsername(context.Background(), "alice")
			hash, _ := e.hasher.HashPassword(viewerPW)
			_ = e.users.UpdateUserPassword(context.Background(), u.UUID, hash, false, u.TokensValidFrom)
			e.clk.Advance(2 * time.Minute) // keep clear of the change-password limit
			tok := e.token("alice", viewerPW)
			r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
				body: map[string]string{"old_password": viewerPW, "new_password": tc.newPW}})
			wantStatus(t, r, tc.status, tc.detail)
			if tc.status == 200 {
				e.clk.Advance(time.Second)
				wantStatus(t, e.login("alice", tc.newPW), http.StatusOK, "")
			}
		})
	}
}

func TestChangePasswordWithMissingFieldIs400(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)
	r := e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
		body: map[string]string{"old_password": viewerPW}})
	wantStatus(t, r, http.StatusBadRequest, `Bad Request: missing field "new_password"`)
}

func TestTokensFailingAnyCheckGet401(t *testing.T) {
	e := newEnv(t, nil)
	id := e.addUser("alice", viewerPW, model.RoleViewer, false)
	now := e.clk.Now()
	claims := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{
			"uuid": id, "jti": "00112233445566778899aabbccddeeff",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"iss": "decnet", "aud": "decnet-dashboard", "typ": "access",
		}
		if mod != nil {
			mod(c)
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	revoked := sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["jti"] = "revoked-jti" }))
	_ = e.users.RevokeToken(context.Background(), "revoked-jti", id, now.Add(time.Hour))

	for _, tc := range []struct {
		name   string
		header string
	}{
		{"no token", ""},
		{"token without Bearer prefix", sign(jwt.SigningMethodHS256, testSecret, claims(nil))},
		{"basic auth", "Basic YWxpY2U6cHc="},
		{"without jti", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { delete(c, "jti") }))},
		{"wrong alg HS384", "Bearer " + sign(jwt.SigningMethodHS384, testSecret, claims(nil))},
		{"alg none", "Bearer " + sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(nil))},
		{"wrong aud", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["aud"] = "grafana" }))},
		{"wrong secret", "Bearer " + sign(jwt.SigningMethodHS256, []byte("some-other-secret-some-other-secret"), claims(nil))},
		{"unknown user", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["uuid"] = "ghost" }))},
		{"revoked jti", "Bearer " + revoked},
		{"expired", "Bearer " + sign(jwt.SigningMethodHS256, testSecret, claims(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/api/v1/health", header: map[string]string{"Authorization": tc.header}})
			want401(t, r)
		})
	}
	t.Run("control: well-formed token passes", func(t *testing.T) {
		wantStatus(t, e.health(sign(jwt.SigningMethodHS256, testSecret, claims(nil))), http.StatusOK, "")
	})
}

func TestTokenIssuedBeforeCutoffSecondIs401AndSameSecondPasses(t *testing.T) {
	e := newEnv(t, nil)
	id := e.addUser("alice", viewerPW, model.RoleViewer, false)
	old := e.token("alice", viewerPW) // iat 12:00:00
	e.clk.Advance(1500 * time.Millisecond)
	sameSecond := e.token("alice", viewerPW) // iat 12:00:01

	u, _ := e.users.GetUserByUUID(context.Background(), id)
	cutoff := e.clk.Now().Add(200 * time.Millisecond) // 12:00:01.7
	_ = e.users.UpdateUserPassword(context.Background(), id, u.PasswordHash, false, cutoff)

	want401(t, e.health(old))
	// iat 12:00:01 is not before floor(12:00:01.7).
	wantStatus(t, e.health(sameSecond), http.StatusOK, "")
}

func TestRoleChangedInTheStoreAppliesWithinThePrincipalTTL(t *testing.T) {
	e := newEnv(t, nil)
	e.s.register(route{http.MethodGet, "/api/v1/test/admin-only", AccessAdmin,
		func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
	id := e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)

	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/test/admin-only", token: tok}),
		http.StatusForbidden, "Insufficient permissions")
	// Changed by another process: this one reads the row again once its
	// cached copy is principalTTL old.
	e.users.setRole(t, id, model.RoleAdmin)
	e.clk.Advance(principalTTL)
	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/test/admin-only", token: tok}), http.StatusNoContent, "")
	e.users.setRole(t, id, "intern")
	e.clk.Advance(principalTTL)
	wantStatus(t, e.health(tok), http.StatusForbidden, "Insufficient permissions")
}

func TestLogsCarryNoPasswordsOrTokens(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("alice", viewerPW, model.RoleViewer, false)
	tok := e.token("alice", viewerPW)
	e.login("alice", "typo-password-xyz")
	e.do(req{method: "POST", path: "/api/v1/auth/change-password", token: tok,
		body: map[string]string{"old_password": viewerPW, "new_password": "fresh-password-99"}})
	logs := e.logs.String()
	for _, secret := range []string{viewerPW, "typo-password-xyz", "fresh-password-99", tok, string(testSecret)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain secret %q", secret)
		}
	}
}
