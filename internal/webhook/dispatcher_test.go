package webhook

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

// fakeSource is an in-process Source: Publish calls the registered handler
// synchronously, as the bus's subscription goroutine would.
type fakeSource struct {
	mu sync.Mutex
	h  func(bus.Envelope)
}

func (s *fakeSource) SubscribeAll(h func(bus.Envelope)) (func() error, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h = h
	return func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.h = nil
		return nil
	}, nil
}

func (s *fakeSource) Publish(env bus.Envelope) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	if h != nil {
		h(env)
	}
}

func topicsOf(t *testing.T, ds []delivery) []string {
	t.Helper()
	var out []string
	for _, d := range ds {
		if d.VerifyErr != nil {
			t.Errorf("Verify: %v", d.VerifyErr)
		}
		out = append(out, d.Header.Get(HeaderEventTopic))
	}
	slices.Sort(out)
	return out
}

func TestDispatcherRouting(t *testing.T) {
	ra := newReceiver(t, nil)
	rb := newReceiver(t, nil)
	// Both receivers share httptest's certificate, so one TLS config trusts both.
	d, _ := newTestDispatcher(t, ra, Options{})
	src := &fakeSource{}
	if err := d.Start(src); err != nil {
		t.Fatal(err)
	}
	disabled := testSub("c", rb.srv.URL, ">")
	disabled.Enabled = false
	err := d.SetSubscriptions([]Subscription{
		// Overlapping patterns: each event still goes out once.
		testSub("a", ra.srv.URL, "attacker.>", "attacker.observed", "credential.reuse.detected"),
		testSub("b", rb.srv.URL, "decky.*.state"),
		disabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, topic := range []string{"attacker.observed", "decky.d1.state", "credential.reuse.detected", "system.log", "decky.d1.traffic"} {
		src.Publish(testEnv(topic, string(rune('0'+i)), map[string]any{"i": i}))
	}
	ra.wait(t, 2)
	rb.wait(t, 1)
	time.Sleep(50 * time.Millisecond) // let any wrong extra delivery arrive
	gotA, gotB := topicsOf(t, ra.deliveries()), topicsOf(t, rb.deliveries())
	if want := []string{"attacker.observed", "credential.reuse.detected"}; !slices.Equal(gotA, want) {
		t.Errorf("a got %v, want %v", gotA, want)
	}
	if want := []string{"decky.d1.state"}; !slices.Equal(gotB, want) {
		t.Errorf("b got %v, want %v (disabled c must get nothing)", gotB, want)
	}
	checkFor(t, 5*time.Second, func() bool { s, _ := d.Stats("a"); return s.Delivered == 2 })

	// Reload: a removed, b now wants attacker.>.
	if err := d.SetSubscriptions([]Subscription{testSub("b", rb.srv.URL, "attacker.>")}); err != nil {
		t.Fatal(err)
	}
	src.Publish(testEnv("attacker.scored", "9", nil))
	rb.wait(t, 2)
	if n := len(ra.deliveries()); n != 2 {
		t.Errorf("removed subscription still delivered: %d", n)
	}
}

func TestSetSubscriptionsRejectsInvalid(t *testing.T) {
	d, _ := newTestDispatcher(t, nil, Options{})
	good := testSub("g", "https://siem.example.com/", ">")
	bad := testSub("b", "gopher://x/", ">")
	err := d.SetSubscriptions([]Subscription{good, bad, good, {Name: "no id"}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if _, ok := d.Stats("g"); !ok {
		t.Errorf("valid subscription not configured")
	}
	if _, ok := d.Stats("b"); ok {
		t.Errorf("invalid subscription configured")
	}
}

// TestQueueDropsOldest: with the receiver stalled, Handle never blocks and a
// full queue evicts its oldest notification.
func TestQueueDropsOldest(t *testing.T) {
	r := newReceiver(t, nil)
	hold := make(chan struct{})
	r.hold = hold
	d, _ := newTestDispatcher(t, r, Options{QueueSize: 2})
	if err := d.SetSubscriptions([]Subscription{testSub("s", r.srv.URL, ">")}); err != nil {
		t.Fatal(err)
	}
	d.Handle(testEnv("t", "e1", nil))
	r.wait(t, 1) // e1 is in flight, stalled
	done := make(chan struct{})
	go func() {
		for _, id := range []string{"e2", "e3", "e4", "e5"} {
			d.Handle(testEnv("t", id, nil))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Handle blocked on a stalled receiver")
	}
	if s, _ := d.Stats("s"); s.Queued != 2 || s.Dropped != 2 {
		t.Errorf("stats = %+v, want 2 queued, 2 dropped", s)
	}
	close(hold)
	got := r.wait(t, 3)
	var ids []string
	for _, g := range got {
		var b struct{ ID string }
		if err := json.Unmarshal(g.Body, &b); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, b.ID)
	}
	if want := []string{"e1", "e4", "e5"}; !slices.Equal(ids, want) {
		t.Errorf("delivered %v, want %v (oldest dropped, order kept)", ids, want)
	}
	checkFor(t, 5*time.Second, func() bool { s, _ := d.Stats("s"); return s.Delivered == 3 })
}

func TestOnResultAndClose(t *testing.T) {
	r := newReceiver(t, nil)
	results := make(chan Result, 1)
	d, _ := newTestDispatcher(t, r, Options{OnResult: func(s Subscription, env bus.Envelope, res Result) {
		if s.ID == "s" && env.Topic == "x.y" {
			results <- res
		}
	}})
	if err := d.SetSubscriptions([]Subscription{testSub("s", r.srv.URL, "x.*")}); err != nil {
		t.Fatal(err)
	}
	d.Handle(testEnv("x.y", "1", nil))
	select {
	case res := <-results:
		if !res.Delivered {
			t.Errorf("result %+v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OnResult")
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.SetSubscriptions(nil); err == nil {
		t.Errorf("SetSubscriptions after Close succeeded")
	}
	d.Handle(testEnv("x.y", "2", nil)) // must not panic or block
}
