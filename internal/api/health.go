package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
)

// Health check bounds. The timeout keeps a wedged dependency from stalling
// the endpoint; the cache keeps a polling dashboard (or a flood) from turning
// into one database probe per request.
const (
	healthCheckTimeout = 2 * time.Second
	healthCacheTTL     = time.Second
)

// Overall and per-component health states.
const (
	healthHealthy   = "healthy"
	healthDegraded  = "degraded"
	healthUnhealthy = "unhealthy"
	componentOK     = "ok"
	componentFail   = "failing"
)

// Fixed failure details. The real error is logged, never sent: driver and
// network errors name hosts, paths and versions.
const (
	detailUnreachable = "unreachable"
	detailTimeout     = "timeout"
)

// HealthComponent is one dependency GET /health reports on.
type HealthComponent struct {
	// Name is the key in the response's components object; unique.
	Name string
	// Critical makes a failure report the whole API unhealthy (503) rather
	// than degraded (200).
	Critical bool
	// Check returns nil when the component works. It must honour ctx, which
	// carries the check timeout.
	Check func(ctx context.Context) error
}

type healthReport struct {
	Status     string                     `json:"status"`
	Components map[string]componentStatus `json:"components"`
}

type componentStatus struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// healthChecker runs the checks and caches the report.
type healthChecker struct {
	comps   []HealthComponent
	busy    []atomic.Bool // per component: a check from an earlier run is still going
	now     func() time.Time
	log     *slog.Logger
	timeout time.Duration

	mu       sync.Mutex
	cached   healthReport // guarded by mu
	cachedAt time.Time    // guarded by mu
	fresh    bool         // guarded by mu
}

func newHealthChecker(comps []HealthComponent, now func() time.Time, log *slog.Logger) (*healthChecker, error) {
	seen := make(map[string]bool, len(comps))
	for _, c := range comps {
		switch {
		case c.Name == "":
			return nil, errors.New("health component with empty name")
		case c.Check == nil:
			return nil, fmt.Errorf("health component %q has no check", c.Name)
		case seen[c.Name]:
			return nil, fmt.Errorf("duplicate health component %q", c.Name)
		}
		seen[c.Name] = true
	}
	return &healthChecker{
		comps:   append([]HealthComponent(nil), comps...),
		busy:    make([]atomic.Bool, len(comps)),
		now:     now,
		log:     log,
		timeout: healthCheckTimeout,
	}, nil
}

// report returns the cached report while it is fresh, otherwise runs every
// check. Holding mu while checking makes concurrent callers share one run.
func (h *healthChecker) report(ctx context.Context) healthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fresh && h.now().Sub(h.cachedAt) < healthCacheTTL {
		return h.cached
	}
	// Detached from the request: one caller hanging up must not record a
	// failure that every other caller then sees from the cache.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.timeout)
	defer cancel()

	results := make([]componentStatus, len(h.comps))
	var wg sync.WaitGroup
	for i := range h.comps {
		if !h.busy[i].CompareAndSwap(false, true) {
			// The previous check ignored its deadline and is still running;
			// starting another would pile up goroutines.
			results[i] = componentStatus{Status: componentFail, Detail: detailTimeout}
			continue
		}
		wg.Add(1)
		done := make(chan componentStatus, 1)
		go func() {
			defer h.busy[i].Store(false)
			done <- h.run(ctx, h.comps[i])
		}()
		go func() {
			defer wg.Done()
			select {
			case results[i] = <-done:
			case <-ctx.Done():
				results[i] = componentStatus{Status: componentFail, Detail: detailTimeout}
			}
		}()
	}
	wg.Wait()

	rep := healthReport{Status: healthHealthy, Components: make(map[string]componentStatus, len(h.comps))}
	for i, c := range h.comps {
		rep.Components[c.Name] = results[i]
		if results[i].Status == componentOK {
			continue
		}
		if c.Critical {
			rep.Status = healthUnhealthy
		} else if rep.Status == healthHealthy {
			rep.Status = healthDegraded
		}
	}
	h.cached, h.cachedAt, h.fresh = rep, h.now(), true
	return rep
}

// run performs one check, turning errors and panics into fixed details.
func (h *healthChecker) run(ctx context.Context, c HealthComponent) (st componentStatus) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("health check panicked", "component", c.Name, "panic", fmt.Sprint(v))
			st = componentStatus{Status: componentFail, Detail: detailUnreachable}
		}
	}()
	err := c.Check(ctx)
	if err == nil {
		return componentStatus{Status: componentOK}
	}
	h.log.Warn("health check failed", "component", c.Name, "critical", c.Critical, "error", err)
	if errors.Is(err, context.DeadlineExceeded) {
		return componentStatus{Status: componentFail, Detail: detailTimeout}
	}
	return componentStatus{Status: componentFail, Detail: detailUnreachable}
}

// healthHandler reports component health: 200 healthy or degraded, 503 when
// a critical component fails.
func (s *Server) healthHandler(w http.ResponseWriter, r *http.Request) error {
	rep := s.health.report(r.Context())
	status := http.StatusOK
	if rep.Status == healthUnhealthy {
		status = http.StatusServiceUnavailable
	}
	middleware.WriteJSON(w, status, rep)
	return nil
}
