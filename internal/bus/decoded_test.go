package bus

import (
	"context"
	"testing"
)

func TestConsumersOfOneBusShareDecodedMessages(t *testing.T) {
	forEachServer(t, func(t *testing.T, h *harness) {
		b := h.open(t)
		ctx := context.Background()
		ingest, err := b.EventConsumer(ctx, "ingest")
		if err != nil {
			t.Fatal(err)
		}
		prof, err := b.EventConsumer(ctx, "profiler")
		if err != nil {
			t.Fatal(err)
		}
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
