package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDeployStatusTeardownRoundTrip(t *testing.T) {
	env := map[string]string{"DECNET_DATA_DIR": t.TempDir()}
	out, err := runCLI(t, env, "deploy", "-n", "2", "--archetype", "linux-server", "--subnet", "127.82.0.0/24", "--dry-run")
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "127.82.0.2") || !strings.Contains(out, "dry run: 2 deckies planned") {
		t.Errorf("dry run output:\n%s", out)
	}
	if out, _ := runCLI(t, env, "status"); !strings.Contains(out, "no deckies") {
		t.Errorf("a dry run changed the fleet:\n%s", out)
	}
	if out, err := runCLI(t, env, "deploy", "-n", "2", "--services", "ssh,telnet", "--subnet", "127.82.0.0/24"); err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	// Keys are made at deploy time, so decnet up does not wait for them.
	for _, name := range []string{"decky-01", "decky-02"} {
		if _, err := os.Stat(filepath.Join(env["DECNET_DATA_DIR"], "deckies", name, "ssh_host_rsa_key")); err != nil {
			t.Errorf("deploy made no RSA host key for %s: %v", name, err)
		}
	}
	out, err = runCLI(t, env, "status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"decky-01", "127.82.0.2", "decky-02", "127.82.0.3", "ssh,telnet", "pending"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	// A second deploy continues the names and addresses.
	if out, err := runCLI(t, env, "deploy", "-n", "1", "--services", "ssh", "--subnet", "127.82.0.0/24"); err != nil || !strings.Contains(out, "decky-03") || !strings.Contains(out, "127.82.0.4") {
		t.Errorf("additive deploy: %v\n%s", err, out)
	}
	if out, err := runCLI(t, env, "teardown", "--id", "decky-02"); err != nil || !strings.Contains(out, "removed decky-02") {
		t.Errorf("teardown --id: %v\n%s", err, out)
	}
	if _, err := runCLI(t, env, "teardown", "--id", "decky-02"); err == nil || !strings.Contains(err.Error(), `no decky named "decky-02"`) {
		t.Errorf("second teardown: %v", err)
	}
	if out, err := runCLI(t, env, "teardown", "--all"); err != nil || !strings.Contains(out, "removed decky-01") || !strings.Contains(out, "removed decky-03") {
		t.Errorf("teardown --all: %v\n%s", err, out)
	}
}

func TestDeployFromINIAndItsErrors(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DECNET_DATA_DIR": dir}
	ini := filepath.Join(dir, "fleet.ini")
	os.WriteFile(ini, []byte("[general]\nnet=127.83.0.0/24\n\n[web]\narchetype=linux-server\namount=2\n\n[web.ssh]\npassword=s3cret\n"), 0o600)
	out, err := runCLI(t, env, "deploy", "--config", ini)
	if err != nil {
		t.Fatalf("deploy from INI: %v\n%s", err, out)
	}
	if !strings.Contains(out, "web-01") || !strings.Contains(out, "web-02") {
		t.Errorf("INI deploy output:\n%s", out)
	}
	bad := filepath.Join(dir, "bad.ini")
	os.WriteFile(bad, []byte("[custom-foo]\nbinary=evil:latest\n"), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deploy"}, "--deckies/-n is required"},
		{[]string{"deploy", "-n", "1"}, "choose services"},
		{[]string{"deploy", "-n", "1", "--services", "gopher"}, `unknown service "gopher"`},
		{[]string{"deploy", "-n", "1", "--services", "ssh", "--net-mode", "alias"}, "--net-mode alias needs --interface"},
		{[]string{"deploy", "--config", bad}, "need container mode"},
		{[]string{"teardown"}, "--all, or --id NAME"},
	} {
		_, err := runCLI(t, env, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line containing %q", tt.args, err, tt.want)
		}
	}
}

func TestListingsShowTheCatalogues(t *testing.T) {
	for cmd, want := range map[string][]string{
		"services":   {"ssh", "22/tcp", "telnet", "23/tcp", "weak_passwords"},
		"archetypes": {"windows-workstation", "deaddeck", "iot-device", "mqtt,snmp,telnet"},
		"distros":    {"ubuntu22", "rockylinux:9-minimal", "kalilinux/kali-rolling"},
	} {
		out, err := runCLI(t, nil, cmd)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q:\n%s", cmd, w, out)
			}
		}
	}
}
