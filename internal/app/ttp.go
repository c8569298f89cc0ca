package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/decnet/decnet/internal/api"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// ttpWorkers is how many notifications are tagged at once; anchor waits
// for the profiler block one each.
const ttpWorkers = 4

// startTTP loads the ATT&CK catalogue and the rule pack and runs the TTP
// worker on the event stream (its own durable consumer) and on the
// notifications it tags, both shared with other processes.
func (a *App) startTTP(ctx context.Context) error {
	cat, err := attack.Open(a.cfg.AttackBundle)
	if err != nil {
		return err
	}
	a.attack = cat
	stack, err := ttp.NewStack(ctx, ttp.StackOptions{
		RulesDir:      a.cfg.TTPRulesDir,
		States:        a.store,
		StoreType:     a.cfg.TTPRuleStore,
		Rows:          a.store,
		Notify:        a.publishRuleNotice,
		Catalog:       cat,
		ArtifactsRoot: filepath.Join(a.cfg.DataDir, "artifacts"),
		Logger:        a.log.With("part", "ttp"),
	})
	if err != nil {
		return err
	}
	a.ttpStack = stack
	w, err := ttp.NewWorker(ttp.WorkerOptions{
		Tagger: stack.Tagger, Tags: a.store, Attackers: a.store, Sources: a.store, Publisher: a.bus,
		Logger: a.log.With("part", "ttp"),
	})
	if err != nil {
		return err
	}
	consumer, err := a.bus.EventConsumer(ctx, ttp.DurableName)
	if err != nil {
		return fmt.Errorf("bus: create ttp consumer: %v", err)
	}
	a.goRun(func() { w.RunStream(ctx, consumer) })
	a.goRun(func() {
		if err := w.RunNotifications(ctx, a.bus, ttpWorkers); err != nil {
			a.log.Error("ttp notifications not tagged", "err", err)
		}
	})
	a.goRun(func() { a.bus.RunHeartbeat(ctx, "ttp", heartbeatInterval, nil) })
	return nil
}

// publishRuleNotice announces a rule change on ttp.rule.reloaded.<id> or
// ttp.rule.state.<id>, for dashboards and SIEMs following the rule pack.
func (a *App) publishRuleNotice(n ttp.RuleNotice) {
	subject, typ := bus.TTPRuleState, "rule.state"
	if n.Reloaded {
		subject, typ = bus.TTPRuleReloaded, "rule.reloaded"
	}
	topic, err := subject(n.RuleID)
	if err != nil {
		a.log.Warn("ttp: no subject for the rule", "rule_id", n.RuleID, "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.bus.Publish(ctx, topic, typ, n); err != nil {
		a.log.Warn("ttp: rule change not announced", "topic", topic, "err", err)
	}
}

// ttpRules adapts the rule store to the API's catalogue.
type ttpRules struct{ s ttp.RuleStore }

// Catalogue lists every loaded rule with its live state, in the store's id
// order, then each file that failed to load as an error row.
func (r ttpRules) Catalogue() []api.RuleRow {
	var out []api.RuleRow
	for _, rule := range r.s.Rules() {
		st := rule.State
		row := api.RuleRow{RuleID: rule.ID, RuleVersion: rule.Version, Name: rule.Name, Description: rule.Description,
			AppliesTo: slices.Clone(rule.AppliesTo), State: st.State, ConfidenceMax: st.ConfidenceMax,
			ExpiresAt: st.ExpiresAt, Reason: st.Reason, SetBy: st.SetBy, Source: rule.SourcePath}
		if row.State == "" {
			row.State = model.RuleEnabled
		}
		if !st.SetAt.IsZero() {
			t := st.SetAt
			row.SetAt = &t
		}
		for _, e := range rule.Emits {
			id := e.TechniqueID
			if e.SubTechniqueID != "" {
				id = e.SubTechniqueID
			}
			row.Techniques = append(row.Techniques, id)
		}
		out = append(out, row)
	}
	for _, e := range r.s.Errors() {
		out = append(out, api.RuleRow{RuleID: e.RuleID, Source: e.Path, State: "error", Error: e.Err.Error()})
	}
	return out
}

// SetState stores and applies an operator's state.
func (r ttpRules) SetState(ctx context.Context, m model.TTPRuleState) (model.TTPRuleState, error) {
	st, err := r.s.SetState(ctx, m.RuleID, ttp.RuleState{State: m.State, ConfidenceMax: m.ConfidenceMax,
		ExpiresAt: m.ExpiresAt, Reason: m.Reason}, m.SetBy)
	if errors.Is(err, ttp.ErrUnknownRule) {
		return m, fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	if err != nil {
		return m, err
	}
	return model.TTPRuleState{RuleID: m.RuleID, State: st.State, ConfidenceMax: st.ConfidenceMax,
		ExpiresAt: st.ExpiresAt, Reason: st.Reason, SetBy: st.SetBy, SetAt: st.SetAt}, nil
}

// ClearState reverts a rule to enabled.
func (r ttpRules) ClearState(ctx context.Context, id, _ string) error {
	if !slices.ContainsFunc(r.s.Rules(), func(rule *ttp.Rule) bool { return rule.ID == id }) {
		return fmt.Errorf("%w: rule %s", store.ErrNotFound, id)
	}
	return r.s.ClearState(ctx, id)
}

// RunTTPWorker runs the TTP worker on its own (decnet ttp) against a
// running deployment's NATS server and database, until ctx ends. It shares
// the stream consumer and the notification queue group with every other
// TTP worker, so several can run side by side.
func RunTTPWorker(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.NATSURL == "" {
		return errors.New("decnet ttp joins a running deployment: set DECNET_NATS_URL to its NATS server " +
			"(decnet up already runs the TTP worker)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: log, out: io.Discard, fatal: make(chan error, 1)}
	defer a.closeParts()
	var err error
	if a.store, err = openStore(ctx, cfg, log); err != nil {
		return err
	}
	if err := a.store.Migrate(ctx); err != nil {
		return fmt.Errorf("database migration failed: %v", err)
	}
	if a.bus, err = bus.Open(ctx, bus.Options{URL: cfg.NATSURL, SubjectPrefix: cfg.NATSPrefix, Name: "decnet-ttp",
		Logger: log.With("part", "bus")}); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := a.startTTP(wctx); err != nil {
		return err
	}
	if _, err := a.bus.OnControl("ttp", cancel); err != nil {
		return fmt.Errorf("bus: subscribe to ttp control: %v", err)
	}
	log.Info("ttp worker running", "rules", len(a.ttpStack.Store.Rules()), "attack", a.attack.Release())
	<-wctx.Done()
	a.wg.Wait()
	return nil
}
