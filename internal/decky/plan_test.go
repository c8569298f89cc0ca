package decky

import (
	"bytes"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

var planNow = time.Date(2026, 5, 2, 6, 0, 0, 0, time.UTC)

func planOpts(o PlanOptions) PlanOptions {
	o.Catalog = newFakeCatalog()
	o.Now = func() time.Time { return planNow }
	return o
}

func mustPlan(t *testing.T, o PlanOptions) Plan {
	t.Helper()
	p, err := PlanFleet(planOpts(o))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func field[T any](ds []model.Decky, f func(model.Decky) T) []T {
	out := make([]T, len(ds))
	for i, d := range ds {
		out[i] = f(d)
	}
	return out
}

func names(ds []model.Decky) []string { return field(ds, func(d model.Decky) string { return d.Name }) }
func ips(ds []model.Decky) []string   { return field(ds, func(d model.Decky) string { return d.IP }) }

func TestPlanLoopbackDefaults(t *testing.T) {
	p := mustPlan(t, PlanOptions{Count: 3, Services: []string{"ssh", "http"}})
	if diff := cmp.Diff([]string{"decky-01", "decky-02", "decky-03"}, names(p.Deckies)); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	// 127.77.0.1 stands for the host address and is never handed out.
	if diff := cmp.Diff([]string{"127.77.0.2", "127.77.0.3", "127.77.0.4"}, ips(p.Deckies)); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
	// No archetype: all distros in table order.
	if got := field(p.Deckies, func(d model.Decky) string { return d.Distro }); !slices.Equal(got, []string{"debian", "ubuntu22", "ubuntu20"}) {
		t.Errorf("distros %v", got)
	}
	d := p.Deckies[0]
	want := model.Decky{
		Name: "decky-01", HostUUID: model.LocalHost, Hostname: d.Hostname, Distro: "debian", NmapOS: "linux",
		Seed: Seed("decky-01", "0"), IP: "127.77.0.2", NetMode: model.NetLoopback, Services: []string{"ssh", "http"},
		MutateInterval: 30, LastMutated: planNow, State: model.DeckyPending, CreatedAt: planNow, UpdatedAt: planNow,
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("decky (-want +got):\n%s", diff)
	}
	wantHost, _ := GenerateHostname(HostnameGeneric, NewRand(Seed("decky-01", "0")))
	if d.Hostname != wantHost {
		t.Errorf("hostname %s, want %s from the seed", d.Hostname, wantHost)
	}
	// Planning is deterministic.
	if diff := cmp.Diff(p, mustPlan(t, PlanOptions{Count: 3, Services: []string{"ssh", "http"}})); diff != "" {
		t.Errorf("second plan differs:\n%s", diff)
	}
}

func TestPlanArchetype(t *testing.T) {
	p := mustPlan(t, PlanOptions{Count: 3, Archetype: "windows-workstation", NamePrefix: "ws"})
	for i, d := range p.Deckies {
		if !slices.Equal(d.Services, []string{"smb", "rdp"}) || d.NmapOS != "windows" || d.Archetype != "windows-workstation" {
			t.Errorf("%s: %+v", d.Name, d)
		}
		if want := []string{"debian", "ubuntu22"}[i%2]; d.Distro != want {
			t.Errorf("%s distro %s, want %s (preferred, cycled)", d.Name, d.Distro, want)
		}
		if !regexp.MustCompile(`^SRV-[A-Z]+-\d\d$`).MatchString(d.Hostname) {
			t.Errorf("hostname %s is not generic style", d.Hostname)
		}
	}
	if p.Deckies[0].Name != "ws-01" {
		t.Errorf("prefix ignored: %s", p.Deckies[0].Name)
	}
	// Services this build lacks are dropped with a warning.
	p = mustPlan(t, PlanOptions{Count: 1, Archetype: "industrial-control"})
	if !slices.Equal(p.Deckies[0].Services, []string{"snmp"}) || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "conpot") {
		t.Errorf("services %v warnings %v", p.Deckies[0].Services, p.Warnings)
	}
	// Explicit services beat the archetype, which still sets the persona.
	p = mustPlan(t, PlanOptions{Count: 1, Archetype: "printer", Services: []string{"ftp"}})
	if d := p.Deckies[0]; !slices.Equal(d.Services, []string{"ftp"}) || d.NmapOS != "embedded" || d.Distro != "alpine" {
		t.Errorf("%+v", d)
	}
	// rhel-style distros get rhel-style names.
	p = mustPlan(t, PlanOptions{Count: 1, Services: []string{"ssh"}, Distros: []string{"rocky9"}})
	if !strings.HasSuffix(p.Deckies[0].Hostname, ".localdomain") {
		t.Errorf("rocky9 hostname %s", p.Deckies[0].Hostname)
	}
}

func TestPlanDistroChoice(t *testing.T) {
	p := mustPlan(t, PlanOptions{Count: 5, Services: []string{"ssh"}, Distros: []string{"kali", "alpine"}, Archetype: "linux-server"})
	if got := field(p.Deckies, func(d model.Decky) string { return d.Distro }); !slices.Equal(got, []string{"kali", "alpine", "kali", "alpine", "kali"}) {
		t.Errorf("explicit distros not cycled: %v", got)
	}
	a := mustPlan(t, PlanOptions{Count: 20, Services: []string{"ssh"}, RandomizeDistros: true})
	b := mustPlan(t, PlanOptions{Count: 20, Services: []string{"ssh"}, RandomizeDistros: true})
	seen := map[string]bool{}
	for i, d := range a.Deckies {
		if d.Distro != b.Deckies[i].Distro {
			t.Fatal("random distros are not seeded")
		}
		seen[d.Distro] = true
	}
	if len(seen) < 4 {
		t.Errorf("20 random draws gave only %v", seen)
	}
}

func TestPlanRandomServices(t *testing.T) {
	p := mustPlan(t, PlanOptions{Count: 30, RandomizeServices: true})
	cat := newFakeCatalog()
	combos := map[string]bool{}
	for _, d := range p.Deckies {
		if n := len(d.Services); n < 1 || n > 3 {
			t.Errorf("%s has %d services", d.Name, n)
		}
		for _, s := range d.Services {
			if !cat.Known(s) {
				t.Errorf("%s: unknown service %s", d.Name, s)
			}
		}
		if len(slices.Compact(slices.Clone(d.Services))) != len(d.Services) {
			t.Errorf("%s repeats a service: %v", d.Name, d.Services)
		}
		combos[comboKey(d.Services)] = true
	}
	if len(combos) != 30 {
		t.Errorf("only %d distinct combinations for 30 deckies", len(combos))
	}
	// Two services, many deckies: combinations must repeat, and do so
	// without failing.
	used := map[string]bool{"a": true, "b": true, "a,b": true}
	if got, err := randomServices("x", []string{"a", "b"}, used); err != nil || len(got) == 0 {
		t.Errorf("exhausted combos: %v %v", got, err)
	}
}

func TestPlanIPAllocation(t *testing.T) {
	orig := interfacePrefixes
	t.Cleanup(func() { interfacePrefixes = orig })
	interfacePrefixes = func(iface string) ([]netip.Prefix, error) {
		return []netip.Prefix{netip.MustParsePrefix("192.168.7.4/29"), netip.MustParsePrefix("fe80::1/64")}, nil
	}
	for _, tc := range []struct {
		name    string
		o       PlanOptions
		want    []string
		wantErr string
	}{
		{name: "ip-start", o: PlanOptions{Count: 2, IPStart: "127.77.0.100"}, want: []string{"127.77.0.100", "127.77.0.101"}},
		{name: "skip network and host address", o: PlanOptions{Count: 2, IPStart: "127.77.0.0"}, want: []string{"127.77.0.2", "127.77.0.3"}},
		{name: "loopback /29 holds five", o: PlanOptions{Count: 5, Subnet: "127.9.9.0/29"},
			want: []string{"127.9.9.2", "127.9.9.3", "127.9.9.4", "127.9.9.5", "127.9.9.6"}},
		{name: "loopback /29 runs out", o: PlanOptions{Count: 6, Subnet: "127.9.9.0/29"},
			wantErr: "subnet 127.9.9.0/29 has no free address left for decky decky-06 (6 deckies planned): use a larger --subnet or fewer deckies"},
		{name: "alias: subnet, gateway and host address from the interface",
			o:    PlanOptions{Count: 3, NetMode: model.NetAlias, Interface: "eth0"},
			want: []string{"192.168.7.2", "192.168.7.3", "192.168.7.5"}},
		{name: "alias: explicit gateway frees .1",
			o:    PlanOptions{Count: 2, NetMode: model.NetMacvlan, Interface: "eth0", Gateway: "192.168.7.6"},
			want: []string{"192.168.7.1", "192.168.7.2"}},
		{name: "alias needs an interface", o: PlanOptions{Count: 1, NetMode: model.NetAlias},
			wantErr: "alias mode needs the interface whose LAN the deckies join: pass --interface (see ip link)"},
		{name: "loopback subnet must be loopback", o: PlanOptions{Count: 1, Subnet: "10.0.0.0/24"},
			wantErr: "subnet 10.0.0.0/24 is outside 127.0.0.0/8: loopback mode serves only loopback addresses"},
		{name: "loopback /7 is not inside 127/8", o: PlanOptions{Count: 1, Subnet: "126.0.0.0/7"}, wantErr: "outside 127.0.0.0/8"},
		{name: "tiny subnet", o: PlanOptions{Count: 1, Subnet: "127.0.0.8/31"}, wantErr: "subnet 127.0.0.8/31 is too small for deckies: use /30 or larger"},
		{name: "ipv6 subnet", o: PlanOptions{Count: 1, Subnet: "fd00::/64"}, wantErr: `subnet "fd00::/64" is not an IPv4 CIDR`},
		{name: "ip-start outside", o: PlanOptions{Count: 1, IPStart: "127.78.0.1"}, wantErr: `--ip-start "127.78.0.1" is not an address inside the subnet 127.77.0.0/24`},
		{name: "bad mode", o: PlanOptions{Count: 1, NetMode: "tun"}, wantErr: `unknown net mode "tun" (valid: alias, loopback, macvlan)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.o.Services) == 0 {
				tc.o.Services = []string{"ssh"}
			}
			p, err := PlanFleet(planOpts(tc.o))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v\nwant %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ips(p.Deckies)); diff != "" {
				t.Errorf("ips (-want +got):\n%s", diff)
			}
			for _, d := range p.Deckies {
				if d.NetMode != model.NetLoopback && d.Interface != "eth0" {
					t.Errorf("%s interface %q", d.Name, d.Interface)
				}
			}
		})
	}
}

func TestPlanAdditive(t *testing.T) {
	existing := []model.Decky{{Name: "decky-01", IP: "127.77.0.2"}, {Name: "decky-03", IP: "127.77.0.4"}}
	p := mustPlan(t, PlanOptions{Count: 3, Services: []string{"ssh"}, Existing: existing})
	if diff := cmp.Diff([]string{"decky-02", "decky-04", "decky-05"}, names(p.Deckies)); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"127.77.0.3", "127.77.0.5", "127.77.0.6"}, ips(p.Deckies)); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
	ini, _ := parseINI(t, "[decky-01]\n")
	if _, err := PlanFleet(planOpts(PlanOptions{INI: ini, Existing: existing})); err == nil || !strings.Contains(err.Error(), "decky decky-01 is already deployed") {
		t.Errorf("INI name collision: %v", err)
	}
	ini, _ = parseINI(t, "[x]\nip = 127.77.0.4\n")
	if _, err := PlanFleet(planOpts(PlanOptions{INI: ini, Existing: existing})); err == nil || !strings.Contains(err.Error(), "ip 127.77.0.4 is already used by decky decky-03") {
		t.Errorf("INI ip collision: %v", err)
	}
}

func TestPlanFromINI(t *testing.T) {
	ini, err := parseINI(t, `
[general]
net = 127.50.0.0/24

[auto]
archetype = iot-device

[fixed]
ip = 127.50.0.2
services = ssh
nmap_os = cisco

[fixed.ssh]
user = admin

[rand]
`)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, PlanOptions{INI: ini})
	if diff := cmp.Diff([]string{"auto", "fixed", "rand"}, names(p.Deckies)); diff != "" {
		t.Errorf("names:\n%s", diff)
	}
	// Explicit addresses are reserved before any is allocated.
	if diff := cmp.Diff([]string{"127.50.0.3", "127.50.0.2", "127.50.0.4"}, ips(p.Deckies)); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
	auto, fixed, rnd := p.Deckies[0], p.Deckies[1], p.Deckies[2]
	if !slices.Equal(auto.Services, []string{"mqtt", "snmp", "telnet"}) || auto.NmapOS != "embedded" || auto.Distro != "alpine" {
		t.Errorf("auto: %+v", auto)
	}
	if !regexp.MustCompile(`^[a-z]+-\d\d$`).MatchString(auto.Hostname) {
		t.Errorf("alpine hostname %s is not minimal style", auto.Hostname)
	}
	if fixed.NmapOS != "cisco" || fixed.ServiceConfig["ssh"]["user"] != "admin" || fixed.Archetype != "" {
		t.Errorf("fixed: %+v", fixed)
	}
	// No services, no archetype: a random set, and nmap_os linux; the distro
	// cycles all distros by position.
	if n := len(rnd.Services); n < 1 || n > 3 || rnd.NmapOS != "linux" || rnd.Distro != "ubuntu20" {
		t.Errorf("rand: %+v", rnd)
	}
	// The command line's subnet beats [general] net.
	if _, err := PlanFleet(planOpts(PlanOptions{INI: ini, Subnet: "127.60.0.0/24"})); err == nil || !strings.Contains(err.Error(), "ip 127.50.0.2 is outside the subnet 127.60.0.0/24") {
		t.Errorf("explicit ip outside subnet: %v", err)
	}
	noIP, _ := parseINI(t, "[general]\nnet = 127.50.0.0/24\n[a]\n")
	if p := mustPlan(t, PlanOptions{INI: noIP, Subnet: "127.60.0.0/24", IPStart: "127.60.0.10"}); p.Deckies[0].IP != "127.60.0.10" {
		t.Errorf("--subnet did not beat [general] net: %s", p.Deckies[0].IP)
	}
	if _, err := PlanFleet(planOpts(PlanOptions{INI: ini, Count: 2})); err == nil || !strings.Contains(err.Error(), "either --deckies or --config") {
		t.Errorf("count with INI: %v", err)
	}
}

func TestPlanExplicitIPReserved(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"[a]\nip = 127.77.0.1\n", "decky a: ip 127.77.0.1 is the host address"},
		{"[a]\nip = 127.77.0.255\n", "decky a: ip 127.77.0.255 is the broadcast address"},
		{"[a]\nip = 127.77.0.9\n[b]\nip = 127.77.0.9\n", "decky b: ip 127.77.0.9 is already used by decky a"},
	} {
		ini, err := parseINI(t, tc.src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := PlanFleet(planOpts(PlanOptions{INI: ini})); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %s", err, tc.want)
		}
	}
}

// TestPlanMutateIntervalPrecedence pins the fix of the original's quirk: the
// command line's interval wins only when the operator passed it.
func TestPlanMutateIntervalPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cli    *int
		ini    string
		want   []int
		noINI  bool
		cliCnt int
	}{
		{name: "nothing set: default", ini: "[a]\n", want: []int{30}},
		{name: "INI global", ini: "[general]\nmutate_interval = 45\n[a]\n[b]\n", want: []int{45, 45}},
		{name: "decky beats global", ini: "[general]\nmutate_interval = 45\n[a]\nmutate-interval = 7\n[b]\n", want: []int{7, 45}},
		{name: "CLI flag beats both when given", cli: intp(10), ini: "[general]\nmutate_interval = 45\n[a]\nmutate_interval = 7\n", want: []int{10}},
		{name: "CLI zero disables", cli: intp(0), ini: "[a]\nmutate_interval = 7\n", want: []int{0}},
		{name: "decky zero disables", ini: "[general]\nmutate_interval = 45\n[a]\nmutate_interval = 0\n", want: []int{0}},
		{name: "no INI: default", noINI: true, cliCnt: 2, want: []int{30, 30}},
		{name: "no INI: flag", noINI: true, cliCnt: 1, cli: intp(90), want: []int{90}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := PlanOptions{MutateInterval: tc.cli}
			if tc.noINI {
				o.Count, o.Services = tc.cliCnt, []string{"ssh"}
			} else {
				ini, err := parseINI(t, tc.ini)
				if err != nil {
					t.Fatal(err)
				}
				o.INI = ini
			}
			p := mustPlan(t, o)
			got := field(p.Deckies, func(d model.Decky) int { return d.MutateInterval })
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    PlanOptions
		want string
	}{
		{"no count", PlanOptions{Services: []string{"ssh"}}, "how many deckies? pass --deckies N (or --config with an INI)"},
		{"no service choice", PlanOptions{Count: 1}, "choose the deckies' services: pass --services, --archetype or --randomize-services"},
		{"unknown service", PlanOptions{Count: 1, Services: []string{"gopher"}}, `unknown service "gopher" (valid: `},
		{"unknown archetype", PlanOptions{Count: 1, Archetype: "toaster"}, `unknown archetype "toaster"`},
		{"unknown distro", PlanOptions{Count: 1, Services: []string{"ssh"}, Distros: []string{"beos"}}, `unknown distro "beos"`},
		{"bad prefix", PlanOptions{Count: 1, Services: []string{"ssh"}, NamePrefix: "a.b"}, "name prefix: decky name \"a.b\" contains '.'"},
		{"too many", PlanOptions{Count: 5000, Services: []string{"ssh"}}, "--deckies 5000 is more than 4096"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PlanFleet(planOpts(tc.o))
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v\nwant …%s…", err, tc.want)
			}
		})
	}
	if _, err := PlanFleet(PlanOptions{Count: 1, Services: []string{"ssh"}}); err == nil {
		t.Error("planning without a catalog succeeded")
	}
}

func TestFormatPlan(t *testing.T) {
	ds := []model.Decky{
		{Name: "decky-01", IP: "127.77.0.2", Hostname: "SRV-ECHO-42", Distro: "debian", NmapOS: "linux", Services: []string{"ssh", "http"}},
		{Name: "printer-1", IP: "127.77.0.3", Hostname: "nova-17", Distro: "alpine", Archetype: "printer", NmapOS: "embedded", Services: []string{"snmp"}},
	}
	var b bytes.Buffer
	if err := FormatPlan(&b, ds); err != nil {
		t.Fatal(err)
	}
	want := `NAME       IP          HOSTNAME     DISTRO  ARCHETYPE  OS        SERVICES
decky-01   127.77.0.2  SRV-ECHO-42  debian  -          linux     ssh,http
printer-1  127.77.0.3  nova-17      alpine  printer    embedded  snmp
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestPlanDropsRepeatedServices(t *testing.T) {
	p := mustPlan(t, PlanOptions{Count: 1, Services: []string{"ssh", "ssh", "telnet", "ssh"}})
	if got := p.Deckies[0].Services; !slices.Equal(got, []string{"ssh", "telnet"}) {
		t.Errorf("services %v, want each once", got)
	}
}
