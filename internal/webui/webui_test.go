package webui

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

var testFS = fstest.MapFS{
	"index.html":          {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc.js"></script>`)},
	"assets/index-abc.js": {Data: []byte(`console.log(1)`)},
	"favicon.svg":         {Data: []byte(`<svg/>`)},
}

func get(t *testing.T, h http.Handler, method, target string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Result()
}

func TestServesFilesIndexFallbackAndCacheHeaders(t *testing.T) {
	h := New(testFS)
	for _, tc := range []struct {
		name, method, path string
		wantCode           int
		wantCache          string
		wantBody           string
		wantType           string
	}{
		{"root is index", "GET", "/", 200, "no-cache", "<!doctype html>", "text/html"},
		{"client route falls back to index", "GET", "/attackers/0b7f2c", 200, "no-cache", "<!doctype html>", "text/html"},
		{"deep link with query", "GET", "/live-logs?q=service:ssh", 200, "no-cache", "<!doctype html>", "text/html"},
		{"index.html itself", "GET", "/index.html", 200, "no-cache", "<!doctype html>", "text/html"},
		{"hashed asset is immutable", "GET", "/assets/index-abc.js", 200, "public, max-age=31536000, immutable", "console.log(1)", "text/javascript"},
		{"unhashed file is revalidated", "GET", "/favicon.svg", 200, "no-cache", "<svg/>", "image/svg+xml"},
		{"missing asset is a 404, not index", "GET", "/assets/gone-123.js", 404, "no-store", "", ""},
		{"path traversal stays inside", "GET", "/../../etc/passwd", 200, "no-cache", "<!doctype html>", "text/html"},
		{"HEAD has no body", "HEAD", "/attackers", 200, "no-cache", "", "text/html"},
		{"POST is refused", "POST", "/", 405, "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, h, tc.method, tc.path)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.wantCode, body)
			}
			if got := resp.Header.Get("Cache-Control"); tc.wantCache != "" && got != tc.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tc.wantCache)
			}
			if tc.wantBody != "" && !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("body %q, want it to contain %q", body, tc.wantBody)
			}
			if tc.method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD returned a body of %d bytes", len(body))
			}
			if got := resp.Header.Get("Content-Type"); tc.wantType != "" && !strings.HasPrefix(got, tc.wantType) {
				t.Errorf("Content-Type %q, want %s", got, tc.wantType)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": CSP,
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCSPAllowsOnlySelfScriptsAndStyles(t *testing.T) {
	for _, want := range []string{"script-src 'self';", "style-src 'self';", "connect-src 'self';", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP %q lacks %q", CSP, want)
		}
	}
	if strings.Contains(CSP, "unsafe") {
		t.Errorf("CSP %q allows unsafe sources", CSP)
	}
}

func TestWithAPIKeepsAPIPathsForTheAPI(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"detail":"Not Found"}`)
	})
	h := WithAPI(api, New(testFS))
	for _, p := range []string{"/api", "/api/", "/api/v1/nope", "/api/v2/attackers"} {
		resp := get(t, h, "GET", p)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 || !strings.Contains(string(body), `"detail"`) {
			t.Errorf("GET %s: %d %s, want the API's JSON 404", p, resp.StatusCode, body)
		}
	}
	// A path that only starts with "api" is a client route.
	if resp := get(t, h, "GET", "/apiary"); resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("GET /apiary: %d %s, want the index", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// The committed build is complete: index.html exists and every asset it
// references is embedded.
func TestEmbeddedBuildIsComplete(t *testing.T) {
	dist := Dist()
	index, err := fs.ReadFile(dist, "index.html")
	if err != nil {
		t.Fatalf("embedded dist has no index.html (run make web): %v", err)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(string(index), -1)
	if len(refs) == 0 {
		t.Fatalf("index.html references no assets:\n%s", index)
	}
	h := Handler()
	for _, m := range refs {
		resp := get(t, h, "GET", m[1])
		if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: %d %q", m[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
	}
	if strings.Contains(string(index), "<script>") {
		t.Error("index.html has an inline script, which the CSP forbids")
	}
}
