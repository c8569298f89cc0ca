// Command decnet runs the decnet honeypot deception network: deckies,
// the event pipeline, workers, the REST API and the dashboard, all in one
// binary whose roles are chosen by subcommand.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/app"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	app.TuneRuntime()
	root := newRoot()
	if err := root.Execute(); err != nil {
		var ex exitError
		if errors.As(err, &ex) {
			os.Exit(ex.code)
		}
		fmt.Fprintln(os.Stderr, "decnet:", err)
		os.Exit(1)
	}
}

// exitError carries an exit code for a failure already reported.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// globalFlags are the flags every subcommand shares.
type globalFlags struct {
	configPath string
}

func newRoot() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:           "decnet",
		Short:         "Honeypot deception network: decoy hosts, attacker intelligence, ATT&CK tagging",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "host config file (INI, [decnet] section); DECNET_* environment variables override it")
	root.AddCommand(newVersionCmd(), newUpCmd(g), newDBCmd(g), newConfigCmd(g),
		newDeployCmd(g), newTeardownCmd(g), newStatusCmd(g), newServicesCmd(), newArchetypesCmd(), newDistrosCmd(), newAttackCmd(g),
		newTTPCmd(g), newTTPBackfillCmd(g), newCampaignClustererCmd(g))
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the decnet version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "decnet %s\n", version)
		},
	}
}
