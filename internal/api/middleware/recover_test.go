package middleware

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRecoverTurnsPanicIntoOpaque500WithErrorID(t *testing.T) {
	var buf bytes.Buffer
	h := Recover(slog.New(slog.NewJSONHandler(&buf, nil)))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(errors.New("db password is hunter2"))
	}))
	resp, body := serve(t, h, httptest.NewRequest("GET", "/api/v1/x", nil))
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got["detail"] != "Internal Server Error" || len(got["error_id"]) != 16 || len(got) != 2 {
		t.Fatalf("body = %s", body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "goroutine") {
		t.Fatalf("body leaks the panic: %s", body)
	}
	logs := buf.String()
	if !strings.Contains(logs, got["error_id"]) || !strings.Contains(logs, "hunter2") || !strings.Contains(logs, "recover_test.go") {
		t.Fatalf("log lacks error id, panic value or stack: %s", logs)
	}
}

func TestRecoverAbortsWhenResponseAlreadyStarted(t *testing.T) {
	var buf bytes.Buffer
	h := Recover(slog.New(slog.NewJSONHandler(&buf, nil)))(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"partial":`))
		panic("late")
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", v)
		}
		if !strings.Contains(buf.String(), "late") {
			t.Error("late panic not logged")
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}

func TestRecoverPassesAbortHandlerThrough(t *testing.T) {
	h := Recover(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
}
