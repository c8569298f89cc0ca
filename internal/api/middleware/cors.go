package middleware

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CORS policy for the dashboard: explicit origins only, no credentials (the
// API uses bearer tokens, not cookies), and only the headers the dashboard
// sends.
const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Last-Event-ID"
	corsMaxAge  = "600"
)

// CORS answers cross-origin requests from the listed origins and ignores all
// others (no CORS headers, so the browser blocks the read). Preflights from a
// listed origin get 204. A wildcard is refused: with bearer tokens in
// localStorage it would let any site drive the API from a victim's browser.
func CORS(origins []string) (Middleware, error) {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		if err := checkOrigin(o); err != nil {
			return nil, err
		}
		allowed[o] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			if !allowed[origin] {
				next.ServeHTTP(w, r)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsHeaders)
				h.Set("Access-Control-Max-Age", corsMaxAge)
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

// checkOrigin accepts exactly scheme://host[:port], the form browsers send.
func checkOrigin(o string) error {
	if o == "*" || strings.Contains(o, "*") {
		return fmt.Errorf("cors origin %q: wildcards are not allowed", o)
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("cors origin %q: want scheme://host[:port]", o)
	}
	return nil
}
