package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
)

func newCampaignClustererCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "campaign-clusterer",
		Short: "Run the campaign clusterer against a running deployment (for a systemd unit)",
		Long: `Run the campaign clusterer on its own: it joins the deployment's NATS server
(DECNET_NATS_URL) and database, groups identities into campaigns — a
command-and-control or persistence → discovery or lateral-movement hand-off on
one decky within 24 h, shared payloads and C2 endpoints, keystroke dynamics —
and publishes campaign.* and identity.campaign.assigned. It wakes on identity
changes and ttp.tagged and polls every 60 s. decnet up already runs one; a
deployment-wide lease lets only one tick at a time. Master only. Stops cleanly
on SIGINT/SIGTERM or system.campaign-clusterer.control {"action":"stop"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			if err := cfg.MasterOnly("campaign-clusterer"); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return app.RunCampaignClusterer(ctx, cfg, newLogger(cfg))
		},
	}
}
