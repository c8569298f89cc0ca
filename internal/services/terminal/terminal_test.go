package terminal

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readAll returns every line and the error that ended input.
func readAll(t *Terminal) ([]string, error) {
	var lines []string
	for {
		l, err := t.ReadLine("")
		if err != nil {
			return lines, err
		}
		lines = append(lines, l)
	}
}

func TestReadLineEditsLikeATerminal(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"CR LF is one line end", "ls\r\npwd\r\n", []string{"ls", "pwd"}},
		{"bare LF and bare CR", "a\nb\rc\n", []string{"a", "b", "c"}},
		{"telnet CR NUL", "id\r\x00whoami\r\x00", []string{"id", "whoami"}},
		{"backspace and DEL", "lsx\x7f -la\bx\r", []string{"ls -lx"}},
		{"ctrl-U kills the line", "rm -rf /\x15echo hi\r", []string{"echo hi"}},
		{"escape sequences are skipped", "ec\x1b[1;5Cho\x1bOP\r", []string{"echo"}},
		{"up arrow recalls history", "uname -a\r\x1b[A\r", []string{"uname -a", "uname -a"}},
		{"control characters dropped", "c\x01a\x02t\r", []string{"cat"}},
		{"last line without newline at EOF", "exit", []string{"exit"}},
		{"utf-8 backspace removes a whole rune", "é\x7fe\r", []string{"e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			lines, err := readAll(New(strings.NewReader(tt.input), &out))
			if !errors.Is(err, io.EOF) {
				t.Fatalf("ended with %v, want EOF", err)
			}
			if diff := cmp.Diff(tt.want, lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCtrlCInterruptsAndCtrlDEndsAnEmptyLine(t *testing.T) {
	var out bytes.Buffer
	term := New(strings.NewReader("sleep 100\x03\x04"), &out)
	if _, err := term.ReadLine("$ "); !errors.Is(err, ErrInterrupt) {
		t.Fatalf("ctrl-C: %v", err)
	}
	if _, err := term.ReadLine("$ "); !errors.Is(err, io.EOF) {
		t.Fatalf("ctrl-D: %v", err)
	}
	if !strings.Contains(out.String(), "^C\r\n") {
		t.Errorf("output %q lacks ^C", out.String())
	}
}

func TestEchoOffHidesPasswordsButEndsTheLine(t *testing.T) {
	var out bytes.Buffer
	term := New(strings.NewReader("hunter2\r"), &out)
	term.SetEcho(false)
	pw, err := term.ReadLine("Password: ")
	if err != nil || pw != "hunter2" {
		t.Fatalf("got %q, %v", pw, err)
	}
	if got := out.String(); got != "Password: \r\n" {
		t.Errorf("output %q, want the prompt and a line end only", got)
	}
}

func TestHostileInputIsBounded(t *testing.T) {
	long := strings.Repeat("A", 1<<20) + "\r"
	escapes := strings.Repeat("\x1b[", 1<<16) + "9999999999999999999999999999999999999999\r"
	for name, in := range map[string]string{"1 MiB line": long, "escape flood": escapes} {
		t.Run(name, func(t *testing.T) {
			term := New(strings.NewReader(in), io.Discard)
			term.SetMaxLine(4096)
			lines, _ := readAll(term)
			for _, l := range lines {
				if len(l) > 4096 {
					t.Fatalf("line of %d bytes passed the 4096 cap", len(l))
				}
			}
		})
	}
}

func TestWriteTurnsLFIntoCRLF(t *testing.T) {
	var out bytes.Buffer
	New(strings.NewReader(""), &out).WriteString("a\nb\r\nc")
	if got := out.String(); got != "a\r\nb\r\nc" {
		t.Errorf("got %q", got)
	}
}

func TestCastWritesAsciicastV2AndStopsAtItsCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.cast")
	start := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c, err := CreateCast(path, CastHeader{Width: 1 << 30, Height: 40, Env: map[string]string{"TERM": "xterm"}}, start, 300)
	if err != nil {
		t.Fatal(err)
	}
	now := start
	c.now = func() time.Time { now = now.Add(500 * time.Millisecond); return now }
	c.Output([]byte("root@host:~# "))
	c.Input([]byte("id\r"))
	c.Resize(132, 43)
	c.Output([]byte(strings.Repeat("x", 400)))
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var hdr CastHeader
	if err := json.Unmarshal([]byte(lines[0]), &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr.Version != 2 || hdr.Width != 1000 || hdr.Height != 40 || hdr.Timestamp != start.Unix() {
		t.Errorf("header %+v", hdr)
	}
	var got [][3]any
	for _, l := range lines[1:] {
		var ev [3]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		got = append(got, ev)
	}
	want := [][3]any{{0.5, "o", "root@host:~# "}, {1.0, "i", "id\r"}, {1.5, "r", "132x43"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if !c.Truncated() {
		t.Error("the 400-byte output should have hit the 300-byte cap")
	}
}

func FuzzReadLine(f *testing.F) {
	for _, s := range []string{"ls\r\n", "\x1b[A\x1b[B\r", "a\x7f\x7f\x7f\r", "\x03\x04", "\r\x00\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		term := New(bytes.NewReader(in), &out)
		term.SetMaxLine(256)
		for range len(in) + 2 {
			l, err := term.ReadLine("$ ")
			if len(l) > 256 {
				t.Fatalf("line of %d bytes", len(l))
			}
			if err != nil && !errors.Is(err, ErrInterrupt) {
				break
			}
		}
		if out.Len() > 16*len(in)+64*(len(in)+2) {
			t.Fatalf("%d bytes of output for %d of input", out.Len(), len(in))
		}
	})
}
