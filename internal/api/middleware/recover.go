package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into an opaque 500
// {"detail":"Internal Server Error","error_id":…}. The panic value and stack
// go to the log under the same error id and are never sent: they can reveal
// internals useful to an attacker.
func Recover(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := track(w)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					// net/http's own signal to drop the connection quietly.
					panic(v)
				}
				id := NewErrorID()
				logger.LogAttrs(r.Context(), slog.LevelError, "handler panic",
					slog.String("error_id", id),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("panic", fmt.Sprint(v)),
					slog.String("stack", string(debug.Stack())),
				)
				if rec.Started() {
					// Too late for a clean error; abort so the client sees a
					// broken response rather than a truncated "success".
					panic(http.ErrAbortHandler)
				}
				WriteJSON(rec, http.StatusInternalServerError, map[string]string{
					"detail":   "Internal Server Error",
					"error_id": id,
				})
			}()
			next.ServeHTTP(rec, r)
		})
	}
}
