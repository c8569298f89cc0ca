package profiler

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// benchIPs is how many source addresses the benchmark events come from: a
// busy fleet's mix of a few brute-forcers and many scanners.
const benchIPs = 1000

// benchEvent is the i-th event of the benchmark stream: logins, commands
// and web requests spread over benchIPs addresses and four deckies.
func benchEvent(i int) model.Event {
	ip := fmt.Sprintf("198.18.%d.%d", (i%benchIPs)/250, (i%benchIPs)%250+1)
	ts := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	decky := fmt.Sprintf("decky-%d", i%4)
	switch i % 5 {
	case 0:
		return model.Event{TS: ts, SrcIP: ip, Decky: decky, Service: "ssh", EventType: "command",
			Fields: map[string]string{"command": "cat /etc/passwd | grep root"}}
	case 1:
		return model.Event{TS: ts, SrcIP: ip, Decky: decky, Service: "http", EventType: "request",
			Fields: map[string]string{"method": "GET", "path": "/wp-login.php",
				"headers": `{"User-Agent":"Mozilla/5.0 zgrab/0.x","Accept":"*/*"}`}}
	default:
		return model.Event{TS: ts, SrcIP: ip, Decky: decky, Service: "ssh", EventType: "login_attempt",
			Fields: map[string]string{"username": "root", "password": "123456",
				"hassh": "ec7378c1a92f5a8dde7e8b7a1ddf33d1", "client_version": "SSH-2.0-Go"}}
	}
}

// BenchmarkFoldIncremental is the profiler's per-event cost: one
// Accumulator.Add per event, one Profile per address per flush of 500.
func BenchmarkFoldIncremental(b *testing.B) {
	accs := map[string]*Accumulator{}
	touched := map[string]bool{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := benchEvent(i)
		a := accs[e.SrcIP]
		if a == nil {
			a = &Accumulator{IP: e.SrcIP}
			accs[e.SrcIP] = a
		}
		a.Add(e)
		touched[e.SrcIP] = true
		if i%500 == 499 {
			for ip := range touched {
				_ = accs[ip].Profile()
			}
			clear(touched)
		}
	}
}

// BenchmarkFoldRebuild is the original's approach, the baseline: every
// flush rebuilds each touched address's profile from its whole history.
func BenchmarkFoldRebuild(b *testing.B) {
	hist := map[string][]model.Event{}
	touched := map[string]bool{}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e := benchEvent(i)
		hist[e.SrcIP] = append(hist[e.SrcIP], e)
		touched[e.SrcIP] = true
		if i%500 == 499 {
			for ip := range touched {
				_ = Analyze(ip, hist[ip])
			}
			clear(touched)
		}
	}
}

// countingSource counts the events fetched and cancels the run once all
// of them were handed to the worker.
type countingSource struct {
	src    EventSource
	want   int64
	got    atomic.Int64
	cancel context.CancelFunc
}

func (c *countingSource) Fetch(ctx context.Context, max int, wait time.Duration) (*bus.EventBatch, error) {
	if c.got.Load() >= c.want {
		c.cancel()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	eb, err := c.src.Fetch(ctx, max, wait)
	if err == nil {
		c.got.Add(int64(len(eb.Events())))
	}
	return eb, err
}

// BenchmarkWorkerEndToEnd is the whole worker, one op per event: fetch from
// the embedded bus, fold, write attackers, behaviour and state rows to
// SQLite, ack. The events are published before the timer starts.
func BenchmarkWorkerEndToEnd(b *testing.B) {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: sqlstore.DialectSQLite,
		DSN: filepath.Join(b.TempDir(), "decnet.db")})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	bs, err := bus.Open(ctx, bus.Options{DataDir: b.TempDir(), Name: "bench", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close()
	for i := 0; i < b.N; i++ {
		e := benchEvent(i)
		e.ID = uuid.Must(uuid.NewV7()).String()
		if err := bs.PublishEventAsync(e); err != nil {
			b.Fatal(err)
		}
	}
	if err := bs.FlushAsync(ctx); err != nil {
		b.Fatal(err)
	}
	cons, err := bs.EventConsumer(ctx, DurableName)
	if err != nil {
		b.Fatal(err)
	}
	rctx, cancel := context.WithCancel(ctx)
	src := &countingSource{src: cons, want: int64(b.N), cancel: cancel}
	w, err := NewWorker(WorkerOptions{Source: src, Repo: s, Publisher: bs})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	w.Run(rctx)
	b.StopTimer()
	if st := w.Stats(); st.Events != uint64(b.N) {
		b.Fatalf("folded %d events, want %d", st.Events, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
