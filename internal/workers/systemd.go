package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultUnitDirs are where systemd looks for unit files, local ones first.
var DefaultUnitDirs = []string{"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/lib/systemd/system", "/usr/lib/systemd/system"}

// systemctlTimeout bounds one systemctl call: start waits for the unit's
// start-up, and an API request must not hang on a unit that never settles.
const systemctlTimeout = 30 * time.Second

// Systemd starts workers that run as their own systemd units,
// decnet-<name>.service (deploy/systemd/).
type Systemd struct {
	// Dirs are searched for unit files; nil means DefaultUnitDirs.
	Dirs []string
	// Systemctl is the systemctl binary; empty means "systemctl" on PATH.
	Systemctl string
}

// Unit is the systemd unit name of worker name.
func Unit(name string) string { return "decnet-" + name + ".service" }

// Installed reports whether a unit file for worker name exists.
func (s Systemd) Installed(name string) bool {
	if !Known(name) {
		return false
	}
	dirs := s.Dirs
	if dirs == nil {
		dirs = DefaultUnitDirs
	}
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, Unit(name))); err == nil {
			return true
		}
	}
	return false
}

// Start runs `systemctl start decnet-<name>.service`. The name must be a
// known worker, so nothing a caller sends reaches the command line beyond
// one of Names. A failure carries systemctl's first line of output.
func (s Systemd) Start(ctx context.Context, name string) error {
	if !Known(name) {
		return fmt.Errorf("workers: unknown worker %q", name)
	}
	bin := s.Systemctl
	if bin == "" {
		bin = "systemctl"
	}
	ctx, cancel := context.WithTimeout(ctx, systemctlTimeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "start", "--no-ask-password", Unit(name))
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		line, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
		if line == "" {
			line = err.Error()
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			line = "timed out after " + systemctlTimeout.String()
		}
		return fmt.Errorf("systemctl start %s: %s", Unit(name), line)
	}
	return nil
}
