package bus

import (
	"hash/maphash"
	"sync"

	"github.com/decnet/decnet/internal/model"
)

// decodedCacheEvents bounds the events the cache holds (a few tens of MB
// of decoded HTTP request events at most).
const decodedCacheEvents = 8192

// decodedMsg is one EVENTS message, decoded.
type decodedMsg struct {
	// sum is the body's hash: a stream deleted and recreated while the
	// process runs numbers its messages from 1 again, and a cached decode
	// must never stand in for a different message with a reused sequence.
	sum    uint64
	events []model.Event
	pos    []EventPos
	bad    int
}

// decodedCache shares decoded messages between the durable consumers of one
// Bus. `decnet up` runs ingest, the profiler and the TTP worker in one
// process, each reading every message within milliseconds of the others;
// decoding each message three times was an eighth of the CPU at the HTTP
// decoy's rate (docs/benchmarks.md). A consumer that falls further behind
// than the cache reaches simply decodes for itself. The events' Fields maps
// are shared by every consumer that gets them from here, so consumers must
// treat events as read-only (EventBatch.Events says so).
type decodedCache struct {
	seed   maphash.Seed
	mu     sync.Mutex
	bySeq  map[uint64]*decodedMsg
	order  []uint64 // insertion order, oldest first
	events int
}

func newDecodedCache() *decodedCache {
	return &decodedCache{seed: maphash.MakeSeed(), bySeq: make(map[uint64]*decodedMsg)}
}

// get returns the decoded message with stream sequence seq, if cached.
func (c *decodedCache) get(seq uint64) *decodedMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bySeq[seq]
}

// put caches dm under seq, evicting the oldest messages past the bound.
func (c *decodedCache) put(seq uint64, dm *decodedMsg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.bySeq[seq]; ok {
		if old.sum == dm.sum {
			return
		}
		c.events -= len(old.events) + old.bad // a reused sequence: replace
	} else {
		c.order = append(c.order, seq)
	}
	c.bySeq[seq] = dm
	c.events += len(dm.events) + dm.bad
	for c.events > decodedCacheEvents && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		if o := c.bySeq[old]; o != nil {
			c.events -= len(o.events) + o.bad
			delete(c.bySeq, old)
		}
	}
	if cap(c.order) > 4*decodedCacheEvents && len(c.order) < cap(c.order)/4 {
		c.order = append([]uint64(nil), c.order...) // let the spent prefix go
	}
}

// decode returns the events of one message, from the cache when another
// consumer decoded it already.
func (c *decodedCache) decode(data []byte, seq uint64) *decodedMsg {
	sum := maphash.Bytes(c.seed, data)
	if dm := c.get(seq); dm != nil && dm.sum == sum {
		return dm
	}
	dm := &decodedMsg{sum: sum}
	decodeMessage(data, seq, func(p EventPos, ev model.Event, ok bool) {
		if !ok {
			dm.bad++
			return
		}
		dm.events = append(dm.events, ev)
		dm.pos = append(dm.pos, p)
	})
	c.put(seq, dm)
	return dm
}
