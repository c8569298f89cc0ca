package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// FleetStatus is the fleet runtime of this process, when it runs one: what
// GET /deckies adds to the stored rows (serving, bound ports).
type FleetStatus interface {
	Status(ctx context.Context) ([]fleet.Status, error)
}

var errNoFleet = newError(http.StatusServiceUnavailable, "fleet management is not available in this process", nil)

// Limits of the fleet routes (api_db.md §3.6).
const (
	// maxLifecycleIDs bounds GET /deckies/lifecycle's ids.
	maxLifecycleIDs = 200
)

// mutateNameRE is the decky name the mutate routes accept (api_db.md §3.6).
var mutateNameRE = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// fleetError turns a refused fleet operation into its response: the
// operation's message is written for operators and shown as is.
func fleetError(err error) error {
	var oe *fleet.OpError
	status := 0
	switch {
	case errors.Is(err, fleet.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, fleet.ErrConflict):
		status = http.StatusConflict
	case errors.Is(err, fleet.ErrBadConfig):
		status = http.StatusBadRequest
	case errors.Is(err, fleet.ErrInvalid):
		status = http.StatusUnprocessableEntity
	}
	if status == 0 {
		return err
	}
	if errors.As(err, &oe) {
		return newError(status, oe.Msg, err)
	}
	return newError(status, err.Error(), err)
}

// deckyView is one decky in GET /deckies: the stored row, and what this
// process serves of it when it runs the fleet.
type deckyView struct {
	Name      string   `json:"name"`
	HostUUID  string   `json:"host_uuid"`
	Hostname  string   `json:"hostname"`
	Distro    string   `json:"distro"`
	Archetype string   `json:"archetype,omitempty"`
	NmapOS    string   `json:"nmap_os"`
	IP        string   `json:"ip"`
	NetMode   string   `json:"net_mode"`
	Interface string   `json:"interface,omitempty"`
	Services  []string `json:"services"`
	// ServiceConfig shows secret values (passwords) to admins only.
	ServiceConfig map[string]map[string]string `json:"service_config"`
	// MutateInterval is in minutes; null follows the global interval.
	MutateInterval *int                  `json:"mutate_interval"`
	LastMutated    *time.Time            `json:"last_mutated"`
	State          string                `json:"state"`
	LastError      string                `json:"last_error,omitempty"`
	CreatedAt      time.Time             `json:"created_at"`
	UpdatedAt      time.Time             `json:"updated_at"`
	Serving        bool                  `json:"serving"`
	ServiceStatus  []fleet.ServiceStatus `json:"service_status"`
}

// secretMask replaces a secret config value shown to a viewer.
const secretMask = "********"

func viewDecky(st fleet.Status, admin bool) deckyView {
	d := st.Decky
	v := deckyView{Name: d.Name, HostUUID: d.HostUUID, Hostname: d.Hostname, Distro: d.Distro, Archetype: d.Archetype,
		NmapOS: d.NmapOS, IP: d.IP, NetMode: d.NetMode, Interface: d.Interface, Services: d.Services,
		ServiceConfig: map[string]map[string]string{}, State: d.State, LastError: d.LastError,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Serving: st.Serving, ServiceStatus: st.Services}
	if v.Services == nil {
		v.Services = []string{}
	}
	if v.ServiceStatus == nil {
		v.ServiceStatus = []fleet.ServiceStatus{}
	}
	if d.MutateInterval != model.MutateIntervalGlobal {
		n := d.MutateInterval
		v.MutateInterval = &n
	}
	if !d.LastMutated.IsZero() {
		t := d.LastMutated
		v.LastMutated = &t
	}
	for svc, cfg := range d.ServiceConfig {
		out := make(map[string]string, len(cfg))
		secret := map[string]bool{}
		if s, err := services.Lookup(svc); err == nil {
			for _, f := range s.Schema() {
				secret[f.Key] = f.Secret
			}
		}
		for k, val := range cfg {
			if secret[k] && !admin {
				val = secretMask
			}
			out[k] = val
		}
		v.ServiceConfig[svc] = out
	}
	return v
}

// fleetRows lists the host's deckies, from the runtime when this process
// runs the fleet (with what serves), else from the store.
func (s *Server) fleetRows(ctx context.Context) ([]fleet.Status, error) {
	var rows []fleet.Status
	if s.fleetStatus != nil {
		sts, err := s.fleetStatus.Status(ctx)
		if err != nil {
			return nil, err
		}
		rows = sts
	} else {
		ds, err := s.fleet.List(ctx)
		if err != nil {
			return nil, err
		}
		rows = make([]fleet.Status, len(ds))
		for i, d := range ds {
			rows[i] = fleet.Status{Decky: d}
		}
	}
	return rows, nil
}

// listDeckies is GET /deckies: every decky of this host.
func (s *Server) listDeckies(w http.ResponseWriter, r *http.Request) error {
	if s.fleet == nil {
		return errNoFleet
	}
	rows, err := s.fleetRows(r.Context())
	if err != nil {
		return err
	}
	p, _ := principalFrom(r.Context())
	out := make([]deckyView, len(rows))
	for i, st := range rows {
		out[i] = viewDecky(st, p.user.Role == model.RoleAdmin)
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

// deployResponse is the 202 of POST /deckies/deploy.
type deployResponse struct {
	Message      string   `json:"message"`
	Mode         string   `json:"mode"`
	LifecycleIDs []string `json:"lifecycle_ids"`
}

// deployDeckies is POST /deckies/deploy (admin): the INI's deckies are
// recorded at once and started by the fleet runtime; the lifecycle rows
// tell when.
func (s *Server) deployDeckies(w http.ResponseWriter, r *http.Request) error {
	if s.fleet == nil {
		return errNoFleet
	}
	var req struct {
		INIContent   *string `json:"ini_content"`
		ReplaceFleet bool    `json:"replace_fleet"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.INIContent == nil {
		return missingField("ini_content")
	}
	res, err := s.fleet.Deploy(r.Context(), *req.INIContent, req.ReplaceFleet)
	if err != nil {
		return fleetError(err)
	}
	middleware.WriteJSON(w, http.StatusAccepted, deployResponse{
		Message:      fmt.Sprintf("Deploying %d deckies", len(res.Deckies)),
		Mode:         "unihost",
		LifecycleIDs: res.LifecycleIDs,
	})
	return nil
}

// lifecycleView is one decky_lifecycle row; error and completed_at are
// null until set.
type lifecycleView struct {
	ID          string     `json:"id"`
	DeckyName   string     `json:"decky_name"`
	HostUUID    string     `json:"host_uuid"`
	Operation   string     `json:"operation"`
	Status      string     `json:"status"`
	Error       *string    `json:"error"`
	StartedAt   time.Time  `json:"started_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CompletedAt *time.Time `json:"completed_at"`
}

func viewLifecycle(l model.Lifecycle) lifecycleView {
	v := lifecycleView{ID: l.ID, DeckyName: l.DeckyName, HostUUID: l.HostUUID, Operation: l.Operation,
		Status: l.Status, StartedAt: l.StartedAt, UpdatedAt: l.UpdatedAt}
	if l.Error != "" {
		e := l.Error
		v.Error = &e
	}
	if !l.CompletedAt.IsZero() {
		t := l.CompletedAt
		v.CompletedAt = &t
	}
	return v
}

// getLifecycles is GET /deckies/lifecycle?ids=…: the rows asked for,
// unknown ids left out.
func (s *Server) getLifecycles(w http.ResponseWriter, r *http.Request) error {
	ids := r.URL.Query()["ids"]
	if len(ids) == 0 || len(ids) > maxLifecycleIDs {
		return newError(http.StatusBadRequest,
			fmt.Sprintf("Bad Request: give 1 to %d ids (?ids=a&ids=b)", maxLifecycleIDs), nil)
	}
	for _, id := range ids {
		if id == "" || len(id) > 64 {
			return newError(http.StatusBadRequest, "Bad Request: an id must be 1 to 64 characters", nil)
		}
	}
	if s.fleet == nil {
		return errNoFleet
	}
	rows, err := s.fleet.Lifecycles(r.Context(), ids)
	if err != nil {
		return err
	}
	out := struct {
		Rows []lifecycleView `json:"rows"`
	}{Rows: make([]lifecycleView, len(rows))}
	for i, l := range rows {
		out.Rows[i] = viewLifecycle(l)
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

// deckyParam returns {decky_name}, which must be a valid decky name.
func deckyParam(r *http.Request) (string, error) {
	name := r.PathValue("decky_name")
	if err := decky.ValidateName(name); err != nil {
		return "", newError(http.StatusUnprocessableEntity, "Invalid decky name: "+err.Error(), err)
	}
	return name, nil
}

// mutateParam returns {decky_name} for the mutate routes, which take the
// original's stricter pattern.
func mutateParam(r *http.Request) (string, error) {
	name := r.PathValue("decky_name")
	if !mutateNameRE.MatchString(name) {
		return "", newError(http.StatusUnprocessableEntity,
			"Invalid decky name: use 1 to 64 lowercase letters, digits and '-'", nil)
	}
	return name, nil
}

// mutateDecky is POST /deckies/{decky_name}/mutate (admin): a new service
// set now; the lifecycle row tells when the decky serves it.
func (s *Server) mutateDecky(w http.ResponseWriter, r *http.Request) error {
	name, err := mutateParam(r)
	if err != nil {
		return err
	}
	if s.fleet == nil {
		return errNoFleet
	}
	l, err := s.fleet.Mutate(r.Context(), name, fleet.TriggerOperator, callerName(r))
	if err != nil {
		return fleetError(err)
	}
	middleware.WriteJSON(w, http.StatusAccepted, map[string][]string{"lifecycle_ids": {l.ID}})
	return nil
}

// setMutateInterval is PUT /deckies/{decky_name}/mutate-interval (admin):
// {mutate_interval: "30m" | null}; null follows the global interval.
func (s *Server) setMutateInterval(w http.ResponseWriter, r *http.Request) error {
	name, err := mutateParam(r)
	if err != nil {
		return err
	}
	var req struct {
		MutateInterval json.RawMessage `json:"mutate_interval"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.MutateInterval == nil {
		return missingField("mutate_interval")
	}
	minutes := model.MutateIntervalGlobal
	if string(req.MutateInterval) != "null" {
		var v string
		if err := json.Unmarshal(req.MutateInterval, &v); err != nil {
			return newError(http.StatusBadRequest, `Bad Request: field "mutate_interval" must be a string or null`, err)
		}
		if minutes, err = fleet.ParseInterval(v); err != nil {
			return newError(http.StatusUnprocessableEntity, err.Error(), err)
		}
	}
	if s.fleet == nil {
		return errNoFleet
	}
	err = s.fleet.SetMutateInterval(r.Context(), name, minutes)
	if err != nil {
		return fleetError(err)
	}
	msg := "Mutation interval set to " + strconv.Itoa(minutes) + " minutes"
	if minutes == model.MutateIntervalGlobal {
		msg = "Mutation interval reset to the global interval"
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: msg})
	return nil
}

// deleteDecky is DELETE /deckies/{decky_name} (admin): the decky leaves
// the fleet; the runtime stops it within a reconcile pass.
func (s *Server) deleteDecky(w http.ResponseWriter, r *http.Request) error {
	name, err := deckyParam(r)
	if err != nil {
		return err
	}
	if s.fleet == nil {
		return errNoFleet
	}
	_, err = s.fleet.Teardown(r.Context(), name)
	if err != nil {
		return fleetError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serviceConfig converts a JSON config object to the raw strings the
// service schemas validate: numbers and booleans as written, arrays of
// strings comma-joined (multi-enums), null as unset.
func serviceConfig(raw map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = x
		case bool:
			out[k] = strconv.FormatBool(x)
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case []any:
			parts := make([]string, len(x))
			for i, item := range x {
				s, ok := item.(string)
				if !ok {
					return nil, newError(http.StatusBadRequest,
						fmt.Sprintf("Bad Request: config key %q: a list may only hold strings", k), nil)
				}
				parts[i] = s
			}
			out[k] = strings.Join(parts, ",")
		default:
			return nil, newError(http.StatusBadRequest,
				fmt.Sprintf("Bad Request: config key %q must be a string, number, boolean or list of strings", k), nil)
		}
	}
	return out, nil
}

// servicesResponse is the body of add and remove.
type servicesResponse struct {
	DeckyName string   `json:"decky_name"`
	Services  []string `json:"services"`
}

// serviceConfigResponse is the body of the config and apply routes.
type serviceConfigResponse struct {
	DeckyName   string            `json:"decky_name"`
	ServiceName string            `json:"service_name"`
	Config      map[string]string `json:"config"`
	Recreated   bool              `json:"recreated"`
}

// addService is POST /deckies/{decky_name}/services (admin) {name, config}.
func (s *Server) addService(w http.ResponseWriter, r *http.Request) error {
	name, err := deckyParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Name   *string        `json:"name"`
		Config map[string]any `json:"config"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return missingField("name")
	}
	cfg, err := serviceConfig(req.Config)
	if err != nil {
		return err
	}
	if s.fleet == nil {
		return errNoFleet
	}
	e, err := s.fleet.AddService(r.Context(), name, *req.Name, cfg)
	if err != nil {
		return fleetError(err)
	}
	middleware.WriteJSON(w, http.StatusCreated, servicesResponse{DeckyName: name, Services: e.Decky.Services})
	return nil
}

// putServiceConfig is PUT …/services/{service_name}/config (admin): the
// service must be on the decky.
func (s *Server) putServiceConfig(w http.ResponseWriter, r *http.Request) error {
	return s.setServiceConfig(w, r, false, http.StatusOK)
}

// applyServiceConfig is POST …/services/{service_name}/apply (admin): like
// the config route, but adds the service when the decky lacks it.
func (s *Server) applyServiceConfig(w http.ResponseWriter, r *http.Request) error {
	return s.setServiceConfig(w, r, true, http.StatusCreated)
}

func (s *Server) setServiceConfig(w http.ResponseWriter, r *http.Request, upsert bool, status int) error {
	name, err := deckyParam(r)
	if err != nil {
		return err
	}
	var req struct {
		Config *map[string]any `json:"config"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Config == nil {
		return missingField("config")
	}
	cfg, err := serviceConfig(*req.Config)
	if err != nil {
		return err
	}
	if s.fleet == nil {
		return errNoFleet
	}
	svc := r.PathValue("service_name")
	e, err := s.fleet.SetServiceConfig(r.Context(), name, svc, cfg, upsert)
	if err != nil {
		return fleetError(err)
	}
	if e.Config == nil {
		e.Config = map[string]string{}
	}
	middleware.WriteJSON(w, status, serviceConfigResponse{DeckyName: name, ServiceName: svc, Config: e.Config,
		Recreated: e.Recreated})
	return nil
}

// deleteService is DELETE …/services/{service_name} (admin).
func (s *Server) deleteService(w http.ResponseWriter, r *http.Request) error {
	name, err := deckyParam(r)
	if err != nil {
		return err
	}
	if s.fleet == nil {
		return errNoFleet
	}
	e, err := s.fleet.RemoveService(r.Context(), name, r.PathValue("service_name"))
	if err != nil {
		return fleetError(err)
	}
	middleware.WriteJSON(w, http.StatusOK, servicesResponse{DeckyName: name, Services: e.Decky.Services})
	return nil
}

// setDeploymentLimit is PUT /config/deployment-limit (admin).
func (s *Server) setDeploymentLimit(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		DeploymentLimit *int `json:"deployment_limit"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.DeploymentLimit == nil {
		return missingField("deployment_limit")
	}
	if n := *req.DeploymentLimit; n < 1 || n > fleet.MaxDeploymentLimit {
		return newError(http.StatusUnprocessableEntity,
			fmt.Sprintf("deployment_limit must be 1 to %d", fleet.MaxDeploymentLimit), nil)
	}
	if s.fleet == nil {
		return errNoFleet
	}
	if err := s.fleet.SetDeploymentLimit(r.Context(), *req.DeploymentLimit); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Deployment limit updated"})
	return nil
}

// setGlobalMutationInterval is PUT /config/global-mutation-interval
// (admin).
func (s *Server) setGlobalMutationInterval(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Interval *string `json:"global_mutation_interval"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Interval == nil {
		return missingField("global_mutation_interval")
	}
	if _, err := fleet.ParseInterval(*req.Interval); err != nil {
		return newError(http.StatusUnprocessableEntity, err.Error(), err)
	}
	if s.fleet == nil {
		return errNoFleet
	}
	if err := s.fleet.SetGlobalMutationInterval(r.Context(), *req.Interval); err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Global mutation interval updated"})
	return nil
}

// fleetSettings are GET /config's deployment_limit and
// global_mutation_interval: stored values, or the defaults when this
// process does not manage a fleet.
func (s *Server) fleetSettings(ctx context.Context) (int, string, error) {
	if s.fleet == nil {
		return fleet.DefaultDeploymentLimit, fleet.DefaultGlobalMutationInterval, nil
	}
	limit, err := s.fleet.DeploymentLimit(ctx)
	if err != nil {
		return 0, "", err
	}
	interval, _, err := s.fleet.GlobalMutationInterval(ctx)
	return limit, interval, err
}
