package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"
)

// Attempt limits for the auth routes (api_db.md §4). Successful attempts count
// too, so a stolen password cannot be confirmed faster than it can be guessed.
const (
	LoginAttempts          = 10              // per client address and per username
	LoginWindow            = 5 * time.Minute // window for LoginAttempts
	ChangePasswordAttempts = 5               // per user
	ChangePasswordWindow   = time.Minute     // window for ChangePasswordAttempts
)

// DefaultLimiterKeys bounds the keys a Limiter tracks when
// LimiterOptions.MaxKeys is zero. At ~100 bytes per key for a limit of 10,
// that caps one limiter near 2 MB however many addresses or usernames a
// flood uses.
const DefaultLimiterKeys = 20000

// maxKeyLen is the longest key stored verbatim; longer keys (usernames come
// from request bodies) are hashed so a key cannot be used to pin memory.
const maxKeyLen = 64

// LimiterOptions configures NewLimiter.
type LimiterOptions struct {
	// Limit is the number of attempts allowed per key within Window.
	Limit int
	// Window is the length of the sliding window.
	Window time.Duration
	// MaxKeys bounds memory; 0 means DefaultLimiterKeys.
	MaxKeys int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Disabled makes Allow always succeed (DECNET_LIMITER_ENABLED=false).
	Disabled bool
}

// Limiter counts attempts per key over a sliding window, in memory. It is
// safe for concurrent use.
type Limiter struct {
	limit    int
	window   time.Duration
	maxKeys  int
	now      func() time.Time
	disabled bool

	mu        sync.Mutex
	keys      map[string]*attempts // guarded by mu
	lastSweep time.Time            // guarded by mu
}

// attempts holds the times of the allowed attempts still inside the window,
// oldest first; never more than the limit.
type attempts struct {
	at []int64 // unix nanoseconds
	// seen is the last attempt, refused or not, so eviction spares a bucket
	// that is being hammered while it is locked.
	seen int64
}

// NewLimiter validates o and returns a Limiter.
func NewLimiter(o LimiterOptions) (*Limiter, error) {
	if o.Limit <= 0 || o.Window <= 0 {
		return nil, errors.New("limiter needs a positive limit and window")
	}
	if o.MaxKeys < 0 {
		return nil, errors.New("limiter max keys must not be negative")
	}
	if o.MaxKeys == 0 {
		o.MaxKeys = DefaultLimiterKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Limiter{
		limit:    o.Limit,
		window:   o.Window,
		maxKeys:  o.MaxKeys,
		now:      o.Now,
		disabled: o.Disabled,
		keys:     make(map[string]*attempts),
	}, nil
}

// Limit returns the number of attempts allowed per window.
func (l *Limiter) Limit() int { return l.limit }

// Window returns the window length.
func (l *Limiter) Window() time.Duration { return l.window }

// Allow records an attempt for key and reports whether it is within the limit.
// A refused attempt is not recorded, so a client that keeps retrying is let
// back in once its oldest counted attempt leaves the window; retryAfter says
// when that is.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	if l.disabled {
		return true, 0
	}
	if len(key) > maxKeyLen {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	now := l.now()
	nowNS := now.UnixNano()
	cutoff := nowNS - l.window.Nanoseconds()

	l.mu.Lock()
	defer l.mu.Unlock()

	if now.Sub(l.lastSweep) >= l.window {
		l.sweepLocked(cutoff)
		l.lastSweep = now
	}
	a := l.keys[key]
	if a == nil {
		if len(l.keys) >= l.maxKeys {
			l.sweepLocked(cutoff)
			if len(l.keys) >= l.maxKeys {
				l.evictOldestLocked()
			}
		}
		a = &attempts{at: make([]int64, 0, l.limit)}
		l.keys[key] = a
	}
	a.seen = nowNS
	a.dropExpired(cutoff)
	if len(a.at) >= l.limit {
		return false, time.Duration(a.at[0] - cutoff)
	}
	a.at = append(a.at, nowNS)
	return true, 0
}

// dropExpired forgets attempts at or before cutoff.
func (a *attempts) dropExpired(cutoff int64) {
	i := 0
	for i < len(a.at) && a.at[i] <= cutoff {
		i++
	}
	if i > 0 {
		a.at = append(a.at[:0], a.at[i:]...)
	}
}

// sweepLocked deletes keys with no attempt inside the window. l.mu must be held.
func (l *Limiter) sweepLocked(cutoff int64) {
	for k, a := range l.keys {
		if len(a.at) == 0 || a.at[len(a.at)-1] <= cutoff {
			delete(l.keys, k)
		}
	}
}

// evictOldestLocked deletes the least recently seen key, so a flood of fresh
// keys pushes out idle ones rather than a bucket under active attack.
// It is linear, but runs only when the table is full of live keys. l.mu must
// be held.
func (l *Limiter) evictOldestLocked() {
	var (
		oldestKey string
		oldestAt  int64
		found     bool
	)
	for k, a := range l.keys {
		if !found || a.seen < oldestAt {
			oldestKey, oldestAt, found = k, a.seen, true
		}
	}
	if found {
		delete(l.keys, oldestKey)
	}
}

// size returns the number of keys currently tracked.
func (l *Limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
