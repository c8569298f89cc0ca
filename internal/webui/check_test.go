package webui

import (
	"os/exec"
	"testing"

	"github.com/decnet/decnet/internal/testenv"
)

// TestDashboardLintAndUnitTests runs the dashboard's ESLint and vitest
// suites, so `go test ./...` (and CI) covers the TypeScript too; the type
// check runs in TestCommittedBuildMatchesSource's build.
func TestDashboardLintAndUnitTests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the dashboard's npm checks; skipped in -short")
	}
	web := testenv.WebDir(t)
	for _, script := range []string{"lint", "test"} {
		t.Run(script, func(t *testing.T) {
			cmd := exec.Command("npm", "run", "--silent", script)
			cmd.Dir = web
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("npm run %s: %v\n%s", script, err, out)
			}
		})
	}
}
