// Package api serves decnet's REST API under /api/v1: JSON in and out, errors
// as {"detail": …}, bearer-token auth checked against the user store on every
// request, and one middleware stack shared by every route.
package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// Options configures New. Users and Tokens are required; New fills the rest.
type Options struct {
	// Users holds accounts and the token denylist.
	Users store.UserRepository
	// Tokens issues and verifies access tokens.
	Tokens *auth.Tokens
	// Hasher hashes passwords; nil means bcrypt at auth.DefaultCost.
	Hasher *auth.Hasher
	// Health lists what GET /health checks.
	Health []HealthComponent
	// Logger receives access, error and security logs; nil means slog.Default().
	Logger *slog.Logger
	// LimiterEnabled turns on the login and change-password attempt limits.
	// The zero value leaves them off, so production wiring must set it.
	LimiterEnabled bool
	// CORSOrigins lists the exact origins (scheme://host[:port]) allowed to
	// call the API from a browser; "*" is refused.
	CORSOrigins []string
	// MaxBodyBytes caps request bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// Now is the clock for limits, revocation cutoffs and caches; nil means time.Now.
	Now func() time.Time

	// Webhooks stores webhook subscriptions and WebhookDeliverer checks and
	// test-fires them; without both the /webhooks routes answer 503.
	Webhooks         store.WebhookRepository
	WebhookDeliverer WebhookDeliverer
	// Publisher, when set, receives system.webhook.subscriptions_changed
	// after every webhook change.
	Publisher Publisher
	// Reuse serves the credential-reuse findings; without it those routes
	// answer 503.
	Reuse store.CredentialReuseRepository
	// Attackers serves the /attackers routes; without it they answer 503.
	Attackers store.AttackerReadRepository
	// Intel serves GET /credentials and GET /bounty; without it they
	// answer 503.
	Intel store.IntelRepository
	// Identities serves the /identities routes; without it they answer
	// 503.
	Identities IdentityReader
	// Campaigns serves the /campaigns routes and the campaign fields of
	// identities; without it those routes answer 503.
	Campaigns store.CampaignRepository
	// TTP serves the /ttp rollups, the inspector and the exports; TTPRules
	// the rule catalogue; without them those routes answer 503.
	TTP      store.TTPTagRepository
	TTPRules TTPRules
	// ArtifactsDir is where services store captured files and
	// transcripts (<data dir>/artifacts); empty turns those routes off.
	ArtifactsDir string
	// Developer shows developer_mode in GET /config (DECNET_DEVELOPER).
	Developer bool
	// Workers lists the workers' heartbeats for GET /workers.
	Workers WorkerRegistry
	// WorkerUnits starts workers installed as systemd units for POST
	// /workers/{name}/start; nil leaves starting to the bus.
	WorkerUnits WorkerUnits
	// Attack is the loaded ATT&CK catalogue for names and URLs; nil means
	// the built-in subset.
	Attack *attack.Catalog
	// Logs serves GET /logs, /logs/histogram and /stats; without it they
	// answer 503.
	Logs store.LogSearchRepository
	// Fleet carries out the /deckies operations and stores the fleet
	// settings of /config; without it those routes answer 503.
	Fleet *fleet.Manager
	// FleetStatus, when this process runs the fleet, adds what serves
	// (bound ports) to GET /deckies.
	FleetStatus FleetStatus
	// Bus feeds the SSE streams: GET /stream tails the event stream and
	// the entity streams forward notifications. Without it /stream sends
	// stats and histogram only and the entity streams their snapshot,
	// then keep-alives.
	Bus StreamBus
	// SSEMaxPerUser caps each user's open SSE streams; 0 means
	// DefaultSSEMaxPerUser (DECNET_SSE_MAX_PER_USER).
	SSEMaxPerUser int
	// SSEKeepAlive is the SSE keep-alive comment interval; 0 means
	// DefaultSSEKeepAlive.
	SSEKeepAlive time.Duration
	// DisableCache turns off the few-second caches of the hot read routes
	// and of verified tokens (cache.go), so every request queries the
	// store: for benchmarks and for debugging a stale view.
	DisableCache bool
}

// withDefaults returns o with every unset optional field filled.
func (o Options) withDefaults() (Options, error) {
	if o.Hasher == nil {
		h, err := auth.NewHasher(auth.DefaultCost)
		if err != nil {
			return o, err
		}
		o.Hasher = h
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = middleware.DefaultMaxBodyBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SSEMaxPerUser == 0 {
		o.SSEMaxPerUser = DefaultSSEMaxPerUser
	}
	if o.SSEKeepAlive == 0 {
		o.SSEKeepAlive = DefaultSSEKeepAlive
	}
	return o, nil
}

// Server is the API. Build it with New and serve Handler.
type Server struct {
	users  store.UserRepository
	tokens *auth.Tokens
	hasher *auth.Hasher
	log    *slog.Logger
	now    func() time.Time

	loginByIP      *auth.Limiter
	loginByUser    *auth.Limiter
	changePassword *auth.Limiter
	webhookCreate  *auth.Limiter

	webhooks         store.WebhookRepository
	reuse            store.CredentialReuseRepository
	attackers        store.AttackerReadRepository
	intel            store.IntelRepository
	identities       IdentityReader
	campaigns        store.CampaignRepository
	ttp              store.TTPTagRepository
	ttpRules         TTPRules
	attackCatalog    *attack.Catalog
	openAPIDoc       []byte
	workers          WorkerRegistry
	units            WorkerUnits
	developer        bool
	artifactsDir     string
	logs             store.LogSearchRepository
	webhookDeliverer WebhookDeliverer
	publisher        Publisher
	fleet            *fleet.Manager
	fleetStatus      FleetStatus

	bus      StreamBus
	tickets  *ticketStore
	sseSlots *sseSlots
	sse      sseConfig

	// responses and principals are the read and auth caches (cache.go);
	// cacheTTL is routeCacheTTL, or empty when caching is off.
	responses  *responseCache
	principals *principalCache
	cacheTTL   map[string]time.Duration

	health  *healthChecker
	mux     *http.ServeMux
	table   []route
	handler http.Handler
}

// New validates o and builds the server with every route registered.
func New(o Options) (*Server, error) {
	if o.Users == nil {
		return nil, errors.New("api: Options.Users is required")
	}
	if o.Tokens == nil {
		return nil, errors.New("api: Options.Tokens is required")
	}
	if o.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("api: negative MaxBodyBytes %d", o.MaxBodyBytes)
	}
	if o.SSEMaxPerUser < 0 || o.SSEKeepAlive < 0 {
		return nil, fmt.Errorf("api: negative SSEMaxPerUser %d or SSEKeepAlive %s", o.SSEMaxPerUser, o.SSEKeepAlive)
	}
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	cors, err := middleware.CORS(o.CORSOrigins)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	health, err := newHealthChecker(o.Health, o.Now, o.Logger)
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	doc, err := openAPIJSON()
	if err != nil {
		return nil, fmt.Errorf("api: %w", err)
	}
	s := &Server{
		openAPIDoc: doc,
		users:      o.Users,
		tokens:     o.Tokens,
		hasher:     o.Hasher,
		log:        o.Logger,
		now:        o.Now,
		health:     health,

		webhooks:         o.Webhooks,
		reuse:            o.Reuse,
		attackers:        o.Attackers,
		intel:            o.Intel,
		identities:       o.Identities,
		campaigns:        o.Campaigns,
		ttp:              o.TTP,
		ttpRules:         o.TTPRules,
		attackCatalog:    o.Attack,
		logs:             o.Logs,
		webhookDeliverer: o.WebhookDeliverer,
		publisher:        o.Publisher,
		fleet:            o.Fleet,
		fleetStatus:      o.FleetStatus,
		workers:          o.Workers,
		units:            o.WorkerUnits,
		developer:        o.Developer,
		artifactsDir:     o.ArtifactsDir,
		mux:              http.NewServeMux(),
		bus:              o.Bus,
		tickets:          newTicketStore(o.Now),
		sseSlots:         newSSESlots(o.SSEMaxPerUser),
		sse:              defaultSSEConfig(o.SSEKeepAlive),
		responses:        newResponseCache(o.Now),
		principals:       newPrincipalCache(o.Now),
		cacheTTL:         routeCacheTTL,
	}
	if o.DisableCache {
		s.cacheTTL, s.principals = nil, nil
	}
	for _, l := range []struct {
		dst    **auth.Limiter
		n      int
		window time.Duration
	}{
		{&s.loginByIP, auth.LoginAttempts, auth.LoginWindow},
		{&s.loginByUser, auth.LoginAttempts, auth.LoginWindow},
		{&s.changePassword, auth.ChangePasswordAttempts, auth.ChangePasswordWindow},
		{&s.webhookCreate, webhookCreateAttempts, webhookCreateWindow},
	} {
		*l.dst, err = auth.NewLimiter(auth.LimiterOptions{
			Limit: l.n, Window: l.window, Now: o.Now, Disabled: !o.LimiterEnabled,
		})
		if err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
	}
	if !o.LimiterEnabled {
		s.log.Error("api: login and change-password rate limits are disabled")
	}

	for _, rt := range s.routes() {
		s.register(rt)
	}
	s.mux.HandleFunc("/", s.unmatched)

	// The stack, outermost first. Auth is not here because it differs per
	// route; each route's access level is in routes.go. CORS sits before the
	// body rules so a 413/415 sent to an allowed origin stays readable by it.
	s.handler = middleware.Stack(
		middleware.RequestID(),
		middleware.AccessLog(s.log, s.now),
		middleware.Recover(s.log),
		middleware.SecureHeaders(),
		cors,
		middleware.Body(o.MaxBodyBytes),
	)(http.HandlerFunc(s.route))
	return s, nil
}

// Handler returns the API's root handler, serving everything under /api/v1.
func (s *Server) Handler() http.Handler { return s.handler }

// route dispatches to the mux; requests no route matches reach unmatched
// through the mux's catch-all pattern.
func (s *Server) route(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// unmatched answers a request no route matches in the API's JSON error
// shape instead of the mux's plain text: 405 naming the allowed methods
// when the path exists, else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); allow != "" {
		w.Header().Set("Allow", allow)
		middleware.WriteJSON(w, http.StatusMethodNotAllowed, errorBody{Detail: "Method Not Allowed"})
		return
	}
	middleware.WriteJSON(w, http.StatusNotFound, errorBody{Detail: "Not Found"})
}

// allowedMethods lists the methods some route accepts for r's path, or "".
func (s *Server) allowedMethods(r *http.Request) string {
	allow := ""
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := *r
		probe.Method = m
		if _, pattern := s.mux.Handler(&probe); pattern != "" && pattern != "/" {
			if allow != "" {
				allow += ", "
			}
			allow += m
		}
	}
	return allow
}
