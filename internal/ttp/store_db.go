package ttp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Rule store types (DECNET_TTP_RULE_STORE).
const (
	StoreFilesystem = "filesystem"
	StoreDatabase   = "database"
)

// DefaultDBPollInterval is how often a database rule store re-reads the
// rule and state rows.
const DefaultDBPollInterval = time.Second

// RuleStore is what the tagging stack needs of a rule store: the effective
// rules with their states, the files that failed, indexes kept in step,
// and operators' state changes.
type RuleStore interface {
	// Rules returns every rule with its state, sorted by id.
	Rules() []*Rule
	Errors() []RuleError
	Attach(ctx context.Context, idx *RuleIndex)
	SetState(ctx context.Context, id string, st RuleState, setBy string) (RuleState, error)
	ClearState(ctx context.Context, id string) error
	Start() error
	Close() error
}

// RuleRowRepo is the ttp_rule and ttp_rule_state access of the database
// store; the SQL store implements it.
type RuleRowRepo interface {
	StateRepo
	UpsertTTPRule(ctx context.Context, r model.TTPRuleRow) error
	DeleteTTPRule(ctx context.Context, ruleID string) error
	ListTTPRules(ctx context.Context) ([]model.TTPRuleRow, error)
}

// DBStore is the database rule store: rules and states are the ttp_rule
// and ttp_rule_state rows, re-read every poll, so a TTP worker on another
// host follows the master's rule pack and operators' states. Unlike the
// original's tail it compares the whole row set each poll, so deleted rules
// are evicted too.
type DBStore struct {
	repo     RuleRowRepo
	log      *slog.Logger
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	rules   map[string]*Rule // definitions, without state
	digests map[string][32]byte
	states  map[string]RuleState
	errs    map[string]RuleError
	idxs    []*RuleIndex
	cancel  context.CancelFunc
	done    chan struct{}
}

// OpenDBStore loads the rows once.
func OpenDBStore(ctx context.Context, repo RuleRowRepo, log *slog.Logger) (*DBStore, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &DBStore{repo: repo, log: log, interval: DefaultDBPollInterval, now: time.Now,
		rules: map[string]*Rule{}, digests: map[string][32]byte{}, states: map[string]RuleState{},
		errs: map[string]RuleError{}}
	if err := s.poll(ctx); err != nil {
		return nil, fmt.Errorf("ttp rules from the database: %w", err)
	}
	return s, nil
}

// effective is r with its state.
func (s *DBStore) effective(r *Rule) *Rule {
	st, ok := s.states[r.ID]
	if !ok {
		return r
	}
	nr := *r
	nr.State = st
	return &nr
}

// Rules returns every rule with its state, sorted by id.
func (s *DBStore) Rules() []*Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Rule, 0, len(s.rules))
	for _, id := range slices.Sorted(maps.Keys(s.rules)) {
		out = append(out, s.effective(s.rules[id]))
	}
	return out
}

// Errors returns the rows whose YAML does not compile.
func (s *DBStore) Errors() []RuleError {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RuleError, 0, len(s.errs))
	for _, id := range slices.Sorted(maps.Keys(s.errs)) {
		out = append(out, s.errs[id])
	}
	return out
}

// Attach fills idx with the current rules and keeps it in step with every
// later poll and state change.
func (s *DBStore) Attach(_ context.Context, idx *RuleIndex) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]*Rule, 0, len(s.rules))
	for _, r := range s.rules {
		rules = append(rules, s.effective(r))
	}
	idx.Replace(rules)
	s.idxs = append(s.idxs, idx)
}

// poll re-reads the rows and applies what changed to the attached indexes.
func (s *DBStore) poll(ctx context.Context) error {
	rows, err := s.repo.ListTTPRules(ctx)
	if err != nil {
		return err
	}
	stRows, err := s.repo.ListRuleStates(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	states := map[string]RuleState{}
	for id, row := range stRows {
		st, err := stateFromModel(row)
		if err != nil || expired(st, now) {
			continue // an expired state is enabled; the master deletes the row
		}
		states[id] = st
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var changed []string
	for _, row := range rows {
		seen[row.RuleID] = true
		d := sha256.Sum256([]byte(row.YAMLContent))
		if old, ok := s.digests[row.RuleID]; ok && old == d {
			continue
		}
		s.digests[row.RuleID] = d
		r, err := ParseRule([]byte(row.YAMLContent), row.RuleID+".yaml")
		if err != nil {
			s.errs[row.RuleID] = RuleError{RuleID: row.RuleID, Path: row.SourcePath, Err: err}
			s.log.Error("ttp: rule row does not compile; the previous definition stays", "rule_id", row.RuleID, "err", err)
			continue
		}
		delete(s.errs, row.RuleID)
		r.SourcePath = row.SourcePath
		s.rules[row.RuleID] = r
		changed = append(changed, row.RuleID)
	}
	for id := range s.rules {
		if !seen[id] {
			delete(s.rules, id)
			delete(s.digests, id)
			for _, idx := range s.idxs {
				idx.Evict(id)
			}
		}
	}
	for id := range s.errs {
		if !seen[id] {
			delete(s.errs, id)
		}
	}
	for id := range s.rules {
		old, had := s.states[id]
		nw, has := states[id]
		if had != has || old.State != nw.State || !equalFloat(old.ConfidenceMax, nw.ConfidenceMax) ||
			!equalTime(old.ExpiresAt, nw.ExpiresAt) {
			changed = appendUnique(changed, id)
		}
	}
	s.states = states
	for _, id := range changed {
		for _, idx := range s.idxs {
			if r := s.rules[id]; r != nil && idx.Accepts(r) {
				idx.Install(s.effective(r))
			} else {
				idx.Evict(id) // its match kind moved it to another index
			}
		}
	}
	return nil
}

func equalFloat(a, b *float64) bool  { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func equalTime(a, b *time.Time) bool { return (a == nil) == (b == nil) && (a == nil || a.Equal(*b)) }

// SetState persists st and applies it at once on this host; others follow
// on their next poll.
func (s *DBStore) SetState(ctx context.Context, id string, st RuleState, setBy string) (RuleState, error) {
	if st.State == "" {
		st.State = model.RuleEnabled
	}
	if err := validState(st); err != nil {
		return RuleState{}, err
	}
	s.mu.Lock()
	_, known := s.rules[id]
	s.mu.Unlock()
	if !known {
		return RuleState{}, fmt.Errorf("%w: %q", ErrUnknownRule, id)
	}
	st.SetBy, st.SetAt = setBy, s.now().UTC()
	saved, err := s.repo.SetRuleState(ctx, stateToModel(id, st))
	if err != nil {
		return RuleState{}, fmt.Errorf("set ttp rule state %s: %w", id, err)
	}
	if st, err = stateFromModel(saved); err != nil {
		return RuleState{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.states[id] = st
	for _, idx := range s.idxs {
		if r := s.rules[id]; r != nil && idx.Accepts(r) {
			idx.Install(s.effective(r))
		}
	}
	return st, nil
}

// ClearState reverts rule id to enabled.
func (s *DBStore) ClearState(ctx context.Context, id string) error {
	if err := s.repo.DeleteRuleState(ctx, id); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.states, id)
	for _, idx := range s.idxs {
		if r := s.rules[id]; r != nil && idx.Accepts(r) {
			idx.Install(r)
		}
	}
	return nil
}

// Start polls the rows every interval until Close.
func (s *DBStore) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		return errors.New("ttp: database rule store already started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := s.poll(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("ttp: reading rule rows failed; keeping the rules in force", "err", err)
				}
			}
		}
	}()
	return nil
}

// Close stops polling.
func (s *DBStore) Close() error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	return nil
}

// SyncRules makes the ttp_rule rows mirror rules (the master's filesystem
// pack): changed texts are upserted, rows of rules that are gone deleted.
// It returns how many rows it wrote or removed.
func SyncRules(ctx context.Context, repo RuleRowRepo, rules []*Rule, by string) (int, error) {
	rows, err := repo.ListTTPRules(ctx)
	if err != nil {
		return 0, err
	}
	stored := map[string]string{}
	for _, r := range rows {
		stored[r.RuleID] = r.YAMLContent
	}
	n := 0
	want := map[string]bool{}
	for _, r := range rules {
		want[r.ID] = true
		if r.Text == "" || stored[r.ID] == r.Text {
			continue
		}
		if err := repo.UpsertTTPRule(ctx, model.TTPRuleRow{RuleID: r.ID, RuleVersion: r.Version,
			SourcePath: r.SourcePath, YAMLContent: r.Text, UpdatedBy: by}); err != nil {
			return n, err
		}
		n++
	}
	for id := range stored {
		if !want[id] {
			if err := repo.DeleteTTPRule(ctx, id); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}
