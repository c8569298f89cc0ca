package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/testenv"
)

func TestAttackInfoDefaultsToTheBuiltinSubset(t *testing.T) {
	out, err := runCLI(t, map[string]string{"DECNET_ATTACK_BUNDLE": ""}, "attack", "info")
	if err != nil {
		t.Fatalf("attack info: %v\n%s", err, out)
	}
	for _, want := range []string{"built-in subset", "v18.1 (subset", "tactics         18", "groups          0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestAttackInfoReadsTheConfiguredBundle(t *testing.T) {
	bundle, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "attack", "enterprise-attack-18.1-techniques.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bundle); err != nil {
		testenv.Missing(t, "ATT&CK 18.1 bundle not found at "+bundle)
	}
	out, err := runCLI(t, map[string]string{"DECNET_ATTACK_BUNDLE": bundle}, "attack", "info")
	if err != nil {
		t.Fatalf("attack info: %v\n%s", err, out)
	}
	for _, want := range []string{bundle, "release         v18.1\n", "tactics         14", "techniques      ", "sub-techniques  "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "subset") {
		t.Errorf("a full bundle reported as a subset:\n%s", out)
	}
}

func TestAttackInfoNamesTheSettingOnABadBundle(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "enterprise-attack.json")
	_, err := runCLI(t, map[string]string{"DECNET_ATTACK_BUNDLE": missing}, "attack", "info")
	if err == nil || !strings.Contains(err.Error(), "DECNET_ATTACK_BUNDLE") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("error = %v", err)
	}
}
