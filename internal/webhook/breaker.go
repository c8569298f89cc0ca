package webhook

import (
	"sync"
	"time"
)

// BreakerState is the state of a subscription's circuit breaker.
type BreakerState int

const (
	// Closed: deliveries go out.
	Closed BreakerState = iota
	// Open: deliveries are skipped until the cool-down has passed.
	Open
	// HalfOpen: one trial delivery is in flight; its outcome closes or
	// re-opens the breaker. Other deliveries are skipped meanwhile.
	HalfOpen
)

func (s BreakerState) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "unknown"
}

// Breaker counts consecutive failed deliveries (a delivery fails once, after
// all its retries) and stops sending to a dead endpoint. It is safe for
// concurrent use.
type Breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	onTrip    func()

	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
}

// NewBreaker returns a closed breaker that opens after threshold
// consecutive failures and lets a trial through cooldown later. onTrip, if
// not nil, runs (without the lock) each time the breaker opens.
func NewBreaker(threshold int, cooldown time.Duration, now func() time.Time, onTrip func()) *Breaker {
	if threshold < 1 {
		threshold = DefaultBreakerThreshold
	}
	if cooldown <= 0 {
		cooldown = DefaultBreakerCooldown
	}
	if now == nil {
		now = time.Now
	}
	return &Breaker{threshold: threshold, cooldown: cooldown, now: now, onTrip: onTrip}
}

// Allow reports whether a delivery may go out now. An open breaker whose
// cool-down has passed becomes half-open and allows exactly one delivery.
func (b *Breaker) Allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case Closed:
		return true
	case Open:
		if b.now().Sub(b.openedAt) >= b.cooldown {
			b.state = HalfOpen
			return true
		}
	}
	return false
}

// Success records a delivered notification: the breaker closes and the
// failure count resets.
func (b *Breaker) Success() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.state = Closed
	b.failures = 0
}

// Failure records a failed delivery; the breaker opens at the threshold, and
// a failed half-open trial opens it again for another cool-down.
func (b *Breaker) Failure() {
	b.mu.Lock()
	b.failures++
	trip := b.state == HalfOpen || (b.state == Closed && b.failures >= b.threshold)
	if trip {
		b.state = Open
		b.openedAt = b.now()
	}
	onTrip := b.onTrip
	b.mu.Unlock()
	if trip && onTrip != nil {
		onTrip()
	}
}

// abort gives back a half-open trial that never reached the receiver (the
// delivery was cancelled or its body could not be built): the breaker goes
// back to Open with its cool-down already spent, so the next Allow retries.
func (b *Breaker) abort() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == HalfOpen {
		b.state = Open
	}
}

// State returns the current state. An open breaker past its cool-down still
// reports Open until the next Allow moves it to HalfOpen.
func (b *Breaker) State() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// Failures returns the number of consecutive failed deliveries.
func (b *Breaker) Failures() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures
}
