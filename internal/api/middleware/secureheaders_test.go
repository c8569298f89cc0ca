package middleware

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestSecureHeadersAreSetOnEveryResponse(t *testing.T) {
	h := SecureHeaders()(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusNotFound)
	}))
	resp, _ := serve(t, h, httptest.NewRequest("GET", "/", nil))
	for k, v := range map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
		"Content-Security-Policy": apiCSP,
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
