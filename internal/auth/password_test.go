package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePasswordEnforcesCharacterMinimumAndByteMaximum(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		want     error
	}{
		{"11 chars rejected", strings.Repeat("a", 11), ErrPasswordTooShort},
		{"12 chars accepted", strings.Repeat("a", 12), nil},
		{"exactly 72 bytes accepted", strings.Repeat("a", 72), nil},
		{"73 bytes rejected", strings.Repeat("a", 73), ErrPasswordTooLong},
		{"11 two-byte chars rejected although 22 bytes", strings.Repeat("é", 11), ErrPasswordTooShort},
		{"24 three-byte chars are exactly 72 bytes", strings.Repeat("€", 24), nil},
		{"25 three-byte chars are 75 bytes", strings.Repeat("€", 25), ErrPasswordTooLong},
		{"empty rejected", "", ErrPasswordTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword(tc.password)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("ValidatePassword(%d bytes) = %v, want %v", len(tc.password), err, tc.want)
			}
		})
	}
}

func TestHasherRoundTripsAndRejectsWrongPassword(t *testing.T) {
	h := testHasher(t)
	hash, err := h.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !h.CheckPassword(hash, "correct horse battery") {
		t.Error("CheckPassword(right password) = false")
	}
	if h.CheckPassword(hash, "correct horse battery!") {
		t.Error("CheckPassword(wrong password) = true")
	}
	if h.CheckPassword("not-a-bcrypt-hash", "correct horse battery") {
		t.Error("CheckPassword(malformed hash) = true")
	}
}

func TestHasherNeverMatchesPasswordsLongerThan72Bytes(t *testing.T) {
	h := testHasher(t)
	base := strings.Repeat("p", 72)
	hash, err := h.HashPassword(base)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt alone would accept this: it ignores bytes past 72.
	if h.CheckPassword(hash, base+"suffix") {
		t.Error("a 78-byte password matched the hash of its 72-byte prefix")
	}
	if _, err := h.HashPassword(base + "x"); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("HashPassword(73 bytes) error = %v, want ErrPasswordTooLong", err)
	}
}

func TestNewHasherDefaultsToCost12AndRejectsOutOfRangeCost(t *testing.T) {
	h, err := NewHasher(0)
	if err != nil {
		t.Fatal(err)
	}
	if h.cost != 12 {
		t.Errorf("default cost = %d, want 12", h.cost)
	}
	for _, c := range []int{1, 32} {
		if _, err := NewHasher(c); err == nil {
			t.Errorf("NewHasher(%d) succeeded, want error", c)
		}
	}
}

func TestCheckDummyTakesAnyInputWithoutPanicking(t *testing.T) {
	h := testHasher(t)
	h.CheckDummy("")
	h.CheckDummy(strings.Repeat("x", 200))
}
