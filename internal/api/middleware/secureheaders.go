package middleware

import "net/http"

// apiCSP forbids every fetch and framing: API responses are data, never
// documents, so a response rendered by mistake (or by a sniffing browser) can
// run nothing.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// SecureHeaders sets the headers every API response carries: no MIME
// sniffing, no framing, no referrer, a deny-all CSP, and no caching because
// responses hold tokens and attacker data.
func SecureHeaders() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Content-Security-Policy", apiCSP)
			h.Set("Cache-Control", "no-store")
			next.ServeHTTP(w, r)
		})
	}
}
