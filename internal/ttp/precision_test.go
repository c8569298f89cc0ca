package ttp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	ttprules "github.com/decnet/decnet/rules/ttp"
)

// precisionTagger is one tagger under the precision harness and the rules it
// owns (whose precision and recall the harness scores).
type precisionTagger struct {
	tagger Tagger
	owns   func(*Rule) bool
}

// precisionTaggers builds the taggers the harness runs over the shipped
// pack. Other taggers' test files append their own factory in an init func,
// so every rules/ttp/testdata/*.jsonl line is scored by whoever claims it.
var precisionTaggers = []func(rules []*Rule) precisionTagger{
	func(rules []*Rule) precisionTagger {
		idx := NewRuleIndex(EngineRules)
		idx.Replace(rules)
		return precisionTagger{tagger: NewEngine(idx, nil), owns: EngineRules}
	},
}

// corpusLine is one labelled example: an event payload of a kind and the
// rule ids that must fire on it (and no others).
type corpusLine struct {
	Kind    string         `json:"kind"`
	Payload map[string]any `json:"payload"`
	Expect  []string       `json:"expect"`
	where   string
}

func loadCorpora(t testing.TB) []corpusLine {
	t.Helper()
	// The corpora are test data, not embedded: read them from the pack's
	// directory relative to this package.
	fsys := os.DirFS("../../rules/ttp")
	names, err := fs.Glob(fsys, "testdata/*.jsonl")
	if err != nil || len(names) == 0 {
		t.Fatalf("no corpus under rules/ttp/testdata: %v", err)
	}
	var out []corpusLine
	for _, name := range names {
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			var cl corpusLine
			if err := json.Unmarshal([]byte(line), &cl); err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			cl.where = fmt.Sprintf("%s:%d", path.Base(name), n)
			out = append(out, cl)
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func loadPack(t testing.TB) []*Rule {
	t.Helper()
	rules, errs := LoadRules(ttprules.FS, ".")
	for _, err := range errs {
		t.Errorf("pack: %v", err)
	}
	return rules
}

type ruleScore struct{ tp, fp, fn int }

func TestRulePrecisionAndRecall(t *testing.T) {
	rules := loadPack(t)
	var taggers []precisionTagger
	for _, f := range precisionTaggers {
		taggers = append(taggers, f(rules))
	}
	owned := map[string]*Rule{}
	for _, r := range rules {
		for _, pt := range taggers {
			if pt.owns(r) {
				owned[r.ID] = r
			}
		}
	}
	scores := map[string]*ruleScore{}
	for id := range owned {
		scores[id] = &ruleScore{}
	}
	ctx := context.Background()
	lines := 0
	for i, cl := range loadCorpora(t) {
		var claim []Tagger
		for _, pt := range taggers {
			if slices.Contains(pt.tagger.Handles(), cl.Kind) {
				claim = append(claim, pt.tagger)
			}
		}
		if len(claim) == 0 {
			continue
		}
		lines++
		ev := Event{SourceKind: cl.Kind, SourceID: fmt.Sprintf("corpus-%d", i), AttackerUUID: "attacker-1",
			Payload: cl.Payload}
		fired := map[string]bool{}
		for _, tg := range claim {
			tags, err := tg.Tag(ctx, ev)
			if err != nil {
				t.Fatalf("%s: %s: %v", cl.where, tg.Name(), err)
			}
			for _, tag := range tags {
				fired[tag.RuleID] = true
			}
		}
		want := map[string]bool{}
		for _, id := range cl.Expect {
			if owned[id] != nil { // rules of taggers not under test are not scored
				want[id] = true
			}
		}
		var got []string
		for id := range fired {
			if owned[id] != nil {
				got = append(got, id)
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, sortedKeys(want)) {
			t.Logf("%s: fired %v, want %v: %.120q", cl.where, got, sortedKeys(want), cl.Payload)
		}
		for id := range scores {
			s := scores[id]
			switch {
			case fired[id] && want[id]:
				s.tp++
			case fired[id]:
				s.fp++
			case want[id]:
				s.fn++
			}
		}
	}
	if lines == 0 {
		t.Fatal("no corpus line was claimed by a tagger under test")
	}
	ids := sortedKeys(owned)
	t.Logf("%-6s %-32s %5s %4s %4s %4s %9s %6s", "rule", "name", "base", "tp", "fp", "fn", "precision", "recall")
	for _, id := range ids {
		r, s := owned[id], scores[id]
		base := 0.0
		for _, e := range r.Emits {
			base = max(base, e.Confidence)
		}
		prec, rec := ratio(s.tp, s.tp+s.fp), ratio(s.tp, s.tp+s.fn)
		t.Logf("%-6s %-32s %5.2f %4d %4d %4d %9.3f %6.3f", id, r.Name, base, s.tp, s.fp, s.fn, prec, rec)
		minPrec := 0.80
		if base >= 0.85 {
			minPrec = 0.95
		}
		switch {
		case s.tp+s.fn < 3:
			t.Errorf("%s: %d positives in the corpus, want at least 3", id, s.tp+s.fn)
		case prec < minPrec:
			t.Errorf("%s: precision %.3f < %.2f (base confidence %.2f)", id, prec, minPrec, base)
		case rec < 0.9:
			t.Errorf("%s: recall %.3f < 0.90", id, rec)
		}
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
