package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults applied by Open to zero Options fields. Each number says why it is
// what it is.
const (
	// DefaultPublishTimeout bounds every publish so a stalled bus slows a
	// service by at most this much instead of wedging it.
	DefaultPublishTimeout = 5 * time.Second
	// DefaultAckWait is how long a fetched, unacked event waits before
	// redelivery: longer than a slow batch commit, short enough that a crashed
	// worker's batch comes back quickly.
	DefaultAckWait = 30 * time.Second
	// DefaultFetchPace is the shortest gap between a Fetch that came back
	// short and the next one on the same consumer. Under load a consumer
	// that fetched whatever had arrived every few hundred microseconds paid
	// its per-fetch, per-ack and per-commit costs on batches of a few
	// dozen events; a pace this short is invisible on a dashboard.
	DefaultFetchPace = 20 * time.Millisecond
	// DefaultDuplicateWindow is the JetStream dedup window on Nats-Msg-Id.
	// Producers retry a failed publish within seconds, so two minutes covers
	// retries (and reconnects) without holding a large id index.
	DefaultDuplicateWindow = 2 * time.Minute
	// DefaultStreamMaxBytes caps the EVENTS stream on disk. Consumers drain it
	// continuously; the cap only matters when they are down for long, and then
	// the oldest events go first (DiscardOld) rather than filling the disk of a
	// honeypot host.
	DefaultStreamMaxBytes = 4 << 30
	// DefaultStreamMaxAge drops events no consumer needs any more: a week
	// leaves room for an outage over a long weekend.
	DefaultStreamMaxAge = 7 * 24 * time.Hour
	// MaxMessageSize is the largest message the bus accepts, the original's
	// 1 MiB frame limit and NATS's default max payload.
	MaxMessageSize = 1 << 20
	// DefaultAsyncMaxPending bounds PublishEventAsync's in-flight window: deep
	// enough to keep the server busy between acks, small enough (≈ a few MB)
	// that a stalled server turns into back-pressure quickly.
	DefaultAsyncMaxPending = 4096
	// DefaultMaxAckPending is the consumer's unacked window: room for many
	// 500-event batches in flight across several instances of one worker.
	DefaultMaxAckPending = 20000
	// asyncAckTimeout is how long a batch may wait for its ack before it is
	// retried. It is longer than PublishTimeout because a round of batches
	// can be deep: on a busy host the last of them can be stored late
	// without anything being wrong.
	asyncAckTimeout = 30 * time.Second
	// embeddedMaxMemory caps memory-backed JetStream storage in the embedded
	// server; decnet's streams are file-backed, so this only guards misuse.
	embeddedMaxMemory = 64 << 20
	// readyTimeout bounds the wait for the embedded server to start.
	readyTimeout = 10 * time.Second
	// maxReconnectDelay caps the exponential reconnect backoff.
	maxReconnectDelay = 5 * time.Second
	// streamBaseName is the name of the attacker-event stream.
	streamBaseName = "EVENTS"
	// envURL is the variable operators set to point decnet at a NATS server;
	// named in connection errors so the fix is obvious.
	envURL = "DECNET_NATS_URL"
)

// ErrClosed is returned by every operation on a closed Bus.
var ErrClosed = errors.New("bus: closed")

// ErrNoConsumer is returned for a durable consumer that was never created.
var ErrNoConsumer = errors.New("bus: no such consumer")

// Options configures Open. Zero values get the defaults above.
type Options struct {
	// URL is the external NATS server URL (comma-separated for a cluster);
	// empty starts an embedded nats-server in-process.
	URL string
	// DataDir is the embedded server's state directory; JetStream files go to
	// DataDir/jetstream. Required when embedded.
	DataDir string
	// Listen ("host:port"; empty host = 127.0.0.1, port 0 = random) makes the
	// embedded server accept TCP clients too; empty opens no port at all.
	Listen string
	// Name is the client connection name shown by the server.
	Name string
	// SubjectPrefix namespaces every subject on the wire ("" in production) and
	// renames the stream <PREFIX>_EVENTS, so tests can share one server.
	SubjectPrefix string
	// PublishTimeout bounds how long any publish can block a caller.
	PublishTimeout time.Duration
	// AckWait is the redelivery delay for fetched, unacked events.
	AckWait time.Duration
	// FetchPace is DefaultFetchPace unless set; negative turns pacing off.
	FetchPace time.Duration
	// StreamMaxBytes caps the EVENTS stream's size on disk.
	StreamMaxBytes int64
	// StreamMaxAge drops events older than this from the EVENTS stream.
	StreamMaxAge time.Duration
	// AsyncMaxPending bounds PublishEventAsync's unacknowledged window.
	AsyncMaxPending int
	// LeaseTTL is how long a RunExclusive lease survives its holder's
	// last renewal (DefaultLeaseTTL).
	LeaseTTL time.Duration
	// Logger receives connection and server logs; nil = slog.Default().
	Logger *slog.Logger
}

func (o *Options) withDefaults() {
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = DefaultPublishTimeout
	}
	if o.AckWait <= 0 {
		o.AckWait = DefaultAckWait
	}
	if o.FetchPace == 0 {
		o.FetchPace = DefaultFetchPace
	}
	if o.StreamMaxBytes <= 0 {
		o.StreamMaxBytes = DefaultStreamMaxBytes
	}
	if o.StreamMaxAge <= 0 {
		o.StreamMaxAge = DefaultStreamMaxAge
	}
	if o.AsyncMaxPending <= 0 {
		o.AsyncMaxPending = DefaultAsyncMaxPending
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Name == "" {
		o.Name = "decnet"
	}
}

// Bus is a connection to NATS (and, when embedded, the server itself). It is
// safe for concurrent use.
type Bus struct {
	opts     Options
	log      *slog.Logger
	srv      *server.Server // nil when external
	nc       *nats.Conn
	js       jetstream.JetStream
	stream   string
	prefix   string // "" or "<SubjectPrefix>."
	url      string // ClientURL
	closed   atomic.Bool
	connGone chan struct{}
	batch    *batcher
	decoded  *decodedCache
}

// Open connects to NATS, starting an embedded server first when o.URL is
// empty, and ensures the EVENTS stream exists.
func Open(ctx context.Context, o Options) (*Bus, error) {
	o.withDefaults()
	b := &Bus{opts: o, log: o.Logger.With("component", "bus"), connGone: make(chan struct{}), decoded: newDecodedCache()}
	b.stream = streamBaseName
	if o.SubjectPrefix != "" {
		if err := Token(o.SubjectPrefix); err != nil || strings.ContainsAny(o.SubjectPrefix, `/\`) {
			return nil, fmt.Errorf("bus: invalid subject prefix %q: must be one token usable in a stream name", o.SubjectPrefix)
		}
		b.prefix = o.SubjectPrefix + "."
		b.stream = o.SubjectPrefix + "_" + streamBaseName
	}

	var err error
	if o.URL == "" {
		err = b.startEmbedded()
	} else {
		err = b.connectExternal(ctx)
	}
	if err != nil {
		b.shutdownServer()
		return nil, err
	}

	js, err := jetstream.New(b.nc,
		jetstream.WithPublishAsyncMaxPending(o.AsyncMaxPending),
		jetstream.WithPublishAsyncTimeout(max(asyncAckTimeout, o.PublishTimeout)),
		jetstream.WithDefaultTimeout(o.PublishTimeout),
	)
	if err != nil {
		b.abort()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.js = js
	if err := b.ensureStream(ctx); err != nil {
		b.abort()
		return nil, err
	}
	b.batch = newBatcher(b, o.AsyncMaxPending)
	return b, nil
}

// natsOptions are the client options shared by embedded and external mode.
func (b *Bus) natsOptions() []nats.Option {
	return []nats.Option{
		nats.Name(b.opts.Name),
		// Reconnect forever: a sensor must ride out a master restart. The
		// reconnect buffer (8 MB default) absorbs core publishes meanwhile.
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			d := 100 * time.Millisecond << min(attempts, 6)
			d = min(d, maxReconnectDelay)
			return d/2 + rand.N(d/2+1)
		}),
		// A blocked socket write must not hold a publisher past its budget.
		nats.FlusherTimeout(b.opts.PublishTimeout),
		nats.PingInterval(10 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if b.closed.Load() {
				return
			}
			b.log.Warn("bus: disconnected from NATS; reconnecting in the background", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			b.log.Info("bus: reconnected to NATS", "url", redact(nc.ConnectedUrl()))
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.connGone) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			b.log.Warn("bus: async NATS error", "subject", subj, "err", err)
		}),
	}
}

func (b *Bus) connectExternal(ctx context.Context) error {
	timeout := b.opts.PublishTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	opts := append(b.natsOptions(), nats.Timeout(timeout))
	nc, err := nats.Connect(b.opts.URL, opts...)
	if err != nil {
		return fmt.Errorf("bus: cannot connect to NATS at %s (set %s to a reachable server, or leave it empty for the embedded one): %v",
			redact(b.opts.URL), envURL, err)
	}
	b.nc = nc
	b.url = b.opts.URL
	return nil
}

func (b *Bus) ensureStream(ctx context.Context) error {
	cfg := jetstream.StreamConfig{
		Name:       b.stream,
		Subjects:   []string{b.prefix + EventsAll},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
		MaxAge:     b.opts.StreamMaxAge,
		MaxBytes:   b.opts.StreamMaxBytes,
		MaxMsgSize: MaxMessageSize,
		Duplicates: DefaultDuplicateWindow,
		Replicas:   1,
	}
	cctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		_, err := b.js.CreateOrUpdateStream(cctx, cfg)
		if err == nil {
			return nil
		}
		// Two processes starting together against a fresh server both
		// find no stream and both create it; the loser's create fails
		// with "name in use" or "subjects overlap". Again, it updates.
		var apiErr *jetstream.APIError
		if attempt < 3 && errors.As(err, &apiErr) &&
			(apiErr.ErrorCode == errCodeStreamNameInUse || apiErr.ErrorCode == errCodeSubjectsOverlap) {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
			continue
		}
		return fmt.Errorf("bus: ensure stream %s on %s: %w", b.stream, b.describe(), err)
	}
}

// JetStream API error codes of a lost stream-creation race.
const (
	errCodeStreamNameInUse = 10058
	errCodeSubjectsOverlap = 10065
)

func (b *Bus) describe() string {
	if b.srv != nil {
		return "embedded server"
	}
	return redact(b.opts.URL)
}

// Close drains the client (flushing buffered publishes) and shuts down the
// embedded server, waiting for both. Closing twice is harmless.
func (b *Bus) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	if b.batch != nil {
		b.batch.close(2 * b.opts.PublishTimeout)
	}
	var err error
	if b.nc != nil {
		if derr := b.nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
			err = fmt.Errorf("bus: drain: %w", derr)
			b.nc.Close()
		}
		select {
		case <-b.connGone:
		case <-time.After(2 * b.opts.PublishTimeout):
			b.nc.Close()
		}
	}
	b.shutdownServer()
	return err
}

// abort tears down a half-opened Bus.
func (b *Bus) abort() {
	b.closed.Store(true)
	if b.nc != nil {
		b.nc.Close()
	}
	b.shutdownServer()
}

// Healthy returns nil when the client is connected and JetStream answers.
func (b *Bus) Healthy(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	if !b.nc.IsConnected() {
		return fmt.Errorf("bus: not connected to %s (status %s)", b.describe(), b.nc.Status())
	}
	if _, err := b.js.Stream(ctx, b.stream); err != nil {
		return fmt.Errorf("bus: jetstream stream %s unavailable: %w", b.stream, err)
	}
	return nil
}

// ClientURL is the URL other processes can connect to: the external URL, or
// the embedded server's when Listen is set; "" for an in-process-only server.
func (b *Bus) ClientURL() string { return b.url }

// StreamName is the name of the attacker-event stream (EVENTS, or
// <PREFIX>_EVENTS with a SubjectPrefix).
func (b *Bus) StreamName() string { return b.stream }

// wire maps a bus subject to the subject on the wire.
func (b *Bus) wire(subject string) string { return b.prefix + subject }

// topic maps a wire subject back to the bus subject.
func (b *Bus) topic(wire string) string { return strings.TrimPrefix(wire, b.prefix) }

// redact hides passwords and tokens in (comma-separated) NATS URLs before they
// reach a log line or an error.
func redact(raw string) string {
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		u, err := url.Parse(p)
		if err != nil || u.User == nil {
			parts[i] = p
			continue
		}
		if _, hasPass := u.User.Password(); hasPass {
			parts[i] = u.Redacted()
		} else {
			u.User = url.User("xxxxx")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
