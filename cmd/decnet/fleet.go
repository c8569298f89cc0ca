package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	_ "github.com/decnet/decnet/internal/services/all"
	"github.com/decnet/decnet/internal/store"
)

type deployFlags struct {
	count             int
	services          string
	randomizeServices bool
	archetype         string
	distros           string
	randomizeDistros  bool
	ini               string
	hostConfig        string
	subnet            string
	ipStart           string
	gateway           string
	netMode           string
	iface             string
	mutateInterval    int
	dryRun            bool
}

func newDeployCmd(g *globalFlags) *cobra.Command {
	f := &deployFlags{}
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Plan deckies and add them to the fleet (a running decnet serves them within seconds)",
		Long: `Plan deckies — names, addresses, personas and services — and record them in
the fleet table. A running "decnet up" on this host starts serving them within
two seconds; otherwise they start with the next "decnet up". --dry-run only
prints the plan.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDeploy(cmd, g, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&f.count, "deckies", "n", 0, "number of deckies (required without --config)")
	fl.StringVar(&f.services, "services", "", "comma-separated services for every decky (see decnet services)")
	fl.BoolVar(&f.randomizeServices, "randomize-services", false, "give each decky 1–3 random services")
	fl.StringVarP(&f.archetype, "archetype", "a", "", "persona archetype (see decnet archetypes)")
	fl.StringVar(&f.distros, "distro", "", "comma-separated distros, cycled over the deckies (see decnet distros)")
	fl.BoolVar(&f.randomizeDistros, "randomize-distros", false, "pick each decky's distro at random (seeded)")
	fl.StringVarP(&f.ini, "config", "c", "", "deployment INI file (fleet.md §3.2: [general], decky sections, amount=, [decky.service] config)")
	fl.StringVar(&f.hostConfig, "host-config", "", "host config file (what --config is for other commands)")
	fl.StringVar(&f.subnet, "subnet", "", "subnet for decky addresses (loopback default 127.77.0.0/24)")
	fl.StringVar(&f.ipStart, "ip-start", "", "first address to hand out")
	fl.StringVar(&f.gateway, "gateway", "", "gateway address to skip (alias and macvlan modes)")
	fl.StringVar(&f.netMode, "net-mode", model.NetLoopback, "loopback | alias | macvlan")
	fl.StringVarP(&f.iface, "interface", "i", "", "parent interface for alias and macvlan modes")
	fl.IntVar(&f.mutateInterval, "mutate-interval", decky.DefaultMutateInterval, "service rotation period in minutes (0 = never)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and change nothing")
	return cmd
}

func runDeploy(cmd *cobra.Command, g *globalFlags, f *deployFlags) error {
	// --config is the deployment INI here, so the host file comes from
	// --host-config or $DECNET_CONFIG.
	cfg, err := config.FromEnvironment(f.hostConfig)
	if err != nil {
		return err
	}
	if err := cfg.MasterOnly("deploy"); err != nil {
		return err
	}
	switch f.netMode {
	case model.NetLoopback, model.NetAlias, model.NetMacvlan:
	default:
		return fmt.Errorf("--net-mode %q is not one of loopback, alias, macvlan", f.netMode)
	}
	if f.netMode != model.NetLoopback && f.iface == "" {
		return fmt.Errorf("--net-mode %s needs --interface (the parent NIC, e.g. eth0)", f.netMode)
	}
	var ini *decky.DeployINI
	if f.ini != "" {
		fh, err := os.Open(f.ini)
		if err != nil {
			return fmt.Errorf("deployment INI %s: %v", f.ini, errors.Unwrap(err))
		}
		ini, err = decky.ParseDeployINI(fh, services.Catalog{})
		fh.Close()
		if err != nil {
			return fmt.Errorf("deployment INI %s: %v", f.ini, err)
		}
	} else {
		if f.count <= 0 {
			return errors.New("--deckies/-n is required (a number of deckies), or give a deployment INI with --config")
		}
		if f.services == "" && f.archetype == "" && !f.randomizeServices {
			return errors.New("choose services: --services a,b, --archetype NAME or --randomize-services")
		}
	}
	st, _, err := openStore(cmd.Context(), cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	existing, err := st.ListDeckies(cmd.Context(), model.LocalHost)
	if err != nil {
		return err
	}
	opts := decky.PlanOptions{
		Count: f.count, Services: splitList(f.services), RandomizeServices: f.randomizeServices,
		Archetype: f.archetype, Distros: splitList(f.distros), RandomizeDistros: f.randomizeDistros,
		Subnet: f.subnet, Gateway: f.gateway, IPStart: f.ipStart, NetMode: f.netMode, Interface: f.iface,
		Existing: existing, INI: ini, Catalog: services.Catalog{},
	}
	if cmd.Flags().Changed("mutate-interval") {
		opts.MutateInterval = &f.mutateInterval
	}
	plan, err := decky.PlanFleet(opts)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	for _, w := range plan.Warnings {
		fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
	}
	if err := decky.FormatPlan(out, plan.Deckies); err != nil {
		return err
	}
	if f.dryRun {
		fmt.Fprintf(out, "dry run: %d deckies planned, nothing changed\n", len(plan.Deckies))
		return nil
	}
	if err := st.CreateDeckies(cmd.Context(), plan.Deckies); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%v; pick other names or addresses (see decnet status)", err)
		}
		return err
	}
	// Host keys are made now, not when decnet starts serving the deckies:
	// RSA keys take a few hundred milliseconds each.
	fmt.Fprintf(out, "generating host keys for %d deckies…\n", len(plan.Deckies))
	if err := decky.PrepareKeys(cfg.DataDir, plan.Deckies); err != nil {
		return fmt.Errorf("the deckies are recorded but their keys could not be made (decnet up will retry): %v", err)
	}
	fmt.Fprintf(out, "%d deckies added to the fleet; a running decnet serves them within seconds, otherwise run: decnet up\n", len(plan.Deckies))
	return nil
}

func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func newTeardownCmd(g *globalFlags) *cobra.Command {
	var all bool
	var name string
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove deckies from the fleet (--all or --id NAME); a running decnet stops them",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all == (name != "") {
				return errors.New("say which deckies: --all, or --id NAME")
			}
			cfg, err := config.FromEnvironment(g.configPath)
			if err != nil {
				return err
			}
			if err := cfg.MasterOnly("teardown"); err != nil {
				return err
			}
			st, _, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			names := []string{name}
			if all {
				ds, err := st.ListDeckies(cmd.Context(), model.LocalHost)
				if err != nil {
					return err
				}
				names = names[:0]
				for _, d := range ds {
					names = append(names, d.Name)
				}
			}
			for _, n := range names {
				if err := st.DeleteDecky(cmd.Context(), model.LocalHost, n); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no decky named %q (see decnet status)", n)
					}
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", n)
			}
			if len(names) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "the fleet is empty")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every decky of this host")
	cmd.Flags().StringVar(&name, "id", "", "remove the decky with this name")
	return cmd
}

func newStatusCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the fleet: deckies, addresses, services and state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openConfiguredStore(cmd, g)
			if err != nil {
				return err
			}
			defer st.Close()
			ds, err := st.ListDeckies(cmd.Context(), model.LocalHost)
			if err != nil {
				return err
			}
			return printStatus(cmd.OutOrStdout(), ds)
		},
	}
}

func printStatus(out io.Writer, ds []model.Decky) error {
	if len(ds) == 0 {
		_, err := fmt.Fprintln(out, "no deckies; add some with decnet deploy, or run decnet up for the demo fleet")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIP\tHOSTNAME\tDISTRO\tARCHETYPE\tSERVICES\tSTATE\tERROR")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, d.IP, d.Hostname, d.Distro, orDash(d.Archetype),
			strings.Join(d.Services, ","), d.State, d.LastError)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// listCmd is a command that prints one table.
func listCmd(use, short string, header []string, rows func() [][]string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, strings.Join(header, "\t"))
			for _, r := range rows() {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			return tw.Flush()
		},
	}
}

func newServicesCmd() *cobra.Command {
	return listCmd("services", "List the emulated services and their ports",
		[]string{"SERVICE", "PORTS", "CONFIG KEYS", "DESCRIPTION"}, func() [][]string {
			var rows [][]string
			for _, s := range services.All() {
				var ports, keys []string
				for _, p := range s.Ports(s.Schema().Resolve(nil)) {
					ports = append(ports, p.String())
				}
				for _, f := range s.Schema() {
					keys = append(keys, f.Key)
				}
				rows = append(rows, []string{s.Name(), strings.Join(ports, ","), strings.Join(keys, ","), s.Description()})
			}
			return rows
		})
}

func newArchetypesCmd() *cobra.Command {
	return listCmd("archetypes", "List decky archetypes (persona, services, distros, OS family)",
		[]string{"ARCHETYPE", "NAME", "SERVICES", "DISTROS", "OS"}, func() [][]string {
			var rows [][]string
			for _, a := range decky.Archetypes() {
				rows = append(rows, []string{a.Slug, a.Name, strings.Join(a.Services, ","), strings.Join(a.PreferredDistros, ","), a.NmapOS})
			}
			return rows
		})
}

func newDistrosCmd() *cobra.Command {
	return listCmd("distros", "List distro personas", []string{"DISTRO", "NAME", "IMAGE", "HOSTNAMES"}, func() [][]string {
		var rows [][]string
		for _, d := range decky.Distros() {
			rows = append(rows, []string{d.Slug, d.Display, d.Image, d.HostnameStyle})
		}
		return rows
	})
}
