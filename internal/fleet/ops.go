package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/store"
)

// Kinds of OpError, one per HTTP answer the API gives them.
var (
	// ErrNotFound: the decky or service does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request collides with the fleet as it is, or the
	// deploy INI is unusable (409).
	ErrConflict = errors.New("conflict")
	// ErrBadConfig: a service config value does not fit its schema (400).
	ErrBadConfig = errors.New("bad service config")
	// ErrInvalid: anything else the operator asked that cannot be done (422).
	ErrInvalid = errors.New("invalid request")
)

// OpError is a refused fleet operation: Msg is meant for the operator, Kind
// is one of the Err* sentinels above.
type OpError struct {
	Kind error
	Msg  string
}

// Error returns the operator-facing message.
func (e *OpError) Error() string { return e.Msg }

// Unwrap returns the kind, for errors.Is.
func (e *OpError) Unwrap() error { return e.Kind }

func opErr(kind error, format string, args ...any) error {
	return &OpError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// singletonCatalog is implemented by catalogs that know fleet singletons
// (services.Catalog does).
type singletonCatalog interface {
	Singleton(name string) bool
}

// ManagerOptions configures NewManager. Repo, Lifecycles and State are
// required.
type ManagerOptions struct {
	Repo       store.FleetRepository
	Lifecycles store.LifecycleRepository
	State      store.StateRepository
	// Catalog lists and validates services; nil means the registry.
	Catalog decky.Catalog
	// Events and LogFile receive decky_mutated events; Notify the
	// decky.<name>.* notices. Each may be nil.
	Events  services.Publisher
	LogFile *services.LogFile
	Notify  services.Notifier
	// HostUUID is the host whose fleet is managed; "" means model.LocalHost.
	HostUUID string
	// Subnet is where loopback deckies of an INI without net= go; "" is
	// the planner's default.
	Subnet string
	// Kick, when set, is called after every change so the runtime applies
	// it without waiting for its next tick.
	Kick func()
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Seed seeds the mutator's service draws; 0 means a fresh seed per
	// process.
	Seed   uint64
	Logger *slog.Logger
}

// Manager carries out operators' fleet operations: deploy, teardown, live
// service edits and mutations. It only writes rows — the desired state —
// and lifecycle rows; the Runtime reconciling the fleet makes them true
// and completes the lifecycle rows.
type Manager struct {
	o ManagerOptions
	// mu serialises the read-modify-write of decky rows within this
	// process, so two edits of one decky cannot lose each other.
	mu  sync.Mutex
	rnd *decky.Rand
}

// NewManager validates o and returns a Manager.
func NewManager(o ManagerOptions) (*Manager, error) {
	if o.Repo == nil || o.Lifecycles == nil || o.State == nil {
		return nil, errors.New("fleet: the manager needs fleet, lifecycle and state repositories")
	}
	if o.Catalog == nil {
		o.Catalog = services.Catalog{}
	}
	if o.HostUUID == "" {
		o.HostUUID = model.LocalHost
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	seed := o.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	return &Manager{o: o, rnd: decky.NewRand(seed)}, nil
}

// HostUUID is the host whose fleet m manages.
func (m *Manager) HostUUID() string { return m.o.HostUUID }

// DeploymentLimit returns the stored deployment limit or its default.
func (m *Manager) DeploymentLimit(ctx context.Context) (int, error) {
	return DeploymentLimit(ctx, m.o.State)
}

// SetDeploymentLimit stores the deployment limit (1–500).
func (m *Manager) SetDeploymentLimit(ctx context.Context, n int) error {
	return SetDeploymentLimit(ctx, m.o.State, n)
}

// GlobalMutationInterval returns the global rotation interval as written
// and in minutes.
func (m *Manager) GlobalMutationInterval(ctx context.Context) (string, int, error) {
	return GlobalMutationInterval(ctx, m.o.State)
}

// SetGlobalMutationInterval stores the global rotation interval.
func (m *Manager) SetGlobalMutationInterval(ctx context.Context, s string) error {
	return SetGlobalMutationInterval(ctx, m.o.State, s)
}

// DeployResult is what Deploy recorded.
type DeployResult struct {
	// Deckies are the new rows; LifecycleIDs their deploy rows, in order.
	Deckies      []model.Decky
	LifecycleIDs []string
}

// Deploy plans the deckies of a deployment INI (fleet.md §3.2) and records
// them, each with a pending deploy lifecycle row. With replace, every
// decky of the host is torn down first (after planning succeeded, so a bad
// INI changes nothing). Host keys are made by the runtime as each decky
// starts, so the call returns at once.
func (m *Manager) Deploy(ctx context.Context, iniText string, replace bool) (DeployResult, error) {
	var res DeployResult
	if strings.TrimSpace(iniText) == "" {
		return res, opErr(ErrConflict, "INI content is empty")
	}
	ini, err := decky.ParseDeployINI(strings.NewReader(iniText), m.o.Catalog)
	if err != nil {
		return res, opErr(ErrConflict, "Invalid INI format: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	existing, err := m.o.Repo.ListDeckies(ctx, m.o.HostUUID)
	if err != nil {
		return res, err
	}
	keep := existing
	if replace {
		keep = nil
	}
	mode := model.NetLoopback
	if ini.Interface != "" {
		// An INI naming a NIC means LAN addresses (fleet.md §3.2); alias
		// needs no MAC of its own, so it is the mode that works on most
		// hosts.
		mode = model.NetAlias
	}
	opts := decky.PlanOptions{INI: ini, Existing: keep, Catalog: m.o.Catalog, NetMode: mode, Now: m.o.Now}
	if ini.Subnet == "" && mode == model.NetLoopback {
		opts.Subnet = m.o.Subnet
	}
	plan, err := decky.PlanFleet(opts)
	if err != nil {
		return res, opErr(ErrConflict, "%v", err)
	}
	// Deckies whose INI sets no mutate_interval follow the operator's
	// global interval rather than a copy of today's value.
	if ini.MutateInterval == nil {
		for i := range plan.Deckies {
			for _, id := range ini.Deckies {
				if id.Name == plan.Deckies[i].Name && id.MutateInterval == nil {
					plan.Deckies[i].MutateInterval = model.MutateIntervalGlobal
				}
			}
		}
	}
	limit, err := m.DeploymentLimit(ctx)
	if err != nil {
		return res, err
	}
	live := 0
	for _, d := range keep {
		if d.State != model.DeckyTornDown {
			live++
		}
	}
	if live+len(plan.Deckies) > limit {
		return res, opErr(ErrConflict, "Deployment would run %d deckies, more than the deployment limit of %d "+
			"(PUT /config/deployment-limit changes it)", live+len(plan.Deckies), limit)
	}
	if replace {
		planned := map[string]bool{}
		for _, d := range plan.Deckies {
			planned[d.Name] = true
		}
		for _, d := range existing {
			if err := m.o.Repo.DeleteDecky(ctx, m.o.HostUUID, d.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
				return res, err
			}
			if !planned[d.Name] {
				if _, err := m.newLifecycle(ctx, d.Name, model.LifecycleTeardown); err != nil {
					return res, err
				}
			}
		}
	}
	if err := m.o.Repo.CreateDeckies(ctx, plan.Deckies); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return res, opErr(ErrConflict, "%v", unwrapStore(err))
		}
		return res, err
	}
	res.Deckies = plan.Deckies
	for _, d := range plan.Deckies {
		l, err := m.newLifecycle(ctx, d.Name, model.LifecycleDeploy)
		if err != nil {
			return res, err
		}
		res.LifecycleIDs = append(res.LifecycleIDs, l.ID)
	}
	m.o.Kick()
	return res, nil
}

// unwrapStore strips the store's "sqlstore: Method(args): " prefix, which
// names internals, from a conflict meant for the operator.
func unwrapStore(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "): "); i >= 0 && strings.HasPrefix(msg, "sqlstore: ") {
		msg = msg[i+3:]
	}
	return strings.TrimSuffix(msg, ": "+store.ErrConflict.Error())
}

// newLifecycle records a pending lifecycle row and announces it.
func (m *Manager) newLifecycle(ctx context.Context, name, op string) (model.Lifecycle, error) {
	l, err := m.o.Lifecycles.CreateLifecycle(ctx, model.Lifecycle{DeckyName: name, HostUUID: m.o.HostUUID, Operation: op})
	if err != nil {
		return l, err
	}
	publishLifecycle(ctx, m.o.Notify, l, m.o.Logger)
	return l, nil
}

// decky loads a decky that is deployed (not torn down).
func (m *Manager) decky(ctx context.Context, name string) (model.Decky, error) {
	d, err := m.o.Repo.GetDecky(ctx, m.o.HostUUID, name)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.State == model.DeckyTornDown) {
		return d, opErr(ErrNotFound, "Decky %s not found", name)
	}
	return d, err
}

// Teardown removes a decky from the fleet; the runtime stops it on its
// next pass and completes the returned teardown row.
func (m *Manager) Teardown(ctx context.Context, name string) (model.Lifecycle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.decky(ctx, name); err != nil {
		return model.Lifecycle{}, err
	}
	if err := m.o.Repo.DeleteDecky(ctx, m.o.HostUUID, name); errors.Is(err, store.ErrNotFound) {
		return model.Lifecycle{}, opErr(ErrNotFound, "Decky %s not found", name)
	} else if err != nil {
		return model.Lifecycle{}, err
	}
	l, err := m.newLifecycle(ctx, name, model.LifecycleTeardown)
	m.o.Kick()
	return l, err
}

// SetMutateInterval sets a decky's rotation period in minutes: 0 never
// rotates, model.MutateIntervalGlobal follows the global interval.
func (m *Manager) SetMutateInterval(ctx context.Context, name string, minutes int) error {
	if minutes < model.MutateIntervalGlobal {
		return opErr(ErrInvalid, "mutate interval %d is negative", minutes)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.decky(ctx, name)
	if err != nil {
		return err
	}
	d.MutateInterval = minutes
	return m.o.Repo.UpdateDecky(ctx, d)
}

// ServiceEdit is the outcome of a live service edit.
type ServiceEdit struct {
	Decky model.Decky
	// Config is the edited service's stored config.
	Config map[string]string
	// Recreated says the service's instance is rebuilt (it was added or
	// its config changed); false when the edit changed nothing.
	Recreated bool
	// LifecycleID is the service lifecycle row, "" when nothing changed.
	LifecycleID string
}

// checkService resolves a service name for a live edit.
func (m *Manager) checkService(name string) error {
	if !m.o.Catalog.Known(name) {
		return opErr(ErrNotFound, "Service %s not found (known: %s)", name, strings.Join(m.o.Catalog.Names(), ", "))
	}
	if sc, ok := m.o.Catalog.(singletonCatalog); ok && sc.Singleton(name) {
		return opErr(ErrInvalid, "Service %s runs once per fleet and cannot be added to a decky", name)
	}
	return nil
}

// validate coerces raw config for service svc.
func (m *Manager) validate(svc string, raw map[string]string) (map[string]string, error) {
	cfg, err := m.o.Catalog.Validate(svc, raw)
	if err != nil {
		return nil, opErr(ErrBadConfig, "%v", err)
	}
	return cfg, nil
}

// AddService adds service svc with config raw to a running decky (fleet.md
// §3.6 "Live service edits").
func (m *Manager) AddService(ctx context.Context, name, svc string, raw map[string]string) (ServiceEdit, error) {
	var out ServiceEdit
	if err := m.checkService(svc); err != nil {
		return out, err
	}
	cfg, err := m.validate(svc, raw)
	if err != nil {
		return out, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.decky(ctx, name)
	if err != nil {
		return out, err
	}
	if slices.Contains(d.Services, svc) {
		return out, opErr(ErrConflict, "Service %s is already on decky %s", svc, name)
	}
	d.Services = append(slices.Clone(d.Services), svc)
	setConfig(&d, svc, cfg)
	return m.commitServiceEdit(ctx, d, svc, cfg, bus.DeckyServiceAdded)
}

// SetServiceConfig replaces the config of service svc on a decky. With
// upsert (the apply route) a service the decky lacks is added; otherwise
// it is a conflict.
func (m *Manager) SetServiceConfig(ctx context.Context, name, svc string, raw map[string]string, upsert bool) (ServiceEdit, error) {
	var out ServiceEdit
	if err := m.checkService(svc); err != nil {
		return out, err
	}
	cfg, err := m.validate(svc, raw)
	if err != nil {
		return out, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.decky(ctx, name)
	if err != nil {
		return out, err
	}
	topic := bus.DeckyServiceConfigChanged
	if !slices.Contains(d.Services, svc) {
		if !upsert {
			return out, opErr(ErrConflict, "Service %s is not on decky %s", svc, name)
		}
		d.Services = append(slices.Clone(d.Services), svc)
		topic = bus.DeckyServiceAdded
	} else if maps.Equal(d.ServiceConfig[svc], cfg) {
		return ServiceEdit{Decky: d, Config: cfg}, nil
	}
	setConfig(&d, svc, cfg)
	return m.commitServiceEdit(ctx, d, svc, cfg, topic)
}

// RemoveService takes service svc off a decky; its last service cannot go
// (tear the decky down instead).
func (m *Manager) RemoveService(ctx context.Context, name, svc string) (ServiceEdit, error) {
	var out ServiceEdit
	if !m.o.Catalog.Known(svc) {
		return out, opErr(ErrNotFound, "Service %s not found", svc)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, err := m.decky(ctx, name)
	if err != nil {
		return out, err
	}
	if !slices.Contains(d.Services, svc) {
		return out, opErr(ErrConflict, "Service %s is not on decky %s", svc, name)
	}
	if len(d.Services) == 1 {
		return out, opErr(ErrInvalid, "Service %s is the last one of decky %s: delete the decky instead", svc, name)
	}
	d.Services = slices.DeleteFunc(slices.Clone(d.Services), func(s string) bool { return s == svc })
	if d.ServiceConfig != nil {
		d.ServiceConfig = cloneConfig(d.ServiceConfig)
		delete(d.ServiceConfig, svc)
		if len(d.ServiceConfig) == 0 {
			d.ServiceConfig = nil
		}
	}
	return m.commitServiceEdit(ctx, d, svc, nil, bus.DeckyServiceRemoved)
}

// setConfig stores cfg as d's config of svc; an empty config removes the
// entry, so the service runs on its defaults.
func setConfig(d *model.Decky, svc string, cfg map[string]string) {
	d.ServiceConfig = cloneConfig(d.ServiceConfig)
	if len(cfg) == 0 {
		delete(d.ServiceConfig, svc)
	} else {
		if d.ServiceConfig == nil {
			d.ServiceConfig = map[string]map[string]string{}
		}
		d.ServiceConfig[svc] = cfg
	}
	if len(d.ServiceConfig) == 0 {
		d.ServiceConfig = nil
	}
}

func cloneConfig(c map[string]map[string]string) map[string]map[string]string {
	if c == nil {
		return nil
	}
	out := make(map[string]map[string]string, len(c))
	for k, v := range c {
		out[k] = maps.Clone(v)
	}
	return out
}

// ServiceNotice is the payload of decky.<name>.service_added,
// service_removed and service_config_changed (pipeline.md §2).
type ServiceNotice struct {
	DeckyName     string            `json:"decky_name"`
	ServiceName   string            `json:"service_name"`
	Services      []string          `json:"services"`
	ServiceConfig map[string]string `json:"service_config,omitempty"`
	Recreated     bool              `json:"recreated,omitempty"`
}

// commitServiceEdit writes the edited row, records a service lifecycle row
// and announces the edit on topic(name).
func (m *Manager) commitServiceEdit(ctx context.Context, d model.Decky, svc string, cfg map[string]string,
	topic func(string) (string, error)) (ServiceEdit, error) {
	if err := m.o.Repo.UpdateDecky(ctx, d); errors.Is(err, store.ErrNotFound) {
		return ServiceEdit{}, opErr(ErrNotFound, "Decky %s not found", d.Name)
	} else if err != nil {
		return ServiceEdit{}, err
	}
	l, err := m.newLifecycle(ctx, d.Name, model.LifecycleService)
	if err != nil {
		return ServiceEdit{}, err
	}
	m.o.Kick()
	// A commit that leaves svc on the decky added it or changed its
	// config, so the runtime builds it anew; a removal recreates nothing.
	out := ServiceEdit{Decky: d, Config: cfg, Recreated: slices.Contains(d.Services, svc), LifecycleID: l.ID}
	if out.Config == nil && out.Recreated {
		out.Config = map[string]string{}
	}
	m.notify(ctx, d.Name, topic, ServiceNotice{DeckyName: d.Name, ServiceName: svc, Services: d.Services,
		ServiceConfig: cfg, Recreated: out.Recreated})
	return out, nil
}

// notify publishes a decky notice; a lost one is logged, never an error:
// the change is in the database.
func (m *Manager) notify(ctx context.Context, name string, topic func(string) (string, error), payload any) {
	if m.o.Notify == nil {
		return
	}
	subj, err := topic(name)
	if err != nil {
		m.o.Logger.Warn("fleet: no subject for decky", "decky", name, "err", err)
		return
	}
	typ := subj[strings.LastIndexByte(subj, '.')+1:]
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := m.o.Notify.Publish(pctx, subj, typ, payload); err != nil {
		m.o.Logger.Warn("fleet: decky notice not published", "subject", subj, "err", err)
	}
}

// List returns the host's deckies as stored, ordered by name.
func (m *Manager) List(ctx context.Context) ([]model.Decky, error) {
	return m.o.Repo.ListDeckies(ctx, m.o.HostUUID)
}

// Lifecycles returns the lifecycle rows with ids, unknown ones left out.
func (m *Manager) Lifecycles(ctx context.Context, ids []string) ([]model.Lifecycle, error) {
	return m.o.Lifecycles.GetLifecycles(ctx, ids)
}
