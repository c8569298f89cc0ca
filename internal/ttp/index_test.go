package ttp

import (
	"fmt"
	"sync"
	"testing"

	"github.com/decnet/decnet/internal/model"
)

func idxRule(id string, kinds ...string) *Rule {
	return &Rule{ID: id, Version: 1, Name: id, AppliesTo: kinds, Match: Match{Pattern: "x"},
		Emits: []Emit{{TechniqueID: "T1059", Tactic: "TA0002", Confidence: 0.5}}}
}

func ids(rules []*Rule) string {
	s := ""
	for _, r := range rules {
		s += r.ID + " "
	}
	return s
}

func TestRuleIndexInstallEvictRestamp(t *testing.T) {
	ix := NewRuleIndex(EngineRules)
	ix.Install(idxRule("R0002", KindCommand, KindPayload))
	ix.Install(idxRule("R0001", KindCommand))
	if got := ids(ix.ForKind(KindCommand)); got != "R0001 R0002 " {
		t.Errorf("command = %q", got)
	}
	// A re-install drops the kinds the rule no longer claims.
	ix.Install(idxRule("R0002", KindHTTPRequest))
	if got := ids(ix.ForKind(KindPayload)); got != "" {
		t.Errorf("stale kind kept: payload = %q", got)
	}
	if got := ids(ix.ForKind(KindHTTPRequest)); got != "R0002 " {
		t.Errorf("http_request = %q", got)
	}
	// State changes re-stamp a copy; readers of the old snapshot keep theirs.
	old := ix.ForKind(KindCommand)
	if !ix.SetState("R0001", RuleState{State: model.RuleDisabled}) {
		t.Fatal("SetState on an indexed rule reported false")
	}
	if r, _ := ix.Get("R0001"); r.State.State != model.RuleDisabled || old[0].State.State != "" {
		t.Errorf("restamp: new %q old %q", r.State.State, old[0].State.State)
	}
	if ix.SetState("R0404", RuleState{}) {
		t.Error("SetState on an unknown rule reported true")
	}
	// A deletion sentinel (no kinds, no emits) evicts.
	ix.Install(&Rule{ID: "R0001", Match: Match{Pattern: "x"}})
	if _, ok := ix.Get("R0001"); ok {
		t.Error("deletion sentinel did not evict")
	}
	ix.Evict("R0002")
	ix.Evict("R0404")
	if n := len(ix.Rules()); n != 0 {
		t.Errorf("%d rules left", n)
	}
}

func TestRuleIndexPredicate(t *testing.T) {
	eng := NewRuleIndex(EngineRules)
	lifter := &Rule{ID: "R0031", Version: 1, AppliesTo: []string{KindSession},
		Match: Match{Kind: "lifter:behavioral_beaconing"}, Emits: []Emit{{TechniqueID: "T1071", Tactic: "TA0011"}}}
	if eng.Install(lifter) {
		t.Error("engine index accepted a lifter rule")
	}
	beh := NewRuleIndex(LifterRules("lifter:behavioral_"))
	if !beh.Install(lifter) {
		t.Fatal("behavioral index rejected its rule")
	}
	// A definition the predicate now rejects evicts the indexed rule.
	moved := *lifter
	moved.Match = Match{Kind: "lifter:intel_x"}
	if beh.Install(&moved) {
		t.Error("rejected rule reported installed")
	}
	if _, ok := beh.Get("R0031"); ok {
		t.Error("rule whose owner changed was not evicted")
	}
}

func TestRuleIndexConcurrentReadersAndWriters(t *testing.T) {
	ix := NewRuleIndex(nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := fmt.Sprintf("R%d%03d", w, i%50)
				ix.Install(idxRule(id, KindCommand))
				ix.SetState(id, RuleState{State: model.RuleClipped})
				if i%3 == 0 {
					ix.Evict(id)
				}
			}
		}()
	}
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				for _, r := range ix.ForKind(KindCommand) {
					if r.ID == "" {
						t.Error("torn read")
					}
				}
				_ = ix.Rules()
			}
		}()
	}
	wg.Wait()
}
