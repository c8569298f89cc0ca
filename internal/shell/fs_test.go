package shell

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"
)

// baitPaths are the seeded files whose content must differ per decky.
var baitPaths = []string{"/root/notes.txt", "/root/projects/.env", "/root/.bash_history", "/etc/passwd", "/etc/shadow", "/etc/hostname", "/etc/machine-id"}

func TestSeedsDriveContent(t *testing.T) {
	a := NewFS(Persona{Distro: "debian", Seed: 1})
	a2 := NewFS(Persona{Distro: "debian", Seed: 1})
	b := NewFS(Persona{Distro: "debian", Seed: 2})
	for _, p := range baitPaths {
		x, err := a.ReadFile(p)
		if err != nil {
			t.Fatalf("ReadFile(%s): %v", p, err)
		}
		y, _ := a2.ReadFile(p)
		z, _ := b.ReadFile(p)
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs for the same seed", p)
		}
		if bytes.Equal(x, z) {
			t.Errorf("%s is identical for seeds 1 and 2:\n%s", p, x)
		}
	}
	if a.Persona().Hostname == b.Persona().Hostname {
		t.Errorf("seeds 1 and 2 share hostname %q", a.Persona().Hostname)
	}
	if a.Persona().Hostname != a2.Persona().Hostname || a.Persona().KernelRelease != a2.Persona().KernelRelease {
		t.Error("same seed, different persona")
	}
	ua, ub := a.accts[1], b.accts[1]
	if ua.name == ub.name && ua.uid == ub.uid {
		t.Errorf("seeds 1 and 2 share user %s uid %d", ua.name, ua.uid)
	}
	for _, p := range []string{"/proc/cpuinfo", "/usr/bin/ls"} {
		x, _ := a.ReadFile(p)
		y, _ := a2.ReadFile(p)
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs for the same seed", p)
		}
	}
}

func TestDistroReleaseFiles(t *testing.T) {
	for _, tc := range []struct {
		distro, path, want string
	}{
		{"ubuntu22", "/etc/os-release", `PRETTY_NAME="Ubuntu 22.04.3 LTS"`},
		{"ubuntu22", "/etc/os-release", "VERSION_CODENAME=jammy"},
		{"ubuntu20", "/etc/os-release", `VERSION="20.04.6 LTS (Focal Fossa)"`},
		{"debian", "/etc/os-release", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`},
		{"debian", "/etc/issue", "Debian GNU/Linux 12 \\n \\l"},
		{"rocky9", "/etc/os-release", `PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"`},
		{"rocky9", "/etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)"},
		{"centos7", "/etc/os-release", `PRETTY_NAME="CentOS Linux 7 (Core)"`},
		{"alpine", "/etc/os-release", `PRETTY_NAME="Alpine Linux v3.19"`},
		{"alpine", "/etc/alpine-release", "3.19.1"},
		{"fedora", "/etc/os-release", "VERSION_ID=39"},
		{"kali", "/etc/os-release", `PRETTY_NAME="Kali GNU/Linux Rolling"`},
		{"arch", "/etc/os-release", `NAME="Arch Linux"`},
		{"ubuntu22", "/proc/version", "-generic (buildd@"},
		{"rocky9", "/etc/passwd", "sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:/sbin/nologin"},
		{"alpine", "/etc/passwd", "root:x:0:0:root:/root:/bin/ash"},
	} {
		f := NewFS(Persona{Distro: tc.distro, Seed: 5})
		got, err := f.ReadFile(tc.path)
		if err != nil {
			t.Errorf("%s %s: %v", tc.distro, tc.path, err)
			continue
		}
		if !strings.Contains(string(got), tc.want) {
			t.Errorf("%s %s lacks %q:\n%s", tc.distro, tc.path, tc.want, got)
		}
	}
}

func TestKernelReleaseDerived(t *testing.T) {
	for distro, prefix := range map[string]string{"ubuntu22": "5.15.0-", "debian": "6.1.0-", "rocky9": "5.14.0-362.", "centos7": "3.10.0-1160.", "alpine": "6.6.", "fedora": "6.", "kali": "6.", "arch": "6.7."} {
		p := NewFS(Persona{Distro: distro, Seed: 9}).Persona()
		if !strings.HasPrefix(p.KernelRelease, prefix) {
			t.Errorf("%s kernel %q lacks prefix %q", distro, p.KernelRelease, prefix)
		}
	}
	if got := NewFS(Persona{Distro: "ubuntu22", KernelRelease: "5.15.0-91-generic"}).Persona().KernelRelease; got != "5.15.0-91-generic" {
		t.Errorf("given kernel release replaced by %q", got)
	}
}

func TestPlantAndReadFile(t *testing.T) {
	f := NewFS(testPersona)
	before := NewSession(Config{FS: f, Sleep: noSleep})
	mt := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := f.Plant("/home/ubuntu/.aws/credentials", []byte("[default]\nkey=canary\n"), 0o600, mt); err != nil {
		t.Fatal(err)
	}
	got, err := f.ReadFile("/home/ubuntu/.aws/credentials")
	if err != nil || string(got) != "[default]\nkey=canary\n" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	s := NewSession(Config{FS: f, User: "ubuntu", Sleep: noSleep})
	if out := run(t, s, "cat ~/.aws/credentials; ls -l ~/.aws"); !strings.Contains(out, "key=canary") || !strings.Contains(out, "-rw------- 1 ubuntu ubuntu 21 Jan  2  2023 credentials") {
		t.Errorf("planted file as seen by its owner:\n%s", out)
	}
	if out := run(t, before, "ls /home/ubuntu/.aws"); !strings.Contains(out, "No such file") {
		t.Errorf("session started before Plant sees it: %q", out)
	}
	for _, bad := range []string{"relative/path", "/", "/etc/passwd/x"} {
		if err := f.Plant(bad, nil, 0o644, mt); err == nil {
			t.Errorf("Plant(%q) succeeded", bad)
		}
	}
	if _, err := f.ReadFile("/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(/nope) = %v", err)
	}
}

// TestCopyOnWrite pins session isolation: writes, deletes and renames in
// one session are invisible to others and to the FS.
func TestCopyOnWrite(t *testing.T) {
	a, _ := newSession(t, "root")
	b, _ := newSession(t, "root")
	run(t, a, "echo mine > /tmp/a; rm /root/notes.txt; mv /etc/hostname /etc/h2; echo x >> /etc/passwd; chmod 777 /etc/shadow")
	if got := run(t, a, "cat /tmp/a; ls /root/notes.txt"); got != "mine\nls: cannot access '/root/notes.txt': No such file or directory\n" {
		t.Errorf("writer's view: %q", got)
	}
	if got := run(t, b, "cat /tmp/a 2>&1; ls /root/notes.txt /etc/hostname | cat; tail -c 2 /etc/passwd; stat -c %a /etc/shadow"); got != "cat: /tmp/a: No such file or directory\n/etc/hostname\n/root/notes.txt\nh\n640\n" {
		t.Errorf("other session's view: %q", got)
	}
	if data, _ := testFS().ReadFile("/etc/passwd"); strings.HasSuffix(string(data), "x\n") {
		t.Error("session write reached the FS")
	}
}

// TestAppendDoesNotCorrupt pins the in-place append optimisation: a copy
// (cp, ln) made from a file must not see later appends to the original.
func TestAppendDoesNotCorrupt(t *testing.T) {
	s, _ := newSession(t, "root")
	got := run(t, s, "echo a > /tmp/f; cp /tmp/f /tmp/g; ln /tmp/f /tmp/h; echo b >> /tmp/f; echo c >> /tmp/g; echo d >> /tmp/h; cat /tmp/f /tmp/g /tmp/h")
	if got != "a\nb\na\nc\na\nd\n" {
		t.Errorf("got %q", got)
	}
}

func TestWriteBudgets(t *testing.T) {
	s, _ := newSession(t, "root")
	// One file is capped at MaxFileSize.
	out := run(t, s, "yes 0123456789abcdef > /tmp/big; ls -l /tmp/big")
	if !strings.Contains(out, fmt.Sprintf(" %d ", MaxCmdOutput)) {
		t.Errorf("yes into a file: %q", out)
	}
	// The session budget ends in ENOSPC.
	var last string
	for i := range 40 {
		last = run(t, s, fmt.Sprintf("cat /tmp/big /tmp/big /tmp/big /tmp/big > /tmp/c%d", i))
	}
	if !strings.Contains(last, "No space left on device") && !strings.Contains(last, "File too large") {
		t.Errorf("no budget error after many writes: %q", last)
	}
	if s.v.written > MaxSessionWrite {
		t.Errorf("wrote %d bytes, budget %d", s.v.written, MaxSessionWrite)
	}
	// File creation is capped too.
	s2, _ := newSession(t, "root")
	run(t, s2, "mkdir /tmp/d")
	for i := range 6 {
		out = run(t, s2, fmt.Sprintf("cd /tmp/d; for i in $(seq 1 1000); do touch f%d-$i; done", i))
	}
	if s2.v.created > MaxFilesCreated {
		t.Errorf("created %d, cap %d", s2.v.created, MaxFilesCreated)
	}
	if !strings.Contains(out, "No space left on device") {
		t.Errorf("no ENOSPC after %d creates: %.200q", s2.v.created, out)
	}
}

func TestPermissionsModel(t *testing.T) {
	s, _ := newSession(t, "ubuntu")
	for line, want := range map[string]string{
		"touch /etc/x":             "touch: cannot touch '/etc/x': Permission denied\n",
		"rm /etc/passwd":           "rm: cannot remove '/etc/passwd': Permission denied\n",
		"echo hi > ~/x; cat ~/x":   "hi\n",
		"chmod 777 /etc/passwd":    "chmod: changing permissions of '/etc/passwd': Operation not permitted\n",
		"chown ubuntu /tmp":        "chown: changing ownership of '/tmp': Operation not permitted\n",
		"mkdir /opt/x":             "mkdir: cannot create directory ‘/opt/x’: Permission denied\n",
		"ls -ld /tmp | cut -c1-10": "drwxrwxrwt\n",
	} {
		if got := run(t, s, line); got != want {
			t.Errorf("%s: got %q, want %q", line, got, want)
		}
	}
	root, _ := newSession(t, "root")
	run(t, root, "touch /tmp/rootfile; chattr +i /tmp/rootfile")
	if got := run(t, root, "rm -f /tmp/rootfile"); got != "rm: cannot remove '/tmp/rootfile': Operation not permitted\n" {
		t.Errorf("immutable rm: %q", got)
	}
}

// TestConcurrentSessions runs many sessions on one FS at once (run with
// -race): the shared tree is read-only to them.
func TestConcurrentSessions(t *testing.T) {
	f := NewFS(testPersona)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := NewSession(Config{FS: f, Sleep: noSleep})
			for j := range 20 {
				run(t, s, fmt.Sprintf("echo %d-%d > /tmp/f; cat /tmp/f /etc/passwd | wc -l; ls -la /root; ps aux | grep sshd", i, j))
			}
			if i == 0 {
				_ = f.Plant("/opt/canary", []byte("x"), 0o644, time.Time{})
			}
		}()
	}
	wg.Wait()
}
