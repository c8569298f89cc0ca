package webhook

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
)

// Source delivers bus notifications. SubscribeAll registers handler for
// every subject and returns a function that stops delivery. handler must be
// cheap; Dispatcher.Handle only enqueues.
type Source interface {
	SubscribeAll(handler func(bus.Envelope)) (unsubscribe func() error, err error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(handler func(bus.Envelope)) (func() error, error)

// SubscribeAll calls f.
func (f SourceFunc) SubscribeAll(handler func(bus.Envelope)) (func() error, error) { return f(handler) }

// Subscriber is the part of *bus.Bus that BusSource needs.
type Subscriber interface {
	Subscribe(pattern, queue string, fn func(bus.Envelope)) (*bus.Subscription, error)
}

// QueueGroup is the NATS queue group of every dispatcher's subscriptions:
// processes sharing one NATS server split the notifications between them,
// so each event reaches each receiver once, not once per process.
const QueueGroup = "webhook"

// BusSource subscribes to every notification family on b
// (bus.NotificationFamilies) in QueueGroup.
func BusSource(b Subscriber) Source {
	return SourceFunc(func(h func(bus.Envelope)) (func() error, error) {
		var subs []*bus.Subscription
		unsubscribe := func() error {
			var errs []error
			for _, s := range subs {
				errs = append(errs, s.Unsubscribe())
			}
			return errors.Join(errs...)
		}
		// Notification families only: ">" would also take every attacker
		// event and JetStream's ack traffic.
		for _, p := range bus.NotificationFamilies {
			s, err := b.Subscribe(p, QueueGroup, h)
			if err != nil {
				unsubscribe()
				return nil, err
			}
			subs = append(subs, s)
		}
		return unsubscribe, nil
	})
}

// Options configures a Dispatcher. Zero fields get defaults.
type Options struct {
	// AllowPrivate (DECNET_WEBHOOK_ALLOW_PRIVATE) lets targets resolve to
	// loopback, private, link-local … addresses. Operator opt-in only; tests
	// use it for a local receiver. Scheme and URL checks still apply.
	AllowPrivate bool
	// Timeout bounds one attempt (DefaultTimeout).
	Timeout time.Duration
	// RetryDelays are the base waits between attempts (DefaultRetryDelays);
	// a non-nil empty slice means a single attempt.
	RetryDelays []time.Duration
	// Sleep waits between attempts (default: a timer, cut short by ctx).
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter turns a base delay into the actual one (default ±20 % uniform).
	Jitter func(d time.Duration) time.Duration
	// Now is the clock for signatures and breakers (time.Now).
	Now func() time.Time
	// BreakerThreshold and BreakerCooldown configure each subscription's
	// breaker (DefaultBreakerThreshold, DefaultBreakerCooldown).
	BreakerThreshold int
	BreakerCooldown  time.Duration
	// QueueSize bounds each subscription's backlog (DefaultQueueSize).
	QueueSize int
	// MaxConcurrent bounds deliveries in flight (DefaultMaxConcurrent).
	MaxConcurrent int
	// TLSConfig is the client TLS configuration (tests add a root CA).
	TLSConfig *tls.Config
	// Lookup resolves target host names (system resolver).
	Lookup LookupFunc
	// Logger gets delivery failures (slog.Default()).
	Logger *slog.Logger
	// OnResult, if set, is called after every queued delivery, from the
	// subscription's worker goroutine: the hook for persisting
	// consecutive_failures, last_success_at, last_error.
	OnResult func(sub Subscription, env bus.Envelope, r Result)
	// OnTrip, if set, is called with the subscription ID each time its
	// breaker opens: the hook for auto_disabled_at.
	OnTrip func(id string)
}

func (o *Options) withDefaults() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RetryDelays == nil {
		o.RetryDelays = DefaultRetryDelays
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Jitter == nil {
		o.Jitter = jitter
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BreakerThreshold <= 0 {
		o.BreakerThreshold = DefaultBreakerThreshold
	}
	if o.BreakerCooldown <= 0 {
		o.BreakerCooldown = DefaultBreakerCooldown
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Lookup == nil {
		o.Lookup = defaultLookup
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Stats counts what happened to one subscription's notifications since it
// was first configured.
type Stats struct {
	Queued    int    // waiting now
	Dropped   uint64 // oldest evicted from a full queue
	Delivered uint64
	Failed    uint64 // after retries, or blocked
	Skipped   uint64 // breaker open
}

// Dispatcher fans notifications out to subscriptions. It is safe for
// concurrent use.
type Dispatcher struct {
	opts   Options
	guard  *guard
	client *http.Client
	sem    chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	unsub    func() error
	workers  map[string]*worker
	breakers map[string]*Breaker
	counters map[string]*counters
}

// New returns a Dispatcher with no subscriptions.
func New(o Options) *Dispatcher {
	o.withDefaults()
	g := newGuard(o.AllowPrivate, o.Lookup)
	var tlsConf *tls.Config
	if o.TLSConfig != nil {
		tlsConf = o.TLSConfig.Clone()
	} else {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr := &http.Transport{
		Proxy:                 nil, // a proxy would dial on our behalf, past the guard
		DialContext:           g.dialContext,
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Dispatcher{
		opts:  o,
		guard: g,
		client: &http.Client{
			Transport: tr,
			// Redirects are not followed: a 3xx is the answer (terminal), so a
			// public endpoint cannot bounce us to an internal one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		sem:      make(chan struct{}, o.MaxConcurrent),
		ctx:      ctx,
		cancel:   cancel,
		workers:  make(map[string]*worker),
		breakers: make(map[string]*Breaker),
		counters: make(map[string]*counters),
	}
}

// CheckURL is the create-time guard: ValidateURL, then resolve the host and
// refuse it if any address is not public (unless AllowPrivate).
func (d *Dispatcher) CheckURL(ctx context.Context, raw string) error {
	u, err := ValidateURL(raw)
	if err != nil {
		return err
	}
	_, err = d.guard.resolve(ctx, u.Hostname())
	return err
}

// Breaker returns the subscription's breaker, creating a closed one. It
// outlives SetSubscriptions reloads.
func (d *Dispatcher) Breaker(id string) *Breaker {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.breakerLocked(id)
}

// breakerLocked: d.mu must be held.
func (d *Dispatcher) breakerLocked(id string) *Breaker {
	b, ok := d.breakers[id]
	if !ok {
		var onTrip func()
		if d.opts.OnTrip != nil {
			onTrip = func() { d.opts.OnTrip(id) }
		}
		b = NewBreaker(d.opts.BreakerThreshold, d.opts.BreakerCooldown, d.opts.Now, onTrip)
		d.breakers[id] = b
	}
	return b
}

// Deliver sends env to sub now, with retries, through sub's breaker: an
// open breaker skips it; the outcome is recorded (Blocked counts as a
// failure). It is what the queue workers call and is usable directly.
func (d *Dispatcher) Deliver(ctx context.Context, sub Subscription, env bus.Envelope) Result {
	b := d.Breaker(sub.ID)
	if !b.Allow() {
		return Result{Skipped: true, Err: ErrBreakerOpen}
	}
	body, err := Body(env)
	if err != nil {
		// Our fault, not the receiver's: not counted against the breaker.
		b.abort()
		return Result{Err: err}
	}
	r := d.send(ctx, sub, env, body, 0)
	switch {
	case r.Delivered:
		b.Success()
	case ctx.Err() != nil && r.Attempts == 0:
		b.abort() // stopped before anything was sent
	default:
		b.Failure()
	}
	return r
}

// TestFire sends one synthetic notification to sub, one attempt, bypassing
// the breaker (the original's POST /webhooks/{uuid}/test): topic test.ping,
// type test, payload {message, triggered_by}.
func (d *Dispatcher) TestFire(ctx context.Context, sub Subscription, triggeredBy string) Result {
	payload, _ := json.Marshal(map[string]string{
		"message":      "DECNET webhook test",
		"triggered_by": triggeredBy,
	})
	u := uuid.New()
	env := bus.Envelope{
		V:       bus.EnvelopeVersion,
		ID:      hex.EncodeToString(u[:]),
		Topic:   "test.ping",
		Type:    "test",
		TS:      float64(d.opts.Now().UnixNano()) / 1e9,
		Payload: payload,
	}
	body, err := Body(env)
	if err != nil {
		return Result{Err: err}
	}
	return d.send(ctx, sub, env, body, 1)
}

// SetSubscriptions replaces the configured subscriptions (call it on
// system.webhook.subscriptions_changed or a periodic reload). Enabled, valid
// subscriptions get a worker; a changed subscription keeps its queue and
// breaker; removed or disabled ones are stopped and their queue dropped.
// Invalid or duplicate subscriptions are skipped and reported in the error.
func (d *Dispatcher) SetSubscriptions(subs []Subscription) error {
	var errs []error
	want := make(map[string]Subscription, len(subs))
	for _, s := range subs {
		if s.ID == "" {
			errs = append(errs, fmt.Errorf("%w: subscription %q has no id", ErrInvalid, s.Name))
			continue
		}
		if _, dup := want[s.ID]; dup {
			errs = append(errs, fmt.Errorf("%w: duplicate subscription id %q", ErrInvalid, s.ID))
			continue
		}
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("subscription %s: %w", s.ID, err))
			continue
		}
		s.Topics = append([]string(nil), s.Topics...)
		want[s.ID] = s
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return errors.New("webhook: dispatcher closed")
	}
	for id, w := range d.workers {
		if s, ok := want[id]; !ok || !s.Enabled {
			w.stop()
			delete(d.workers, id)
		}
	}
	for id, s := range want {
		if !s.Enabled {
			continue
		}
		if w, ok := d.workers[id]; ok {
			w.setSub(s)
			continue
		}
		c, ok := d.counters[id]
		if !ok {
			c = &counters{}
			d.counters[id] = c
		}
		w := newWorker(d, s, c)
		d.workers[id] = w
		d.wg.Add(1)
		go w.run()
	}
	return errors.Join(errs...)
}

// Handle queues env for every enabled subscription with a matching pattern.
// It never blocks: a full queue loses its oldest notification.
//
// Lock order: d.mu, then each worker's mu (as in SetSubscriptions). Both
// are only held for in-memory work, so the bus goroutine never waits on I/O.
func (d *Dispatcher) Handle(env bus.Envelope) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, w := range d.workers {
		if w.sub().Matches(env.Topic) {
			w.enqueue(env)
		}
	}
}

// Start registers Handle with src.
func (d *Dispatcher) Start(src Source) error {
	unsub, err := src.SubscribeAll(d.Handle)
	if err != nil {
		return fmt.Errorf("webhook: subscribe: %w", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		_ = unsub()
		return errors.New("webhook: dispatcher closed")
	}
	d.unsub = unsub
	return nil
}

// Stats returns the counters of one subscription.
func (d *Dispatcher) Stats(id string) (Stats, bool) {
	d.mu.Lock()
	c, ok := d.counters[id]
	w := d.workers[id]
	d.mu.Unlock()
	if !ok {
		return Stats{}, false
	}
	s := Stats{
		Dropped:   c.dropped.Load(),
		Delivered: c.delivered.Load(),
		Failed:    c.failed.Load(),
		Skipped:   c.skipped.Load(),
	}
	if w != nil {
		s.Queued = w.queued()
	}
	return s, true
}

// Close stops the source, cancels deliveries in flight and waits for the
// workers. Queued notifications are dropped (the bus is at-most-once).
func (d *Dispatcher) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	unsub := d.unsub
	for id, w := range d.workers {
		w.stop()
		delete(d.workers, id)
	}
	d.mu.Unlock()
	var err error
	if unsub != nil {
		err = unsub()
	}
	d.cancel()
	d.wg.Wait()
	d.client.CloseIdleConnections()
	return err
}

// counters survive worker restarts across reloads.
type counters struct {
	dropped, delivered, failed, skipped atomic.Uint64
}

// worker owns one subscription's bounded queue and delivers in order.
type worker struct {
	d      *Dispatcher
	c      *counters
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}

	mu   sync.Mutex
	s    Subscription
	ring []bus.Envelope // fixed capacity QueueSize
	head int            // index of the oldest
	n    int            // number queued
}

func newWorker(d *Dispatcher, s Subscription, c *counters) *worker {
	ctx, cancel := context.WithCancel(d.ctx)
	return &worker{
		d: d, c: c, ctx: ctx, cancel: cancel, s: s,
		wake: make(chan struct{}, 1),
		ring: make([]bus.Envelope, d.opts.QueueSize),
	}
}

func (w *worker) sub() Subscription {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.s
}

func (w *worker) setSub(s Subscription) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.s = s
}

func (w *worker) stop() { w.cancel() }

func (w *worker) queued() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// enqueue adds env, evicting the oldest when full, and wakes the worker.
func (w *worker) enqueue(env bus.Envelope) {
	w.mu.Lock()
	if w.n == len(w.ring) {
		w.ring[w.head] = bus.Envelope{}
		w.head = (w.head + 1) % len(w.ring)
		w.n--
		w.c.dropped.Add(1)
	}
	w.ring[(w.head+w.n)%len(w.ring)] = env
	w.n++
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *worker) pop() (bus.Envelope, Subscription, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == 0 {
		return bus.Envelope{}, w.s, false
	}
	env := w.ring[w.head]
	w.ring[w.head] = bus.Envelope{}
	w.head = (w.head + 1) % len(w.ring)
	w.n--
	return env, w.s, true
}

func (w *worker) run() {
	defer w.d.wg.Done()
	for {
		env, s, ok := w.pop()
		if !ok {
			select {
			case <-w.wake:
				continue
			case <-w.ctx.Done():
				return
			}
		}
		select {
		case w.d.sem <- struct{}{}:
		case <-w.ctx.Done():
			return
		}
		r := w.d.Deliver(w.ctx, s, env)
		<-w.d.sem
		if w.ctx.Err() != nil && !r.Delivered && r.Attempts == 0 {
			return // stopped mid-delivery; not the receiver's fault
		}
		switch {
		case r.Delivered:
			w.c.delivered.Add(1)
		case r.Skipped:
			w.c.skipped.Add(1)
		default:
			w.c.failed.Add(1)
			w.d.opts.Logger.Warn("webhook: delivery failed", "subscription", s.ID, "topic", env.Topic,
				"attempts", r.Attempts, "status", r.Status, "err", r.Err)
		}
		if w.d.opts.OnResult != nil {
			w.d.opts.OnResult(s, env, r)
		}
	}
}
