package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
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
