package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/store"
)

// Fixed public messages. They are part of the API contract (api_db.md §3).
const (
	detailUnauthorized   = "Could not validate credentials"
	detailForbidden      = "Insufficient permissions"
	detailMustChange     = "Password change required before accessing this resource"
	detailInternal       = "Internal Server Error"
	detailBadLogin       = "Incorrect username or password"
	detailBadOldPassword = "Incorrect old password"
)

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Detail  string `json:"detail"`
	ErrorID string `json:"error_id,omitempty"`
}

// httpError is an error with a response: detail is shown to the client, err
// only reaches the log. Handlers return it for every expected failure.
type httpError struct {
	status int
	detail string
	err    error
	header http.Header
}

func (e *httpError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%d %s: %v", e.status, e.detail, e.err)
	}
	return fmt.Sprintf("%d %s", e.status, e.detail)
}

func (e *httpError) Unwrap() error { return e.err }

// newError returns an httpError; cause may be nil.
func newError(status int, detail string, cause error) *httpError {
	return &httpError{status: status, detail: detail, err: cause}
}

// withHeader adds a response header to e and returns it.
func (e *httpError) withHeader(key, value string) *httpError {
	if e.header == nil {
		e.header = http.Header{}
	}
	e.header.Set(key, value)
	return e
}

// unauthorized is the one answer to every authentication failure, so a
// client cannot tell an expired token from a revoked one or a deleted user.
func unauthorized(cause error) *httpError {
	return newError(http.StatusUnauthorized, detailUnauthorized, cause).withHeader("WWW-Authenticate", "Bearer")
}

// statusFor maps store sentinels that may escape a handler to responses; it
// is the single table from domain errors to HTTP.
func statusFor(err error) (int, string, bool) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "Not Found", true
	case errors.Is(err, store.ErrConflict):
		return http.StatusConflict, "Conflict", true
	case errors.Is(err, store.ErrUnavailable):
		return http.StatusServiceUnavailable, "Database unavailable; retry shortly", true
	}
	return 0, "", false
}

// serveRoute adapts a route to http.Handler: it enforces the route's access,
// runs the handler and renders any error it returns.
func (s *Server) serveRoute(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := middleware.Track(w)
		err := func() error {
			role := ""
			if rt.access != AccessPublic {
				p, err := s.authenticate(r, rt.access)
				if err != nil {
					return err
				}
				role = p.user.Role
				r = r.WithContext(withPrincipal(r.Context(), p))
			}
			if ttl := s.cacheTTL[rt.method+" "+rt.path]; ttl > 0 {
				return s.responses.serve(rec, r, cacheKey(role, r), ttl, rt.handler)
			}
			return rt.handler(rec, r)
		}()
		if err != nil {
			s.renderError(rec, r, err)
			return
		}
		if rt.method != http.MethodGet && rt.method != http.MethodHead && !keepsCaches[rt.path] {
			// A change made through the API is visible in the next read,
			// and a logout or user change ends cached sessions at once.
			s.responses.clear()
			s.principals.clear()
		}
	})
}

// renderError writes err as {"detail": …}. Only httpError details and the
// statusFor table reach the client; anything else is an opaque 500 whose
// error_id matches the log line holding the real error.
func (s *Server) renderError(w middleware.Recorder, r *http.Request, err error) {
	ctx := r.Context()
	attrs := []slog.Attr{
		slog.String("request_id", middleware.RequestIDFrom(ctx)),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
	}
	if w.Started() {
		s.log.LogAttrs(ctx, slog.LevelError, "handler error after response started",
			append(attrs, slog.Any("error", err))...)
		return
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		// The client went away; nobody is left to read a response.
		s.log.LogAttrs(ctx, slog.LevelInfo, "client closed request", append(attrs, slog.Int("status", 499))...)
		return
	}

	body := errorBody{Detail: detailInternal}
	status := http.StatusInternalServerError
	var he *httpError
	if errors.As(err, &he) {
		status, body.Detail = he.status, he.detail
		for k, v := range he.header {
			w.Header()[k] = v
		}
	} else if st, detail, ok := statusFor(err); ok {
		status, body.Detail = st, detail
	}

	if status >= 500 {
		body.ErrorID = middleware.NewErrorID()
		s.log.LogAttrs(ctx, slog.LevelError, "request failed",
			append(attrs, slog.Int("status", status), slog.String("error_id", body.ErrorID), slog.Any("error", err))...)
	} else {
		s.log.LogAttrs(ctx, slog.LevelDebug, "request refused",
			append(attrs, slog.Int("status", status), slog.Any("error", err))...)
	}
	middleware.WriteJSON(w, status, body)
}
