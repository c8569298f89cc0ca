package bus

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func benchEvents(n int) []model.Event {
	evs := make([]model.Event, n)
	for i := range evs {
		evs[i] = mkEvent(i)
	}
	return evs
}

// cpuTime is the CPU time (user+system) this process used so far: the
// client and the embedded server together. Reported per event it stays
// meaningful on a shared machine where wall-clock rates depend on neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// meter reports events/s (wall clock) and CPU µs per event for n events.
type meter struct {
	wall time.Time
	cpu  time.Duration
}

func startMeter() meter { return meter{time.Now(), cpuTime()} }

func (m meter) report(b *testing.B, n int) {
	b.ReportMetric(float64(n)/time.Since(m.wall).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-m.cpu).Microseconds())/float64(n), "cpu-µs/event")
}

// BenchmarkPublishEventAsync measures a bulk producer: async JetStream
// publishes into the embedded server, including the final wait for all acks.
func BenchmarkPublishEventAsync(b *testing.B) {
	bus := (&harness{base: Options{DataDir: b.TempDir(), Logger: testLogger()}}).open(b)
	evs := benchEvents(b.N)
	ctx := context.Background()
	// Collect the setup's garbage now so it is not billed to the measured loop.
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for i := range evs {
		if err := bus.PublishEventAsync(evs[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := bus.FlushAsync(ctx); err != nil {
		b.Fatal(err)
	}
	m.report(b, b.N)
}

// BenchmarkFetchAck measures the consumer side of ingest: fetch batches of
// 500 from a full stream, decode, and ack each batch with its confirmation.
func BenchmarkFetchAck(b *testing.B) {
	bus := (&harness{base: Options{DataDir: b.TempDir(), Logger: testLogger()}}).open(b)
	ctx := context.Background()
	for i, ev := range benchEvents(b.N) {
		if err := bus.PublishEventAsync(ev); err != nil {
			b.Fatal(i, err)
		}
	}
	if err := bus.FlushAsync(ctx); err != nil {
		b.Fatal(err)
	}
	c, err := bus.EventConsumer(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	// Collect the setup's garbage now so it is not billed to the measured loop.
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	m := startMeter()
	for got := 0; got < b.N; {
		eb, err := c.Fetch(ctx, DefaultFetchBatch, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if err := eb.Ack(ctx); err != nil {
			b.Fatal(err)
		}
		got += len(eb.Events())
	}
	m.report(b, b.N)
}
