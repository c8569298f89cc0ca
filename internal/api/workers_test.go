package api

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/testenv"
	"github.com/decnet/decnet/internal/workers"
)

func TestWorkersListHeartbeatsAndStopPublishesControl(t *testing.T) {
	reg := workers.New(nil)
	pub := &recordingPublisher{}
	e := newEnv(t, func(o *Options) { o.Workers, o.Publisher = reg, pub })
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	viewer, admin := e.token("viewer", viewerPW), e.token("admin", adminPW)

	payload, _ := json.Marshal(map[string]any{"worker": "ttp", "ts": float64(time.Now().UnixNano()) / 1e9, "rules": 80})
	reg.Observe(bus.Envelope{Topic: "system.ttp.health", Type: bus.TypeHealth, Payload: payload})
	r := e.do(req{method: http.MethodGet, path: "/api/v1/workers", token: viewer})
	if r.status != http.StatusOK || r.body["bus_connected"] != true {
		t.Fatalf("workers: %d %s", r.status, r.raw)
	}
	var ttp map[string]any
	for _, w := range r.body["workers"].([]any) {
		if m := w.(map[string]any); m["name"] == "ttp" {
			ttp = m
		}
	}
	if ttp == nil || ttp["status"] != "ok" || ttp["extra"].(map[string]any)["rules"] != float64(80) {
		t.Errorf("ttp row %v", ttp)
	}

	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/workers/ttp/stop", token: viewer}),
		http.StatusForbidden, "Insufficient permissions")
	r = e.do(req{method: http.MethodPost, path: "/api/v1/workers/ttp/stop", token: admin})
	if r.status != http.StatusAccepted || r.body["action"] != "stop" || pub.count() != 1 || pub.topics[0] != "system.ttp.control" {
		t.Fatalf("stop: %d %s, %d published", r.status, r.raw, pub.count())
	}
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/workers/nosuch/stop", token: admin}),
		http.StatusNotFound, "Unknown worker")
}

func TestStartWorkerUsesItsSystemdUnitWhenInstalled(t *testing.T) {
	units := t.TempDir()
	if err := os.WriteFile(filepath.Join(units, "decnet-ttp.service"), []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok, args := testenv.FakeCommand(t, "systemctl", 0, "")
	failing, _ := testenv.FakeCommand(t, "systemctl", 1, "Failed to start decnet-ttp.service: Interactive authentication required.")
	pub := &recordingPublisher{}
	sd := &workers.Systemd{Dirs: []string{units}, Systemctl: ok}
	e := newEnv(t, func(o *Options) { o.Publisher, o.WorkerUnits = pub, sd })
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	admin := e.token("admin", adminPW)

	r := e.do(req{method: http.MethodPost, path: "/api/v1/workers/ttp/start", token: admin})
	if r.status != http.StatusAccepted || r.body["via"] != "systemd" || pub.count() != 0 {
		t.Fatalf("start ttp: %d %s, %d published", r.status, r.raw, pub.count())
	}
	if got, _ := os.ReadFile(args); !strings.Contains(string(got), "start --no-ask-password decnet-ttp.service") {
		t.Fatalf("systemctl called with %q", got)
	}

	// Without a unit the process hosting the worker is asked over the bus.
	r = e.do(req{method: http.MethodPost, path: "/api/v1/workers/profiler/start", token: admin})
	if r.status != http.StatusAccepted || r.body["via"] != "bus" || pub.count() != 1 || pub.topics[0] != "system.profiler.control" {
		t.Fatalf("start profiler: %d %s, published %v", r.status, r.raw, pub.topics)
	}

	sd.Systemctl = failing
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/workers/ttp/start", token: admin}), http.StatusBadGateway,
		"systemctl start decnet-ttp.service: Failed to start decnet-ttp.service: Interactive authentication required.")
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/workers/nosuch/start", token: admin}),
		http.StatusNotFound, "Unknown worker")
}

func TestStartWorkerWithoutUnitOrBusIsUnavailable(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.WorkerUnits = workers.Systemd{Dirs: []string{t.TempDir()}} })
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	r := e.do(req{method: http.MethodPost, path: "/api/v1/workers/profiler/start", token: e.token("admin", adminPW)})
	wantStatus(t, r, http.StatusServiceUnavailable, "")
}
