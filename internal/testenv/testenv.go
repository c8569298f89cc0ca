// Package testenv helps tests that need a part from outside Go (MySQL/MariaDB,
// an external NATS server, protocol clients, a browser): they skip when the
// part is missing, and fail instead when DECNET_REQUIRE_EXTERNAL=1, which CI
// sets so the full stack is proven rather than silently skipped.
package testenv

import (
	"os"
	"os/exec"
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
