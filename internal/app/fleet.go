package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	// The built-in services register themselves.
	_ "github.com/decnet/decnet/internal/services/all"
)

// demoDeckies are the demo fleet `decnet up` deploys on an empty fleet: one
// of each kind of host an intruder looks for first, so every built-in
// service runs somewhere. Services nil means the archetype's own list;
// a listed set is for what the archetype cannot hold at once (https beside
// http, a second mail host running the open relay on the same ports).
var demoDeckies = []struct {
	archetype string
	services  []string
}{
	{"linux-server", nil},
	{"web-server", []string{"http", "https", "ftp"}},
	{"database-server", nil},
	{"mail-server", []string{"smtp"}},
	{"mail-server", []string{"smtp_relay"}},
	{"iot-device", nil},
	{"devops-host", nil},
}

// openEventLog opens the RFC 5424 event log file when one is configured:
// the deckies' services and the profiler's traversal lines write to it.
func (a *App) openEventLog() error {
	if a.cfg.EventLogFile == "" {
		return nil
	}
	lf, err := services.OpenLogFile(a.cfg.EventLogFile, a.log)
	if err != nil {
		return fmt.Errorf("%v: fix DECNET_EVENT_LOG_FILE or leave it empty", err)
	}
	a.eventLog = lf
	return nil
}

// startFleet seeds the demo fleet when asked and the fleet is empty, runs
// the fleet runtime, and prints what serves where.
func (a *App) startFleet(ctx, runCtx context.Context) error {
	rt, err := fleet.New(fleet.Options{
		Repo:     a.store,
		LogFile:  a.eventLog,
		Events:   a.bus,
		Notify:   a.bus,
		DataDir:  a.cfg.DataDir,
		HostUUID: model.LocalHost,
		Logger:   a.log.With("part", "fleet"),
		// The runtime completes the lifecycle rows the API records.
		Lifecycles: a.store,
	})
	if err != nil {
		return err
	}
	a.fleet = rt
	a.fleetOps, err = fleet.NewManager(fleet.ManagerOptions{
		Repo:       a.store,
		Lifecycles: a.store,
		State:      a.store,
		Events:     a.bus,
		LogFile:    a.eventLog,
		Notify:     a.bus,
		HostUUID:   model.LocalHost,
		Subnet:     a.demoSubnet,
		Kick:       rt.Kick,
		Logger:     a.log.With("part", "fleet"),
	})
	if err != nil {
		return err
	}
	existing, err := a.store.ListDeckies(ctx, model.LocalHost)
	if err != nil {
		return fmt.Errorf("read the fleet: %w", err)
	}
	if len(existing) == 0 && a.demo {
		ds, err := planDemo(a.demoSubnet)
		if err != nil {
			return fmt.Errorf("plan the demo fleet: %w", err)
		}
		if err := a.store.CreateDeckies(ctx, ds); err != nil {
			return fmt.Errorf("record the demo fleet: %w", err)
		}
	}
	// The first pass runs before "decnet is up" is printed, so the lines
	// below show what really listens.
	if err := rt.Reconcile(ctx); err != nil {
		a.log.Warn("some deckies did not start", "err", err)
	}
	a.goRun(func() { rt.Run(runCtx, fleet.DefaultReconcileEvery) })
	// Scheduled service rotation (fleet.md §3.7) runs where the fleet
	// runs, so it sees every decky of this host, whoever deployed it.
	a.goRun(func() { a.fleetOps.RunMutator(runCtx, fleet.DefaultMutateEvery) })
	return nil
}

// planDemo plans the demo deckies on loopback, each with its services that
// this build has (ssh where it has none yet).
func planDemo(subnet string) ([]model.Decky, error) {
	var out []model.Decky
	for _, dd := range demoDeckies {
		arch := dd.archetype
		a, err := decky.LookupArchetype(arch)
		if err != nil {
			return nil, err
		}
		want := dd.services
		if want == nil {
			want = a.Services
		}
		var svcs []string
		for _, s := range want {
			if (services.Catalog{}).Known(s) {
				svcs = append(svcs, s)
			}
		}
		if len(svcs) == 0 {
			svcs = []string{"ssh"}
		}
		p, err := decky.PlanFleet(decky.PlanOptions{
			Count: 1, Archetype: arch, Services: svcs, NamePrefix: arch, NetMode: model.NetLoopback, Subnet: subnet,
			Existing: out, Catalog: services.Catalog{},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, p.Deckies...)
	}
	return out, nil
}

// printFleet writes one line per decky: name, address, hostname and where
// each service listens.
func (a *App) printFleet(ctx context.Context) {
	if a.fleet == nil {
		return
	}
	sts, err := a.fleet.Status(ctx)
	if err != nil {
		a.log.Warn("fleet status", "err", err)
		return
	}
	if len(sts) == 0 {
		fmt.Fprintln(a.out, "Deckies:   none (add some with: decnet deploy)")
		return
	}
	fmt.Fprintln(a.out, "Deckies:")
	offset := false
	for _, st := range sts {
		var parts []string
		for _, s := range st.Services {
			if s.Error != "" {
				parts = append(parts, s.Name+" (failed: "+s.Error+")")
				continue
			}
			ports, shifted := portList(s.Ports)
			offset = offset || shifted
			parts = append(parts, s.Name+":"+ports)
		}
		if !st.Serving {
			parts = append(parts, st.State+": "+st.LastError)
		}
		fmt.Fprintf(a.out, "  %-18s %-15s %-22s %s\n", st.Name, st.IP, st.Hostname, strings.Join(parts, " "))
	}
	if offset {
		fmt.Fprintf(a.out, "  (ports below 1024 need CAP_NET_BIND_SERVICE; without it loopback deckies listen %d higher, shown as bound←declared)\n", fleet.UnprivilegedPortOffset)
	}
}

// portList renders a service's ports for the startup list: "bound←declared"
// where the unprivileged offset applied, and a run of consecutive ports
// bound as declared (FTP's passive range) as first-last. shifted reports
// whether any port was offset.
func portList(ports []fleet.BoundPort) (out string, shifted bool) {
	var parts []string
	for i := 0; i < len(ports); i++ {
		p := ports[i]
		if p.Port != p.Declared {
			parts = append(parts, strconv.Itoa(p.Port)+"←"+strconv.Itoa(p.Declared))
			shifted = true
			continue
		}
		j := i
		for j+1 < len(ports) && ports[j+1].Port == ports[j].Port+1 && ports[j+1].Port == ports[j+1].Declared {
			j++
		}
		if j > i+1 {
			parts = append(parts, strconv.Itoa(p.Port)+"-"+strconv.Itoa(ports[j].Port))
			i = j
			continue
		}
		parts = append(parts, strconv.Itoa(p.Port))
	}
	return strings.Join(parts, ","), shifted
}
