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
	return &cobra.Command{
		Use:   "up",
		Short: "Run everything in one process: bus, store, ingest, syslog listener and API",
		Long: `Run every decnet role in one process on embedded defaults: an in-process NATS
server, a SQLite database in the data dir, the ingest worker, the RFC 5424
syslog listener and the REST API. Stops cleanly on SIGINT/SIGTERM.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			logger := newLogger(cfg)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			a, err := app.New(cfg, app.Options{Out: cmd.OutOrStdout(), Logger: logger})
			if err != nil {
				return err
			}
			return a.Run(ctx)
		},
	}
}

func newLogger(cfg config.Config) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
}
