package ttp

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

const goodRule = `rule_id: R0013
rule_version: 1
name: etc_passwd_read
description: reads /etc/passwd
applies_to: [command]
unknown_key: ignored
match:
  pattern: '\bcat\s+/etc/passwd'
emits:
  - technique_id: T1083
    tactic: TA0007
    confidence: 0.85
  - technique_id: T1548.001
    tactic: TA0004
    confidence: 0.9
evidence_fields: [command_text]
`

func TestParseRule(t *testing.T) {
	r, err := ParseRule([]byte(goodRule), "rules/ttp/R0013.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Rule{ID: "R0013", Version: 1, Name: "etc_passwd_read", Description: "reads /etc/passwd",
		AppliesTo: []string{KindCommand}, Match: Match{Pattern: `\bcat\s+/etc/passwd`},
		Emits: []Emit{{TechniqueID: "T1083", Tactic: "TA0007", Confidence: 0.85},
			{TechniqueID: "T1548", SubTechniqueID: "T1548.001", Tactic: "TA0004", Confidence: 0.9}},
		EvidenceFields: []string{"command_text"}, SourcePath: "rules/ttp/R0013.yaml", Text: goodRule}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestParseRuleLifterMatchKeepsParams(t *testing.T) {
	src := `rule_id: R0001
rule_version: 1
name: generic_auth_brute
applies_to: [auth_attempt]
match: {kind: "lifter:credential_brute", fail_threshold: 5, window_minutes: 5}
emits: [{technique_id: T1110, tactic: TA0006, confidence: 0.85}]
`
	r, err := ParseRule([]byte(src), "R0001.yml")
	if err != nil {
		t.Fatal(err)
	}
	if r.Match.Kind != "lifter:credential_brute" || r.Match.Params["fail_threshold"] != 5 || r.Lifter() == "" ||
		EngineRules(r) {
		t.Errorf("match = %+v", r.Match)
	}
}

func TestParseRuleErrors(t *testing.T) {
	base := strings.Split(goodRule, "\n")
	edit := func(from, to string) string { return strings.Replace(goodRule, from, to, 1) }
	tests := []struct {
		name, src, path, want string
	}{
		{"not a mapping", "- a\n- b\n", "R0013.yaml", "top level is not a mapping"},
		{"bad yaml", "rule_id: [\n", "R0013.yaml", "R0013.yaml: yaml"},
		{"stem", goodRule, "R0014.yaml", "does not match the file name"},
		{"id shape", edit("rule_id: R0013", "rule_id: X13"), "X13.yaml", "is not R####"},
		{"no version", strings.Join(append([]string{base[0]}, base[2:]...), "\n"), "R0013.yaml", "rule_version is required"},
		{"version 0", edit("rule_version: 1", "rule_version: 0"), "R0013.yaml", "below 1"},
		{"no name", edit("name: etc_passwd_read", "name: ''"), "R0013.yaml", "name is required"},
		{"unknown kind", edit("[command]", "[command, smtp]"), "R0013.yaml", `unknown kind "smtp"`},
		{"lookahead", edit(`'\bcat\s+/etc/passwd'`, `'\bfind\s+/(?=\s|/|$)'`), "R0013.yaml", "not RE2 at offset 10"},
		{"no pattern", edit(`  pattern: '\bcat\s+/etc/passwd'`, `  field: x`), "R0013.yaml", "needs a pattern"},
		{"bad kind", edit(`  pattern: '\bcat\s+/etc/passwd'`, `  kind: engine`), "R0013.yaml", "is not lifter:"},
		{"no tactic", edit("    tactic: TA0007\n", ""), "R0013.yaml", "emits[0]: tactic is required"},
		{"no confidence", edit("    confidence: 0.85\n", ""), "R0013.yaml", "confidence is required"},
		{"confidence 0", edit("confidence: 0.85", "confidence: 0"), "R0013.yaml", "not in (0,1]"},
		{"confidence 1.5", edit("confidence: 0.85", "confidence: 1.5"), "R0013.yaml", "not in (0,1]"},
		{"technique", edit("technique_id: T1083", "technique_id: 1083"), "R0013.yaml", "not T#### or T####.###"},
		{"tactic", edit("tactic: TA0007", "tactic: T0007"), "R0013.yaml", "not TA####"},
		{"sub mismatch", edit("technique_id: T1083\n", "technique_id: T1083\n    sub_technique_id: T1548.001\n"),
			"R0013.yaml", "is not under T1083"},
		{"no emits", edit("emits:", "emits: []\nx:"), "R0013.yaml", "emits is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRule([]byte(tt.src), tt.path)
			if err == nil {
				t.Fatal("parsed")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.path+": ") || strings.Contains(msg, "\n") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q: want one line starting %q containing %q", msg, tt.path, tt.want)
			}
		})
	}
}

func TestLoadRulesKeepsGoingPastBadFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"rules/R0013.yaml":     {Data: []byte(goodRule)},
		"rules/R0014.yaml":     {Data: []byte("rule_id: R0014\n")},
		"rules/R0013.yml":      {Data: []byte(goodRule)},
		"rules/R0015.yaml.swp": {Data: []byte("junk")},
		"rules/4913":           {Data: []byte("junk")},
		"rules/.R0016.yaml":    {Data: []byte("junk")},
		"rules/README.md":      {Data: []byte("junk")},
	}
	rules, errs := LoadRules(fsys, "rules")
	if len(rules) != 1 || rules[0].ID != "R0013" {
		t.Errorf("rules = %v", rules)
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0].Error(), "rules/R0013.yml: ") ||
		!strings.HasPrefix(errs[1].Error(), "rules/R0014.yaml: ") {
		t.Errorf("errs = %v", errs)
	}
	for name, want := range map[string]bool{"R0001.yaml": true, "r_1.yml": true, "R0001.yaml~": false,
		".R0001.yaml.swp": false, "4913": false, "R0001.yaml.tmp": false, "a-b.yaml": false} {
		if IsRuleFileName(name) != want {
			t.Errorf("IsRuleFileName(%q) = %v", name, !want)
		}
	}
}

func TestValidateRulesListsEveryUnknownID(t *testing.T) {
	r, err := ParseRule([]byte(goodRule), "R0013.yaml")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"T1083": true, "TA0007": true, "T1548": true}
	err = ValidateRules([]*Rule{r}, func(id string) bool { return known[id] }, func(id string) bool { return known[id] })
	if err == nil || !strings.Contains(err.Error(), "R0013: technique T1548.001") ||
		!strings.Contains(err.Error(), "R0013: tactic TA0004") || !strings.Contains(err.Error(), "2 unknown") {
		t.Errorf("err = %v", err)
	}
	if err := ValidateRules([]*Rule{r}, func(string) bool { return true }, func(string) bool { return true }); err != nil {
		t.Error(err)
	}
}

// TestShippedEnginePack pins the engine-owned ids, RE2 patterns and R0016's
// rewrite.
func TestShippedEnginePack(t *testing.T) {
	rules := loadPack(t)
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	var want []string
	for i := 7; i <= 29; i++ {
		want = append(want, fmt.Sprintf("R%04d", i))
	}
	for i := 60; i <= 79; i++ {
		want = append(want, fmt.Sprintf("R%04d", i))
	}
	for _, id := range want {
		r := byID[id]
		if r == nil {
			t.Errorf("%s missing from the pack", id)
			continue
		}
		if !EngineRules(r) {
			t.Errorf("%s is not an engine rule", id)
		}
		if _, err := regexp.Compile(r.Match.Pattern); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if r := byID["R0016"]; r != nil && strings.Contains(r.Match.Pattern, "(?=") {
		t.Error("R0016 still has a lookahead")
	}
}
