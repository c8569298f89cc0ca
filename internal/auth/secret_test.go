package auth

import (
	"regexp"
	"testing"
)

var urlSafe = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func TestGenerateSecretIsLongURLSafeAndFresh(t *testing.T) {
	a, b := GenerateSecret(), GenerateSecret()
	if len(a) < MinSecretBytes || !urlSafe.MatchString(a) {
		t.Errorf("GenerateSecret() = %q, want ≥%d URL-safe characters", a, MinSecretBytes)
	}
	if a == b {
		t.Error("two GenerateSecret calls returned the same value")
	}
}

func TestGeneratedPasswordIsLongURLSafeAndPassesPolicy(t *testing.T) {
	p := generatePassword()
	if len(p) < 20 || !urlSafe.MatchString(p) {
		t.Errorf("generatePassword() = %q, want ≥20 URL-safe characters", p)
	}
	if err := ValidatePassword(p); err != nil {
		t.Errorf("generated password fails the policy: %v", err)
	}
}
