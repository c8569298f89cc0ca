package api

import (
	"context"
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

// WorkerUnits starts workers installed as their own systemd units;
// workers.Systemd implements it.
type WorkerUnits interface {
	Installed(name string) bool
	Start(ctx context.Context, name string) error
}

// workerAction is the 202 body of POST /workers/{name}/stop and /start.
// Via says how a start was carried: "systemd" (the worker's unit was
// started) or "bus" (the process hosting it was asked to run it again).
type workerAction struct {
	Accepted bool   `json:"accepted"`
	Worker   string `json:"worker"`
	Action   string `json:"action"`
	Via      string `json:"via,omitempty"`
}

// stopWorker is POST /workers/{name}/stop (admin): it publishes
// system.<name>.control {action: stop}; the worker (in whichever process)
// shuts down.
func (s *Server) stopWorker(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !workers.Known(name) {
		return newError(http.StatusNotFound, "Unknown worker", nil)
	}
	if err := s.publishControl(r, name, bus.ControlStop); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusAccepted, workerAction{Accepted: true, Worker: name, Action: bus.ControlStop})
	return nil
}

// startWorker is POST /workers/{name}/start (admin). A worker installed as
// its own systemd unit (decnet-<name>.service) is started with systemctl:
// 502 with systemctl's message when that fails. Otherwise the request goes
// out on system.<name>.control, and a `decnet up` that hosts the stopped
// worker runs it again; its heartbeat in GET /workers shows it back.
func (s *Server) startWorker(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if !workers.Known(name) {
		return newError(http.StatusNotFound, "Unknown worker", nil)
	}
	if s.units != nil && s.units.Installed(name) {
		if err := s.units.Start(r.Context(), name); err != nil {
			return newError(http.StatusBadGateway, err.Error(), err)
		}
		middleware.WriteJSON(w, http.StatusAccepted, workerAction{Accepted: true, Worker: name, Action: bus.ControlStart, Via: "systemd"})
		return nil
	}
	if s.publisher == nil {
		return newError(http.StatusServiceUnavailable,
			"no systemd unit "+workers.Unit(name)+" is installed and the bus is not available in this process", nil)
	}
	if err := s.publishControl(r, name, bus.ControlStart); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusAccepted, workerAction{Accepted: true, Worker: name, Action: bus.ControlStart, Via: "bus"})
	return nil
}

// publishControl sends action to every process hosting worker name.
func (s *Server) publishControl(r *http.Request, name, action string) error {
	if s.publisher == nil {
		return newError(http.StatusServiceUnavailable, "the bus is not available in this process", nil)
	}
	subject, err := bus.ControlSubject(name)
	if err != nil {
		return newError(http.StatusNotFound, "Unknown worker", err)
	}
	ctl := bus.Control{Action: action, RequestedBy: callerName(r), TS: float64(s.now().UnixNano()) / 1e9}
	if err := s.publisher.Publish(r.Context(), subject, bus.TypeControl, ctl); err != nil {
		return newError(http.StatusServiceUnavailable, "the "+action+" request could not be published; retry shortly", err)
	}
	return nil
}
