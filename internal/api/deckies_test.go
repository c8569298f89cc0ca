package api

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	_ "github.com/decnet/decnet/internal/services/all"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// newTestManager is a real fleet manager over the test's store. No
// runtime runs: lifecycle rows stay pending, which is what the API
// promises (202) anyway.
func newTestManager(t *testing.T, st *sqlstore.Store) *fleet.Manager {
	t.Helper()
	m, err := fleet.NewManager(fleet.ManagerOptions{Repo: st, Lifecycles: st, State: st, Seed: 5,
		Subnet: "127.95.0.0/24"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fleetEnv is an API with a fleet manager, an admin and a viewer.
type fleetEnv struct {
	*env
	st            *sqlstore.Store
	admin, viewer string
}

func newFleetEnv(t *testing.T, opt func(*Options)) fleetEnv {
	t.Helper()
	var st *sqlstore.Store
	e := newEnv(t, func(o *Options) {
		st = o.Users.(sqlUsers).Store
		o.Fleet = newTestManager(t, st)
		if opt != nil {
			opt(o)
		}
	})
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return fleetEnv{env: e, st: st, admin: e.token("admin", adminPW), viewer: e.token("viewer", viewerPW)}
}

func (f fleetEnv) deploy(ini string) response {
	f.t.Helper()
	return f.do(req{method: "POST", path: "/api/v1/deckies/deploy", token: f.admin,
		body: map[string]any{"ini_content": ini}})
}

func ids(t *testing.T, r response) []string {
	t.Helper()
	raw, _ := r.body["lifecycle_ids"].([]any)
	var out []string
	for _, v := range raw {
		out = append(out, v.(string))
	}
	return out
}

func TestDeployListAndLifecycle(t *testing.T) {
	f := newFleetEnv(t, nil)
	r := f.deploy("[web-01]\nservices = ssh\n[web-02]\nservices = telnet\n")
	wantStatus(t, r, http.StatusAccepted, "")
	if r.body["mode"] != "unihost" || len(ids(t, r)) != 2 {
		t.Fatalf("deploy = %s", r.raw)
	}
	lids := ids(t, r)

	q := url.Values{"ids": {lids[1], "unknown", lids[0]}}
	l := f.do(req{method: "GET", path: "/api/v1/deckies/lifecycle?" + q.Encode(), token: f.viewer})
	wantStatus(t, l, http.StatusOK, "")
	rows, _ := l.body["rows"].([]any)
	if len(rows) != 2 {
		t.Fatalf("lifecycle rows = %s", l.raw)
	}
	row := rows[0].(map[string]any)
	if row["id"] != lids[1] || row["decky_name"] != "web-02" || row["operation"] != "deploy" ||
		row["status"] != "pending" || row["error"] != nil || row["completed_at"] != nil || row["host_uuid"] != "local" {
		t.Errorf("row = %v", row)
	}
	wantStatus(t, f.do(req{method: "GET", path: "/api/v1/deckies/lifecycle", token: f.viewer}), http.StatusBadRequest, "")
	many := url.Values{}
	for range 201 {
		many.Add("ids", "x")
	}
	wantStatus(t, f.do(req{method: "GET", path: "/api/v1/deckies/lifecycle?" + many.Encode(), token: f.viewer}),
		http.StatusBadRequest, "")

	list := f.do(req{method: "GET", path: "/api/v1/deckies", token: f.viewer})
	wantStatus(t, list, http.StatusOK, "")
	if len(list.list) != 2 {
		t.Fatalf("list = %s", list.raw)
	}
	d := list.list[0].(map[string]any)
	if d["name"] != "web-01" || d["mutate_interval"] != nil || d["serving"] != false ||
		!strings.HasPrefix(d["ip"].(string), "127.95.0.") {
		t.Errorf("decky = %v", d)
	}
}

func TestDeployRefusals(t *testing.T) {
	f := newFleetEnv(t, nil)
	for name, c := range map[string]struct {
		body   any
		status int
	}{
		"unknown field":   {map[string]any{"ini_content": "[a]\nservices=ssh\n", "extra": 1}, http.StatusBadRequest},
		"missing ini":     {map[string]any{"replace_fleet": true}, http.StatusBadRequest},
		"ini not string":  {map[string]any{"ini_content": 5}, http.StatusBadRequest},
		"empty ini":       {map[string]any{"ini_content": ""}, http.StatusConflict},
		"broken ini":      {map[string]any{"ini_content": "[a\n"}, http.StatusConflict},
		"unknown service": {map[string]any{"ini_content": "[a]\nservices = gopher\n"}, http.StatusConflict},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.do(req{method: "POST", path: "/api/v1/deckies/deploy", token: f.admin, body: c.body})
			wantStatus(t, r, c.status, "")
		})
	}
	wantStatus(t, f.deploy("[a]\nservices = ssh\n"), http.StatusAccepted, "")
	r := f.deploy("[a]\nservices = ssh\n")
	wantStatus(t, r, http.StatusConflict, "")
	if !strings.Contains(r.body["detail"].(string), "already deployed") {
		t.Errorf("name collision detail = %q", r.body["detail"])
	}
	wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/deployment-limit", token: f.admin,
		body: map[string]any{"deployment_limit": 2}}), http.StatusOK, "")
	r = f.deploy("[b]\nservices = ssh\n[c]\nservices = ssh\n")
	wantStatus(t, r, http.StatusConflict, "")
	if !strings.Contains(r.body["detail"].(string), "deployment limit of 2") {
		t.Errorf("limit detail = %q", r.body["detail"])
	}
	// Replacing the fleet counts only the new deckies.
	wantStatus(t, f.do(req{method: "POST", path: "/api/v1/deckies/deploy", token: f.admin,
		body: map[string]any{"ini_content": "[b]\nservices = ssh\n[c]\nservices = ssh\n", "replace_fleet": true}}),
		http.StatusAccepted, "")
	ds, _ := f.st.ListDeckies(context.Background(), model.LocalHost)
	if len(ds) != 2 || ds[0].Name != "b" {
		t.Errorf("after replace: %+v", ds)
	}
}

func TestMutateRoutes(t *testing.T) {
	f := newFleetEnv(t, nil)
	wantStatus(t, f.deploy("[rot]\nservices = ssh\n[one]\narchetype = iot-device\n"), http.StatusAccepted, "")
	r := f.do(req{method: "POST", path: "/api/v1/deckies/rot/mutate", token: f.admin})
	wantStatus(t, r, http.StatusAccepted, "")
	if len(ids(t, r)) != 1 {
		t.Errorf("mutate = %s", r.raw)
	}
	d, _ := f.st.GetDecky(context.Background(), model.LocalHost, "rot")
	if slices.Equal(d.Services, []string{"ssh"}) {
		t.Errorf("services unchanged: %v", d.Services)
	}
	wantStatus(t, f.do(req{method: "POST", path: "/api/v1/deckies/ghost/mutate", token: f.admin}), http.StatusNotFound, "")
	wantStatus(t, f.do(req{method: "POST", path: "/api/v1/deckies/one/mutate", token: f.admin}), http.StatusNotFound, "")
	wantStatus(t, f.do(req{method: "POST", path: "/api/v1/deckies/Bad_Name/mutate", token: f.admin}),
		http.StatusUnprocessableEntity, "")

	put := func(name string, body any) response {
		return f.do(req{method: "PUT", path: "/api/v1/deckies/" + name + "/mutate-interval", token: f.admin, body: body})
	}
	wantStatus(t, put("rot", map[string]any{"mutate_interval": "2d"}), http.StatusOK, "")
	if d, _ := f.st.GetDecky(context.Background(), model.LocalHost, "rot"); d.MutateInterval != 2880 {
		t.Errorf("mutate_interval = %d; want 2880", d.MutateInterval)
	}
	wantStatus(t, put("rot", map[string]any{"mutate_interval": nil}), http.StatusOK, "")
	if d, _ := f.st.GetDecky(context.Background(), model.LocalHost, "rot"); d.MutateInterval != model.MutateIntervalGlobal {
		t.Errorf("mutate_interval = %d; want global", d.MutateInterval)
	}
	wantStatus(t, put("rot", map[string]any{"mutate_interval": "0m"}), http.StatusUnprocessableEntity, "")
	wantStatus(t, put("rot", map[string]any{"mutate_interval": 5}), http.StatusBadRequest, "")
	wantStatus(t, put("rot", map[string]any{}), http.StatusBadRequest, "")
	wantStatus(t, put("ghost", map[string]any{"mutate_interval": "5m"}), http.StatusNotFound, "")
}

func TestServiceRoutes(t *testing.T) {
	f := newFleetEnv(t, nil)
	wantStatus(t, f.deploy("[ed]\nservices = ssh\n"), http.StatusAccepted, "")
	base := "/api/v1/deckies/ed/services"
	r := f.do(req{method: "POST", path: base, token: f.admin,
		body: map[string]any{"name": "telnet", "config": map[string]any{"user": "admin"}}})
	wantStatus(t, r, http.StatusCreated, "")
	if r.body["decky_name"] != "ed" || len(r.body["services"].([]any)) != 2 {
		t.Errorf("add = %s", r.raw)
	}
	for name, c := range map[string]struct {
		method, path string
		body         any
		status       int
	}{
		"add twice":          {"POST", base, map[string]any{"name": "telnet"}, http.StatusConflict},
		"add unknown":        {"POST", base, map[string]any{"name": "gopher"}, http.StatusNotFound},
		"add to ghost":       {"POST", "/api/v1/deckies/ghost/services", map[string]any{"name": "telnet"}, http.StatusNotFound},
		"add without name":   {"POST", base, map[string]any{}, http.StatusBadRequest},
		"add nested config":  {"POST", base, map[string]any{"name": "telnet", "config": map[string]any{"user": map[string]any{}}}, http.StatusBadRequest},
		"bad value":          {"PUT", base + "/ssh/config", map[string]any{"config": map[string]any{"weak_passwords": "b64:!!"}}, http.StatusBadRequest},
		"config not on":      {"PUT", "/api/v1/deckies/ed/services/nope/config", map[string]any{"config": map[string]any{}}, http.StatusNotFound},
		"config no body":     {"PUT", base + "/ssh/config", map[string]any{}, http.StatusBadRequest},
		"remove last":        {"DELETE", base + "/ssh", nil, http.StatusConflict},
		"bad decky name":     {"POST", "/api/v1/deckies/a.b/services", map[string]any{"name": "telnet"}, http.StatusUnprocessableEntity},
		"remove unknown svc": {"DELETE", base + "/gopher", nil, http.StatusNotFound},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "remove last" {
				t.Skip("covered below once telnet is gone")
			}
			wantStatus(t, f.do(req{method: c.method, path: c.path, token: f.admin, body: c.body}), c.status, "")
		})
	}
	r = f.do(req{method: "PUT", path: base + "/telnet/config", token: f.admin,
		body: map[string]any{"config": map[string]any{"user": "root", "hostname": nil}}})
	wantStatus(t, r, http.StatusOK, "")
	if r.body["service_name"] != "telnet" || r.body["recreated"] != true || r.body["config"].(map[string]any)["user"] != "root" {
		t.Errorf("config = %s", r.raw)
	}
	r = f.do(req{method: "POST", path: base + "/telnet/apply", token: f.admin,
		body: map[string]any{"config": map[string]any{"user": "root"}}})
	wantStatus(t, r, http.StatusCreated, "")
	if r.body["recreated"] != false {
		t.Errorf("apply of the same config = %s; want recreated false", r.raw)
	}
	r = f.do(req{method: "DELETE", path: base + "/telnet", token: f.admin})
	wantStatus(t, r, http.StatusOK, "")
	if got := r.body["services"].([]any); len(got) != 1 || got[0] != "ssh" {
		t.Errorf("remove = %s", r.raw)
	}
	wantStatus(t, f.do(req{method: "DELETE", path: base + "/telnet", token: f.admin}), http.StatusConflict, "")
	wantStatus(t, f.do(req{method: "DELETE", path: base + "/ssh", token: f.admin}), http.StatusUnprocessableEntity, "")
	// apply adds a service the decky lacks.
	wantStatus(t, f.do(req{method: "POST", path: base + "/telnet/apply", token: f.admin,
		body: map[string]any{"config": map[string]any{"password": "hunter2hunter2"}}}), http.StatusCreated, "")

	// Viewers see the decky but not its secrets.
	list := f.do(req{method: "GET", path: "/api/v1/deckies", token: f.viewer})
	cfg := list.list[0].(map[string]any)["service_config"].(map[string]any)["telnet"].(map[string]any)
	if cfg["password"] != secretMask {
		t.Errorf("viewer sees telnet password %v", cfg["password"])
	}
	list = f.do(req{method: "GET", path: "/api/v1/deckies", token: f.admin})
	cfg = list.list[0].(map[string]any)["service_config"].(map[string]any)["telnet"].(map[string]any)
	if cfg["password"] != "hunter2hunter2" {
		t.Errorf("admin sees telnet password %v", cfg["password"])
	}
}

func TestDeleteDecky(t *testing.T) {
	f := newFleetEnv(t, nil)
	wantStatus(t, f.deploy("[gone]\nservices = ssh\n"), http.StatusAccepted, "")
	// Fill the list cache, which the delete must drop.
	if l := f.do(req{method: "GET", path: "/api/v1/deckies", token: f.viewer}); len(l.list) != 1 {
		t.Fatalf("list = %s", l.raw)
	}
	r := f.do(req{method: "DELETE", path: "/api/v1/deckies/gone", token: f.admin})
	wantStatus(t, r, http.StatusNoContent, "")
	if l := f.do(req{method: "GET", path: "/api/v1/deckies", token: f.viewer}); len(l.list) != 0 {
		t.Errorf("list after delete = %s", l.raw)
	}
	open, _ := f.st.OpenLifecycles(context.Background(), model.LocalHost)
	if len(open) != 2 || !slices.ContainsFunc(open, func(l model.Lifecycle) bool { return l.Operation == model.LifecycleTeardown }) {
		t.Errorf("lifecycle rows = %+v; want a deploy and a teardown", open)
	}
	wantStatus(t, f.do(req{method: "DELETE", path: "/api/v1/deckies/gone", token: f.admin}), http.StatusNotFound, "")
}

func TestConfigSettings(t *testing.T) {
	f := newFleetEnv(t, nil)
	c := f.do(req{method: "GET", path: "/api/v1/config", token: f.viewer})
	if c.body["deployment_limit"] != float64(10) || c.body["global_mutation_interval"] != "30m" {
		t.Errorf("defaults = %s", c.raw)
	}
	for _, bad := range []any{0, 501, "10"} {
		r := f.do(req{method: "PUT", path: "/api/v1/config/deployment-limit", token: f.admin,
			body: map[string]any{"deployment_limit": bad}})
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusBadRequest {
			t.Errorf("limit %v: %d", bad, r.status)
		}
	}
	wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/deployment-limit", token: f.admin,
		body: map[string]any{"deployment_limit": 42}}), http.StatusOK, "")
	for _, bad := range []string{"30", "0m", "1h", ""} {
		wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/global-mutation-interval", token: f.admin,
			body: map[string]any{"global_mutation_interval": bad}}), http.StatusUnprocessableEntity, "")
	}
	wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/global-mutation-interval", token: f.admin,
		body: map[string]any{"global_mutation_interval": "2d"}}), http.StatusOK, "")
	wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/global-mutation-interval", token: f.admin,
		body: map[string]any{}}), http.StatusBadRequest, "")
	c = f.do(req{method: "GET", path: "/api/v1/config", token: f.viewer})
	if c.body["deployment_limit"] != float64(42) || c.body["global_mutation_interval"] != "2d" {
		t.Errorf("after updates = %s", c.raw)
	}
	wantStatus(t, f.do(req{method: "PUT", path: "/api/v1/config/deployment-limit", token: f.viewer,
		body: map[string]any{"deployment_limit": 3}}), http.StatusForbidden, "")
}

func TestFleetRoutesAnswer503WithoutAManager(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	tok := e.token("admin", adminPW)
	wantStatus(t, e.do(req{method: "GET", path: "/api/v1/deckies", token: tok}), http.StatusServiceUnavailable, "")
	wantStatus(t, e.do(req{method: "DELETE", path: "/api/v1/deckies/x", token: tok}), http.StatusServiceUnavailable, "")
	c := e.do(req{method: "GET", path: "/api/v1/config", token: tok})
	if c.body["deployment_limit"] != float64(10) || c.body["global_mutation_interval"] != "30m" {
		t.Errorf("config defaults without a manager = %s", c.raw)
	}
}
