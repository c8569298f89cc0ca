package bus

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decnet/decnet/internal/model"
)

// tailed is one delivery of a tail.
type tailed struct {
	seq uint64
	ev  model.Event
}

// startTail starts a tail that forwards every event to the returned channel.
func startTail(t *testing.T, b *Bus, ctx context.Context, from uint64) (*Tail, <-chan tailed) {
	t.Helper()
	ch := make(chan tailed, 4096)
	tl, err := b.TailEvents(ctx, from, func(p EventPos, ev model.Event) { ch <- tailed{p.Seq, ev} })
	if err != nil {
		t.Fatalf("TailEvents(%d): %v", from, err)
	}
	t.Cleanup(tl.Stop)
	return tl, ch
}

// recvTailed waits for n deliveries.
func recvTailed(t *testing.T, ch <-chan tailed, n int) []tailed {
	t.Helper()
	var out []tailed
	for len(out) < n {
		select {
		case d := <-ch:
			out = append(out, d)
		case <-time.After(10 * time.Second):
			t.Fatalf("got %d of %d tailed events within 10s", len(out), n)
		}
	}
	return out
}

// noMore fails if anything else arrives within a short grace period.
func noMore(t *testing.T, ch <-chan tailed) {
	t.Helper()
	select {
	case d := <-ch:
		t.Fatalf("unexpected extra event seq %d (%s)", d.seq, d.ev.ID)
	case <-time.After(200 * time.Millisecond):
	}
}

func publishN(t *testing.T, b *Bus, n int) []model.Event {
	t.Helper()
	evs := make([]model.Event, n)
	for i := range evs {
		evs[i] = mkEvent(i)
		if err := b.PublishEvent(context.Background(), evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return evs
}

func TestTailEventsStartsWithNewEvents(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		publishN(t, b, 3) // history a new tail must not replay
		tl, ch := startTail(t, b, context.Background(), 0)
		if tl.Start.From != 4 || tl.Start.Moved() {
			t.Fatalf("Start = %+v, want From 4 and not moved", tl.Start)
		}
		evs := publishN(t, b, 5)
		got := recvTailed(t, ch, 5)
		for i, d := range got {
			if d.ev.ID != evs[i].ID || d.seq != uint64(4+i) {
				t.Fatalf("delivery %d = seq %d id %s, want seq %d id %s", i, d.seq, d.ev.ID, 4+i, evs[i].ID)
			}
		}
		noMore(t, ch)
	})
}

func TestTailEventsResumesAtASequence(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		evs := publishN(t, b, 6)
		tl, ch := startTail(t, b, context.Background(), 4)
		if tl.Start.Moved() {
			t.Fatalf("Start = %+v, want not moved", tl.Start)
		}
		got := recvTailed(t, ch, 3)
		for i, d := range got {
			if want := evs[3+i]; d.ev.ID != want.ID || d.seq != uint64(4+i) {
				t.Fatalf("delivery %d = seq %d id %s, want seq %d id %s", i, d.seq, d.ev.ID, 4+i, want.ID)
			}
		}
		noMore(t, ch)
	})
}

func TestTailEventsMovesAnUnretainedStart(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		evs := publishN(t, b, 6)
		st, err := b.js.Stream(context.Background(), b.stream)
		if err != nil {
			t.Fatal(err)
		}
		// Keep sequences 4.. only, as retention limits would.
		if err := st.Purge(context.Background(), jetstream.WithPurgeSequence(4)); err != nil {
			t.Fatal(err)
		}
		tl, ch := startTail(t, b, context.Background(), 2)
		if tl.Start != (TailStart{Requested: 2, From: 4}) || !tl.Start.Moved() {
			t.Fatalf("Start = %+v, want requested 2 from 4", tl.Start)
		}
		got := recvTailed(t, ch, 3)
		if got[0].ev.ID != evs[3].ID {
			t.Fatalf("first delivery %s, want %s", got[0].ev.ID, evs[3].ID)
		}

		// A position past the end (a stream recreated since) is "now".
		tl2, ch2 := startTail(t, b, context.Background(), 1000)
		if tl2.Start != (TailStart{Requested: 1000, From: 7}) {
			t.Fatalf("Start = %+v, want requested 1000 from 7", tl2.Start)
		}
		next := publishN(t, b, 1)
		if d := recvTailed(t, ch2, 1)[0]; d.seq != 7 || d.ev.ID != next[0].ID {
			t.Fatalf("got seq %d id %s, want seq 7 id %s", d.seq, d.ev.ID, next[0].ID)
		}
	})
}

// A reader slower than the publisher loses nothing and sees the stream's
// order: the tail stops pulling instead of dropping.
func TestTailEventsSlowReaderLosesNothing(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		const n = 600 // more than the client buffers ahead
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		type delivery struct {
			pos EventPos
			ev  model.Event
		}
		ch := make(chan delivery)
		tl, err := b.TailEvents(ctx, 0, func(p EventPos, ev model.Event) {
			select {
			case ch <- delivery{p, ev}:
			case <-ctx.Done():
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		defer tl.Stop()
		for i := 0; i < n; i++ {
			if err := b.PublishEventAsync(mkEvent(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.FlushAsync(context.Background()); err != nil {
			t.Fatal(err)
		}
		var prev EventPos
		for i := 0; i < n; i++ {
			select {
			case d := <-ch:
				if i > 0 && d.pos.Ordinal() <= prev.Ordinal() {
					t.Fatalf("delivery %d at %+v does not follow %+v", i, d.pos, prev)
				}
				prev = d.pos
				if d.ev.Fields["n"] != fmt.Sprint(i) {
					t.Fatalf("delivery %d is event n=%s", i, d.ev.Fields["n"])
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("delivery %d did not arrive", i)
			}
			if i%100 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
}

func TestTailEventsEndsOnContextAndOnClose(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx, cancel := context.WithCancel(context.Background())
		tl, _ := startTail(t, b, ctx, 0)
		cancel()
		select {
		case <-tl.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("tail still running after its context ended")
		}
		if err := tl.Err(); err != nil {
			t.Fatalf("Err after cancel = %v, want nil", err)
		}

		tl2, _ := startTail(t, b, context.Background(), 0)
		b.Close()
		select {
		case <-tl2.Done():
		case <-time.After(15 * time.Second):
			t.Fatal("tail still running after the bus closed")
		}
		if err := tl2.Err(); err == nil {
			t.Fatal("Err after bus close = nil, want an error")
		}
		if _, err := b.TailEvents(context.Background(), 0, func(EventPos, model.Event) {}); !errors.Is(err, ErrClosed) {
			t.Fatalf("TailEvents on a closed bus = %v, want ErrClosed", err)
		}
	})
}
