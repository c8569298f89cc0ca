package ttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// inMemoryStateRepoFake stands in for the SQL ttp_rule_state repository in
// this file's tests only (the SQL one is built separately); it counts calls
// so tests can see rows being deleted.
type inMemoryStateRepoFake struct {
	mu      sync.Mutex
	rows    map[string]model.TTPRuleState
	deletes int
	failSet error
}

// testLogger keeps reload logs out of test output.
var testLogger = slog.New(slog.DiscardHandler)

func newInMemoryStateRepoFake() *inMemoryStateRepoFake {
	return &inMemoryStateRepoFake{rows: map[string]model.TTPRuleState{}}
}

func (f *inMemoryStateRepoFake) ListRuleStates(context.Context) (map[string]model.TTPRuleState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]model.TTPRuleState, len(f.rows))
	for k, v := range f.rows {
		out[k] = v
	}
	return out, nil
}

func (f *inMemoryStateRepoFake) SetRuleState(_ context.Context, st model.TTPRuleState) (model.TTPRuleState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failSet != nil {
		return model.TTPRuleState{}, f.failSet
	}
	f.rows[st.RuleID] = st
	return st, nil
}

func (f *inMemoryStateRepoFake) DeleteRuleState(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.rows, id)
	f.deletes++
	return nil
}

func (f *inMemoryStateRepoFake) row(id string) (model.TTPRuleState, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.rows[id]
	return r, ok
}

func ruleYAML(id string, version int, pattern string) string {
	return fmt.Sprintf(`rule_id: %s
rule_version: %d
name: test_%s
applies_to: [command]
match:
  pattern: '%s'
emits:
  - technique_id: T1059
    tactic: TA0002
    confidence: 0.8
evidence_fields: [command_text]
`, id, version, id, pattern)
}

func testEmbedded() fstest.MapFS {
	return fstest.MapFS{
		"R0100.yaml": {Data: []byte(ruleYAML("R0100", 1, "alpha"))},
		"R0200.yaml": {Data: []byte(ruleYAML("R0200", 1, "beta"))},
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// nextChange waits for the next change; the deadline only bounds a hung
// test, it asserts nothing about speed.
func nextChange(t *testing.T, ch <-chan RuleChange) RuleChange {
	t.Helper()
	select {
	case c, ok := <-ch:
		if !ok {
			t.Fatal("change channel closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no rule change arrived")
	}
	return RuleChange{}
}

func ruleByID(rules []*Rule, id string) *Rule {
	for _, r := range rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}

func TestFSStoreLoadsTheShippedPackByDefault(t *testing.T) {
	s, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"R0010", "R0016", "R0029", "R0060", "R0079"} {
		if ruleByID(s.Rules(), id) == nil {
			t.Errorf("embedded pack lacks %s", id)
		}
	}
	if errs := s.Errors(); len(errs) != 0 {
		t.Errorf("embedded pack errors: %v", errs)
	}
}

func TestFSStoreOverlayReplacesEmbeddedAndKeepsGoingPastABadFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "R0100.yaml"), ruleYAML("R0100", 2, "alpha2"))
	writeFile(t, filepath.Join(dir, "R0300.yaml"), "rule_id: R0300\nrule_version: [\n")
	writeFile(t, filepath.Join(dir, "R0400.yaml"), ruleYAML("R0400", 1, "gamma"))
	writeFile(t, filepath.Join(dir, "R0400.yaml.swp"), "junk")
	s, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rules := s.Rules()
	if r := ruleByID(rules, "R0100"); r == nil || r.Version != 2 || r.Match.Pattern != "alpha2" {
		t.Errorf("R0100 = %+v, want the overlay's v2", r)
	}
	if ruleByID(rules, "R0200") == nil || ruleByID(rules, "R0400") == nil {
		t.Errorf("rules = %d, want embedded R0200 and overlay R0400 despite the bad R0300", len(rules))
	}
	errs := s.Errors()
	if len(errs) != 1 || errs[0].RuleID != "R0300" {
		t.Fatalf("errors = %v, want one for R0300", errs)
	}
}

func TestFSStoreMissingDirIsAnError(t *testing.T) {
	_, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(),
		Dir: filepath.Join(t.TempDir(), "nope")})
	if err == nil {
		t.Fatal("want an error for a missing rules dir")
	}
}

func TestFSStoreHotReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "R0100.yaml"), ruleYAML("R0100", 2, "alpha2"))
	s, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), Dir: dir,
		Debounce: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ch := s.Changes()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "R0101.yaml")

	// Create: one change, whatever the number of fsnotify events.
	writeFile(t, p, ruleYAML("R0101", 1, "one"))
	if c := nextChange(t, ch); c.RuleID != "R0101" || c.Rule == nil || c.Rule.Version != 1 || c.Err != nil {
		t.Fatalf("create: %+v", c)
	}
	// Edit.
	writeFile(t, p, ruleYAML("R0101", 2, "two"))
	if c := nextChange(t, ch); c.RuleID != "R0101" || c.Rule == nil || c.Rule.Version != 2 {
		t.Fatalf("edit: %+v", c)
	}
	// Same content again, and scratch files: no change. The sentinel that
	// follows must be the next change seen.
	writeFile(t, p, ruleYAML("R0101", 2, "two"))
	writeFile(t, filepath.Join(dir, ".R0101.yaml.swp"), "x")
	writeFile(t, filepath.Join(dir, "4913"), "x")
	writeFile(t, filepath.Join(dir, "R0101.yaml~"), "x")
	writeFile(t, filepath.Join(dir, "R0102.yaml"), ruleYAML("R0102", 1, "sentinel"))
	if c := nextChange(t, ch); c.RuleID != "R0102" {
		t.Fatalf("after same-content save and scratch files, next change = %+v, want R0102", c)
	}
	// Malformed: reported, listed, previous definition kept.
	writeFile(t, p, "rule_id: R0101\nrule_version: 3\nname: x\napplies_to: [command]\nmatch: {pattern: '(?=x)'}\n"+
		"emits: [{technique_id: T1059, tactic: TA0002, confidence: 0.5}]\n")
	c := nextChange(t, ch)
	if c.RuleID != "R0101" || c.Err == nil || c.Rule != nil {
		t.Fatalf("malformed: %+v", c)
	}
	if errs := s.Errors(); len(errs) != 1 || errs[0].RuleID != "R0101" {
		t.Errorf("errors = %v", errs)
	}
	if r := ruleByID(s.Rules(), "R0101"); r == nil || r.Version != 2 {
		t.Errorf("R0101 after a bad save = %+v, want v2 kept", r)
	}
	// Delete: evicted for real.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.RuleID != "R0101" || c.Rule != nil || c.Err != nil {
		t.Fatalf("delete: %+v", c)
	}
	if ruleByID(s.Rules(), "R0101") != nil || len(s.Errors()) != 0 {
		t.Errorf("R0101 still present after delete (errors %v)", s.Errors())
	}
	// Deleting an override falls back to the embedded rule.
	if err := os.Remove(filepath.Join(dir, "R0100.yaml")); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.RuleID != "R0100" || c.Rule == nil || c.Rule.Version != 1 {
		t.Fatalf("delete override: %+v", c)
	}
	// Rename into place (the vim/atomic-save style) is a create.
	tmp := filepath.Join(dir, "tmp-save")
	writeFile(t, tmp, ruleYAML("R0103", 1, "renamed"))
	if err := os.Rename(tmp, filepath.Join(dir, "R0103.yaml")); err != nil {
		t.Fatal(err)
	}
	if c := nextChange(t, ch); c.RuleID != "R0103" || c.Rule == nil {
		t.Fatalf("rename: %+v", c)
	}
}

func TestFSStoreWatchKeepsAnIndexInStep(t *testing.T) {
	dir := t.TempDir()
	repo := newInMemoryStateRepoFake()
	s, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), Dir: dir, States: repo,
		Debounce: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	idx := NewRuleIndex(EngineRules)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Watch(ctx, idx)
	waitFor(t, func() error {
		if _, ok := idx.Get("R0100"); !ok {
			return errors.New("not hydrated")
		}
		return nil
	})
	writeFile(t, filepath.Join(dir, "R0105.yaml"), ruleYAML("R0105", 1, "five"))
	waitFor(t, func() error {
		if _, ok := idx.Get("R0105"); !ok {
			return errors.New("R0105 not installed")
		}
		return nil
	})
	if _, err := s.SetState(ctx, "R0105", RuleState{State: model.RuleDisabled}, "admin"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if r, _ := idx.Get("R0105"); r.State.State != model.RuleDisabled {
			return fmt.Errorf("state %q", r.State.State)
		}
		return nil
	})
	if err := os.Remove(filepath.Join(dir, "R0105.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if _, ok := idx.Get("R0105"); ok {
			return errors.New("R0105 still indexed")
		}
		return nil
	})
}

// waitFor polls cond until it holds; the deadline only bounds a hung test.
func waitFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFSStoreStatesArePersistedAppliedAndExpire(t *testing.T) {
	ctx := context.Background()
	repo := newInMemoryStateRepoFake()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	s, err := OpenFSStore(ctx, FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), States: repo, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ch := s.Changes()
	max := 0.5
	exp := now.Add(time.Hour)
	got, err := s.SetState(ctx, "R0100", RuleState{State: model.RuleClipped, ConfidenceMax: &max, ExpiresAt: &exp,
		Reason: "noisy"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.SetBy != "alice" || !got.SetAt.Equal(now) {
		t.Errorf("state = %+v, want set_by alice and set_at now", got)
	}
	if row, ok := repo.row("R0100"); !ok || row.State != model.RuleClipped || *row.ConfidenceMax != 0.5 {
		t.Errorf("row = %+v, %v", row, ok)
	}
	if c := nextChange(t, ch); c.RuleID != "R0100" || c.Rule.State.State != model.RuleClipped {
		t.Fatalf("change = %+v", c)
	}
	if r := ruleByID(s.Rules(), "R0100"); r.State.Ceiling(0.9) != 0.5 {
		t.Errorf("rule state not applied: %+v", r.State)
	}
	s.Close()

	// A new store applies the persisted state.
	s2, err := OpenFSStore(ctx, FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), States: repo, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if r := ruleByID(s2.Rules(), "R0100"); r.State.State != model.RuleClipped {
		t.Errorf("reopened state = %+v", r.State)
	}
	ch2 := s2.Changes()
	// Past expiry, reading the state reverts it: enabled, row gone, change.
	clockMu.Lock()
	now = now.Add(2 * time.Hour)
	clockMu.Unlock()
	if st := s2.State(ctx, "R0100"); st.State != model.RuleEnabled {
		t.Errorf("expired state read = %+v, want enabled", st)
	}
	if _, ok := repo.row("R0100"); ok {
		t.Error("expired row not deleted")
	}
	if c := nextChange(t, ch2); c.RuleID != "R0100" || c.Rule == nil || c.Rule.State.State != "" {
		t.Fatalf("revert change = %+v", c)
	}
	// An already expired row is dropped at open.
	past := now.Add(-time.Minute)
	repo.rows["R0200"] = model.TTPRuleState{RuleID: "R0200", State: model.RuleDisabled, ExpiresAt: &past}
	s3, err := OpenFSStore(ctx, FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), States: repo, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if r := ruleByID(s3.Rules(), "R0200"); r.State.State == model.RuleDisabled {
		t.Error("expired row applied at open")
	}
	if _, ok := repo.row("R0200"); ok {
		t.Error("expired row not deleted at open")
	}
}

func TestFSStoreSetStateErrors(t *testing.T) {
	ctx := context.Background()
	repo := newInMemoryStateRepoFake()
	s, err := OpenFSStore(ctx, FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(), States: repo})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SetState(ctx, "R9999", RuleState{State: model.RuleDisabled}, "a"); !errors.Is(err, ErrUnknownRule) {
		t.Errorf("unknown rule: %v", err)
	}
	if _, err := s.SetState(ctx, "R0100", RuleState{State: "paused"}, "a"); err == nil {
		t.Error("invalid state accepted")
	}
	repo.failSet = errors.New("db down")
	if _, err := s.SetState(ctx, "R0100", RuleState{State: model.RuleDisabled}, "a"); err == nil {
		t.Error("repository failure not returned")
	}
	bare, err := OpenFSStore(ctx, FSStoreOptions{Logger: testLogger, Embedded: testEmbedded()})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if _, err := bare.SetState(ctx, "R0100", RuleState{}, "a"); !errors.Is(err, ErrNoStateRepo) {
		t.Errorf("no repo: %v", err)
	}
}

func TestFSStoreAttachHydratesBeforeReturning(t *testing.T) {
	s, err := OpenFSStore(context.Background(), FSStoreOptions{Logger: testLogger, Embedded: testEmbedded(),
		States: newInMemoryStateRepoFake()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idx := NewRuleIndex(EngineRules)
	ctx, cancel := context.WithCancel(context.Background())
	s.Attach(ctx, idx)
	if _, ok := idx.Get("R0100"); !ok {
		t.Fatal("Attach returned before hydrating the index")
	}
	if _, err := s.SetState(ctx, "R0200", RuleState{State: model.RuleDisabled}, "a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		if r, _ := idx.Get("R0200"); r.State.State != model.RuleDisabled {
			return errors.New("state not applied")
		}
		return nil
	})
	cancel()
	waitFor(t, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.subs) != 0 {
			return fmt.Errorf("%d subscribers after cancel", len(s.subs))
		}
		return nil
	})
}
