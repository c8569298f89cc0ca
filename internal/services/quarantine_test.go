package services

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuarantineStoresUnderAHarmlessNameAndCapsSize(t *testing.T) {
	dir := t.TempDir()
	q, err := OpenQuarantine(dir, 10, 25)
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Store("../../etc/.bashrc;rm -rf", strings.NewReader("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("0123456789"))
	if got.Size != 10 || !got.Truncated || got.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("captured %+v", got)
	}
	if !strings.HasSuffix(got.StoredAs, "_"+got.SHA256[:12]+"_bashrc_rm_-rf") || strings.Contains(got.StoredAs, "/") {
		t.Errorf("stored as %q", got.StoredAs)
	}
	info, err := os.Stat(filepath.Join(dir, got.StoredAs))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("stored file: %v, mode %v", err, info.Mode())
	}
	if _, err := q.Store("b", strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	// 20 of 25 bytes used: the third file gets the 5 left, the fourth none.
	if c, err := q.Store("c", strings.NewReader("0123456789")); err != nil || c.Size != 5 || !c.Truncated {
		t.Errorf("third store %+v, %v", c, err)
	}
	if _, err := q.Store("d", strings.NewReader("x")); !errors.Is(err, ErrQuarantineFull) {
		t.Errorf("fourth store: %v, want ErrQuarantineFull", err)
	}
	// A reopened quarantine counts what is already there.
	q2, err := OpenQuarantine(dir, 10, 25)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q2.Store("e", strings.NewReader("x")); !errors.Is(err, ErrQuarantineFull) {
		t.Errorf("after reopen: %v, want ErrQuarantineFull", err)
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"x.sh": "x.sh", "/tmp/../../a b": "a_b", "...hidden": "hidden", "": "unnamed", `c:\win\evil.exe`: "evil.exe",
		"ünï": "_n_", strings.Repeat("a", 100): strings.Repeat("a", 64),
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}
