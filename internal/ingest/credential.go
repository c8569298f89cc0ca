package ingest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/decnet/decnet/internal/model"
)

// Credential column caps (pipeline.md §6). The secret itself is hashed in
// full; only the stored copies are cut.
const (
	maxPrincipal       = 256
	maxSecretKind      = 32
	maxSecretPrintable = 512
	maxSecretB64       = 2048
)

// defaultSecretKind is recorded when an emitter omits secret_kind: several
// services (ftp, ldap, redis, imap, pop3, smtp, the PAM helper) capture
// plaintext passwords without saying so.
const defaultSecretKind = "plaintext"

// deriveCredential builds the credential attempt an event carries, or nil
// when it carries none or its secret_b64 is not canonical base64. A bad
// encoding means the secret cannot be hashed reliably, so only the logs row
// keeps the event.
func deriveCredential(ev model.Event, attackerIP string) *model.Credential {
	f := ev.Fields
	b64, ok := f["secret_b64"]
	if !ok || !isBase64Alphabet(b64) {
		return nil
	}
	secret, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(secret)

	principal := f["principal"]
	if principal == "" {
		principal = f["username"]
	}
	principal = capString(principal, maxPrincipal)

	kind := capString(f["secret_kind"], maxSecretKind)
	if kind == "" {
		kind = defaultSecretKind
	}

	printable, ok := f["secret_printable"]
	if !ok {
		printable = printableSecret(secret)
	}

	outcome := ""
	switch o := f["outcome"]; o {
	case model.OutcomeSuccess, model.OutcomeFailure, model.OutcomeObserved:
		outcome = o
	}

	return &model.Credential{
		AttackerIP:      attackerIP,
		DeckyName:       ev.Decky,
		Service:         ev.Service,
		Principal:       principal,
		PrincipalKey:    principal,
		SecretKind:      kind,
		SecretSHA256:    hex.EncodeToString(sum[:]),
		SecretB64:       capString(b64, maxSecretB64),
		SecretPrintable: capString(printable, maxSecretPrintable),
		Outcome:         outcome,
		Fields:          f,
		FirstSeen:       ev.TS,
		LastSeen:        ev.TS,
		AttemptCount:    1,
	}
}

// isBase64Alphabet reports whether s matches ^[A-Za-z0-9+/]*={0,2}$. The
// decoder alone would also accept embedded newlines.
func isBase64Alphabet(s string) bool {
	body := strings.TrimRight(s, "=")
	if len(s)-len(body) > 2 {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// printableSecret renders secret bytes for display the way the emitters do:
// bytes outside 0x20–0x7e become '?', so the result is always safe ASCII.
// Only as many bytes as the column keeps are rendered.
func printableSecret(secret []byte) string {
	if len(secret) > maxSecretPrintable {
		secret = secret[:maxSecretPrintable]
	}
	b := make([]byte, len(secret))
	for i, c := range secret {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		b[i] = c
	}
	return string(b)
}
