// Package webhook delivers bus notifications to operator-configured HTTP
// endpoints (SIEM/SOAR fan-out, pipeline.md §9): a deterministic JSON body,
// an HMAC signature over timestamp and body, bounded retries with jitter, a
// per-subscription circuit breaker, and an SSRF guard that re-checks every
// address at dial time so DNS rebinding cannot reach internal hosts.
//
// Persistence of subscriptions and the REST routes live elsewhere; this
// package only needs the Subscription values and a Source of notifications.
package webhook

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/bus"
)

// Limits on a subscription, from the original's create request (§9).
const (
	// MaxNameLen is the longest subscription name, in characters.
	MaxNameLen = 64
	// MinSecretLen and MaxSecretLen bound the HMAC key, in bytes: 16 bytes is
	// the least that still makes a guessable key impractical.
	MinSecretLen = 16
	MaxSecretLen = 256
)

// ErrInvalid is wrapped by every validation error of this package.
var ErrInvalid = errors.New("webhook: invalid subscription")

// Subscription is one webhook target.
type Subscription struct {
	// ID identifies the subscription (the row's uuid); breakers and
	// per-subscription queues are keyed by it.
	ID string
	// Name is the operator's label, 1–64 characters.
	Name string
	// URL is the http or https endpoint the notifications are POSTed to.
	URL string
	// Secret is the HMAC-SHA256 key the receiver shares.
	Secret string
	// Topics are NATS-style patterns ("attacker.>", "decky.*.state"),
	// already expanded from shortcuts (see ExpandShortcuts).
	Topics []string
	// Enabled subscriptions receive notifications; disabled ones are kept
	// but skipped.
	Enabled bool
}

// Shortcuts are the original's "simple events": UI names for common pattern
// sets (pipeline.md §9).
var Shortcuts = map[string][]string{
	"AttackerDetail": {"attacker.>"},
	"DeckyStatus":    {"decky.*.state", "decky.*.traffic"},
	"SystemStatus":   {"system.>"},
}

// ExpandShortcuts returns the patterns of the named shortcuts first, then the
// raw patterns, with duplicates removed and first-occurrence order kept, as
// the original does. An unknown shortcut or an invalid pattern is an error.
func ExpandShortcuts(shortcuts, patterns []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, s := range shortcuts {
		ps, ok := Shortcuts[s]
		if !ok {
			return nil, fmt.Errorf("%w: unknown simple event %q", ErrInvalid, s)
		}
		for _, p := range ps {
			add(p)
		}
	}
	for _, p := range patterns {
		if err := ValidatePattern(p); err != nil {
			return nil, err
		}
		add(p)
	}
	return out, nil
}

// ValidatePattern checks a topic pattern: dot-separated non-empty tokens
// without whitespace, '*' and '>' only as whole tokens, '>' only last.
func ValidatePattern(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty topic pattern", ErrInvalid)
	}
	toks := strings.Split(p, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return fmt.Errorf("%w: topic pattern %q has an empty token", ErrInvalid, p)
		case t == ">" && i != len(toks)-1:
			return fmt.Errorf("%w: topic pattern %q: '>' must be the last token", ErrInvalid, p)
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return fmt.Errorf("%w: topic pattern %q: wildcard inside a token", ErrInvalid, p)
		case strings.IndexFunc(t, unicode.IsSpace) >= 0:
			return fmt.Errorf("%w: topic pattern %q contains whitespace", ErrInvalid, p)
		}
	}
	return nil
}

// Validate checks the fields a create request checks: name length, URL shape
// (ValidateURL; addresses are checked by Dispatcher.CheckURL), secret length
// and patterns. It does not look at Enabled or ID.
func (s Subscription) Validate() error {
	if n := utf8.RuneCountInString(s.Name); n < 1 || n > MaxNameLen {
		return fmt.Errorf("%w: name must be 1–%d characters", ErrInvalid, MaxNameLen)
	}
	if _, err := ValidateURL(s.URL); err != nil {
		return err
	}
	if n := len(s.Secret); n < MinSecretLen || n > MaxSecretLen {
		return fmt.Errorf("%w: secret must be %d–%d bytes", ErrInvalid, MinSecretLen, MaxSecretLen)
	}
	for _, p := range s.Topics {
		if err := ValidatePattern(p); err != nil {
			return err
		}
	}
	return nil
}

// Matches reports whether topic matches any of the subscription's patterns.
// An event matching several overlapping patterns still matches once, so it is
// delivered once (the original delivered it once per pattern, §10 #13).
func (s Subscription) Matches(topic string) bool {
	for _, p := range s.Topics {
		if bus.Matches(p, topic) {
			return true
		}
	}
	return false
}
