package shell

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// find's expression: a tree of tests joined by -a/-o/!, evaluated per
// visited entry. The walk visits at most MaxWalk entries and -exec runs
// emulated commands only, within the line's step budget.

type findExpr interface {
	eval(f *finder, p string, n *node, depth int) bool
}

type findAnd struct{ l, r findExpr }
type findOr struct{ l, r findExpr }
type findNot struct{ x findExpr }
type findTest func(f *finder, p string, n *node, depth int) bool

func (e findAnd) eval(f *finder, p string, n *node, d int) bool {
	return e.l.eval(f, p, n, d) && e.r.eval(f, p, n, d)
}
func (e findOr) eval(f *finder, p string, n *node, d int) bool {
	return e.l.eval(f, p, n, d) || e.r.eval(f, p, n, d)
}
func (e findNot) eval(f *finder, p string, n *node, d int) bool  { return !e.x.eval(f, p, n, d) }
func (t findTest) eval(f *finder, p string, n *node, d int) bool { return t(f, p, n, d) }

type finder struct {
	c        *cmdCtx
	args     []string
	i        int
	err      string
	action   bool // the expression prints or execs by itself
	maxDepth int
	minDepth int
	depth    int
	prune    bool
	status   int
}

func (f *finder) next() string {
	if f.i < len(f.args) {
		f.i++
		return f.args[f.i-1]
	}
	return ""
}

func (f *finder) parseOr() findExpr {
	l := f.parseAnd()
	for f.err == "" && f.i < len(f.args) && (f.args[f.i] == "-o" || f.args[f.i] == "-or") {
		f.i++
		l = findOr{l, f.parseAnd()}
	}
	return l
}

func (f *finder) parseAnd() findExpr {
	l := f.parseNot()
	for f.err == "" && f.i < len(f.args) && f.args[f.i] != "-o" && f.args[f.i] != "-or" && f.args[f.i] != ")" {
		if f.args[f.i] == "-a" || f.args[f.i] == "-and" {
			f.i++
		}
		l = findAnd{l, f.parseNot()}
	}
	return l
}

func (f *finder) parseNot() findExpr {
	f.depth++
	defer func() { f.depth-- }()
	if f.depth > maxArithDepth {
		f.err = "expression too deep"
		return findTest(func(*finder, string, *node, int) bool { return false })
	}
	if f.i < len(f.args) && (f.args[f.i] == "!" || f.args[f.i] == "-not") {
		f.i++
		return findNot{f.parseNot()}
	}
	return f.primary()
}

func sizeMatch(spec string, size int64) (bool, bool) {
	if spec == "" {
		return false, false
	}
	cmp := byte(0)
	if spec[0] == '+' || spec[0] == '-' {
		cmp, spec = spec[0], spec[1:]
	}
	unit := int64(512)
	if spec != "" {
		switch spec[len(spec)-1] {
		case 'c':
			unit, spec = 1, spec[:len(spec)-1]
		case 'k':
			unit, spec = 1024, spec[:len(spec)-1]
		case 'M':
			unit, spec = 1<<20, spec[:len(spec)-1]
		case 'G':
			unit, spec = 1<<30, spec[:len(spec)-1]
		case 'b':
			spec = spec[:len(spec)-1]
		}
	}
	n, err := strconv.ParseInt(spec, 10, 64)
	if err != nil {
		return false, false
	}
	units := (size + unit - 1) / unit
	switch cmp {
	case '+':
		return units > n, true
	case '-':
		return units < n, true
	}
	return units == n, true
}

func (f *finder) primary() findExpr {
	a := f.next()
	need := func() string {
		if f.i >= len(f.args) {
			f.err = fmt.Sprintf("missing argument to `%s'", a)
			return ""
		}
		return f.next()
	}
	switch a {
	case "(":
		e := f.parseOr()
		if f.next() != ")" {
			f.err = "invalid expression; you have too many ('s"
		}
		return e
	case "-name", "-iname":
		pat := need()
		fold := a == "-iname"
		if fold {
			pat = strings.ToLower(pat)
		}
		return findTest(func(_ *finder, p string, _ *node, _ int) bool {
			b := path.Base(p)
			if fold {
				b = strings.ToLower(b)
			}
			return globMatch(pat, b)
		})
	case "-path", "-wholename", "-ipath":
		pat := need()
		return findTest(func(_ *finder, p string, _ *node, _ int) bool { return globMatch(pat, p) })
	case "-regex", "-iregex":
		src := need()
		if a == "-iregex" {
			src = "(?i)" + src
		}
		re, err := regexp.Compile("^(?:" + src + ")$")
		if err != nil || len(src) > 1024 {
			f.err = "Invalid regular expression"
			return nil
		}
		return findTest(func(_ *finder, p string, _ *node, _ int) bool { return re.MatchString(p) })
	case "-type":
		t := need()
		return findTest(func(_ *finder, _ string, n *node, _ int) bool {
			switch t {
			case "f":
				return n.mode.IsRegular() && !n.isDev()
			case "d":
				return n.isDir()
			case "l":
				return n.isLink()
			case "c":
				return n.isDev()
			}
			return false
		})
	case "-perm":
		spec := need()
		mode := spec
		kind := byte(0)
		if strings.HasPrefix(mode, "-") || strings.HasPrefix(mode, "/") || strings.HasPrefix(mode, "+") {
			kind, mode = mode[0], mode[1:]
		}
		want, ok := parseMode(mode, 0, false, 0)
		if !ok {
			f.err = "invalid mode ‘" + spec + "’"
			return nil
		}
		bits := permBits(want)
		return findTest(func(_ *finder, _ string, n *node, _ int) bool {
			have := permBits(n.mode)
			switch kind {
			case '-':
				return have&bits == bits
			case '/', '+':
				return bits == 0 || have&bits != 0
			}
			return have == bits
		})
	case "-user", "-uid":
		u := need()
		return findTest(func(f *finder, _ string, n *node, _ int) bool {
			if id, err := strconv.Atoi(u); err == nil {
				return n.uid == id
			}
			a, ok := f.c.s.lookupAccount(u)
			return ok && a.uid == n.uid
		})
	case "-group", "-gid":
		g := need()
		return findTest(func(f *finder, _ string, n *node, _ int) bool {
			if id, err := strconv.Atoi(g); err == nil {
				return n.gid == id
			}
			for _, gr := range f.c.s.groups() {
				if gr.name == g {
					return gr.gid == n.gid
				}
			}
			return false
		})
	case "-size":
		spec := need()
		if _, ok := sizeMatch(spec, 0); !ok && f.err == "" {
			f.err = "invalid -size type"
			return nil
		}
		return findTest(func(_ *finder, _ string, n *node, _ int) bool { m, _ := sizeMatch(spec, n.displaySize()); return m })
	case "-mtime", "-mmin", "-atime", "-amin", "-ctime", "-cmin", "-newer":
		spec := need()
		minutes := strings.HasSuffix(a, "min")
		return findTest(func(f *finder, _ string, n *node, _ int) bool {
			if a == "-newer" {
				ref, _, err := f.c.v().lookup(f.c.cred(), f.c.abs(spec), true)
				return err == nil && n.mtime.After(ref.mtime)
			}
			age := f.c.now.Sub(n.mtime)
			unit := age.Hours() / 24
			if minutes {
				unit = age.Minutes()
			}
			cmp := byte(0)
			s := spec
			if s != "" && (s[0] == '+' || s[0] == '-') {
				cmp, s = s[0], s[1:]
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return false
			}
			switch cmp {
			case '+':
				return unit > v+1 || minutes && unit > v
			case '-':
				return unit < v
			}
			return int(unit) == int(v)
		})
	case "-empty":
		return findTest(func(_ *finder, _ string, n *node, _ int) bool {
			if n.isDir() {
				return len(n.kids) == 0
			}
			return n.mode.IsRegular() && n.displaySize() == 0
		})
	case "-writable", "-readable", "-executable":
		bit := map[string]uint32{"-writable": permW, "-readable": permR, "-executable": permX}[a]
		return findTest(func(f *finder, _ string, n *node, _ int) bool { return f.c.cred().can(n, bit) })
	case "-maxdepth":
		f.maxDepth, _ = strconv.Atoi(need())
		return findTest(func(*finder, string, *node, int) bool { return true })
	case "-mindepth":
		f.minDepth, _ = strconv.Atoi(need())
		return findTest(func(*finder, string, *node, int) bool { return true })
	case "-xdev", "-mount", "-depth", "-follow", "-noleaf", "-daystart", "-ignore_readdir_race", "-true":
		return findTest(func(*finder, string, *node, int) bool { return true })
	case "-false":
		return findTest(func(*finder, string, *node, int) bool { return false })
	case "-prune":
		return findTest(func(f *finder, _ string, n *node, _ int) bool { f.prune = n.isDir(); return true })
	case "-print", "-print0", "-ls", "-fprint":
		f.action = true
		if a == "-fprint" {
			need()
		}
		return findTest(func(f *finder, p string, n *node, _ int) bool {
			switch a {
			case "-print0":
				f.c.print(p + "\x00")
			case "-ls":
				nm := f.c.s.names()
				f.c.printf("%9d %6d %s %3d %-8s %-8s %8d %s %s\n", inode(p), blocksOf(n), modeString(n), 1, nm.user(n.uid), nm.group(n.gid), n.displaySize(), lsTime(n.mtime, f.c.now, false), p)
			default:
				f.c.print(p + "\n")
			}
			return true
		})
	case "-printf":
		format := need()
		f.action = true
		return findTest(func(f *finder, p string, n *node, _ int) bool {
			out, _ := echoEscapes(strings.NewReplacer("%p", p, "%f", path.Base(p), "%s", strconv.FormatInt(n.displaySize(), 10),
				"%m", fmt.Sprintf("%o", n.mode.Perm()), "%u", f.c.s.names().user(n.uid), "%h", path.Dir(p), "%%", "%").Replace(format))
			f.c.print(out)
			return true
		})
	case "-delete":
		f.action = true
		return findTest(func(f *finder, p string, _ *node, _ int) bool {
			if err := f.c.v().remove(f.c.cred(), f.c.abs(p), false, f.c.now); err != nil {
				f.c.printf("")
				fmt.Fprintf(f.c.stderr, "find: cannot delete ‘%s’: %s\n", p, strerror(err))
				f.status = 1
				return false
			}
			return true
		})
	case "-exec", "-execdir", "-ok", "-okdir":
		var tmpl []string
		end := ""
		for f.i < len(f.args) {
			x := f.next()
			if x == ";" || x == "+" {
				end = x
				break
			}
			tmpl = append(tmpl, x)
		}
		if end == "" || len(tmpl) == 0 {
			f.err = "missing argument to `" + a + "'"
			return nil
		}
		f.action = true
		return findTest(func(f *finder, p string, _ *node, _ int) bool {
			argv := make([]string, len(tmpl))
			for i, t := range tmpl {
				argv[i] = strings.ReplaceAll(t, "{}", p)
			}
			if !f.c.in.step() {
				return false
			}
			status, _, _ := f.c.in.execFile(argv, f.c.io, f.c.text)
			return status == 0
		})
	case "-quit":
		return findTest(func(f *finder, _ string, _ *node, _ int) bool { f.maxDepth = -2; return true })
	}
	if strings.HasPrefix(a, "-") {
		f.err = "unknown predicate `" + a + "'"
	} else {
		f.err = "paths must precede expression: `" + a + "'"
	}
	return nil
}

func permBits(m fs.FileMode) uint32 {
	b := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func cmdFind(c *cmdCtx) int {
	args := c.args
	for len(args) > 0 && (args[0] == "-L" || args[0] == "-H" || args[0] == "-P") {
		args = args[1:]
	}
	var paths []string
	for len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-") && args[0] != "!" && args[0] != "(" {
		paths = append(paths, args[0])
		args = args[1:]
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	f := &finder{c: c, args: args, maxDepth: -1}
	var expr findExpr = findTest(func(*finder, string, *node, int) bool { return true })
	if len(args) > 0 {
		expr = f.parseOr()
		if f.err == "" && f.i < len(args) {
			f.err = "unexpected extra predicate '" + args[f.i] + "'"
		}
		if f.err != "" || expr == nil {
			return c.fail(1, "%s", f.err)
		}
	}
	if !f.action {
		expr = findAnd{expr, findTest(func(f *finder, p string, _ *node, _ int) bool { f.c.print(p + "\n"); return true })}
	}
	visited := 0
	var walk func(p string, n *node, depth int)
	walk = func(p string, n *node, depth int) {
		visited++
		if visited > MaxWalk || c.in.flow == flowAbort || f.maxDepth == -2 || !c.in.visit() {
			return
		}
		f.prune = false
		if depth >= f.minDepth {
			expr.eval(f, p, n, depth)
		}
		if !n.isDir() || f.prune || f.maxDepth >= 0 && depth >= f.maxDepth {
			return
		}
		ents, err := c.v().readDir(c.cred(), c.abs(p))
		if err != nil {
			fmt.Fprintf(c.stderr, "find: ‘%s’: %s\n", p, strerror(err))
			f.status = 1
			return
		}
		for _, e := range ents {
			child := strings.TrimSuffix(p, "/") + "/" + e.name
			if p == "/" {
				child = "/" + e.name
			}
			walk(child, e.n, depth+1)
		}
	}
	for _, p := range paths {
		n, _, err := c.v().lookup(c.cred(), c.abs(p), true)
		if err != nil {
			fmt.Fprintf(c.stderr, "find: ‘%s’: %s\n", p, strerror(err))
			f.status = 1
			continue
		}
		walk(p, n, 0)
	}
	return f.status
}
