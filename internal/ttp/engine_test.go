package ttp

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func packEngine(t *testing.T, opts func() TagOptions) (*Engine, *RuleIndex) {
	t.Helper()
	idx := NewRuleIndex(EngineRules)
	idx.Replace(loadPack(t))
	return NewEngine(idx, opts), idx
}

func cmdEvent(text string, extra map[string]any) Event {
	p := map[string]any{"command_text": text}
	for k, v := range extra {
		p[k] = v
	}
	return Event{SourceKind: KindCommand, SourceID: "cmd_42", AttackerUUID: "att-1", SessionID: "s1", DeckyID: "d1",
		Payload: p}
}

func TestEngineMultiEmitAndEvidence(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	e, _ := packEngine(t, func() TagOptions { return TagOptions{Release: "v18.1", Now: now} })
	tags, err := e.Tag(context.Background(), cmdEvent("find . -perm -4000",
		map[string]any{"uid": 0, "user": "root", "src": "ssh", "pwd": "/tmp", "password": "hunter2"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 2 {
		t.Fatalf("tags = %+v, want R0015's two emits", tags)
	}
	if tags[0].RuleID != "R0015" || tags[0].TechniqueID != "T1083" || tags[1].SubTechniqueID != "T1548.001" ||
		tags[1].TechniqueID != "T1548" || tags[0].UUID == tags[1].UUID {
		t.Errorf("tags = %+v", tags)
	}
	if tags[1].UUID != TagUUID(KindCommand, "cmd_42", "R0015", 1, "T1548", "T1548.001") {
		t.Error("tag key is not the deterministic one")
	}
	var ev map[string]any
	if err := json.Unmarshal(tags[0].Evidence, &ev); err != nil {
		t.Fatal(err)
	}
	want := []string{"command_text", "pwd", "src", "uid", "user"}
	if got := sortedKeys(ev); !slices.Equal(got, want) {
		t.Errorf("evidence keys = %v, want %v (no undeclared payload keys)", got, want)
	}
	if tags[0].AttackRelease != "v18.1" || !tags[0].CreatedAt.Equal(now) || tags[0].SessionID != "s1" {
		t.Errorf("tag = %+v", tags[0])
	}
}

func TestEngineRuleStates(t *testing.T) {
	e, idx := packEngine(t, nil)
	ev := cmdEvent("cat /etc/shadow", nil)
	tagConf := func() []float64 {
		tags, err := e.Tag(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, tg := range tags {
			out = append(out, tg.Confidence)
		}
		return out
	}
	if got := tagConf(); !slices.Equal(got, []float64{0.95}) {
		t.Fatalf("enabled: %v", got)
	}
	max := 0.5
	idx.SetState("R0014", RuleState{State: model.RuleClipped, ConfidenceMax: &max})
	if got := tagConf(); !slices.Equal(got, []float64{0.5}) {
		t.Errorf("clipped: %v, want 0.5", got)
	}
	idx.SetState("R0014", RuleState{State: model.RuleDisabled})
	if got := tagConf(); len(got) != 0 {
		t.Errorf("disabled: %v", got)
	}
	past := time.Now().Add(-time.Minute)
	idx.SetState("R0014", RuleState{State: model.RuleClipped, ConfidenceMax: &max, ExpiresAt: &past})
	if got := tagConf(); len(got) != 0 {
		t.Errorf("expired: %v, want inactive until reverted", got)
	}
	idx.SetState("R0014", RuleState{})
	if got := tagConf(); !slices.Equal(got, []float64{0.95}) {
		t.Errorf("re-enabled: %v", got)
	}
}

func TestEngineKindsAndFields(t *testing.T) {
	e, _ := packEngine(t, nil)
	ctx := context.Background()
	if got := e.Handles(); !slices.Equal(got, []string{KindCommand, KindPayload, KindHTTPRequest, KindAuthAttempt}) {
		t.Errorf("Handles = %v", got)
	}
	for _, ev := range []Event{
		{SourceKind: "nonsense", SourceID: "x", AttackerUUID: "a", Payload: map[string]any{"command_text": "cat /etc/shadow"}},
		{SourceKind: KindCommand, SourceID: "x", AttackerUUID: "a", Payload: map[string]any{"command_text": 42}},
		{SourceKind: KindCommand, SourceID: "x", AttackerUUID: "a", Payload: nil},
		{SourceKind: KindIntel, SourceID: "x", AttackerUUID: "a", Payload: map[string]any{"verdict": "cat /etc/shadow"}},
	} {
		if tags, err := e.Tag(ctx, ev); err != nil || len(tags) != 0 {
			t.Errorf("%+v: tags %v, err %v", ev, tags, err)
		}
	}
	// request_line is derived from method and raw_url.
	tags, err := e.Tag(ctx, Event{SourceKind: KindHTTPRequest, SourceID: "r1", AttackerUUID: "a",
		Payload: map[string]any{"method": "PUT", "raw_url": "/shell.jsp/"}})
	if err != nil || len(tags) != 1 || tags[0].RuleID != "R0072" {
		t.Fatalf("PUT /shell.jsp/: %+v %v", tags, err)
	}
	if !strings.Contains(string(tags[0].Evidence), `"method":"PUT"`) {
		t.Errorf("evidence %s", tags[0].Evidence)
	}
	// No anchor: the tag cannot be built.
	if _, err := e.Tag(ctx, Event{SourceKind: KindCommand, SourceID: "x",
		Payload: map[string]any{"command_text": "cat /etc/shadow"}}); !errors.Is(err, ErrNoAnchor) {
		t.Errorf("no anchor: %v", err)
	}
}

func TestEngineBoundsTheMatchedField(t *testing.T) {
	e, _ := packEngine(t, nil)
	long := strings.Repeat("a", MaxMatchedField) + " cat /etc/shadow"
	tags, err := e.Tag(context.Background(), cmdEvent(long, nil))
	if err != nil || len(tags) != 0 {
		t.Errorf("a match past %d bytes fired: %v %v", MaxMatchedField, tags, err)
	}
	tags, err = e.Tag(context.Background(), cmdEvent("cat /etc/shadow "+strings.Repeat("a", 2*MaxMatchedField), nil))
	if err != nil || len(tags) != 1 {
		t.Fatalf("tags %v err %v", tags, err)
	}
	if len(tags[0].Evidence) > MaxMatchedField+64 {
		t.Errorf("evidence is %d bytes, want it cut near %d", len(tags[0].Evidence), MaxMatchedField)
	}
}

func TestEngineTreatsAttackerTextAsLiteral(t *testing.T) {
	// Regex metacharacters, template syntax and invalid UTF-8 in attacker
	// text are data: they neither break evaluation nor match by themselves.
	e, _ := packEngine(t, nil)
	for _, s := range []string{`(?=.*)`, `.*`, `${jndi:${env:X}}`, "\xff\xfe\x00", `\`, `[`, `{{.}}`, `%s%n`} {
		if _, err := e.Tag(context.Background(), cmdEvent(s, nil)); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

func TestEngineFollowsIndexChanges(t *testing.T) {
	e, idx := packEngine(t, nil)
	ev := cmdEvent("cat /etc/shadow", nil)
	idx.Evict("R0014")
	if tags, _ := e.Tag(context.Background(), ev); len(tags) != 0 {
		t.Errorf("evicted rule fired: %v", tags)
	}
	idx.Install(&Rule{ID: "R0014", Version: 2, Name: "x", AppliesTo: []string{KindCommand},
		Match: Match{Pattern: `shadow`}, Emits: []Emit{{TechniqueID: "T1003", SubTechniqueID: "T1003.008",
			Tactic: "TA0006", Confidence: 0.9}}})
	tags, _ := e.Tag(context.Background(), ev)
	if len(tags) != 1 || tags[0].RuleVersion != 2 {
		t.Errorf("reinstalled rule: %v", tags)
	}
}
