package ttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// StackOptions configures NewStack.
type StackOptions struct {
	// RulesDir overlays the embedded rule pack and is hot-reloaded
	// (DECNET_TTP_RULES_DIR); "" uses the pack alone.
	RulesDir string
	// States persists operators' rule states; nil keeps every rule enabled.
	States StateRepo
	// StoreType is StoreFilesystem ("" too) or StoreDatabase
	// (DECNET_TTP_RULE_STORE): the rules of ttp_rule, as another host's
	// master mirrored them, polled every second.
	StoreType string
	// Rows is the ttp_rule access: required for StoreDatabase; with the
	// filesystem store it makes this process the master that mirrors its
	// pack into ttp_rule for database-store workers.
	Rows RuleRowRepo
	// Notify, with the filesystem store, is told of every rule change:
	// a reload, a deletion, a file that failed, or a state change.
	Notify func(RuleNotice)
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
	Store   RuleStore
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
	var st RuleStore
	var fsStore *FSStore
	switch o.StoreType {
	case StoreFilesystem, "":
		fs, err := OpenFSStore(ctx, FSStoreOptions{Dir: o.RulesDir, States: o.States, Logger: o.Logger})
		if err != nil {
			return nil, err
		}
		st, fsStore = fs, fs
	case StoreDatabase:
		if o.Rows == nil {
			return nil, errors.New("ttp: the database rule store needs the database")
		}
		db, err := OpenDBStore(ctx, o.Rows, o.Logger)
		if err != nil {
			return nil, err
		}
		st = db
	default:
		return nil, fmt.Errorf("DECNET_TTP_RULE_STORE is %q: want filesystem or database", o.StoreType)
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
	if fsStore != nil && (o.Rows != nil || o.Notify != nil) {
		follow(wctx, fsStore, o.Rows, o.Notify, o.Logger)
	}
	return &Stack{Store: st, Tagger: NewComposite(o.Logger, taggers...), Catalog: cat, cancel: cancel}, nil
}

// Close stops hot reload and the index watchers.
func (s *Stack) Close() error {
	s.cancel()
	return s.Store.Close()
}

// RuleNotice describes one rule change for ttp.rule.reloaded.<id>
// (Reloaded: a new or edited definition, a deletion, or a file that failed
// to compile and left the previous definition in force) or
// ttp.rule.state.<id> (an operator's state change or an expiry).
type RuleNotice struct {
	Reloaded bool   `json:"-"`
	RuleID   string `json:"rule_id"`
	// RuleVersion is the definition in force (0 when deleted).
	RuleVersion   int        `json:"rule_version,omitempty"`
	Deleted       bool       `json:"deleted,omitempty"`
	Error         string     `json:"error,omitempty"`
	State         string     `json:"state,omitempty"`
	ConfidenceMax *float64   `json:"confidence_max,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
}

// follow keeps ttp_rule equal to the filesystem pack (now, then after
// every change, so database-store workers on other hosts follow this
// master) and reports each change to notify.
func follow(ctx context.Context, fs *FSStore, rows RuleRowRepo, notify func(RuleNotice), log *slog.Logger) {
	ch := fs.Changes()
	sync := func() {
		if rows == nil {
			return
		}
		if _, err := SyncRules(ctx, rows, fs.Rules(), StoreFilesystem); err != nil && ctx.Err() == nil {
			log.Warn("ttp: mirroring the rule pack into the database failed", "err", err)
		}
	}
	texts := map[string]string{}
	for _, r := range fs.Rules() {
		texts[r.ID] = r.Text
	}
	sync()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case c, ok := <-ch:
				if !ok {
					return
				}
				sync()
				if notify != nil {
					notify(notice(c, texts))
				}
			}
		}
	}()
}

// notice classifies a change: a definition whose text is unchanged is a
// state change. texts is updated.
func notice(c RuleChange, texts map[string]string) RuleNotice {
	n := RuleNotice{RuleID: c.RuleID, Reloaded: true}
	switch {
	case c.Err != nil:
		n.Error = c.Err.Error()
	case c.Rule == nil:
		n.Deleted = true
		delete(texts, c.RuleID)
	default:
		r := c.Rule
		n.RuleVersion, n.State = r.Version, r.State.State
		if n.State == "" {
			n.State = model.RuleEnabled
		}
		if old, ok := texts[r.ID]; ok && old == r.Text {
			n.Reloaded = false
			n.ConfidenceMax, n.ExpiresAt = r.State.ConfidenceMax, r.State.ExpiresAt
		}
		texts[r.ID] = r.Text
	}
	return n
}
