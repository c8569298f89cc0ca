package shell

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed clock of tests; persona timestamps still follow the
// real clock (NewFS anchors boot time to it), so tests never assert them.
var testNow = time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC)

// recorder collects what a session reports.
type recorder struct {
	mu   sync.Mutex
	cmds []Command
	dls  []Download
}

func (r *recorder) Command(c Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cmds = append(r.cmds, c)
}

func (r *recorder) Download(d Download) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dls = append(r.dls, d)
}

func noSleep(context.Context, time.Duration) {}

// testPersona is the persona most tests share.
var testPersona = Persona{Hostname: "SRV-DELTA-42", Distro: "ubuntu22", Seed: 7, Users: []string{"ubuntu"}, IP: "10.20.30.40", Services: []string{"ssh", "http"}}

var (
	sharedFSOnce sync.Once
	sharedFS     *FS
)

// testFS returns one FS for testPersona, shared by tests (sessions never
// change it, which is also what the copy-on-write tests check).
func testFS() *FS {
	sharedFSOnce.Do(func() { sharedFS = NewFS(testPersona) })
	return sharedFS
}

func newSession(t testing.TB, user string) (*Session, *recorder) {
	t.Helper()
	rec := &recorder{}
	s := NewSession(Config{FS: testFS(), User: user, Recorder: rec, Now: func() time.Time { return testNow },
		RemoteAddr: "203.0.113.9:50022", Sleep: noSleep})
	return s, rec
}

// run runs line and returns its output.
func run(t testing.TB, s *Session, line string) string {
	t.Helper()
	var b bytes.Buffer
	s.Run(context.Background(), line, &b)
	return b.String()
}
