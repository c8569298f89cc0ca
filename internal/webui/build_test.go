package webui

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/decnet/decnet/internal/testenv"
)

// TestCommittedBuildMatchesSource rebuilds web/ into a temporary directory
// and fails when the committed dist/ differs from it: the binary must serve
// what the source says. `make web` brings dist/ up to date.
func TestCommittedBuildMatchesSource(t *testing.T) {
	if testing.Short() {
		t.Skip("rebuilds the dashboard; skipped in -short")
	}
	web := testenv.WebDir(t)
	out := t.TempDir()
	// npm appends the arguments to the script's last command, `vite build`.
	cmd := exec.Command("npm", "run", "build", "--silent", "--", "--outDir", out, "--emptyOutDir", "--logLevel", "error")
	cmd.Dir = web
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm run build: %v\n%s", err, b)
	}
	want := readTree(t, os.DirFS(out))
	got := readTree(t, Dist())
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("dist/%s is missing from the committed build", name)
		case !bytes.Equal(g, w):
			t.Errorf("dist/%s differs from what web/ builds to", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("dist/%s is committed but web/ no longer builds it", name)
		}
	}
	if t.Failed() {
		t.Log("internal/webui/dist is stale: run `make web` and commit the result")
	}
}

func readTree(t *testing.T, fsys fs.FS) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		files[filepath.ToSlash(p)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
