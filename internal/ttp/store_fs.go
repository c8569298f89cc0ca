package ttp

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/decnet/decnet/internal/model"
	ttprules "github.com/decnet/decnet/rules/ttp"
)

// DefaultReloadDebounce is how long the watcher waits after the last event
// on a rule file before compiling it: editors write a file in several steps
// (create, truncate, write, rename), and 100 ms covers them while keeping a
// reload well under the 500 ms target.
const DefaultReloadDebounce = 100 * time.Millisecond

// expirySweep is how often the watcher reverts expired rule states, so a
// rule whose clip or disable expired fires again without anyone reading it.
const expirySweep = time.Second

// changeBuffer is each subscriber's channel capacity: a whole pack reload
// fits without blocking the watcher.
const changeBuffer = 256

// ErrUnknownRule is returned for a state change on a rule id the store does
// not hold.
var ErrUnknownRule = errors.New("unknown ttp rule")

// ErrNoStateRepo is returned by state changes on a store built without a
// StateRepo.
var ErrNoStateRepo = errors.New("ttp rule store has no state repository")

// StateRepo persists operators' rule states (ttp_rule_state). The SQL store
// implements it; the rule store only needs these three calls.
type StateRepo interface {
	ListRuleStates(ctx context.Context) (map[string]model.TTPRuleState, error)
	SetRuleState(ctx context.Context, st model.TTPRuleState) (model.TTPRuleState, error)
	DeleteRuleState(ctx context.Context, ruleID string) error
}

// RuleChange is one change to one rule, never batched: a new or edited
// definition or a state change (Rule set, with its state), a deletion (Rule
// nil), or a file that failed to compile (Err set; the previous definition
// stays in force).
type RuleChange struct {
	RuleID string
	Rule   *Rule
	Err    error
}

// RuleError is a rule file that failed to load, kept so the API can list it
// as an error row next to the rules.
type RuleError struct {
	RuleID string // the file's stem; may not be a valid rule id
	Path   string
	Err    error
}

// Error makes a RuleError usable where an error is expected; the message
// already names the file.
func (e RuleError) Error() string { return e.Err.Error() }

// FSStoreOptions configures a filesystem rule store. Zero values are the
// defaults.
type FSStoreOptions struct {
	// Embedded is the default pack (nil: the shipped rules/ttp pack).
	Embedded fs.FS
	// Dir is an optional operator directory (DECNET_TTP_RULES_DIR, read by
	// the caller): a file there replaces the embedded rule with its id and
	// is hot-reloaded once Start runs.
	Dir string
	// States persists rule states; nil leaves every rule enabled and makes
	// SetState fail with ErrNoStateRepo.
	States StateRepo
	// Logger receives reload and error logs; nil means slog.Default().
	Logger *slog.Logger
	// Debounce overrides DefaultReloadDebounce.
	Debounce time.Duration
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

func (o FSStoreOptions) withDefaults() FSStoreOptions {
	if o.Embedded == nil {
		o.Embedded = ttprules.FS
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Debounce <= 0 {
		o.Debounce = DefaultReloadDebounce
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// FSStore is the filesystem rule store: the embedded pack overlaid by an
// optional directory, with hot reload, persisted rule states and one change
// stream per subscriber. It is safe for concurrent use.
type FSStore struct {
	o   FSStoreOptions
	log *slog.Logger

	mu       sync.Mutex // guards everything below
	embedded map[string]*Rule
	overlay  map[string]*Rule     // rule id → rule from Dir
	byName   map[string]string    // file name in Dir → rule id
	hashes   map[string][32]byte  // file name in Dir → last content seen
	errs     map[string]RuleError // path → load error
	states   map[string]RuleState
	subs     []chan RuleChange
	started  bool
	closed   bool
	done     chan struct{}
	wg       sync.WaitGroup

	// procMu serialises compiling and publishing, so subscribers see the
	// changes of one file in the order they happened.
	procMu sync.Mutex
	// pubMu is held (read) while sending to subscribers and (write) while
	// Close closes their channels, so no send hits a closed channel.
	pubMu sync.RWMutex
}

// OpenFSStore loads the embedded pack, the overlay directory and the
// persisted states. Bad rule files do not fail it: they are logged and kept
// in Errors(). It fails only when Dir is set but unreadable or the states
// cannot be listed.
func OpenFSStore(ctx context.Context, o FSStoreOptions) (*FSStore, error) {
	o = o.withDefaults()
	s := &FSStore{
		o: o, log: o.Logger,
		embedded: map[string]*Rule{}, overlay: map[string]*Rule{}, byName: map[string]string{},
		hashes: map[string][32]byte{}, errs: map[string]RuleError{}, states: map[string]RuleState{},
		done: make(chan struct{}),
	}
	rules, errs := LoadRules(o.Embedded, ".")
	for _, r := range rules {
		s.embedded[r.ID] = r
	}
	for _, err := range errs {
		s.log.Error("ttp: embedded rule failed to load", "err", err)
		p := errPath(err)
		s.errs["embedded:"+p] = RuleError{RuleID: stemOf(p), Path: p, Err: err}
	}
	if o.Dir != "" {
		ents, err := os.ReadDir(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("ttp rules dir: %w", err)
		}
		for _, ent := range ents {
			if !ent.IsDir() && IsRuleFileName(ent.Name()) {
				s.loadFile(ent.Name())
			}
		}
	}
	if o.States != nil {
		rows, err := o.States.ListRuleStates(ctx)
		if err != nil {
			return nil, fmt.Errorf("ttp rule states: %w", err)
		}
		now := o.Now()
		for id, row := range rows {
			st, err := stateFromModel(row)
			if err != nil {
				s.log.Error("ttp: ignoring invalid rule state", "rule_id", id, "err", err)
				continue
			}
			if expired(st, now) {
				if err := o.States.DeleteRuleState(ctx, id); err != nil {
					s.log.Warn("ttp: could not revert expired rule state", "rule_id", id, "err", err)
				}
				continue
			}
			s.states[id] = st
		}
	}
	return s, nil
}

// errPath recovers the file path that starts a ParseRule/LoadRules error.
func errPath(err error) string {
	p, _, _ := strings.Cut(err.Error(), ": ")
	return p
}

func stemOf(p string) string {
	b := filepath.Base(p)
	return strings.TrimSuffix(strings.TrimSuffix(b, ".yaml"), ".yml")
}

// Rules returns every effective rule (the overlay's, else the embedded
// one) with its state, sorted by id.
func (s *FSStore) Rules() []*Rule {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.embedded)+len(s.overlay))
	for id := range s.embedded {
		ids = append(ids, id)
	}
	for id := range s.overlay {
		if s.embedded[id] == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := make([]*Rule, 0, len(ids))
	for _, id := range ids {
		out = append(out, s.effectiveLocked(id))
	}
	return out
}

// Errors returns the rule files that currently fail to load, sorted by
// path.
func (s *FSStore) Errors() []RuleError {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RuleError, 0, len(s.errs))
	for _, e := range s.errs {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// effectiveLocked is rule id as taggers should see it, or nil; s.mu must
// be held.
func (s *FSStore) effectiveLocked(id string) *Rule {
	r := s.overlay[id]
	if r == nil {
		r = s.embedded[id]
	}
	if r == nil {
		return nil
	}
	st, ok := s.states[id]
	if !ok {
		return r
	}
	nr := *r
	nr.State = st
	return &nr
}

// Changes registers a new subscriber and returns its channel of rule
// changes; it is closed by Close. Each call is a separate subscriber, so
// every tagger's index gets every change. The subscriber must keep reading:
// a full channel holds up reloads (a change is never dropped).
func (s *FSStore) Changes() <-chan RuleChange {
	ch := make(chan RuleChange, changeBuffer)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch
	}
	s.subs = append(s.subs, ch)
	return ch
}

// publish delivers changes to every subscriber, waiting for slow ones
// rather than dropping a change (a dropped deletion would keep a rule
// alive). It gives up only when the store closes.
func (s *FSStore) publish(changes []RuleChange) {
	if len(changes) == 0 {
		return
	}
	s.pubMu.RLock()
	defer s.pubMu.RUnlock()
	s.mu.Lock()
	subs := slices.Clone(s.subs)
	s.mu.Unlock()
	for _, c := range changes {
		for _, ch := range subs {
			select {
			case ch <- c:
			case <-s.done:
				return
			}
		}
	}
}

// Watch keeps idx in step with the store until ctx ends or the store
// closes: it subscribes, installs the current rules, then applies every
// change (a failed compile keeps the previous rule). It blocks; Attach is
// the non-blocking form.
func (s *FSStore) Watch(ctx context.Context, idx *RuleIndex) {
	ch := s.Changes()
	idx.Replace(s.Rules())
	s.follow(ctx, idx, ch)
}

// Attach installs the current rules into idx before returning, so the
// first event is evaluated against the whole pack, then keeps idx in step
// in the background until ctx ends or the store closes.
func (s *FSStore) Attach(ctx context.Context, idx *RuleIndex) {
	ch := s.Changes()
	idx.Replace(s.Rules())
	go s.follow(ctx, idx, ch)
}

func (s *FSStore) follow(ctx context.Context, idx *RuleIndex, ch <-chan RuleChange) {
	defer s.unsubscribe(ch)
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-ch:
			if !ok {
				return
			}
			switch {
			case c.Err != nil:
			case c.Rule == nil:
				idx.Evict(c.RuleID)
			default:
				idx.Install(c.Rule)
			}
		}
	}
}

// unsubscribe stops deliveries to ch, then drains it so a publish that
// already picked ch up never blocks on it.
func (s *FSStore) unsubscribe(ch <-chan RuleChange) {
	s.mu.Lock()
	s.subs = slices.DeleteFunc(s.subs, func(c chan RuleChange) bool { return c == ch })
	s.mu.Unlock()
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// Start watches Dir for rule-file changes (if a directory is set) and
// sweeps expired states, until Close. Calling it twice is an error.
func (s *FSStore) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("ttp rule store is closed")
	}
	if s.started {
		return errors.New("ttp rule store already started")
	}
	var w *fsnotify.Watcher
	if s.o.Dir != "" {
		var err error
		if w, err = fsnotify.NewWatcher(); err != nil {
			return fmt.Errorf("ttp rules watcher: %w", err)
		}
		if err := w.Add(s.o.Dir); err != nil {
			w.Close()
			return fmt.Errorf("ttp rules watcher: %w", err)
		}
	}
	s.started = true
	s.wg.Add(1)
	go s.run(w)
	return nil
}

// Close stops the watcher and closes every subscriber's channel.
func (s *FSStore) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	s.wg.Wait()
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		close(ch)
	}
	s.subs = nil
	return nil
}

func (s *FSStore) run(w *fsnotify.Watcher) {
	defer s.wg.Done()
	var events <-chan fsnotify.Event
	var werrs <-chan error
	if w != nil {
		defer w.Close()
		events, werrs = w.Events, w.Errors
	}
	sweep := time.NewTicker(expirySweep)
	defer sweep.Stop()
	debounce := time.NewTimer(time.Hour)
	debounce.Stop()
	pending := map[string]bool{}
	for {
		select {
		case <-s.done:
			return
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			name := filepath.Base(ev.Name)
			if filepath.Dir(ev.Name) != filepath.Clean(s.o.Dir) || !IsRuleFileName(name) ||
				!ev.Has(fsnotify.Create|fsnotify.Write|fsnotify.Rename|fsnotify.Remove) {
				continue
			}
			pending[name] = true
			debounce.Reset(s.o.Debounce)
		case err, ok := <-werrs:
			if !ok {
				werrs = nil
				continue
			}
			s.log.Warn("ttp: rules watcher error", "err", err)
		case <-debounce.C:
			names := make([]string, 0, len(pending))
			for n := range pending {
				names = append(names, n)
			}
			clear(pending)
			sort.Strings(names)
			for _, n := range names {
				s.reload(n)
			}
		case <-sweep.C:
			s.sweepExpired(context.Background())
		}
	}
}

// reload compiles one file of Dir after a change and publishes the result.
func (s *FSStore) reload(name string) {
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if c, ok := s.loadFile(name); ok {
		if c.Err != nil {
			s.log.Error("ttp: rule file failed to compile; keeping the previous version", "file", name, "err", c.Err)
		} else {
			s.log.Info("ttp: rule reloaded", "rule_id", c.RuleID, "deleted", c.Rule == nil)
		}
		s.publish([]RuleChange{c})
	}
}

// loadFile (re)reads one file of Dir and returns the change it makes, if
// any: a deletion falls back to the embedded rule of that id, an empty file
// or unchanged content is no change, and a bad file is an error change.
func (s *FSStore) loadFile(name string) (RuleChange, bool) {
	p := filepath.Join(s.o.Dir, name)
	data, err := readLimited(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	stem := stemOf(name)
	if errors.Is(err, fs.ErrNotExist) {
		_, hadErr := s.errs[p]
		delete(s.hashes, name)
		delete(s.errs, p)
		id, had := s.byName[name]
		if !had {
			if !hadErr {
				return RuleChange{}, false
			}
			return RuleChange{RuleID: stem, Rule: s.effectiveLocked(stem)}, true
		}
		delete(s.byName, name)
		delete(s.overlay, id)
		return RuleChange{RuleID: id, Rule: s.effectiveLocked(id)}, true
	}
	if err != nil {
		err = fmt.Errorf("%s: %s", p, oneLine(err.Error()))
		s.errs[p] = RuleError{RuleID: stem, Path: p, Err: err}
		return RuleChange{RuleID: stem, Err: err}, true
	}
	if len(data) == 0 {
		return RuleChange{}, false // truncated mid-save; the write event follows
	}
	h := sha256.Sum256(data)
	if prev, ok := s.hashes[name]; ok && prev == h {
		return RuleChange{}, false
	}
	s.hashes[name] = h
	r, err := ParseRule(data, p)
	if err != nil {
		s.errs[p] = RuleError{RuleID: stem, Path: p, Err: err}
		return RuleChange{RuleID: stem, Err: err}, true
	}
	delete(s.errs, p)
	s.overlay[r.ID] = r
	s.byName[name] = r.ID
	return RuleChange{RuleID: r.ID, Rule: s.effectiveLocked(r.ID)}, true
}

func readLimited(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRuleFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxRuleFileSize {
		return nil, fmt.Errorf("rule file is over the %d-byte limit", MaxRuleFileSize)
	}
	return data, nil
}

// State returns rule id's state; an expired one is reverted to enabled
// (its row deleted and a change published) and the default returned.
func (s *FSStore) State(ctx context.Context, id string) RuleState {
	s.mu.Lock()
	st, ok := s.states[id]
	s.mu.Unlock()
	if !ok {
		return RuleState{State: model.RuleEnabled}
	}
	if expired(st, s.o.Now()) {
		s.revert(ctx, id)
		return RuleState{State: model.RuleEnabled}
	}
	return st
}

// SetState persists st for rule id (stamping SetBy and SetAt) and publishes
// the re-stamped rule. It fails for an unknown rule, an invalid state, or
// when the repository does.
func (s *FSStore) SetState(ctx context.Context, id string, st RuleState, setBy string) (RuleState, error) {
	if s.o.States == nil {
		return RuleState{}, ErrNoStateRepo
	}
	if st.State == "" {
		st.State = model.RuleEnabled
	}
	if err := validState(st); err != nil {
		return RuleState{}, err
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	s.mu.Lock()
	known := s.effectiveLocked(id) != nil
	s.mu.Unlock()
	if !known {
		return RuleState{}, fmt.Errorf("%w: %q", ErrUnknownRule, id)
	}
	st.SetBy, st.SetAt = setBy, s.o.Now().UTC()
	saved, err := s.o.States.SetRuleState(ctx, stateToModel(id, st))
	if err != nil {
		return RuleState{}, fmt.Errorf("set ttp rule state %s: %w", id, err)
	}
	if st, err = stateFromModel(saved); err != nil {
		return RuleState{}, err
	}
	s.mu.Lock()
	s.states[id] = st
	r := s.effectiveLocked(id)
	s.mu.Unlock()
	s.publish([]RuleChange{{RuleID: id, Rule: r}})
	return st, nil
}

// ClearState deletes rule id's state, reverting it to enabled, and
// publishes the change.
func (s *FSStore) ClearState(ctx context.Context, id string) error {
	if s.o.States == nil {
		return ErrNoStateRepo
	}
	s.procMu.Lock()
	defer s.procMu.Unlock()
	if err := s.o.States.DeleteRuleState(ctx, id); err != nil {
		return fmt.Errorf("clear ttp rule state %s: %w", id, err)
	}
	s.mu.Lock()
	delete(s.states, id)
	r := s.effectiveLocked(id)
	s.mu.Unlock()
	if r != nil {
		s.publish([]RuleChange{{RuleID: id, Rule: r}})
	}
	return nil
}

func (s *FSStore) revert(ctx context.Context, id string) {
	if err := s.ClearState(ctx, id); err != nil {
		s.log.Warn("ttp: could not revert expired rule state", "rule_id", id, "err", err)
		return
	}
	s.log.Info("ttp: rule state expired; reverted to enabled", "rule_id", id)
}

func (s *FSStore) sweepExpired(ctx context.Context) {
	now := s.o.Now()
	var ids []string
	s.mu.Lock()
	for id, st := range s.states {
		if expired(st, now) {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	sort.Strings(ids)
	for _, id := range ids {
		s.revert(ctx, id)
	}
}

func expired(st RuleState, now time.Time) bool {
	return st.ExpiresAt != nil && !now.Before(*st.ExpiresAt)
}

func validState(st RuleState) error {
	switch st.State {
	case model.RuleEnabled, model.RuleDisabled, model.RuleClipped:
	default:
		return fmt.Errorf("rule state %q is not enabled, disabled or clipped", st.State)
	}
	if st.ConfidenceMax != nil && !(*st.ConfidenceMax >= 0 && *st.ConfidenceMax <= 1) {
		return fmt.Errorf("confidence_max %v is not in [0,1]", *st.ConfidenceMax)
	}
	return nil
}

func stateFromModel(m model.TTPRuleState) (RuleState, error) {
	st := RuleState{State: m.State, ConfidenceMax: m.ConfidenceMax, ExpiresAt: m.ExpiresAt, Reason: m.Reason,
		SetBy: m.SetBy, SetAt: m.SetAt}
	if st.State == "" {
		st.State = model.RuleEnabled
	}
	return st, validState(st)
}

func stateToModel(id string, st RuleState) model.TTPRuleState {
	return model.TTPRuleState{RuleID: id, State: st.State, ConfidenceMax: st.ConfidenceMax, ExpiresAt: st.ExpiresAt,
		Reason: st.Reason, SetBy: st.SetBy, SetAt: st.SetAt}
}
