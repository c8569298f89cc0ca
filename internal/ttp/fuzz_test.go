package ttp

import (
	"slices"
	"sync"
	"testing"
)

var (
	fuzzOnce          sync.Once
	fuzzPF, fuzzPlain *Engine
)

// FuzzEngine feeds hostile command text to the engine, whole and split in
// two halves joined by a separator (as a shell line arrives in pieces), and
// checks that evaluation never fails and that the prefilter never changes a
// result.
func FuzzEngine(f *testing.F) {
	cmds, _ := corpusTexts(f)
	for _, c := range cmds {
		f.Add(c, uint8(len(c)/2))
	}
	f.Add("\xff\xfeſtratum+tcp://", uint8(3))
	f.Add("", uint8(0))
	fuzzOnce.Do(func() { fuzzPF, fuzzPlain = enginePair(f) })
	f.Fuzz(func(t *testing.T, s string, cut uint8) {
		if len(s) > 4*MaxMatchedField {
			s = s[:4*MaxMatchedField]
		}
		inputs := []string{s}
		if c := int(cut); c <= len(s) {
			inputs = append(inputs, s[:c]+"; "+s[c:], s[:c]+"\n"+s[c:])
		}
		for _, in := range inputs {
			ev := Event{SourceKind: KindCommand, SourceID: "f", AttackerUUID: "a",
				Payload: map[string]any{"command_text": in}}
			a, b := tagKeys(t, fuzzPF, ev), tagKeys(t, fuzzPlain, ev)
			if !slices.Equal(a, b) {
				t.Fatalf("prefilter changed the result for %q:\nwith    %v\nwithout %v", in, a, b)
			}
		}
	})
}
