package ttp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"
)

// lifterRuleIDRe selects the rule files the lifters own: R0001–R0006,
// R0030–R0059 and R0080–R0099. The engine's files share the directory.
var lifterRuleIDRe = regexp.MustCompile(`^R(000[1-6]|00[3-5]\d|008\d|009\d)\.yaml$`)

// loadLifterRules parses the shipped lifter rule files with ParseRule.
func loadLifterRules(t *testing.T) []*Rule {
	t.Helper()
	dir := filepath.Join("..", "..", "rules", "ttp")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rules []*Rule
	for _, e := range ents {
		if !lifterRuleIDRe.MatchString(e.Name()) {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRule(raw, "rules/ttp/"+e.Name())
		if err != nil {
			t.Fatalf("ParseRule: %v", err)
		}
		rules = append(rules, r)
	}
	return rules
}

// ruleSource indexes rules by kind, like the lead's RuleIndex.
func lifterRuleSource(rules []*Rule) RuleSource {
	by := map[string][]*Rule{}
	for _, r := range rules {
		for _, k := range r.AppliesTo {
			by[k] = append(by[k], r)
		}
	}
	return func(k string) []*Rule { return by[k] }
}

type lifterCorpusLine struct {
	Kind    string         `json:"kind"`
	Payload map[string]any `json:"payload"`
	Expect  []string       `json:"expect"`
}

func readLifterCorpus(t *testing.T, path string) []lifterCorpusLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []lifterCorpusLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for n := 1; sc.Scan(); n++ {
		var l lifterCorpusLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s:%d: %v", path, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLifterRuleFilesParseAndAreOwned(t *testing.T) {
	rules := loadLifterRules(t)
	if len(rules) < 40 {
		t.Fatalf("loaded %d lifter rules, want at least 40", len(rules))
	}
	lifters := LiftersWith(LifterOptions{Rules: lifterRuleSource(rules)})
	for _, r := range rules {
		if r.ID == "R0058" {
			t.Error("R0058 (aggregate bump) must not ship")
		}
		owner := LifterOwner(r)
		if owner == "" {
			t.Errorf("%s: match kind %q has no lifter owner", r.ID, r.Match.Kind)
			continue
		}
		var l *Lifter
		for _, tg := range lifters {
			if x := tg.(*Lifter); x.Name() == owner {
				l = x
			}
		}
		if _, ok := l.preds[r.Lifter()]; !ok {
			t.Errorf("%s: lifter %s has no predicate for %q", r.ID, owner, r.Match.Kind)
		}
		for _, k := range r.AppliesTo {
			if !slices.Contains(l.Handles(), k) {
				t.Errorf("%s applies to %s, which lifter %s does not handle", r.ID, k, owner)
			}
		}
		want := 1
		if r.ID == "R0054" || r.ID == "R0055" || r.ID == "R0057" {
			want = 2
		}
		if r.Version != want {
			t.Errorf("%s: rule_version %d, want %d", r.ID, r.Version, want)
		}
	}
}

// TestLifterPrecisionAndRecall runs every lifter over the seed corpus and
// holds each rule to ttp.md §7.3's bars: precision ≥ 0.95 when its highest
// base confidence is ≥ 0.85, ≥ 0.80 below, and recall ≥ 0.9.
func TestLifterPrecisionAndRecall(t *testing.T) {
	rules := loadLifterRules(t)
	lines := readLifterCorpus(t, filepath.Join("..", "..", "rules", "ttp", "testdata", "lifters.jsonl"))
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	lifters := LiftersWith(LifterOptions{Rules: lifterRuleSource(rules), Tag: func() TagOptions {
		return TagOptions{Release: "v18.1", Now: now}
	}, Log: slog.New(slog.DiscardHandler), ArtifactsRoot: t.TempDir()})
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	for i, l := range lines {
		ev := Event{SourceKind: l.Kind, SourceID: "corpus-" + strconv.Itoa(i), AttackerUUID: "a-1",
			IdentityUUID: "i-1", Payload: l.Payload}
		fired := map[string]bool{}
		for _, tg := range lifters {
			tags, err := tg.Tag(context.Background(), ev)
			if err != nil {
				t.Fatalf("line %d: %s: %v", i+1, tg.Name(), err)
			}
			for _, x := range tags {
				fired[x.RuleID] = true
			}
		}
		for id := range fired {
			if slices.Contains(l.Expect, id) {
				tp[id]++
			} else {
				fp[id]++
				t.Logf("line %d: %s fired, not expected", i+1, id)
			}
		}
		for _, id := range l.Expect {
			if !fired[id] {
				fn[id]++
				t.Logf("line %d: %s expected, did not fire", i+1, id)
			}
		}
	}
	var report []string
	for _, r := range rules {
		base := 0.0
		for _, e := range r.Emits {
			base = max(base, e.Confidence)
		}
		if tp[r.ID]+fn[r.ID] == 0 {
			t.Errorf("%s has no positive in the corpus", r.ID)
			continue
		}
		prec := float64(tp[r.ID]) / float64(max(1, tp[r.ID]+fp[r.ID]))
		rec := float64(tp[r.ID]) / float64(tp[r.ID]+fn[r.ID])
		bar := 0.80
		if base >= 0.85 {
			bar = 0.95
		}
		report = append(report, fmt.Sprintf("%s tp=%d fp=%d fn=%d precision=%.2f recall=%.2f", r.ID, tp[r.ID],
			fp[r.ID], fn[r.ID], prec, rec))
		if prec < bar {
			t.Errorf("%s precision %.2f below %.2f (base %.2f)", r.ID, prec, bar, base)
		}
		if rec < 0.9 {
			t.Errorf("%s recall %.2f below 0.90", r.ID, rec)
		}
	}
	sort.Strings(report)
	for _, s := range report {
		t.Log(s)
	}
}
