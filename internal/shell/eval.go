package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

type flowKind int

const (
	flowNone flowKind = iota
	flowBreak
	flowContinue
	flowReturn
	flowExit
	// flowAbort stops the whole line: a budget ran out or ctx ended.
	flowAbort
)

// interp runs one input line. It carries the line's budgets (steps,
// nesting) and pending control flow (break, return, exit).
type interp struct {
	s      *Session
	ctx    context.Context
	line   string
	term   *capWriter
	steps  int
	depth  int // runtime nesting of $(…), sh -c, eval
	fdepth int // function call depth
	sub    int // subshell nesting
	flow   flowKind
	flowN  int
	code   int // exit or return status carried by flow
	// substStatus is the status of the last command substitution of the
	// current simple command, which a bare assignment returns.
	substStatus int
	forked      bool
	visits      int
	expanded    int
	// peers are the source texts of the commands of the pipeline being
	// run, which ps shows as running processes (`ps aux | grep x` lists
	// the grep too).
	peers []string
	// loops is how many loops enclose the running command.
	loops int
}

// visit charges one directory entry against the line's walk budget.
func (in *interp) visit() bool {
	in.visits++
	if in.visits > MaxVisitsPerLine || in.ctx.Err() != nil {
		in.exhausted()
		return false
	}
	return true
}

// step charges one simple command against the line's budgets.
func (in *interp) step() bool {
	if in.flow == flowAbort {
		return false
	}
	if in.ctx.Err() != nil {
		in.flow = flowAbort
		return false
	}
	in.steps++
	if in.steps > MaxStepsPerLine {
		in.exhausted()
		return false
	}
	return true
}

// exhausted reports a spent budget once, the way a host out of processes
// does, and stops the line.
func (in *interp) exhausted() {
	if !in.forked {
		in.forked = true
		fmt.Fprintf(in.term, "%s: fork: retry: Resource temporarily unavailable\n", in.s.shellName())
	}
	in.flow = flowAbort
}

func (in *interp) runList(l *list, sio stdio) int {
	status := in.s.st.status
	for _, ao := range l.items {
		if in.flow != flowNone {
			break
		}
		if ao.bg {
			in.s.jobs++
			in.s.lastBG = in.s.fs.nextPID(in.s.rng.between(1, 9))
			if in.depth == 0 && in.fdepth == 0 && in.sub == 0 && sio.tty {
				fmt.Fprintf(sio.err, "[%d] %d\n", in.s.jobs, in.s.lastBG)
			}
		}
		status = in.runAndOr(ao, sio)
	}
	return status
}

func (in *interp) runAndOr(ao *andOr, sio stdio) int {
	status := in.runPipeline(ao.pipes[0], sio)
	for i, op := range ao.ops {
		if in.flow != flowNone {
			break
		}
		if (op == "&&") == (status == 0) {
			status = in.runPipeline(ao.pipes[i+1], sio)
		}
	}
	if ao.bg {
		status = 0
		in.s.st.status = 0
	}
	return status
}

func (in *interp) runPipeline(pl *pipeline, sio stdio) int {
	var status int
	switch {
	case len(pl.cmds) > MaxPipeline:
		in.exhausted()
		status = 254
	case len(pl.cmds) == 1:
		status = in.runCommand(pl.cmds[0], sio)
	default:
		savedPeers := in.peers
		in.peers = nil
		for _, c := range pl.cmds {
			if sc, ok := c.(*simpleCmd); ok && len(in.peers) < 16 {
				in.peers = append(in.peers, sc.text)
			}
		}
		defer func() { in.peers = savedPeers }()
		stdin := sio.in
		for i, c := range pl.cmds {
			if in.flow == flowAbort {
				break
			}
			cio := sio
			cio.in = stdin
			var buf *bytes.Buffer
			if i < len(pl.cmds)-1 {
				buf = &bytes.Buffer{}
				cio.out, cio.tty = newCap(buf, MaxCmdOutput), false
			}
			status = in.subshell(func() int { return in.runCommand(c, cio) })
			if buf != nil {
				stdin = newInput(buf.Bytes())
			}
		}
	}
	if pl.bang {
		status = b2i(status == 0)
	}
	in.s.st.status = status
	return status
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// subshell runs fn on a copy of the shell state, as bash runs ( … ),
// pipeline stages and substitutions; exit and break end only the copy.
func (in *interp) subshell(fn func() int) int {
	save := in.s.st
	in.s.st = save.clone()
	in.sub++
	status := fn()
	switch in.flow {
	case flowExit, flowReturn:
		status = in.code
		in.flow = flowNone
	case flowBreak, flowContinue:
		in.flow = flowNone
	}
	in.sub--
	in.s.st = save
	return status
}

func (in *interp) runCommand(c command, sio stdio) int {
	if sc, ok := c.(*simpleCmd); ok {
		return in.runSimple(sc, sio)
	}
	if in.flow != flowNone {
		return in.s.st.status
	}
	rio, commit, ok := in.redirect(*c.redirects(), sio)
	if !ok {
		return 1
	}
	defer commit()
	st := in.s.st
	switch x := c.(type) {
	case *groupCmd:
		return in.runList(x.body, rio)
	case *subshellCmd:
		return in.subshell(func() int { return in.runList(x.body, rio) })
	case *ifCmd:
		for i, cond := range x.conds {
			c := in.runList(cond, rio)
			if in.flow != flowNone {
				return c
			}
			if c == 0 {
				return in.runList(x.thens[i], rio)
			}
		}
		if x.els != nil {
			return in.runList(x.els, rio)
		}
		return 0
	case *forCmd:
		in.loops++
		defer func() { in.loops-- }()
		items := st.pos
		if x.inList {
			var err error
			if items, err = in.expandWords(x.items); err != nil {
				in.report(err, rio)
				return 1
			}
		}
		status := 0
		for i, v := range items {
			if i >= MaxLoopIterations || in.flow == flowAbort {
				break
			}
			if !in.s.st.set(x.name, v) {
				fmt.Fprintf(rio.err, "%s: %s: readonly variable\n", in.s.shellName(), x.name)
				return 1
			}
			status = in.runList(x.body, rio)
			if in.loopFlow() {
				break
			}
		}
		return status
	case *cforCmd:
		in.loops++
		defer func() { in.loops-- }()
		if _, err := in.arith(x.init); err != nil {
			in.report(err, rio)
			return 1
		}
		status := 0
		for i := 0; i < MaxLoopIterations && in.flow != flowAbort; i++ {
			if strings.TrimSpace(x.cond) != "" {
				v, err := in.arith(x.cond)
				if err != nil {
					in.report(err, rio)
					return 1
				}
				if v == 0 {
					break
				}
			}
			status = in.runList(x.body, rio)
			if in.loopFlow() {
				break
			}
			if _, err := in.arith(x.post); err != nil {
				in.report(err, rio)
				return 1
			}
		}
		return status
	case *whileCmd:
		in.loops++
		defer func() { in.loops-- }()
		status := 0
		for i := 0; i < MaxLoopIterations && in.flow == flowNone; i++ {
			c := in.runList(x.cond, rio)
			if in.flow != flowNone {
				if in.loopFlow() {
					break
				}
				continue
			}
			if (c == 0) == x.until {
				break
			}
			status = in.runList(x.body, rio)
			if in.loopFlow() {
				break
			}
		}
		return status
	case *caseCmd:
		subj, err := in.expandString(x.subject)
		if err != nil {
			in.report(err, rio)
			return 1
		}
		for _, it := range x.items {
			for _, pw := range it.patterns {
				pat, err := in.expandPattern(pw)
				if err != nil {
					in.report(err, rio)
					return 1
				}
				if globMatch(pat, subj) {
					return in.runList(it.body, rio)
				}
			}
		}
		return 0
	case *funcDecl:
		if _, ok := st.funcs[x.name]; !ok && len(st.funcs) >= MaxVars {
			return 1
		}
		st.funcs[x.name] = x
		return 0
	case *arithCmd:
		v, err := in.arith(x.expr)
		if err != nil {
			fmt.Fprintf(rio.err, "%s: ((: %s\n", in.s.shellName(), err)
			return 1
		}
		return b2i(v == 0)
	case *condCmd:
		args := make([]testArg, 0, len(x.args))
		for _, w := range x.args {
			v, err := in.expandString(w)
			if err != nil {
				in.report(err, rio)
				return 1
			}
			pat, _ := in.expandPattern(w)
			args = append(args, testArg{v: v, pat: pat})
		}
		c := &cmdCtx{in: in, s: in.s, st: st, ctx: in.ctx, name: "[[", stdin: rio.in, stdout: rio.out, stderr: rio.err}
		return evalTest(c, args, true)
	}
	return 0
}

// loopFlow consumes break/continue after a loop body and reports whether
// the loop must stop.
func (in *interp) loopFlow() bool {
	switch in.flow {
	case flowNone:
		return false
	case flowBreak:
		in.flowN--
		if in.flowN <= 0 {
			in.flow = flowNone
		}
		return true
	case flowContinue:
		in.flowN--
		if in.flowN <= 0 {
			in.flow = flowNone
			return false
		}
		return true
	}
	return true
}

func (in *interp) arith(expr string) (int64, error) {
	st := in.s.st
	return evalArith(expr, func(n string) string { v, _ := in.lookupVar(n); return v },
		func(n, v string) { st.set(n, v) })
}

// report prints an expansion error the way bash does.
func (in *interp) report(err error, sio stdio) {
	if errors.Is(err, errBudget) {
		return
	}
	fmt.Fprintf(sio.err, "%s: %s\n", in.s.shellName(), err)
}

func (in *interp) runSimple(c *simpleCmd, sio stdio) int {
	if !in.step() {
		return 1
	}
	s := in.s
	st := s.st
	rec := Command{Text: c.text, Line: in.line, CWD: st.cwd, User: st.acct.name, Known: true, At: s.cfg.Now()}
	in.substStatus = -1
	argv, err := in.expandWords(c.words)
	if in.flow == flowAbort {
		return 1
	}
	if err != nil {
		in.report(err, sio)
		rec.ExitCode = 1
		s.record(rec)
		return 1
	}
	if len(argv) == 0 {
		status := 0
		for _, a := range c.assigns {
			if err := in.assign(a, false); err != nil {
				in.report(err, sio)
				status = 1
			}
		}
		if status == 0 && in.substStatus >= 0 {
			status = in.substStatus
		}
		if len(c.redirs) > 0 {
			_, commit, ok := in.redirect(c.redirs, sio)
			if ok {
				commit()
			} else {
				status = 1
			}
		}
		rec.ExitCode = status
		if len(c.words) > 0 || len(c.assigns) > 0 || len(c.redirs) > 0 {
			s.record(rec)
		}
		return status
	}
	argv = in.expandAlias(argv, c.words[0])
	restore := in.tempAssign(c.assigns)
	defer restore()
	rio, commit, ok := in.redirect(c.redirs, sio)
	if !ok {
		rec.Name, rec.Args, rec.ExitCode = argv[0], argv[1:], 1
		s.record(rec)
		return 1
	}
	status, name, known := in.exec(argv, rio, c.text)
	commit()
	rec.Name, rec.Args, rec.ExitCode, rec.Known = name, argv[1:], status, known
	s.record(rec)
	return status
}

// assign performs one NAME=value (or +=); exported marks it for export.
func (in *interp) assign(a assign, exported bool) error {
	val, err := in.expandString(a.value)
	if err != nil {
		return err
	}
	val = in.tildeAssign(val, a.value)
	st := in.s.st
	if a.app {
		old, _ := st.get(a.name)
		val = old + val
	}
	if !st.set(a.name, val) {
		return fmt.Errorf("%s: readonly variable", a.name)
	}
	if exported {
		st.export(a.name)
	}
	return nil
}

// tempAssign applies NAME=value prefixes for the duration of one command.
func (in *interp) tempAssign(as []assign) func() {
	if len(as) == 0 {
		return func() {}
	}
	st := in.s.st
	type saved struct {
		name string
		v    *shellVar
	}
	var old []saved
	for _, a := range as {
		var cp *shellVar
		if v := st.vars[a.name]; v != nil {
			c := *v
			cp = &c
		}
		old = append(old, saved{a.name, cp})
		_ = in.assign(a, true)
	}
	return func() {
		if in.s.st != st {
			return
		}
		for i := len(old) - 1; i >= 0; i-- {
			if old[i].v == nil {
				delete(st.vars, old[i].name)
			} else {
				st.vars[old[i].name] = old[i].v
			}
		}
	}
}

// expandAlias replaces an unquoted first word by its alias, when the alias
// is a plain simple command (which is all stock aliases are).
func (in *interp) expandAlias(argv []string, w0 *word) []string {
	st := in.s.st
	if !w0.unquotedLiteral(argv[0]) {
		return argv
	}
	seen := map[string]bool{}
	for range 8 {
		a, ok := st.aliases[argv[0]]
		if !ok || seen[argv[0]] {
			break
		}
		seen[argv[0]] = true
		l, err := parse(a, in.depth+1)
		if err != nil || len(l.items) != 1 || len(l.items[0].pipes) != 1 || len(l.items[0].pipes[0].cmds) != 1 {
			break
		}
		sc, ok := l.items[0].pipes[0].cmds[0].(*simpleCmd)
		if !ok || len(sc.words) == 0 || len(sc.assigns) > 0 || len(sc.redirs) > 0 {
			break
		}
		words, err := in.expandWords(sc.words)
		if err != nil || len(words) == 0 {
			break
		}
		argv = append(words, argv[1:]...)
	}
	return argv
}

// redirect applies redirections to io. It returns the new streams and a
// commit function that stores what went to files once the command ends.
func (in *interp) redirect(rs []*redir, sio stdio) (stdio, func(), bool) {
	if len(rs) == 0 {
		return sio, func() {}, true
	}
	s := in.s
	var sinks []*fileSink
	commit := func() {
		for _, k := range sinks {
			if err := s.v.writeFile(s.st.cred(), k.path, k.buf.Bytes(), true, fs.FileMode(0o666&^s.st.umask), s.cfg.Now()); err != nil {
				fmt.Fprintf(in.term, "%s: %s: %s\n", s.shellName(), k.path, strerror(err))
			}
		}
	}
	fail := func(target string, err error) (stdio, func(), bool) {
		fmt.Fprintf(sio.err, "%s: %s: %s\n", s.shellName(), target, strerror(err))
		commit()
		return sio, func() {}, false
	}
	errTTY := sio.tty
	for _, r := range rs {
		fd := r.fd
		switch r.op {
		case "<", "<>":
			target, err := in.expandString(r.target)
			if err != nil {
				in.report(err, sio)
				return sio, commit, false
			}
			if target == "" {
				return fail(target, fs.ErrNotExist)
			}
			if err := in.devNet(in.abs(target), sio); err != nil {
				return fail(target, err)
			}
			data, err := s.v.readFile(s.st.cred(), in.abs(target), s.cfg.Now())
			if err != nil {
				return fail(target, err)
			}
			if fd <= 0 {
				sio.in = newInput(data)
			}
		case "<<<":
			v, err := in.expandString(r.target)
			if err != nil {
				in.report(err, sio)
				return sio, commit, false
			}
			if fd <= 0 {
				sio.in = newInput([]byte(v + "\n"))
			}
		case "<<", "<<-":
			body := ""
			if r.heredoc != nil {
				v, err := in.expandString(r.heredoc)
				if err != nil {
					in.report(err, sio)
					return sio, commit, false
				}
				body = v
			}
			if fd <= 0 {
				sio.in = newInput([]byte(body))
			}
		case "<&":
		case ">&":
			t, err := in.expandString(r.target)
			if err != nil {
				in.report(err, sio)
				return sio, commit, false
			}
			if fd < 0 {
				fd = 1
			}
			switch t {
			case "1":
				if fd == 2 {
					sio.err, errTTY = sio.out, sio.tty
				}
				continue
			case "2":
				if fd == 1 {
					sio.out, sio.tty = sio.err, errTTY
				}
				continue
			case "-":
				if fd == 1 {
					sio.out, sio.tty = io.Discard, false
				} else if fd == 2 {
					sio.err = io.Discard
				}
				continue
			}
			if allDigits(t) {
				continue
			}
			w, sink, err := in.openOut(t, false, sio)
			if err != nil {
				return fail(t, err)
			}
			if sink != nil {
				sinks = append(sinks, sink)
			}
			sio.out, sio.err, sio.tty = w, w, false
		case ">", ">|", ">>", "&>", "&>>":
			t, err := in.expandString(r.target)
			if err != nil {
				in.report(err, sio)
				return sio, commit, false
			}
			w, sink, err := in.openOut(t, r.op == ">>" || r.op == "&>>", sio)
			if err != nil {
				return fail(t, err)
			}
			if sink != nil {
				sinks = append(sinks, sink)
			}
			switch {
			case r.op == "&>" || r.op == "&>>":
				sio.out, sio.err, sio.tty = w, w, false
			case fd < 0 || fd == 1:
				sio.out, sio.tty = w, w == sio.out && sio.tty
			case fd == 2:
				sio.err, errTTY = w, false
			}
		}
	}
	return sio, commit, true
}

// openOut opens target for writing: devices map to their behaviour, files
// are created or truncated now (as bash does before running the command)
// and filled from a sink when the command ends.
func (in *interp) openOut(target string, app bool, sio stdio) (io.Writer, *fileSink, error) {
	s := in.s
	if target == "" {
		return nil, nil, fs.ErrNotExist
	}
	abs := in.abs(target)
	if err := in.devNet(abs, sio); err != nil {
		return nil, nil, err
	}
	switch abs {
	case "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return sio.out, nil, nil
	case "/dev/stderr", "/dev/fd/2", "/proc/self/fd/2":
		return sio.err, nil, nil
	}
	if n, _, err := s.v.lookup(s.st.cred(), abs, true); err == nil && n.isDev() {
		if n.dev == "tty" {
			return in.term, nil, nil
		}
		return io.Discard, nil, nil
	}
	if err := s.v.writeFile(s.st.cred(), abs, nil, app, fs.FileMode(0o666&^s.st.umask), s.cfg.Now()); err != nil {
		return nil, nil, err
	}
	k := newFileSink(abs)
	return k, k, nil
}

// devNet emulates bash's /dev/tcp/HOST/PORT redirections, the usual
// reverse shell: the connection cannot be made, after a wait.
func (in *interp) devNet(abs string, sio stdio) error {
	rest, ok := strings.CutPrefix(abs, "/dev/tcp/")
	if !ok {
		rest, ok = strings.CutPrefix(abs, "/dev/udp/")
	}
	if !ok {
		return nil
	}
	host, _, _ := strings.Cut(rest, "/")
	if !isIP(host) && host != "localhost" {
		fmt.Fprintf(sio.err, "%s: %s: Name or service not known\n", in.s.shellName(), host)
		return errNoName
	}
	in.s.sleep(in.ctx, MaxSleep)
	fmt.Fprintf(sio.err, "%s: connect: Connection timed out\n", in.s.shellName())
	return errTimedOut
}

// abs makes p absolute against the working directory.
func (in *interp) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(in.s.st.cwd, p)
}

// exec runs argv: a function, a builtin, or a file found on $PATH or by
// path. It returns the status, the resolved name and whether the command
// exists.
func (in *interp) exec(argv []string, sio stdio, text string) (int, string, bool) {
	st := in.s.st
	name := argv[0]
	if f := st.funcs[name]; f != nil {
		return in.callFunc(f, argv, sio), name, true
	}
	if b := builtins[name]; b != nil {
		return in.invoke(b, name, argv, sio, text), name, true
	}
	return in.execFile(argv, sio, text)
}

// execFile runs argv[0] from the filesystem, skipping functions and
// builtins (as `command` and `env` do).
func (in *interp) execFile(argv []string, sio stdio, text string) (int, string, bool) {
	s := in.s
	st := s.st
	name := argv[0]
	if len(argv) > MaxArgs || argvSize(argv) > MaxArgBytes {
		fmt.Fprintf(sio.err, "%s: %s: Argument list too long\n", s.shellName(), name)
		return 126, name, true
	}
	if name == "" {
		fmt.Fprintf(sio.err, "%s: : command not found\n", s.shellName())
		return 127, name, false
	}
	c := st.cred()
	if strings.Contains(name, "/") {
		n, rp, err := s.v.lookup(c, in.abs(name), true)
		switch {
		case err != nil:
			fmt.Fprintf(sio.err, "%s: %s: %s\n", s.shellName(), name, strerror(err))
			return 126 + b2i(errors.Is(err, fs.ErrNotExist)), name, errors.Is(err, fs.ErrPermission)
		case n.isDir():
			fmt.Fprintf(sio.err, "%s: %s: Is a directory\n", s.shellName(), name)
			return 126, name, true
		case !c.can(n, permX) || !c.can(n, permR) && n.cmd == "":
			fmt.Fprintf(sio.err, "%s: %s: Permission denied\n", s.shellName(), name)
			return 126, name, true
		}
		return in.runNode(n, rp, argv, sio, text)
	}
	pathVar, _ := st.get("PATH")
	denied := false
	for _, dir := range strings.Split(pathVar, ":") {
		if dir == "" {
			dir = "."
		}
		n, rp, err := s.v.lookup(c, in.abs(path.Join(dir, name)), true)
		if err != nil || n.isDir() {
			continue
		}
		if !c.can(n, permX) {
			denied = true
			continue
		}
		return in.runNode(n, rp, argv, sio, text)
	}
	if denied {
		fmt.Fprintf(sio.err, "%s: %s: Permission denied\n", s.shellName(), name)
		return 126, name, true
	}
	in.notFound(name, sio)
	return 127, name, false
}

func argvSize(argv []string) int {
	n := 0
	for _, a := range argv {
		n += len(a) + 1
	}
	return n
}

// runNode runs the executable n (resolved path rp).
func (in *interp) runNode(n *node, rp string, argv []string, sio stdio, text string) (int, string, bool) {
	switch n.cmd {
	case "":
		return in.runFileContent(n, rp, argv, sio), rp, true
	case "busybox":
		applet := path.Base(argv[0])
		if applet == "busybox" {
			if len(argv) < 2 {
				fmt.Fprintf(sio.out, "BusyBox v1.36.1 (2024-01-16 16:09:26 UTC) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --show SCRIPT\n   or: busybox --install [-s] [DIR]\n   or: function [arguments]...\n")
				return 0, "busybox", true
			}
			argv = argv[1:]
			applet = argv[0]
		}
		spec := cmdTable[applet]
		if spec == nil || !spec.busybox {
			fmt.Fprintf(sio.err, "%s: applet not found\n", applet)
			return 127, applet, false
		}
		return in.invoke(spec.fn, applet, argv, sio, text), applet, true
	case "stub":
		return 0, path.Base(rp), true
	}
	spec := cmdTable[n.cmd]
	if spec == nil {
		return 0, n.cmd, true
	}
	return in.invoke(spec.fn, n.cmd, argv, sio, text), n.cmd, true
}

// runFileContent answers running a file that is not one of the emulated
// tools: something the attacker wrote or downloaded. The content is never
// run, not even by the emulator. A binary for the persona's machine exits
// quietly (as a daemonising dropper does), one for another machine fails
// with ENOEXEC, and a script whose interpreter exists exits quietly unless
// it has DOS line endings, which fail as they do on a real host.
func (in *interp) runFileContent(n *node, rp string, argv []string, sio stdio) int {
	s := in.s
	name := argv[0]
	data := s.v.content(n, s.cfg.Now())
	switch {
	case len(data) == 0:
		return 0
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		want := byte(0x3e)
		if s.fs.p.Arch == "aarch64" {
			want = 0xb7
		}
		if len(data) < 20 || data[18] != want || data[4] != 2 {
			fmt.Fprintf(sio.err, "%s: %s: cannot execute binary file: Exec format error\n", s.shellName(), name)
			return 126
		}
		return 0
	case bytes.HasPrefix(data, []byte("#!")):
		first, _, _ := bytes.Cut(data, []byte("\n"))
		interp := strings.Trim(string(first[2:]), " \t")
		prog, _, _ := strings.Cut(interp, " ")
		if strings.HasSuffix(prog, "\r") || strings.HasSuffix(interp, "\r") {
			fmt.Fprintf(sio.err, "%s: %s: %s^M: bad interpreter: No such file or directory\n", s.shellName(), name, strings.TrimSuffix(prog, "\r"))
			return 126
		}
		if _, _, err := s.v.lookup(s.st.cred(), prog, true); err != nil {
			fmt.Fprintf(sio.err, "%s: %s: %s: bad interpreter: No such file or directory\n", s.shellName(), name, prog)
			return 126
		}
		return 0
	case !isText(data):
		fmt.Fprintf(sio.err, "%s: %s: cannot execute binary file: Exec format error\n", s.shellName(), name)
		return 126
	}
	return in.scriptCRLF(name, data, sio)
}

// scriptCRLF reproduces what bash prints for a script with DOS line ends:
// every line's last word carries a \r.
func (in *interp) scriptCRLF(name string, data []byte, sio stdio) int {
	if !bytes.Contains(data, []byte("\r\n")) {
		return 0
	}
	for i, line := range strings.SplitN(string(data), "\n", 6) {
		if i == 5 {
			break
		}
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.HasSuffix(line, "\r") && strings.TrimSpace(strings.TrimSuffix(line, "\r")) == "" {
			fmt.Fprintf(sio.err, "%s: line %d: $'\\r': command not found\n", name, i+1)
		}
	}
	return 127
}

// isText reports whether data looks like a text file.
func isText(data []byte) bool {
	if len(data) > 4096 {
		data = data[:4096]
	}
	for _, c := range data {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			return false
		}
	}
	return true
}

// notFound answers an unknown command the way the distro's shell does.
func (in *interp) notFound(name string, sio stdio) {
	s := in.s
	d := s.fs.d
	switch d.notFound {
	case "ash":
		fmt.Fprintf(sio.err, "-ash: %s: not found\n", name)
		return
	case "ubuntu":
		if pkg := ubuntuInstallable[name]; pkg != "" {
			sudo := ""
			if s.st.acct.uid != 0 {
				sudo = "sudo "
			}
			fmt.Fprintf(sio.err, "Command '%s' not found, but can be installed with:\n\n%sapt install %s\n\n", name, sudo, pkg)
			return
		}
		if name == "python" {
			fmt.Fprintf(sio.err, "Command 'python' not found, did you mean:\n  command 'python3' from deb python3\n  command 'python' from deb python-is-python3\n")
			return
		}
		fmt.Fprintf(sio.err, "%s: command not found\n", name)
		return
	}
	fmt.Fprintf(sio.err, "%s: %s: command not found\n", s.shellName(), name)
}

// ubuntuInstallable is what Ubuntu's command-not-found suggests for tools
// intruders commonly reach for.
var ubuntuInstallable = map[string]string{
	"gcc": "gcc", "cc": "gcc", "make": "make", "g++": "g++", "nmap": "nmap", "masscan": "masscan", "zip": "zip",
	"unzip": "unzip", "git": "git", "docker": "docker.io", "ncat": "ncat", "socat": "socat", "tcpdump": "tcpdump",
	"htop": "htop", "screen": "screen", "tmux": "tmux", "john": "john", "hydra": "hydra", "php": "php8.1-cli",
	"ruby": "ruby", "node": "nodejs", "npm": "npm", "lynx": "lynx", "ftp": "ftp", "telnet": "telnet", "whois": "whois",
	"dig": "bind9-dnsutils", "nslookup": "bind9-dnsutils", "traceroute": "traceroute", "jq": "jq", "sshpass": "sshpass",
	"mysql": "mysql-client-core-8.0", "psql": "postgresql-client-common", "redis-cli": "redis-tools", "lsof": "lsof",
	"strace": "strace", "gdb": "gdb", "ifconfig": "net-tools", "netstat": "net-tools", "route": "net-tools",
	"arp": "net-tools", "wget": "wget", "curl": "curl", "busybox": "busybox", "perl": "perl", "awk": "gawk",
}

// callFunc runs a shell function with argv as its positional parameters.
func (in *interp) callFunc(f *funcDecl, argv []string, sio stdio) int {
	st := in.s.st
	if in.fdepth >= MaxFuncDepth {
		fmt.Fprintf(sio.err, "%s: %s: maximum function nesting level exceeded (%d)\n", in.s.shellName(), f.name, MaxFuncDepth)
		return 1
	}
	in.fdepth++
	save := st.pos
	st.pos = slices.Clone(argv[1:])
	status := in.runCommand(f.body, sio)
	if in.flow == flowReturn {
		status = in.code
		in.flow = flowNone
	}
	st.pos = save
	in.fdepth--
	return status
}

// runScript runs shell source in a child shell (sh -c, eval in a
// subshell, piped scripts), one nesting level down.
func (in *interp) runScript(src, name string, args []string, sio stdio) int {
	if in.depth >= MaxNesting {
		in.exhausted()
		return 1
	}
	l, err := parse(src, in.depth+1)
	if err != nil {
		fmt.Fprintf(sio.err, "%s: -c: line 1: %s\n", name, err)
		return 2
	}
	return in.subshell(func() int {
		st := in.s.st
		st.name = name
		if len(args) > 0 {
			st.name, st.pos = args[0], args[1:]
		} else {
			st.pos = nil
		}
		in.depth++
		defer func() { in.depth-- }()
		return in.runList(l, sio)
	})
}

// invoke runs a Go command with its own capped streams, turning a panic
// into a crashed process.
func (in *interp) invoke(fn cmdFunc, name string, argv []string, sio stdio, text string) (status int) {
	c := &cmdCtx{
		in: in, s: in.s, st: in.s.st, ctx: in.ctx, name: name, argv0: argv[0], args: argv[1:],
		stdin: sio.in, stdout: newCap(sio.out, MaxCmdOutput), stderr: newCap(sio.err, MaxCmdOutput),
		tty: sio.tty, text: text, now: in.s.cfg.Now(), io: sio,
	}
	if c.stdin == nil {
		c.stdin = newInput(nil)
	}
	defer func() {
		if r := recover(); r != nil {
			reportPanic(r)
			fmt.Fprintf(sio.err, "Segmentation fault (core dumped)\n")
			status = 139
		}
	}()
	return fn(c)
}

// lookupVar returns a variable or special parameter.
func (in *interp) lookupVar(name string) (string, bool) {
	s := in.s
	st := s.st
	switch name {
	case "?":
		return strconv.Itoa(st.status), true
	case "$":
		return strconv.Itoa(st.pid), true
	case "#":
		return strconv.Itoa(len(st.pos)), true
	case "@", "*":
		sep := " "
		if ifs, ok := st.get("IFS"); ok && name == "*" {
			sep = ""
			if ifs != "" {
				sep = ifs[:1]
			}
		}
		return strings.Join(st.pos, sep), len(st.pos) > 0
	case "!":
		if s.lastBG == 0 {
			return "", false
		}
		return strconv.Itoa(s.lastBG), true
	case "-":
		return "himBHs", true
	case "0":
		return st.name, true
	case "RANDOM":
		return strconv.Itoa(s.rng.intn(32768)), true
	case "SECONDS":
		return strconv.Itoa(int(s.cfg.Now().Sub(s.started).Seconds())), true
	case "EPOCHSECONDS":
		return strconv.FormatInt(s.cfg.Now().Unix(), 10), true
	case "LINENO":
		return "1", true
	case "UID", "EUID":
		return strconv.Itoa(st.acct.uid), true
	case "PPID":
		return strconv.Itoa(s.sshdPID), true
	case "BASHPID":
		return strconv.Itoa(st.pid), true
	case "HOSTTYPE":
		return s.fs.p.Arch, true
	case "OSTYPE":
		return "linux-gnu", true
	case "MACHTYPE":
		return s.fs.p.Arch + "-pc-linux-gnu", true
	}
	if len(name) == 1 && name[0] >= '1' && name[0] <= '9' || allDigits(name) {
		i, _ := strconv.Atoi(name)
		if i >= 1 && i <= len(st.pos) {
			return st.pos[i-1], true
		}
		return "", false
	}
	return st.get(name)
}
