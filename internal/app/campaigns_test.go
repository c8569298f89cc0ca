package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
)

// TestAPersistenceHandOffOnOneDeckyFormsOneCampaign drives the whole chain
// through a running decnet up: one attacker logs in to a decky over SSH and
// installs an SSH key (persistence, TA0003); later a second source logs in
// to the same decky and runs discovery commands (TA0007). The TTP worker
// tags both, the identity clusterer gives each source an identity of its
// own, and the campaign clusterer links the two identities through the
// persistence → discovery hand-off into one campaign.
//
// Both clients are Go's SSH library, whose default algorithm lists give
// one HASSH — which the identity clusterer would rightly merge into one
// identity, making "one campaign" trivially true. Each client therefore
// offers its own algorithm lists (as two different tools would), and the
// test checks the identities are distinct before it checks the campaign.
func TestAPersistenceHandOffOnOneDeckyFormsOneCampaign(t *testing.T) {
	a, deckies := startDemo(t, "127.79.9.0/24")
	d := deckies["linux-server-01"]
	if d.IP == "" {
		t.Fatalf("demo fleet lacks linux-server-01: %+v", deckies)
	}
	addr := net.JoinHostPort(d.IP, "22")
	const planter, operator = "127.80.9.11", "127.80.9.12"
	client := func(version string, algs gossh.Config) *gossh.ClientConfig {
		return &gossh.ClientConfig{Config: algs, User: "root", Auth: []gossh.AuthMethod{gossh.Password("admin")},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second, ClientVersion: version}
	}
	ctx := context.Background()
	s := a.Store()

	// The planter installs a key and leaves.
	c, err := sshFrom(t, planter, addr, client("SSH-2.0-OpenSSH_8.9p1", gossh.Config{
		KeyExchanges: []string{"curve25519-sha256"}, Ciphers: []string{"aes256-gcm@openssh.com"},
		MACs: []string{"hmac-sha2-256-etm@openssh.com"}}))
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, `echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 op@kali" >> ~/.ssh/authorized_keys`)
	c.Close()
	planterRow := waitAttackerSettled(t, s, planter)
	waitTechnique(t, s, planterRow.UUID, "T1098")

	// Later, a second source works the same decky: discovery first.
	c, err = sshFrom(t, operator, addr, client("SSH-2.0-libssh_0.9.6", gossh.Config{
		KeyExchanges: []string{"ecdh-sha2-nistp256"}, Ciphers: []string{"aes128-ctr"},
		MACs: []string{"hmac-sha2-256"}}))
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, "uname -a")
	run(t, c, "whoami")
	c.Close()
	operatorRow := waitAttackerSettled(t, s, operator)
	waitTechnique(t, s, operatorRow.UUID, "T1082")

	// Two identities, one campaign.
	var identities [2]string
	checkFor(t, 60*time.Second, func() error {
		for i, u := range []string{planterRow.UUID, operatorRow.UUID} {
			row, err := s.GetAttackerByUUID(ctx, u)
			if err != nil {
				return err
			}
			if row.IdentityID == "" {
				return fmt.Errorf("attacker %s has no identity yet", row.IP)
			}
			identities[i] = row.IdentityID
		}
		return nil
	})
	if identities[0] == identities[1] {
		t.Fatalf("both sources share identity %s: the clients' HASSH did not differ", identities[0])
	}
	var campaign string
	checkFor(t, 60*time.Second, func() error {
		var live [2]string
		for i, id := range identities {
			m, err := s.GetIdentity(ctx, id)
			if err != nil {
				return err
			}
			if m.CampaignID == "" {
				return fmt.Errorf("identity %s has no campaign yet", id)
			}
			res, err := s.ResolveCampaigns(ctx, []string{m.CampaignID})
			if err != nil {
				return err
			}
			live[i] = res[m.CampaignID]
		}
		if live[0] != live[1] {
			return fmt.Errorf("identities in campaigns %v", live)
		}
		campaign = live[0]
		return nil
	})

	// The link is the hand-off: the planter's last phase on the decky is
	// persistence and the operator's first is discovery.
	phases := func(id string) []store.DeckyPhase {
		ps, err := s.ListTTPDeckyPhases(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return slices.DeleteFunc(ps, func(p store.DeckyPhase) bool { return p.DeckyID != d.Name })
	}
	if ps := phases(identities[0]); len(ps) == 0 || ps[len(ps)-1].Tactic != "TA0003" {
		t.Errorf("planter's phases on %s: %+v; want persistence last", d.Name, ps)
	}
	if ps := phases(identities[1]); len(ps) == 0 || ps[0].Tactic != "TA0007" {
		t.Errorf("operator's phases on %s: %+v; want discovery first", d.Name, ps)
	}

	// And the API shows it.
	tok := login(t, a.APIURL(), "admin", testAdminPassword)
	detail := getObject(t, a.APIURL(), tok, "/campaigns/"+campaign)
	if detail["uuid"] != campaign || detail["identity_count_live"] != float64(2) {
		t.Errorf("GET /campaigns/%s = %v", campaign, detail)
	}
	ident := getObject(t, a.APIURL(), tok, "/identities/"+identities[1])
	if ident["campaign_uuid"] != campaign {
		t.Errorf("GET /identities/%s campaign_uuid = %v; want %s", identities[1], ident["campaign_uuid"], campaign)
	}
}

// waitTechnique waits until the attacker has a tag of technique.
func waitTechnique(t *testing.T, s store.TTPTagRepository, attacker, technique string) {
	t.Helper()
	checkFor(t, 30*time.Second, func() error {
		rows, err := s.ListTechniquesByAttacker(context.Background(), attacker)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(rows, func(r model.TechniqueRollup) bool { return r.TechniqueID == technique }) {
			return fmt.Errorf("no %s tag yet: %+v", technique, rows)
		}
		return nil
	})
}

// getObject GETs an API path returning a JSON object.
func getObject(t *testing.T, base, tok, path string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
	return out
}

// TestStandaloneCampaignClustererAssignsAndStopsOnControl runs decnet
// campaign-clusterer against a shared NATS server and database: it gives a
// stored identity a campaign and stops on system.campaign-clusterer.control.
func TestStandaloneCampaignClustererAssignsAndStopsOnControl(t *testing.T) {
	natsURL := os.Getenv("DECNET_TEST_NATS_URL")
	if natsURL == "" {
		testenv.Missing(t, "external NATS not configured: set DECNET_TEST_NATS_URL (e.g. nats://127.0.0.1:4222)")
		return
	}
	prefix := scratchNATSPrefix(t, natsURL)
	cfg := testConfig(t, map[string]string{"DECNET_NATS_URL": natsURL, "DECNET_NATS_PREFIX": prefix})
	ctx := context.Background()
	st, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const identity = "00000000-0000-4000-8000-0000000c1a55"
	if err := st.ApplyIdentityPlan(ctx, store.IdentityPlan{Formed: []string{identity},
		Rollups: []store.IdentityRollup{{UUID: identity}}}); err != nil {
		t.Fatal(err)
	}
	b, err := bus.Open(ctx, bus.Options{URL: natsURL, SubjectPrefix: prefix, Name: "test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	done := make(chan error, 1)
	go func() { done <- RunCampaignClusterer(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	checkFor(t, 20*time.Second, func() error {
		m, err := st.GetIdentity(ctx, identity)
		if err != nil || m.CampaignID == "" {
			return fmt.Errorf("no campaign yet (%v)", err)
		}
		return nil
	})
	ctl := bus.Control{Action: bus.ControlStop, RequestedBy: "test", TS: float64(time.Now().Unix())}
	if err := b.Publish(ctx, "system."+campaignWorker+".control", bus.TypeControl, ctl); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop on its control subject")
	}
}
