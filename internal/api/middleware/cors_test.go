package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

var ok204 = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func TestCORSEchoesAllowedOriginAndIgnoresOthers(t *testing.T) {
	mw, err := CORS([]string{"http://localhost:8080", "https://dash.example:8443"})
	if err != nil {
		t.Fatal(err)
	}
	h := mw(ok204)
	for _, tc := range []struct {
		origin, want string
	}{
		{"http://localhost:8080", "http://localhost:8080"},
		{"https://dash.example:8443", "https://dash.example:8443"},
		{"https://evil.example", ""},
		{"http://localhost:8081", ""},
		{"null", ""},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/health", nil)
			r.Header.Set("Origin", tc.origin)
			resp, _ := serve(t, h, r)
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, tc.want)
			}
			if resp.Header.Get("Vary") != "Origin" {
				t.Errorf("Vary = %q, want Origin", resp.Header.Get("Vary"))
			}
		})
	}
}

func TestCORSPreflightOnlyForAllowedOrigins(t *testing.T) {
	mw, _ := CORS([]string{"http://localhost:8080"})
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) }))
	pre := func(origin string) *http.Response {
		r := httptest.NewRequest("OPTIONS", "/api/v1/auth/login", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		resp, _ := serve(t, h, r)
		return resp
	}
	if resp := pre("http://localhost:8080"); resp.StatusCode != http.StatusNoContent ||
		resp.Header.Get("Access-Control-Allow-Methods") == "" || resp.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("allowed preflight = %d %v", resp.StatusCode, resp.Header)
	}
	if resp := pre("https://evil.example"); resp.StatusCode != http.StatusMethodNotAllowed ||
		resp.Header.Get("Access-Control-Allow-Methods") != "" {
		t.Errorf("foreign preflight = %d %v", resp.StatusCode, resp.Header)
	}
}

func TestCORSRefusesWildcardsAndMalformedOrigins(t *testing.T) {
	for _, o := range []string{"*", "https://*.example", "localhost:8080", "http://x/path", "ftp://x", "http://u:p@x", ""} {
		if _, err := CORS([]string{o}); err == nil {
			t.Errorf("CORS accepted origin %q", o)
		}
	}
}
