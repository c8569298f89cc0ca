package shell

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

func init() {
	notAlpine := notFamily("alpine")
	register("bash", cmdSpec{fn: cmdShell, bin: "bin", size: 1396520, avail: notAlpine})
	register("dash", cmdSpec{fn: cmdShell, bin: "bin", size: 125560, avail: onlyFamily("debian")})
	register("ash", cmdSpec{fn: cmdShell, bin: "bin", busybox: true, avail: onlyFamily("alpine")})
	register("sh", cmdSpec{fn: cmdShell, bin: "", busybox: true})
	register("python3", cmdSpec{fn: cmdPython, bin: ""})
	register("python", cmdSpec{fn: cmdPython, bin: ""})
	register("perl", cmdSpec{fn: cmdPerl, bin: ""})
	register("gcc", cmdSpec{fn: cmdGcc, bin: "usr/bin", size: 1137984, avail: func(d *distro) bool { return d.slug == "kali" }})
	register("cc", cmdSpec{fn: cmdGcc, bin: "usr/bin", size: 1137984, avail: func(d *distro) bool { return d.slug == "kali" }})
	register("make", cmdSpec{fn: cmdMake, bin: "usr/bin", size: 240736, avail: func(d *distro) bool { return d.slug == "kali" }})
}

// cmdShell is bash, sh, dash and ash. -c runs its string in a child shell;
// a script file is not run (attacker content never is); piped input is
// read as commands, since that is the intruder typing through a pipe
// (`echo … | base64 -d | sh`); with nothing to read a new interactive
// shell starts, as it would on a terminal.
func cmdShell(c *cmdCtx) int {
	name := path.Base(c.argv0)
	if name == "busybox" || name == "sh" && c.fsys().d.family == "debian" {
		name = "sh"
	}
	args := c.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-c" && args[0] != "-" {
		switch args[0] {
		case "--version":
			if c.fsys().d.family == "alpine" || name == "dash" {
				return c.fail(2, "Illegal option --")
			}
			c.printf("GNU bash, version %s (%s-pc-linux-gnu)\nCopyright (C) 2020 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\n\nThis is free software; you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n", c.fsys().d.bashVersion, c.fsys().p.Arch)
			return 0
		}
		if strings.Contains(args[0], "c") && !strings.HasPrefix(args[0], "--") {
			args = append([]string{"-c"}, args[1:]...)
			break
		}
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "-c" {
		if len(args) < 2 {
			fmt.Fprintf(c.stderr, "%s: -c: option requires an argument\n", name)
			return 2
		}
		return c.in.runScript(args[1], name, args[2:], c.io)
	}
	if len(args) > 0 && args[0] != "-" {
		script := args[0]
		data, err := c.readFile(script)
		if err != nil {
			if name == "sh" && c.fsys().d.family == "debian" {
				fmt.Fprintf(c.stderr, "sh: 0: cannot open %s: No such file\n", script)
				return 2
			}
			fmt.Fprintf(c.stderr, "%s: %s: %s\n", name, script, strerror(err))
			return 127
		}
		if !isText(data) {
			fmt.Fprintf(c.stderr, "%s: %s: cannot execute binary file\n", name, script)
			return 126
		}
		return c.in.scriptCRLF(script, data, c.io)
	}
	if data := c.stdin.rest(); len(data) > 0 {
		if !isText(data) || len(data) > MaxLineLen {
			return 2
		}
		return c.in.runScript(string(data), name, nil, c.io)
	}
	if c.in.depth == 0 && c.in.sub == 0 && c.tty {
		c.s.pushShell(c.st.acct, false, c.st.cwd)
	}
	return 0
}

var (
	urlRE       = regexp.MustCompile(`https?://[^\s'"\\)\]]+`)
	printRE     = regexp.MustCompile(`^\s*print\s*\(?\s*(?:"([^"\\]*)"|'([^'\\]*)'|(-?\d+))\s*\)?\s*;?\s*$`)
	systemRE    = regexp.MustCompile(`(?:os\.system|subprocess\.(?:call|run|Popen|check_output)|system)\s*\(\s*(?:"([^"\\]*)"|'([^'\\]*)')`)
	perlPrintRE = regexp.MustCompile(`^\s*print\s*\(?\s*(?:"((?:[^"\\]|\\.)*)"|'([^'\\]*)')\s*\)?\s*;?\s*$`)
)

func (c *cmdCtx) pythonVersion() string {
	d := c.fsys().d
	if c.name == "python" && d.python2 != "" {
		return d.python2
	}
	return d.python3
}

// scriptLang is what python -c and perl -e do with code, without running
// it: literal prints print, os.system("…") goes through the emulated shell
// (it is the intruder's own command line), pty.spawn starts a shell,
// downloads are recorded and fail like the network does, and sockets time
// out.
func (c *cmdCtx) scriptLang(tool, code string) int {
	for _, u := range urlRE.FindAllString(code, 8) {
		if _, host, ok := parseURL(u); ok {
			c.recordDownload(tool, u, host, "", 0, "name resolution failed")
		}
	}
	if strings.Contains(code, "pty.spawn") || strings.Contains(code, "exec \"/bin/sh\"") || strings.Contains(code, "exec '/bin/sh'") {
		if c.in.depth == 0 && c.in.sub == 0 {
			c.s.pushShell(c.st.acct, false, c.st.cwd)
		}
		return 0
	}
	status := 0
	for _, m := range systemRE.FindAllStringSubmatch(code, 4) {
		status = c.in.runScript(m[1]+m[2], "sh", nil, c.io)
	}
	if status != 0 || systemRE.MatchString(code) {
		return 0
	}
	for _, stmt := range strings.Split(code, ";") {
		re := printRE
		if tool == "perl" {
			re = perlPrintRE
		}
		if m := re.FindStringSubmatch(stmt); m != nil {
			s := m[1] + m[2]
			if len(m) > 3 {
				s += m[3]
			}
			if tool == "perl" {
				s, _ = echoEscapes(s)
				c.print(s)
			} else {
				c.print(s + "\n")
			}
		}
	}
	switch {
	case strings.Contains(code, "socket") && strings.Contains(code, "connect"):
		c.netWait()
		if tool == "perl" {
			return 0
		}
		fmt.Fprint(c.stderr, "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nTimeoutError: [Errno 110] Connection timed out\n")
		return 1
	case tool != "perl" && (strings.Contains(code, "urllib") || strings.Contains(code, "requests")) && urlRE.MatchString(code):
		fmt.Fprint(c.stderr, "Traceback (most recent call last):\n  File \"/usr/lib/python3/urllib/request.py\", line 1348, in do_open\n    h.request(req.get_method(), req.selector, req.data, headers,\nsocket.gaierror: [Errno -3] Temporary failure in name resolution\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nurllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>\n")
		return 1
	}
	return 0
}

func cmdPython(c *cmdCtx) int {
	ver := c.pythonVersion()
	args := c.args
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "-V" || a == "--version":
			c.printf("Python %s\n", ver)
			return 0
		case a == "-c" && len(args) > 1:
			return c.scriptLang("python3", args[1])
		case a == "-m" && len(args) > 1:
			switch args[1] {
			case "http.server", "SimpleHTTPServer":
				port := "8000"
				if len(args) > 2 {
					port = args[2]
				}
				c.printf("Serving HTTP on 0.0.0.0 port %s (http://0.0.0.0:%s/) ...\n", port, port)
				c.netWait()
				return 0
			case "pip":
				c.netWait()
				fmt.Fprint(c.stderr, "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f2a1c3e5d50>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/\nERROR: Could not find a version that satisfies the requirement (from versions: none)\n")
				return 1
			}
			fmt.Fprintf(c.stderr, "/usr/bin/python3: No module named %s\n", args[1])
			return 1
		case strings.HasPrefix(a, "-"):
			args = args[1:]
			continue
		default:
			data, err := c.readFile(a)
			if err != nil {
				fmt.Fprintf(c.stderr, "/usr/bin/python3: can't open file '%s': [Errno 2] No such file or directory\n", c.abs(a))
				return 2
			}
			return c.scriptLang("python3", string(data[:min(len(data), 8192)]))
		}
	}
	if data := c.stdin.rest(); len(data) > 0 {
		return c.scriptLang("python3", string(data[:min(len(data), 8192)]))
	}
	c.printf("Python %s (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n", ver)
	pythonREPL(c.s)
	return 0
}

// pythonREPL answers lines at a ">>> " prompt until exit().
func pythonREPL(s *Session) {
	s.pending = &pendingInput{prompt: ">>> ", echo: true, line: s.curLine, answer: func(_ context.Context, s *Session, line string, out io.Writer) {
		t := strings.TrimSpace(line)
		switch {
		case t == "exit()" || t == "quit()" || t == "exit" && false:
			return
		case t == "" || strings.HasPrefix(t, "import ") || strings.HasPrefix(t, "from ") || strings.Contains(t, "=") && !strings.Contains(t, "=="):
		case printRE.MatchString(t):
			m := printRE.FindStringSubmatch(t)
			fmt.Fprintln(out, m[1]+m[2]+m[3])
		case strings.Trim(t, "0123456789+-*/ ()") == "":
			if v, err := evalArith(t, func(string) string { return "" }, func(string, string) {}); err == nil {
				fmt.Fprintln(out, strconv.FormatInt(v, 10))
			}
		default:
			name := t
			if i := strings.IndexAny(name, "(.[ "); i > 0 {
				name = name[:i]
			}
			fmt.Fprintf(out, "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in <module>\nNameError: name '%s' is not defined\n", capUTF8(name, 64))
		}
		pythonREPL(s)
	}}
}

func cmdPerl(c *cmdCtx) int {
	args := c.args
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "-v" || a == "--version":
			c.print("\nThis is perl 5, version 34, subversion 0 (v5.34.0) built for x86_64-linux-gnu-thread-multi\n\nCopyright 1987-2021, Larry Wall\n")
			return 0
		case (a == "-e" || a == "-E") && len(args) > 1:
			return c.scriptLang("perl", args[1])
		case strings.HasPrefix(a, "-"):
			args = args[1:]
			continue
		default:
			data, err := c.readFile(a)
			if err != nil {
				fmt.Fprintf(c.stderr, "Can't open perl script \"%s\": No such file or directory\n", a)
				return 2
			}
			return c.scriptLang("perl", string(data[:min(len(data), 8192)]))
		}
	}
	if data := c.stdin.rest(); len(data) > 0 {
		return c.scriptLang("perl", string(data[:min(len(data), 8192)]))
	}
	return 0
}

func cmdGcc(c *cmdCtx) int {
	out := "a.out"
	var srcs []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-o" && i+1 < len(c.args):
			out = c.args[i+1]
			i++
		case strings.HasPrefix(a, "-"):
		default:
			srcs = append(srcs, a)
		}
	}
	if len(srcs) == 0 {
		fmt.Fprintf(c.stderr, "%s: fatal error: no input files\ncompilation terminated.\n", c.name)
		return 1
	}
	for _, s := range srcs {
		data, err := c.readFile(s)
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: error: %s: No such file or directory\n%s: fatal error: no input files\ncompilation terminated.\n", c.name, s, c.name)
			return 1
		}
		if !bytes.Contains(data, []byte("main")) {
			fmt.Fprintf(c.stderr, "/usr/bin/ld: /usr/lib/gcc/x86_64-linux-gnu/13/../../../x86_64-linux-gnu/Scrt1.o: in function `_start':\n(.text+0x17): undefined reference to `main'\ncollect2: error: ld returned 1 exit status\n")
			return 1
		}
	}
	stub := elfStub(c.fsys().p.Arch)
	if err := c.writeFile(out, stub, false); err != nil {
		fmt.Fprintf(c.stderr, "/usr/bin/ld: cannot open output file %s: %s\ncollect2: error: ld returned 1 exit status\n", out, strerror(err))
		return 1
	}
	_ = c.v().setattr(c.cred(), c.abs(out), true, func(n *node) error { n.mode = 0o755; n.size = 16000; return nil })
	return 0
}

func cmdMake(c *cmdCtx) int {
	for _, f := range []string{"GNUmakefile", "makefile", "Makefile"} {
		if _, err := c.readFile(f); err == nil {
			c.print("make: Nothing to be done for 'all'.\n")
			return 0
		}
	}
	fmt.Fprint(c.stderr, "make: *** No targets specified and no makefile found.  Stop.\n")
	return 2
}
