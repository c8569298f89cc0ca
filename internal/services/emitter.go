package services

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/syslog"
)

// Publisher is where events go: the bus's EVENTS stream.
type Publisher interface {
	PublishEventAsync(ev model.Event) error
}

// maxFieldLen bounds one event field; attackers choose most of them.
const maxFieldLen = 16 << 10

// maxFields bounds the fields of one event.
const maxFields = 64

// Emitter stamps and sends the events of one service in one decky. It is
// safe for concurrent use by the service's connections.
type Emitter struct {
	pub     Publisher
	file    *LogFile
	decky   string
	service string
	dstIP   string
	now     func() time.Time
	log     *slog.Logger

	published, failed atomic.Uint64
	warnMu            sync.Mutex
	lastWarn          time.Time
}

// EmitterOptions configures NewEmitter; Publisher or File (or both) should
// be set, or events only count.
type EmitterOptions struct {
	Publisher Publisher
	// File, when set, also receives every event as an RFC 5424 line.
	File   *LogFile
	Decky  string
	IP     string
	Logger *slog.Logger
	Now    func() time.Time
}

// NewEmitter returns the emitter of service in the decky of o.
func NewEmitter(service string, o EmitterOptions) *Emitter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Emitter{pub: o.Publisher, file: o.File, decky: o.Decky, service: service, dstIP: o.IP, now: o.Now, log: o.Logger}
}

// Service is the slug of the emitter's service.
func (e *Emitter) Service() string { return e.service }

// Stats returns how many events were handed to the bus and how many it
// refused (those still reached the log file when one is configured).
func (e *Emitter) Stats() (published, failed uint64) {
	return e.published.Load(), e.failed.Load()
}

// Emit fills ev's id, time, decky, service and destination address when
// unset, bounds its fields, and sends it. It never blocks longer than the
// bus's publish timeout and never fails the caller: a refused event is
// counted, logged (rate-limited) and still written to the log file.
func (e *Emitter) Emit(ev model.Event) {
	if ev.ID == "" {
		ev.ID = model.NewEventID()
	}
	if ev.TS.IsZero() {
		ev.TS = e.now().UTC()
	}
	ev.Decky, ev.Service = e.decky, e.service
	if ev.DstIP == "" {
		ev.DstIP = e.dstIP
	}
	if ev.SrcIP == "" {
		ev.SrcIP = model.UnknownIP
	}
	ev.Fields = boundFields(ev.Fields)
	ev.Msg = clipString(ev.Msg, maxFieldLen)
	if e.file != nil {
		e.file.Write(ev, syslog.SeverityInfo)
	}
	if e.pub == nil {
		return
	}
	if err := e.pub.PublishEventAsync(ev); err != nil {
		e.failed.Add(1)
		e.warn(err)
		return
	}
	e.published.Add(1)
}

func (e *Emitter) warn(err error) {
	e.warnMu.Lock()
	defer e.warnMu.Unlock()
	if now := time.Now(); now.Sub(e.lastWarn) > 10*time.Second {
		e.lastWarn = now
		e.log.Warn("services: event not published; it is only in the log file, if one is configured",
			"decky", e.decky, "service", e.service, "err", err)
	}
}

func boundFields(f map[string]string) map[string]string {
	if withinBounds(f) {
		// The usual case: no copy. The map is encoded before Emit returns,
		// so sharing it with the caller is safe.
		return f
	}
	out := make(map[string]string, min(len(f), maxFields))
	for k, v := range f {
		if len(out) == maxFields {
			break
		}
		out[clipString(k, 64)] = clipString(v, maxFieldLen)
	}
	return out
}

// withinBounds reports whether f needs no clipping.
func withinBounds(f map[string]string) bool {
	if len(f) > maxFields {
		return false
	}
	for k, v := range f {
		if len(k) > 64 || len(v) > maxFieldLen {
			return false
		}
	}
	return true
}

// clipString cuts s to at most n bytes without splitting a UTF-8 sequence.
func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Session is one attacker connection's identity: every event it emits
// carries the session id and both endpoints.
type Session struct {
	ID      string
	SrcIP   string
	SrcPort int
	DstIP   string
	DstPort int
	Started time.Time
	em      *Emitter
}

// NewSession starts a session for a connection from remote to local.
func (e *Emitter) NewSession(remote, local net.Addr) *Session {
	s := &Session{ID: newSessionID(), Started: e.now().UTC(), em: e}
	s.SrcIP, s.SrcPort = splitAddr(remote)
	s.DstIP, s.DstPort = splitAddr(local)
	return s
}

// Emit sends an event of eventType from this session.
func (s *Session) Emit(eventType string, fields map[string]string, msg string) {
	s.em.Emit(model.Event{
		EventType: eventType, SrcIP: s.SrcIP, SrcPort: s.SrcPort, DstIP: s.DstIP, DstPort: s.DstPort,
		SessionID: s.ID, Fields: fields, Msg: msg,
	})
}

// Emitter is the emitter the session sends through.
func (s *Session) Emitter() *Emitter { return s.em }

func newSessionID() string {
	u := uuid.New()
	return fmt.Sprintf("%x", u[:8])
}

func splitAddr(a net.Addr) (string, int) {
	switch v := a.(type) {
	case *net.TCPAddr:
		return v.IP.String(), v.Port
	case *net.UDPAddr:
		return v.IP.String(), v.Port
	case nil:
		return model.UnknownIP, 0
	}
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String(), 0
	}
	n, _ := strconv.Atoi(port)
	return host, n
}

// LogFile appends events as RFC 5424 lines for SIEMs that tail files. It is
// safe for concurrent use; a write error is reported once per file, not per
// event.
type LogFile struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	buf    []byte
	failed bool
	log    *slog.Logger
	done   chan struct{}
	closed bool
}

// OpenLogFile opens (or creates) path for appending.
func OpenLogFile(path string, log *slog.Logger) (*LogFile, error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open event log file %s: %w", path, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &LogFile{f: f, w: bufio.NewWriterSize(f, 64<<10), log: log, done: make(chan struct{})}
	// A tailing SIEM should see a line within a second, not when 64 KiB
	// have gathered.
	go l.flushEvery(time.Second)
	return l, nil
}

func (l *LogFile) flushEvery(d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			l.Flush()
		}
	}
}

// Write appends ev as one line. Lines are buffered; Flush or Close writes
// them out.
func (l *LogFile) Write(ev model.Event, sev syslog.Severity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	l.buf = append(syslog.AppendFormat(l.buf[:0], ev, sev), '\n')
	if _, err := l.w.Write(l.buf); err != nil && !l.failed {
		l.failed = true
		l.log.Error("services: writing the event log file failed; events still go to the bus", "file", l.f.Name(), "err", err)
	}
}

// Flush writes buffered lines to the file.
func (l *LogFile) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Flush()
}

// Close flushes and closes the file.
func (l *LogFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	close(l.done)
	err := l.w.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}
