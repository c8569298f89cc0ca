package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func TestAsyncEventsTravelInBatchesAndArriveInOrder(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		const n = 2000
		publishAsync(t, b, n)
		msgs := streamMsgs(t, b)
		if msgs >= n {
			t.Errorf("%d events took %d messages; a burst should share batch messages", n, msgs)
		}
		c := consumer(t, b, "ingest")
		batches, events := fetchAll(t, c, n)
		var prev uint64
		multi := false
		for _, eb := range batches {
			for _, p := range eb.Positions() {
				if p.Ordinal() <= prev {
					t.Fatalf("position %+v does not follow ordinal %d", p, prev)
				}
				prev = p.Ordinal()
				multi = multi || p.Count > 1
			}
		}
		if !multi {
			t.Error("no position reports a message of several events")
		}
		for i, ev := range events {
			if ev.Fields["n"] != fmt.Sprint(i) {
				t.Fatalf("event %d is n=%s: order lost", i, ev.Fields["n"])
			}
		}
		ackAll(t, batches)
		waitPending(t, c, 0)
	})
}

func TestPublishEventsGroupsRunsOfOneSubject(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx := context.Background()
		var evs []model.Event
		for i := range maxBatchEvents + 3 {
			evs = append(evs, mkEvent(i))
		}
		other := mkEvent(-1)
		other.Service = "telnet"
		evs = append(evs, other, mkEvent(maxBatchEvents+3))
		if err := b.PublishEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		// One full batch, the 3 left over, the telnet event, the last ssh one.
		if got := streamMsgs(t, b); got != 4 {
			t.Errorf("stream holds %d messages, want 4", got)
		}
		// Repeating the call is stored once: the batches keep their ids.
		if err := b.PublishEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		if got := streamMsgs(t, b); got != 4 {
			t.Errorf("after a repeat the stream holds %d messages, want 4", got)
		}
		c := consumer(t, b, "ingest")
		batches, got := fetchAll(t, c, len(evs))
		for i := range evs {
			if got[i].ID != evs[i].ID {
				t.Fatalf("event %d is %s, want %s", i, got[i].ID, evs[i].ID)
			}
		}
		ackAll(t, batches)
	})
}

func TestCloseSendsQueuedEvents(t *testing.T) {
	dir := t.TempDir()
	h := &harness{base: Options{DataDir: dir, Name: t.Name(), Logger: testLogger()}}
	b := h.open(t)
	const n = 300
	for i := range n {
		if err := b.PublishEventAsync(mkEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = h.open(t)
	c := consumer(t, b, "ingest")
	batches, events := fetchAll(t, c, n)
	if len(events) != n {
		t.Fatalf("%d of %d queued events were stored before Close returned", len(events), n)
	}
	ackAll(t, batches)
}

func TestBatchMessageWithABadLineKeepsTheRest(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx := context.Background()
		c := consumer(t, b, "ingest")
		good1, good2 := mkEvent(1), mkEvent(2)
		_, d1, _ := b.encodeEvent(&good1)
		_, d2, _ := b.encodeEvent(&good2)
		body := string(d1) + "\n{not an event\n" + string(d2)
		if _, err := b.js.Publish(ctx, b.wire("events.decky-01.ssh"), []byte(body)); err != nil {
			t.Fatal(err)
		}
		batches, events := fetchAll(t, c, 2)
		if events[0].ID != good1.ID || events[1].ID != good2.ID {
			t.Fatalf("events %s %s", events[0].ID, events[1].ID)
		}
		eb := batches[0]
		if eb.Dropped() != 1 {
			t.Errorf("Dropped = %d, want the one bad line", eb.Dropped())
		}
		pos := eb.Positions()
		if pos[0].Index != 0 || pos[1].Index != 2 || pos[1].Count != 3 || pos[0].Seq != pos[1].Seq {
			t.Errorf("positions %+v: the bad line must keep its index so redeliveries line up", pos)
		}
		ackAll(t, batches)
		waitPending(t, c, 0)
	})
}

func TestDecodeMessageShapes(t *testing.T) {
	ev := mkEvent(7)
	env, err := json.Marshal(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: "events.decky-01.ssh", Type: ev.EventType, Payload: &ev})
	if err != nil {
		t.Fatal(err)
	}
	pretty, err := json.MarshalIndent(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: "events.decky-01.ssh", Type: ev.EventType, Payload: &ev}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		pos EventPos
		ok  bool
	}
	cases := []struct {
		name string
		data string
		want []got
	}{
		{"single envelope", string(env), []got{{EventPos{Seq: 9, Index: 0, Count: 1}, true}}},
		{"pretty-printed envelope is one event", string(pretty), []got{{EventPos{Seq: 9, Index: 0, Count: 1}, true}}},
		{"batch of two", string(env) + "\n" + string(env), []got{
			{EventPos{Seq: 9, Index: 0, Count: 2}, true}, {EventPos{Seq: 9, Index: 1, Count: 2}, true}}},
		{"trailing newline is an empty bad line", string(env) + "\n", []got{
			{EventPos{Seq: 9, Index: 0, Count: 2}, true}, {EventPos{Seq: 9, Index: 1, Count: 2}, false}}},
		{"junk", "junk", []got{{EventPos{Seq: 9, Index: 0, Count: 1}, false}}},
		{"empty", "", []got{{EventPos{Seq: 9, Index: 0, Count: 1}, false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out []got
			decodeMessage([]byte(tc.data), 9, func(p EventPos, e model.Event, ok bool) {
				if ok && e.ID != ev.ID {
					t.Errorf("decoded id %s", e.ID)
				}
				out = append(out, got{p, ok})
			})
			if fmt.Sprint(out) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", out, tc.want)
			}
		})
	}
}

func TestOrdinalsOrderPositions(t *testing.T) {
	a := EventPos{Seq: 5, Index: maxBatchEvents - 1, Count: maxBatchEvents}
	b := EventPos{Seq: 6, Index: 0, Count: 1}
	if a.Ordinal() >= b.Ordinal() || OrdinalSeq(a.Ordinal()) != 5 || OrdinalSeq(b.Ordinal()) != 6 {
		t.Errorf("ordinals %d %d", a.Ordinal(), b.Ordinal())
	}
	if !a.Last() || (EventPos{Seq: 5, Index: 0, Count: 2}).Last() {
		t.Error("Last")
	}
}

func FuzzDecodeMessage(f *testing.F) {
	ev := mkEvent(1)
	env, _ := json.Marshal(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: "events.decky-01.ssh", Payload: &ev})
	f.Add(string(env))
	f.Add(string(env) + "\n" + string(env))
	f.Add("{\n}\n\n")
	f.Fuzz(func(t *testing.T, data string) {
		lines := strings.Count(data, "\n") + 1
		next := 0
		decodeMessage([]byte(data), 1, func(p EventPos, e model.Event, ok bool) {
			if p.Index != next || p.Count < 1 || p.Index >= p.Count || p.Count > lines {
				t.Fatalf("position %+v (call %d, %d lines)", p, next, lines)
			}
			if ok && e.ID == "" {
				t.Fatal("an event without id was accepted")
			}
			next++
		})
		if next == 0 {
			t.Fatal("no call for a message")
		}
	})
}

func TestFetchStaysBoundedWhenBatchesGrowPastTheEstimate(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx := context.Background()
		c := consumer(t, b, "ingest")
		// Singles teach the consumer one event per message; full batches
		// follow.
		for i := range 20 {
			if err := b.PublishEvent(ctx, mkEvent(i)); err != nil {
				t.Fatal(err)
			}
		}
		for j := range 20 {
			var evs []model.Event
			for i := range maxBatchEvents {
				evs = append(evs, mkEvent(1000*j+i))
			}
			if err := b.PublishEvents(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		first, err := c.Fetch(ctx, 20, time.Second)
		if err != nil || len(first.Events()) != 20 {
			t.Fatalf("first fetch: %d events, %v", len(first.Events()), err)
		}
		eb, err := c.Fetch(ctx, 100, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// A fetch takes at least one message, so a full batch may exceed
		// 2×max on its own; past that the estimate must not overshoot.
		limit := max(200, maxBatchEvents)
		if n := len(eb.Events()); n == 0 || n > limit {
			t.Errorf("fetch of max 100 after singles returned %d events, want 1..%d", n, limit)
		}
		ackAll(t, []*EventBatch{first, eb})
	})
}

func TestFetchAfterAShortOneWaitsOutThePaceAndGathersWhatArrived(t *testing.T) {
	const pace = 300 * time.Millisecond
	b, err := Open(context.Background(), Options{
		DataDir: t.TempDir(), Name: t.Name(), AckWait: testAckWait, Logger: testLogger(), FetchPace: pace,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	c := consumer(t, b, "ingest")
	// A trickle sets no pace.
	var trickle []model.Event
	for i := range minPacedFetch - 1 {
		trickle = append(trickle, mkEvent(i))
	}
	if err := b.PublishEvents(ctx, trickle); err != nil {
		t.Fatal(err)
	}
	trickled, err := c.Fetch(ctx, 100, time.Second)
	if err != nil || len(trickled.Events()) != minPacedFetch-1 {
		t.Fatalf("trickle fetch: %d events, %v", len(trickled.Events()), err)
	}
	if at := c.shortAt.Load(); at != 0 {
		t.Errorf("a fetch of %d events left a pace to wait out (short at %d)", minPacedFetch-1, at)
	}
	var busy []model.Event
	for i := range minPacedFetch {
		busy = append(busy, mkEvent(100+i))
	}
	if err := b.PublishEvents(ctx, busy); err != nil {
		t.Fatal(err)
	}
	first, err := c.Fetch(ctx, 100, time.Second)
	if err != nil || len(first.Events()) != minPacedFetch {
		t.Fatalf("busy fetch: %d events, %v", len(first.Events()), err)
	}
	shortAt := time.Now()
	// Three events arrive one by one during the pace: one fetch takes all.
	for i := 200; i < 203; i++ {
		if err := b.PublishEvent(ctx, mkEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	second, err := c.Fetch(ctx, 100, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(shortAt); waited < pace {
		t.Errorf("the fetch after a short one returned after %s, before the %s pace", waited, pace)
	}
	if n := len(second.Events()); n != 3 {
		t.Errorf("the paced fetch returned %d events, want the 3 that arrived meanwhile", n)
	}
	ackAll(t, []*EventBatch{trickled, first, second})

	// A full fetch means a backlog: the next one must not wait.
	for i := 300; i < 310; i++ {
		if err := b.PublishEvent(ctx, mkEvent(i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(pace) // let the short fetch's pace lapse
	full, err := c.Fetch(ctx, 5, time.Second)
	if err != nil || len(full.Events()) != 5 {
		t.Fatalf("full fetch: %d events, %v", len(full.Events()), err)
	}
	if at := c.shortAt.Load(); at != 0 {
		t.Errorf("a full fetch left a pace to wait out (short at %d)", at)
	}
	ackAll(t, []*EventBatch{full})
}
