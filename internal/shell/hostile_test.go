package shell

import (
	"bytes"
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// failOnPanic makes recovered panics fail the test.
func failOnPanic(t testing.TB) {
	t.Helper()
	onPanic = func(v any) { t.Errorf("recovered panic: %v\n%s", v, debug.Stack()) }
	t.Cleanup(func() { onPanic = nil })
}

// hostileBudget is how long any single line may take in tests: the
// MaxRunTime backstop plus slack for slow CI machines. Cases are expected
// to finish far sooner.
const hostileBudget = MaxRunTime + 2*time.Second

// TestHostileInput pins the bounds: each line returns quickly, writes a
// bounded amount and never panics.
func TestHostileInput(t *testing.T) {
	failOnPanic(t)
	nest := func(open, close string, n int) string {
		return "echo " + strings.Repeat(open, n) + "x" + strings.Repeat(close, n)
	}
	for _, tc := range []struct {
		name, line string
		maxOut     int
		want       string // substring the output must hold, if set
	}{
		{"1 MiB line", "echo " + strings.Repeat("A", 1<<20), MaxLineLen + 1, ""},
		{"deep $() nesting", nest("$(echo ", ")", 10000), 200, "nesting"},
		{"deep backticks", "echo " + strings.Repeat("`echo ", 50) + strings.Repeat("`", 50), 200, ""},
		{"deep subshells", strings.Repeat("( ", 5000) + "echo x" + strings.Repeat(")", 5000), 200, "nesting"},
		{"deep arithmetic command", strings.Repeat("(", 5000) + "echo x" + strings.Repeat(")", 5000), 600, ""},
		{"deep braces in ${}", "echo ${x:-" + strings.Repeat("${x:-", 3000) + strings.Repeat("}", 3001), 200, ""},
		{"deep arithmetic", "echo $((" + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000) + "))", 600, ""},
		{"10000 pipes", strings.Repeat("true|", 10000) + "true", 200, "Resource temporarily unavailable"},
		{"huge printf width", `printf '%0999999d|%.999999f|%*d' 1 2 99999999 3`, 3*maxPrintfWidth + 100, ""},
		{"printf format reuse", `printf '%s%s%s%s' $(seq 1 100000)`, MaxCmdOutput + 1, ""},
		{"cat /dev/zero", "cat /dev/zero", MaxCmdOutput, ""},
		{"cat /dev/urandom | base64", "cat /dev/urandom | base64", MaxCmdOutput, ""},
		{"yes", "yes", MaxCmdOutput, ""},
		{"yes | head", "yes | head -n 2", 4, "y\ny\n"},
		{"fork bomb", ":(){ :|:& };:", MaxStepsPerLine * 80, "Resource temporarily unavailable"},
		{"named fork bomb", "bomb() { bomb | bomb & }; bomb", MaxStepsPerLine * 80, ""},
		{"infinite loop", "while true; do :; done; echo done", 100, "done"},
		{"infinite output loop", "while :; do echo spam; done", MaxRunOutput, ""},
		{"until loop", "until false; do echo x; done | wc -l", 20, "1000"},
		{"doubling variable", "X=x; while true; do X=$X$X; done; echo ${#X}", 100, "Resource temporarily unavailable"},
		{"brace bomb", "echo {1..9}{1..9}{1..9}{1..9}{1..9}{1..9}{1..9}", 20 << 10, ""},
		{"huge range", "echo {1..99999999999}", 100, ""},
		{"glob bomb", "echo /*/*/*/*/*/*/*/*", MaxArgBytes + 2, ""},
		{"seq flood", "seq 1 100000000000", MaxCmdOutput, ""},
		{"for over huge list", "for i in $(seq 1 200000); do :; done", 200, ""},
		{"recursive function", "f() { f; }; f", 300, "maximum function nesting level exceeded"},
		{"recursive alias", "alias a=a; alias b='a b'; a; b", 200, ""},
		{"eval recursion", `e='eval "$e"'; eval "$e"`, 200, "Resource temporarily unavailable"},
		{"sh -c recursion", `export c='sh -c "$c"'; sh -c "$c"`, 200, "Resource temporarily unavailable"},
		{"find exec find", `find / -exec find / \; 2>/dev/null | wc -l`, 100, "Resource temporarily unavailable"},
		{"xargs fan out", `seq 1 100000 | xargs -n1 echo | wc -l`, 100, ""},
		{"grep redos", `printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n' | grep -E '(a+)+$'`, 100, ""},
		{"sed redos", `printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\n' | sed -E 's/(a|aa)+$/x/'`, 100, ""},
		{"awk loop", `awk 'BEGIN { while (1) { x++ } }'`, 100, ""},
		{"awk print flood", `awk 'BEGIN { while (1) print "xxxxxxxxxxxxxxxx" }'`, MaxCmdOutput, ""},
		{"pattern trim on long value", `X=$(head -c 60000 /dev/zero | tr '\0' a); echo ${X%%*a*a*a*b} | wc -c`, 20, ""},
		{"here-doc flood", "cat <<E\n" + strings.Repeat("line\n", 10000) + "E", 60000, ""},
		{"tar bomb of the root", "tar czf /tmp/all.tgz / 2>/dev/null; ls -l /tmp/all.tgz | wc -l", 20, "1"},
		{"cp -r of the root", "cp -r / /tmp/copy 2>/dev/null; echo $?", 20, ""},
		{"many files", "for i in $(seq 1 5000); do touch /tmp/f$i; done", 200, ""},
		{"many variables", "for i in $(seq 1 3000); do eval v$i=$i; done; set | wc -l", 20, ""},
		{"tail -f", "tail -f /var/log/syslog", 20000, ""},
		{"base64 -d garbage", "echo '!!!!' | base64 -d", 100, "invalid input"},
		{"null bytes in line", "echo a\x00b; ec\x00ho", 200, ""},
		{"invalid utf8", "echo \xff\xfe; \xc3\x28", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSession(Config{FS: testFS(), Sleep: noSleep})
			start := time.Now()
			var b bytes.Buffer
			s.Run(context.Background(), tc.line, &b)
			if d := time.Since(start); d > hostileBudget {
				t.Errorf("took %v", d)
			}
			if b.Len() > tc.maxOut {
				t.Errorf("wrote %d bytes, cap %d", b.Len(), tc.maxOut)
			}
			if tc.want != "" && !strings.Contains(b.String(), tc.want) {
				t.Errorf("output lacks %q: %.300q", tc.want, b.String())
			}
			if got := run(t, s, "echo alive"); got != "alive\n" {
				t.Errorf("session unusable afterwards: %q", got)
			}
		})
	}
}

// TestSleepIsCappedAndCancellable pins the real wait: at most MaxSleep, and
// ended early by ctx.
func TestSleepIsCappedAndCancellable(t *testing.T) {
	s := NewSession(Config{FS: testFS()})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var b bytes.Buffer
	s.Run(ctx, "sleep 1000; sleep 1000; echo after", &b)
	if d := time.Since(start); d > MaxSleep {
		t.Errorf("sleep with a 100ms context took %v", d)
	}
	start = time.Now()
	s.Run(context.Background(), "sleep 1d", &b)
	if d := time.Since(start); d > MaxSleep+time.Second || d < MaxSleep/2 {
		t.Errorf("sleep 1d took %v, want about %v", d, MaxSleep)
	}
}

// TestRunTimeBackstop pins MaxRunTime: a line that keeps the evaluator
// busy (here, sleeps the Sleep hook turns into CPU-free waits) ends.
func TestRunTimeBackstop(t *testing.T) {
	var waited time.Duration
	s := NewSession(Config{FS: testFS(), Sleep: func(ctx context.Context, d time.Duration) {
		waited += d
		select {
		case <-ctx.Done():
		case <-time.After(time.Millisecond):
		}
	}})
	var b bytes.Buffer
	s.Run(context.Background(), "for i in $(seq 1 1000); do sleep 5; done; echo end", &b)
	if waited > 1000*MaxSleep {
		t.Errorf("waited %v", waited)
	}
	if !strings.HasSuffix(b.String(), "end\n") {
		t.Errorf("output %q", b.String())
	}
}

func TestLongLineTruncated(t *testing.T) {
	s, rec := newSession(t, "root")
	line := "echo " + strings.Repeat("B", 2*MaxLineLen)
	out := run(t, s, line)
	if len(out) != MaxLineLen-len("echo ")+1 {
		t.Errorf("output %d bytes", len(out))
	}
	if h := s.History(); len(h) != 1 || len(h[0]) != MaxLineLen {
		t.Errorf("history line of %d bytes", len(h[0]))
	}
	if len(rec.cmds) != 1 || len(rec.cmds[0].Line) != MaxLineLen {
		t.Errorf("recorded line of %d bytes", len(rec.cmds[0].Line))
	}
}

func TestHistoryBounded(t *testing.T) {
	s, _ := newSession(t, "root")
	for i := range MaxHistory + 50 {
		var b bytes.Buffer
		s.Run(context.Background(), fmt.Sprint(":", i), &b)
	}
	if n := len(s.History()); n != MaxHistory {
		t.Errorf("history holds %d lines", n)
	}
}
