package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/testenv"
)

// TestDemoFleetComesUpForAnOrdinaryUser runs the demo fleet as nobody (root
// re-runs this test as nobody): ports below 1024 move 10 000 up, the
// startup lines say so, and the services answer there.
func TestDemoFleetComesUpForAnOrdinaryUser(t *testing.T) {
	const childEnv = "DECNET_TEST_UNPRIVILEGED_DEMO"
	if os.Getenv(childEnv) == "1" {
		unprivilegedDemo(t)
		return
	}
	start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if n, _ := strconv.Atoi(strings.TrimSpace(string(start))); err != nil || n <= 23 {
		t.Skip("skipping: unprivileged users may bind low ports here (net.ipv4.ip_unprivileged_port_start)")
	}
	if os.Geteuid() != 0 {
		unprivilegedDemo(t)
		return
	}
	out := testenv.RunAsNobody(t, "TestDemoFleetComesUpForAnOrdinaryUser", childEnv)
	if !strings.Contains(string(out), "--- PASS") {
		t.Fatalf("as nobody the test did not pass:\n%s", out)
	}
}

func unprivilegedDemo(t *testing.T) {
	out := &syncBuffer{}
	a := startAppWith(t, testConfig(t, nil), Options{Out: out, DemoSubnet: "127.79.9.0/24"})
	text := out.String()
	for _, want := range []string{"ssh:10022←22", "telnet:10023←23", "need CAP_NET_BIND_SERVICE"} {
		if !strings.Contains(text, want) {
			t.Errorf("startup output lacks %q:\n%s", want, text)
		}
	}
	sts, err := a.fleet.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range sts {
		for _, s := range st.Services {
			for _, p := range s.Ports {
				c, err := net.DialTimeout("tcp", net.JoinHostPort(st.IP, strconv.Itoa(p.Port)), 5*time.Second)
				if err != nil {
					t.Errorf("%s %s on %d: %v", st.Name, s.Name, p.Port, err)
					continue
				}
				c.Close()
			}
		}
	}
	fmt.Println("unprivileged demo fleet served on offset ports")
}
