package ttp

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// RuleIndex holds the rules one tagger evaluates, bucketed by source kind
// (ttp.md §2.4). Readers load an immutable snapshot without locking; writers
// build a new snapshot and swap it in, so evaluation never sees a half-applied
// reload.
type RuleIndex struct {
	accept func(*Rule) bool
	mu     sync.Mutex // serialises writers
	snap   atomic.Pointer[indexSnapshot]
}

// indexSnapshot is never mutated after it is published.
type indexSnapshot struct {
	gen    uint64
	byID   map[string]*Rule
	byKind map[string][]*Rule
}

// NewRuleIndex returns an empty index that accepts only the rules accept
// reports true for (nil accepts everything): EngineRules for the regex
// engine, LifterRules(prefix) for a lifter.
func NewRuleIndex(accept func(*Rule) bool) *RuleIndex {
	if accept == nil {
		accept = func(*Rule) bool { return true }
	}
	ix := &RuleIndex{accept: accept}
	ix.snap.Store(&indexSnapshot{byID: map[string]*Rule{}, byKind: map[string][]*Rule{}})
	return ix
}

// EngineRules is the regex engine's predicate: every rule whose match is a
// pattern rather than a lifter kind.
func EngineRules(r *Rule) bool { return r.Match.Kind == "" && r.Match.Pattern != "" }

// LifterRules returns the predicate of a lifter owning the match kinds that
// start with prefix ("lifter:behavioral_", or a whole kind).
func LifterRules(prefix string) func(*Rule) bool {
	return func(r *Rule) bool { return strings.HasPrefix(r.Match.Kind, prefix) }
}

// Accepts reports whether the index's predicate takes r, so a store can tell
// a rule this index should drop.
func (ix *RuleIndex) Accepts(r *Rule) bool { return r != nil && ix.accept(r) }

// Install adds or replaces r. A rule the predicate rejects, or one with no
// applies_to and no emits (a deletion), evicts any rule with its id instead;
// a replaced rule's stale kinds are dropped. It reports whether r is now
// indexed.
func (ix *RuleIndex) Install(r *Rule) bool {
	if r == nil {
		return false
	}
	if !ix.accept(r) || (len(r.AppliesTo) == 0 && len(r.Emits) == 0) {
		ix.Evict(r.ID)
		return false
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.swap(func(byID map[string]*Rule) { byID[r.ID] = r })
	return true
}

// Evict removes the rule with id; an unknown id is a no-op.
func (ix *RuleIndex) Evict(id string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.snap.Load().byID[id]; !ok {
		return
	}
	ix.swap(func(byID map[string]*Rule) { delete(byID, id) })
}

// SetState re-stamps the indexed rule id with st (a copy: rules are
// immutable) and reports whether the rule was indexed.
func (ix *RuleIndex) SetState(id string, st RuleState) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	old, ok := ix.snap.Load().byID[id]
	if !ok {
		return false
	}
	nr := *old
	nr.State = st
	ix.swap(func(byID map[string]*Rule) { byID[id] = &nr })
	return true
}

// Replace installs exactly rules (those the predicate accepts), dropping
// everything else, in one swap: the hydrate step of a watcher.
func (ix *RuleIndex) Replace(rules []*Rule) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.swap(func(byID map[string]*Rule) {
		clear(byID)
		for _, r := range rules {
			if r != nil && ix.accept(r) && (len(r.AppliesTo) > 0 || len(r.Emits) > 0) {
				byID[r.ID] = r
			}
		}
	})
}

// swap builds and publishes the next snapshot; ix.mu must be held.
func (ix *RuleIndex) swap(edit func(map[string]*Rule)) {
	old := ix.snap.Load()
	byID := make(map[string]*Rule, len(old.byID)+1)
	for k, v := range old.byID {
		byID[k] = v
	}
	edit(byID)
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	byKind := map[string][]*Rule{}
	for _, id := range ids {
		r := byID[id]
		for _, k := range r.AppliesTo {
			byKind[k] = append(byKind[k], r)
		}
	}
	ix.snap.Store(&indexSnapshot{gen: old.gen + 1, byID: byID, byKind: byKind})
}

// Rules returns every indexed rule sorted by id. The slice is the caller's;
// the rules are shared and must not be modified.
func (ix *RuleIndex) Rules() []*Rule {
	s := ix.snap.Load()
	out := make([]*Rule, 0, len(s.byID))
	for _, r := range s.byID {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns the indexed rule id, if any.
func (ix *RuleIndex) Get(id string) (*Rule, bool) {
	r, ok := ix.snap.Load().byID[id]
	return r, ok
}

// ForKind returns the rules claiming source kind k, sorted by id. The slice
// belongs to the snapshot: read it, never modify it.
func (ix *RuleIndex) ForKind(k string) []*Rule { return ix.snap.Load().byKind[k] }

// Generation changes on every swap, so a consumer caching derived state
// (the engine's compiled prefilter) knows when to rebuild.
func (ix *RuleIndex) Generation() uint64 { return ix.snap.Load().gen }

// snapshot is the current immutable view.
func (ix *RuleIndex) snapshot() *indexSnapshot { return ix.snap.Load() }
