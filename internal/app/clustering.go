package app

import (
	"context"
	"fmt"

	"github.com/decnet/decnet/internal/clustering"
)

// startIdentityClusterer runs the identity clusterer: woken by
// attacker.observed and attacker.scored, with a poll fallback, announcing
// its health like every worker.
func (a *App) startIdentityClusterer(ctx context.Context) error {
	c, err := clustering.NewIdentityClusterer(clustering.Options{
		Repo:      a.store,
		Publisher: a.bus,
		Logger:    a.log.With("part", "identity-clusterer"),
	})
	if err != nil {
		return err
	}
	wake, unsubscribe, err := clustering.Wake(a.bus)
	if err != nil {
		return fmt.Errorf("bus: %v", err)
	}
	a.goRun(func() {
		defer unsubscribe()
		// One clusterer per deployment: concurrent ticks would mint two
		// identities for one component.
		if err := a.bus.RunExclusive(ctx, "clusterer", func(ctx context.Context) { c.Run(ctx, wake) }); err != nil {
			a.log.Error("identity clusterer not started", "err", err)
		}
	})
	a.goRun(func() { a.bus.RunHeartbeat(ctx, "clusterer", heartbeatInterval, nil) })
	return nil
}
