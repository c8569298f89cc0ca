package fleet

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
)

func TestStateChangesArePublishedOnTheBus(t *testing.T) {
	rt, st := newRuntime(t)
	ctx := context.Background()
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(t.TempDir(), "nats")})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	rt.o.Notify = b
	var mu sync.Mutex
	var got []StateChange
	if _, err := b.Subscribe(bus.DeckyAll, "", func(e bus.Envelope) {
		var c StateChange
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			t.Errorf("payload %s: %v", e.Payload, err)
		}
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateDeckies(ctx, []model.Decky{testDecky("a", "127.81.5.2", "ssh")}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteDecky(ctx, model.LocalHost, "a"); err != nil {
		t.Fatal(err)
	}
	if err := rt.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	want := []StateChange{
		{HostUUID: model.LocalHost, Name: "a", State: model.DeckyRunning, Transition: "started", Source: "fleet", PreviousState: model.DeckyPending},
		{HostUUID: model.LocalHost, Name: "a", State: model.DeckyTornDown, Transition: "removed", Source: "fleet", PreviousState: model.DeckyRunning},
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		done := slices.Equal(got, want)
		mu.Unlock()
		if done {
			return
		}
		if time.Now().After(deadline) {
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("state notices %+v, want %+v", got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
