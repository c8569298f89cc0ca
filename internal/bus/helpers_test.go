package bus

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/testenv"
)

// testAckWait keeps redelivery tests quick while leaving a slow CI machine
// room to ack a batch before it is redelivered.
const testAckWait = 1500 * time.Millisecond

// harness is one NATS backend the suite runs against. open can be called more
// than once: the embedded backend reuses its DataDir and the external one its
// SubjectPrefix, so a reopened Bus sees the same stream and consumers.
type harness struct {
	external bool
	base     Options
}

func (h *harness) open(t testing.TB) *Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, err := Open(ctx, h.base)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func testLogger() *slog.Logger {
	if os.Getenv("BUS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func uniquePrefix() string {
	var b [6]byte
	rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// forEachServer runs fn against the embedded server (always) and against the
// external server named by DECNET_TEST_NATS_URL (skipped, or failed under
// DECNET_REQUIRE_EXTERNAL=1, when unset).
func forEachServer(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("embedded", func(t *testing.T) {
		fn(t, &harness{base: Options{
			DataDir: t.TempDir(), Name: t.Name(), AckWait: testAckWait, Logger: testLogger(),
		}})
	})
	t.Run("external", func(t *testing.T) {
		url := os.Getenv("DECNET_TEST_NATS_URL")
		if url == "" {
			testenv.Missing(t, "external NATS not configured: set DECNET_TEST_NATS_URL (e.g. nats://127.0.0.1:4222)")
			return
		}
		prefix := uniquePrefix()
		// Registered before any Bus is opened, so it runs after they close.
		t.Cleanup(func() {
			deleteStream(t, url, prefix+"_"+streamBaseName)
			deleteStream(t, url, "KV_"+prefix+"_"+leaseBucketBase)
		})
		fn(t, &harness{external: true, base: Options{
			URL: url, SubjectPrefix: prefix, Name: t.Name(), AckWait: testAckWait, Logger: testLogger(),
		}})
	})
}

func deleteStream(t testing.TB, url, name string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Errorf("cleanup: connect %s: %v", url, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, name); err != nil && err != jetstream.ErrStreamNotFound {
		t.Errorf("cleanup: delete stream %s: %v", name, err)
	}
}

// checkFor polls fn until it returns nil or total elapses (nats-server style).
func checkFor(t testing.TB, total, sleep time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for {
		if err = fn(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", total, err)
		}
		time.Sleep(sleep)
	}
}

// recv waits for one envelope on ch.
func recv(t testing.TB, ch <-chan Envelope) Envelope {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no message within 10s")
		return Envelope{}
	}
}

// collector subscribes and forwards every envelope to a buffered channel.
func collector(t testing.TB, b *Bus, pattern, queue string) <-chan Envelope {
	t.Helper()
	ch := make(chan Envelope, 1024)
	sub, err := b.Subscribe(pattern, queue, func(e Envelope) { ch <- e })
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", pattern, err)
	}
	t.Cleanup(func() { sub.Unsubscribe() })
	return ch
}

func mkEvent(i int) model.Event {
	return model.Event{
		ID:        uuid.Must(uuid.NewV7()).String(),
		TS:        time.Now().UTC(),
		Decky:     "decky-01",
		Service:   "ssh",
		EventType: "login_attempt",
		SrcIP:     "203.0.113.7",
		SrcPort:   40000 + i,
		DstIP:     "127.77.0.10",
		DstPort:   22,
		SessionID: fmt.Sprintf("s-%d", i),
		Fields:    map[string]string{"username": "root", "n": fmt.Sprint(i)},
		Msg:       "failed password",
	}
}

// fetchAll fetches from c until want events arrived or the deadline passes,
// returning the batches unacked so the caller decides their fate.
func fetchAll(t testing.TB, c *EventConsumer, want int) ([]*EventBatch, []model.Event) {
	t.Helper()
	var batches []*EventBatch
	var events []model.Event
	checkFor(t, 15*time.Second, 0, func() error {
		eb, err := c.Fetch(context.Background(), min(want-len(events), DefaultFetchBatch), 250*time.Millisecond)
		if err != nil {
			return err
		}
		if len(eb.Events()) > 0 {
			batches = append(batches, eb)
			events = append(events, eb.Events()...)
		}
		if len(events) < want {
			return fmt.Errorf("fetched %d of %d events", len(events), want)
		}
		return nil
	})
	return batches, events
}

func ackAll(t testing.TB, batches []*EventBatch) {
	t.Helper()
	for _, eb := range batches {
		if err := eb.Ack(context.Background()); err != nil {
			t.Fatalf("Ack: %v", err)
		}
	}
}

func waitPending(t testing.TB, c *EventConsumer, want uint64) {
	t.Helper()
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		n, err := c.Pending(context.Background())
		if err != nil {
			return err
		}
		if n != want {
			return fmt.Errorf("pending = %d, want %d", n, want)
		}
		return nil
	})
}

func streamMsgs(t testing.TB, b *Bus) uint64 {
	t.Helper()
	s, err := b.js.Stream(context.Background(), b.stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// listeningSockets returns the inodes of TCP sockets this process has in the
// LISTEN state, read from /proc so no port scan can mistake another process's
// listener for ours.
func listeningSockets(t testing.TB) map[string]bool {
	t.Helper()
	owned := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			owned[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	listening := map[string]bool{}
	for _, table := range []string{"/proc/self/net/tcp", "/proc/self/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			cols := strings.Fields(sc.Text())
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode
			if len(cols) > 9 && cols[3] == "0A" && owned[cols[9]] {
				listening[cols[9]] = true
			}
		}
		f.Close()
	}
	return listening
}

// consumer opens the durable event consumer name on b.
func consumer(t testing.TB, b *Bus, name string) *EventConsumer {
	t.Helper()
	c, err := b.EventConsumer(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// publishAsync queues mkEvent(0..n-1) with PublishEventAsync and waits
// until the server has acked them all.
func publishAsync(t testing.TB, b *Bus, n int) {
	t.Helper()
	for i := range n {
		if err := b.PublishEventAsync(mkEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.FlushAsync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
