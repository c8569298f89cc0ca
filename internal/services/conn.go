package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"time"
)

// writeTimeout bounds one write: a client that stops reading must not hold
// a goroutine forever.
const writeTimeout = time.Minute

// Conn is an accepted connection with its session and the shared limits:
// every Read is bounded by the idle timeout, the session cap and, while one
// is set, the phase deadline (a handshake's).
type Conn struct {
	net.Conn
	*Session
	limits     Limits
	sessionEnd time.Time

	mu       sync.Mutex
	phaseEnd time.Time
}

// Limits are the limits in force on this connection.
func (c *Conn) Limits() Limits { return c.limits }

// SetPhaseDeadline bounds the next phase (a handshake, a login) to d from
// now on top of the idle timeout; ClearPhaseDeadline lifts it.
func (c *Conn) SetPhaseDeadline(d time.Duration) {
	c.mu.Lock()
	c.phaseEnd = time.Now().Add(d)
	c.mu.Unlock()
}

// ClearPhaseDeadline ends the phase SetPhaseDeadline started.
func (c *Conn) ClearPhaseDeadline() {
	c.mu.Lock()
	c.phaseEnd = time.Time{}
	c.mu.Unlock()
}

func (c *Conn) readDeadline() time.Time {
	d := time.Now().Add(c.limits.IdleTimeout)
	if d.After(c.sessionEnd) {
		d = c.sessionEnd
	}
	c.mu.Lock()
	if !c.phaseEnd.IsZero() && d.After(c.phaseEnd) {
		d = c.phaseEnd
	}
	c.mu.Unlock()
	return d
}

// Read reads with the connection's current deadline.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(c.readDeadline()); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Write writes with a bounded deadline.
func (c *Conn) Write(p []byte) (int, error) {
	d := time.Now().Add(writeTimeout)
	if d.After(c.sessionEnd) {
		d = c.sessionEnd
	}
	if err := c.Conn.SetWriteDeadline(d); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// refusalEvery spaces connection_refused events: a flood from one address
// must not become a flood of events.
const refusalEvery = time.Second

// Serve accepts connections on ln and hands each to h in its own goroutine,
// applying env.Limits, until ctx ends; then it closes ln and every open
// connection and waits for the handlers. A panic in a handler costs only its
// connection: it becomes a protocol_error event.
func Serve(ctx context.Context, ln net.Listener, h Handler, env *Env) error {
	lim := env.Limits.withDefaults()
	g := newGate(lim.MaxConnsPerIP, lim.MaxConns)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		open    = make(map[net.Conn]struct{})
		closing bool
	)
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		closing = true
		for c := range open {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()

	var lastRefusal time.Time
	refused := 0
	backoff := 5 * time.Millisecond
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				break
			}
			// Out of file descriptors and similar: wait and retry, as
			// net/http does, instead of spinning or giving up.
			env.Logger.Warn("services: accept failed, retrying", "service", env.Emitter.service, "err", err)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		ip, _ := splitAddr(nc.RemoteAddr())
		if ok, reason := g.acquire(ip); !ok {
			refused++
			if time.Since(lastRefusal) >= refusalEvery {
				lastRefusal = time.Now()
				s := env.Emitter.NewSession(nc.RemoteAddr(), nc.LocalAddr())
				s.Emit("connection_refused", map[string]string{"reason": reason, "refused": fmt.Sprint(refused)}, "connection refused: "+reason)
				refused = 0
			}
			nc.Close()
			continue
		}
		mu.Lock()
		if closing {
			mu.Unlock()
			nc.Close()
			g.release(ip)
			continue
		}
		open[nc] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer g.release(ip)
			defer func() {
				mu.Lock()
				delete(open, nc)
				mu.Unlock()
			}()
			serveConn(ctx, nc, h, env, lim)
		}()
	}
	wg.Wait()
	return nil
}

func serveConn(ctx context.Context, nc net.Conn, h Handler, env *Env, lim Limits) {
	c := &Conn{Conn: nc, Session: env.Emitter.NewSession(nc.RemoteAddr(), nc.LocalAddr()), limits: lim}
	c.sessionEnd = c.Started.Add(lim.MaxSession)
	cctx, cancel := context.WithDeadline(ctx, c.sessionEnd)
	defer cancel()
	defer nc.Close()
	defer func() {
		if r := recover(); r != nil {
			env.Logger.Error("services: handler panicked; connection closed", "service", env.Emitter.service,
				"decky", env.Decky.Name, "panic", r, "stack", string(debug.Stack()))
			c.Emit("protocol_error", map[string]string{"error": clipString(fmt.Sprint("panic: ", r), 512)}, "internal error handling this connection")
		}
	}()
	h.ServeConn(cctx, c)
}

// ServePackets runs h on pc until ctx ends, then closes pc. A panic in h is
// logged and h is restarted after a pause, so one hostile datagram cannot
// silence a UDP service.
func ServePackets(ctx context.Context, pc net.PacketConn, h PacketHandler, port Port, env *Env) error {
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	for ctx.Err() == nil {
		err := func() (err error) {
			defer func() {
				if r := recover(); r != nil {
					env.Logger.Error("services: packet handler panicked; restarting it", "service", env.Emitter.service,
						"decky", env.Decky.Name, "panic", r, "stack", string(debug.Stack()))
					err = fmt.Errorf("panic: %v", r)
				}
			}()
			return h.ServePacket(ctx, pc, port)
		}()
		if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
			}
		}
	}
	return nil
}
