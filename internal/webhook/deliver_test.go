package webhook

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestDeliverSignedBody(t *testing.T) {
	r := newReceiver(t, nil)
	d, _ := newTestDispatcher(t, r, Options{})
	env := testEnv("attacker.observed", "abc123", map[string]any{"attacker_ip": "203.0.113.9", "html": "<a>&"})
	res := d.Deliver(context.Background(), testSub("s1", r.srv.URL, "attacker.>"), env)
	if !res.Delivered || res.Attempts != 1 || res.Status != 200 || res.Err != nil {
		t.Fatalf("result = %+v, want delivered in 1 attempt", res)
	}
	got := r.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1", len(got))
	}
	g := got[0]
	if g.VerifyErr != nil {
		t.Errorf("receiver Verify: %v", g.VerifyErr)
	}
	want, err := Body(env)
	if err != nil {
		t.Fatal(err)
	}
	if string(g.Body) != string(want) {
		t.Errorf("body = %s, want %s", g.Body, want)
	}
	const wantBody = `{"id":"abc123","payload":{"attacker_ip":"203.0.113.9","html":"<a>&"},"topic":"attacker.observed","ts":"2023-11-14T22:13:20.250000+00:00","type":"observed","v":1}`
	if string(g.Body) != wantBody {
		t.Errorf("body = %s, want %s", g.Body, wantBody)
	}
	for h, want := range map[string]string{
		"Content-Type":   "application/json",
		"User-Agent":     UserAgent,
		HeaderEventID:    "abc123",
		HeaderEventTopic: "attacker.observed",
	} {
		if v := g.Header.Get(h); v != want {
			t.Errorf("%s = %q, want %q", h, v, want)
		}
	}
}

func TestRetryThenSuccess(t *testing.T) {
	r := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	d, s := newTestDispatcher(t, r, Options{})
	res := d.Deliver(context.Background(), testSub("s1", r.srv.URL, ">"), testEnv("a.b", "1", nil))
	if !res.Delivered || res.Attempts != 3 || res.Status != 200 {
		t.Fatalf("result = %+v, want delivered after 3 attempts", res)
	}
	if n := len(r.deliveries()); n != 3 {
		t.Fatalf("receiver saw %d requests, want 3", n)
	}
	ds := s.delays()
	if len(ds) != 2 {
		t.Fatalf("slept %v, want 2 waits", ds)
	}
	for i, base := range []time.Duration{time.Second, 2 * time.Second} {
		lo, hi := time.Duration(float64(base)*0.8), time.Duration(float64(base)*1.2)
		if ds[i] < lo || ds[i] > hi {
			t.Errorf("wait %d = %v, want %v ±20%%", i, ds[i], base)
		}
	}
	if st := d.Breaker("s1").State(); st != Closed {
		t.Errorf("breaker %v after success, want closed", st)
	}
}

func TestRetryPolicy(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		wantAttempts int
		wantSleeps   int
	}{
		{"5xx retried to the end", http.StatusServiceUnavailable, 4, 3},
		{"429 retried", http.StatusTooManyRequests, 4, 3},
		{"4xx terminal", http.StatusBadRequest, 1, 0},
		{"3xx terminal, not followed", http.StatusFound, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, func(int) int { return tt.status })
			d, s := newTestDispatcher(t, r, Options{})
			res := d.Deliver(context.Background(), testSub("s", r.srv.URL, ">"), testEnv("a", "1", nil))
			if res.Delivered || res.Attempts != tt.wantAttempts || res.Status != tt.status {
				t.Errorf("result = %+v, want %d attempts ending in %d", res, tt.wantAttempts, tt.status)
			}
			var se *StatusError
			if !errors.As(res.Err, &se) || se.Status != tt.status {
				t.Errorf("err = %v, want StatusError %d", res.Err, tt.status)
			}
			if n := len(r.deliveries()); n != tt.wantAttempts {
				t.Errorf("receiver saw %d requests, want %d (a followed redirect would add one)", n, tt.wantAttempts)
			}
			if n := len(s.delays()); n != tt.wantSleeps {
				t.Errorf("%d sleeps, want %d", n, tt.wantSleeps)
			}
		})
	}
}

func TestTransportErrorRetried(t *testing.T) {
	r := newReceiver(t, nil)
	url := r.srv.URL
	r.srv.Close() // nothing listens any more
	d, s := newTestDispatcher(t, r, Options{})
	res := d.Deliver(context.Background(), testSub("s", url, ">"), testEnv("a", "1", nil))
	if res.Delivered || res.Blocked || res.Attempts != 4 || res.Status != 0 || res.Err == nil {
		t.Errorf("result = %+v, want 4 failed attempts with a transport error", res)
	}
	if n := len(s.delays()); n != 3 {
		t.Errorf("%d sleeps, want 3", n)
	}
}

func TestBreakerOpensAndHalfOpens(t *testing.T) {
	fail := true
	r := newReceiver(t, func(int) int {
		if fail {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	clk := newClock()
	var trips []string
	d, _ := newTestDispatcher(t, r, Options{
		RetryDelays:     []time.Duration{}, // one attempt per delivery
		Now:             clk.Now,
		BreakerCooldown: 30 * time.Second,
		OnTrip:          func(id string) { trips = append(trips, id) },
	})
	sub := testSub("s1", r.srv.URL, ">")
	ctx := context.Background()
	b := d.Breaker("s1")
	for i := 1; i <= DefaultBreakerThreshold; i++ {
		if st := b.State(); st != Closed {
			t.Fatalf("before failure %d: breaker %v, want closed", i, st)
		}
		if res := d.Deliver(ctx, sub, testEnv("a", "1", nil)); res.Delivered || res.Attempts != 1 {
			t.Fatalf("delivery %d = %+v, want one failed attempt", i, res)
		}
	}
	if st, n := b.State(), b.Failures(); st != Open || n != DefaultBreakerThreshold {
		t.Fatalf("after %d failures: %v with %d failures, want open", DefaultBreakerThreshold, st, n)
	}
	if len(trips) != 1 || trips[0] != "s1" {
		t.Errorf("OnTrip calls = %v, want [s1]", trips)
	}
	sent := len(r.deliveries())
	res := d.Deliver(ctx, sub, testEnv("a", "1", nil))
	if !res.Skipped || !errors.Is(res.Err, ErrBreakerOpen) || res.Attempts != 0 {
		t.Errorf("open breaker: result %+v, want skipped", res)
	}
	if n := len(r.deliveries()); n != sent {
		t.Errorf("open breaker still sent: %d requests, want %d", n, sent)
	}

	// Cool-down passes; the trial fails and the breaker re-opens.
	clk.Advance(30 * time.Second)
	if res := d.Deliver(ctx, sub, testEnv("a", "1", nil)); res.Attempts != 1 || res.Delivered {
		t.Fatalf("failed trial = %+v", res)
	}
	if st := b.State(); st != Open {
		t.Fatalf("after failed trial: %v, want open", st)
	}
	if res := d.Deliver(ctx, sub, testEnv("a", "1", nil)); !res.Skipped {
		t.Errorf("right after a failed trial: %+v, want skipped", res)
	}

	// Next cool-down: Allow half-opens, one trial only, success closes.
	clk.Advance(30 * time.Second)
	if !b.Allow() || b.State() != HalfOpen {
		t.Fatalf("after cool-down: Allow false or state %v, want half-open", b.State())
	}
	if b.Allow() {
		t.Errorf("half-open breaker allowed a second trial")
	}
	b.abort() // hand the trial back so Deliver can take it
	fail = false
	if res := d.Deliver(ctx, sub, testEnv("a", "1", nil)); !res.Delivered {
		t.Fatalf("successful trial = %+v", res)
	}
	if st, n := b.State(), b.Failures(); st != Closed || n != 0 {
		t.Errorf("after success: %v with %d failures, want closed with 0", st, n)
	}
}

func TestTestFire(t *testing.T) {
	r := newReceiver(t, func(int) int { return http.StatusInternalServerError })
	d, s := newTestDispatcher(t, r, Options{})
	sub := testSub("s", r.srv.URL, "attacker.>") // TestFire ignores topics
	res := d.TestFire(context.Background(), sub, "admin")
	if res.Attempts != 1 || res.Delivered || res.Status != 500 {
		t.Errorf("result = %+v, want one failed attempt", res)
	}
	if len(s.delays()) != 0 {
		t.Errorf("test fire retried")
	}
	if st := d.Breaker("s").State(); st != Closed || d.Breaker("s").Failures() != 0 {
		t.Errorf("test fire touched the breaker")
	}
	g := r.deliveries()[0]
	if g.VerifyErr != nil {
		t.Errorf("Verify: %v", g.VerifyErr)
	}
	if g.Header.Get(HeaderEventTopic) != "test.ping" {
		t.Errorf("topic header %q", g.Header.Get(HeaderEventTopic))
	}
	var body struct {
		Topic, Type string
		Payload     map[string]string
	}
	mustUnmarshal(t, g.Body, &body)
	if body.Topic != "test.ping" || body.Type != "test" || body.Payload["triggered_by"] != "admin" || body.Payload["message"] == "" {
		t.Errorf("body = %s", g.Body)
	}
}
