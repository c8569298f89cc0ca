package ttp

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/ttp/attack"
)

func TestTheShippedPackLoadsCleanAndValidatesAgainstTheBuiltInCatalogue(t *testing.T) {
	s, err := NewStack(context.Background(), StackOptions{Catalog: attack.Builtin()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if errs := s.Store.Errors(); len(errs) > 0 {
		t.Fatalf("the shipped pack has bad files: %v", errs)
	}
	if n := len(s.Store.Rules()); n < 75 {
		t.Errorf("%d rules loaded, want the whole pack", n)
	}
	kinds := s.Tagger.Handles()
	for _, k := range KnownKinds {
		found := false
		for _, h := range kinds {
			found = found || h == k
		}
		if !found {
			t.Errorf("no tagger claims source kind %s", k)
		}
	}
}

func TestTheStackReportsReloadsStateChangesAndDeletions(t *testing.T) {
	dir := t.TempDir()
	notices := make(chan RuleNotice, 16)
	states, err := sqlstore.Open(context.Background(), sqlstore.Options{Dialect: sqlstore.DialectSQLite,
		DSN: filepath.Join(t.TempDir(), "d.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer states.Close()
	if err := states.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := NewStack(context.Background(), StackOptions{RulesDir: dir, States: states, Catalog: attack.Builtin(),
		Notify: func(n RuleNotice) { notices <- n }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	next := func(what string) RuleNotice {
		t.Helper()
		select {
		case n := <-notices:
			return n
		case <-time.After(10 * time.Second):
			t.Fatalf("no notice for %s", what)
		}
		return RuleNotice{}
	}
	rule := "rule_id: R0999\\nrule_version: 3\\nname: test_rule\\napplies_to: [command]\\n" +
		"match: {pattern: 'evilcmd'}\\nemits: [{technique_id: T1059, tactic: TA0002, confidence: 0.9}]\\n"
	path := filepath.Join(dir, "R0999.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(rule, "\\n", "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := next("the new file"); !n.Reloaded || n.RuleID != "R0999" || n.RuleVersion != 3 {
		t.Errorf("reload notice %+v", n)
	}
	half := 0.5
	if _, err := s.Store.SetState(context.Background(), "R0999", RuleState{State: "clipped", ConfidenceMax: &half}, "admin"); err != nil {
		t.Fatal(err)
	}
	if n := next("the state change"); n.Reloaded || n.State != "clipped" || n.ConfidenceMax == nil || *n.ConfidenceMax != 0.5 {
		t.Errorf("state notice %+v", n)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if n := next("the deletion"); !n.Reloaded || !n.Deleted {
		t.Errorf("deletion notice %+v", n)
	}
}
