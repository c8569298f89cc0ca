package ttp

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/ttp/attack"
)

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestADatabaseStoreWorkerFollowsTheMastersPackStatesAndDeletions(t *testing.T) {
	ctx := context.Background()
	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: sqlstore.DialectSQLite, DSN: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	master, err := NewStack(ctx, StackOptions{States: s, Rows: s, Catalog: attack.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	rows, err := s.ListTTPRules(ctx)
	if err != nil || len(rows) != len(master.Store.Rules()) {
		t.Fatalf("mirrored %d rows (%v), the master has %d rules", len(rows), err, len(master.Store.Rules()))
	}

	worker, err := NewStack(ctx, StackOptions{StoreType: StoreDatabase, States: s, Rows: s, Catalog: attack.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	defer worker.Close()
	if len(worker.Store.Rules()) != len(master.Store.Rules()) {
		t.Fatalf("worker has %d rules, master %d", len(worker.Store.Rules()), len(master.Store.Rules()))
	}
	ev := Event{SourceKind: KindCommand, SourceID: "c1", AttackerUUID: "a1",
		Payload: map[string]any{"command_text": "cat /etc/passwd"}}
	conf := func() float64 {
		tags, err := worker.Tagger.Tag(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range tags {
			if tag.RuleID == "R0013" {
				return tag.Confidence
			}
		}
		return -1
	}
	if c := conf(); c != 0.85 {
		t.Fatalf("worker R0013 confidence %v, want 0.85", c)
	}

	// An operator clips the rule on the master: the worker follows.
	half := 0.5
	if _, err := master.Store.SetState(ctx, "R0013", RuleState{State: model.RuleClipped, ConfidenceMax: &half}, "admin"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker applies the clip", func() bool { return conf() == 0.5 })
	if err := master.Store.ClearState(ctx, "R0013"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker reverts the clip", func() bool { return conf() == 0.85 })

	// A broken row keeps the previous definition and is listed.
	if err := s.UpsertTTPRule(ctx, model.TTPRuleRow{RuleID: "R0013", RuleVersion: 2, YAMLContent: "rule_id: [",
		UpdatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker lists the broken row", func() bool { return len(worker.Store.Errors()) == 1 })
	if c := conf(); c != 0.85 {
		t.Errorf("after a broken row R0013 confidence %v, want the previous definition", c)
	}
	// A deleted row evicts the rule (the original never noticed).
	if err := s.DeleteTTPRule(ctx, "R0013"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the worker evicts the deleted rule", func() bool { return conf() == -1 })
	if len(worker.Store.Errors()) != 0 {
		t.Errorf("errors of a deleted row kept: %v", worker.Store.Errors())
	}
}
