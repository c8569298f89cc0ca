package ttp

import (
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The literal prefilter: for each pattern, a set of folded literals at least
// one of which occurs in every match (found by walking the parsed regexp),
// and one Aho–Corasick pass over the folded input that names the rules whose
// regexps can possibly match. Rules with no provable literal are checked
// always. The prefilter only skips regexps that cannot match, so results
// never change (prefilter_test.go compares against the plain loop).

const (
	// maxExactSet bounds the finite string sets tracked through
	// concatenations and alternations; beyond it the analysis falls back to
	// the best literal set seen so far.
	maxExactSet = 64
	// maxClassRunes is the largest character class expanded into literals
	// ([Ss] yes, [a-z] no: one-character literals of a wide class select
	// nothing).
	maxClassRunes = 8
)

// foldRune maps r to one representative of its simple case-folding orbit
// (the lower-case ASCII letter when the orbit has one), so folded input
// contains a folded literal whenever a case-insensitive match exists:
// 'S', 's' and 'ſ' all become 's'.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		m = min(m, f)
	}
	if 'A' <= m && m <= 'Z' {
		return m + 'a' - 'A'
	}
	return m
}

// appendFolded appends the folded form of s to dst. ASCII is folded byte by
// byte; anything else rune by rune, invalid bytes as U+FFFD like regexp.
func appendFolded(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

func foldString(s string) string { return string(appendFolded(nil, s)) }

// maxConj bounds the OR-sets kept per pattern: the most selective few
// already prune nearly every candidate.
const maxConj = 3

// litInfo describes what a regexp node can match: exact is the finite set of
// (folded) strings it matches, nil when unknown or too large; req is a
// conjunction of OR-sets: every match contains a member of each set.
type litInfo struct {
	exact []string
	req   [][]string
}

// must is the node's provable requirement as a conjunction of OR-sets.
func (li litInfo) must() [][]string {
	if li.exact != nil && !slices.Contains(li.exact, "") {
		return [][]string{li.exact}
	}
	return li.req
}

// requiredLiterals returns folded literals at least one of which occurs in
// the folded text of every match of pattern, or nil when none can be proven
// (the rule is then always checked). It is the single most selective set of
// requiredSets.
func requiredLiterals(pattern string) []string {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return nil
	}
	sets := requiredSets(re.Simplify())
	if len(sets) == 0 {
		return nil
	}
	return sets[0]
}

// requiredSets is the conjunction of OR-sets every match of re satisfies,
// most selective first, at most maxConj of them; nil when nothing is
// provable.
func requiredSets(re *syntax.Regexp) [][]string {
	var out [][]string
	for _, set := range analyze(re).must() {
		if set = nonEmpty(set); set != nil {
			out = append(out, minimal(dedupe(set)))
		}
	}
	// Most selective first: longer shortest literal, then fewer literals.
	slices.SortStableFunc(out, func(a, b []string) int {
		if d := minLen(b) - minLen(a); d != 0 {
			return d
		}
		return len(a) - len(b)
	})
	out = slices.CompactFunc(out, slices.Equal)
	if len(out) > maxConj {
		out = out[:maxConj]
	}
	return out
}

// leadingFlags is a flag group opening a pattern, which applies to every
// top-level branch.
var leadingFlags = regexp.MustCompile(`^\(\?[imsU]+\)`)

// bareFlags is a flag group anywhere else: it would leak into later
// branches, so such patterns are not split.
var bareFlags = regexp.MustCompile(`\(\?[imsU-]+\)`)

// branches splits a pattern at its top-level `|`, so each branch runs (and
// is prefiltered) on its own: a rule matches iff one branch does. The split
// is textual (rendering parsed branches back to text is slow for big
// classes); a leading flag group is copied to every branch, and a pattern
// the scan cannot split safely comes back whole.
func branches(pattern string) []string {
	flags := leadingFlags.FindString(pattern)
	body := pattern[len(flags):]
	if bareFlags.MatchString(body) || strings.Contains(body, `\Q`) {
		return []string{pattern}
	}
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '[':
			// Skip the class: a leading ^ and a leading ] are part of it.
			i++
			if i < len(body) && body[i] == '^' {
				i++
			}
			if i < len(body) && body[i] == ']' {
				i++
			}
			for i < len(body) && body[i] != ']' {
				if body[i] == '\\' {
					i++
				} else if body[i] == '[' && i+1 < len(body) && body[i+1] == ':' {
					if end := strings.Index(body[i:], ":]"); end > 0 {
						i += end + 1
					}
				}
				i++
			}
		case '(':
			depth++
		case ')':
			depth--
		case '|':
			if depth == 0 {
				parts = append(parts, flags+body[start:i])
				start = i + 1
			}
		}
	}
	if len(parts) == 0 || depth != 0 {
		return []string{pattern}
	}
	parts = append(parts, flags+body[start:])
	for _, p := range parts {
		if _, err := syntax.Parse(p, syntax.Perl); err != nil {
			return []string{pattern}
		}
	}
	return parts
}

func analyze(re *syntax.Regexp) litInfo {
	switch re.Op {
	case syntax.OpLiteral:
		return litInfo{exact: []string{foldString(string(re.Rune))}}
	case syntax.OpCharClass:
		n := 0
		for i := 0; i+1 < len(re.Rune); i += 2 {
			n += int(re.Rune[i+1]-re.Rune[i]) + 1
			if n > maxClassRunes*3 {
				return litInfo{}
			}
		}
		var set []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				set = append(set, string(foldRune(r)))
			}
		}
		set = dedupe(set)
		if len(set) == 0 || len(set) > maxClassRunes {
			return litInfo{}
		}
		return litInfo{exact: set}
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return litInfo{exact: []string{""}}
	case syntax.OpCapture:
		return analyze(re.Sub[0])
	case syntax.OpQuest:
		c := analyze(re.Sub[0])
		if c.exact != nil && len(c.exact) < maxExactSet {
			return litInfo{exact: dedupe(append(slices.Clone(c.exact), ""))}
		}
		return litInfo{}
	case syntax.OpStar:
		return litInfo{}
	case syntax.OpPlus:
		return litInfo{req: analyze(re.Sub[0]).must()}
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return litInfo{req: analyze(re.Sub[0]).must()}
		}
		return litInfo{}
	case syntax.OpConcat:
		return analyzeConcat(re.Sub)
	case syntax.OpAlternate:
		var exact, union []string
		allExact, allReq := true, true
		for _, s := range re.Sub {
			c := analyze(s)
			if c.exact == nil {
				allExact = false
			} else {
				exact = append(exact, c.exact...)
			}
			var best []string
			for _, set := range c.must() {
				best = better(best, nonEmpty(set))
			}
			if best == nil {
				allReq = false
			} else {
				union = append(union, best...)
			}
		}
		var li litInfo
		if allExact && len(exact) <= maxExactSet {
			li.exact = dedupe(exact)
		}
		if allReq {
			li.req = [][]string{dedupe(union)}
		}
		return li
	}
	// OpAnyChar, OpAnyCharNotNL, OpNoMatch and anything new: nothing provable.
	return litInfo{}
}

// analyzeConcat multiplies out runs of exact children; every run and every
// other child's requirement joins the conjunction.
func analyzeConcat(subs []*syntax.Regexp) litInfo {
	cur := []string{""}
	allExact := true
	var conj [][]string
	flush := func() {
		if set := nonEmpty(cur); set != nil {
			conj = append(conj, set)
		}
	}
	for _, s := range subs {
		if s.Op == syntax.OpPlus || (s.Op == syntax.OpRepeat && s.Min >= 1) {
			// x+ starts and ends with an x: extend the run by x, keep it,
			// and start the next run from x.
			if x := analyze(s.Sub[0]).exact; x != nil && !slices.Contains(x, "") {
				allExact = false
				if p := cross(cur, x); p != nil {
					cur = p
				}
				flush()
				cur = x
				continue
			}
		}
		c := analyze(s)
		if c.exact != nil {
			if p := cross(cur, c.exact); p != nil {
				cur = p
				continue
			}
			allExact = false
			flush()
			cur = c.exact
			continue
		}
		allExact = false
		flush()
		conj = append(conj, c.must()...)
		cur = []string{""}
	}
	if allExact {
		return litInfo{exact: dedupe(cur)}
	}
	flush()
	return litInfo{req: conj}
}

// cross is every a+b, or nil when that exceeds maxExactSet.
func cross(as, bs []string) []string {
	if len(as)*len(bs) > maxExactSet {
		return nil
	}
	out := make([]string, 0, len(as)*len(bs))
	for _, a := range as {
		for _, b := range bs {
			out = append(out, a+b)
		}
	}
	return out
}

func nonEmpty(set []string) []string {
	if len(set) == 0 || slices.Contains(set, "") {
		return nil
	}
	return set
}

// better picks the more selective requirement: the longer shortest literal,
// then the smaller set. nil (nothing provable) always loses.
func better(a, b []string) []string {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	ma, mb := minLen(a), minLen(b)
	if mb > ma || (mb == ma && len(b) < len(a)) {
		return b
	}
	return a
}

func minLen(set []string) int {
	m := len(set[0])
	for _, s := range set[1:] {
		m = min(m, len(s))
	}
	return m
}

// minimal drops members that contain another member: finding the shorter
// one is implied, so the set means the same with fewer literals.
func minimal(set []string) []string {
	out := set[:0:0]
	for i, a := range set {
		redundant := false
		for j, b := range set {
			if i != j && len(b) < len(a) && strings.Contains(a, b) {
				redundant = true
				break
			}
		}
		if !redundant {
			out = append(out, a)
		}
	}
	return out
}

func dedupe(set []string) []string {
	out := slices.Clone(set)
	slices.Sort(out)
	return slices.Compact(out)
}

// acMatcher is an Aho–Corasick automaton over folded bytes, compiled to a
// dense transition table over byte classes (bytes absent from every literal
// share class 0). Each state's output is a bitset of the rules one of whose
// literals ends there, failure outputs included.
type acMatcher struct {
	class  [256]uint8
	nclass int
	delta  []int32 // state*nclass + class → next state
	out    []int32 // state → offset into outs, or -1
	outs   []uint64
	words  int
}

// newACMatcher builds the automaton for lits[i] (the literals of rule i);
// rules with no literals never appear in an output.
func newACMatcher(lits [][]string) *acMatcher {
	m := &acMatcher{words: (len(lits) + 63) / 64}
	if m.words == 0 {
		m.words = 1
	}
	var used [256]bool
	distinct := 0
	for _, set := range lits {
		for _, l := range set {
			for i := 0; i < len(l); i++ {
				if !used[l[i]] {
					used[l[i]] = true
					distinct++
				}
			}
		}
	}
	n := 1
	if distinct < 256 {
		for b := range used {
			if used[b] {
				m.class[b] = uint8(n)
				n++
			}
		}
	} else {
		// Every byte value occurs: each byte is its own class.
		for i := range m.class {
			m.class[i] = uint8(i)
		}
		n = 256
	}
	m.nclass = n
	// Trie.
	type node struct {
		next map[uint8]int32
		rule []int
	}
	nodes := []node{{next: map[uint8]int32{}}}
	for ri, set := range lits {
		for _, l := range set {
			s := int32(0)
			for i := 0; i < len(l); i++ {
				c := m.class[l[i]]
				nx, ok := nodes[s].next[c]
				if !ok {
					nx = int32(len(nodes))
					nodes = append(nodes, node{next: map[uint8]int32{}})
					nodes[s].next[c] = nx
				}
				s = nx
			}
			nodes[s].rule = append(nodes[s].rule, ri)
		}
	}
	ns := len(nodes)
	m.delta = make([]int32, ns*n)
	fail := make([]int32, ns)
	bits := make([][]uint64, ns)
	for i := range nodes {
		for _, ri := range nodes[i].rule {
			if bits[i] == nil {
				bits[i] = make([]uint64, m.words)
			}
			bits[i][ri/64] |= 1 << (ri % 64)
		}
	}
	// Breadth-first: fill the full transition table from failure links.
	queue := []int32{}
	for c := 0; c < n; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			m.delta[c] = nx
			fail[nx] = 0
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if fb := bits[fail[s]]; fb != nil {
			if bits[s] == nil {
				bits[s] = make([]uint64, m.words)
			}
			for w := range fb {
				bits[s][w] |= fb[w]
			}
		}
		for c := 0; c < n; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				fail[nx] = m.delta[int(fail[s])*n+c]
				m.delta[int(s)*n+c] = nx
				queue = append(queue, nx)
			} else {
				m.delta[int(s)*n+c] = m.delta[int(fail[s])*n+c]
			}
		}
	}
	m.out = make([]int32, ns)
	for i := range m.out {
		m.out[i] = -1
		if bits[i] != nil {
			m.out[i] = int32(len(m.outs))
			m.outs = append(m.outs, bits[i]...)
		}
	}
	return m
}

// scan ORs into cand (len words) every rule with a literal in folded text.
func (m *acMatcher) scan(text []byte, cand []uint64) {
	s := int32(0)
	n := m.nclass
	for _, b := range text {
		s = m.delta[int(s)*n+int(m.class[b])]
		if o := m.out[s]; o >= 0 {
			for w, v := range m.outs[o : int(o)+m.words] {
				cand[w] |= v
			}
		}
	}
}
