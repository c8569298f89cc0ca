package ttp

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/decnet/decnet/internal/ttp/attack"
)

// StackOptions configures NewStack.
type StackOptions struct {
	// RulesDir overlays the embedded rule pack and is hot-reloaded
	// (DECNET_TTP_RULES_DIR); "" uses the pack alone.
	RulesDir string
	// States persists operators' rule states; nil keeps every rule enabled.
	States StateRepo
	// Catalog names techniques and stamps attack_release; nil is the
	// built-in subset.
	Catalog *attack.Catalog
	// ArtifactsRoot is where the email lifter reads stored messages.
	ArtifactsRoot string
	Logger        *slog.Logger
}

// Stack is a running tagger: the rule store, one rule index for the regex
// engine and one for the lifters, both following the store's changes, and
// the composite over the engine and every lifter.
type Stack struct {
	Store   *FSStore
	Tagger  *Composite
	Catalog *attack.Catalog
	cancel  context.CancelFunc
}

// NewStack loads the rules, checks every technique and tactic they emit
// against the catalogue (an unknown id fails the start, naming it), and
// starts hot reload. Close stops it.
func NewStack(ctx context.Context, o StackOptions) (*Stack, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Catalog == nil {
		o.Catalog = attack.Builtin()
	}
	st, err := OpenFSStore(ctx, FSStoreOptions{Dir: o.RulesDir, States: o.States, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	cat := o.Catalog
	if err := ValidateRules(st.Rules(), cat.TechniqueExists, cat.TacticExists); err != nil {
		st.Close()
		return nil, fmt.Errorf("ttp rules name ids the ATT&CK catalogue (%s) lacks: %v; fix the rule or load a full "+
			"bundle with DECNET_ATTACK_BUNDLE", cat.Source(), err)
	}
	if techs, err := LifterDataTechniques(); err != nil {
		st.Close()
		return nil, err
	} else if err := cat.Validate(techs, nil, nil); err != nil {
		st.Close()
		return nil, fmt.Errorf("ttp intel mappings: %v", err)
	}
	engineIdx := NewRuleIndex(EngineRules)
	lifterIdx := NewRuleIndex(func(r *Rule) bool { return r.Lifter() != "" })
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	st.Attach(wctx, engineIdx)
	st.Attach(wctx, lifterIdx)
	opts := func() TagOptions { return TagOptions{Release: cat.Release(), URL: cat.URL, Now: time.Now()} }
	taggers := append([]Tagger{NewEngine(engineIdx, opts)}, LiftersWith(LifterOptions{
		Rules: lifterIdx.ForKind, Tag: opts, Log: o.Logger, ArtifactsRoot: o.ArtifactsRoot})...)
	if err := st.Start(); err != nil {
		cancel()
		st.Close()
		return nil, err
	}
	return &Stack{Store: st, Tagger: NewComposite(o.Logger, taggers...), Catalog: cat, cancel: cancel}, nil
}

// Close stops hot reload and the index watchers.
func (s *Stack) Close() error {
	s.cancel()
	return s.Store.Close()
}
