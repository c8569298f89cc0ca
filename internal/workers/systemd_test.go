package workers

import (
	"context"

	"github.com/decnet/decnet/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSystemdFindsInstalledUnitsOfKnownWorkersOnly(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "decnet-ttp.service"), []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "decnet-evil.service"), []byte("[Unit]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := Systemd{Dirs: []string{t.TempDir(), dir}}
	for name, want := range map[string]bool{"ttp": true, "profiler": false, "evil": false, "../ttp": false} {
		if got := s.Installed(name); got != want {
			t.Errorf("Installed(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSystemdStartRunsSystemctlStartOnTheUnit(t *testing.T) {
	bin, args := testenv.FakeCommand(t, "systemctl", 0, "")
	if err := (Systemd{Systemctl: bin}).Start(context.Background(), "ttp"); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(args)
	if err != nil {
		t.Fatal(err)
	}
	if want := "start --no-ask-password decnet-ttp.service"; strings.TrimSpace(string(got)) != want {
		t.Fatalf("systemctl got %q, want %q", got, want)
	}
}

func TestSystemdStartReportsSystemctlsFirstLine(t *testing.T) {
	bin, _ := testenv.FakeCommand(t, "systemctl", 1, "Failed to start decnet-ttp.service: Access denied")
	err := (Systemd{Systemctl: bin}).Start(context.Background(), "ttp")
	if err == nil || !strings.Contains(err.Error(), "Access denied") {
		t.Fatalf("err = %v, want systemctl's message", err)
	}
	if err := (Systemd{Systemctl: bin}).Start(context.Background(), "rm -rf"); err == nil {
		t.Fatal("an unknown worker name reached systemctl")
	}
}
