package middleware

import (
	"context"
	"net/http"
)

// RequestIDHeader carries the request id back to the client, so a user can
// quote it and an operator can find the matching log lines.
const RequestIDHeader = "X-Request-ID"

type requestIDKey struct{}

// RequestID gives every request a fresh random id, stored in the context and
// echoed in RequestIDHeader. A client-supplied id is ignored: it would let
// anyone forge or collide log correlation.
func RequestID() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := NewErrorID()
			w.Header().Set(RequestIDHeader, id)
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
		})
	}
}

// RequestIDFrom returns the id RequestID stored in ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
