package ttp

import (
	"context"
	"regexp"
	"regexp/syntax"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// MaxMatchedField caps the bytes of a field the engine matches: patterns
// run on attacker-controlled text, and 64 KiB covers any real command line
// or URL while bounding the work per event.
const MaxMatchedField = 64 << 10

// EngineName is the regex engine's tagger name.
const EngineName = "rule_engine"

// FieldRequestLine is a derived http_request field, "METHOD raw_url", built
// by the engine when the payload does not carry it, so one pattern can see
// both the verb and the path.
const FieldRequestLine = "request_line"

// defaultFields is the per-kind default match field (ttp.md §2.2).
var defaultFields = map[string]string{
	KindCommand:     "command_text",
	KindHTTPRequest: "raw_url",
	KindEmail:       "subject",
	KindIntel:       "verdict",
	KindCanary:      "ua_signature",
	KindAuthAttempt: "username",
	KindPayload:     "payload_text",
}

// DefaultField returns the field an engine rule of source kind k matches
// when its match block names none ("" for a kind without a default).
func DefaultField(k string) string { return defaultFields[k] }

// engineKinds are the kinds the engine claims (ttp.md §3.2).
var engineKinds = []string{KindCommand, KindPayload, KindHTTPRequest, KindAuthAttempt}

// commandAuxFields are copied into the evidence of every command tag when
// present (the original's aux-field promotion).
var commandAuxFields = []string{"uid", "user", "src", "pwd"}

// Engine is the regex rule engine (the original's RuleEngineTagger): every
// active pattern rule of the event's kind whose regexp matches the rule's
// field emits one tag per emit. A literal prefilter picks the candidate
// rules, so the per-event cost does not grow with the pack.
type Engine struct {
	idx       *RuleIndex
	opts      func() TagOptions
	prefilter bool

	mu      sync.Mutex // guards rebuilding prog and reCache
	prog    atomic.Pointer[engineProgram]
	reCache map[string]*regexp.Regexp
}

// NewEngine returns the engine over idx, which should be built with
// EngineRules. opts supplies the ATT&CK release, URL resolver and clock per
// call; nil means no release or URL and time.Now.
func NewEngine(idx *RuleIndex, opts func() TagOptions) *Engine {
	return newEngine(idx, opts, true)
}

func newEngine(idx *RuleIndex, opts func() TagOptions, prefilter bool) *Engine {
	if opts == nil {
		opts = func() TagOptions { return TagOptions{} }
	}
	return &Engine{idx: idx, opts: opts, prefilter: prefilter, reCache: map[string]*regexp.Regexp{}}
}

// Name implements Tagger.
func (e *Engine) Name() string { return EngineName }

// Handles implements Tagger: command, payload, http_request, auth_attempt.
func (e *Engine) Handles() []string { return append([]string(nil), engineKinds...) }

// engineProgram is the compiled form of one index snapshot.
type engineProgram struct {
	snap  *indexSnapshot
	kinds map[string][]*fieldGroup
}

// fieldGroup is the rules of one kind matching one field, with their
// prefilter.
type fieldGroup struct {
	field string
	rules []compiledRule
	units []matchUnit
	ac    *acMatcher // nil when no unit has literals
	words int        // bitset words over prefilter slots
}

type compiledRule struct {
	rule *Rule
	re   *regexp.Regexp
}

// matchUnit is one top-level branch of a rule's pattern with its own
// regexp and the prefilter slots (OR-sets of literals) that must all hit
// before it runs; no slots means it always runs.
type matchUnit struct {
	rule  int
	re    *regexp.Regexp
	slots []int
}

// program returns the compiled program of the index's current snapshot,
// rebuilding it after a reload.
func (e *Engine) program() *engineProgram {
	snap := e.idx.snapshot()
	if p := e.prog.Load(); p != nil && p.snap == snap {
		return p
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	snap = e.idx.snapshot()
	if p := e.prog.Load(); p != nil && p.snap == snap {
		return p
	}
	p := &engineProgram{snap: snap, kinds: map[string][]*fieldGroup{}}
	used := map[string]*regexp.Regexp{}
	for kind, rules := range snap.byKind {
		groups := map[string]*fieldGroup{}
		var order []*fieldGroup
		for _, r := range rules {
			if !EngineRules(r) { // an index without the engine predicate may hold lifter rules
				continue
			}
			re := e.compile(r.Match.Pattern)
			if re == nil {
				continue
			}
			used[r.Match.Pattern] = re
			f := r.Match.Field
			if f == "" {
				f = defaultFields[kind]
			}
			if f == "" {
				continue
			}
			g := groups[f]
			if g == nil {
				g = &fieldGroup{field: f}
				groups[f] = g
				order = append(order, g)
			}
			g.rules = append(g.rules, compiledRule{rule: r, re: re})
		}
		for _, g := range order {
			g.build(func(p string) *regexp.Regexp {
				re := e.compile(p)
				if re != nil {
					used[p] = re
				}
				return re
			})
		}
		p.kinds[kind] = order
	}
	e.reCache = used
	e.prog.Store(p)
	return p
}

// compile returns the cached regexp of pattern; nil for one that does not
// compile (ParseRule rejects those, so only hand-built rules get here).
func (e *Engine) compile(p string) *regexp.Regexp {
	if re, ok := e.reCache[p]; ok {
		return re
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil
	}
	return re
}

// build splits every rule into branch units and compiles the literal
// prefilter over all their slots.
func (g *fieldGroup) build(compile func(string) *regexp.Regexp) {
	var lits [][]string
	for ri, cr := range g.rules {
		subs := branches(cr.rule.Match.Pattern)
		if len(subs) <= 1 {
			g.units = append(g.units, g.unit(ri, cr.re, cr.rule.Match.Pattern, &lits))
			continue
		}
		for _, sub := range subs {
			re := compile(sub)
			if re == nil { // the split misjudged; the whole pattern keeps results right
				g.units = append(g.units, matchUnit{rule: ri, re: cr.re})
				continue
			}
			g.units = append(g.units, g.unit(ri, re, sub, &lits))
		}
	}
	g.words = max(1, (len(lits)+63)/64)
	if len(lits) > 0 {
		g.ac = newACMatcher(lits)
	}
}

func (g *fieldGroup) unit(ri int, re *regexp.Regexp, pattern string, lits *[][]string) matchUnit {
	u := matchUnit{rule: ri, re: re}
	parsed, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return u
	}
	for _, set := range requiredSets(parsed.Simplify()) {
		u.slots = append(u.slots, len(*lits))
		*lits = append(*lits, set)
	}
	return u
}

// scratch is per-call working memory, pooled to keep Tag allocation-light.
type scratch struct {
	folded  []byte
	cand    []uint64
	matched []bool
}

var scratchPool = sync.Pool{New: func() any { return &scratch{folded: make([]byte, 0, 512)} }}

// Tag implements Tagger. It never fails on attacker input: a missing or
// non-string field is simply no match. The only errors are tag-building
// ones (an event with no anchor).
func (e *Engine) Tag(_ context.Context, ev Event) ([]model.TTPTag, error) {
	groups := e.program().kinds[ev.SourceKind]
	if len(groups) == 0 {
		return nil, nil
	}
	o := e.opts()
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	var out []model.TTPTag
	for _, g := range groups {
		text, ok := fieldText(ev, g.field)
		if !ok {
			continue
		}
		if len(text) > MaxMatchedField {
			text = text[:MaxMatchedField]
		}
		matched := e.match(g, text, o.Now, sc)
		for i, cr := range g.rules {
			if !matched[i] {
				continue
			}
			evid := evidence(ev, cr.rule)
			for _, em := range cr.rule.Emits {
				t, err := NewTag(ev, cr.rule, em, cr.rule.State.Ceiling(em.Confidence), evid, o)
				if err != nil {
					return nil, err
				}
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// match reports, per rule of g, whether the active rule matches text. With
// the prefilter, only units whose literal slots all hit run their regexp;
// without it, every active rule's whole regexp runs (the reference the
// prefilter is tested against).
func (e *Engine) match(g *fieldGroup, text string, now time.Time, sc *scratch) []bool {
	if cap(sc.matched) < len(g.rules) {
		sc.matched = make([]bool, len(g.rules))
	}
	matched := sc.matched[:len(g.rules)]
	if !e.prefilter {
		for i, cr := range g.rules {
			matched[i] = cr.rule.State.Active(now) && cr.re.MatchString(text)
		}
		return matched
	}
	clear(matched)
	if cap(sc.cand) < g.words {
		sc.cand = make([]uint64, g.words)
	}
	cand := sc.cand[:g.words]
	clear(cand)
	if g.ac != nil {
		sc.folded = appendFolded(sc.folded[:0], text)
		g.ac.scan(sc.folded, cand)
	}
	lastRule, active := -1, false
units:
	for _, u := range g.units {
		if matched[u.rule] {
			continue
		}
		if u.rule != lastRule {
			lastRule, active = u.rule, g.rules[u.rule].rule.State.Active(now)
		}
		if !active {
			continue
		}
		for _, s := range u.slots {
			if cand[s/64]&(1<<(s%64)) == 0 {
				continue units
			}
		}
		if u.re.MatchString(text) {
			matched[u.rule] = true
		}
	}
	return matched
}

// fieldText returns the string value of field f of ev, deriving
// request_line for http_request events that do not carry it.
func fieldText(ev Event, f string) (string, bool) {
	if v, ok := ev.Payload[f].(string); ok {
		return v, true
	}
	if f == FieldRequestLine && ev.SourceKind == KindHTTPRequest {
		m, ok1 := ev.Payload["method"].(string)
		u, ok2 := ev.Payload["raw_url"].(string)
		if ok1 && ok2 {
			return m + " " + u, true
		}
	}
	return "", false
}

// evidence is the rule's evidence_fields present in the payload, plus
// uid/user/src/pwd on command events. Long strings are cut to
// MaxMatchedField so one hostile event cannot bloat a tag row.
func evidence(ev Event, r *Rule) map[string]any {
	f := make(map[string]any, len(r.EvidenceFields)+2)
	put := func(k string) {
		v, ok := ev.Payload[k]
		if !ok {
			if k == FieldRequestLine {
				if s, ok := fieldText(ev, k); ok {
					v = s
				} else {
					return
				}
			} else {
				return
			}
		}
		if s, ok := v.(string); ok && len(s) > MaxMatchedField {
			v = s[:MaxMatchedField]
		}
		f[k] = v
	}
	for _, k := range r.EvidenceFields {
		put(k)
	}
	if ev.SourceKind == KindCommand {
		for _, k := range commandAuxFields {
			put(k)
		}
	}
	return f
}

var _ Tagger = (*Engine)(nil)
