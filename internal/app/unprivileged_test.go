package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "decnet-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin, _ := os.ReadFile(self)
	exe := filepath.Join(dir, "app.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestDemoFleetComesUpForAnOrdinaryUser$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=1", "TMPDIR="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
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
