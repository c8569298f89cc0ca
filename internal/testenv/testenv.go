// Package testenv helps tests that need a part from outside Go (MySQL/MariaDB,
// an external NATS server, protocol clients, a browser): they skip when the
// part is missing, and fail instead when DECNET_REQUIRE_EXTERNAL=1, which CI
// sets so the full stack is proven rather than silently skipped.
package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireExternal reports whether missing external parts must fail tests.
func RequireExternal() bool { return os.Getenv("DECNET_REQUIRE_EXTERNAL") == "1" }

// Missing skips t with reason, or fails it when external parts are required.
func Missing(t testing.TB, reason string) {
	t.Helper()
	if RequireExternal() {
		t.Fatalf("external part required (DECNET_REQUIRE_EXTERNAL=1) but missing: %s", reason)
	}
	t.Skipf("skipping: %s", reason)
}

// Env returns the value of an environment variable naming an external part
// (a DSN, a URL), skipping or failing through Missing when it is unset.
func Env(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, what+" not configured: set "+name)
	}
	return v
}

// Binary returns the path of an executable on PATH, skipping or failing
// through Missing when it is absent.
func Binary(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, name+" not found on PATH")
	}
	return p
}

// FakeCommand writes an executable shell script standing in for a system
// command: it records its arguments (one line) in the returned file,
// prints msg on stderr and exits with code.
func FakeCommand(t testing.TB, name string, code int, msg string) (bin, argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, name+".args")
	bin = filepath.Join(dir, name)
	script := fmt.Sprintf("#!/bin/sh\necho \"$@\" > '%s'\necho '%s' >&2\nexit %d\n", argsFile, msg, code)
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argsFile
}
