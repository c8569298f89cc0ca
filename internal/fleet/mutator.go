package fleet

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// Service rotation (fleet.md §3.7): a new set of 1–3 services, different
// from the current one, drawn at most mutateAttempts times.
const (
	mutateMin      = 1
	mutateMax      = 3
	mutateAttempts = 20
)

// Mutation triggers (fleet.md §3.7) this build produces.
const (
	// TriggerOperator is a mutation an operator asked for.
	TriggerOperator = "operator"
	// TriggerScheduled is a mutation whose interval elapsed.
	TriggerScheduled = "scheduled"
)

// DefaultMutateEvery is how often the scheduled rotation looks for due
// deckies (the original's watch loop period).
const DefaultMutateEvery = 10 * time.Second

// ErrNothingToPick is the kind of error Mutate returns when no service set
// other than the current one can be drawn (one-service archetypes).
var ErrNothingToPick = errors.New("no other service set to pick")

// PickServices draws a set of 1–3 services from pool, in pool order,
// different from current, trying at most 20 times. ok is false when every
// draw gave the current set (or the pool is empty).
func PickServices(r *decky.Rand, pool, current []string) (pick []string, ok bool) {
	if len(pool) == 0 {
		return nil, false
	}
	cur := comboKey(current)
	for range mutateAttempts {
		n := r.IntRange(mutateMin, min(mutateMax, len(pool)))
		idx := make([]int, len(pool))
		for i := range idx {
			idx[i] = i
		}
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:n]
		slices.Sort(idx)
		pick = pick[:0]
		for _, i := range idx {
			pick = append(pick, pool[i])
		}
		if comboKey(pick) != cur {
			return slices.Clone(pick), true
		}
	}
	return nil, false
}

func comboKey(s []string) string {
	c := slices.Clone(s)
	slices.Sort(c)
	return strings.Join(c, ",")
}

// servicePool is what a decky may rotate through: its archetype's services
// this build has, or every per-decky service; fleet singletons never.
func (m *Manager) servicePool(d model.Decky) []string {
	var src []string
	if a, err := decky.LookupArchetype(d.Archetype); d.Archetype != "" && err == nil {
		src = a.Services
	} else {
		src = m.o.Catalog.Names()
	}
	sc, _ := m.o.Catalog.(singletonCatalog)
	var out []string
	for _, s := range src {
		if m.o.Catalog.Known(s) && (sc == nil || !sc.Singleton(s)) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// MutationNotice is the payload of decky.<name>.mutation (pipeline.md §2).
type MutationNotice struct {
	Decky       string   `json:"decky"`
	OldServices []string `json:"old_services"`
	NewServices []string `json:"new_services"`
	Trigger     string   `json:"trigger"`
	Actor       string   `json:"actor,omitempty"`
}

// Mutate gives a decky a new service set now, records a mutate lifecycle
// row (the runtime restarts the decky and completes it), emits a
// decky_mutated event and announces decky.<name>.mutation. An unknown
// decky is ErrNotFound; a decky with no other set to draw is an OpError of
// kind ErrNotFound wrapping ErrNothingToPick.
func (m *Manager) Mutate(ctx context.Context, name, trigger, actor string) (model.Lifecycle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.decky(ctx, name)
	if err != nil {
		return model.Lifecycle{}, err
	}
	return m.mutate(ctx, d, trigger, actor)
}

// mutate is Mutate with m.mu held and d loaded.
func (m *Manager) mutate(ctx context.Context, d model.Decky, trigger, actor string) (model.Lifecycle, error) {
	pick, ok := PickServices(m.rnd, m.servicePool(d), d.Services)
	if !ok {
		return model.Lifecycle{}, &nothingToPick{OpError{Kind: ErrNotFound,
			Msg: "No other service set to pick for decky " + d.Name}}
	}
	old := d.Services
	d.Services = pick
	d.LastMutated = m.o.Now().UTC()
	if err := m.o.Repo.UpdateDecky(ctx, d); err != nil {
		return model.Lifecycle{}, err
	}
	l, err := m.newLifecycle(ctx, d.Name, model.LifecycleMutate)
	if err != nil {
		return l, err
	}
	m.o.Kick()
	fields := map[string]string{"decky": d.Name, "old_services": strings.Join(old, ","),
		"new_services": strings.Join(pick, ","), "trigger": trigger}
	if actor != "" {
		fields["actor"] = actor
	}
	// The original wrote decky_mutated to the log file only, so it never
	// reached the logs table (pipeline.md QUIRK 14); here it is an event
	// like any other and is stored.
	services.NewEmitter("mutator", services.EmitterOptions{
		Publisher: m.o.Events, File: m.o.LogFile, Decky: d.Name, IP: d.IP, Logger: m.o.Logger, Now: m.o.Now,
	}).Emit(model.Event{EventType: "decky_mutated", Fields: fields,
		Msg: "services " + fields["old_services"] + " -> " + fields["new_services"]})
	m.notify(ctx, d.Name, bus.DeckyMutation, MutationNotice{Decky: d.Name, OldServices: old, NewServices: pick,
		Trigger: trigger, Actor: actor})
	return l, nil
}

// nothingToPick is the OpError of a decky without another service set; it
// also matches ErrNothingToPick.
type nothingToPick struct{ OpError }

func (e *nothingToPick) Unwrap() []error { return []error{e.Kind, ErrNothingToPick} }

// MutateDue rotates every deployed decky whose interval has elapsed since
// its last mutation (or its creation) and returns how many it rotated. A
// decky's own interval wins; model.MutateIntervalGlobal uses the global
// one; 0 never rotates. A decky with nothing else to pick gets its
// last_mutated stamped, so it is looked at again one interval later rather
// than on every pass.
func (m *Manager) MutateDue(ctx context.Context) (int, error) {
	_, global, err := m.GlobalMutationInterval(ctx)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rows, err := m.o.Repo.ListDeckies(ctx, m.o.HostUUID)
	if err != nil {
		return 0, err
	}
	now := m.o.Now()
	n := 0
	var errs []error
	for _, d := range rows {
		every := d.MutateInterval
		if every == model.MutateIntervalGlobal {
			every = global
		}
		if d.State == model.DeckyTornDown || every <= 0 {
			continue
		}
		last := d.LastMutated
		if last.IsZero() {
			last = d.CreatedAt
		}
		if now.Sub(last) < time.Duration(every)*time.Minute {
			continue
		}
		_, err := m.mutate(ctx, d, TriggerScheduled, "")
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrNothingToPick):
			d.LastMutated = now.UTC()
			if err := m.o.Repo.UpdateDecky(ctx, d); err != nil {
				errs = append(errs, err)
			}
		default:
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// RunMutator rotates due deckies every interval until ctx ends. Errors are
// logged once per distinct message.
func (m *Manager) RunMutator(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultMutateEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.MutateDue(ctx); err != nil && ctx.Err() == nil && err.Error() != last {
			last = err.Error()
			m.o.Logger.Warn("fleet: scheduled mutation", "err", err)
		}
	}
}
