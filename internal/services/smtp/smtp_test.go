package smtp

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

type server struct {
	addr string
	evs  *servicetest.Events
	qdir string
}

func serveSMTP(t *testing.T, relay bool, cfg map[string]string) *server {
	t.Helper()
	svc := Service{Relay: relay}
	validated, err := svc.Schema().Validate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := model.Decky{Name: "mail-01", Hostname: "mx1", Distro: "debian", Seed: 11, IP: "127.0.0.1"}
	env, evs := servicetest.NewEnv(svc, d, validated)
	qdir := t.TempDir()
	q, err := services.OpenQuarantine(qdir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	env.TLS = servicetest.SelfSigned(t, d.Hostname)
	env.Quarantine = q
	return &server{addr: servicetest.Start(t, svc, env, "127.0.0.1:0"), evs: evs, qdir: qdir}
}

func (s *server) hostPort() (string, string) {
	h, p, _ := net.SplitHostPort(s.addr)
	return h, p
}

func TestSwaksAuthStartTLSAndRelayedMessageWithAttachment(t *testing.T) {
	swaks := testenv.Binary(t, "swaks")
	s := serveSMTP(t, true, map[string]string{"greylist_percent": "0"})
	_, port := s.hostPort()
	dir := t.TempDir()
	att := filepath.Join(dir, "Invoice_2291.docm")
	attBody := []byte("fake docm with word/vbaProject.bin inside")
	os.WriteFile(att, attBody, 0o600)
	out, err := exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--tls",
		"--auth", "LOGIN", "--auth-user", "billing@corp.example.org", "--auth-password", "Winter2025!",
		"--from", "billing@corp-invoices.biz", "--to", "victim@target-co.com", "--helo", "spam-bot.evil",
		"--header", "Subject: Overdue invoice 2291", "--header", "X-Mailer: PHPMailer 6.0.5",
		"--body", "Please pay at https://pay.corp-invoices.biz/inv/2291 today.",
		"--attach", "@"+att, "--attach-type", "application/vnd.ms-word.document.macroEnabled.12",
		"--timeout", "20").CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	for _, want := range []string{"220 mx1 ESMTP Postfix (Debian/GNU)", "250-mx1", "235 2.7.0 Authentication successful", "250 2.0.0 Ok: queued as "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("swaks transcript lacks %q:\n%s", want, out)
		}
	}

	a := s.evs.Wait(t, "auth_attempt", 1)[0]
	if a.Fields["principal"] != "billing@corp.example.org" || a.Fields["secret_printable"] != "Winter2025!" ||
		a.Fields["secret_kind"] != "plaintext" || a.Fields["outcome"] != "success" || a.Fields["mechanism"] != "LOGIN" ||
		a.Fields["tls"] != "true" || a.SrcIP != "127.0.0.1" {
		t.Errorf("auth_attempt %+v", a.Fields)
	}
	if tl := s.evs.Wait(t, "starttls", 1)[0]; tl.Fields["ja3"] == "" || tl.Fields["ja4"] == "" || tl.Fields["negotiated_version"] == "" {
		t.Errorf("starttls %+v", tl.Fields)
	}
	if e := s.evs.Wait(t, "ehlo", 2); e[0].Fields["domain"] != "spam-bot.evil" || e[1].Fields["tls"] != "true" {
		t.Errorf("ehlo events %+v %+v", e[0].Fields, e[1].Fields)
	}
	acc := s.evs.Wait(t, "message_accepted", 1)[0]
	if acc.Fields["mail_from"] != "billing@corp-invoices.biz" || acc.Fields["rcpt_to"] != "victim@target-co.com" || acc.Fields["truncated"] != "false" {
		t.Errorf("message_accepted %+v", acc.Fields)
	}
	st := s.evs.Wait(t, "message_stored", 1)[0].Fields
	if st["subject"] != "Overdue invoice 2291" || st["x_mailer"] != "PHPMailer 6.0.5" || st["msg_id"] != acc.Fields["msg_id"] ||
		st["attachment_count"] != "1" || !strings.Contains(st["urls_json"], "https://pay.corp-invoices.biz/inv/2291") ||
		st["body_simhash"] == "0000000000000000" || st["mail_from"] != "billing@corp-invoices.biz" ||
		!strings.HasSuffix(st["stored_as"], "_"+st["msg_id"]+".eml") || st["body_base64_bytes"] == "0" {
		t.Errorf("message_stored %+v", st)
	}
	var atts []attachment
	if err := json.Unmarshal([]byte(st["attachments_json"]), &atts); err != nil || len(atts) != 1 {
		t.Fatalf("attachments_json %q: %v", st["attachments_json"], err)
	}
	sum := sha256.Sum256(attBody)
	if atts[0].Filename != "Invoice_2291.docm" || atts[0].SHA256 != hex.EncodeToString(sum[:]) || !atts[0].MacroIndicator ||
		atts[0].Size != int64(len(attBody)) {
		t.Errorf("attachment %+v", atts[0])
	}
	eml, err := os.ReadFile(filepath.Join(s.qdir, st["stored_as"]))
	if err != nil {
		t.Fatal(err)
	}
	if es := sha256.Sum256(eml); hex.EncodeToString(es[:]) != st["sha256"] || !strings.Contains(string(eml), "Subject: Overdue invoice 2291") {
		t.Errorf("stored .eml does not match the event")
	}
}

func TestSwaksAuthIsCapturedAndRelayDeniedOnPlainSMTP(t *testing.T) {
	swaks := testenv.Binary(t, "swaks")
	s := serveSMTP(t, false, nil)
	_, port := s.hostPort()
	out, _ := exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--auth", "PLAIN",
		"--auth-user", "admin", "--auth-password", "P@ss\u00e9word", "--from", "a@b.com", "--to", "c@d.com", "--timeout", "20").CombinedOutput()
	if !strings.Contains(string(out), "535 5.7.8 Error: authentication failed") {
		t.Errorf("swaks transcript lacks the 535:\n%s", out)
	}
	a := s.evs.Wait(t, "auth_attempt", 1)[0]
	if a.Fields["principal"] != "admin" || a.Fields["outcome"] != "failure" || a.Fields["mechanism"] != "PLAIN" ||
		a.Fields["secret_printable"] != "P@ss??word" {
		t.Errorf("auth_attempt %+v", a.Fields)
	}
	// Without AUTH, the envelope goes as far as RCPT.
	out, _ = exec.Command(swaks, "--server", "127.0.0.1", "--port", port, "--from", "a@b.com", "--to", "c@d.com", "--timeout", "20").CombinedOutput()
	if !strings.Contains(string(out), "554 5.7.1 <c@d.com>: Relay access denied") {
		t.Errorf("swaks transcript lacks the relay denial:\n%s", out)
	}
	if r := s.evs.Wait(t, "rcpt_denied", 1)[0]; r.Fields["rcpt_to"] != "c@d.com" {
		t.Errorf("rcpt_denied %+v", r.Fields)
	}
	if m := s.evs.Wait(t, "mail_from", 1)[0]; m.Fields["mail_from"] != "a@b.com" || m.Fields["domain"] != "b.com" {
		t.Errorf("mail_from %+v", m.Fields)
	}
}

func TestCurlSendsMailThroughTheRelay(t *testing.T) {
	curl := testenv.Binary(t, "curl")
	s := serveSMTP(t, true, map[string]string{"greylist_percent": "0", "auth_whitelist": "mailer"})
	_, port := s.hostPort()
	msg := filepath.Join(t.TempDir(), "msg.eml")
	os.WriteFile(msg, []byte("From: <ceo@corp.com>\r\nTo: <fin@corp.com>\r\nSubject: wire\r\nDKIM-Signature: v=1; a=rsa-sha256; d=corp.com\r\n"+
		"Received-SPF: pass (corp.com)\r\n\r\nSend it today.\r\n.leading dot line\r\n"), 0o600)
	out, err := exec.Command(curl, "-sS", "--max-time", "20", "smtp://127.0.0.1:"+port, "--user", "mailer:hunter2",
		"--mail-from", "ceo@corp.com", "--mail-rcpt", "fin@corp.com", "--upload-file", msg).CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	if a := s.evs.Wait(t, "auth_attempt", 1)[0]; a.Fields["principal"] != "mailer" || a.Fields["secret_printable"] != "hunter2" || a.Fields["outcome"] != "success" {
		t.Errorf("auth_attempt %+v", a.Fields)
	}
	st := s.evs.Wait(t, "message_stored", 1)[0].Fields
	if st["subject"] != "wire" || st["dkim_signed"] != "true" || st["spf_pass"] != "true" || st["from_hdr"] != "<ceo@corp.com>" {
		t.Errorf("message_stored %+v", st)
	}
	eml, _ := os.ReadFile(filepath.Join(s.qdir, st["stored_as"]))
	if !strings.Contains(string(eml), "\r\n.leading dot line\r\n") {
		t.Errorf("dot-stuffing not undone in the stored message:\n%q", eml)
	}
	// A user outside auth_whitelist is refused.
	out, _ = exec.Command(curl, "-sS", "--max-time", "20", "smtp://127.0.0.1:"+port, "--user", "other:x",
		"--mail-from", "a@corp.com", "--mail-rcpt", "b@corp.com", "--upload-file", msg).CombinedOutput()
	if a := s.evs.Wait(t, "auth_attempt", 2)[1]; a.Fields["outcome"] != "failure" {
		t.Errorf("auth outside the whitelist: %+v\n%s", a.Fields, out)
	}
}

// dial opens a raw SMTP connection and returns it with the greeting.
func dial(t *testing.T, addr string) (*servicetest.ReplyClient, string) {
	t.Helper()
	k := servicetest.DialReply(t, addr)
	return k, k.Read()
}

func TestPostfixDialogueKeepsTheHostnameInEHLO(t *testing.T) {
	s := serveSMTP(t, false, map[string]string{"mta": "postfix"})
	k, greet := dial(t, s.addr)
	if greet != "220 mx1 ESMTP Postfix (Debian/GNU)\r\n" {
		t.Errorf("greeting %q", greet)
	}
	// The original wrote the mta value ("postfix") as the EHLO host.
	want := "250-mx1\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n" +
		"250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 DSN\r\n"
	if got := k.Cmd("EHLO scanner"); got != want {
		t.Errorf("EHLO:\n%q\nwant\n%q", got, want)
	}
	for _, step := range [][2]string{
		{"VRFY root", "252 2.0.0 root\r\n"},
		{"VRFY nosuchuser", "550 5.1.1 <nosuchuser>: Recipient address rejected: User unknown in local recipient table\r\n"},
		{"EXPN staff", "502 5.5.2 Error: command not recognized\r\n"},
		{"RCPT TO:<a@b.com>", "503 5.5.1 Error: need MAIL command\r\n"},
		{"MAIL FROM:<x@y.com>", "250 2.1.0 Ok\r\n"},
		{"MAIL FROM:<z@y.com>", "503 5.5.1 Error: nested MAIL command\r\n"},
		{"RCPT TO:<a@b.com>", "554 5.7.1 <a@b.com>: Relay access denied\r\n"},
		{"DATA", "554 5.5.1 Error: no valid recipients\r\n"},
	} {
		if got := k.Cmd(step[0]); got != step[1] {
			t.Errorf("%s: %q, want %q", step[0], got, step[1])
		}
	}
	v := s.evs.Wait(t, "vrfy", 2)
	if v[0].Fields["value"] != "root" || v[0].Fields["exists"] != "true" || v[1].Fields["exists"] != "false" {
		t.Errorf("vrfy events %+v %+v", v[0].Fields, v[1].Fields)
	}
	if u := s.evs.Wait(t, "unknown_command", 1)[0]; u.Fields["command"] != "EXPN" {
		t.Errorf("unknown_command %+v", u.Fields)
	}
	if got := k.Cmd("QUIT"); got != "221 2.0.0 Bye\r\n" {
		t.Errorf("QUIT: %q", got)
	}
}

func TestRelayRecipientRules(t *testing.T) {
	s := serveSMTP(t, true, map[string]string{"greylist_percent": "100"})
	k, _ := dial(t, s.addr)
	k.Cmd("EHLO x")
	k.Cmd("MAIL FROM:<a@b.com>")
	for rcpt, want := range map[string]string{
		"RCPT TO:<not-an-address>":   "501 5.1.3 Bad recipient address syntax",
		"RCPT TO:<root@host.test>":   "550 5.1.2 <root@host.test>: Recipient address rejected: Domain not found",
		"RCPT TO:<x@corp.invalid>":   "550 5.1.2 ",
		"RCPT TO:<ceo@bigbank.com>":  "451 4.7.1 <ceo@bigbank.com>: Recipient address rejected: Greylisted",
		"RCPT TO: ceo2@bigbank.com ": "451 4.7.1",
	} {
		if got := k.Cmd(rcpt); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q…", rcpt, got, want)
		}
	}
	s.evs.Wait(t, "rcpt_rejected_syntax", 1)
	s.evs.Wait(t, "rcpt_rejected_tld", 2)
	s.evs.Wait(t, "rcpt_greylisted", 2)
}

func TestPipelinedCommandsAreAnsweredInOrder(t *testing.T) {
	s := serveSMTP(t, true, map[string]string{"greylist_percent": "0"})
	k, _ := dial(t, s.addr)
	k.Cmd("EHLO pipeliner")
	fmt.Fprint(k.Conn, "MAIL FROM:<a@b.com>\r\nRCPT TO:<c@d.com>\r\nRCPT TO:<e@f.com>\r\nDATA\r\n")
	for _, want := range []string{"250 2.1.0", "250 2.1.5", "250 2.1.5", "354 "} {
		if got := k.Read(); !strings.HasPrefix(got, want) {
			t.Fatalf("pipelined reply %q, want %q…", got, want)
		}
	}
	fmt.Fprint(k.Conn, "Subject: hi\r\n\r\nbody\r\n..\r\n.\r\nQUIT\r\n")
	if got := k.Read(); !strings.HasPrefix(got, "250 2.0.0 Ok: queued as ") {
		t.Errorf("end of DATA: %q", got)
	}
	if got := k.Read(); got != "221 2.0.0 Bye\r\n" {
		t.Errorf("QUIT: %q", got)
	}
	if st := s.evs.Wait(t, "message_stored", 1)[0]; st.Fields["rcpt_to"] != "c@d.com,e@f.com" {
		t.Errorf("message_stored rcpt_to %q", st.Fields["rcpt_to"])
	}
}

func TestBoundsEndTheConnectionWithAProtocolError(t *testing.T) {
	s := serveSMTP(t, false, nil)
	k, _ := dial(t, s.addr)
	if got := k.Cmd("EHLO " + strings.Repeat("a", 5000)); !strings.HasPrefix(got, "500 5.5.0 Error: line too long") {
		t.Errorf("overlong line: %q", got)
	}
	if e := s.evs.Wait(t, "protocol_error", 1)[0]; !strings.Contains(e.Fields["error"], "longer than") {
		t.Errorf("protocol_error %+v", e.Fields)
	}
	// Twenty errors and Postfix hangs up.
	k, _ = dial(t, s.addr)
	for range maxErrors {
		k.Cmd("FOO")
	}
	if last := k.Read(); !strings.Contains(last, "421 4.7.0 mx1 Error: too many errors") {
		t.Errorf("after %d errors: %q", maxErrors, last)
	}
	s.evs.Wait(t, "protocol_error", 2)
	// Binary garbage never panics the handler; it ends the same way.
	junk := make([]byte, 1<<20)
	rand.Read(junk)
	servicetest.Drain(t, s.addr, junk, 20*time.Second)
	s.evs.Wait(t, "protocol_error", 3)
	for _, e := range s.evs.OfType("protocol_error") {
		if strings.HasPrefix(e.Fields["error"], "panic") {
			t.Errorf("a handler panicked: %v", e.Fields)
		}
	}
}

func TestPlainTextPipelinedAfterSTARTTLSIsDiscarded(t *testing.T) {
	s := serveSMTP(t, true, nil)
	k, _ := dial(t, s.addr)
	k.Cmd("EHLO x")
	fmt.Fprint(k.Conn, "STARTTLS\r\nAUTH PLAIN AGFkbWluAGFkbWlu\r\n")
	if got := k.Read(); got != "220 2.0.0 Ready to start TLS\r\n" {
		t.Fatalf("STARTTLS: %q", got)
	}
	tc := tls.Client(k.Conn, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	k.Conn, k.R = tc, bufio.NewReader(tc)
	if got := k.Cmd("AUTH PLAIN AGFkbWluAGFkbWlu"); !strings.HasPrefix(got, "503 5.5.1 Error: send HELO/EHLO first") {
		t.Errorf("AUTH before the new EHLO: %q", got)
	}
	if got := k.Cmd("EHLO x"); strings.Contains(got, "STARTTLS") {
		t.Errorf("STARTTLS offered again over TLS: %q", got)
	}
	if inj := s.evs.Wait(t, "starttls_injection", 1)[0]; !strings.HasPrefix(inj.Fields["data"], "AUTH PLAIN") {
		t.Errorf("starttls_injection %+v", inj.Fields)
	}
	if n := len(s.evs.OfType("auth_attempt")); n != 0 {
		t.Errorf("%d auth attempts from injected plain text", n)
	}
}

func TestNmapIdentifiesEachMTA(t *testing.T) {
	want := map[string]string{}
	for mta, re := range map[string]string{
		"postfix":  `smtp\s+Postfix smtpd`,
		"exim":     `smtp\s+Exim smtpd 4\.\d+`,
		"sendmail": `smtp\s+Sendmail 8\.\d+`,
	} {
		s := serveSMTP(t, false, map[string]string{"mta": mta})
		_, p := s.hostPort()
		want[p] = re
	}
	servicetest.NmapIdentifies(t, "127.0.0.1", want)
}

func TestServicesDeclareBothPortsAndTheirKeys(t *testing.T) {
	for _, svc := range []Service{{}, {Relay: true}} {
		ps := svc.Ports(nil)
		if len(ps) != 2 || ps[0].Number != 25 || ps[1].Number != 587 {
			t.Errorf("%s ports %v", svc.Name(), ps)
		}
	}
	keys := map[string]bool{}
	for _, f := range (Service{Relay: true}).Schema() {
		keys[f.Key] = true
	}
	for _, k := range []string{"banner", "mta", "upstream_host", "upstream_port", "upstream_user", "upstream_pass", "upstream_sender", "probe_limit"} {
		if !keys[k] {
			t.Errorf("smtp_relay lacks config key %s", k)
		}
	}
}

func TestEveryMTAGreetsAndHelloesWithTheDeckyHostname(t *testing.T) {
	for _, mta := range []string{mtaPostfix, mtaExim, mtaSendmail} {
		d := newDialect(mta, "mx7.corp.lan", "debian", "", mathrand.New(mathrand.NewPCG(1, 2)))
		if first := d.hello("client", "192.0.2.1"); !strings.HasPrefix(first, "mx7.corp.lan") || strings.Contains(strings.ToLower(first), mta) {
			t.Errorf("%s: EHLO first line %q", mta, first)
		}
		if g := d.greeting(time.Now()); !strings.HasPrefix(g, "220 mx7.corp.lan ESMTP ") {
			t.Errorf("%s: greeting %q", mta, g)
		}
	}
}
