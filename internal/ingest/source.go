package ingest

import (
	"context"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

// BusSource adapts a durable bus consumer to the worker's Source.
func BusSource(c *bus.EventConsumer) Source { return busSource{c} }

type busSource struct{ c *bus.EventConsumer }

func (s busSource) Fetch(ctx context.Context, max int, maxWait time.Duration) (Batch, error) {
	b, err := s.c.Fetch(ctx, max, maxWait)
	if err != nil {
		return nil, err
	}
	return b, nil
}
