package webhook

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandShortcuts(t *testing.T) {
	got, err := ExpandShortcuts(
		[]string{"DeckyStatus", "AttackerDetail", "DeckyStatus"},
		[]string{"credential.reuse.detected", "attacker.>", "system.>"},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"decky.*.state", "decky.*.traffic", "attacker.>", "credential.reuse.detected", "system.>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if _, err := ExpandShortcuts([]string{"Nope"}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown shortcut: %v", err)
	}
	if _, err := ExpandShortcuts(nil, []string{"a.>.b"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad pattern: %v", err)
	}
}

func TestValidatePattern(t *testing.T) {
	for p, ok := range map[string]bool{
		"attacker.>": true, ">": true, "decky.*.state": true, "credential.reuse.detected": true, "*": true,
		"": false, "a..b": false, ".a": false, "a.": false, "a.>.b": false, "a*": false, "a.b>": false, "a b": false,
	} {
		if err := ValidatePattern(p); (err == nil) != ok {
			t.Errorf("ValidatePattern(%q) = %v, want ok=%v", p, err, ok)
		}
	}
}

func TestSubscriptionMatches(t *testing.T) {
	s := Subscription{Topics: []string{"attacker.>", "decky.*.state", "credential.reuse.detected"}}
	for topic, want := range map[string]bool{
		"attacker.observed":            true,
		"attacker.observation.timing":  true,
		"attacker":                     false,
		"decky.d1.state":               true,
		"decky.state":                  false,
		"decky.d1.traffic":             false,
		"credential.reuse.detected":    true,
		"credential.reuse.detected.x":  false,
		"credential.captured":          false,
		"system.webhook.subscriptions": false,
	} {
		if got := s.Matches(topic); got != want {
			t.Errorf("Matches(%q) = %v, want %v", topic, got, want)
		}
	}
}

func TestSubscriptionValidate(t *testing.T) {
	ok := testSub("1", "https://siem.example.com/h", "attacker.>")
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid subscription: %v", err)
	}
	for name, mut := range map[string]func(*Subscription){
		"empty name":   func(s *Subscription) { s.Name = "" },
		"long name":    func(s *Subscription) { s.Name = strings.Repeat("n", MaxNameLen+1) },
		"short secret": func(s *Subscription) { s.Secret = "short" },
		"long secret":  func(s *Subscription) { s.Secret = strings.Repeat("s", MaxSecretLen+1) },
		"bad url":      func(s *Subscription) { s.URL = "ftp://x/" },
		"bad pattern":  func(s *Subscription) { s.Topics = []string{"a..b"} },
	} {
		s := ok
		mut(&s)
		if err := s.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", name, err)
		}
	}
}
