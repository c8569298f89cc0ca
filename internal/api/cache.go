package api

import (
	"bytes"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// routeCacheTTL lists the read routes whose successful responses are kept
// for a few seconds, keyed by role, path and query (api_db.md §3 "hot
// endpoints"). A dashboard polls these with the same few queries from every
// open tab; caching collapses those to one database query per TTL, and
// concurrent identical requests wait for the one in flight instead of each
// running it. Any successful write through this API clears the cache, so an
// operator never reads back stale state they just changed; rows written by
// other workers (ingest, profiler) show up within the TTL, and the live views
// get them immediately over SSE.
var routeCacheTTL = map[string]time.Duration{
	"GET /api/v1/stats":            5 * time.Second,
	"GET /api/v1/logs":             2 * time.Second,
	"GET /api/v1/logs/histogram":   5 * time.Second,
	"GET /api/v1/attackers":        2 * time.Second,
	"GET /api/v1/bounty":           5 * time.Second,
	"GET /api/v1/credentials":      5 * time.Second,
	"GET /api/v1/credential-reuse": 5 * time.Second,
	"GET /api/v1/identities":       2 * time.Second,
	"GET /api/v1/campaigns":        2 * time.Second,
	"GET /api/v1/ttp/techniques":   5 * time.Second,
	"GET /api/v1/config":           5 * time.Second,
	"GET /api/v1/deckies":          5 * time.Second,
}

// keepsCaches lists the non-GET routes that change nothing a cache holds,
// so using them (a login, a stream ticket) does not empty the caches for
// everyone.
var keepsCaches = map[string]bool{
	"/api/v1/auth/login":           true,
	"/api/v1/auth/sse-ticket":      true,
	"/api/v1/webhooks/{uuid}/test": true,
}

// maxCacheEntries bounds each cache: queries carry free text, so distinct
// keys are unbounded without it.
const maxCacheEntries = 4096

// cachedResponse is a stored 200 response.
type cachedResponse struct {
	contentType string
	body        []byte
}

// cacheEntry is one key's response, or the computation still in flight for
// it (done open).
type cacheEntry struct {
	done    chan struct{}
	resp    cachedResponse
	ok      bool
	expires time.Time
}

// responseCache stores encoded responses for a short TTL with single-flight
// misses. It is safe for concurrent use.
type responseCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

func newResponseCache(now func() time.Time) *responseCache {
	return &responseCache{now: now, entries: make(map[string]*cacheEntry)}
}

// serve answers r from the cache under key, or runs h (at most once per key
// at a time) and stores its response when it is a 200.
func (c *responseCache) serve(w http.ResponseWriter, r *http.Request, key string, ttl time.Duration, h handlerFunc) error {
	c.mu.Lock()
	e, found := c.entries[key]
	if found && e.done == nil && c.now().Before(e.expires) {
		c.mu.Unlock()
		writeCached(w, e.resp)
		return nil
	}
	if found && e.done != nil {
		done := e.done
		c.mu.Unlock()
		select {
		case <-done:
		case <-r.Context().Done():
			return r.Context().Err()
		}
		c.mu.Lock()
		ok, resp := e.ok, e.resp
		c.mu.Unlock()
		if ok {
			writeCached(w, resp)
			return nil
		}
		// The leader failed or answered something other than 200: run
		// the handler for this request so it gets its own answer.
		return h(w, r)
	}
	if len(c.entries) >= maxCacheEntries {
		c.evictLocked()
	}
	e = &cacheEntry{done: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()
	return c.fill(w, r, key, ttl, e, h)
}

// fill runs h into a buffer as the key's leader, publishes the result to
// waiters, and copies it to w.
func (c *responseCache) fill(w http.ResponseWriter, r *http.Request, key string, ttl time.Duration, e *cacheEntry, h handlerFunc) error {
	buf := &bufferedResponse{header: make(http.Header)}
	ok := false
	// Deferred so that a panicking handler (recovered further up) still
	// releases its waiters and leaves no key in flight for ever.
	defer func() {
		c.mu.Lock()
		e.ok = ok
		if ok {
			e.resp = cachedResponse{contentType: buf.header.Get("Content-Type"), body: buf.body.Bytes()}
			e.expires = c.now().Add(ttl)
		} else if c.entries[key] == e {
			delete(c.entries, key)
		}
		close(e.done)
		e.done = nil
		c.mu.Unlock()
	}()
	err := h(buf, r)
	ok = err == nil && buf.status == http.StatusOK
	if err != nil {
		return err
	}
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.body.Bytes())
	return nil
}

// evictLocked drops expired entries, and everything when that frees
// nothing, so a flood of distinct queries costs memory only up to the cap.
func (c *responseCache) evictLocked() {
	now := c.now()
	for k, e := range c.entries {
		if e.done == nil && !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if e.done == nil {
				delete(c.entries, k)
			}
		}
	}
}

// clear forgets every stored response; computations in flight finish for
// their waiters but are not kept.
func (c *responseCache) clear() {
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

func writeCached(w http.ResponseWriter, resp cachedResponse) {
	if resp.contentType != "" {
		w.Header().Set("Content-Type", resp.contentType)
	}
	// A known length spares the chunked encoding of a streamed body.
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(resp.body)
}

// bufferedResponse captures a handler's response for the cache.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// cacheKey identifies a cached read: the caller's role (GET /config shows
// admins more), the path and the query with its keys sorted.
func cacheKey(role string, r *http.Request) string {
	return role + "\x00" + r.URL.Path + "?" + r.URL.Query().Encode()
}

// principalTTL is how long a verified token's user is reused without
// reading the users and denylist tables again. Writes through this API
// (logout, password, role and user changes) clear the cache at once; a
// revocation made by another API process takes effect here within this
// time (the original cached users and revoked ids for 10 s).
const principalTTL = 5 * time.Second

type cachedPrincipal struct {
	p       principal
	expires time.Time
}

// principalCache maps a raw bearer token to the caller it authenticated.
// It is safe for concurrent use.
type principalCache struct {
	now     func() time.Time
	mu      sync.Mutex
	entries map[string]cachedPrincipal
}

func newPrincipalCache(now func() time.Time) *principalCache {
	return &principalCache{now: now, entries: make(map[string]cachedPrincipal)}
}

// get returns the caller token authenticated within principalTTL, if its
// token has not expired since. A nil cache (caching off) holds nothing.
func (c *principalCache) get(token string) (principal, bool) {
	if c == nil {
		return principal{}, false
	}
	c.mu.Lock()
	e, ok := c.entries[token]
	c.mu.Unlock()
	if !ok || !c.now().Before(e.expires) {
		return principal{}, false
	}
	return e.p, true
}

// put remembers p for token until principalTTL passes or the token
// expires, whichever is first.
func (c *principalCache) put(token string, p principal) {
	if c == nil {
		return
	}
	now := c.now()
	exp := now.Add(principalTTL)
	if !p.claims.ExpiresAt.IsZero() && p.claims.ExpiresAt.Before(exp) {
		exp = p.claims.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCacheEntries {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[token] = cachedPrincipal{p: p, expires: exp}
}

func (c *principalCache) clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}
