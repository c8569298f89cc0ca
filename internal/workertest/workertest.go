// Package workertest sets up what decnet's bus-driven workers (profiler,
// correlators, clusterers) are tested against: a real migrated SQLite store
// and a real embedded bus, both private to one test and closed when it
// ends, so worker tests exercise the SQL and the wire rather than fakes.
package workertest

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// Store returns a migrated SQLite store in a temporary directory, closed
// when tb ends.
func Store(tb testing.TB) *sqlstore.Store {
	tb.Helper()
	s, err := sqlstore.Open(tb.Context(), sqlstore.Options{Dialect: sqlstore.DialectSQLite,
		DSN: filepath.Join(tb.TempDir(), "decnet.db")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// Bus returns an embedded bus in a temporary directory, named after tb so
// parallel tests do not share a server, closed when tb ends.
func Bus(tb testing.TB) *bus.Bus {
	tb.Helper()
	b, err := bus.Open(tb.Context(), bus.Options{DataDir: tb.TempDir(), Name: tb.Name(),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

// Subscribe calls fn with every notification on any of patterns until tb
// ends.
func Subscribe(tb testing.TB, b *bus.Bus, fn func(bus.Envelope), patterns ...string) {
	tb.Helper()
	for _, pattern := range patterns {
		sub, err := b.Subscribe(pattern, "", fn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { sub.Unsubscribe() })
	}
}

// BenchTicks reports a worker's first tick over seeded data as
// first-tick-s, where everything is written, and its steady ticks as the
// benchmark's time per op. tick runs one RunOnce.
func BenchTicks(b *testing.B, tick func() error) {
	b.Helper()
	start := time.Now()
	if err := tick(); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	for b.Loop() {
		if err := tick(); err != nil {
			b.Fatal(err)
		}
	}
	// Reported after the loop: starting it deletes earlier metrics.
	b.ReportMetric(first.Seconds(), "first-tick-s")
}
