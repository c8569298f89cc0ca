package services

import (
	"sync"
	"time"
)

// Limits bound what one attacker can make a service hold.
type Limits struct {
	// HandshakeTimeout bounds the time from accept to the end of the
	// protocol's greeting or handshake.
	HandshakeTimeout time.Duration
	// IdleTimeout closes a connection that sends nothing for this long.
	IdleTimeout time.Duration
	// MaxSession closes any connection after this long.
	MaxSession time.Duration
	// MaxConnsPerIP and MaxConns cap concurrent connections per source
	// address and per service instance.
	MaxConnsPerIP int
	MaxConns      int
	// MaxLine bounds one protocol line or frame.
	MaxLine int
}

// DefaultLimits are generous for a human on a shell and tight enough that a
// flood from one address cannot starve the others.
var DefaultLimits = Limits{
	HandshakeTimeout: 15 * time.Second,
	IdleTimeout:      5 * time.Minute,
	MaxSession:       2 * time.Hour,
	MaxConnsPerIP:    64,
	MaxConns:         4096,
	MaxLine:          64 << 10,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.HandshakeTimeout > 0 {
		d.HandshakeTimeout = l.HandshakeTimeout
	}
	if l.IdleTimeout > 0 {
		d.IdleTimeout = l.IdleTimeout
	}
	if l.MaxSession > 0 {
		d.MaxSession = l.MaxSession
	}
	if l.MaxConnsPerIP > 0 {
		d.MaxConnsPerIP = l.MaxConnsPerIP
	}
	if l.MaxConns > 0 {
		d.MaxConns = l.MaxConns
	}
	if l.MaxLine > 0 {
		d.MaxLine = l.MaxLine
	}
	return d
}

// gate counts open connections per source address and in total.
type gate struct {
	mu       sync.Mutex
	perIP    map[string]int
	total    int
	maxPerIP int
	max      int
}

func newGate(maxPerIP, max int) *gate {
	return &gate{perIP: make(map[string]int), maxPerIP: maxPerIP, max: max}
}

// acquire admits a connection from ip, or reports which cap refused it.
func (g *gate) acquire(ip string) (ok bool, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.total >= g.max {
		return false, "service connection cap"
	}
	if g.perIP[ip] >= g.maxPerIP {
		return false, "per-address connection cap"
	}
	g.total++
	g.perIP[ip]++
	return true, ""
}

func (g *gate) release(ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.total--
	if g.perIP[ip]--; g.perIP[ip] <= 0 {
		delete(g.perIP, ip)
	}
}
