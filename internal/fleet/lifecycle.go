package fleet

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/store"
)

// LifecycleNotice is the payload of decky.<name>.lifecycle (pipeline.md §2):
// the row as stored, with its id also under lifecycle_id, the name the
// original's subscribers read.
type LifecycleNotice struct {
	LifecycleID string `json:"lifecycle_id"`
	model.Lifecycle
}

// publishLifecycle announces a lifecycle row's new status. A lost notice
// only delays the dashboard: the row is in the database.
func publishLifecycle(ctx context.Context, n services.Notifier, l model.Lifecycle, log logger) {
	if n == nil {
		return
	}
	subj, err := bus.DeckyLifecycle(l.DeckyName)
	if err != nil {
		log.Warn("fleet: no lifecycle subject for decky", "decky", l.DeckyName, "err", err)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := n.Publish(pctx, subj, "lifecycle", LifecycleNotice{LifecycleID: l.ID, Lifecycle: l}); err != nil {
		log.Warn("fleet: lifecycle notice not published", "decky", l.DeckyName, "err", err)
	}
}

// logger is the part of slog.Logger the helpers here use.
type logger interface {
	Warn(msg string, args ...any)
}

// beginLifecycles reads the host's open lifecycle rows and marks the
// pending ones running: this pass is the one applying them.
func (r *Runtime) beginLifecycles(ctx context.Context) []model.Lifecycle {
	if r.o.Lifecycles == nil {
		return nil
	}
	open, err := r.o.Lifecycles.OpenLifecycles(ctx, r.o.HostUUID)
	if err != nil {
		r.o.Logger.Warn("fleet: read lifecycle rows", "err", err)
		return nil
	}
	for i, l := range open {
		if l.Status != model.LifecyclePending {
			continue
		}
		if open[i], err = r.markLifecycle(ctx, l, model.LifecycleRunning, ""); err != nil {
			open[i] = l
		}
	}
	return open
}

// finishLifecycles completes the open rows whose operation the fleet now
// reflects. A decky that started degraded (some services failed) counts as
// succeeded, with the failing services in the error: it serves, and its
// state column says degraded. Rows whose outcome is not known yet stay
// running for the next pass.
func (r *Runtime) finishLifecycles(ctx context.Context, open []model.Lifecycle, want map[string]model.Decky) {
	for _, l := range open {
		if l.Terminal() {
			continue
		}
		status, msg, done := r.outcome(l, want)
		if done {
			_, _ = r.markLifecycle(ctx, l, status, msg)
		}
	}
}

// outcome decides a lifecycle row against what runs now.
func (r *Runtime) outcome(l model.Lifecycle, want map[string]model.Decky) (status, msg string, done bool) {
	d, wanted := want[l.DeckyName]
	r.mu.Lock()
	defer r.mu.Unlock()
	run, running := r.running[l.DeckyName]
	if l.Operation == model.LifecycleTeardown {
		switch {
		case !wanted && !running:
			return model.LifecycleSucceeded, "", true
		case wanted:
			return model.LifecycleSucceeded, "superseded: the decky was deployed again", true
		}
		return "", "", false
	}
	if !wanted {
		return model.LifecycleFailed, "the decky was removed before the operation took effect", true
	}
	if running && !changed(run.d, d) {
		var failures []string
		for _, s := range run.services {
			if s.Error != "" {
				failures = append(failures, s.Name+": "+s.Error)
			}
		}
		if len(failures) > 0 {
			return model.LifecycleSucceeded, "degraded: " + strings.Join(failures, "; "), true
		}
		return model.LifecycleSucceeded, "", true
	}
	if f, ok := r.failed[l.DeckyName]; ok && !changed(f, d) && !running {
		return model.LifecycleFailed, r.failErr[l.DeckyName], true
	}
	return "", "", false
}

// markLifecycle records a status and announces it. A row another writer
// already completed is left alone.
func (r *Runtime) markLifecycle(ctx context.Context, l model.Lifecycle, status, msg string) (model.Lifecycle, error) {
	got, err := r.o.Lifecycles.MarkLifecycle(context.WithoutCancel(ctx), l.ID, status, msg)
	if err != nil {
		if !errors.Is(err, store.ErrConflict) {
			r.o.Logger.Warn("fleet: could not record lifecycle status", "lifecycle", l.ID, "status", status, "err", err)
		}
		return l, err
	}
	publishLifecycle(ctx, r.o.Notify, got, r.o.Logger)
	return got, nil
}
