// Package webui serves the dashboard: the Vite build of web/, embedded from
// dist/ (committed, so `go run ./cmd/decnet up` needs no npm), as a
// single-page app next to the API.
package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var embedded embed.FS

// CSP allows scripts, styles, fonts and images from this origin only, and
// fetch/EventSource to it. Vite's output is external module scripts and
// stylesheets, so no 'unsafe-inline' is needed; React sets style
// attributes through the CSSOM, which style-src does not restrict.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// assetsPrefix is where Vite writes content-hashed files: a name there
// never changes content, so browsers may cache it for good.
const assetsPrefix = "/assets/"

// Dist returns the embedded build (the contents of dist/).
func Dist() fs.FS {
	sub, err := fs.Sub(embedded, "dist")
	if err != nil {
		panic(err) // dist is embedded at build time; Sub cannot fail on it
	}
	return sub
}

// Handler serves the embedded dashboard.
func Handler() http.Handler { return New(Dist()) }

// New serves the single-page app in fsys: a file when one matches the
// path, a 404 for a missing hashed asset (so a stale page fails loudly
// instead of running HTML as JavaScript), and index.html for any other
// path, which the client router resolves.
func New(fsys fs.FS) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", CSP)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(fsys, name); err == nil && !st.IsDir() {
				if strings.HasPrefix("/"+name, assetsPrefix) {
					h.Set("Cache-Control", "public, max-age=31536000, immutable")
				} else {
					h.Set("Cache-Control", "no-cache")
				}
				http.ServeFileFS(w, r, fsys, name)
				return
			}
			if strings.HasPrefix("/"+name, assetsPrefix) {
				h.Set("Cache-Control", "no-store")
				http.NotFound(w, r)
				return
			}
		}
		// index.html names the current hashed assets, so it is revalidated
		// on every load and a new build is picked up at once.
		index, err := fs.ReadFile(fsys, "index.html")
		if err != nil {
			http.Error(w, "dashboard not built: run make web", http.StatusNotFound)
			return
		}
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(index)
		}
	})
}

// WithAPI routes /api and everything under /api/ to api, so the API's own
// JSON 404 answers unknown API paths, and every other path to ui.
func WithAPI(api, ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		ui.ServeHTTP(w, r)
	})
}
