package main

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/config"
)

func newConfigCmd(g *globalFlags) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect the host configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "show",
		Short: "Print the effective configuration (secrets redacted) and where each value came from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SETTING\tVALUE\tFROM")
			for _, s := range cfg.Effective(os.LookupEnv, g.configPath) {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, s.Value, s.Source)
			}
			return tw.Flush()
		},
	})
	return c
}
