// Command ingest measures decnet's event ingest path end to end: events
// already durable on the JetStream stream → ingest worker → committed rows,
// into SQLite and (when a DSN is given) MySQL/MariaDB. It compares decnet's
// default batch size with the original's (100) and with one transaction per
// event, in the same run, and prints a Markdown table.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/syslog"
)

type scenario struct {
	name   string
	batch  int
	events int
}

func main() {
	events := flag.Int("events", 200_000, "events per scenario")
	mysqlDSN := flag.String("mysql-dsn", os.Getenv("DECNET_TEST_MYSQL_DSN"), "MySQL/MariaDB DSN of a server to benchmark too (a scratch database is created and dropped)")
	flag.Parse()
	if err := run(*events, *mysqlDSN); err != nil {
		fmt.Fprintln(os.Stderr, "bench ingest:", err)
		os.Exit(1)
	}
}

func run(n int, mysqlDSN string) error {
	scenarios := []scenario{
		{"decnet default (batch 500)", 500, n},
		{"original batch size (100)", 100, n},
		{"row at a time (batch 1)", 1, max(n/20, 1000)},
	}
	dialects := []string{"sqlite"}
	if mysqlDSN != "" {
		dialects = append(dialects, "mysql")
	}
	fmt.Printf("ingest benchmark: %d events per scenario, GOMAXPROCS=%d, %s\n\n", n, runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| store | scenario | events | seconds | events/s |")
	fmt.Println("|---|---|---:|---:|---:|")
	for _, d := range dialects {
		for _, sc := range scenarios {
			secs, err := measure(d, mysqlDSN, sc)
			if err != nil {
				return fmt.Errorf("%s %s: %w", d, sc.name, err)
			}
			fmt.Printf("| %s | %s | %d | %.2f | %.0f |\n", d, sc.name, sc.events, secs, float64(sc.events)/secs)
		}
	}
	return nil
}

// measure publishes sc.events to a fresh stream (untimed), then times the
// ingest worker from start until every event is committed.
func measure(dialect, mysqlDSN string, sc scenario) (float64, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "decnet-bench-ingest-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	dsn := filepath.Join(dir, "decnet.db")
	if dialect == "mysql" {
		var drop func()
		dsn, drop, err = scratchDatabase(ctx, mysqlDSN)
		if err != nil {
			return 0, err
		}
		defer drop()
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: dialect, DSN: dsn, Logger: quiet})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return 0, err
	}
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(dir, "nats"), Logger: quiet})
	if err != nil {
		return 0, err
	}
	defer b.Close()
	for i := range sc.events {
		if err := b.PublishEventAsync(synth.Event(i)); err != nil {
			return 0, err
		}
	}
	if err := b.FlushAsync(ctx); err != nil {
		return 0, err
	}
	consumer, err := b.EventConsumer(ctx, "ingest")
	if err != nil {
		return 0, err
	}
	w, err := ingest.New(ingest.Options{
		Source:    ingest.BusSource(consumer),
		Repo:      st,
		Publisher: b,
		BatchSize: sc.batch,
		MaxWait:   250 * time.Millisecond,
		Derive:    ingest.DeriveOptions{Format: func(ev model.Event) string { return syslog.Format(ev, syslog.SeverityInfo) }},
		Logger:    quiet,
	})
	if err != nil {
		return 0, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	for {
		st := w.Status()
		if st.Committed >= uint64(sc.events) {
			break
		}
		select {
		case err := <-done:
			cancel()
			return 0, fmt.Errorf("worker stopped early: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > 10*time.Minute {
			cancel()
			return 0, errors.New("not done after 10 minutes")
		}
	}
	elapsed := time.Since(start).Seconds()
	cancel()
	<-done
	if got, err := st.CountLogs(ctx); err != nil || got != int64(sc.events) {
		return 0, fmt.Errorf("logs rows = %d (%v), want %d", got, err, sc.events)
	}
	return elapsed, nil
}

// scratchDatabase creates an empty database on the server of dsn.
func scratchDatabase(ctx context.Context, dsn string) (string, func(), error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, err
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("decnet_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		admin.Close()
		return "", nil, err
	}
	cfg.DBName = name
	return cfg.FormatDSN(), func() {
		_, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`")
		admin.Close()
	}, nil
}
