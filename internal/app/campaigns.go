package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/campaign"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// campaignWorker is the campaign clusterer's worker name: its heartbeat,
// control subject and bus lease.
const campaignWorker = "campaign-clusterer"

// startCampaignClusterer checks the UKC tactic map against the ATT&CK
// catalogue (loading it unless startTTP already did) and runs the campaign
// clusterer: woken by identity changes and ttp.tagged, with a poll
// fallback, under a deployment-wide lease so that two processes never mint
// two campaigns for one component.
func (a *App) startCampaignClusterer(ctx context.Context) error {
	if a.attack == nil {
		cat, err := attack.Open(a.cfg.AttackBundle)
		if err != nil {
			return err
		}
		a.attack = cat
	}
	if err := campaign.ValidateTactics(a.attack.TacticExists); err != nil {
		return fmt.Errorf("%v (catalogue %s); load a full bundle with DECNET_ATTACK_BUNDLE", err, a.attack.Source())
	}
	c, err := campaign.NewCampaignClusterer(campaign.Options{
		Repo:      a.store,
		Publisher: a.bus,
		Logger:    a.log.With("part", campaignWorker),
	})
	if err != nil {
		return err
	}
	wake, unsubscribe, err := campaign.Wake(a.bus)
	if err != nil {
		return fmt.Errorf("bus: %v", err)
	}
	a.goRun(func() {
		defer unsubscribe()
		if err := a.bus.RunExclusive(ctx, campaignWorker, func(ctx context.Context) { c.Run(ctx, wake) }); err != nil {
			a.log.Error("campaign clusterer not started", "err", err)
		}
	})
	a.goRun(func() { a.bus.RunHeartbeat(ctx, campaignWorker, heartbeatInterval, nil) })
	return nil
}

// RunCampaignClusterer runs the campaign clusterer on its own (decnet
// campaign-clusterer) against a running deployment's NATS server and
// database, until ctx ends or system.campaign-clusterer.control says stop.
// It shares the bus lease with decnet up's clusterer, so only one of them
// ticks at a time; the other waits to take over.
func RunCampaignClusterer(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	if cfg.NATSURL == "" {
		return errors.New("decnet campaign-clusterer joins a running deployment: set DECNET_NATS_URL to its NATS " +
			"server (decnet up already runs the campaign clusterer)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: log, out: io.Discard, fatal: make(chan error, 1)}
	defer a.closeParts()
	var err error
	if a.store, err = openStore(ctx, cfg, log); err != nil {
		return err
	}
	if err := a.store.Migrate(ctx); err != nil {
		return fmt.Errorf("database migration failed: %v", err)
	}
	if a.bus, err = bus.Open(ctx, bus.Options{URL: cfg.NATSURL, SubjectPrefix: cfg.NATSPrefix,
		Name: "decnet-" + campaignWorker, Logger: log.With("part", "bus")}); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := a.startCampaignClusterer(wctx); err != nil {
		return err
	}
	if _, err := a.bus.OnControl(campaignWorker, cancel); err != nil {
		return fmt.Errorf("bus: subscribe to %s control: %v", campaignWorker, err)
	}
	log.Info("campaign clusterer running", "attack", a.attack.Release())
	<-wctx.Done()
	a.wg.Wait()
	return nil
}
