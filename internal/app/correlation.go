package app

import (
	"context"
	"fmt"

	"github.com/decnet/decnet/internal/correlation"
)

// startReuseCorrelator runs the credential-reuse correlator: woken by
// credential.captured, with a poll fallback, announcing its health like
// every worker.
func (a *App) startReuseCorrelator(ctx context.Context) error {
	c, err := correlation.NewReuseCorrelator(correlation.ReuseOptions{
		Repo:      a.store,
		State:     a.store,
		Attackers: a.store,
		Publisher: a.bus,
		Logger:    a.log.With("part", "reuse-correlator"),
	})
	if err != nil {
		return err
	}
	wake, unsubscribe, err := correlation.Wake(a.bus)
	if err != nil {
		return fmt.Errorf("bus: %v", err)
	}
	a.goRun(func() {
		defer unsubscribe()
		c.Run(ctx, wake)
	})
	a.goRun(func() { a.bus.RunHeartbeat(ctx, "reuse-correlator", heartbeatInterval, nil) })
	return nil
}
