package middleware

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

func TestRequestIDIsFreshPerRequestAndIgnoresClientValue(t *testing.T) {
	var seen string
	h := RequestID()(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = RequestIDFrom(r.Context())
	}))
	r := httptest.NewRequest("GET", "/api/v1/health", nil)
	r.Header.Set(RequestIDHeader, "client-chosen")
	resp, _ := serve(t, h, r)
	got := resp.Header.Get(RequestIDHeader)
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(got) || got != seen {
		t.Fatalf("header %q, context %q; want the same fresh hex id", got, seen)
	}
	resp2, _ := serve(t, h, httptest.NewRequest("GET", "/", nil))
	if resp2.Header.Get(RequestIDHeader) == got {
		t.Fatal("two requests share an id")
	}
}

func TestRequestIDFromEmptyContextIsEmpty(t *testing.T) {
	if id := RequestIDFrom(httptest.NewRequest("GET", "/", nil).Context()); id != "" {
		t.Fatalf("RequestIDFrom = %q", id)
	}
}
