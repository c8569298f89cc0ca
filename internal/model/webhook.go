package model

import "time"

// WebhookSubscription is one row of webhook_subscriptions: an outbound
// HTTP(S) receiver of bus events matching Topics, signed with Secret.
type WebhookSubscription struct {
	UUID string
	// Name is unique, 1–64 characters.
	Name string
	URL  string
	// Secret is the HMAC key, stored in plaintext: the receiver holds it too.
	Secret string
	// Topics are the bus patterns delivered (topic_patterns), in order.
	Topics  []string
	Enabled bool
	// ConsecutiveFailures counts events that failed after their retries
	// since the last success.
	ConsecutiveFailures int
	LastSuccessAt       time.Time // zero: never
	LastFailureAt       time.Time // zero: never
	// LastError is the last failure's error, cut to 1000 bytes; a success
	// clears it.
	LastError string
	// AutoDisabledAt is when the circuit breaker disabled the subscription;
	// zero when it was not, or was re-enabled since.
	AutoDisabledAt time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}
