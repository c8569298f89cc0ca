package app

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
)

// TestCurlAgainstAnHTTPAndHTTPSDeckyFillsCredentialsAndBounties drives a
// real decnet with one web decky (http + https, WordPress) with curl from
// its own source address: Basic auth over HTTP, a WordPress login form
// over HTTPS with HTTP/2, and a request claiming a public client IP. Each
// credential becomes a credentials row, and the request headers feed the
// ip_leak and fingerprint bounties.
func TestCurlAgainstAnHTTPAndHTTPSDeckyFillsCredentialsAndBounties(t *testing.T) {
	curl := testenv.Binary(t, "curl")
	a, _ := startApp(t, testConfig(t, nil))
	ctx := context.Background()
	plan, err := decky.PlanFleet(decky.PlanOptions{
		Count: 1, Services: []string{"http", "https"}, NamePrefix: "web", NetMode: model.NetLoopback,
		Subnet: "127.79.9.0/24", Catalog: services.Catalog{},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := plan.Deckies[0]
	d.ServiceConfig = map[string]map[string]string{"http": {"fake_app": "wordpress"}, "https": {"fake_app": "wordpress"}}
	if err := a.store.CreateDeckies(ctx, []model.Decky{d}); err != nil {
		t.Fatal(err)
	}
	if err := a.fleet.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	web := waitServing(t, a, d.Name, "http", "https")
	httpAddr, httpsAddr := web["http"], web["https"]
	const attacker = "127.80.9.11"
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(curl, append([]string{"-sS", "--max-time", "10", "--interface", attacker}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	run("-u", "admin:Summer2024!", "-H", "X-Forwarded-For: 93.184.216.34", "http://"+httpAddr+"/wp-admin/")
	_, port, _ := net.SplitHostPort(httpsAddr)
	host := d.Hostname
	out := run("-k", "--http2", "--resolve", host+":"+port+":"+d.IP, "-d", "log=editor&pwd=hunter2&wp-submit=Log+In",
		"https://"+host+":"+port+"/wp-login.php")
	if !strings.Contains(out, "The password you entered for the username <strong>editor</strong> is incorrect") {
		t.Errorf("wordpress login answer: %.400s", out)
	}

	s := a.Store()
	var creds []model.Credential
	checkFor(t, 15*time.Second, func() error {
		creds, _, err = s.ListCredentials(ctx, store.CredentialQuery{AttackerIP: attacker, Limit: 100})
		if err != nil {
			return err
		}
		if len(creds) < 2 {
			return fmt.Errorf("%d credentials rows, want 2", len(creds))
		}
		return nil
	})
	got := map[string]model.Credential{}
	for _, c := range creds {
		got[c.Service+"/"+c.Principal] = c
	}
	if c := got["http/admin"]; c.SecretPrintable != "Summer2024!" || c.SecretKind != "plaintext" || c.DeckyName != d.Name {
		t.Errorf("basic-auth row: %+v", c)
	}
	if c := got["https/editor"]; c.SecretPrintable != "hunter2" || c.Outcome != model.OutcomeFailure {
		t.Errorf("form row: %+v", c)
	}
	checkFor(t, 15*time.Second, func() error {
		bs, _, err := s.ListBounties(ctx, store.BountyQuery{AttackerIP: attacker, Limit: 100})
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, b := range bs {
			seen[b.BountyType] = true
			if b.BountyType == model.BountyFingerprint {
				for _, k := range []string{"http_useragent", "http_quirks", "ja4h", "http2_settings"} {
					if strings.Contains(string(b.Payload), `"fingerprint_type":"`+k+`"`) {
						seen[k] = true
					}
				}
			}
		}
		for _, want := range []string{model.BountyIPLeak, "http_useragent", "http_quirks", "ja4h", "http2_settings"} {
			if !seen[want] {
				return fmt.Errorf("no %s bounty among %v", want, seen)
			}
		}
		return nil
	})
	rows := logsOf(t, s, d.Name, "tls_client_hello", 1)
	for _, r := range rows {
		if r.EventType == "tls_client_hello" && !strings.HasPrefix(r.Fields["ja4"], "t13d") {
			t.Errorf("tls_client_hello row without a JA4: %v", r.Fields)
		}
	}
}
