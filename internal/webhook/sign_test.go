package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"
)

func TestSignKnownAnswer(t *testing.T) {
	// HMAC-SHA256(key, "1700000000.{}"), computed independently with
	// python3 -c 'import hmac,hashlib;print(hmac.new(b"key",b"1700000000.{}",hashlib.sha256).hexdigest())'
	const want = "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
	got := Sign([]byte("key"), 1700000000, []byte("{}"))
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte(testSecret)
	body := []byte(`{"a":1}`)
	now := time.Unix(1700000000, 0)
	ts := now.Unix()
	sig := Sign(secret, ts, body)
	tsh := strconv.FormatInt(ts, 10)
	tests := []struct {
		name    string
		secret  []byte
		sig, ts string
		body    string
		now     time.Time
		want    error
	}{
		{"ok", secret, sig, tsh, string(body), now, nil},
		{"ok within skew", secret, sig, tsh, string(body), now.Add(59 * time.Second), nil},
		{"tampered body", secret, sig, tsh, `{"a":2}`, now, ErrBadSignature},
		{"wrong secret", []byte("another-secret-0123"), sig, tsh, string(body), now, ErrBadSignature},
		{"timestamp swapped (replay with fresh ts)", secret, sig, strconv.FormatInt(ts+30, 10), string(body), now, ErrBadSignature},
		{"stale", secret, sig, tsh, string(body), now.Add(2 * time.Minute), ErrBadTimestamp},
		{"future", secret, sig, tsh, string(body), now.Add(-2 * time.Minute), ErrBadTimestamp},
		{"missing ts", secret, sig, "", string(body), now, ErrBadTimestamp},
		{"garbage ts", secret, sig, "12x", string(body), now, ErrBadTimestamp},
		{"body-only signature (original scheme)", secret, bodyOnlySig(secret, body), tsh, string(body), now, ErrBadSignature},
		{"missing signature", secret, "", tsh, string(body), now, ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.sig, tt.ts, []byte(tt.body), tt.now, time.Minute)
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// bodyOnlySig is the original's signature, over the body alone.
func bodyOnlySig(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
