package api

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
)

// Bounds of SSE tickets (api_db.md §4).
const (
	// ticketTTL is how long a ticket can be redeemed: long enough for a
	// browser to open an EventSource right after asking for it, short
	// enough that a ticket leaked through a URL log is useless.
	ticketTTL = 60 * time.Second
	// ticketBytes is the ticket's entropy, Python's token_urlsafe(32).
	ticketBytes = 32
	// maxTicketsPerUser caps one user's outstanding tickets; asking for
	// more evicts that user's oldest, so a looping client only hurts itself.
	maxTicketsPerUser = 16
	// maxTickets caps the store: with a minute's lifetime this is room for
	// hundreds of users opening several streams at once, yet only about a
	// megabyte of memory however many tickets are asked for.
	maxTickets = 8192
)

// errTicketStoreFull answers a ticket request while maxTickets unexpired
// tickets are outstanding.
var errTicketStoreFull = newError(http.StatusServiceUnavailable, "too many SSE tickets outstanding; retry shortly", nil)

// ticket is what a ticket string stands for: the user it was issued to,
// that user's role then, and when it was issued and stops being valid.
type ticket struct {
	userUUID string
	role     string
	issued   time.Time
	expires  time.Time
}

// ticketStore holds SSE tickets in memory: single-use, short-lived, bound
// to a user. Tickets are per process by design (api_db.md §4): a ticket is
// redeemed seconds after it is issued, by the same API.
type ticketStore struct {
	now func() time.Time

	mu     sync.Mutex
	byID   map[string]ticket
	byUser map[string][]string // ticket ids, oldest first
}

func newTicketStore(now func() time.Time) *ticketStore {
	return &ticketStore{now: now, byID: map[string]ticket{}, byUser: map[string][]string{}}
}

// issue creates a ticket for the user, evicting expired tickets when the
// store is full and the user's oldest when they hold maxTicketsPerUser.
func (ts *ticketStore) issue(userUUID, role string) (string, error) {
	var b [ticketBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := ts.now()

	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.byID) >= maxTickets {
		ts.evictExpiredLocked(now)
		if len(ts.byID) >= maxTickets {
			return "", errTicketStoreFull
		}
	}
	if ids := ts.byUser[userUUID]; len(ids) >= maxTicketsPerUser {
		ts.removeLocked(ids[0])
	}
	ts.byID[id] = ticket{userUUID: userUUID, role: role, issued: now, expires: now.Add(ticketTTL)}
	ts.byUser[userUUID] = append(ts.byUser[userUUID], id)
	return id, nil
}

// redeem consumes a ticket: it is deleted whether or not it is still valid,
// so a ticket works at most once. ok is false for an unknown or expired one.
func (ts *ticketStore) redeem(id string) (ticket, bool) {
	now := ts.now()
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, found := ts.byID[id]
	if !found {
		return ticket{}, false
	}
	ts.removeLocked(id)
	return t, now.Before(t.expires)
}

// size is the number of tickets held, expired ones included.
func (ts *ticketStore) size() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.byID)
}

// evictExpiredLocked drops every expired ticket. ts.mu must be held.
func (ts *ticketStore) evictExpiredLocked(now time.Time) {
	for id, t := range ts.byID {
		if !now.Before(t.expires) {
			ts.removeLocked(id)
		}
	}
}

// removeLocked deletes one ticket from both indexes. ts.mu must be held.
func (ts *ticketStore) removeLocked(id string) {
	t, ok := ts.byID[id]
	if !ok {
		return
	}
	delete(ts.byID, id)
	ids := slices.DeleteFunc(ts.byUser[t.userUUID], func(x string) bool { return x == id })
	if len(ids) == 0 {
		delete(ts.byUser, t.userUUID)
	} else {
		ts.byUser[t.userUUID] = ids
	}
}

// ticketBody is POST /auth/sse-ticket.
type ticketBody struct {
	Ticket    string `json:"ticket"`
	ExpiresIn int    `json:"expires_in"`
}

// sseTicket is POST /auth/sse-ticket: a single-use ticket, valid for 60
// seconds, that opens one SSE stream as the caller via ?ticket=. Browsers'
// EventSource cannot send an Authorization header; a ticket keeps the
// long-lived JWT itself out of URLs and their logs.
func (s *Server) sseTicket(w http.ResponseWriter, r *http.Request) error {
	p, ok := principalFrom(r.Context())
	if !ok {
		return errors.New("sse-ticket: no principal")
	}
	id, err := s.tickets.issue(p.user.UUID, p.user.Role)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, ticketBody{Ticket: id, ExpiresIn: int(ticketTTL / time.Second)})
	return nil
}
