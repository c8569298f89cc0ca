package middleware

import (
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// DefaultMaxBodyBytes caps request bodies when no other limit is given. The
// largest body the API takes is a deployment INI or a topology, well under it.
const DefaultMaxBodyBytes = 1 << 20

// Body caps every request body at maxBytes (413 beyond it) and requires
// POST/PUT/PATCH requests that carry a body to declare application/json (415
// otherwise), so a cross-site form post can never reach a JSON handler.
// Bodies are cut off while being read, so a lying Content-Length or a chunked
// stream cannot get past the cap.
func Body(maxBytes int64) Middleware {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > maxBytes {
				writeDetail(w, http.StatusRequestEntityTooLarge,
					fmt.Sprintf("Request body too large (limit %d bytes)", maxBytes))
				return
			}
			if hasBody(r) && needsJSON(r.Method) && !isJSON(r.Header.Get("Content-Type")) {
				writeDetail(w, http.StatusUnsupportedMediaType, "Unsupported Media Type: expected application/json")
				return
			}
			if r.Body != nil {
				r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// hasBody reports whether the request announces a body: a non-zero length
// or chunked encoding (ContentLength -1). An empty POST is allowed whatever
// its content type, as logout sends none.
func hasBody(r *http.Request) bool { return r.ContentLength != 0 }

func needsJSON(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(mt, "application/json")
}
