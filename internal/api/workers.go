package api

import (
	"net/http"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/workers"
)

// WorkerRegistry is the heartbeat registry GET /workers lists.
type WorkerRegistry interface {
	List() []workers.Worker
}

var errNoWorkerRegistry = newError(http.StatusServiceUnavailable, "the worker registry is not available in this process", nil)

// workersList is GET /workers.
type workersList struct {
	Workers      []workers.Worker `json:"workers"`
	GeneratedAt  time.Time        `json:"generated_at"`
	BusConnected bool             `json:"bus_connected"`
}

// listWorkers is GET /workers: every worker decnet knows with the age of
// its last heartbeat (ok under 90 s, stale, or unknown).
func (s *Server) listWorkers(w http.ResponseWriter, _ *http.Request) error {
	if s.workers == nil {
		return errNoWorkerRegistry
	}
	middleware.WriteJSON(w, http.StatusOK, workersList{Workers: s.workers.List(), GeneratedAt: s.now().UTC(),
		BusConnected: s.publisher != nil})
	return nil
}

// workerAction is the 202 body of POST /workers/{name}/stop.
type workerAction struct {
	Accepted bool   `json:"accepted"`
	Worker   string `json:"worker"`
	Action   string `json:"action"`
}

// stopWorker is POST /workers/{name}/stop (admin): it publishes
// system.<name>.control {action: stop}; the worker (in whichever process)
// shuts down. Starting one again is a matter of the process that hosts it
// (decnet up, or its systemd unit), so there is no start route here.
func (s *Server) stopWorker(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !workers.Known(name) {
		return newError(http.StatusNotFound, "Unknown worker", nil)
	}
	if s.publisher == nil {
		return newError(http.StatusServiceUnavailable, "the bus is not available in this process", nil)
	}
	subject, err := bus.ControlSubject(name)
	if err != nil {
		return newError(http.StatusNotFound, "Unknown worker", err)
	}
	ctl := bus.Control{Action: bus.ControlStop, RequestedBy: callerName(r), TS: float64(s.now().UnixNano()) / 1e9}
	if err := s.publisher.Publish(r.Context(), subject, bus.TypeControl, ctl); err != nil {
		return newError(http.StatusServiceUnavailable, "the stop request could not be published; retry shortly", err)
	}
	middleware.WriteJSON(w, http.StatusAccepted, workerAction{Accepted: true, Worker: name, Action: bus.ControlStop})
	return nil
}
