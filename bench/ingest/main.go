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
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// profile, when set, receives a CPU profile of the timed phases only, so
// publishing the input does not show up in it.
var profile *os.File

// memProfiling samples allocations during the timed phases only.
var memProfiling bool

type scenario struct {
	name   string
	batch  int
	events int
	// group is the worker's GroupBatches; 1 keeps one transaction per
	// batch, as the original did.
	group int
}

func main() {
	app.TuneRuntime()
	events := flag.Int("events", 200_000, "events per scenario")
	memProfile := flag.String("memprofile", "", "write an allocation profile to this file at exit")
	only := flag.String("only", "", "run only one scenario: default, batch500, batch100 or batch1")
	mysqlDSN := flag.String("mysql-dsn", os.Getenv("DECNET_TEST_MYSQL_DSN"), "MySQL/MariaDB DSN of a server to benchmark too (a scratch database is created and dropped)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed ingest phases to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench ingest:", err)
			os.Exit(1)
		}
		profile = f
	}
	if *memProfile != "" {
		memProfiling = true
		runtime.MemProfileRate = 0
	}
	if err := run(*events, *mysqlDSN, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench ingest:", err)
		os.Exit(1)
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err == nil {
			err = pprof.Lookup("allocs").WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench ingest:", err)
			os.Exit(1)
		}
	}
}

func run(n int, mysqlDSN, only string) error {
	scenarios := []scenario{
		{"decnet default (batch 500, up to 8 per transaction)", 500, n, 0},
		{"one transaction per batch of 500", 500, n, 1},
		{"original: one transaction per 100", 100, n, 1},
		{"row at a time (batch 1)", 1, max(n/20, 1000), 1},
	}
	dialects := []string{"sqlite"}
	if mysqlDSN != "" {
		dialects = append(dialects, "mysql")
	}
	fmt.Printf("ingest benchmark: %d events per scenario, GOMAXPROCS=%d, %s\n\n", n, runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| store | scenario | events | seconds | events/s | CPU µs/event |")
	fmt.Println("|---|---|---:|---:|---:|---:|")
	for _, d := range dialects {
		for _, sc := range scenarios {
			if only != "" && only != sc.key() {
				continue
			}
			secs, cpu, err := measure(d, mysqlDSN, sc)
			if err != nil {
				return fmt.Errorf("%s %s: %w", d, sc.name, err)
			}
			fmt.Printf("| %s | %s | %d | %.2f | %.0f | %.1f |\n", d, sc.name, sc.events, secs, float64(sc.events)/secs,
				cpu.Seconds()*1e6/float64(sc.events))
		}
	}
	return nil
}

// measure publishes sc.events to a fresh stream (untimed), then times the
// ingest worker from start until every event is committed.
func measure(dialect, mysqlDSN string, sc scenario) (secs float64, cpu time.Duration, err error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "decnet-bench-ingest-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	dsn := filepath.Join(dir, "decnet.db")
	if dialect == "mysql" {
		var drop func()
		dsn, drop, err = scratchDatabase(ctx, mysqlDSN)
		if err != nil {
			return 0, 0, err
		}
		defer drop()
	}
	st, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: dialect, DSN: dsn, Logger: quiet})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return 0, 0, err
	}
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(dir, "nats"), Logger: quiet})
	if err != nil {
		return 0, 0, err
	}
	defer b.Close()
	for i := range sc.events {
		if err := b.PublishEventAsync(synth.Event(i)); err != nil {
			return 0, 0, err
		}
	}
	if err := b.FlushAsync(ctx); err != nil {
		return 0, 0, err
	}
	consumer, err := b.EventConsumer(ctx, "ingest")
	if err != nil {
		return 0, 0, err
	}
	w, err := ingest.New(ingest.Options{
		Source:       ingest.BusSource(consumer),
		Repo:         st,
		Publisher:    b,
		BatchSize:    sc.batch,
		GroupBatches: sc.group,
		MaxWait:      250 * time.Millisecond,
		Logger:       quiet,
	})
	if err != nil {
		return 0, 0, err
	}
	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return 0, 0, err
		}
		defer pprof.StopCPUProfile()
	}
	if memProfiling {
		// The rate stays set afterwards: pprof scales samples by the rate
		// in force when the profile is written.
		runtime.MemProfileRate = 64 << 10
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	start, cpuStart := time.Now(), processCPU()
	go func() { done <- w.Run(runCtx) }()
	for {
		st := w.Status()
		if st.Committed >= uint64(sc.events) {
			break
		}
		select {
		case err := <-done:
			return 0, 0, fmt.Errorf("worker stopped early: %v", err)
		case <-time.After(2 * time.Millisecond):
		}
		if time.Since(start) > 10*time.Minute {
			return 0, 0, errors.New("not done after 10 minutes")
		}
	}
	elapsed, cpu := time.Since(start).Seconds(), processCPU()-cpuStart
	cancel()
	<-done
	if got, err := st.CountLogs(ctx); err != nil || got != int64(sc.events) {
		return 0, 0, fmt.Errorf("logs rows = %d (%v), want %d", got, err, sc.events)
	}
	return elapsed, cpu, nil
}

// processCPU is the user+system CPU time this process has used: with the
// bus and the database in-process, CPU per event is steadier than wall-clock
// rate on a shared machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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

// key names a scenario for -only.
func (s scenario) key() string {
	if s.group == 0 {
		return "default"
	}
	return "batch" + strconv.Itoa(s.batch)
}
