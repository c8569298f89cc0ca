package syslog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// waitLimit bounds every poll; it only matters when a test is failing.
const waitLimit = 10 * time.Second

// checkFor polls cond until it returns nil or waitLimit passes.
func checkFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %v", waitLimit, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// sink collects delivered events for assertions.
type sink struct {
	mu     sync.Mutex
	events []model.Event
}

func (s *sink) put(ev model.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
}

func (s *sink) deckies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ev := range s.events {
		out = append(out, ev.Decky)
	}
	return out
}

// waitDeckies waits until the sink holds exactly the events whose Decky
// values are want, in order.
func (s *sink) waitDeckies(t *testing.T, want ...string) {
	t.Helper()
	checkFor(t, func() error {
		if got := s.deckies(); !slices.Equal(got, want) {
			return fmt.Errorf("deckies received = %q, want %q", got, want)
		}
		return nil
	})
}

// logRecorder is an slog.Handler that keeps every record's message.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, b.String())
	return nil
}

func (r *logRecorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

// startListener runs a listener on loopback ephemeral ports for one test.
func startListener(t *testing.T, opts ListenerOptions) (*Listener, *sink, *logRecorder) {
	t.Helper()
	s := &sink{}
	rec := &logRecorder{}
	if opts.UDPAddr == "" && opts.TCPAddr == "" {
		opts.UDPAddr, opts.TCPAddr = "127.0.0.1:0", "127.0.0.1:0"
	}
	if opts.Sink == nil {
		opts.Sink = s.put
	}
	opts.Logger = slog.New(rec)
	l, err := Listen(context.Background(), opts)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, s, rec
}

func line(decky string) string {
	return `<134>1 2026-05-02T06:22:48.089309+00:00 ` + decky + ` ssh - connect [relay@55555 src_ip="192.0.2.1"] hi`
}

func dialTCP(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	_, addr := l.Addrs()
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t *testing.T, c net.Conn, chunks ...string) {
	t.Helper()
	for _, s := range chunks {
		if _, err := io.WriteString(c, s); err != nil {
			t.Fatalf("write: %v", err)
		}
	}
}

func waitStats(t *testing.T, l *Listener, want func(Stats) bool) {
	t.Helper()
	checkFor(t, func() error {
		if st := l.Stats(); !want(st) {
			return fmt.Errorf("stats %+v", st)
		}
		return nil
	})
}

func TestListenerUDPDeliversOneEventPerDatagram(t *testing.T) {
	l, s, _ := startListener(t, ListenerOptions{UDPAddr: "127.0.0.1:0"})
	udp, tcp := l.Addrs()
	if tcp != nil {
		t.Fatalf("TCP enabled although only UDPAddr was set: %v", tcp)
	}
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write(t, c, line("udp-a")+"\n", line("udp-b")+"\r\n", "\n")
	s.waitDeckies(t, "udp-a", "udp-b")

	s.mu.Lock()
	ev := s.events[0]
	s.mu.Unlock()
	if ev.SrcIP != "192.0.2.1" || ev.Msg != "hi" || ev.Raw != line("udp-a") {
		t.Errorf("event = %+v, want src 192.0.2.1, msg hi and the raw line without newline", ev)
	}
	waitStats(t, l, func(st Stats) bool { return st.Received == 2 && st.Accepted == 2 })
}

func TestListenerUDPCountsBadDatagramsAndKeepsServing(t *testing.T) {
	l, s, _ := startListener(t, ListenerOptions{UDPAddr: "127.0.0.1:0", MaxFrame: 300})
	udp, _ := l.Addrs()
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	write(t, c, "garbage", "<134>1 - d x - e - \xff", strings.Repeat("x", 301), line("after"))
	s.waitDeckies(t, "after")
	waitStats(t, l, func(st Stats) bool {
		return st.Received == 4 && st.Malformed == 1 && st.InvalidUTF8 == 1 && st.Oversized == 1 && st.Accepted == 1
	})
}

func TestListenerTCPNewlineFramingWithSplitWrites(t *testing.T) {
	l, s, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0"})
	c := dialTCP(t, l)
	a, b := line("tcp-a"), line("tcp-b")
	write(t, c, a[:10], a[10:40], a[40:]+"\r\n"+b[:5], b[5:]+"\n", line("tcp-c"))
	c.(*net.TCPConn).CloseWrite()
	s.waitDeckies(t, "tcp-a", "tcp-b", "tcp-c")
}

func TestListenerTCPOctetCountingWithSplitWrites(t *testing.T) {
	l, s, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0"})
	c := dialTCP(t, l)
	a, b := line("oc-a"), line("oc-b")
	fa := fmt.Sprintf("%d %s", len(a), a)
	write(t, c, fa[:2], fa[2:20], fa[20:], fmt.Sprintf("%d %s", len(b), b), line("nl-c")+"\n")
	s.waitDeckies(t, "oc-a", "oc-b", "nl-c")
}

func TestListenerTCPSkipsOversizedFrameAndDeliversTheNext(t *testing.T) {
	for _, tc := range []struct {
		name     string
		oversize string
	}{
		{"newline framing", strings.Repeat("x", 2000) + "\n"},
		{"octet counting", fmt.Sprintf("%d %s", 2000, strings.Repeat("x", 2000))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, s, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0", MaxFrame: 512})
			c := dialTCP(t, l)
			write(t, c, tc.oversize, line("good")+"\n")
			s.waitDeckies(t, "good")
			waitStats(t, l, func(st Stats) bool { return st.Oversized == 1 && st.Accepted == 1 })
		})
	}
}

func TestListenerTCPDropsGarbageAndRateLimitsItsLogs(t *testing.T) {
	l, s, rec := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0"})
	c := dialTCP(t, l)
	const bad = 20
	for i := range bad {
		write(t, c, fmt.Sprintf("garbage %d\n", i))
	}
	write(t, c, "\xff\xfe\n", line("still-serving")+"\n")
	s.waitDeckies(t, "still-serving")
	waitStats(t, l, func(st Stats) bool { return st.Malformed == bad && st.InvalidUTF8 == 1 })
	if n := rec.count("dropped input"); n < 2 || n >= bad {
		t.Errorf("logged %d drop lines for %d malformed + 1 invalid UTF-8 input, want one per kind per 10s", n, bad)
	}
}

func TestListenerRecoversFromSinkPanic(t *testing.T) {
	s := &sink{}
	l, _, rec := startListener(t, ListenerOptions{
		TCPAddr: "127.0.0.1:0",
		Sink: func(ev model.Event) {
			if ev.Decky == "boom" {
				panic("sink exploded")
			}
			s.put(ev)
		},
	})
	c := dialTCP(t, l)
	write(t, c, line("boom")+"\n", line("after-panic")+"\n")
	s.waitDeckies(t, "after-panic")
	waitStats(t, l, func(st Stats) bool { return st.Panics == 1 && st.Accepted == 1 })
	if rec.count("recovered panic") != 1 {
		t.Errorf("want one log line about the recovered panic")
	}
}

func TestListenerClosesConnectionsOverMaxConns(t *testing.T) {
	l, s, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0", MaxConns: 1})
	first := dialTCP(t, l)
	write(t, first, line("first")+"\n")
	s.waitDeckies(t, "first")

	second := dialTCP(t, l)
	second.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Fatal("second connection was served, want it closed")
	}
	waitStats(t, l, func(st Stats) bool { return st.RejectedConns == 1 })

	write(t, first, line("first-again")+"\n")
	s.waitDeckies(t, "first", "first-again")
}

func TestListenerClosesIdleConnections(t *testing.T) {
	l, _, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0", IdleTimeout: 20 * time.Millisecond})
	c := dialTCP(t, l)
	c.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read on idle connection = %v, want EOF from the server closing it", err)
	}
}

func TestListenerCountsFrameCutShortAsMalformed(t *testing.T) {
	l, _, _ := startListener(t, ListenerOptions{TCPAddr: "127.0.0.1:0"})
	c := dialTCP(t, l)
	write(t, c, "100 <134>1 truncated")
	c.Close()
	waitStats(t, l, func(st Stats) bool { return st.Malformed == 1 && st.Received == 1 })
}

func TestListenReportsAddressInUse(t *testing.T) {
	tcpTaken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcpTaken.Close()
	udpTaken, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udpTaken.Close()

	for _, tc := range []struct {
		name string
		opts ListenerOptions
		addr string
	}{
		{"tcp", ListenerOptions{TCPAddr: tcpTaken.Addr().String()}, tcpTaken.Addr().String()},
		{"udp", ListenerOptions{UDPAddr: udpTaken.LocalAddr().String()}, udpTaken.LocalAddr().String()},
		{"tcp after a free udp", ListenerOptions{UDPAddr: "127.0.0.1:0", TCPAddr: tcpTaken.Addr().String()}, tcpTaken.Addr().String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Sink = func(model.Event) {}
			l, err := Listen(context.Background(), tc.opts)
			if err == nil {
				l.Close()
				t.Fatal("Listen succeeded on a taken address")
			}
			if !errors.Is(err, ErrAddrInUse) {
				t.Errorf("error %v does not match ErrAddrInUse", err)
			}
			for _, want := range []string{tc.addr, "already in use", "DECNET_SYSLOG_ADDR"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestListenRequiresSink(t *testing.T) {
	if _, err := Listen(context.Background(), ListenerOptions{TCPAddr: "127.0.0.1:0"}); err == nil {
		t.Fatal("Listen without a Sink succeeded")
	}
}

func TestListenerStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Listen(ctx, ListenerOptions{TCPAddr: "127.0.0.1:0", Sink: func(model.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	_, addr := l.Addrs()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cancel()
	checkFor(t, func() error {
		c, err := net.Dial("tcp", addr.String())
		if err == nil {
			c.Close()
			return errors.New("still accepting connections")
		}
		return nil
	})
	conn.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Error("open connection survived the context ending")
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close after context end = %v, want nil", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestListenerOptionsDefaults(t *testing.T) {
	for _, tc := range []struct {
		name             string
		in               ListenerOptions
		wantUDP, wantTCP string
	}{
		{"both empty listen on the default address", ListenerOptions{}, DefaultAddr, DefaultAddr},
		{"only TCP set disables UDP", ListenerOptions{TCPAddr: "127.0.0.1:6000"}, "", "127.0.0.1:6000"},
		{"only UDP set disables TCP", ListenerOptions{UDPAddr: "127.0.0.1:6001"}, "127.0.0.1:6001", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.withDefaults()
			if got.UDPAddr != tc.wantUDP || got.TCPAddr != tc.wantTCP {
				t.Errorf("addrs = (%q, %q), want (%q, %q)", got.UDPAddr, got.TCPAddr, tc.wantUDP, tc.wantTCP)
			}
			if got.MaxFrame != DefaultMaxFrame || got.MaxConns != DefaultMaxConns ||
				got.ReadTimeout != DefaultReadTimeout || got.IdleTimeout != DefaultIdleTimeout || got.Logger == nil {
				t.Errorf("limits not defaulted: %+v", got)
			}
		})
	}
}

func TestListenerErrReportsClosedListener(t *testing.T) {
	l, err := Listen(context.Background(), ListenerOptions{UDPAddr: "127.0.0.1:0", TCPAddr: "127.0.0.1:0", Sink: func(model.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Err(); err != nil {
		t.Fatalf("serving listener reports %v", err)
	}
	l.Close()
	if err := l.Err(); err == nil {
		t.Fatal("closed listener reports no error")
	}
}
