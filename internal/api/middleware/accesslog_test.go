package middleware

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestAccessLogRecordsStatusSizeAndDurationButNotQuery(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(250 * time.Millisecond); return clock }
	h := Stack(RequestID(), AccessLog(logger, now))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("12345"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/stream?ticket=secret", nil))

	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	want := map[string]any{"method": "GET", "path": "/api/v1/stream", "status": 418.0, "bytes": 5.0, "duration": float64(250 * time.Millisecond)}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("%s = %v, want %v", k, line[k], v)
		}
	}
	if line["request_id"] != rec.Header().Get(RequestIDHeader) {
		t.Errorf("request_id = %v, header %q", line["request_id"], rec.Header().Get(RequestIDHeader))
	}
	if bytes.Contains(buf.Bytes(), []byte("secret")) {
		t.Error("query string logged")
	}
}

func TestAccessLogCountsImplicit200(t *testing.T) {
	var buf bytes.Buffer
	h := AccessLog(slog.New(slog.NewJSONHandler(&buf, nil)), time.Now)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if !bytes.Contains(buf.Bytes(), []byte(`"status":200`)) {
		t.Fatalf("log = %s", buf.String())
	}
}
