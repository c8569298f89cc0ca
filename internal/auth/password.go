package auth

import (
	"errors"
	"fmt"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Password policy limits. bcrypt ignores everything past 72 bytes, so a longer
// password would silently be weaker than it looks; it is refused instead.
const (
	MinPasswordChars = 12 // characters (runes), not bytes
	MaxPasswordBytes = 72 // UTF-8 bytes, bcrypt's input limit
)

// DefaultCost is the bcrypt cost used in production (about 250 ms per hash on
// a current core): slow enough to hurt offline cracking, fast enough for login.
const DefaultCost = 12

// Password policy violations; ValidatePassword wraps one of them.
var (
	ErrPasswordTooShort = errors.New("password too short") // under MinPasswordChars
	ErrPasswordTooLong  = errors.New("password too long")  // over MaxPasswordBytes
)

// ValidatePassword checks a new password against the policy: at least
// MinPasswordChars characters and at most MaxPasswordBytes UTF-8 bytes.
func ValidatePassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPasswordChars {
		return fmt.Errorf("%w: must be at least %d characters", ErrPasswordTooShort, MinPasswordChars)
	}
	if len(password) > MaxPasswordBytes {
		return fmt.Errorf("%w: must be at most %d bytes (UTF-8)", ErrPasswordTooLong, MaxPasswordBytes)
	}
	return nil
}

// Hasher hashes and verifies passwords with bcrypt at a fixed cost. Build it
// with NewHasher; it is safe for concurrent use.
type Hasher struct {
	cost int

	dummyOnce sync.Once
	dummy     []byte
}

// NewHasher returns a Hasher using cost; 0 means DefaultCost. Tests pass
// bcrypt.MinCost to stay fast.
func NewHasher(cost int) (*Hasher, error) {
	if cost == 0 {
		cost = DefaultCost
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d outside %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return &Hasher{cost: cost}, nil
}

// HashPassword returns the bcrypt hash of password. It refuses passwords over
// MaxPasswordBytes rather than truncating them.
func (h *Hasher) HashPassword(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("hash password: %w", ErrPasswordTooLong)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), h.cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// CheckPassword reports whether password matches hash. A malformed hash or a
// password over MaxPasswordBytes never matches: stored hashes were made from
// at most that many bytes, and truncating would accept arbitrary suffixes.
func (h *Hasher) CheckPassword(hash, password string) bool {
	if len(password) > MaxPasswordBytes {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// CheckDummy spends the same time as a real CheckPassword and always fails.
// Login calls it for unknown usernames so response time does not reveal which
// accounts exist.
func (h *Hasher) CheckDummy(password string) {
	h.dummyOnce.Do(func() {
		// A fixed input: the hash only has to cost what a real one costs.
		h.dummy, _ = bcrypt.GenerateFromPassword([]byte("decnet-timing-equaliser"), h.cost)
	})
	if len(password) > MaxPasswordBytes {
		password = password[:MaxPasswordBytes]
	}
	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
}
