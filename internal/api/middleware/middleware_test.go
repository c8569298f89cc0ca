package middleware

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// serve runs h behind a real listener and returns the response with its body.
func serve(t *testing.T, h http.Handler, r *http.Request) (*http.Response, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u := srv.URL + r.URL.RequestURI()
	req, err := http.NewRequest(r.Method, u, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header
	req.ContentLength = r.ContentLength
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestStackRunsMiddlewareInListedOrder(t *testing.T) {
	var order []string
	mark := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Stack(mark("a"), mark("b"), mark("c"))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		order = append(order, "handler")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if got := strings.Join(order, ","); got != "a,b,c,handler" {
		t.Fatalf("order = %s", got)
	}
}

func TestRecorderExposesTheUnderlyingWriterToResponseController(t *testing.T) {
	h := Track(httptest.NewRecorder())
	if err := http.NewResponseController(h).Flush(); err != nil {
		t.Fatalf("Flush through the recorder: %v", err)
	}
}
