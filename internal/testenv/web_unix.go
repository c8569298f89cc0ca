//go:build unix

package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// ciStamp records, inside node_modules, the package-lock.json hash the last
// `npm ci` installed, so tests reinstall only when the lockfile changed.
const ciStamp = ".decnet-lock-sha256"

// WebDir returns the repository's web/ directory with its npm dependencies
// installed, running `npm ci` first when node_modules is missing or older
// than package-lock.json. It skips (or fails, under DECNET_REQUIRE_EXTERNAL)
// without node and npm. Tests in several packages call it at once, so the
// install holds an exclusive lock on web/.npm-ci.lock.
func WebDir(t testing.TB) string {
	t.Helper()
	Binary(t, "node")
	npm := Binary(t, "npm")
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "web")
	lockfile, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatalf("web/package-lock.json: %v", err)
	}
	sum := sha256.Sum256(lockfile)
	want := []byte(hex.EncodeToString(sum[:]))

	lk, err := os.OpenFile(filepath.Join(dir, ".npm-ci.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	if err := syscall.Flock(int(lk.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer syscall.Flock(int(lk.Fd()), syscall.LOCK_UN) //nolint:errcheck // closing the file releases it too

	stamp := filepath.Join(dir, "node_modules", ciStamp)
	if got, err := os.ReadFile(stamp); err == nil && bytes.Equal(got, want) {
		return dir
	}
	cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in web/: %v\n%s", err, out)
	}
	if err := os.WriteFile(stamp, want, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
