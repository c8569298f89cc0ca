package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	HeaderSignature  = "X-DECNET-Signature"
	HeaderTimestamp  = "X-DECNET-Timestamp"
	HeaderEventID    = "X-DECNET-Event-Id"
	HeaderEventTopic = "X-DECNET-Event-Topic"
	// UserAgent is the original's value (pipeline.md §9).
	UserAgent = "decnet-webhook/1.0"
	// signaturePrefix names the MAC algorithm in the signature header.
	signaturePrefix = "sha256="
)

// DefaultMaxSkew is the replay window a receiver should allow in Verify:
// long enough for the clock drift between two NTP-synced hosts plus the
// whole retry schedule of one attempt, short enough that a captured request
// is useless minutes later.
const DefaultMaxSkew = 5 * time.Minute

// Verification errors.
var (
	ErrBadSignature = errors.New("webhook: signature mismatch")
	ErrBadTimestamp = errors.New("webhook: timestamp missing, malformed or outside the allowed skew")
)

// Sign returns the X-DECNET-Signature value for a delivery at unix time ts:
// "sha256=" + hex(HMAC-SHA256(secret, "<ts>." + body)).
//
// The original signed the body only and sent X-DECNET-Timestamp unsigned, so
// a captured request could be replayed forever with any timestamp. Here the
// timestamp is part of the MAC, so a receiver that checks its age (Verify's
// maxSkew) rejects replays outside the window. Receivers written for the
// original must change their check to include "<ts>.".
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return signaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a delivery as a receiver would: tsHeader must be unix
// seconds within maxSkew of now (maxSkew <= 0 means DefaultMaxSkew), and
// sigHeader must equal Sign(secret, ts, body), compared in constant time.
func Verify(secret []byte, sigHeader, tsHeader string, body []byte, now time.Time, maxSkew time.Duration) error {
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(tsHeader), 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return ErrBadTimestamp
	}
	want := Sign(secret, ts, body)
	if !hmac.Equal([]byte(strings.TrimSpace(sigHeader)), []byte(want)) {
		return ErrBadSignature
	}
	return nil
}
