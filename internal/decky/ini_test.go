package decky

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func parseINI(t *testing.T, src string) (*DeployINI, error) {
	t.Helper()
	return ParseDeployINI(strings.NewReader(src), newFakeCatalog())
}

func TestParseDeployINI(t *testing.T) {
	src := "[general]\r\nnet = 192.168.1.0/24\r\ngw = 192.168.1.254\r\ninterface = eth0\r\nmutate-interval = 45\r\n" +
		`
# a comment
[web]
amount = 3
services = http, ssh,http
archetype = web-server

[web.ssh]
password = hunter2
ignored_key = x

[db1]
ip = 192.168.1.50
nmap-os = bsd
mutate_interval = 0

[db1.mysql]
version = 5.7.44

[ghost.redis]
x = y

[plain]
colour = blue
`
	got, err := parseINI(t, src)
	if err != nil {
		t.Fatal(err)
	}
	sshCfg := map[string]map[string]string{"ssh": {"password": "hunter2"}}
	want := &DeployINI{
		Subnet: "192.168.1.0/24", Gateway: "192.168.1.254", Interface: "eth0", MutateInterval: intp(45),
		Deckies: []INIDecky{
			{Name: "web-01", Section: "web", Services: []string{"http", "ssh"}, Archetype: "web-server", ServiceConfig: sshCfg},
			{Name: "web-02", Section: "web", Services: []string{"http", "ssh"}, Archetype: "web-server", ServiceConfig: sshCfg},
			{Name: "web-03", Section: "web", Services: []string{"http", "ssh"}, Archetype: "web-server", ServiceConfig: sshCfg},
			{Name: "db1", Section: "db1", IP: "192.168.1.50", NmapOS: "bsd", MutateInterval: intp(0),
				ServiceConfig: map[string]map[string]string{"mysql": {"version": "5.7.44"}}},
			{Name: "plain", Section: "plain"},
		},
		Warnings: []string{
			`[plain]: unknown key "colour" ignored (line 29)`,
			`[ghost.redis]: no decky named ghost (nor an amount= section of that name): section ignored`,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Expanded deckies do not share maps.
	got.Deckies[0].ServiceConfig["ssh"]["password"] = "changed"
	if got.Deckies[1].ServiceConfig["ssh"]["password"] != "hunter2" {
		t.Error("amount expansions share service config maps")
	}
}

func TestParseDeployINIErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"empty", "", "deploy INI has no sections: add a [<decky name>] section per decky"},
		{"only comments", "# nothing\n; here\n", "deploy INI has no sections"},
		{"key outside section", "ip = 1.2.3.4\n[a]\n", `deploy INI: line 1: key "ip" is outside any section`},
		{"bad header", "[a\n", "missing its closing ]"},
		{"duplicate section", "[a]\n[a]\n", "section [a] appears twice"},
		{"amount zero", "[a]\namount = 0\n", "deploy INI: line 2: [a] amount=\"0\" must be a number from 1 to 100"},
		{"amount too big", "[a]\namount = 101\n", "must be a number from 1 to 100"},
		{"amount with ip", "[a]\namount = 2\nip = 10.0.0.5\n", "[a] sets both amount=2 and ip"},
		{"bad ip", "[a]\nip = 10.0.0\n", `[a] ip="10.0.0" is not an IPv4 address`},
		{"unknown service", "[a]\nservices = ssh, gopher\n", `[a] unknown service "gopher" (valid: `},
		{"unknown archetype", "[a]\narchetype = toaster\n", `[a] unknown archetype "toaster" (valid: `},
		{"unknown os", "[a]\nnmap_os = amiga\n", `[a] unknown nmap_os "amiga"`},
		{"both os spellings", "[a]\nnmap_os = bsd\nnmap-os = linux\n", "sets nmap_os twice"},
		{"bad interval", "[a]\nmutate_interval = soon\n", "must be a whole number of minutes"},
		{"negative interval", "[general]\nmutate_interval = -1\n[a]\n", "must be a whole number of minutes"},
		{"bad net", "[general]\nnet = 10.0.0.0\n[a]\n", `[general] net="10.0.0.0" is not a CIDR subnet`},
		{"bad name", "[a b]\n", `decky name "a b" may only contain letters, digits, '-' and '_'`},
		{"dotted name", "[web1.htp]\n", `if it configures a service, "htp" is not one`},
		{"dot dot", "[a..b]\n", "contains '.'"},
		{"leading dot", "[.a]\n", "contains '.'"},
		{"long name", "[" + strings.Repeat("n", 129) + "]\n", "is longer than 128 characters"},
		{"expansion too long", "[" + strings.Repeat("n", 126) + "]\namount=2\n", "is longer than 128 characters"},
		{"duplicate after expansion", "[a]\namount = 2\n[a-01]\n", "decky a-01 from [a-01] is already defined by [a]"},
		{"invalid service config", "[a]\n[a.ssh]\npassword = invalid\n", "deploy INI: [a.ssh]: password: invalid value"},
		{"custom", "[custom-grafana]\nbinary = grafana/grafana:10\nexec = /run.sh --x\nports = 3000\n",
			"[custom-grafana]: custom services need container mode, which this build does not have yet"},
		{"custom bad ports", "[custom-x]\nbinary = img\nports = 3000,http\n", `[custom-x] ports="3000,http" must be comma-separated ports`},
		{"too big", "[a]\n" + strings.Repeat("#", MaxDeployINISize), "deploy INI is larger than 512 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseINI(t, tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant …%s…", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error: %q", err)
			}
		})
	}
}

func TestParseDeployINIServiceSectionRules(t *testing.T) {
	// Exact decky match wins over the amount expansion of the same prefix,
	// and a section whose last segment is no service is a (bad) decky name.
	got, err := parseINI(t, "[a]\n[a.ssh]\nuser = root\n[b]\namount = 2\n[b.ssh]\nuser = admin\n[b-01.ssh]\nuser = one\n")
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]string{}
	for _, d := range got.Deckies {
		users[d.Name] = d.ServiceConfig["ssh"]["user"]
	}
	if diff := cmp.Diff(map[string]string{"a": "root", "b-01": "one", "b-02": "admin"}, users); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Sections may come before the decky they configure.
	got, err = parseINI(t, "[c.ftp]\nbanner = hi\n[c]\n")
	if err != nil || got.Deckies[0].ServiceConfig["ftp"]["banner"] != "hi" {
		t.Errorf("forward reference: %+v %v", got, err)
	}
	// A section prefix is not a name prefix: [web.ssh] does not reach
	// [web-extra], only web's own expansions.
	got, err = parseINI(t, "[web]\namount=2\n[web-extra]\n[web.ssh]\nuser=u\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.Deckies[2].Name != "web-extra" || got.Deckies[2].ServiceConfig != nil {
		t.Errorf("web-extra got %v", got.Deckies[2].ServiceConfig)
	}
}

func TestParseDeployINILimits(t *testing.T) {
	var b strings.Builder
	for i := range MaxDeployDeckies/MaxAmount + 1 {
		b.WriteString("[s" + strings.Repeat("x", i%3) + itoa3(i) + "]\namount = 100\n")
	}
	_, err := parseINI(t, b.String())
	if err == nil || !strings.Contains(err.Error(), "more than 4096 deckies") {
		t.Fatalf("got %v", err)
	}
}

func itoa3(i int) string {
	return string([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestValidateName(t *testing.T) {
	for name, ok := range map[string]bool{
		"decky-01": true, "A_b-9": true, strings.Repeat("a", 128): true,
		"": false, strings.Repeat("a", 129): false, "a.b": false, ".a": false, "a..b": false,
		"a/b": false, "a b": false, "a*": false, "a>": false, "ä": false,
	} {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v", name, err)
		}
	}
}

func FuzzParseDeployINI(f *testing.F) {
	f.Add([]byte("[general]\nnet=10.0.0.0/24\n[web]\namount=3\nservices=ssh,http\n[web.ssh]\nuser=root\n"))
	f.Add([]byte("[a]\r\nip=10.0.0.5\r\nnmap-os=bsd\r\n  continued\r\n[a.ftp]\r\nbanner=x\r\n"))
	f.Add([]byte("[custom-x]\nbinary=img\nports=1,2\n"))
	f.Add([]byte("[a.b.ssh]\n[]\n[x\n=\n:"))
	f.Add([]byte("[general]\nmutate_interval=5\n[d]\narchetype=iot-device\nmutate-interval=7\n"))
	cat := newFakeCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		ini, err := ParseDeployINI(strings.NewReader(string(data)), cat)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error: %q", err)
			}
			return
		}
		if len(ini.Deckies) > MaxDeployDeckies {
			t.Fatalf("%d deckies", len(ini.Deckies))
		}
		for _, d := range ini.Deckies {
			if err := ValidateName(d.Name); err != nil {
				t.Fatalf("invalid name passed: %v", err)
			}
			for _, s := range d.Services {
				if !cat.Known(s) {
					t.Fatalf("unknown service %q passed", s)
				}
			}
		}
		// Whatever parses must plan or fail cleanly.
		plan, err := PlanFleet(PlanOptions{INI: ini, Catalog: cat, Subnet: "127.77.0.0/20"})
		if err == nil && len(plan.Deckies) != len(ini.Deckies) {
			t.Fatalf("planned %d of %d deckies", len(plan.Deckies), len(ini.Deckies))
		}
	})
}

func TestParseDeployINIDefaultSection(t *testing.T) {
	got, err := parseINI(t, "[DEFAULT]\nservices = ssh\nnmap_os = bsd\n[a]\n[b]\nservices = ftp\n[b.ftp]\nbanner = x\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []INIDecky{
		{Name: "a", Section: "a", Services: []string{"ssh"}, NmapOS: "bsd"},
		{Name: "b", Section: "b", Services: []string{"ftp"}, NmapOS: "bsd", ServiceConfig: map[string]map[string]string{"ftp": {"banner": "x"}}},
	}
	if diff := cmp.Diff(want, got.Deckies); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
