package auth

import (
	"crypto/rand"
	"encoding/base64"
)

// secretBytes is the entropy of a generated JWT secret: 256 bits, the HS256
// output size, encoded to 43 characters (above MinSecretBytes).
const secretBytes = 32

// passwordBytes is the entropy of a generated admin password: 192 bits,
// encoded to 32 URL-safe characters that survive copy-paste and shells.
const passwordBytes = 24

// GenerateSecret returns a fresh random JWT secret, base64url without padding.
func GenerateSecret() string { return randomToken(secretBytes) }

// generatePassword returns a fresh random password that satisfies the policy.
func generatePassword() string { return randomToken(passwordBytes) }

func randomToken(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error since Go 1.24; it crashes the
	// program instead of handing back weak bytes.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
