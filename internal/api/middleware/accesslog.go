package middleware

import (
	"log/slog"
	"net/http"
	"time"
)

// AccessLog logs one line per request: method, path, status, size, duration,
// peer and request id. The query string and headers are left out because they
// can carry credentials (SSE tickets, Authorization).
func AccessLog(logger *slog.Logger, now func() time.Time) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := now()
			rec := track(w)
			next.ServeHTTP(rec, r)
			status := rec.status
			if status == 0 {
				// The handler returned without writing; net/http sends 200.
				status = http.StatusOK
			}
			logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Duration("duration", now().Sub(start)),
				slog.String("remote", r.RemoteAddr),
				slog.String("request_id", RequestIDFrom(r.Context())),
			)
		})
	}
}
