package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/store/sqlstore"
)

func newDBCmd(g *globalFlags) *cobra.Command {
	db := &cobra.Command{Use: "db", Short: "Database maintenance"}
	db.AddCommand(&cobra.Command{
		Use:   "migrate",
		Short: "Apply pending schema migrations and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			dsn := cfg.DB.Path
			if cfg.DB.Type == "mysql" {
				dsn = cfg.DB.DSN
			} else if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return fmt.Errorf("data dir %s cannot be created: %v; set DECNET_DATA_DIR", cfg.DataDir, err)
			}
			s, err := sqlstore.Open(cmd.Context(), sqlstore.Options{Dialect: cfg.DB.Type, DSN: dsn, Logger: newLogger(cfg)})
			if err != nil {
				return err
			}
			defer s.Close()
			if err := s.Migrate(cmd.Context()); err != nil {
				return fmt.Errorf("migration failed: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date (%s %s)\n", cfg.DB.Type, sqlstore.RedactDSN(cfg.DB.Type, dsn))
			return nil
		},
	})
	return db
}
