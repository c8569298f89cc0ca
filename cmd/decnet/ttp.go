package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/ttp/attack"
)

func newTTPCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "ttp",
		Short: "Run the ATT&CK tagging worker against a running deployment (for a systemd unit)",
		Long: `Run the MITRE ATT&CK tagging worker on its own: it joins the deployment's NATS
server (DECNET_NATS_URL) and database, tags attacker events and notifications
with the rule pack (plus DECNET_TTP_RULES_DIR, hot-reloaded), stores the tags
and publishes ttp.tagged. Several may run side by side; decnet up already runs
one. Stops cleanly on SIGINT/SIGTERM or system.ttp.control {"action":"stop"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return app.RunTTPWorker(ctx, cfg, newLogger(cfg))
		},
	}
}

func newTTPBackfillCmd(g *globalFlags) *cobra.Command {
	var (
		sinceDays, batch int
		source           string
		dryRun           bool
	)
	cmd := &cobra.Command{
		Use:   "ttp-backfill",
		Short: "Tag stored attacker commands with the current rule pack (idempotent, never publishes)",
		Long: `Walk the stored attacker commands of the last --since-days days through the live
tagger and store the tags. Tags have deterministic keys, so a rerun, or a run
over history the worker already tagged, inserts nothing; only new or changed
rules add rows. It never publishes to the bus: replaying history must not fan
out to SIEMs and webhooks again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sinceDays < 1 || sinceDays > 3650 {
				return usageError(cmd, "--since-days must be from 1 to 3650")
			}
			if batch < 1 || batch > 100_000 {
				return usageError(cmd, "--batch-size must be from 1 to 100000")
			}
			if source != ttp.BackfillCommand && source != ttp.BackfillCanary && source != ttp.BackfillAll {
				return usageError(cmd, ttp.ErrBadBackfillSource.Error())
			}
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			if err := cfg.MasterOnly("ttp-backfill"); err != nil {
				return err
			}
			ctx := cmd.Context()
			st, _, err := openStore(ctx, cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			cat, err := attack.Open(cfg.AttackBundle)
			if err != nil {
				return err
			}
			stack, err := ttp.NewStack(ctx, ttp.StackOptions{RulesDir: cfg.TTPRulesDir, States: st, Catalog: cat,
				Logger: newLogger(cfg)})
			if err != nil {
				return err
			}
			defer stack.Close()
			progress := progressPrinter(cmd.ErrOrStderr())
			results, err := ttp.Backfill(ctx, stack.Tagger, st, st, st, ttp.BackfillOptions{
				Since: time.Now().Add(-time.Duration(sinceDays) * 24 * time.Hour), Source: source, DryRun: dryRun,
				BatchSize: batch, Progress: progress,
			})
			if progress != nil {
				fmt.Fprintln(cmd.ErrOrStderr())
			}
			for _, r := range results {
				fmt.Fprintln(cmd.OutOrStdout(), r)
				if r.Source == ttp.BackfillCanary {
					fmt.Fprintln(cmd.OutOrStdout(), "note: canary triggers are not stored by this version; nothing to backfill")
				}
			}
			return err
		},
	}
	cmd.Flags().IntVarP(&sinceDays, "since-days", "s", 7, "how many days of history to tag (1-3650)")
	cmd.Flags().StringVar(&source, "source", ttp.BackfillAll, "what to tag: command, canary or all")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "tag but store nothing (inserted is then 0)")
	cmd.Flags().IntVar(&batch, "batch-size", 500, "commands per read and insert (1-100000)")
	return cmd
}

// progressPrinter draws a one-line progress bar when w is a terminal, and
// returns nil (no progress output) otherwise.
func progressPrinter(w io.Writer) func(done, total int64) {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return func(done, total int64) {
		const width = 30
		filled := width
		if total > 0 && done < total {
			filled = int(done * width / total)
		}
		bar := make([]byte, width)
		for i := range bar {
			bar[i] = '-'
			if i < filled {
				bar[i] = '#'
			}
		}
		fmt.Fprintf(f, "\r[%s] %d/%d commands", bar, done, total)
	}
}

// usageError reports a bad flag value and exits with status 2.
func usageError(cmd *cobra.Command, msg string) error {
	fmt.Fprintln(cmd.ErrOrStderr(), "decnet:", msg)
	return exitError{code: 2}
}
