package main

import (
	"fmt"

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
			s, dsn, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer s.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "schema up to date (%s %s)\n", cfg.DB.Type, sqlstore.RedactDSN(cfg.DB.Type, dsn))
			return nil
		},
	})
	return db
}
