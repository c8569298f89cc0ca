// Package middleware holds the API's HTTP middleware, one concern per file:
// request ids, access logging, panic recovery, security headers, body limits
// with the content-type rule, and CORS. The API composes them in one visible
// stack (api.Server.Handler).
package middleware

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// Middleware wraps a handler with one concern.
type Middleware func(http.Handler) http.Handler

// Stack composes ms so that the first listed runs first (outermost):
// Stack(a, b)(h) == a(b(h)).
func Stack(ms ...Middleware) Middleware {
	return func(h http.Handler) http.Handler {
		for i := len(ms) - 1; i >= 0; i-- {
			h = ms[i](h)
		}
		return h
	}
}

// NewErrorID returns a random id that ties an opaque 500 response to its log
// line; the recover middleware and the API's error renderer share it.
func NewErrorID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// WriteJSON writes v as a JSON response with status. Encoding errors can only
// come from the connection at this point, so they are dropped.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeDetail writes the API's error shape, {"detail": msg}.
func writeDetail(w http.ResponseWriter, status int, msg string) {
	WriteJSON(w, status, map[string]string{"detail": msg})
}

// recorder remembers the status and size of a response and whether anything
// was sent, for the access log and for deciding if an error can still be
// rendered.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines underneath,
// which streaming routes (SSE) need.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Recorder is the view of a wrapped ResponseWriter that later layers (the
// API's error renderer) use to learn whether a response has started.
type Recorder interface {
	http.ResponseWriter
	// Started reports whether a status line has been sent.
	Started() bool
}

// Started implements Recorder.
func (r *recorder) Started() bool { return r.status != 0 }

// Track wraps w so its status and size are recorded, reusing an existing
// wrapper when w already is one.
func Track(w http.ResponseWriter) Recorder { return track(w) }

func track(w http.ResponseWriter) *recorder {
	if r, ok := w.(*recorder); ok {
		return r
	}
	return &recorder{ResponseWriter: w}
}
