package bus

import (
	"context"
	"testing"
)

func TestConsumersOfOneBusShareDecodedMessages(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx := context.Background()
		ingest := consumer(t, b, "ingest")
		prof := consumer(t, b, "profiler")
		ev := mkEvent(1)
		if err := b.PublishEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
		b1, e1 := fetchAll(t, ingest, 1)
		b2, e2 := fetchAll(t, prof, 1)
		if e1[0].ID != ev.ID || e2[0].ID != ev.ID {
			t.Fatalf("ids %s %s", e1[0].ID, e2[0].ID)
		}
		// The second consumer got the first one's decode: the same map.
		e1[0].Fields["probe"] = "x"
		if e2[0].Fields["probe"] != "x" {
			t.Error("the second consumer decoded the message again")
		}
		ackAll(t, b1)
		ackAll(t, b2)
	})
}

func TestDecodedCacheIsBoundedByEvents(t *testing.T) {
	c := newDecodedCache()
	data := []byte("junk")
	for seq := uint64(1); seq <= 3*decodedCacheEvents; seq++ {
		c.decode(data, seq)
	}
	if c.events > decodedCacheEvents || len(c.bySeq) > decodedCacheEvents {
		t.Fatalf("cache holds %d events in %d messages, bound %d", c.events, len(c.bySeq), decodedCacheEvents)
	}
	if c.get(1) != nil || c.get(3*decodedCacheEvents) == nil {
		t.Error("the cache must drop the oldest messages and keep the newest")
	}
}

func TestDecodedCacheNeverServesAnotherMessageUnderAReusedSequence(t *testing.T) {
	c := newDecodedCache()
	b := &Bus{}
	one, two := mkEvent(1), mkEvent(2)
	_, d1, _ := b.encodeEvent(&one)
	_, d2, _ := b.encodeEvent(&two)
	if got := c.decode(d1, 7); len(got.events) != 1 || got.events[0].ID != one.ID {
		t.Fatalf("first decode %+v", got)
	}
	// The stream was recreated: sequence 7 is now another message.
	if got := c.decode(d2, 7); len(got.events) != 1 || got.events[0].ID != two.ID {
		t.Fatalf("reused sequence served %s, want %s", got.events[0].ID, two.ID)
	}
	if c.events != 1 || len(c.bySeq) != 1 {
		t.Errorf("cache holds %d events in %d messages after a replace, want 1 in 1", c.events, len(c.bySeq))
	}
}
