package syslog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Listener defaults; each applies when the matching ListenerOptions field is
// zero.
const (
	// DefaultAddr is loopback only: the listener exists for services on this
	// host, and exposing it would let anyone forge events.
	DefaultAddr = "127.0.0.1:5514"
	// DefaultMaxFrame matches MaxLineSize; a larger frame could never parse.
	DefaultMaxFrame = MaxLineSize
	// DefaultMaxConns bounds TCP goroutines and buffers (each connection
	// holds up to about 2×MaxFrame) against a connection flood.
	DefaultMaxConns = 256
	// DefaultReadTimeout is how long one frame may take to arrive once it has
	// started, which cuts off slow-drip senders.
	DefaultReadTimeout = 30 * time.Second
	// DefaultIdleTimeout closes TCP connections that send nothing; log
	// shippers reconnect on their own.
	DefaultIdleTimeout = 5 * time.Minute
)

// logEvery is the minimum gap between two log lines about the same kind of
// dropped input, so a garbage flood cannot flood our own logs.
const logEvery = 10 * time.Second

// ErrAddrInUse is matched (errors.Is) by the error Listen returns when a
// listen address is taken.
var ErrAddrInUse = errors.New("syslog listener: address already in use")

// ListenerOptions configures Listen.
type ListenerOptions struct {
	// UDPAddr and TCPAddr are the host:port to listen on. When both are
	// empty both default to DefaultAddr; when only one is set, the empty one
	// is disabled. Port 0 picks a free port (see Listener.Addrs).
	UDPAddr, TCPAddr string
	// Sink receives every parsed event, with ID unset (the sink assigns it)
	// and SrcIP as claimed by the sender. It is called from several goroutines
	// at once and must not call Listener.Close. A slow Sink slows TCP senders
	// down and makes the kernel drop UDP datagrams.
	Sink func(model.Event)
	// Logger receives the listener's own diagnostics; nil discards them.
	Logger *slog.Logger
	// MaxFrame is the largest frame or datagram accepted, in bytes
	// (DefaultMaxFrame). Lines over MaxLineSize are rejected regardless.
	MaxFrame int
	// MaxConns is the most TCP connections served at once (DefaultMaxConns);
	// further connections are closed on accept.
	MaxConns int
	// ReadTimeout bounds the arrival of one TCP frame (DefaultReadTimeout).
	ReadTimeout time.Duration
	// IdleTimeout bounds the wait for the next TCP frame (DefaultIdleTimeout).
	IdleTimeout time.Duration
}

func (o ListenerOptions) withDefaults() ListenerOptions {
	if o.UDPAddr == "" && o.TCPAddr == "" {
		o.UDPAddr, o.TCPAddr = DefaultAddr, DefaultAddr
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxFrame <= 0 {
		o.MaxFrame = DefaultMaxFrame
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = DefaultReadTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return o
}

// Stats are the listener's counters since Listen, for health endpoints and
// tests.
type Stats struct {
	// Received counts frames and datagrams read, before parsing.
	Received uint64
	// Accepted counts events handed to Sink.
	Accepted uint64
	// Malformed counts frames that are not RFC 5424, including TCP frames cut
	// short by the peer.
	Malformed uint64
	// Oversized counts frames over MaxFrame or MaxLineSize.
	Oversized uint64
	// InvalidUTF8 counts frames that are not valid UTF-8.
	InvalidUTF8 uint64
	// RejectedConns counts TCP connections closed because MaxConns were open.
	RejectedConns uint64
	// Panics counts recovered panics (in Sink or in connection handling).
	Panics uint64
}

// dropKind names a class of dropped input for rate-limited logging.
type dropKind int

const (
	dropMalformed dropKind = iota
	dropOversized
	dropInvalidUTF8
	dropConnLimit
	dropPanic
	dropReadError
	numDropKinds
)

// Listener receives RFC 5424 lines over UDP and TCP and hands the parsed
// events to a sink. Bad input is counted and dropped; the listener keeps
// serving.
type Listener struct {
	opts ListenerOptions
	log  *slog.Logger
	udp  net.PacketConn
	tcp  net.Listener
	sem  chan struct{}
	wg   sync.WaitGroup
	stop func() bool

	mu     sync.Mutex // guards closed and conns
	closed bool
	conns  map[net.Conn]struct{}

	closeOnce sync.Once
	closeErr  error

	received, accepted, malformed, oversized, invalidUTF8 atomic.Uint64
	rejectedConns, panics                                 atomic.Uint64
	// sockErr holds the last UDP read or TCP accept failure while the
	// listener is backing off, cleared by the next success; Err reports it.
	sockErr atomic.Pointer[error]
	lastLog [numDropKinds]atomic.Int64
}

// Listen binds the configured sockets and serves them until ctx ends or
// Close is called. A taken address yields an error naming it and matching
// ErrAddrInUse.
func Listen(ctx context.Context, opts ListenerOptions) (*Listener, error) {
	opts = opts.withDefaults()
	if opts.Sink == nil {
		return nil, errors.New("syslog listener: ListenerOptions.Sink is required")
	}
	l := &Listener{
		opts:  opts,
		log:   opts.Logger,
		sem:   make(chan struct{}, opts.MaxConns),
		conns: make(map[net.Conn]struct{}),
	}
	var lc net.ListenConfig
	if opts.UDPAddr != "" {
		pc, err := lc.ListenPacket(ctx, "udp", opts.UDPAddr)
		if err != nil {
			return nil, bindError("udp", opts.UDPAddr, err)
		}
		l.udp = pc
	}
	if opts.TCPAddr != "" {
		ln, err := lc.Listen(ctx, "tcp", opts.TCPAddr)
		if err != nil {
			if l.udp != nil {
				l.udp.Close()
			}
			return nil, bindError("tcp", opts.TCPAddr, err)
		}
		l.tcp = ln
	}
	if l.udp != nil {
		l.wg.Add(1)
		go l.serveUDP()
	}
	if l.tcp != nil {
		l.wg.Add(1)
		go l.serveTCP()
	}
	l.stop = context.AfterFunc(ctx, func() { l.Close() })
	udp, tcp := l.Addrs()
	l.log.Info("syslog listener started", "udp", addrString(udp), "tcp", addrString(tcp))
	return l, nil
}

// addrInUseError is the port-in-use error; its text tells the operator what
// to change.
type addrInUseError struct {
	network, addr string
	err           error
}

func (e *addrInUseError) Error() string {
	return fmt.Sprintf("syslog listener: %s (%s) is already in use; set DECNET_SYSLOG_ADDR to a free address", e.addr, e.network)
}

func (e *addrInUseError) Is(target error) bool { return target == ErrAddrInUse }
func (e *addrInUseError) Unwrap() error        { return e.err }

func bindError(network, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return &addrInUseError{network: network, addr: addr, err: err}
	}
	return fmt.Errorf("syslog listener: listen %s %s: %w", network, addr, err)
}

// Addrs returns the bound UDP and TCP addresses (nil when disabled), which is
// how callers learn the port chosen for ":0".
func (l *Listener) Addrs() (udp, tcp net.Addr) {
	if l.udp != nil {
		udp = l.udp.LocalAddr()
	}
	if l.tcp != nil {
		tcp = l.tcp.Addr()
	}
	return udp, tcp
}

// Stats returns a snapshot of the counters.
func (l *Listener) Stats() Stats {
	return Stats{
		Received:      l.received.Load(),
		Accepted:      l.accepted.Load(),
		Malformed:     l.malformed.Load(),
		Oversized:     l.oversized.Load(),
		InvalidUTF8:   l.invalidUTF8.Load(),
		RejectedConns: l.rejectedConns.Load(),
		Panics:        l.panics.Load(),
	}
}

// Close stops listening, closes open connections and waits for in-flight
// events to reach Sink. It is safe to call more than once.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		if l.stop != nil {
			l.stop()
		}
		l.mu.Lock()
		l.closed = true
		conns := l.conns
		l.conns = nil
		l.mu.Unlock()

		var errs []error
		if l.udp != nil {
			errs = append(errs, l.udp.Close())
		}
		if l.tcp != nil {
			errs = append(errs, l.tcp.Close())
		}
		for c := range conns {
			c.Close()
		}
		l.wg.Wait()
		l.closeErr = errors.Join(errs...)
	})
	return l.closeErr
}

// Err reports why the listener is not serving: closed, or its sockets failing
// (for example out of file descriptors) while it retries. Nil when serving.
func (l *Listener) Err() error {
	if l.isClosed() {
		return errors.New("syslog listener: closed")
	}
	if p := l.sockErr.Load(); p != nil {
		return fmt.Errorf("syslog listener: %w", *p)
	}
	return nil
}

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

func (l *Listener) serveUDP() {
	defer l.wg.Done()
	// One spare byte tells an oversized datagram from one of exactly MaxFrame.
	buf := make([]byte, l.opts.MaxFrame+1)
	var backoff time.Duration
	for {
		n, addr, err := l.udp.ReadFrom(buf)
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = nextBackoff(backoff)
			l.sockErr.Store(&err)
			if l.shouldLog(dropReadError) {
				l.log.Warn("syslog listener: udp read failed; retrying", "err", err, "retry_in", backoff)
			}
			time.Sleep(backoff)
			continue
		}
		if backoff != 0 {
			backoff = 0
			l.sockErr.Store(nil)
		}
		if n > l.opts.MaxFrame {
			l.received.Add(1)
			l.drop(dropOversized, addr, nil, errFrameTooLong)
			continue
		}
		if line := trimEOL(buf[:n]); len(line) > 0 {
			l.handle(line, addr)
		}
	}
}

func (l *Listener) serveTCP() {
	defer l.wg.Done()
	var backoff time.Duration
	for {
		c, err := l.tcp.Accept()
		if err != nil {
			if l.isClosed() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Typically EMFILE: wait for descriptors to free up, as net/http
			// does, instead of spinning.
			backoff = nextBackoff(backoff)
			l.sockErr.Store(&err)
			if l.shouldLog(dropReadError) {
				l.log.Warn("syslog listener: tcp accept failed; retrying", "err", err, "retry_in", backoff)
			}
			time.Sleep(backoff)
			continue
		}
		if backoff != 0 {
			backoff = 0
			l.sockErr.Store(nil)
		}
		select {
		case l.sem <- struct{}{}:
		default:
			l.rejectedConns.Add(1)
			if l.shouldLog(dropConnLimit) {
				l.log.Warn("syslog listener: connection limit reached; closing new connections",
					"max_conns", l.opts.MaxConns, "remote", c.RemoteAddr().String(), "rejected_total", l.rejectedConns.Load())
			}
			c.Close()
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			<-l.sem
			return
		}
		l.conns[c] = struct{}{}
		// The accept goroutine holds a count, so Add cannot race with Wait.
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serveConn(c)
	}
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}

func (l *Listener) serveConn(c net.Conn) {
	remote := c.RemoteAddr()
	defer func() {
		if r := recover(); r != nil {
			l.recovered(r, remote)
		}
		c.Close()
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		<-l.sem
		l.wg.Done()
	}()
	fr := newFramer(c, l.opts.MaxFrame)
	fr.frameStart = func() { c.SetReadDeadline(time.Now().Add(l.opts.ReadTimeout)) }
	for {
		c.SetReadDeadline(time.Now().Add(l.opts.IdleTimeout))
		frame, err := fr.next()
		switch {
		case err == nil:
			if len(frame) > 0 {
				l.handle(frame, remote)
			}
		case errors.Is(err, errFrameTooLong):
			l.received.Add(1)
			l.drop(dropOversized, remote, nil, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			l.received.Add(1)
			l.drop(dropMalformed, remote, nil, errors.New("connection closed inside an octet-counted frame"))
			return
		default:
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				l.log.Debug("syslog listener: closing connection", "remote", remote.String(), "err", err,
					"timeout", errors.Is(err, os.ErrDeadlineExceeded))
			}
			return
		}
	}
}

// handle parses one frame and delivers it. A panic here (a Sink bug, or a
// parser bug on hostile input) costs one event, not the listener.
func (l *Listener) handle(frame []byte, remote net.Addr) {
	defer func() {
		if r := recover(); r != nil {
			l.recovered(r, remote)
		}
	}()
	l.received.Add(1)
	ev, err := Parse(string(frame))
	if err != nil {
		switch {
		case errors.Is(err, ErrTooLong):
			l.drop(dropOversized, remote, frame, err)
		case errors.Is(err, ErrInvalidUTF8):
			l.drop(dropInvalidUTF8, remote, frame, err)
		default:
			l.drop(dropMalformed, remote, frame, err)
		}
		return
	}
	l.opts.Sink(ev)
	l.accepted.Add(1)
}

func (l *Listener) recovered(r any, remote net.Addr) {
	l.panics.Add(1)
	if l.shouldLog(dropPanic) {
		l.log.Error("syslog listener: recovered panic while handling input",
			"remote", addrString(remote), "panic", fmt.Sprint(r), "stack", string(debug.Stack()),
			"panics_total", l.panics.Load())
	}
}

// drop counts a rejected frame and logs it at most once per logEvery per
// kind. The snippet is quoted to ASCII so hostile bytes cannot forge log
// lines or reach a terminal.
func (l *Listener) drop(k dropKind, remote net.Addr, frame []byte, err error) {
	var total uint64
	switch k {
	case dropOversized:
		total = l.oversized.Add(1)
	case dropInvalidUTF8:
		total = l.invalidUTF8.Add(1)
	default:
		total = l.malformed.Add(1)
	}
	if !l.shouldLog(k) {
		return
	}
	args := []any{"remote", addrString(remote), "err", err, "dropped_total", total}
	if len(frame) > 0 {
		args = append(args, "snippet", strconv.QuoteToASCII(string(frame[:min(len(frame), 80)])))
	}
	l.log.Warn("syslog listener: dropped input", args...)
}

// shouldLog reports whether a line about kind k may be logged now, and if so
// claims the slot.
func (l *Listener) shouldLog(k dropKind) bool {
	now := time.Now().UnixNano()
	last := l.lastLog[k].Load()
	if last != 0 && now-last < int64(logEvery) {
		return false
	}
	return l.lastLog[k].CompareAndSwap(last, now)
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
