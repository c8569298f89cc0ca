package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// SSE defaults (api_db.md §5).
const (
	// DefaultSSEMaxPerUser is how many streams one user may hold open at
	// once (DECNET_SSE_MAX_PER_USER): a dashboard needs two or three, and
	// every stream holds a bus consumer or subscription.
	DefaultSSEMaxPerUser = 5
	// DefaultSSEKeepAlive is the interval of ": keepalive" comments, under
	// the 30–60 s idle timeouts of common proxies and load balancers.
	DefaultSSEKeepAlive = 15 * time.Second
)

// Paths of the streaming routes, shared by the route table and the ticket
// check: only these accept ?ticket= instead of a bearer header.
const (
	pathStream         = "/api/v1/stream"
	pathAttackerEvents = "/api/v1/attackers/{uuid}/events"
	pathIdentityEvents = "/api/v1/identities/events"
	pathCampaignEvents = "/api/v1/campaigns/events"
	pathTTPEvents      = "/api/v1/ttp/events"
)

// Names on the wire (api_db.md §4, §5).
const (
	ticketQueryParam    = "ticket"
	lastEventIDParam    = "lastEventId"
	lastEventIDHeader   = "Last-Event-ID"
	sseStreamMessage    = "message"
	sseInterruptedError = "Stream interrupted"
)

// ticketRoutes are the mux patterns of the routes that take SSE tickets.
var ticketRoutes = map[string]bool{
	http.MethodGet + " " + pathStream:         true,
	http.MethodGet + " " + pathAttackerEvents: true,
	http.MethodGet + " " + pathIdentityEvents: true,
	http.MethodGet + " " + pathCampaignEvents: true,
	http.MethodGet + " " + pathTTPEvents:      true,
}

// StreamBus is the part of the bus the SSE routes read: a tail of the
// attacker-event stream for /stream and notifications for the entity
// streams. *bus.Bus implements it.
type StreamBus interface {
	TailEvents(ctx context.Context, startSeq uint64, fn func(pos bus.EventPos, ev model.Event)) (*bus.Tail, error)
	Subscribe(pattern, queue string, fn func(bus.Envelope)) (*bus.Subscription, error)
}

var _ StreamBus = (*bus.Bus)(nil)

// sseConfig holds the stream timings; tests shorten them.
type sseConfig struct {
	// keepAlive is the comment interval.
	keepAlive time.Duration
	// statsEvery re-sends /stream's stats and histogram while idle, as the
	// original did every ten polls.
	statsEvery time.Duration
	// statsAfterLogs is how soon after a logs frame they are re-sent: long
	// enough for the ingest worker (batches of up to 250 ms) to have
	// stored the rows the frame carried.
	statsAfterLogs time.Duration
	// statsMinGap bounds store reads per client to one per this interval.
	statsMinGap time.Duration
	// batchWindow is the shortest gap between two logs frames: an idle
	// stream sends an event at once, a busy one coalesces rows.
	batchWindow time.Duration
	// batchMax is the most rows in one logs frame, the original's 50.
	batchMax int
	// queueLen is an entity stream's queue, the original's 256.
	queueLen int
}

func defaultSSEConfig(keepAlive time.Duration) sseConfig {
	return sseConfig{
		keepAlive:      keepAlive,
		statsEvery:     10 * time.Second,
		statsAfterLogs: time.Second,
		statsMinGap:    3 * time.Second,
		batchWindow:    25 * time.Millisecond,
		batchMax:       50,
		queueLen:       256,
	}
}

// redeemTicket authenticates a stream request by its ?ticket=. The ticket is
// consumed first, whatever happens next; then the user is loaded again so a
// user deleted, re-roled or revoked since the ticket was issued is refused,
// and the route's access is checked as for a bearer token.
func (s *Server) redeemTicket(r *http.Request, id string, access Access) (principal, error) {
	t, ok := s.tickets.redeem(id)
	if !ok {
		return principal{}, unauthorized(errors.New("unknown, used or expired SSE ticket"))
	}
	u, err := s.users.GetUserByUUID(r.Context(), t.userUUID)
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, unauthorized(fmt.Errorf("SSE ticket for unknown user %s", t.userUUID))
	}
	if err != nil {
		return principal{}, fmt.Errorf("redeem ticket: load user: %w", err)
	}
	if u.Role != t.role {
		return principal{}, unauthorized(fmt.Errorf("role changed from %q to %q since the ticket was issued", t.role, u.Role))
	}
	// The same whole-second grain as the token check: a ticket issued
	// before a password change or logout-everywhere dies with the tokens.
	if !u.TokensValidFrom.IsZero() && t.issued.Unix() < u.TokensValidFrom.Unix() {
		return principal{}, unauthorized(errors.New("ticket issued before the user's revocation cutoff"))
	}
	if err := authorize(u, access); err != nil {
		return principal{}, err
	}
	return principal{user: u}, nil
}

// acceptsTicket reports whether r is for a streaming route.
func acceptsTicket(r *http.Request) bool { return ticketRoutes[r.Pattern] }

// sseSlots counts each user's open streams.
type sseSlots struct {
	max  int
	mu   sync.Mutex
	open map[string]int
}

func newSSESlots(max int) *sseSlots { return &sseSlots{max: max, open: map[string]int{}} }

// acquire takes one of the user's stream slots, or answers 429 when all are
// in use; release gives it back and must be called exactly once.
func (sl *sseSlots) acquire(user string) (release func(), err error) {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	if sl.open[user] >= sl.max {
		return nil, newError(http.StatusTooManyRequests, fmt.Sprintf("SSE connection limit (%d) reached", sl.max), nil)
	}
	sl.open[user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			sl.mu.Lock()
			defer sl.mu.Unlock()
			if sl.open[user]--; sl.open[user] <= 0 {
				delete(sl.open, user)
			}
		})
	}, nil
}

// inUse is how many streams the user has open.
func (sl *sseSlots) inUse(user string) int {
	sl.mu.Lock()
	defer sl.mu.Unlock()
	return sl.open[user]
}

// acquireStream takes a stream slot for the request's principal.
func (s *Server) acquireStream(r *http.Request) (func(), error) {
	p, ok := principalFrom(r.Context())
	if !ok {
		return nil, errors.New("stream: no principal")
	}
	return s.sseSlots.acquire(p.user.UUID)
}

// sseConn writes one event stream. Every frame is flushed at once: an
// event must not wait in a buffer for the next one.
type sseConn struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

// startSSE sends the stream's headers and a first comment, which pushes the
// headers through any buffering proxy (api_db.md §5). The write deadline
// is cleared so a server-wide WriteTimeout does not cut long-lived streams.
func startSSE(w http.ResponseWriter) (*sseConn, error) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	// no-cache as the spec says, and no-store as every other API response:
	// the frames carry attacker data.
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return nil, fmt.Errorf("sse: clear write deadline: %w", err)
	}
	w.WriteHeader(http.StatusOK)
	c := &sseConn{w: w, rc: rc}
	if err := c.keepalive(); err != nil {
		return nil, err
	}
	return c, nil
}

// keepalive writes a comment, which clients ignore but proxies count as
// traffic.
func (c *sseConn) keepalive() error { return c.write(append(c.buf[:0], ": keepalive\n\n"...)) }

// send writes one frame: an optional id line, the event name and data as
// one line of JSON (encoding/json never emits a raw newline).
func (c *sseConn) send(event, id string, data any) error {
	j, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sse: encode %s frame: %w", event, err)
	}
	b := c.buf[:0]
	if id != "" {
		b = append(append(append(b, "id: "...), oneLine(id)...), '\n')
	}
	b = append(append(append(b, "event: "...), oneLine(event)...), '\n')
	b = append(append(append(b, "data: "...), j...), "\n\n"...)
	return c.write(b)
}

func (c *sseConn) write(b []byte) error {
	c.buf = b
	if _, err := c.w.Write(b); err != nil {
		return err
	}
	return c.rc.Flush()
}

// oneLine drops line breaks, which would end a field early; event names
// come from bus topics, which cannot hold them, so this is belt and braces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// streamEnded logs why a stream stopped after its headers were sent, when
// no error response can be written any more.
func (s *Server) streamEnded(r *http.Request, err error) {
	if err == nil || r.Context().Err() != nil {
		return
	}
	s.log.Info("sse stream ended", "path", r.URL.Path, "err", err)
}
