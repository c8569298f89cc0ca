package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// buildDecnet compiles the decnet binary once for the test.
func buildDecnet(t *testing.T) string {
	t.Helper()
	goBin := testenvGo(t)
	out := filepath.Join(t.TempDir(), "decnet")
	cmd := exec.Command(goBin, "build", "-o", out, "github.com/decnet/decnet/cmd/decnet")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	return out
}

func testenvGo(t *testing.T) string {
	p, err := exec.LookPath("go")
	if err != nil {
		p = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		if _, serr := os.Stat(p); serr != nil {
			t.Skip("the go command is needed to build the binary")
		}
	}
	return p
}

// startProcess runs `decnet up` and waits until it reports ready.
func startProcess(t *testing.T, bin string, env []string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "up")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &syncBuffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "decnet is up") {
				ready <- nil
				_, _ = io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("decnet exited before becoming ready: %v", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("%v\nstderr:\n%s", err, cmd.Stderr.(*syncBuffer).String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("decnet not ready after 60 s\nstderr:\n%s", cmd.Stderr.(*syncBuffer).String())
	}
	return cmd
}

// TestSIGKILLMidIngestLosesAndDoublesNothing fills the durable event stream
// with 100 000 events, lets `decnet up` start ingesting them, kills it with
// SIGKILL part-way, restarts it and checks that exactly 100 000 rows and
// exactly one credential attempt per auth event end up in the database.
func TestSIGKILLMidIngestLosesAndDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and ingests 100 000 events")
	}
	bin := buildDecnet(t)
	dataDir := t.TempDir()
	const n = 100_000

	// Fill the stream the process will find on its data dir.
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: busDir(dataDir), Name: "crash-test"})
	if err != nil {
		t.Fatal(err)
	}
	publishSynthetic(t, b, n)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	env := []string{
		"DECNET_DATA_DIR=" + dataDir,
		"DECNET_API_PORT=0",
		"DECNET_SYSLOG_ADDR=off",
		"DECNET_ADMIN_PASSWORD=" + testAdminPassword,
		"DECNET_BATCH_SIZE=100",
		"DECNET_LOG_LEVEL=warn",
	}
	proc := startProcess(t, bin, env)

	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: "sqlite", DSN: filepath.Join(dataDir, "decnet.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var atKill int64
	checkFor(t, 2*time.Minute, func() error {
		got, err := s.CountLogs(ctx)
		if err != nil {
			return err
		}
		if got < n/20 {
			return fmt.Errorf("only %d rows so far", got)
		}
		if err := proc.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = proc.Wait()
		atKill, _ = s.CountLogs(ctx)
		return nil
	})
	if atKill >= n {
		t.Fatalf("ingest finished (%d rows) before the kill; the test proved nothing", atKill)
	}
	t.Logf("killed with %d of %d rows committed", atKill, n)

	proc = startProcess(t, bin, env)
	wantAttempts := int64(synth.AuthEvents(n))
	checkFor(t, 3*time.Minute, func() error {
		got, err := s.CountLogs(ctx)
		if err != nil {
			return err
		}
		var attempts int64
		if err := s.DB().QueryRowContext(ctx, "SELECT COALESCE(SUM(attempt_count),0) FROM credentials").Scan(&attempts); err != nil {
			return err
		}
		if got != n || attempts != wantAttempts {
			return fmt.Errorf("rows %d (want %d), credential attempts %d (want %d)", got, n, attempts, wantAttempts)
		}
		return nil
	})
	var distinct int64
	if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(DISTINCT event_id) FROM logs").Scan(&distinct); err != nil || distinct != n {
		t.Errorf("distinct event ids = %d (%v), want %d", distinct, err, n)
	}

	// A clean stop drains and exits 0.
	if err := proc.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := proc.Wait(); err != nil {
		t.Errorf("decnet did not exit cleanly on SIGTERM: %v\nstderr:\n%s", err, proc.Stderr.(*syncBuffer).String())
	}
}
