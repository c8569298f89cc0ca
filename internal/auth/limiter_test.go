package auth

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTestLimiter(t *testing.T, clk *fakeClock, o LimiterOptions) *Limiter {
	t.Helper()
	o.Now = clk.Now
	l, err := NewLimiter(o)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLimiterRefusesEleventhAttemptWithinFiveMinutes(t *testing.T) {
	clk := newFakeClock()
	l := newTestLimiter(t, clk, LimiterOptions{Limit: LoginAttempts, Window: LoginWindow})
	for i := range 10 {
		if ok, _ := l.Allow("10.0.0.1"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		clk.Advance(10 * time.Second)
	}
	ok, retry := l.Allow("10.0.0.1")
	if ok {
		t.Fatal("11th attempt within 5 minutes allowed")
	}
	// The first attempt was 100 s ago, so it leaves the window in 200 s.
	if retry != 200*time.Second {
		t.Errorf("retryAfter = %s, want 200s", retry)
	}
	if ok, _ := l.Allow("10.0.0.2"); !ok {
		t.Error("another key was limited by the first key's attempts")
	}
}

func TestLimiterWindowSlides(t *testing.T) {
	clk := newFakeClock()
	l := newTestLimiter(t, clk, LimiterOptions{Limit: 2, Window: time.Minute})
	l.Allow("k") // t=0
	clk.Advance(30 * time.Second)
	l.Allow("k") // t=30
	clk.Advance(29 * time.Second)
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("third attempt at t=59s allowed with limit 2/min")
	}
	clk.Advance(time.Second) // t=60: the t=0 attempt has left the window
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("attempt at t=60s refused although only one attempt is inside the window")
	}
	if ok, _ := l.Allow("k"); ok {
		t.Fatal("attempt allowed with two attempts (t=30, t=60) inside the window")
	}
}

func TestLimiterDoesNotCountRefusedAttempts(t *testing.T) {
	clk := newFakeClock()
	l := newTestLimiter(t, clk, LimiterOptions{Limit: 1, Window: time.Minute})
	l.Allow("k")
	for range 5 {
		clk.Advance(10 * time.Second)
		l.Allow("k")
	}
	clk.Advance(10 * time.Second) // 60 s after the only counted attempt
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("refused retries extended the lockout")
	}
}

func TestDisabledLimiterAllowsEverything(t *testing.T) {
	l := newTestLimiter(t, newFakeClock(), LimiterOptions{Limit: 1, Window: time.Hour, Disabled: true})
	for range 100 {
		if ok, _ := l.Allow("k"); !ok {
			t.Fatal("disabled limiter refused an attempt")
		}
	}
	if l.size() != 0 {
		t.Errorf("disabled limiter tracks %d keys", l.size())
	}
}

func TestLimiterMemoryStaysBoundedUnderKeyFlood(t *testing.T) {
	clk := newFakeClock()
	l := newTestLimiter(t, clk, LimiterOptions{Limit: 3, Window: time.Minute, MaxKeys: 100})
	// A bucket under active attack...
	l.Allow("admin")
	l.Allow("admin")
	l.Allow("admin")
	// ...then a flood of fresh keys, each newer than admin's last attempt
	// except that admin keeps being hit.
	for i := range 1000 {
		clk.Advance(time.Millisecond)
		l.Allow(fmt.Sprintf("spray-%d", i))
		if i%50 == 0 {
			l.Allow("admin")
		}
	}
	if n := l.size(); n > 100 {
		t.Fatalf("limiter tracks %d keys, bound is 100", n)
	}
	if ok, _ := l.Allow("admin"); ok {
		t.Fatal("the flood evicted the actively attacked bucket")
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	clk := newFakeClock()
	l := newTestLimiter(t, clk, LimiterOptions{Limit: 3, Window: time.Minute})
	for i := range 50 {
		l.Allow(fmt.Sprintf("ip-%d", i))
	}
	clk.Advance(2 * time.Minute)
	l.Allow("fresh")
	if n := l.size(); n != 1 {
		t.Fatalf("after the window passed limiter tracks %d keys, want 1", n)
	}
}

func TestLimiterHashesLongKeysButStillCountsThem(t *testing.T) {
	l := newTestLimiter(t, newFakeClock(), LimiterOptions{Limit: 1, Window: time.Minute})
	long := strings.Repeat("u", 100000)
	l.Allow(long)
	if ok, _ := l.Allow(long); ok {
		t.Fatal("second attempt with a long key allowed at limit 1")
	}
	for k := range l.keys {
		if len(k) > 80 {
			t.Fatalf("stored a %d-byte key", len(k))
		}
	}
}

func TestNewLimiterRejectsNonPositiveLimitOrWindow(t *testing.T) {
	for _, o := range []LimiterOptions{{Limit: 0, Window: time.Minute}, {Limit: 1}, {Limit: 1, Window: time.Minute, MaxKeys: -1}} {
		if _, err := NewLimiter(o); err == nil {
			t.Errorf("NewLimiter(%+v) succeeded", o)
		}
	}
}
