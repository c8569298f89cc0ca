package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/ttp/attack"
)

func newAttackCmd(g *globalFlags) *cobra.Command {
	c := &cobra.Command{Use: "attack", Short: "Inspect the MITRE ATT&CK catalogue decnet tags with"}
	c.AddCommand(&cobra.Command{
		Use:   "info",
		Short: "Print the ATT&CK catalogue's source, release and size (DECNET_ATTACK_BUNDLE, else the built-in subset)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			cat, err := attack.Open(cfg.AttackBundle)
			if err != nil {
				return err
			}
			n := cat.Counts()
			release := cat.Release()
			if cat.Subset() {
				release += " (subset: the techniques decnet's rules emit and their parents)"
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "source\t%s\n", cat.Source())
			fmt.Fprintf(tw, "release\t%s\n", release)
			fmt.Fprintf(tw, "tactics\t%d\n", n.Tactics)
			fmt.Fprintf(tw, "techniques\t%d\n", n.Techniques)
			fmt.Fprintf(tw, "sub-techniques\t%d\n", n.SubTechniques)
			fmt.Fprintf(tw, "groups\t%d\n", n.Groups)
			return tw.Flush()
		},
	})
	return c
}
