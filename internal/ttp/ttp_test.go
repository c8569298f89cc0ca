package ttp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTagUUIDMatchesTheOriginalsGoldenValues(t *testing.T) {
	if got := tagNamespace.String(); got != "1ca31f08-5522-5aae-8371-fe81f0e39de3" {
		t.Errorf("namespace = %s", got)
	}
	tests := []struct {
		kind, id, rule string
		version        int
		tech, sub      string
		want           string
	}{
		{"command", "cmd_42", "R0014", 2, "T1083", "", "9aa491e5-f03b-5d8f-9eb5-161becedcdd6"},
		{"command", "cmd_42", "R0015", 1, "T1548", "T1548.001", "4fd57b14-c135-544c-97d9-4fabc1051584"},
	}
	for _, tt := range tests {
		if got := TagUUID(tt.kind, tt.id, tt.rule, tt.version, tt.tech, tt.sub); got != tt.want {
			t.Errorf("TagUUID(%s,%s,%s,%d,%s,%q) = %s, want %s", tt.kind, tt.id, tt.rule, tt.version, tt.tech,
				tt.sub, got, tt.want)
		}
	}
	if TagUUID("command", "cmd_42", "R0015", 2, "T1548", "T1548.001") == tests[1].want {
		t.Error("a rule_version bump kept the key")
	}
}

func TestNewTagRefusesATagWithoutAnAnchor(t *testing.T) {
	r := &Rule{ID: "R0013", Version: 1}
	_, err := NewTag(Event{SourceKind: KindCommand, SourceID: "c1"}, r, Emit{TechniqueID: "T1083", Tactic: "TA0007"},
		0.85, nil, TagOptions{Now: time.Now()})
	if !errors.Is(err, ErrNoAnchor) {
		t.Fatalf("err = %v, want ErrNoAnchor", err)
	}
	for _, field := range []string{"attacker_uuid", "identity_uuid"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
	tag, err := NewTag(Event{SourceKind: KindCommand, SourceID: "c1", AttackerUUID: "a1"}, r,
		Emit{TechniqueID: "T1548", SubTechniqueID: "T1548.001", Tactic: "TA0004"}, 0.9, map[string]any{"command_text": "x"},
		TagOptions{Release: "v18.1", URL: func(id string) string { return "https://attack.mitre.org/" + id }, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if tag.MitreURL != "https://attack.mitre.org/T1548.001" || string(tag.Evidence) != `{"command_text":"x"}` ||
		tag.UUID != TagUUID(KindCommand, "c1", "R0013", 1, "T1548", "T1548.001") {
		t.Errorf("tag = %+v", tag)
	}
}

func TestRuleStateActiveAndCeiling(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	half := 0.5
	tests := []struct {
		s      RuleState
		active bool
		conf   float64
	}{
		{RuleState{}, true, 0.9},
		{RuleState{State: "disabled"}, false, 0.9},
		{RuleState{State: "clipped", ConfidenceMax: &half}, true, 0.5},
		{RuleState{State: "enabled", ConfidenceMax: &half}, true, 0.9},
		{RuleState{State: "clipped", ConfidenceMax: &half, ExpiresAt: &past}, false, 0.5},
		{RuleState{State: "disabled", ExpiresAt: &future}, false, 0.9},
	}
	for i, tt := range tests {
		if got := tt.s.Active(now); got != tt.active {
			t.Errorf("%d: Active = %v, want %v", i, got, tt.active)
		}
		if got := tt.s.Ceiling(0.9); got != tt.conf {
			t.Errorf("%d: Ceiling(0.9) = %v, want %v", i, got, tt.conf)
		}
	}
}
