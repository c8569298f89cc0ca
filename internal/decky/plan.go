package decky

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Catalog is the planner's view of the service registry, which lives in
// another package: the per-decky service names, and validation of one
// service's raw INI config into its stored form.
type Catalog interface {
	// Names lists the services a decky can run (fleet singletons excluded),
	// sorted.
	Names() []string
	Known(name string) bool
	Validate(service string, raw map[string]string) (map[string]string, error)
}

// DefaultMutateInterval is the service rotation period, in minutes, when
// nothing sets one (the original's default).
const DefaultMutateInterval = 30

// Random service sets (spec/fleet.md §3.3): 1–3 services, re-drawn up to 20
// times to avoid repeating a combination already given to another decky.
const (
	randomServicesMin      = 1
	randomServicesMax      = 3
	randomServicesAttempts = 20
)

// PlanOptions are the inputs of a deploy: the `decnet deploy` flags and an
// optional parsed deploy INI.
type PlanOptions struct {
	// Count is -n, the number of deckies without an INI.
	Count int
	// Services, Archetype and RandomizeServices choose the services without
	// an INI, in that order of precedence; with an INI they are fallbacks for
	// deckies that set neither services= nor archetype=.
	Services          []string
	RandomizeServices bool
	Archetype         string
	// Distros are cycled over the deckies; RandomizeDistros draws one per
	// decky from its seed; otherwise the archetype's preferred distros (or
	// all distros) are cycled.
	Distros          []string
	RandomizeDistros bool
	// Subnet defaults to the INI's net=, then DefaultLoopbackSubnet in
	// loopback mode or the interface's IPv4 network otherwise.
	Subnet string
	// Gateway is reserved; it defaults to the INI's gw=, then the subnet's
	// first host outside loopback mode.
	Gateway string
	// IPStart is where automatic allocation starts (default: first host).
	IPStart string
	// NetMode is model.NetLoopback (default), NetAlias or NetMacvlan;
	// Interface is the parent interface of the latter two.
	NetMode   string
	Interface string
	// NamePrefix names deckies without an INI: <prefix>-01, -02 …
	// (default "decky").
	NamePrefix string
	// MutateInterval is --mutate-interval when the operator passed it, nil
	// otherwise, so that it only overrides the INI when given.
	MutateInterval *int
	// Existing are deckies still deployed (not torn down): their names and
	// IPs are not reused on an additive deploy.
	Existing []model.Decky
	// INI is the parsed --config file, if any.
	INI *DeployINI
	// Catalog lists and validates services; required.
	Catalog Catalog
	// Now stamps the planned rows; time.Now when nil.
	Now func() time.Time
}

// Plan is a planned deployment: rows in state pending, and what the planner
// chose to ignore or drop, for the operator.
type Plan struct {
	Deckies  []model.Decky
	Warnings []string
}

// interfacePrefixes returns an interface's addresses with their prefixes; a
// variable so tests can plan alias deployments on any machine.
var interfacePrefixes = func(iface string) ([]netip.Prefix, error) {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, fmt.Errorf("interface %q not found: pass --interface with a name from ip link", iface)
	}
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("list addresses of %s: %w", iface, err)
	}
	var out []netip.Prefix
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(n.IP)
		if !ok {
			continue
		}
		ones, _ := n.Mask.Size()
		out = append(out, netip.PrefixFrom(ip.Unmap(), ones))
	}
	return out, nil
}

// deckySpec is one decky before addresses and personas are chosen.
type deckySpec struct {
	name      string
	ip        string
	services  []string
	archetype string
	nmapOS    string
	mutate    *int
	svcConfig map[string]map[string]string
}

// PlanFleet turns deploy options into decky rows (spec/fleet.md §3.2–3.3).
// Personas come from each decky's seed, so planning the same options twice
// gives the same fleet.
func PlanFleet(o PlanOptions) (Plan, error) {
	var plan Plan
	if o.Catalog == nil {
		return plan, errors.New("plan: no service catalog given")
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	ts := now().UTC()
	mode := o.NetMode
	if mode == "" {
		mode = model.NetLoopback
	}
	if mode != model.NetLoopback && mode != model.NetAlias && mode != model.NetMacvlan {
		return plan, fmt.Errorf("unknown net mode %q (valid: %s, %s, %s)", mode, model.NetAlias, model.NetLoopback, model.NetMacvlan)
	}
	for _, s := range o.Services {
		if !o.Catalog.Known(s) {
			return plan, fmt.Errorf("unknown service %q (valid: %s)", s, strings.Join(o.Catalog.Names(), ", "))
		}
	}
	var cliArch *Archetype
	if o.Archetype != "" {
		a, err := LookupArchetype(o.Archetype)
		if err != nil {
			return plan, err
		}
		cliArch = &a
	}
	for _, d := range o.Distros {
		if _, err := LookupDistro(d); err != nil {
			return plan, err
		}
	}

	specs, err := o.specs()
	if err != nil {
		return plan, err
	}
	if o.INI != nil {
		plan.Warnings = append(plan.Warnings, o.INI.Warnings...)
	}

	pn, err := o.network(mode)
	if err != nil {
		return plan, err
	}
	if err := pn.assign(specs, o.Existing); err != nil {
		return plan, err
	}

	usedCombos := map[string]bool{}
	for _, e := range o.Existing {
		usedCombos[comboKey(e.Services)] = true
	}
	for i, s := range specs {
		seed := Seed(s.name, PersonaInstance)
		arch := cliArch
		if s.archetype != "" {
			a, err := LookupArchetype(s.archetype)
			if err != nil {
				return plan, fmt.Errorf("decky %s: %w", s.name, err)
			}
			arch = &a
		}

		// Services: the decky's own list, its own archetype's, then the
		// command line's list and archetype, then a random set.
		services := s.services
		if len(services) == 0 && s.archetype != "" {
			if services, err = archetypeServices(s.name, *arch, o.Catalog, &plan.Warnings); err != nil {
				return plan, err
			}
		}
		if len(services) == 0 && len(o.Services) > 0 {
			// A repeated name would bind the same ports twice; the INI
			// path drops repeats the same way.
			services = dedupe(o.Services)
		}
		if len(services) == 0 && cliArch != nil {
			if services, err = archetypeServices(s.name, *cliArch, o.Catalog, &plan.Warnings); err != nil {
				return plan, err
			}
		}
		if len(services) == 0 {
			services, err = randomServices(s.name, o.Catalog.Names(), usedCombos)
			if err != nil {
				return plan, err
			}
		}
		usedCombos[comboKey(services)] = true

		dist, err := chooseDistro(o, arch, s.name, i)
		if err != nil {
			return plan, err
		}
		hostname, err := GenerateHostname(dist.HostnameStyle, NewRand(seed))
		if err != nil {
			return plan, err
		}
		nmapOS := OSLinux
		switch {
		case s.nmapOS != "":
			nmapOS = s.nmapOS
		case arch != nil:
			nmapOS = arch.NmapOS
		}
		d := model.Decky{
			Name:           s.name,
			HostUUID:       model.LocalHost,
			Hostname:       hostname,
			Distro:         dist.Slug,
			NmapOS:         nmapOS,
			Seed:           seed,
			IP:             s.ip,
			NetMode:        mode,
			Services:       services,
			ServiceConfig:  s.svcConfig,
			MutateInterval: mutateInterval(o, s),
			LastMutated:    ts,
			State:          model.DeckyPending,
			CreatedAt:      ts,
			UpdatedAt:      ts,
		}
		if arch != nil {
			d.Archetype = arch.Slug
		}
		if mode != model.NetLoopback {
			d.Interface = pn.iface
		}
		plan.Deckies = append(plan.Deckies, d)
	}
	return plan, nil
}

// archetypeServices is an archetype's service list minus services this build
// lacks (each a warning); an archetype left with none is an error.
func archetypeServices(name string, a Archetype, cat Catalog, warnings *[]string) ([]string, error) {
	var out []string
	for _, svc := range a.Services {
		if cat.Known(svc) {
			out = append(out, svc)
			continue
		}
		*warnings = append(*warnings, fmt.Sprintf("decky %s: archetype %s's service %s is not in this build; left out", name, a.Slug, svc))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("decky %s: none of archetype %s's services (%s) is in this build: pick services with --services",
			name, a.Slug, strings.Join(a.Services, ", "))
	}
	return out, nil
}

// specs lists the deckies to plan, from the INI or from Count and NamePrefix.
func (o PlanOptions) specs() ([]deckySpec, error) {
	existing := map[string]bool{}
	for _, e := range o.Existing {
		existing[strings.ToLower(e.Name)] = true
	}
	if o.INI != nil {
		if o.Count > 0 {
			return nil, errors.New("pass either --deckies or --config, not both: the INI lists the deckies")
		}
		if len(o.INI.Deckies) == 0 {
			return nil, errors.New("deploy INI defines no decky: add a [<decky name>] section")
		}
		specs := make([]deckySpec, 0, len(o.INI.Deckies))
		for _, d := range o.INI.Deckies {
			if err := ValidateName(d.Name); err != nil {
				return nil, err
			}
			if existing[strings.ToLower(d.Name)] {
				return nil, fmt.Errorf("decky %s is already deployed: rename [%s] or tear the old one down first", d.Name, d.Section)
			}
			specs = append(specs, deckySpec{
				name: d.Name, ip: d.IP, services: slices.Clone(d.Services), archetype: d.Archetype,
				nmapOS: d.NmapOS, mutate: d.MutateInterval, svcConfig: cloneConfig(d.ServiceConfig),
			})
		}
		return specs, nil
	}
	if o.Count < 1 {
		return nil, errors.New("how many deckies? pass --deckies N (or --config with an INI)")
	}
	if o.Count > MaxDeployDeckies {
		return nil, fmt.Errorf("--deckies %d is more than %d: deploy in several batches", o.Count, MaxDeployDeckies)
	}
	if len(o.Services) == 0 && o.Archetype == "" && !o.RandomizeServices {
		return nil, errors.New("choose the deckies' services: pass --services, --archetype or --randomize-services")
	}
	prefix := o.NamePrefix
	if prefix == "" {
		prefix = "decky"
	}
	if err := ValidateName(prefix); err != nil {
		return nil, fmt.Errorf("name prefix: %w", err)
	}
	specs := make([]deckySpec, 0, o.Count)
	for n := 1; len(specs) < o.Count; n++ {
		name := fmt.Sprintf("%s-%02d", prefix, n)
		if err := ValidateName(name); err != nil {
			return nil, fmt.Errorf("name prefix: %w", err)
		}
		if existing[strings.ToLower(name)] {
			continue
		}
		specs = append(specs, deckySpec{name: name})
	}
	return specs, nil
}

// cloneConfig deep-copies service config, so planned rows share no maps with
// the parsed INI.
func cloneConfig(c map[string]map[string]string) map[string]map[string]string {
	if c == nil {
		return nil
	}
	out := make(map[string]map[string]string, len(c))
	for svc, kv := range c {
		out[svc] = maps.Clone(kv)
	}
	return out
}

// mutateInterval resolves rotation precedence: the CLI flag only when the
// operator passed it, then the decky's section, then the INI's [general],
// then the default. (The original let the CLI's default of 30 shadow every
// INI value — spec/fleet.md §3.2 quirk — which this fixes.)
func mutateInterval(o PlanOptions, s deckySpec) int {
	switch {
	case o.MutateInterval != nil:
		return *o.MutateInterval
	case s.mutate != nil:
		return *s.mutate
	case o.INI != nil && o.INI.MutateInterval != nil:
		return *o.INI.MutateInterval
	}
	return DefaultMutateInterval
}

// chooseDistro picks the i-th decky's distro: --distro cycled, else a seeded
// draw with --randomize-distros, else the archetype's preferred distros or
// all distros, cycled.
func chooseDistro(o PlanOptions, arch *Archetype, name string, i int) (Distro, error) {
	switch {
	case len(o.Distros) > 0:
		return LookupDistro(o.Distros[i%len(o.Distros)])
	case o.RandomizeDistros:
		return Pick(NewRand(Seed(name, "distro")), distros), nil
	case arch != nil && len(arch.PreferredDistros) > 0:
		return LookupDistro(arch.PreferredDistros[i%len(arch.PreferredDistros)])
	}
	return distros[i%len(distros)], nil
}

// randomServices draws 1–3 services from the decky's seed, re-drawing a
// combination another decky already has, up to randomServicesAttempts times.
func randomServices(name string, names []string, used map[string]bool) ([]string, error) {
	if len(names) == 0 {
		return nil, errors.New("no services in this build to choose from: pass --services")
	}
	r := NewRand(Seed(name, "services"))
	var pick []string
	for attempt := 0; attempt < randomServicesAttempts; attempt++ {
		n := r.IntRange(randomServicesMin, min(randomServicesMax, len(names)))
		idx := make([]int, len(names))
		for i := range idx {
			idx[i] = i
		}
		r.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		idx = idx[:n]
		slices.Sort(idx) // catalog order, so the same set reads the same way
		pick = pick[:0]
		for _, i := range idx {
			pick = append(pick, names[i])
		}
		if !used[comboKey(pick)] {
			break
		}
	}
	return slices.Clone(pick), nil
}

func comboKey(services []string) string {
	s := slices.Clone(services)
	slices.Sort(s)
	return strings.Join(s, ",")
}

// plannedNet is the address space of a deploy and what in it is taken.
type plannedNet struct {
	iface    string
	prefix   netip.Prefix
	start    netip.Addr
	reserved map[netip.Addr]string // address → why it is not handed out
}

// network resolves subnet, gateway and reserved addresses for the mode.
//
// Reserved: the network and broadcast addresses, the gateway, the
// interface's own addresses, and in loopback mode the first host too: there
// it stands for the host address (a 127.0.0.0/24 subnet must not hand out
// 127.0.0.1), and it keeps decky-01 on .2 in every mode.
func (o PlanOptions) network(mode string) (*plannedNet, error) {
	subnet, gateway, iface := o.Subnet, o.Gateway, o.Interface
	if o.INI != nil {
		subnet = firstNonEmpty(subnet, o.INI.Subnet)
		gateway = firstNonEmpty(gateway, o.INI.Gateway)
		iface = firstNonEmpty(iface, o.INI.Interface)
	}
	n := &plannedNet{iface: iface, reserved: map[netip.Addr]string{}}
	var hostAddrs []netip.Prefix
	if mode != model.NetLoopback {
		if iface == "" {
			return nil, fmt.Errorf("%s mode needs the interface whose LAN the deckies join: pass --interface (see ip link)", mode)
		}
		var err error
		if hostAddrs, err = interfacePrefixes(iface); err != nil {
			return nil, err
		}
		if subnet == "" {
			for _, p := range hostAddrs {
				if p.Addr().Is4() {
					subnet = p.Masked().String()
					break
				}
			}
			if subnet == "" {
				return nil, fmt.Errorf("interface %s has no IPv4 address to take the subnet from: pass --subnet", iface)
			}
		}
	} else if subnet == "" {
		subnet = DefaultLoopbackSubnet
	}
	p, err := netip.ParsePrefix(subnet)
	if err != nil || !p.Addr().Is4() {
		return nil, fmt.Errorf("subnet %q is not an IPv4 CIDR: write it like 192.168.1.0/24", subnet)
	}
	p = p.Masked()
	if p.Bits() > 30 {
		return nil, fmt.Errorf("subnet %s is too small for deckies: use /30 or larger", p)
	}
	loop := netip.MustParsePrefix("127.0.0.0/8")
	if mode == model.NetLoopback && !(loop.Contains(p.Addr()) && p.Bits() >= 8) {
		return nil, fmt.Errorf("subnet %s is outside 127.0.0.0/8: loopback mode serves only loopback addresses; use --net-mode alias or macvlan for LAN addresses", p)
	}
	n.prefix = p
	first := p.Addr().Next()
	bcast := lastAddr(p)
	n.reserved[p.Addr()] = "the network address"
	n.reserved[bcast] = "the broadcast address"
	if gateway == "" && mode != model.NetLoopback {
		gateway = first.String()
	}
	if gateway != "" {
		gw, err := netip.ParseAddr(gateway)
		if err != nil {
			return nil, fmt.Errorf("gateway %q is not an IP address", gateway)
		}
		n.reserved[gw.Unmap()] = "the gateway"
	}
	if mode == model.NetLoopback {
		n.reserved[first] = "the host address"
	}
	for _, h := range hostAddrs {
		n.reserved[h.Addr()] = "an address of " + iface
	}
	n.start = first
	if o.IPStart != "" {
		s, err := netip.ParseAddr(o.IPStart)
		if err != nil || !p.Contains(s.Unmap()) {
			return nil, fmt.Errorf("--ip-start %q is not an address inside the subnet %s", o.IPStart, p)
		}
		n.start = s.Unmap()
	}
	return n, nil
}

// firstNonEmpty returns a unless it is empty.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// assign checks explicit IPs and gives every other decky the lowest free
// address from the start address up.
func (n *plannedNet) assign(specs []deckySpec, existing []model.Decky) error {
	taken := map[netip.Addr]string{}
	for _, e := range existing {
		if ip, err := netip.ParseAddr(e.IP); err == nil {
			taken[ip.Unmap()] = "decky " + e.Name
		}
	}
	for _, s := range specs {
		if s.ip == "" {
			continue
		}
		ip, err := netip.ParseAddr(s.ip)
		if err != nil {
			return fmt.Errorf("decky %s: ip %q is not an IP address", s.name, s.ip)
		}
		ip = ip.Unmap()
		if !n.prefix.Contains(ip) {
			return fmt.Errorf("decky %s: ip %s is outside the subnet %s: pick an address inside it or change the subnet", s.name, ip, n.prefix)
		}
		if why, ok := n.reserved[ip]; ok {
			return fmt.Errorf("decky %s: ip %s is %s: pick another address", s.name, ip, why)
		}
		if who, ok := taken[ip]; ok {
			return fmt.Errorf("decky %s: ip %s is already used by %s: pick another address", s.name, ip, who)
		}
		taken[ip] = "decky " + s.name
	}
	cur := n.start
	for i := range specs {
		if specs[i].ip != "" {
			continue
		}
		for {
			if !n.prefix.Contains(cur) {
				return fmt.Errorf("subnet %s has no free address left for decky %s (%d deckies planned): use a larger --subnet or fewer deckies",
					n.prefix, specs[i].name, len(specs))
			}
			_, res := n.reserved[cur]
			_, used := taken[cur]
			if !res && !used {
				break
			}
			cur = cur.Next()
		}
		specs[i].ip = cur.String()
		taken[cur] = "decky " + specs[i].name
	}
	return nil
}

// FormatPlan writes planned deckies as a table, what --dry-run prints.
func FormatPlan(w io.Writer, ds []model.Decky) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIP\tHOSTNAME\tDISTRO\tARCHETYPE\tOS\tSERVICES")
	for _, d := range ds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Name, d.IP, d.Hostname, d.Distro,
			firstNonEmpty(d.Archetype, "-"), d.NmapOS, strings.Join(d.Services, ","))
	}
	return tw.Flush()
}

// dedupe returns names without repeats, in first-seen order.
func dedupe(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
