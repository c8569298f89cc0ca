package main

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
)

func newUpCmd(g *globalFlags) *cobra.Command {
	var noDemo bool
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Run everything in one process: deckies, bus, store, ingest, syslog listener and API",
		Long: `Run every decnet role in one process on embedded defaults: an in-process NATS
server, a SQLite database in the data dir, the ingest worker, the RFC 5424
syslog listener, the REST API and the decoy fleet. On an empty fleet it deploys
a demo fleet on loopback addresses (127.77.0.0/24) unless --no-demo is given;
deckies added with "decnet deploy" start within seconds. Stops cleanly on
SIGINT/SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			logger := newLogger(cfg)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.New(cfg, app.Options{Out: cmd.OutOrStdout(), Logger: logger, NoDemo: noDemo})
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&noDemo, "no-demo", false, "do not deploy the demo fleet when the fleet is empty")
	return cmd
}

func newLogger(cfg config.Config) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
}
