package ttp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

func TestRequiredLiterals(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{`abc`, []string{"abc"}},
		{`(?i)ABC`, []string{"abc"}},
		{`a|b`, []string{"a", "b"}},
		{`a*`, nil},
		{`.`, nil},
		{`x?`, nil},
		{`\bwget\b`, []string{"wget"}},
		{`(?:x|y)z`, []string{"xz", "yz"}},
		{`foo.*barbaz`, []string{"barbaz"}},
		{`(?i)\b(?:sqlmap|nikto)\b`, []string{"nikto", "sqlmap"}},
		{`[Ss]hadow`, []string{"shadow"}},
		{`(?i)ſtratum`, []string{"stratum"}},
		{`(?:abc)+d`, []string{"abcd"}},
		{`a[0-9]+b`, []string{"a"}},
		{`(?:^|;)\s*id(?:\s|$)`, []string{"id"}},
		{`x(?:foo|.*)y`, []string{"x"}},
	}
	for _, tt := range tests {
		got := requiredLiterals(tt.pattern)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("requiredLiterals(%q) mismatch (-want +got):\n%s", tt.pattern, diff)
		}
	}
}

func TestFoldRuneMatchesRegexpCaseFolding(t *testing.T) {
	// Every rune of a simple-fold orbit folds to the same representative,
	// which is what makes folded containment sound for (?i) patterns.
	for r := rune(0); r < 0x2000; r++ {
		f := foldRune(r)
		for o := rune(r); ; {
			o = nextFold(o)
			if o == r {
				break
			}
			if foldRune(o) != f {
				t.Fatalf("foldRune(%U)=%U but foldRune(%U)=%U", r, f, o, foldRune(o))
			}
		}
	}
	if foldRune('ſ') != 's' || foldRune('K') != 'k' || foldRune('\u212a') != 'k' {
		t.Error("ASCII representative not chosen")
	}
}

func TestACMatcherFindsEveryLiteral(t *testing.T) {
	lits := [][]string{{"he", "she"}, {"his"}, {"hers"}, nil, {"s"}}
	m := newACMatcher(lits)
	for _, tt := range []struct {
		text string
		want []int
	}{
		{"ushers", []int{0, 2, 4}},
		{"his", []int{1, 4}},
		{"xyz", nil},
		{"", nil},
		{"h\xffe\x00she", []int{0, 4}},
	} {
		cand := make([]uint64, 1)
		m.scan([]byte(tt.text), cand)
		var got []int
		for i := range 64 {
			if cand[0]&(1<<i) != 0 {
				got = append(got, i)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("scan(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

// tagKeys renders an engine result for comparison.
func tagKeys(t testing.TB, e *Engine, ev Event) []string {
	tags, err := e.Tag(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, 0, len(tags))
	for _, tg := range tags {
		out = append(out, tg.RuleID+"/"+tg.TechniqueID+"/"+tg.SubTechniqueID+fmt.Sprintf("@%.2f", tg.Confidence)+
			string(tg.Evidence))
	}
	slices.Sort(out)
	return out
}

func enginePair(t testing.TB) (withPF, plain *Engine) {
	idx := NewRuleIndex(EngineRules)
	idx.Replace(loadPack(t))
	return newEngine(idx, nil, true), newEngine(idx, nil, false)
}

// mutations derives hostile variants of corpus text: case flips, Unicode
// fold-alikes, splices of two lines, truncation, inserted separators.
func mutations(r *rand.Rand, texts []string, n int) []string {
	out := make([]string, 0, n)
	alphabet := []string{"ſ", "K", "İ", "ı", "\xff", "\x00", ";", "|", "&", " ", "\t", "\n", "/", ".", "%2e", "%27",
		"$", "{", "}", "'", "\"", "\\", "é", "Σ", "ς", "-", "+"}
	for len(out) < n {
		a := texts[r.IntN(len(texts))]
		switch r.IntN(6) {
		case 0: // case flips
			b := []rune(a)
			for i := range b {
				if r.IntN(3) == 0 {
					b[i] = []rune(strings.ToUpper(string(b[i])))[0]
				}
			}
			a = string(b)
		case 1: // splice
			b := texts[r.IntN(len(texts))]
			a = a[:r.IntN(len(a)+1)] + b[r.IntN(len(b)+1):]
		case 2: // insert junk
			for range r.IntN(4) + 1 {
				i := r.IntN(len(a) + 1)
				a = a[:i] + alphabet[r.IntN(len(alphabet))] + a[i:]
			}
		case 3: // truncate
			a = a[:r.IntN(len(a)+1)]
		case 4: // fold-alike substitution
			a = strings.NewReplacer("s", "ſ", "k", "K", "S", "ſ").Replace(a)
		case 5: // random bytes
			b := make([]byte, r.IntN(80))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			a = string(b)
		}
		out = append(out, a)
	}
	return out
}

func corpusTexts(t testing.TB) (cmds, urls []string) {
	for _, cl := range loadCorpora(t) {
		switch cl.Kind {
		case KindCommand:
			if s, ok := cl.Payload["command_text"].(string); ok {
				cmds = append(cmds, s)
			}
		case KindHTTPRequest:
			if s, ok := cl.Payload["raw_url"].(string); ok {
				urls = append(urls, s)
			}
		}
	}
	return cmds, urls
}

func TestPrefilterNeverChangesResults(t *testing.T) {
	withPF, plain := enginePair(t)
	cmds, urls := corpusTexts(t)
	r := rand.New(rand.NewPCG(1, 2))
	n := 5000
	if testing.Short() {
		n = 1000
	}
	check := func(ev Event) {
		t.Helper()
		a, b := tagKeys(t, withPF, ev), tagKeys(t, plain, ev)
		if !slices.Equal(a, b) {
			t.Fatalf("prefilter changed the result for %q:\nwith    %v\nwithout %v", ev.Payload, a, b)
		}
	}
	for _, s := range append(slices.Clone(cmds), mutations(r, cmds, n)...) {
		check(Event{SourceKind: KindCommand, SourceID: "x", AttackerUUID: "a",
			Payload: map[string]any{"command_text": s, "payload_text": s}})
		check(Event{SourceKind: KindPayload, SourceID: "x", AttackerUUID: "a", Payload: map[string]any{"payload_text": s}})
	}
	for _, s := range append(slices.Clone(urls), mutations(r, urls, n/4)...) {
		for _, m := range []string{"GET", "PUT", "POST"} {
			check(Event{SourceKind: KindHTTPRequest, SourceID: "x", AttackerUUID: "a",
				Payload: map[string]any{"raw_url": s, "method": m, "user_agent": s}})
		}
	}
}

func TestPrefilterOnSyntheticRules(t *testing.T) {
	// Patterns chosen to stress the literal analysis: folding, classes,
	// optional parts, alternations with empty branches, anchors.
	patterns := []string{`(?i)stra`, `[Kk]ey`, `(?i)\x{212a}elvin`, `a(?:b|)c`, `^x?yz$`, `(?:foo)?bar`,
		`(?i)(?:é|e)t[eé]`, `ab{2,3}c`, `\d+\.\d+`, `(?s)a.b`, `(?i)Σ`, `[^a]bc`, `(?:)`, `(?i)İ`}
	var rules []*Rule
	for i, p := range patterns {
		rules = append(rules, &Rule{ID: fmt.Sprintf("R%04d", 9000+i), Version: 1, AppliesTo: []string{KindCommand},
			Match: Match{Pattern: p}, Emits: []Emit{{TechniqueID: "T1059", Tactic: "TA0002", Confidence: 0.5}}})
	}
	idx := NewRuleIndex(EngineRules)
	idx.Replace(rules)
	withPF, plain := newEngine(idx, nil, true), newEngine(idx, nil, false)
	seeds := []string{"STRA", "ſtra", "KEY", "\u212aey", "\u212aELVIN", "kelvin", "ac", "abc", "yz", "xyz", "bar",
		"foobar", "été", "ÉTÉ", "abbc", "abbbbc", "1.2", "a\nb", "σ", "ς", "Σ", "xbc", "i̇", "İ", "i"}
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range append(seeds, mutations(r, seeds, 20000)...) {
		ev := Event{SourceKind: KindCommand, SourceID: "x", AttackerUUID: "a", Payload: map[string]any{"command_text": s}}
		if a, b := tagKeys(t, withPF, ev), tagKeys(t, plain, ev); !slices.Equal(a, b) {
			t.Fatalf("prefilter changed the result for %q:\nwith    %v\nwithout %v", s, a, b)
		}
	}
}

func BenchmarkEngineCommands(b *testing.B) {
	withPF, _ := enginePair(b)
	benchEngine(b, withPF)
}

func BenchmarkEngineCommandsNoPrefilter(b *testing.B) {
	_, plain := enginePair(b)
	benchEngine(b, plain)
}

func benchEngine(b *testing.B, e *Engine) {
	cmds, _ := corpusTexts(b)
	evs := make([]Event, len(cmds))
	for i, c := range cmds {
		evs[i] = Event{SourceKind: KindCommand, SourceID: fmt.Sprintf("c%d", i), AttackerUUID: "a",
			Payload: map[string]any{"command_text": c}}
	}
	ctx := context.Background()
	if _, err := e.Tag(ctx, evs[0]); err != nil { // compile outside the timing
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Tag(ctx, evs[i%len(evs)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commands/s")
}

// nextFold is unicode.SimpleFold, named for the orbit walk above.
func nextFold(r rune) rune { return unicode.SimpleFold(r) }
