package ftp

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/decnet/decnet/internal/services"
)

// maxPassivePorts bounds the passive range: every port is a listener the
// runtime opens per decky.
const maxPassivePorts = 64

// defaultPassivePorts is the pasv_ports default: ten ports, enough for ten
// concurrent transfers per decky.
const defaultPassivePorts = "30000-30009"

// parsePorts reads "30000-30009", "30000,30001" or a mix of both.
func parsePorts(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(item, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil, fmt.Errorf("pasv_ports: %q is not a port or a range", item)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil {
				return nil, fmt.Errorf("pasv_ports: %q is not a port or a range", item)
			}
		}
		if a < 1024 || b > 65535 || a > b {
			return nil, fmt.Errorf("pasv_ports: %q must lie within 1024-65535", item)
		}
		for p := a; p <= b; p++ {
			if len(out) == maxPassivePorts {
				return nil, fmt.Errorf("pasv_ports: more than %d ports", maxPassivePorts)
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("pasv_ports: no port given")
	}
	return out, nil
}

// dataConn is a passive data connection handed from the port it arrived on
// to the control session that asked for it; done releases the goroutine
// the runtime runs it in.
type dataConn struct {
	c    *services.Conn
	done chan struct{}
}

// pasvWait is one PASV/EPSV waiting for its data connection.
type pasvWait struct {
	port     int
	clientIP string
	ch       chan dataConn
}

// broker pairs passive data connections with the control sessions that
// opened them: one waiting session per port, and only a connection from
// the same address as the control connection is handed over (what
// vsftpd's pasv_promiscuous=NO enforces against data theft).
type broker struct {
	mu      sync.Mutex
	ports   []int
	isPort  map[int]bool
	next    int
	pending map[int]*pasvWait
}

func newBroker(ports []int) *broker {
	b := &broker{ports: ports, isPort: map[int]bool{}, pending: map[int]*pasvWait{}}
	for _, p := range ports {
		b.isPort[p] = true
	}
	return b
}

// passive reports whether port is one of the passive ports.
func (b *broker) passive(port int) bool { return b.isPort[port] }

// open reserves a free passive port for clientIP; ok is false when every
// port has a session waiting on it.
func (b *broker) open(clientIP string) (*pasvWait, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for range b.ports {
		p := b.ports[b.next%len(b.ports)]
		b.next++
		if b.pending[p] == nil {
			w := &pasvWait{port: p, clientIP: clientIP, ch: make(chan dataConn, 1)}
			b.pending[p] = w
			return w, true
		}
	}
	return nil, false
}

// release drops w; a connection already handed to it and never used is
// closed and its goroutine released.
func (b *broker) release(w *pasvWait) {
	if w == nil {
		return
	}
	b.mu.Lock()
	if b.pending[w.port] == w {
		delete(b.pending, w.port)
	}
	b.mu.Unlock()
	select {
	case dc := <-w.ch:
		dc.c.Close()
		close(dc.done)
	default:
	}
}

// deliver hands c, which arrived on a passive port, to the session waiting
// there. It returns the channel closed when the session is done with c, or
// ok false when nobody waits for a connection from c's address.
func (b *broker) deliver(c *services.Conn) (done chan struct{}, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.pending[c.DstPort]
	if w == nil || w.clientIP != c.SrcIP {
		return nil, false
	}
	delete(b.pending, c.DstPort)
	done = make(chan struct{})
	w.ch <- dataConn{c: c, done: done}
	return done, true
}
