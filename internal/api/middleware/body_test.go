package middleware

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// readAll is a handler that reads the body and reports the outcome.
var readAll = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		w.WriteHeader(http.StatusRequestEntityTooLarge)
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
})

func TestBodyEnforcesJSONContentTypeAndSizeLimit(t *testing.T) {
	h := Body(16)(readAll)
	for _, tc := range []struct {
		name        string
		method      string
		contentType string
		body        string
		chunked     bool
		want        int
	}{
		{"json post", "POST", "application/json", `{}`, false, 204},
		{"json with charset", "PATCH", "Application/JSON; charset=utf-8", `{}`, false, 204},
		{"text post", "POST", "text/plain", `{}`, false, 415},
		{"form put", "PUT", "application/x-www-form-urlencoded", `a=b`, false, 415},
		{"no content type", "POST", "", `{}`, false, 415},
		{"empty post without type", "POST", "", ``, false, 204},
		{"delete with text body", "DELETE", "text/plain", `x`, false, 204},
		{"declared length over limit", "POST", "application/json", strings.Repeat("a", 17), false, 413},
		{"chunked body over limit", "POST", "application/json", strings.Repeat("a", 100), true, 413},
		{"chunked text post", "POST", "text/plain", `{}`, true, 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/api/v1/x", nil)
			if tc.body != "" {
				r.Body = io.NopCloser(strings.NewReader(tc.body))
				r.ContentLength = int64(len(tc.body))
			}
			if tc.chunked {
				r.ContentLength = -1
			}
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			resp, body := serve(t, h, r)
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d, want %d (%s)", resp.StatusCode, tc.want, body)
			}
			if tc.want == 415 && !strings.Contains(body, `"detail"`) {
				t.Errorf("415 body = %q, want JSON detail", body)
			}
		})
	}
}

func TestBodyDefaultsToOneMiB(t *testing.T) {
	h := Body(0)(readAll)
	for _, tc := range []struct {
		size int
		want int
	}{{1 << 20, 204}, {1<<20 + 1, 413}} {
		r := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(strings.Repeat("a", tc.size)))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != tc.want {
			t.Errorf("%d-byte body: status %d, want %d", tc.size, rec.Code, tc.want)
		}
	}
}
