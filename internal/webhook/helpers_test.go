package webhook

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

const testSecret = "0123456789abcdef-test-secret"

// delivery is one request a receiver saw.
type delivery struct {
	Header    http.Header
	Body      []byte
	VerifyErr error
	Host      string
	SNI       string
}

// receiver is a real HTTPS endpoint that verifies each request with Verify
// and answers with the status its script says.
type receiver struct {
	srv *httptest.Server

	mu     sync.Mutex
	got    []delivery
	status func(n int) int // n = 1-based request number
	hold   chan struct{}   // when set, requests wait on it before answering
}

// newReceiver starts an httptest TLS server on 127.0.0.1. status nil answers 200.
func newReceiver(t *testing.T, status func(n int) int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	d := delivery{
		Header:    req.Header.Clone(),
		Body:      body,
		VerifyErr: Verify([]byte(testSecret), req.Header.Get(HeaderSignature), req.Header.Get(HeaderTimestamp), body, time.Now(), time.Minute),
		Host:      req.Host,
	}
	if req.TLS != nil {
		d.SNI = req.TLS.ServerName
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	n := len(r.got)
	hold, status := r.hold, r.status
	r.mu.Unlock()
	if hold != nil {
		<-hold
	}
	code := http.StatusOK
	if status != nil {
		code = status(n)
	}
	if code >= 300 && code < 400 {
		w.Header().Set("Location", "/redirected")
	}
	w.WriteHeader(code)
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// wait returns the deliveries once there are at least n, failing after 10 s.
func (r *receiver) wait(t *testing.T, n int) []delivery {
	t.Helper()
	checkFor(t, 10*time.Second, func() bool { return len(r.deliveries()) >= n })
	return r.deliveries()
}

// tlsConfig trusts the receiver's certificate.
func (r *receiver) tlsConfig() *tls.Config {
	return r.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
}

// sleeper records the waits a Dispatcher asks for without waiting.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return ctx.Err()
}

func (s *sleeper) delays() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestDispatcher allows private targets, trusts r, and records sleeps.
func newTestDispatcher(t *testing.T, r *receiver, o Options) (*Dispatcher, *sleeper) {
	t.Helper()
	s := &sleeper{}
	o.AllowPrivate = true
	if r != nil && o.TLSConfig == nil {
		o.TLSConfig = r.tlsConfig()
	}
	if o.Sleep == nil {
		o.Sleep = s.Sleep
	}
	d := New(o)
	t.Cleanup(func() { _ = d.Close() })
	return d, s
}

func testSub(id, url string, topics ...string) Subscription {
	return Subscription{ID: id, Name: "sub " + id, URL: url, Secret: testSecret, Topics: topics, Enabled: true}
}

func testEnv(topic, id string, payload map[string]any) bus.Envelope {
	raw, _ := json.Marshal(payload)
	return bus.Envelope{V: 1, ID: id, Topic: topic, Type: "observed", TS: 1700000000.25, Payload: raw}
}

// checkFor polls cond until it holds, failing the test after total.
func checkFor(t *testing.T, total time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(total)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v", total)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
