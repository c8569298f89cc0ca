package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

// openStore opens and migrates the configured database, creating the data
// dir for SQLite.
func openStore(ctx context.Context, cfg config.Config) (*sqlstore.Store, string, error) {
	dsn := cfg.DB.Path
	if cfg.DB.Type == "mysql" {
		dsn = cfg.DB.DSN
	} else if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, "", fmt.Errorf("data dir %s cannot be created: %v; set DECNET_DATA_DIR", cfg.DataDir, err)
	}
	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: cfg.DB.Type, DSN: dsn, Logger: newLogger(cfg)})
	if err != nil {
		return nil, "", err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, "", fmt.Errorf("migration failed: %v", err)
	}
	return s, dsn, nil
}

// openConfiguredStore loads the host configuration named by the global
// flags and opens its store.
func openConfiguredStore(cmd *cobra.Command, g *globalFlags) (*sqlstore.Store, error) {
	cfg, err := config.FromEnvironment(g.configPath)
	if err != nil {
		return nil, err
	}
	st, _, err := openStore(cmd.Context(), cfg)
	return st, err
}
