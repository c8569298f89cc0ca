// Package workers keeps the registry of decnet's workers as their
// heartbeats report them (api_db.md §7): every worker publishes
// system.<name>.health every 30 s, and a worker is ok while its last
// heartbeat is younger than StaleAfter.
package workers

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

// StaleAfter is how old a heartbeat may be for its worker to count as ok.
const StaleAfter = 90 * time.Second

// Names are the workers decnet knows; heartbeats from other names are
// ignored, so a stray publisher cannot grow the registry.
var Names = []string{"api", "bus", "ingest", "profiler", "reuse-correlator", "clusterer", "campaign-clusterer", "ttp",
	"webhook", "collector", "sniffer", "prober", "mutator", "reconciler", "attribution", "enrich", "orchestrator",
	"agent", "forwarder", "updater"}

// Worker statuses.
const (
	StatusOK      = "ok"
	StatusStale   = "stale"
	StatusUnknown = "unknown"
)

// Worker is one row of GET /workers.
type Worker struct {
	Name            string         `json:"name"`
	Status          string         `json:"status"`
	LastHeartbeatTS *float64       `json:"last_heartbeat_ts"`
	SecondsSince    *float64       `json:"seconds_since"`
	Extra           map[string]any `json:"extra"`
}

type beat struct {
	at    time.Time
	extra map[string]any
}

// Registry records the last heartbeat of each known worker. It is safe for
// concurrent use.
type Registry struct {
	now  func() time.Time
	mu   sync.Mutex
	last map[string]beat
}

// New returns an empty registry; now nil means time.Now.
func New(now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{now: now, last: map[string]beat{}}
}

// Known reports whether name is a worker decnet knows.
func Known(name string) bool { return slices.Contains(Names, name) }

// Observe records one system.<name>.health envelope.
func (r *Registry) Observe(env bus.Envelope) {
	var p map[string]any
	if json.Unmarshal(env.Payload, &p) != nil {
		return
	}
	name, _ := p["worker"].(string)
	if !Known(name) {
		return
	}
	at := r.now()
	switch ts, ok := p["ts"].(float64); {
	case ok && ts > 0:
		at = time.Unix(0, int64(ts*1e9)).UTC()
	case env.TS > 0:
		at = env.Time()
	}
	delete(p, "worker")
	delete(p, "ts")
	r.mu.Lock()
	defer r.mu.Unlock()
	if prev, ok := r.last[name]; ok && prev.at.After(at) {
		return // an older heartbeat arriving late
	}
	r.last[name] = beat{at: at, extra: p}
}

// List returns every known worker in Names order with its status.
func (r *Registry) List() []Worker {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Worker, 0, len(Names))
	for _, n := range Names {
		w := Worker{Name: n, Status: StatusUnknown, Extra: map[string]any{}}
		if b, ok := r.last[n]; ok {
			ts := float64(b.at.UnixNano()) / 1e9
			age := now.Sub(b.at).Seconds()
			w.LastHeartbeatTS, w.SecondsSince, w.Extra = &ts, &age, b.extra
			w.Status = StatusStale
			if now.Sub(b.at) < StaleAfter {
				w.Status = StatusOK
			}
		}
		out = append(out, w)
	}
	return out
}

// Subscriber is the subscribing side of the bus; *bus.Bus implements it.
type Subscriber interface {
	Subscribe(pattern, queue string, fn func(bus.Envelope)) (*bus.Subscription, error)
}

// Follow feeds r from every heartbeat on b until the returned function is
// called.
func (r *Registry) Follow(b Subscriber) (func() error, error) {
	sub, err := b.Subscribe(bus.HealthAll, "", r.Observe)
	if err != nil {
		return nil, err
	}
	return sub.Unsubscribe, nil
}
