package services

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Quarantine caps: the spec's 50 MiB per captured file, and a total per
// decky and service so an attacker uploading in a loop cannot fill the disk.
const (
	DefaultMaxFile  = 50 << 20
	DefaultMaxTotal = 1 << 30
)

// ErrQuarantineFull is returned when the quarantine's total cap is reached.
var ErrQuarantineFull = errors.New("quarantine is full")

// Quarantine stores files captured from attackers under one directory,
// never executing or interpreting them: names are
// `<UTC time>_<sha256 prefix>_<sanitised base name>`, mode 0600.
type Quarantine struct {
	dir      string
	maxFile  int64
	maxTotal int64

	mu   sync.Mutex
	used int64
	now  func() time.Time
}

// Captured describes one stored file.
type Captured struct {
	StoredAs  string // file name inside the quarantine directory
	Path      string // full path on disk
	SHA256    string
	Size      int64 // bytes stored
	Truncated bool  // the upload was longer than the per-file cap
}

// OpenQuarantine prepares dir (0700) and counts what it already holds
// against maxTotal; zero caps take the defaults.
func OpenQuarantine(dir string, maxFile, maxTotal int64) (*Quarantine, error) {
	if maxFile <= 0 {
		maxFile = DefaultMaxFile
	}
	if maxTotal <= 0 {
		maxTotal = DefaultMaxTotal
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create quarantine directory %s: %w", dir, err)
	}
	q := &Quarantine{dir: dir, maxFile: maxFile, maxTotal: maxTotal, now: time.Now}
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			q.used += info.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read quarantine directory %s: %w", dir, err)
	}
	return q, nil
}

// Dir is the quarantine directory.
func (q *Quarantine) Dir() string { return q.dir }

// Store copies r into the quarantine, up to the per-file cap (the rest is
// read and discarded so protocols stay in sync, and Truncated is set).
// origName is only used, sanitised, as the tail of the stored name.
func (q *Quarantine) Store(origName string, r io.Reader) (Captured, error) {
	q.mu.Lock()
	room := min(q.maxFile, q.maxTotal-q.used)
	q.mu.Unlock()
	if room <= 0 {
		io.Copy(io.Discard, r)
		return Captured{}, ErrQuarantineFull
	}
	tmp, err := os.CreateTemp(q.dir, ".partial-*")
	if err != nil {
		return Captured{}, fmt.Errorf("quarantine: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, room))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Captured{}, fmt.Errorf("quarantine: %w", err)
	}
	extra, _ := io.Copy(io.Discard, r)
	sum := hex.EncodeToString(h.Sum(nil))
	name := fmt.Sprintf("%s_%s_%s", q.now().UTC().Format("2006-01-02T15:04:05Z"), sum[:12], SafeName(origName))
	path := filepath.Join(q.dir, name)
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return Captured{}, fmt.Errorf("quarantine: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return Captured{}, fmt.Errorf("quarantine: %w", err)
	}
	q.mu.Lock()
	q.used += n
	q.mu.Unlock()
	return Captured{StoredAs: name, Path: path, SHA256: sum, Size: n, Truncated: extra > 0}, nil
}

// SafeName reduces an attacker-chosen file name to a harmless base name:
// no directories, no dot files, printable ASCII letters, digits and ._-
// only, at most 64 bytes.
func SafeName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	var b strings.Builder
	for _, r := range name {
		if b.Len() >= 64 {
			break
		}
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := strings.TrimLeft(b.String(), ".")
	if s == "" {
		return "unnamed"
	}
	return s
}
