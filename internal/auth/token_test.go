package auth

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func newTestTokens(t *testing.T, clk *fakeClock) *Tokens {
	t.Helper()
	tk, err := NewTokens(TokenOptions{Secret: testSecret, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// validClaims returns claims Verify accepts at clk's current time.
func validClaims(clk *fakeClock) jwt.MapClaims {
	now := clk.Now()
	return jwt.MapClaims{
		"uuid": "user-1",
		"jti":  "0123456789abcdef0123456789abcdef",
		"iat":  now.Unix(),
		"exp":  now.Add(time.Hour).Unix(),
		"iss":  TokenIssuer,
		"aud":  TokenAudience,
		"typ":  TokenType,
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssuedTokenCarriesUUIDJTIIssuedAtAndExpiry(t *testing.T) {
	clk := newFakeClock()
	tk := newTestTokens(t, clk)
	s, issued, err := tk.Issue("user-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tk.Verify(s)
	if err != nil {
		t.Fatalf("Verify(fresh token): %v", err)
	}
	if got != issued {
		t.Errorf("Verify = %+v, Issue said %+v", got, issued)
	}
	if got.UUID != "user-1" {
		t.Errorf("UUID = %q", got.UUID)
	}
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.JTI) {
		t.Errorf("JTI = %q, want 32 hex digits (uuid4 hex)", got.JTI)
	}
	if !got.IssuedAt.Equal(clk.Now()) || !got.ExpiresAt.Equal(clk.Now().Add(240*time.Minute)) {
		t.Errorf("iat/exp = %v/%v, want now and now+240m", got.IssuedAt, got.ExpiresAt)
	}

	var raw jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(s, &raw); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"iss": "decnet", "aud": "decnet-dashboard", "typ": "access"} {
		if raw[k] != want {
			t.Errorf("claim %s = %v, want %v", k, raw[k], want)
		}
	}
	if _, ok := raw["sub"]; ok {
		t.Error("token carries sub; identity is the uuid claim only")
	}
}

func TestEveryIssuedTokenHasItsOwnJTI(t *testing.T) {
	tk := newTestTokens(t, newFakeClock())
	_, a, _ := tk.Issue("u")
	_, b, _ := tk.Issue("u")
	if a.JTI == b.JTI {
		t.Errorf("two tokens share jti %s", a.JTI)
	}
}

func TestVerifyRejectsTokensThatBreakAnyRule(t *testing.T) {
	clk := newFakeClock()
	tk := newTestTokens(t, clk)
	without := func(k string) jwt.MapClaims {
		c := validClaims(clk)
		delete(c, k)
		return c
	}
	with := func(k string, v any) jwt.MapClaims {
		c := validClaims(clk)
		c[k] = v
		return c
	}
	hs := jwt.SigningMethodHS256
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"without jti", sign(t, hs, testSecret, without("jti"))},
		{"without uuid", sign(t, hs, testSecret, without("uuid"))},
		{"without iat", sign(t, hs, testSecret, without("iat"))},
		{"without exp", sign(t, hs, testSecret, without("exp"))},
		{"without iss", sign(t, hs, testSecret, without("iss"))},
		{"without aud", sign(t, hs, testSecret, without("aud"))},
		{"without typ", sign(t, hs, testSecret, without("typ"))},
		{"wrong aud", sign(t, hs, testSecret, with("aud", "other-app"))},
		{"wrong iss", sign(t, hs, testSecret, with("iss", "someone"))},
		{"refresh typ", sign(t, hs, testSecret, with("typ", "refresh"))},
		{"expired", sign(t, hs, testSecret, with("exp", clk.Now().Add(-time.Second).Unix()))},
		{"issued in the future", sign(t, hs, testSecret, with("iat", clk.Now().Add(time.Hour).Unix()))},
		{"wrong secret", sign(t, hs, []byte("another-secret-another-secret-xx"), validClaims(clk))},
		{"alg HS512", sign(t, jwt.SigningMethodHS512, testSecret, validClaims(clk))},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims(clk))},
		{"garbage", "not.a.jwt"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tk.Verify(tc.token); !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("Verify error = %v, want ErrInvalidToken", err)
			}
		})
	}
	t.Run("control: valid claims pass", func(t *testing.T) {
		if _, err := tk.Verify(sign(t, hs, testSecret, validClaims(clk))); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVerifyAcceptsAudienceAsArray(t *testing.T) {
	clk := newFakeClock()
	c := validClaims(clk)
	c["aud"] = []string{TokenAudience}
	if _, err := newTestTokens(t, clk).Verify(sign(t, jwt.SigningMethodHS256, testSecret, c)); err != nil {
		t.Fatal(err)
	}
}

func TestTokenExpiresAfterTTL(t *testing.T) {
	clk := newFakeClock()
	tk, err := NewTokens(TokenOptions{Secret: testSecret, TTL: 10 * time.Minute, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := tk.Issue("u")
	clk.Advance(9 * time.Minute)
	if _, err := tk.Verify(s); err != nil {
		t.Fatalf("token rejected before expiry: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if _, err := tk.Verify(s); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("token accepted after expiry: %v", err)
	}
}

func TestNewTokensRejectsShortSecretAndNegativeTTL(t *testing.T) {
	if _, err := NewTokens(TokenOptions{Secret: []byte("short")}); err == nil {
		t.Error("NewTokens accepted a 5-byte secret")
	}
	if _, err := NewTokens(TokenOptions{Secret: testSecret, TTL: -time.Second}); err == nil {
		t.Error("NewTokens accepted a negative TTL")
	}
	tk, err := NewTokens(TokenOptions{Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if tk.TTL() != 240*time.Minute {
		t.Errorf("default TTL = %s, want 240m", tk.TTL())
	}
}
