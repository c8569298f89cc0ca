package app

import (
	"context"
	"fmt"

	"github.com/decnet/decnet/internal/profiler"
	"github.com/decnet/decnet/internal/services"
)

// ingestDurable is the ingest worker's durable consumer; the profiler
// watches its progress to know when bounty and credential counts are final.
const ingestDurable = "ingest"

// startProfiler runs the profiler worker on its own durable consumer: it
// keeps one attackers row per source address and publishes
// attacker.observed and attacker.scored.
func (a *App) startProfiler(ctx context.Context) error {
	consumer, err := a.bus.EventConsumer(ctx, profiler.DurableName)
	if err != nil {
		return fmt.Errorf("bus: create profiler consumer: %v", err)
	}
	emitter := services.NewEmitter(profiler.CorrelatorService, services.EmitterOptions{
		Publisher: a.bus,
		File:      a.eventLog,
		Decky:     profiler.CorrelatorDecky,
		Logger:    a.log.With("part", "profiler"),
	})
	w, err := profiler.NewWorker(profiler.WorkerOptions{
		Source:    consumer,
		Repo:      a.store,
		Publisher: a.bus,
		Emit:      emitter.Emit,
		Enrich:    a.enrichment(),
		IngestFloor: func(ctx context.Context) (uint64, error) {
			return a.bus.AckFloor(ctx, ingestDurable)
		},
		Logger: a.log.With("part", "profiler"),
	})
	if err != nil {
		return err
	}
	return a.runRestartable(ctx, "profiler", nil, func(ctx context.Context) {
		// One profiler per deployment: processes sharing a NATS server
		// take turns through a lease.
		if err := a.bus.RunExclusive(ctx, profiler.DurableName, w.Run); err != nil && ctx.Err() == nil {
			a.log.Error("profiler worker not started", "err", err)
		}
	})
}

// enrichment returns the GeoIP/ASN lookup for attacker rows, or nil when
// the operator configured no database.
func (a *App) enrichment() func(ip string) profiler.Enrichment {
	if a.cfg.GeoIPDB == "" && a.cfg.ASNDB == "" {
		return nil
	}
	return func(ip string) profiler.Enrichment { return profiler.Enrichment(a.enricher.Lookup(ip)) }
}
