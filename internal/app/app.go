// Package app is decnet's composition root: it turns a config.Config into a
// running process (store, bus, ingest worker, syslog listener, API) and stops
// it cleanly. It decides wiring only; behaviour lives in the domain packages.
package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/api"
	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/enrich"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/syslog"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/ttp/attack"
	"github.com/decnet/decnet/internal/webhook"
	"github.com/decnet/decnet/internal/webui"
	"github.com/decnet/decnet/internal/workers"
)

// heartbeatInterval is how often every role announces itself on
// system.<name>.health; the worker registry calls a role stale after 90 s.
const heartbeatInterval = 30 * time.Second

// shutdownGrace bounds how long Stop waits for in-flight HTTP requests and the
// ingest batch in hand.
const shutdownGrace = 10 * time.Second

// Options are the process-level seams of an App.
type Options struct {
	// Out receives the few lines meant for the operator (URL, admin password).
	Out    io.Writer
	Logger *slog.Logger
	// NoDemo skips deploying the demo fleet on an empty fleet.
	NoDemo bool
	// DemoSubnet is where the demo fleet goes (default 127.77.0.0/24).
	DemoSubnet string
}

// App is one decnet process running every role.
type App struct {
	cfg config.Config
	out io.Writer
	log *slog.Logger

	store    *sqlstore.Store
	bus      *bus.Bus
	ingest   *ingest.Worker
	syslog   *syslog.Listener
	fleet    *fleet.Runtime
	fleetOps *fleet.Manager // the API's fleet operations, scheduled rotation
	eventLog *services.LogFile
	enricher *enrich.Enricher
	attack   *attack.Catalog
	ttpStack *ttp.Stack
	// registry follows every worker's heartbeat from before the first one
	// starts, for GET /workers.
	registry   *workers.Registry
	demo       bool
	demoSubnet string
	httpSrv    *http.Server
	apiLn      net.Listener
	hasher     *auth.Hasher
	webhooks   *webhook.Dispatcher
	// webhookTLS, when set before Start, is the dispatcher's TLS config
	// (tests trust their receiver's certificate with it).
	webhookTLS *tls.Config

	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errOnce sync.Once
	fatal   chan error

	// syslogFailures counts failed syslog publishes and failed confirmations
	// (each of which may cover several events: its error says how many);
	// syslogWarned rate-limits the warning about them.
	syslogFailures atomic.Uint64
	syslogWarned   atomic.Int64
}

// New validates what can be checked without side effects.
func New(cfg config.Config, o Options) (*App, error) {
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &App{cfg: cfg, out: o.Out, log: o.Logger, fatal: make(chan error, 1),
		demo: !o.NoDemo, demoSubnet: o.DemoSubnet}, nil
}

// Start brings every part up in dependency order; on failure it tears down
// what it started and returns one error naming the part and the fix.
func (a *App) Start(ctx context.Context) (err error) {
	started := time.Now()
	defer func() {
		if err != nil {
			// Stop also ends what already runs (the ingest worker), not
			// only the bus and the store.
			sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
			if serr := a.Stop(sctx); serr != nil {
				a.log.Warn("cleanup after failed start", "err", serr)
			}
		}
	}()
	if err := ensureDataDir(a.cfg.DataDir); err != nil {
		return err
	}
	secret, err := jwtSecret(a.cfg)
	if err != nil {
		return err
	}

	a.store, err = openStore(ctx, a.cfg, a.log)
	if err != nil {
		return err
	}
	if err := a.store.Migrate(ctx); err != nil {
		return fmt.Errorf("database migration failed: %v", err)
	}

	a.bus, err = bus.Open(ctx, bus.Options{
		URL:           a.cfg.NATSURL,
		DataDir:       busDir(a.cfg.DataDir),
		Listen:        a.cfg.NATSListen,
		SubjectPrefix: a.cfg.NATSPrefix,
		Name:          "decnet",
		Logger:        a.log.With("part", "bus"),
	})
	if err != nil {
		return err
	}

	a.registry = workers.New(nil)
	if _, err := a.registry.Follow(a.bus); err != nil {
		return fmt.Errorf("bus: subscribe to worker heartbeats: %v", err)
	}

	a.hasher, err = auth.NewHasher(auth.DefaultCost)
	if err != nil {
		return err
	}
	generated, err := auth.EnsureAdmin(ctx, a.store, a.cfg.AdminUser, a.cfg.AdminPassword, a.hasher)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel

	if err := a.openEventLog(); err != nil {
		return err
	}
	if a.enricher, err = enrich.Open(a.cfg.GeoIPDB, a.cfg.ASNDB); err != nil {
		return err
	}
	if err := a.startIngest(runCtx); err != nil {
		return err
	}
	if err := a.startProfiler(runCtx); err != nil {
		return err
	}
	if a.cfg.SyslogAddr != "" {
		a.syslog, err = syslog.Listen(runCtx, syslog.ListenerOptions{
			UDPAddr: a.cfg.SyslogAddr,
			TCPAddr: a.cfg.SyslogAddr,
			Sink:    a.publishSyslogEvent,
			Logger:  a.log.With("part", "syslog"),
		})
		if err != nil {
			return err
		}
		a.goRun(func() { a.confirmSyslogEvents(runCtx) })
	}
	if err := a.startReuseCorrelator(runCtx); err != nil {
		return err
	}
	if err := a.startIdentityClusterer(runCtx); err != nil {
		return err
	}
	if err := a.startTTP(runCtx); err != nil {
		return err
	}
	if err := a.startCampaignClusterer(runCtx); err != nil {
		return err
	}
	if err := a.startWebhooks(runCtx); err != nil {
		return err
	}
	if err := a.startFleet(ctx, runCtx); err != nil {
		return err
	}
	if err := a.startAPI(secret); err != nil {
		return err
	}

	a.goRun(func() { a.bus.RunHeartbeat(runCtx, "api", heartbeatInterval, nil) })
	if _, err := a.bus.OnControl("api", func() { a.fail(errStopRequested) }); err != nil {
		return fmt.Errorf("bus: subscribe to api control: %v", err)
	}

	fmt.Fprintf(a.out, "decnet is up (ready in %s)\n", time.Since(started).Round(time.Millisecond))
	// Starting a fleet (fake filesystems, keys, listeners) leaves tens of MB
	// of garbage that, with GOGC at 200, would stay resident until the heap
	// next grows that far; an idle decoy host should not pay for its start.
	go releaseStartupGarbage()
	fmt.Fprintf(a.out, "Dashboard: %s\n", a.DashboardURL())
	fmt.Fprintf(a.out, "API:       %s\n", a.APIURL())
	if u := a.bus.ClientURL(); u != "" {
		fmt.Fprintf(a.out, "NATS:      %s\n", u)
	}
	if a.syslog != nil {
		udp, tcp := a.syslog.Addrs()
		fmt.Fprintf(a.out, "Syslog:    udp %s, tcp %s (RFC 5424, relay@55555)\n", udp, tcp)
	}
	fmt.Fprintf(a.out, "Data dir:  %s\n", a.cfg.DataDir)
	a.printFleet(ctx)
	if generated != "" {
		fmt.Fprintf(a.out, "Admin user: %s\nAdmin password: %s\n(shown once; you must change it at first login)\n", a.cfg.AdminUser, generated)
	}
	return nil
}

// errStopRequested ends Run without an error when an operator asks the api
// role to stop over the bus.
var errStopRequested = errors.New("stop requested on system.api.control")

// Run starts the app, waits for ctx or a fatal error, then stops it.
func (a *App) Run(ctx context.Context) error {
	if err := a.Start(ctx); err != nil {
		return err
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-a.fatal:
		if errors.Is(err, errStopRequested) {
			a.log.Info("stopping", "reason", err)
			err = nil
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := a.Stop(stopCtx); err == nil {
		err = serr
	}
	return err
}

// Stop shuts down in reverse order: stop taking requests and lines, drain the
// ingest batch in hand, then close the bus and the store.
func (a *App) Stop(ctx context.Context) error {
	var errs []error
	if a.httpSrv != nil {
		if err := a.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("api shutdown: %w", err))
		}
	}
	if a.syslog != nil {
		if err := a.syslog.Close(); err != nil {
			errs = append(errs, fmt.Errorf("syslog listener: %w", err))
		}
	}
	if a.cancel != nil {
		a.cancel()
	}
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, errors.New("workers did not stop within the shutdown grace period"))
	}
	if a.eventLog != nil {
		if err := a.eventLog.Close(); err != nil {
			errs = append(errs, fmt.Errorf("event log file: %w", err))
		}
		a.eventLog = nil
	}
	a.closeParts()
	return errors.Join(errs...)
}

// closeParts releases the bus and the store; safe to call more than once.
func (a *App) closeParts() {
	if a.apiLn != nil && a.httpSrv == nil {
		a.apiLn.Close()
	}
	if a.bus != nil {
		if err := a.bus.Close(); err != nil {
			a.log.Warn("bus close", "err", err)
		}
		a.bus = nil
	}
	if a.enricher != nil {
		a.enricher.Close()
		a.enricher = nil
	}
	if a.ttpStack != nil {
		if err := a.ttpStack.Close(); err != nil {
			a.log.Warn("ttp rule store close", "err", err)
		}
		a.ttpStack = nil
	}
	if a.store != nil {
		if err := a.store.Close(); err != nil {
			a.log.Warn("store close", "err", err)
		}
		a.store = nil
	}
}

// APIURL is the base URL of the REST API.
func (a *App) APIURL() string {
	if a.apiLn == nil {
		return ""
	}
	return "http://" + a.apiLn.Addr().String() + "/api/v1"
}

// DashboardURL is where the embedded web dashboard is served: the API's
// listener, at /.
func (a *App) DashboardURL() string {
	if a.apiLn == nil {
		return ""
	}
	return "http://" + a.apiLn.Addr().String() + "/"
}

// Bus exposes the running bus to tests and embedding callers.
func (a *App) Bus() *bus.Bus { return a.bus }

// Store exposes the running store to tests and embedding callers.
func (a *App) Store() *sqlstore.Store { return a.store }

// Syslog exposes the syslog listener (nil when disabled).
func (a *App) Syslog() *syslog.Listener { return a.syslog }

// IngestStatus reports the ingest worker's state.
func (a *App) IngestStatus() ingest.Status { return a.ingest.Status() }

func (a *App) startAPI(secret []byte) error {
	addr := net.JoinHostPort(a.cfg.APIHost, strconv.Itoa(a.cfg.APIPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return listenError("API", addr, "DECNET_API_HOST/DECNET_API_PORT", err)
	}
	a.apiLn = ln
	tokens, err := auth.NewTokens(auth.TokenOptions{Secret: secret, TTL: a.cfg.JWTTTL})
	if err != nil {
		return err
	}
	srv, err := api.New(api.Options{
		Users:          a.store,
		Tokens:         tokens,
		Hasher:         a.hasher,
		Health:         a.healthComponents(),
		Logger:         a.log.With("part", "api"),
		LimiterEnabled: a.cfg.LimiterEnabled,
		DisableCache:   !a.cfg.APICache,
		CORSOrigins:    a.cfg.CORSOrigins,

		Webhooks:         a.store,
		Reuse:            a.store,
		Attackers:        a.store,
		Intel:            a.store,
		Identities:       a.store,
		Campaigns:        a.store,
		TTP:              a.store,
		Workers:          a.registry,
		WorkerUnits:      workers.Systemd{},
		Developer:        a.cfg.Developer,
		ArtifactsDir:     filepath.Join(a.cfg.DataDir, "artifacts"),
		TTPRules:         ttpRules{a.ttpStack.Store},
		Attack:           a.attack,
		Logs:             a.store,
		WebhookDeliverer: a.webhooks,
		Publisher:        a.bus,
		Fleet:            a.fleetOps,
		FleetStatus:      a.fleet,
		Bus:              a.bus,
		SSEMaxPerUser:    a.cfg.SSEMaxPerUser,
	})
	if err != nil {
		return err
	}
	a.httpSrv = &http.Server{
		// One listener: the API under /api/ (its JSON 404 answers unknown
		// API paths) and the dashboard at every other path.
		Handler:           webui.WithAPI(srv.Handler(), webui.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.goRun(func() {
		if err := a.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.fail(fmt.Errorf("api server: %w", err))
		}
	})
	return nil
}

// healthComponents are what GET /health reports. The database, the bus and
// ingestion are critical: without any of them events are not being stored.
func (a *App) healthComponents() []api.HealthComponent {
	comps := []api.HealthComponent{
		{Name: "database", Critical: true, Check: func(ctx context.Context) error { return a.store.Ping(ctx) }},
		{Name: "bus", Critical: true, Check: func(ctx context.Context) error { return a.bus.Healthy(ctx) }},
		{Name: "ingestion_worker", Critical: true, Check: func(context.Context) error {
			st := a.ingest.Status()
			if st.State != ingest.StateRunning {
				return fmt.Errorf("ingest worker %s: %s", st.State, st.LastError)
			}
			return nil
		}},
	}
	if a.syslog != nil {
		comps = append(comps, api.HealthComponent{Name: "syslog_listener", Check: func(context.Context) error { return a.syslog.Err() }})
	}
	return comps
}

// startIngest runs the ingest worker until the process stops; operators
// stop and start it on system.ingest.control.
func (a *App) startIngest(ctx context.Context) error {
	consumer, err := a.bus.EventConsumer(ctx, ingestDurable)
	if err != nil {
		return fmt.Errorf("bus: create ingest consumer: %v", err)
	}
	w, err := ingest.New(ingest.Options{
		Source:    ingest.BusSource(consumer),
		Repo:      a.store,
		Publisher: a.bus,
		BatchSize: a.cfg.BatchSize,
		MaxWait:   a.cfg.BatchMaxWait,
		Derive:    ingest.DeriveOptions{TrustedProxies: a.cfg.TrustedProxies},
		Logger:    a.log.With("part", "ingest"),
	})
	if err != nil {
		return err
	}
	a.ingest = w
	return a.runRestartable(ctx, ingestDurable, func() any { return w.Status() }, func(ctx context.Context) {
		if err := w.Run(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("ingest worker stopped", "err", err)
		}
	})
}

// publishSyslogEvent forwards a line received by the syslog listener onto the
// durable event stream, giving it the id the bus needs. The publish is
// asynchronous so a burst of datagrams never stalls the socket reader;
// confirmSyslogEvents collects the outcome.
func (a *App) publishSyslogEvent(ev model.Event) {
	if ev.ID == "" {
		ev.ID = model.NewEventID()
	}
	if err := a.bus.PublishEventAsync(ev); err != nil {
		a.syslogFailures.Add(1)
		a.warnSyslogLoss(err)
	}
}

// syslogConfirmEvery is how often asynchronous syslog publishes are
// confirmed, bounding how late a loss is reported.
const syslogConfirmEvery = time.Second

// confirmSyslogEvents waits for the bus to acknowledge queued syslog events
// and reports any it refused (stream full, bus down), so a loss is logged
// with a count rather than silent.
func (a *App) confirmSyslogEvents(ctx context.Context) {
	t := time.NewTicker(syslogConfirmEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.bus.FlushAsync(fctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			a.syslogFailures.Add(1)
			a.warnSyslogLoss(err)
		}
	}
}

// warnSyslogLoss logs at most one warning per 10 s about lost syslog events.
func (a *App) warnSyslogLoss(err error) {
	now := time.Now().Unix()
	last := a.syslogWarned.Load()
	if now-last < 10 || !a.syslogWarned.CompareAndSwap(last, now) {
		return
	}
	a.log.Warn("syslog events could not be queued on the bus", "failure_reports", a.syslogFailures.Load(), "err", err)
}

func (a *App) goRun(f func()) {
	a.wg.Add(1)
	go func() { defer a.wg.Done(); f() }()
}

func (a *App) fail(err error) {
	a.errOnce.Do(func() { a.fatal <- err })
}
