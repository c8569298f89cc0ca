package shell

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// transcriptSeeds reads testdata/transcripts.txt: one line per command
// line, "\n" standing for a newline, '#' lines ignored.
func transcriptSeeds(t testing.TB) []string {
	f, err := os.Open("testdata/transcripts.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, strings.ReplaceAll(l, `\n`, "\n"))
	}
	return out
}

var extraSeeds = []string{
	"", ";", "&&", "|", "((", "$((", "${", "`", "'", "\"", "\\", "<<", "<<EOF\nx", "a=(", "f(){", "case", "for x in",
	"echo $'\\x41\\u263a\\777'", "${x:=y}${x:?z}${#}${@}${*}${!x}", "echo {a,{b,c}}{1..3..2}", "[[ -f / && ( 1 < 2 ) || ! x =~ ^y ]]",
	"x=$(( 1 << 63 >> 64 ** -1 / 0 ))", "a | b |& c 2>&1 >&- &> /dev/null <<< z", "(((a)))", "$( (a) )", "echo ~+ ~- ~nobody",
}

func FuzzLexParse(f *testing.F) {
	for _, s := range transcriptSeeds(f) {
		f.Add(s)
	}
	for _, s := range extraSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > MaxLineLen {
			src = src[:MaxLineLen]
		}
		l, err := parse(src, 0)
		if err != nil {
			if l != nil {
				t.Fatal("parse returned a tree and an error")
			}
			return
		}
		// Every simple command's text comes from the input (or an
		// unescaped backtick body, which is shorter).
		n := 0
		var walkList func(l *list)
		var walkCmd func(c command)
		walkList = func(l *list) {
			for _, ao := range l.items {
				for _, p := range ao.pipes {
					for _, c := range p.cmds {
						walkCmd(c)
					}
				}
			}
		}
		walkCmd = func(c command) {
			n++
			if n > 4*len(src)+16 {
				t.Fatalf("tree of more than %d nodes for %d bytes", n, len(src))
			}
			switch x := c.(type) {
			case *simpleCmd:
				if len(x.text) > len(src) {
					t.Fatalf("command text %q longer than the input", x.text)
				}
			case *groupCmd:
				walkList(x.body)
			case *subshellCmd:
				walkList(x.body)
			case *ifCmd:
				for i := range x.conds {
					walkList(x.conds[i])
					walkList(x.thens[i])
				}
			case *whileCmd:
				walkList(x.cond)
				walkList(x.body)
			case *forCmd:
				walkList(x.body)
			case *funcDecl:
				walkCmd(x.body)
			}
		}
		walkList(l)
	})
}

// fuzzSlow is the longest a fuzzed line may run.
const fuzzSlow = 2 * time.Second

func FuzzRun(f *testing.F) {
	for _, s := range transcriptSeeds(f) {
		f.Add(s, uint8(0))
	}
	for _, s := range extraSeeds {
		f.Add(s, uint8(3))
	}
	fsys := NewFS(Persona{Distro: "ubuntu22", Seed: 11, Services: []string{"ssh", "mysql"}})
	alpine := NewFS(Persona{Distro: "alpine", Seed: 12})
	f.Fuzz(func(t *testing.T, line string, split uint8) {
		failOnPanic(t)
		use := fsys
		if split&0x80 != 0 {
			use = alpine
		}
		s := NewSession(Config{FS: use, User: []string{"root", "ubuntu"}[split&1], Sleep: noSleep})
		// Deliver the input as one line and, split at a point, as two.
		parts := []string{line}
		if cut := int(split&0x7e) * len(line) / 0x7e; cut > 0 && cut < len(line) {
			parts = []string{line[:cut], line[cut:]}
		}
		for _, p := range parts {
			var b bytes.Buffer
			start := time.Now()
			s.Run(context.Background(), p, &b)
			// Budgets end hostile lines long before the MaxRunTime
			// backstop; a line that needs the backstop lacks a budget.
			if d := time.Since(start); d > fuzzSlow {
				t.Fatalf("Run took %v", d)
			}
			if b.Len() > MaxRunOutput {
				t.Fatalf("Run wrote %d bytes", b.Len())
			}
			_ = s.Prompt()
		}
		if s.v.written > MaxSessionWrite || s.v.created > MaxFilesCreated {
			t.Fatalf("budgets exceeded: %d bytes, %d files", s.v.written, s.v.created)
		}
	})
}

// TestTranscripts replays the seed corpus as a plain test, on every distro.
func TestTranscripts(t *testing.T) {
	failOnPanic(t)
	for _, distro := range []string{"debian", "ubuntu22", "ubuntu20", "rocky9", "centos7", "alpine", "fedora", "kali", "arch"} {
		fsys := NewFS(Persona{Distro: distro, Seed: 3, Services: []string{"ssh", "http"}})
		for _, user := range []string{"root", "guest"} {
			s := NewSession(Config{FS: fsys, User: user, Sleep: noSleep})
			for _, line := range transcriptSeeds(t) {
				var b bytes.Buffer
				s.Run(context.Background(), line, &b)
				if b.Len() > MaxRunOutput {
					t.Errorf("%s/%s %q wrote %d bytes", distro, user, line, b.Len())
				}
				if s.exited {
					s = NewSession(Config{FS: fsys, User: user, Sleep: noSleep})
				}
			}
		}
	}
}
