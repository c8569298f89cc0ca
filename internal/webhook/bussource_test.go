package webhook

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
)

func TestBusSourceTakesNotificationsButNotAttackerEvents(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	var topics []string
	stop, err := BusSource(b).SubscribeAll(func(e bus.Envelope) {
		mu.Lock()
		topics = append(topics, e.Topic)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// An attacker event goes to JetStream on events.<decky>.<service>, and
	// its publish ack crosses JetStream's own subjects: neither is a
	// notification.
	if err := b.PublishEvent(ctx, model.Event{ID: "0190b6a0-0000-7000-8000-000000000001", Decky: "d1", Service: "ssh",
		EventType: "connect", SrcIP: "203.0.113.1", TS: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{bus.CredentialReuseDetected, "decky.local:d1.state", "email.received"} {
		if err := b.Publish(ctx, topic, "test", map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(topics)
		mu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	// Each family is its own subscription, so order across them is not
	// kept.
	slices.Sort(topics)
	want := []string{bus.CredentialReuseDetected, "decky.local:d1.state", "email.received"}
	if len(topics) != len(want) {
		t.Fatalf("dispatcher saw %v, want exactly %v", topics, want)
	}
	for i := range want {
		if topics[i] != want[i] {
			t.Errorf("topic %d = %q, want %q", i, topics[i], want[i])
		}
	}
}

func TestTwoDispatchersOnOneBusShareEachNotification(t *testing.T) {
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	got := map[string]int{}
	for range 2 { // two decnet processes on one NATS server
		stop, err := BusSource(b).SubscribeAll(func(e bus.Envelope) {
			mu.Lock()
			got[e.ID]++
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
	}
	const n = 50
	for range n {
		if err := b.Publish(ctx, bus.AttackerScored, "scored", map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	// A marker published last arrives last on this connection.
	if err := b.Publish(ctx, bus.AttackerObserved, "marker", nil); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		seen := len(got)
		mu.Unlock()
		if seen >= n+1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n+1 {
		t.Fatalf("%d distinct notifications delivered, want %d", len(got), n+1)
	}
	for id, c := range got {
		if c != 1 {
			t.Errorf("notification %s delivered %d times across the two dispatchers, want once", id, c)
		}
	}
}
