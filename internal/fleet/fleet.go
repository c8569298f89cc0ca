// Package fleet runs the decoy fleet on this host: it keeps the deckies
// stored in fleet_deckies serving — binding their addresses, loading their
// keys and virtual filesystems, starting every service on every declared
// port behind the shared limits — and takes down what operators removed.
// The database is the one source of truth: `decnet deploy` and `decnet
// teardown` change rows, and a running decnet reconciles to them.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/shell"
	"github.com/decnet/decnet/internal/store"
)

// UnprivilegedPortOffset is added to a port below 1024 when a loopback
// decky cannot bind it without CAP_NET_BIND_SERVICE: the demo fleet then
// still comes up for an ordinary user, on 10022 instead of 22, and says so.
const UnprivilegedPortOffset = 10000

// DefaultReconcileEvery is how often a running decnet re-reads the fleet.
const DefaultReconcileEvery = 2 * time.Second

// Options configures a Runtime. Repo is required.
type Options struct {
	Repo store.FleetRepository
	// Events receives the services' events (the bus); Notify their
	// notifications (attacker.session.ended).
	Events services.Publisher
	Notify services.Notifier
	// LogFile, when set, also receives every event as an RFC 5424 line.
	LogFile *services.LogFile
	// DataDir holds each decky's keys, quarantine and transcripts.
	DataDir  string
	HostUUID string
	Limits   services.Limits
	Logger   *slog.Logger
	// Lifecycles, when set, are completed by Reconcile: the pending rows
	// the API records for each operation become running, then succeeded
	// or failed once the fleet reflects them.
	Lifecycles store.LifecycleRepository
}

// BoundPort is one port a service listens on; Port differs from Declared
// when the unprivileged offset applied.
type BoundPort struct {
	Declared int    `json:"declared"`
	Port     int    `json:"port"`
	Proto    string `json:"proto"`
}

// ServiceStatus is one service of a running decky.
type ServiceStatus struct {
	Name  string      `json:"name"`
	Ports []BoundPort `json:"ports"`
	Error string      `json:"error,omitempty"`
}

// Status is a decky as stored plus what this process runs of it.
type Status struct {
	model.Decky
	Serving  bool            `json:"serving"`
	Services []ServiceStatus `json:"service_status,omitempty"`
}

// Runtime serves the fleet of one host.
type Runtime struct {
	o Options

	mu      sync.Mutex
	running map[string]*running
	binders map[string]decky.Binder
	failed  map[string]model.Decky
	// failErr is the start error of each decky in failed, for the
	// lifecycle rows waiting on it.
	failErr map[string]string
	// kick wakes Run for an early reconcile (capacity 1: wake-ups merge).
	kick chan struct{}
}

type running struct {
	d        model.Decky
	binder   decky.Binder
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	services []ServiceStatus
}

// New returns a runtime; nothing runs until Reconcile or Start.
func New(o Options) (*Runtime, error) {
	if o.Repo == nil {
		return nil, errors.New("fleet: a fleet repository is required")
	}
	if o.HostUUID == "" {
		o.HostUUID = model.LocalHost
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runtime{o: o, running: make(map[string]*running), binders: make(map[string]decky.Binder),
		failed: make(map[string]model.Decky), failErr: make(map[string]string), kick: make(chan struct{}, 1)}, nil
}

func (r *Runtime) binder(d model.Decky) (decky.Binder, error) {
	key := d.NetMode + "\x00" + d.Interface
	r.mu.Lock()
	defer r.mu.Unlock()
	if b, ok := r.binders[key]; ok {
		return b, nil
	}
	b, err := decky.NewBinder(d.NetMode, d.Interface)
	if err != nil {
		return nil, err
	}
	r.binders[key] = b
	return b, nil
}

// Start brings a decky up and starts its services; its row's state becomes
// running, degraded (some services failed) or failed, with the reasons in
// last_error. Starting a decky that runs already is a no-op.
func (r *Runtime) Start(ctx context.Context, d model.Decky) (Status, error) {
	r.mu.Lock()
	if run, ok := r.running[d.Name]; ok {
		st := Status{Decky: run.d, Serving: true, Services: slices.Clone(run.services)}
		r.mu.Unlock()
		return st, nil
	}
	r.mu.Unlock()
	run, err := r.start(ctx, d)
	state, lastErr := model.DeckyRunning, ""
	var failures []string
	for _, s := range run.services {
		if s.Error != "" {
			failures = append(failures, s.Name+": "+s.Error)
		}
	}
	switch {
	case err != nil:
		state, lastErr = model.DeckyFailed, err.Error()
	case len(failures) == len(run.services):
		state, lastErr = model.DeckyFailed, strings.Join(failures, "; ")
	case len(failures) > 0:
		state, lastErr = model.DeckyDegraded, strings.Join(failures, "; ")
	}
	if serr := r.o.Repo.SetDeckyState(context.WithoutCancel(ctx), r.o.HostUUID, d.Name, state, lastErr); serr != nil {
		r.o.Logger.Warn("fleet: could not record decky state", "decky", d.Name, "state", state, "err", serr)
	}
	r.publishState(ctx, d.Name, d.State, state, "started")
	d.State, d.LastError = state, lastErr
	st := Status{Decky: d, Services: run.services}
	if state == model.DeckyFailed {
		run.stop(context.WithoutCancel(ctx), r.o.Logger)
		if err == nil {
			err = fmt.Errorf("decky %s: no service could start: %s", d.Name, lastErr)
		}
		return st, err
	}
	r.mu.Lock()
	r.running[d.Name] = run
	r.mu.Unlock()
	st.Serving = true
	return st, nil
}

func (r *Runtime) start(ctx context.Context, d model.Decky) (*running, error) {
	run := &running{d: d}
	b, err := r.binder(d)
	if err != nil {
		return run, fmt.Errorf("decky %s: %w", d.Name, err)
	}
	if err := b.Up(ctx, d); err != nil {
		return run, fmt.Errorf("decky %s: %w", d.Name, err)
	}
	run.binder = b
	keys, err := decky.KeysFor(r.o.DataDir, d)
	if err != nil {
		b.Down(context.WithoutCancel(ctx), d)
		run.binder = nil
		return run, fmt.Errorf("decky %s: %w", d.Name, err)
	}
	fs := shell.NewFS(shell.Persona{Hostname: d.Hostname, Distro: d.Distro, Seed: d.Seed, Users: loginUsers(d)})
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	run.cancel = cancel
	for _, name := range d.Services {
		run.services = append(run.services, r.startService(sctx, run, d, name, keys, fs))
	}
	return run, nil
}

// loginUsers are the non-root users the shell services' config names, who
// need home directories.
func loginUsers(d model.Decky) []string {
	var users []string
	for _, svc := range []string{"ssh", "telnet"} {
		if !slices.Contains(d.Services, svc) {
			continue
		}
		u := d.ServiceConfig[svc]["user"]
		if u == "" {
			u = "ubuntu"
		}
		if u != "root" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	return users
}

func (r *Runtime) startService(ctx context.Context, run *running, d model.Decky, name string, keys *decky.Keys, fs *shell.FS) ServiceStatus {
	st := ServiceStatus{Name: name}
	svc, err := services.Lookup(name)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	validated, err := svc.Schema().Validate(d.ServiceConfig[name])
	if err != nil {
		st.Error = err.Error()
		return st
	}
	cfg := svc.Schema().Resolve(validated)
	q, err := services.OpenQuarantine(filepath.Join(r.o.DataDir, "artifacts", d.Name, name), 0, 0)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	env := &services.Env{
		Decky:  d,
		Config: cfg,
		Emitter: services.NewEmitter(name, services.EmitterOptions{
			Publisher: r.o.Events, File: r.o.LogFile, Decky: d.Name, IP: d.IP, Logger: r.o.Logger,
		}),
		HostKeys:   keys.HostKeys,
		TLS:        &keys.TLS,
		FS:         fs,
		Quarantine: q,
		Notify:     r.o.Notify,
		Limits:     r.o.Limits,
		Logger:     r.o.Logger.With("decky", d.Name, "service", name),
	}
	h, err := svc.New(env)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	var errs []string
	for _, p := range svc.Ports(cfg) {
		bp, err := r.serve(ctx, run, d, p, h, env)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		st.Ports = append(st.Ports, bp)
	}
	if len(errs) > 0 {
		st.Error = strings.Join(errs, "; ")
	}
	return st
}

// serve opens one port and runs the service's loop on it.
func (r *Runtime) serve(ctx context.Context, run *running, d model.Decky, p services.Port, h services.Handler, env *services.Env) (BoundPort, error) {
	bp := BoundPort{Declared: p.Number, Port: p.Number, Proto: p.Proto}
	switch p.Proto {
	case services.TCP:
		ln, port, err := listenOffset(d, p.Number, func(port int) (net.Listener, error) { return run.binder.Listen(ctx, d, port) })
		bp.Port = port
		if err != nil {
			return bp, err
		}
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			services.Serve(ctx, ln, h, env)
		}()
	case services.UDP:
		ph, ok := h.(services.PacketHandler)
		if !ok {
			return bp, fmt.Errorf("%s declares UDP port %d but cannot serve datagrams", env.Emitter.Service(), p.Number)
		}
		pc, port, err := listenOffset(d, p.Number, func(port int) (net.PacketConn, error) { return run.binder.ListenPacket(ctx, d, port) })
		bp.Port = port
		if err != nil {
			return bp, err
		}
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			services.ServePackets(ctx, pc, ph, p, env)
		}()
	default:
		return bp, fmt.Errorf("unknown protocol %q", p.Proto)
	}
	return bp, nil
}

// listenOffset opens port with listen; on loopback, a port below 1024 the
// process may not bind is opened UnprivilegedPortOffset higher instead. It
// returns the port actually used.
func listenOffset[T any](d model.Decky, port int, listen func(int) (T, error)) (T, int, error) {
	c, err := listen(port)
	if err != nil && errors.Is(err, decky.ErrPrivilege) && d.NetMode == model.NetLoopback && port < 1024 {
		port += UnprivilegedPortOffset
		c, err = listen(port)
	}
	return c, port, err
}

// stop ends a decky's services, waits for their connections and removes
// what its binder added.
func (run *running) stop(ctx context.Context, log *slog.Logger) {
	if run.cancel != nil {
		run.cancel()
	}
	run.wg.Wait()
	if run.binder != nil {
		if err := run.binder.Down(ctx, run.d); err != nil {
			log.Warn("fleet: could not remove a decky's address", "decky", run.d.Name, "err", err)
		}
	}
}

// Stop stops a running decky (its row stays).
func (r *Runtime) Stop(ctx context.Context, name string) {
	r.mu.Lock()
	run, ok := r.running[name]
	delete(r.running, name)
	r.mu.Unlock()
	if ok {
		run.stop(ctx, r.o.Logger)
	}
}

// StopAll stops every running decky; rows stay, so the next start brings
// them back.
func (r *Runtime) StopAll(ctx context.Context) {
	r.mu.Lock()
	names := make([]string, 0, len(r.running))
	for n := range r.running {
		names = append(names, n)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Stop(ctx, n)
		}()
	}
	wg.Wait()
}

// Reconcile makes what runs match the host's rows: deckies not torn down
// and not running are started, running deckies whose row is gone, torn
// down, or changed (services, address, persona) are stopped or restarted.
//
// Lifecycle rows are read before the fleet, so every row seen was recorded
// after the change it waits for: a pass never completes an operation
// whose decky change it has not read yet.
func (r *Runtime) Reconcile(ctx context.Context) error {
	open := r.beginLifecycles(ctx)
	rows, err := r.o.Repo.ListDeckies(ctx, r.o.HostUUID)
	if err != nil {
		return fmt.Errorf("fleet: read fleet: %w", err)
	}
	want := make(map[string]model.Decky, len(rows))
	for _, d := range rows {
		if d.State != model.DeckyTornDown {
			want[d.Name] = d
		}
	}
	r.mu.Lock()
	var stale []string
	for name, run := range r.running {
		d, ok := want[name]
		if !ok || changed(run.d, d) {
			stale = append(stale, name)
		}
	}
	r.mu.Unlock()
	for _, name := range stale {
		r.Stop(ctx, name)
		if _, ok := want[name]; !ok {
			r.publishState(ctx, name, model.DeckyRunning, model.DeckyTornDown, "removed")
		}
	}
	// Deckies start in parallel: a first start generates three host keys
	// and a certificate per decky, RSA-3072 taking the longest, and a
	// fleet of them one after the other would keep decnet from being up
	// for many seconds.
	var (
		errs []error
		mu   sync.Mutex
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	)
	for _, d := range rows {
		if d.State == model.DeckyTornDown {
			continue
		}
		r.mu.Lock()
		_, ok := r.running[d.Name]
		r.mu.Unlock()
		if ok {
			continue
		}
		// A decky that failed stays failed until its row changes:
		// retrying every tick would flood the log with the same error.
		if d.State == model.DeckyFailed && r.failedBefore(d) {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := r.Start(ctx, d); err != nil {
				r.rememberFailure(d, err)
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.finishLifecycles(ctx, open, want)
	return errors.Join(errs...)
}

// changed reports whether a stored decky differs from the running one in
// anything that needs a restart.
func changed(a, b model.Decky) bool {
	if a.IP != b.IP || a.Hostname != b.Hostname || a.Distro != b.Distro || a.NetMode != b.NetMode ||
		a.Interface != b.Interface || a.Seed != b.Seed || !slices.Equal(a.Services, b.Services) {
		return true
	}
	return !maps.EqualFunc(a.ServiceConfig, b.ServiceConfig, maps.Equal)
}

// Status lists the host's deckies as stored, with what this process serves.
func (r *Runtime) Status(ctx context.Context) ([]Status, error) {
	rows, err := r.o.Repo.ListDeckies(ctx, r.o.HostUUID)
	if err != nil {
		return nil, fmt.Errorf("fleet: read fleet: %w", err)
	}
	out := make([]Status, 0, len(rows))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range rows {
		st := Status{Decky: d}
		if run, ok := r.running[d.Name]; ok {
			st.Serving = true
			st.Services = slices.Clone(run.services)
		}
		out = append(out, st)
	}
	return out, nil
}

// Run reconciles every interval until ctx ends, then stops every decky.
// Errors are logged once per distinct message, not every tick.
func (r *Runtime) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultReconcileEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	last := ""
	for {
		if err := r.Reconcile(ctx); err != nil && ctx.Err() == nil && err.Error() != last {
			last = err.Error()
			r.o.Logger.Warn("fleet: reconcile", "err", err)
		}
		select {
		case <-ctx.Done():
			r.StopAll(context.WithoutCancel(ctx))
			return
		case <-t.C:
		case <-r.kick:
		}
	}
}

// failedBefore reports whether this exact decky already failed to start in
// this process.
func (r *Runtime) failedBefore(d model.Decky) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.failed[d.Name]
	return ok && !changed(f, d)
}

func (r *Runtime) rememberFailure(d model.Decky, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[d.Name] = d
	r.failErr[d.Name] = err.Error()
}

// Kick asks Run for a reconcile now rather than at the next tick, so an
// operation recorded by the API takes effect at once. It never blocks.
func (r *Runtime) Kick() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// StateChange is the payload of decky.<host>:<name>.state (pipeline.md §2).
type StateChange struct {
	HostUUID      string `json:"host_uuid"`
	Name          string `json:"name"`
	State         string `json:"state"`
	Transition    string `json:"transition"`
	Source        string `json:"source"`
	PreviousState string `json:"previous_state,omitempty"`
}

// publishState announces a decky's new state; the dashboard and webhooks
// follow the fleet through it. A lost notice only delays them: the state
// is in the database.
func (r *Runtime) publishState(ctx context.Context, name, prev, state, transition string) {
	if r.o.Notify == nil {
		return
	}
	subj, err := bus.DeckyState(r.o.HostUUID, name)
	if err != nil {
		r.o.Logger.Warn("fleet: no state subject for decky", "decky", name, "err", err)
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := r.o.Notify.Publish(pctx, subj, "state", StateChange{
		HostUUID: r.o.HostUUID, Name: name, State: state, Transition: transition, Source: "fleet", PreviousState: prev,
	}); err != nil {
		r.o.Logger.Warn("fleet: state notice not published", "decky", name, "err", err)
	}
}
