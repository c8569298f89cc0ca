package shell

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	register("ls", cmdSpec{fn: cmdLs, bin: "bin", size: 138208, busybox: true})
	register("dir", cmdSpec{fn: cmdLs, bin: "bin", size: 138208, avail: notFamily("alpine")})
	register("cat", cmdSpec{fn: cmdCat, bin: "bin", size: 35280, busybox: true})
	register("mkdir", cmdSpec{fn: cmdMkdir, bin: "bin", size: 72072, busybox: true})
	register("rmdir", cmdSpec{fn: cmdRmdir, bin: "bin", size: 39264, busybox: true})
	register("rm", cmdSpec{fn: cmdRm, bin: "bin", size: 59912, busybox: true})
	register("touch", cmdSpec{fn: cmdTouch, bin: "bin", size: 92656, busybox: true})
	register("cp", cmdSpec{fn: cmdCp, bin: "bin", size: 141832, busybox: true})
	register("mv", cmdSpec{fn: cmdMv, bin: "bin", size: 137736, busybox: true})
	register("ln", cmdSpec{fn: cmdLn, bin: "bin", size: 63992, busybox: true})
	register("find", cmdSpec{fn: cmdFind, bin: "usr/bin", size: 282088, busybox: true})
	register("chmod", cmdSpec{fn: cmdChmod, bin: "bin", size: 59912, busybox: true})
	register("chown", cmdSpec{fn: cmdChown, bin: "bin", size: 72072, busybox: true})
	register("chgrp", cmdSpec{fn: cmdChown, bin: "bin", size: 59912, busybox: true})
	register("chattr", cmdSpec{fn: cmdChattr, bin: "usr/bin", size: 14640, busybox: true})
	register("lsattr", cmdSpec{fn: cmdLsattr, bin: "usr/bin", size: 14640, busybox: true})
	register("file", cmdSpec{fn: cmdFile, bin: "usr/bin", size: 27216, avail: notFamily("alpine")})
	register("du", cmdSpec{fn: cmdDu, bin: "usr/bin", size: 100624, busybox: true})
	register("df", cmdSpec{fn: cmdDf, bin: "bin", size: 88672, busybox: true})
	register("stat", cmdSpec{fn: cmdStat, bin: "usr/bin", size: 88672, busybox: true})
	register("readlink", cmdSpec{fn: cmdReadlink, bin: "bin", size: 43520, busybox: true})
	register("realpath", cmdSpec{fn: cmdRealpath, bin: "usr/bin", size: 43528, busybox: true})
	register("basename", cmdSpec{fn: cmdBasename, bin: "usr/bin", size: 35336, busybox: true})
	register("dirname", cmdSpec{fn: cmdDirname, bin: "usr/bin", size: 35336, busybox: true})
	register("mktemp", cmdSpec{fn: cmdMktemp, bin: "bin", size: 43528, busybox: true})
	register("which", cmdSpec{fn: cmdWhich, bin: "usr/bin", size: 1074, busybox: true})
	register("whereis", cmdSpec{fn: cmdWhereis, bin: "usr/bin", size: 35344, avail: notFamily("alpine")})
}

// lsColors are the GNU ls default colours for the types people notice.
const (
	colDir    = "\x1b[01;34m"
	colLink   = "\x1b[01;36m"
	colExec   = "\x1b[01;32m"
	colSticky = "\x1b[30;42m"
	colDev    = "\x1b[40;33;01m"
	colSetuid = "\x1b[37;41m"
	colArch   = "\x1b[01;31m"
	colReset  = "\x1b[0m"
)

func lsColor(name string, n *node) string {
	switch {
	case n.isLink():
		return colLink
	case n.isDir() && n.mode&fs.ModeSticky != 0 && n.mode&0o002 != 0:
		return colSticky
	case n.isDir():
		return colDir
	case n.isDev():
		return colDev
	case n.mode&fs.ModeSetuid != 0:
		return colSetuid
	case n.mode&0o111 != 0:
		return colExec
	}
	for _, ext := range []string{".tar", ".tgz", ".gz", ".zip", ".bz2", ".xz", ".7z", ".rar", ".deb", ".rpm"} {
		if strings.HasSuffix(name, ext) {
			return colArch
		}
	}
	return ""
}

// modeString renders mode bits as ls -l does.
func modeString(n *node) string {
	b := []byte("----------")
	switch {
	case n.isDir():
		b[0] = 'd'
	case n.isLink():
		b[0] = 'l'
	case n.mode&fs.ModeCharDevice != 0:
		b[0] = 'c'
	case n.mode&fs.ModeDevice != 0:
		b[0] = 'b'
	}
	perm := n.mode.Perm()
	for i, c := range "rwxrwxrwx" {
		if perm&(1<<(8-i)) != 0 {
			b[i+1] = byte(c)
		}
	}
	special := func(pos int, set bool, lower, upper byte) {
		if !set {
			return
		}
		if b[pos] == 'x' {
			b[pos] = lower
		} else {
			b[pos] = upper
		}
	}
	special(3, n.mode&fs.ModeSetuid != 0, 's', 'S')
	special(6, n.mode&fs.ModeSetgid != 0, 's', 'S')
	special(9, n.mode&fs.ModeSticky != 0, 't', 'T')
	return string(b)
}

// lsHuman formats a size as ls -h does (powers of 1024, one decimal under
// ten, rounded up).
func lsHuman(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10)
	}
	v := float64(n)
	units := "KMGTP"
	u := -1
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v < 10 {
		v = float64(int64(v*10+0.999)) / 10
		if v < 10 {
			return fmt.Sprintf("%.1f%c", v, units[u])
		}
	}
	return fmt.Sprintf("%.0f%c", v+0.499, units[u])
}

func blocksOf(n *node) int64 {
	if n.isDir() {
		return 4
	}
	if n.isLink() || n.isDev() || n.gen != nil {
		return 0
	}
	return (n.displaySize() + 4095) / 4096 * 4
}

func lsTime(t, now time.Time, full bool) string {
	if full {
		return t.Format("2006-01-02 15:04:05.000000000 -0700")
	}
	if now.Sub(t) < 182*24*time.Hour && !t.After(now.Add(time.Hour)) {
		return t.Format("Jan _2 15:04")
	}
	return t.Format("Jan _2  2006")
}

// inode is a stable fake inode number for a path.
func inode(p string) uint64 { return 131072 + fnv64(p)%3_000_000 }

type lsEntry struct {
	name string // as shown
	path string // for links and inode
	n    *node
}

func cmdLs(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "laAhRtrS1dFinGgospCxLcuUNQvX", false, "all", "almost-all", "human-readable", "recursive", "reverse",
		"color=", "colour=", "full-time", "directory", "classify", "inode", "numeric-uid-gid", "size", "sort=", "time-style=", "group-directories-first", "help", "version")
	if !ok {
		return 2
	}
	if o.hasLong("help") {
		c.print("Usage: ls [OPTION]... [FILE]...\nList information about the FILEs (the current directory by default).\n")
		return 0
	}
	long := o.has('l') || o.has('g') || o.has('o') || o.has('n') || o.hasLong("full-time") || o.hasLong("numeric-uid-gid")
	all := o.has('a') || o.hasLong("all")
	almost := o.has('A') || o.hasLong("almost-all")
	human := o.has('h') || o.hasLong("human-readable")
	color := false
	if cv, okc := o.long["color"]; okc {
		color = cv == "always" || cv == "" || (cv == "auto" || cv == "tty") && c.tty
	}
	oneCol := o.has('1') || !c.tty && !o.has('C') && !o.has('x')
	classify := o.has('F') || o.hasLong("classify")
	nm := c.s.names()
	cr := c.cred()
	v := c.v()
	operands := o.rest
	if len(operands) == 0 {
		operands = []string{"."}
	}
	status := 0
	var files []lsEntry
	var dirs []lsEntry
	for _, op := range operands {
		n, rp, err := v.lookup(cr, c.abs(op), true)
		if err != nil {
			if ln, lp, lerr := v.lookup(cr, c.abs(op), false); lerr == nil && ln.isLink() {
				files = append(files, lsEntry{op, lp, ln})
				continue
			}
			c.errorf("cannot access '%s': %s", op, strerror(err))
			status = 2
			continue
		}
		if n.isDir() && !o.has('d') && !o.hasLong("directory") {
			dirs = append(dirs, lsEntry{op, rp, n})
		} else {
			if long && !o.has('L') {
				if ln, lp, lerr := v.lookup(cr, c.abs(op), false); lerr == nil {
					n, rp = ln, lp
				}
			}
			files = append(files, lsEntry{op, rp, n})
		}
	}
	sortEntries := func(es []lsEntry) {
		switch {
		case o.has('U'):
		case o.has('t') || o.longVal("sort") == "time":
			sort.SliceStable(es, func(i, j int) bool {
				if !es[i].n.mtime.Equal(es[j].n.mtime) {
					return es[i].n.mtime.After(es[j].n.mtime)
				}
				return es[i].name < es[j].name
			})
		case o.has('S') || o.longVal("sort") == "size":
			sort.SliceStable(es, func(i, j int) bool {
				if es[i].n.displaySize() != es[j].n.displaySize() {
					return es[i].n.displaySize() > es[j].n.displaySize()
				}
				return es[i].name < es[j].name
			})
		default:
			sort.SliceStable(es, func(i, j int) bool { return es[i].name < es[j].name })
		}
		if o.has('r') || o.hasLong("reverse") {
			slices.Reverse(es)
		}
	}
	show := func(e lsEntry) string {
		name := e.name
		if classify || o.has('p') {
			switch {
			case e.n.isDir():
				name += "/"
			case e.n.isLink() && classify:
				name += "@"
			case e.n.mode&0o111 != 0 && classify && !e.n.isDev():
				name += "*"
			}
		}
		if color {
			if col := lsColor(e.name, e.n); col != "" {
				return col + name + colReset
			}
		}
		return name
	}
	printList := func(es []lsEntry, withTotal bool) {
		if len(es) == 0 && !long {
			return
		}
		if long {
			var total int64
			rows := make([][]string, 0, len(es))
			for _, e := range es {
				total += blocksOf(e.n)
				size := strconv.FormatInt(e.n.displaySize(), 10)
				if human {
					size = lsHuman(e.n.displaySize())
				}
				if e.n.isDev() {
					size = fmt.Sprintf("%d, %d", e.n.major, e.n.minor)
				}
				links := 1
				if e.n.isDir() {
					links = 2
					for _, k := range e.n.kids {
						if k.isDir() {
							links++
						}
					}
				}
				owner, grp := nm.user(e.n.uid), nm.group(e.n.gid)
				if o.has('n') || o.hasLong("numeric-uid-gid") {
					owner, grp = strconv.Itoa(e.n.uid), strconv.Itoa(e.n.gid)
				}
				name := show(e)
				if e.n.isLink() {
					name += " -> " + e.n.target
				}
				row := []string{modeString(e.n), strconv.Itoa(links), owner, grp, size, lsTime(e.n.mtime, c.now, o.hasLong("full-time")), name}
				if o.has('g') {
					row = slices.Delete(row, 2, 3)
				} else if o.has('o') || o.has('G') {
					row = slices.Delete(row, 3, 4)
				}
				if o.has('i') || o.hasLong("inode") {
					row = append([]string{strconv.FormatUint(inode(e.path), 10)}, row...)
				}
				rows = append(rows, row)
			}
			if withTotal {
				if human {
					c.printf("total %s\n", lsHuman(total*1024))
				} else {
					c.printf("total %d\n", total)
				}
			}
			if len(rows) == 0 {
				return
			}
			ncol := len(rows[0])
			c.print(alignColumns(rows, func(i int) bool {
				off := ncol - 7
				if o.has('g') || o.has('o') || o.has('G') {
					off = ncol - 6
				}
				switch i - off {
				case 1, 4:
					return true
				}
				if off == 1 && i == 0 {
					return true
				}
				if (o.has('g') || o.has('o') || o.has('G')) && i-off == 3 {
					return true
				}
				return false
			}))
			return
		}
		if oneCol {
			for _, e := range es {
				prefix := ""
				if o.has('i') {
					prefix = fmt.Sprintf("%d ", inode(e.path))
				}
				c.print(prefix + show(e) + "\n")
			}
			return
		}
		names := make([]string, len(es))
		widths := make([]int, len(es))
		for i, e := range es {
			names[i] = show(e)
			widths[i] = len([]rune(e.name))
			if classify && (e.n.isDir() || e.n.isLink() || e.n.mode&0o111 != 0) {
				widths[i]++
			}
		}
		c.print(columnate(names, widths, 80))
	}
	sortEntries(files)
	printList(files, false)
	sortEntries(dirs)
	multi := len(operands) > 1 || o.has('R')
	walked := 0
	var listDir func(e lsEntry, first bool)
	listDir = func(e lsEntry, first bool) {
		if walked > MaxWalk || c.ctx.Err() != nil {
			return
		}
		if multi {
			if !first || len(files) > 0 {
				c.print("\n")
			}
			c.print(e.name + ":\n")
		}
		ents, err := v.readDir(cr, e.path)
		if err != nil {
			c.errorf("cannot open directory '%s': %s", e.name, strerror(err))
			status = 2
			return
		}
		var list []lsEntry
		if all {
			self := e.n
			parent := self
			if pn, _, perr := v.lookup(cr, path.Dir(e.path), true); perr == nil {
				parent = pn
			}
			list = append(list, lsEntry{".", e.path, self}, lsEntry{"..", path.Dir(e.path), parent})
		}
		for _, d := range ents {
			walked++
			if !c.in.visit() {
				break
			}
			if strings.HasPrefix(d.name, ".") && !all && !almost {
				continue
			}
			list = append(list, lsEntry{d.name, path.Join(e.path, d.name), d.n})
		}
		sortEntries(list)
		printList(list, true)
		if o.has('R') {
			for _, sub := range list {
				if sub.n.isDir() && sub.name != "." && sub.name != ".." {
					sub.name = strings.TrimSuffix(e.name, "/") + "/" + sub.name
					listDir(sub, false)
				}
			}
		}
	}
	for i, d := range dirs {
		listDir(d, i == 0)
	}
	return status
}

// columnate lays names out in columns down then across, as ls does on a
// terminal, within width columns.
func columnate(names []string, widths []int, width int) string {
	n := len(names)
	if n == 0 {
		return ""
	}
	best := 1
	var bestW []int
	for cols := min(n, width/3+1); cols >= 1; cols-- {
		rows := (n + cols - 1) / cols
		cw := make([]int, cols)
		total := 0
		for i := range n {
			col := i / rows
			if col >= cols {
				break
			}
			cw[col] = max(cw[col], widths[i])
		}
		for i, w := range cw {
			if i < cols-1 {
				total += w + 2
			} else {
				total += w
			}
		}
		if total <= width {
			best, bestW = cols, cw
			break
		}
	}
	if bestW == nil {
		bestW = []int{0}
	}
	rows := (n + best - 1) / best
	var b strings.Builder
	for r := range rows {
		for col := range best {
			i := col*rows + r
			if i >= n {
				break
			}
			b.WriteString(names[i])
			next := (col+1)*rows + r
			if col < best-1 && next < n {
				b.WriteString(strings.Repeat(" ", bestW[col]-widths[i]+2))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func cmdCat(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "nbAveEtTsu", false, "number", "number-nonblank", "show-all", "squeeze-blank", "help", "version")
	if !ok {
		return 1
	}
	number := o.has('n') || o.hasLong("number")
	showEnds := o.has('A') || o.has('E') || o.has('e')
	line := 0
	ok = c.inputs(o.rest, func(name string, data []byte) {
		if !number && !showEnds {
			c.stdout.Write(data)
			return
		}
		var b strings.Builder
		for _, l := range strings.SplitAfter(string(data), "\n") {
			if l == "" {
				continue
			}
			if number {
				line++
				fmt.Fprintf(&b, "%6d\t", line)
			}
			if showEnds && strings.HasSuffix(l, "\n") {
				l = strings.TrimSuffix(l, "\n") + "$\n"
			}
			b.WriteString(l)
			if b.Len() > MaxCmdOutput {
				break
			}
		}
		c.print(b.String())
	})
	return b2i(!ok)
}

// quoteName quotes a name the way coreutils does in messages with
// locale quotes (mkdir, chown): ‘x’.
func quoteName(s string) string { return "‘" + s + "’" }

func cmdMkdir(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "pm:vZ", false, "parents", "mode=", "verbose", "help")
	if !ok {
		return 1
	}
	if len(o.rest) == 0 {
		return c.fail(1, "missing operand\nTry 'mkdir --help' for more information.")
	}
	perm := fs.FileMode(0o777 &^ c.st.umask)
	if m := o.val('m') + o.longVal("mode"); m != "" {
		if v, err := strconv.ParseUint(m, 8, 32); err == nil {
			perm = fs.FileMode(v)
		}
	}
	parents := o.has('p') || o.hasLong("parents")
	status := 0
	for _, d := range o.rest {
		abs := c.abs(d)
		if parents {
			cur := ""
			for _, comp := range splitPath(abs) {
				cur += "/" + comp
				n, _, err := c.v().lookup(c.cred(), cur, true)
				if err == nil {
					if !n.isDir() {
						c.errorf("cannot create directory %s: %s", quoteName(d), "File exists")
						status = 1
						break
					}
					continue
				}
				if err := c.v().mkdir(c.cred(), cur, perm, c.now); err != nil {
					c.errorf("cannot create directory %s: %s", quoteName(d), strerror(err))
					status = 1
					break
				}
				if o.has('v') {
					c.printf("mkdir: created directory '%s'\n", cur)
				}
			}
			continue
		}
		if err := c.v().mkdir(c.cred(), abs, perm, c.now); err != nil {
			c.errorf("cannot create directory %s: %s", quoteName(d), strerror(err))
			status = 1
			continue
		}
		if o.has('v') {
			c.printf("mkdir: created directory '%s'\n", d)
		}
	}
	return status
}

func cmdRmdir(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "pv", false, "parents", "verbose", "ignore-fail-on-non-empty")
	if !ok {
		return 1
	}
	if len(o.rest) == 0 {
		return c.fail(1, "missing operand\nTry 'rmdir --help' for more information.")
	}
	status := 0
	for _, d := range o.rest {
		n, _, err := c.v().lookup(c.cred(), c.abs(d), false)
		if err == nil && !n.isDir() {
			err = errNotDir
		}
		if err == nil {
			err = c.v().remove(c.cred(), c.abs(d), false, c.now)
		}
		if err != nil {
			if errors.Is(err, errNotEmpty) && o.hasLong("ignore-fail-on-non-empty") {
				continue
			}
			c.errorf("failed to remove '%s': %s", d, strerror(err))
			status = 1
		}
	}
	return status
}

func cmdRm(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "rRfivdI", false, "recursive", "force", "interactive=", "verbose", "dir", "no-preserve-root", "preserve-root", "help", "version")
	if !ok {
		return 1
	}
	recursive := o.has('r') || o.has('R') || o.hasLong("recursive")
	force := o.has('f') || o.hasLong("force")
	if len(o.rest) == 0 {
		if force {
			return 0
		}
		return c.fail(1, "missing operand\nTry 'rm --help' for more information.")
	}
	status := 0
	var asks []string
	var targets []string
	for _, f := range o.rest {
		abs := c.abs(f)
		if abs == "/" && recursive && !o.hasLong("no-preserve-root") {
			c.errorf("it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe")
			status = 1
			continue
		}
		if base := path.Base(f); base == "." || base == ".." {
			c.errorf("refusing to remove '.' or '..' directory: skipping '%s'", f)
			status = 1
			continue
		}
		n, _, err := c.v().lookup(c.cred(), abs, false)
		if err != nil {
			if !force || !errors.Is(err, fs.ErrNotExist) {
				c.errorf("cannot remove '%s': %s", f, strerror(err))
				status = 1
			}
			continue
		}
		if n.isDir() && !recursive && !o.has('d') {
			c.errorf("cannot remove '%s': Is a directory", f)
			status = 1
			continue
		}
		if o.has('i') && !force && c.tty {
			kind := "regular file"
			switch {
			case n.isDir():
				kind = "directory"
			case n.isLink():
				kind = "symbolic link"
			case len(n.data) == 0 && n.size == 0:
				kind = "regular empty file"
			}
			asks = append(asks, fmt.Sprintf("rm: remove %s '%s'? ", kind, f))
			targets = append(targets, f)
			continue
		}
		if err := c.v().remove(c.cred(), abs, recursive, c.now); err != nil {
			c.errorf("cannot remove '%s': %s", f, strerror(err))
			status = 1
			continue
		}
		if o.has('v') {
			c.printf("removed '%s'\n", f)
		}
	}
	if len(asks) > 0 {
		echo := make([]bool, len(asks))
		for i := range echo {
			echo[i] = true
		}
		c.s.ask(asks, echo, func(in *interp, answers []string) {
			for i, a := range answers {
				if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a)), "y") {
					if err := in.s.v.remove(in.s.st.cred(), in.abs(targets[i]), recursive, in.s.cfg.Now()); err != nil {
						fmt.Fprintf(in.term, "rm: cannot remove '%s': %s\n", targets[i], strerror(err))
					}
				}
			}
		})
	}
	return status
}

func cmdTouch(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "acmd:t:r:h", false, "no-create", "date=", "reference=", "time=")
	if !ok {
		return 1
	}
	if len(o.rest) == 0 {
		return c.fail(1, "missing file operand\nTry 'touch --help' for more information.")
	}
	when := c.now
	if ref := o.val('r') + o.longVal("reference"); ref != "" {
		n, _, err := c.v().lookup(c.cred(), c.abs(ref), true)
		if err != nil {
			return c.fail(1, "failed to get attributes of '%s': %s", ref, strerror(err))
		}
		when = n.mtime
	}
	if d := o.val('d') + o.longVal("date"); d != "" {
		if t, okd := parseDateArg(d, c.now); okd {
			when = t
		} else {
			return c.fail(1, "invalid date format '%s'", d)
		}
	}
	if ts := o.val('t'); ts != "" {
		if t, err := time.Parse("200601021504", strings.Split(ts, ".")[0]); err == nil {
			when = t
		}
	}
	status := 0
	for _, f := range o.rest {
		abs := c.abs(f)
		n, _, err := c.v().lookup(c.cred(), abs, true)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) || o.has('c') {
				if !o.has('c') {
					c.errorf("cannot touch '%s': %s", f, strerror(err))
					status = 1
				}
				continue
			}
			if err := c.writeFile(f, nil, true); err != nil {
				c.errorf("cannot touch '%s': %s", f, strerror(err))
				status = 1
				continue
			}
		} else if n.uid != c.st.acct.uid && !c.root() && !c.cred().can(n, permW) {
			c.errorf("cannot touch '%s': Permission denied", f)
			status = 1
			continue
		}
		_ = c.v().setattr(c.cred(), abs, true, func(n *node) error { n.mtime = when; return nil })
	}
	return status
}

// copyTo copies the node at src to dst for cp; recursive copies trees.
func (c *cmdCtx) copyTo(src, dst string, recursive, preserve bool) error {
	v := c.v()
	cr := c.cred()
	n, _, err := v.lookup(cr, src, true)
	if err != nil {
		return err
	}
	if n.isDir() && !recursive {
		return errIsDir
	}
	if !n.isDir() && !cr.can(n, permR) {
		return fs.ErrPermission
	}
	if d, _, err := v.lookup(cr, dst, true); err == nil && d.isDir() {
		dst = path.Join(dst, path.Base(src))
	}
	if strings.HasPrefix(dst+"/", src+"/") && n.isDir() {
		return errInvalid
	}
	limit := MaxFilesCreated - v.created
	if limit <= 0 {
		return errNoSpace
	}
	before := limit
	cp := v.dup(n, &limit)
	if err := v.charge(treeBytes(cp, MaxSessionWrite)); err != nil {
		return err
	}
	v.created += before - limit
	if !preserve {
		var stamp func(x *node)
		stamp = func(x *node) {
			x.uid, x.gid, x.mtime = c.st.acct.uid, primaryGID(cr), c.now
			for _, k := range x.kids {
				stamp(k)
			}
		}
		stamp(cp)
	}
	if old, _, err := v.lookup(cr, dst, false); err == nil && old.isDir() && !cp.isDir() {
		return errIsDir
	}
	return v.place(cr, dst, cp, c.now)
}

// treeBytes sums the data of a subtree, stopping at limit.
func treeBytes(n *node, limit int64) int64 {
	t := int64(len(n.data))
	for _, k := range n.kids {
		if t > limit {
			break
		}
		t += treeBytes(k, limit-t)
	}
	return t
}

func cmdCp(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "rRapfivunPdlsLHt:T", false, "recursive", "archive", "preserve=", "force", "interactive", "verbose", "no-clobber", "target-directory=", "help")
	if !ok {
		return 1
	}
	args := o.rest
	if len(args) < 2 {
		if len(args) == 1 {
			return c.fail(1, "missing destination file operand after '%s'\nTry 'cp --help' for more information.", args[0])
		}
		return c.fail(1, "missing file operand\nTry 'cp --help' for more information.")
	}
	dst := args[len(args)-1]
	srcs := args[:len(args)-1]
	if len(srcs) > 1 {
		if n, _, err := c.v().lookup(c.cred(), c.abs(dst), true); err != nil || !n.isDir() {
			return c.fail(1, "target '%s' is not a directory", dst)
		}
	}
	recursive := o.has('r') || o.has('R') || o.has('a') || o.hasLong("recursive") || o.hasLong("archive")
	status := 0
	for _, s := range srcs {
		if err := c.copyTo(c.abs(s), c.abs(dst), recursive, o.has('p') || o.has('a')); err != nil {
			switch {
			case errors.Is(err, errIsDir) && !recursive:
				c.errorf("-r not specified; omitting directory '%s'", s)
			case errors.Is(err, fs.ErrNotExist):
				c.errorf("cannot stat '%s': No such file or directory", s)
			case errors.Is(err, errInvalid):
				c.errorf("cannot copy a directory, '%s', into itself, '%s'", s, dst)
			default:
				c.errorf("cannot create regular file '%s': %s", dst, strerror(err))
			}
			status = 1
			continue
		}
		if o.has('v') {
			c.printf("'%s' -> '%s'\n", s, dst)
		}
	}
	return status
}

func cmdMv(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "finuvbt:T", false, "force", "interactive", "no-clobber", "verbose", "target-directory=", "help")
	if !ok {
		return 1
	}
	args := o.rest
	if len(args) < 2 {
		if len(args) == 1 {
			return c.fail(1, "missing destination file operand after '%s'\nTry 'mv --help' for more information.", args[0])
		}
		return c.fail(1, "missing file operand\nTry 'mv --help' for more information.")
	}
	dst := args[len(args)-1]
	srcs := args[:len(args)-1]
	dn, _, derr := c.v().lookup(c.cred(), c.abs(dst), true)
	dstDir := derr == nil && dn.isDir()
	if len(srcs) > 1 && !dstDir {
		return c.fail(1, "target '%s' is not a directory", dst)
	}
	status := 0
	for _, s := range srcs {
		to := c.abs(dst)
		if dstDir {
			to = path.Join(to, path.Base(s))
		}
		if _, _, err := c.v().lookup(c.cred(), c.abs(s), false); err != nil {
			c.errorf("cannot stat '%s': %s", s, strerror(err))
			status = 1
			continue
		}
		if err := c.v().rename(c.cred(), c.abs(s), to, c.now); err != nil {
			if errors.Is(err, errInvalid) {
				c.errorf("cannot move '%s' to a subdirectory of itself, '%s'", s, to)
			} else {
				c.errorf("cannot move '%s' to '%s': %s", s, dst, strerror(err))
			}
			status = 1
			continue
		}
		if o.has('v') {
			c.printf("renamed '%s' -> '%s'\n", s, dst)
		}
	}
	return status
}

func cmdLn(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "sfnvrTt:b", false, "symbolic", "force", "no-dereference", "verbose", "relative")
	if !ok {
		return 1
	}
	args := o.rest
	if len(args) == 0 {
		return c.fail(1, "missing file operand\nTry 'ln --help' for more information.")
	}
	target := args[0]
	link := path.Base(target)
	if len(args) > 1 {
		link = args[1]
	}
	abs := c.abs(link)
	if n, _, err := c.v().lookup(c.cred(), abs, !o.has('n')); err == nil && n.isDir() {
		abs = path.Join(abs, path.Base(target))
	}
	if o.has('f') || o.hasLong("force") {
		_ = c.v().remove(c.cred(), abs, false, c.now)
	}
	if o.has('s') || o.hasLong("symbolic") {
		if err := c.v().symlink(c.cred(), target, abs, c.now); err != nil {
			return c.fail(1, "failed to create symbolic link '%s': %s", link, strerror(err))
		}
		return 0
	}
	n, _, err := c.v().lookup(c.cred(), c.abs(target), true)
	if err != nil {
		return c.fail(1, "failed to access '%s': %s", target, strerror(err))
	}
	if n.isDir() {
		return c.fail(1, "%s: hard link not allowed for directory", target)
	}
	if _, _, err := c.v().lookup(c.cred(), abs, false); err == nil {
		return c.fail(1, "failed to create hard link '%s': File exists", link)
	}
	limit := 1
	if err := c.v().countCreate(); err != nil {
		return c.fail(1, "failed to create hard link '%s': %s", link, strerror(err))
	}
	if err := c.v().place(c.cred(), abs, c.v().dup(n, &limit), c.now); err != nil {
		return c.fail(1, "failed to create hard link '%s' => '%s': %s", link, target, strerror(err))
	}
	return 0
}

// parseMode applies a chmod mode (octal or symbolic) to old.
func parseMode(spec string, old fs.FileMode, isDir bool, umask int) (fs.FileMode, bool) {
	if spec == "" {
		return old, false
	}
	if v, err := strconv.ParseUint(spec, 8, 32); err == nil {
		if v > 0o7777 {
			return old, false
		}
		m := old &^ (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
		m |= fs.FileMode(v & 0o777)
		if v&0o4000 != 0 {
			m |= fs.ModeSetuid
		}
		if v&0o2000 != 0 {
			m |= fs.ModeSetgid
		}
		if v&0o1000 != 0 {
			m |= fs.ModeSticky
		}
		return m, true
	}
	m := old
	for _, clause := range strings.Split(spec, ",") {
		i := 0
		who := 0
		for i < len(clause) && strings.IndexByte("ugoa", clause[i]) >= 0 {
			switch clause[i] {
			case 'u':
				who |= 0o4700
			case 'g':
				who |= 0o2070
			case 'o':
				who |= 0o1007
			case 'a':
				who |= 0o7777
			}
			i++
		}
		if i >= len(clause) {
			return old, false
		}
		for i < len(clause) {
			op := clause[i]
			if op != '+' && op != '-' && op != '=' {
				return old, false
			}
			i++
			bits := 0
			for i < len(clause) && strings.IndexByte("rwxXst", clause[i]) >= 0 {
				switch clause[i] {
				case 'r':
					bits |= 0o444
				case 'w':
					bits |= 0o222
				case 'x':
					bits |= 0o111
				case 'X':
					if isDir || m&0o111 != 0 {
						bits |= 0o111
					}
				case 's':
					bits |= 0o6000
				case 't':
					bits |= 0o1000
				}
				i++
			}
			mask := who
			if who == 0 {
				mask = 0o7777 &^ umask
				if bits&0o7000 != 0 {
					mask |= 0o7000
				}
			}
			cur := int(m.Perm())
			if m&fs.ModeSetuid != 0 {
				cur |= 0o4000
			}
			if m&fs.ModeSetgid != 0 {
				cur |= 0o2000
			}
			if m&fs.ModeSticky != 0 {
				cur |= 0o1000
			}
			switch op {
			case '+':
				cur |= bits & mask
			case '-':
				cur &^= bits & mask
			case '=':
				cur = cur&^mask | bits&mask
			}
			m = m &^ (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
			m |= fs.FileMode(cur & 0o777)
			if cur&0o4000 != 0 {
				m |= fs.ModeSetuid
			}
			if cur&0o2000 != 0 {
				m |= fs.ModeSetgid
			}
			if cur&0o1000 != 0 {
				m |= fs.ModeSticky
			}
		}
	}
	return m, true
}

// walkTree calls fn for p and, when recursive, everything below it,
// visiting at most MaxWalk nodes.
func (c *cmdCtx) walkTree(p string, recursive bool, fn func(p string, n *node) bool) {
	count := 0
	var rec func(p string, n *node)
	rec = func(p string, n *node) {
		count++
		if count > MaxWalk || !c.in.visit() {
			return
		}
		if !fn(p, n) || !recursive || !n.isDir() {
			return
		}
		ents, err := c.v().readDir(c.cred(), p)
		if err != nil {
			return
		}
		for _, e := range ents {
			rec(path.Join(p, e.name), e.n)
		}
	}
	n, _, err := c.v().lookup(c.cred(), p, true)
	if err != nil {
		return
	}
	rec(p, n)
}

func cmdChmod(c *cmdCtx) int {
	args := c.args
	recursive, verbose := false, false
	var rest []string
	for _, a := range args {
		switch {
		case a == "-R" || a == "--recursive":
			recursive = true
		case a == "-v" || a == "-c" || a == "--verbose":
			verbose = true
		case a == "-f" || a == "--silent" || a == "--quiet":
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) < 2 {
		if len(rest) == 1 {
			return c.fail(1, "missing operand after '%s'\nTry 'chmod --help' for more information.", rest[0])
		}
		return c.fail(1, "missing operand\nTry 'chmod --help' for more information.")
	}
	spec := rest[0]
	if _, ok := parseMode(spec, 0o644, false, c.st.umask); !ok {
		return c.fail(1, "invalid mode: '%s'\nTry 'chmod --help' for more information.", spec)
	}
	status := 0
	for _, f := range rest[1:] {
		abs := c.abs(f)
		if _, _, err := c.v().lookup(c.cred(), abs, true); err != nil {
			c.errorf("cannot access '%s': %s", f, strerror(err))
			status = 1
			continue
		}
		c.walkTree(abs, recursive, func(p string, n *node) bool {
			if n.uid != c.st.acct.uid && !c.root() {
				c.errorf("changing permissions of '%s': Operation not permitted", f)
				status = 1
				return false
			}
			if n.immutable {
				c.errorf("changing permissions of '%s': Operation not permitted", f)
				status = 1
				return false
			}
			m, _ := parseMode(spec, n.mode, n.isDir(), c.st.umask)
			if err := c.v().setattr(c.cred(), p, true, func(x *node) error { x.mode = m; return nil }); err != nil {
				c.errorf("changing permissions of '%s': %s", f, strerror(err))
				status = 1
				return false
			}
			if verbose {
				c.printf("mode of '%s' changed to %04o (%s)\n", f, m.Perm(), modeString(&node{mode: m})[1:])
			}
			return true
		})
	}
	return status
}

func cmdChown(c *cmdCtx) int {
	recursive := false
	var rest []string
	for _, a := range c.args {
		switch {
		case a == "-R" || a == "--recursive":
			recursive = true
		case strings.HasPrefix(a, "-") && len(a) > 1:
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) < 2 {
		return c.fail(1, "missing operand\nTry '%s --help' for more information.", c.name)
	}
	spec := rest[0]
	uid, gid := -1, -1
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if !hasGroup {
		userPart, groupPart, hasGroup = strings.Cut(spec, ".")
		if !hasGroup {
			userPart, groupPart = spec, ""
		}
	}
	if c.name == "chgrp" {
		userPart, groupPart = "", spec
	}
	if userPart != "" {
		if a, ok := c.s.lookupAccount(userPart); ok {
			uid = a.uid
		} else if n, err := strconv.Atoi(userPart); err == nil {
			uid = n
		} else {
			return c.fail(1, "invalid user: %s", quoteName(spec))
		}
	}
	if groupPart != "" {
		found := false
		for _, g := range c.s.groups() {
			if g.name == groupPart {
				gid, found = g.gid, true
			}
		}
		if !found {
			if n, err := strconv.Atoi(groupPart); err == nil {
				gid = n
			} else {
				if c.name == "chgrp" {
					return c.fail(1, "invalid group: %s", quoteName(groupPart))
				}
				return c.fail(1, "invalid group: %s", quoteName(spec))
			}
		}
	}
	status := 0
	for _, f := range rest[1:] {
		abs := c.abs(f)
		if _, _, err := c.v().lookup(c.cred(), abs, true); err != nil {
			c.errorf("cannot access '%s': %s", f, strerror(err))
			status = 1
			continue
		}
		c.walkTree(abs, recursive, func(p string, n *node) bool {
			if !c.root() || n.immutable {
				verb := "ownership"
				if c.name == "chgrp" {
					verb = "group"
				}
				c.errorf("changing %s of '%s': Operation not permitted", verb, f)
				status = 1
				return false
			}
			_ = c.v().setattr(c.cred(), p, true, func(x *node) error {
				if uid >= 0 {
					x.uid = uid
				}
				if gid >= 0 {
					x.gid = gid
				}
				return nil
			})
			return true
		})
	}
	return status
}

func cmdChattr(c *cmdCtx) int {
	var ops, files []string
	recursive := false
	for _, a := range c.args {
		switch {
		case a == "-R":
			recursive = true
		case a == "-V" || a == "-f":
		case strings.HasPrefix(a, "+") || strings.HasPrefix(a, "-") || strings.HasPrefix(a, "="):
			ops = append(ops, a)
		default:
			files = append(files, a)
		}
	}
	if len(ops) == 0 || len(files) == 0 {
		c.print("Usage: chattr [-pRVf] [-+=aAcCdDeijPsStTuFx] [-v version] files...\n")
		return 1
	}
	status := 0
	for _, f := range files {
		abs := c.abs(f)
		if _, _, err := c.v().lookup(c.cred(), abs, true); err != nil {
			c.printf("chattr: %s while trying to stat %s\n", strerror(err), f)
			status = 1
			continue
		}
		c.walkTree(abs, recursive, func(p string, n *node) bool {
			if !c.root() {
				fmt.Fprintf(c.stderr, "chattr: Operation not permitted while setting flags on %s\n", f)
				status = 1
				return false
			}
			_ = c.v().setattr(rootCred, p, true, func(x *node) error {
				for _, op := range ops {
					if strings.Contains(op, "i") {
						x.immutable = op[0] != '-'
					}
				}
				return nil
			})
			return true
		})
	}
	return status
}

func cmdLsattr(c *cmdCtx) int {
	files := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return strings.HasPrefix(a, "-") })
	show := func(name string, n *node) {
		flags := []byte("--------------e-------")
		if n.immutable {
			flags[4] = 'i'
		}
		c.printf("%s %s\n", flags, name)
	}
	if len(files) == 0 {
		ents, err := c.v().readDir(c.cred(), c.st.cwd)
		if err != nil {
			return 1
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.name, ".") {
				show("./"+e.name, e.n)
			}
		}
		return 0
	}
	status := 0
	for _, f := range files {
		n, _, err := c.v().lookup(c.cred(), c.abs(f), true)
		if err != nil {
			fmt.Fprintf(c.stderr, "lsattr: %s while trying to stat %s\n", strerror(err), f)
			status = 1
			continue
		}
		if n.isDir() {
			ents, _ := c.v().readDir(c.cred(), c.abs(f))
			for _, e := range ents {
				show(strings.TrimSuffix(f, "/")+"/"+e.name, e.n)
			}
			continue
		}
		show(f, n)
	}
	return status
}

// describeFile is what file(1) says about content.
func describeFile(data []byte, hash string) string {
	switch {
	case len(data) == 0:
		return "empty"
	case len(data) >= 20 && string(data[:4]) == "\x7fELF":
		bits := "32-bit"
		if data[4] == 2 {
			bits = "64-bit"
		}
		endian := "LSB"
		if data[5] == 2 {
			endian = "MSB"
		}
		machine := map[byte]string{0x3e: "x86-64", 0x03: "Intel 80386", 0x28: "ARM, EABI5 version 1 (SYSV)", 0xb7: "ARM aarch64", 0x08: "MIPS, MIPS-I version 1 (SYSV)", 0x14: "PowerPC or cisco 4500", 0x2a: "Renesas SH", 0x02: "SPARC"}[data[18]]
		if machine == "" {
			machine = "unknown arch"
		}
		if data[18] == 0x3e || data[18] == 0xb7 {
			if data[16] == 3 {
				return fmt.Sprintf("ELF %s %s pie executable, %s, version 1 (SYSV), dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2, BuildID[sha1]=%s, for GNU/Linux 3.2.0, stripped", bits, endian, machine, hash)
			}
			return fmt.Sprintf("ELF %s %s executable, %s, version 1 (SYSV), statically linked, stripped", bits, endian, machine)
		}
		return fmt.Sprintf("ELF %s %s executable, %s, statically linked, stripped", bits, endian, machine)
	case len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b:
		return "gzip compressed data, from Unix"
	case len(data) > 4 && string(data[:4]) == "PK\x03\x04":
		return "Zip archive data, at least v2.0 to extract, compression method=deflate"
	case len(data) > 3 && string(data[:3]) == "BZh":
		return "bzip2 compressed data, block size = 900k"
	case len(data) > 6 && string(data[:6]) == "\xfd7zXZ\x00":
		return "XZ compressed data, checksum CRC64"
	case len(data) > 262 && string(data[257:262]) == "ustar":
		return "POSIX tar archive (GNU)"
	case strings.HasPrefix(string(data), "#!"):
		first, _, _ := strings.Cut(string(data), "\n")
		crlf := ""
		if strings.Contains(string(data), "\r\n") {
			crlf = ", with CRLF line terminators"
		}
		switch {
		case strings.Contains(first, "bash"):
			return "Bourne-Again shell script, ASCII text executable" + crlf
		case strings.Contains(first, "python"):
			return "Python script, ASCII text executable" + crlf
		case strings.Contains(first, "perl"):
			return "Perl script text executable" + crlf
		case strings.Contains(first, "sh"):
			return "POSIX shell script, ASCII text executable" + crlf
		}
		return "a " + strings.TrimSpace(first[2:]) + " script, ASCII text executable" + crlf
	case isText(data):
		ascii := true
		for _, b := range data {
			if b >= 0x80 {
				ascii = false
				break
			}
		}
		if len(data) > 0 && strings.Contains(string(data), "\r\n") {
			return "ASCII text, with CRLF line terminators"
		}
		if ascii {
			return "ASCII text"
		}
		return "Unicode text, UTF-8 text"
	}
	return "data"
}

func cmdFile(c *cmdCtx) int {
	files := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return strings.HasPrefix(a, "-") })
	if len(files) == 0 {
		c.print("Usage: file [-bcdEhikLlNnprsSvzZ0] [--apple] [--extension] [--mime-encoding]\n            [--mime-type] [-e <testname>] [-F <separator>]  [-f <namefile>]\n            [-m <magicfiles>] [-P <parameter=value>] [--exclude-quiet]\n            <file> ...\n       file -C [-m <magicfiles>]\n       file [--help]\n")
		return 1
	}
	brief := slices.Contains(c.args, "-b")
	for _, f := range files {
		prefix := f + ": "
		if brief {
			prefix = ""
		}
		n, _, err := c.v().lookup(c.cred(), c.abs(f), false)
		if err != nil {
			c.printf("%scannot open `%s' (%s)\n", prefix, f, strerror(err))
			continue
		}
		switch {
		case n.isLink():
			c.printf("%ssymbolic link to %s\n", prefix, n.target)
		case n.isDir():
			if n.mode&fs.ModeSticky != 0 {
				c.printf("%ssticky, directory\n", prefix)
			} else {
				c.printf("%sdirectory\n", prefix)
			}
		case n.isDev():
			c.printf("%scharacter special (%d/%d)\n", prefix, n.major, n.minor)
		case n.gen != nil:
			c.printf("%sempty\n", prefix)
		default:
			if !c.cred().can(n, permR) {
				c.printf("%sregular file, no read permission\n", prefix)
				continue
			}
			desc := describeFile(n.data, fmt.Sprintf("%016x%016x%08x", fnv64(f), fnv64(f+"1"), uint32(fnv64(f+"2"))))
			if n.mode&fs.ModeSetuid != 0 && strings.HasPrefix(desc, "ELF") {
				desc = "setuid " + desc
			}
			c.printf("%s%s\n", prefix, desc)
		}
	}
	return 0
}

func cmdDu(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "shacxkmLd:", false, "summarize", "human-readable", "all", "total", "max-depth=", "apparent-size")
	if !ok {
		return 1
	}
	human := o.has('h') || o.hasLong("human-readable")
	summary := o.has('s') || o.hasLong("summarize")
	maxDepth := -1
	if d := o.val('d') + o.longVal("max-depth"); d != "" {
		maxDepth, _ = strconv.Atoi(d)
	}
	targets := o.rest
	if len(targets) == 0 {
		targets = []string{"."}
	}
	fmtSize := func(kb int64) string {
		if human {
			if kb == 0 {
				return "0"
			}
			return lsHuman(kb * 1024)
		}
		if o.has('m') {
			return strconv.FormatInt((kb+1023)/1024, 10)
		}
		return strconv.FormatInt(kb, 10)
	}
	var grand int64
	status := 0
	visited := 0
	for _, t := range targets {
		abs := c.abs(t)
		n, _, err := c.v().lookup(c.cred(), abs, true)
		if err != nil {
			c.errorf("cannot access '%s': %s", t, strerror(err))
			status = 1
			continue
		}
		var walk func(p, show string, n *node, depth int) int64
		walk = func(p, show string, n *node, depth int) int64 {
			visited++
			if visited > MaxWalk || !c.in.visit() {
				return 0
			}
			size := blocksOf(n)
			if n.isDir() {
				ents, err := c.v().readDir(c.cred(), p)
				if err != nil {
					c.errorf("cannot read directory '%s': %s", show, strerror(err))
					status = 1
				}
				for _, e := range ents {
					sub := strings.TrimSuffix(show, "/") + "/" + e.name
					if e.n.isDir() {
						size += walk(path.Join(p, e.name), sub, e.n, depth+1)
					} else {
						size += blocksOf(e.n)
						if o.has('a') && !summary && (maxDepth < 0 || depth+1 <= maxDepth) {
							c.printf("%s\t%s\n", fmtSize(blocksOf(e.n)), sub)
						}
					}
				}
			}
			if !summary && (maxDepth < 0 || depth <= maxDepth) || summary && depth == 0 {
				c.printf("%s\t%s\n", fmtSize(size), show)
			}
			return size
		}
		grand += walk(abs, t, n, 0)
	}
	if o.has('c') || o.hasLong("total") {
		c.printf("%s\ttotal\n", fmtSize(grand))
	}
	return status
}

func cmdDf(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "hHTiklPax:t:", false, "human-readable", "print-type", "inodes", "all", "total", "local", "output=")
	if !ok {
		return 1
	}
	f := c.fsys()
	h := f.hw
	human := o.has('h') || o.has('H') || o.hasLong("human-readable")
	total := int64(h.diskGB) * 1024 * 1024 * 97 / 100
	used := total * int64(h.diskUsed) / 100
	rows := [][]string{}
	type fsRow struct {
		dev, typ  string
		size, use int64
		mnt       string
	}
	memK := h.memKB
	list := []fsRow{
		{"tmpfs", "tmpfs", memK / 10, 1100 + int64(fnv64(f.p.Hostname)%900), "/run"},
		{f.rootDev(), f.rootFSType(), total, used, "/"},
		{"tmpfs", "tmpfs", memK / 2, 0, "/dev/shm"},
		{"tmpfs", "tmpfs", 5120, 0, "/run/lock"},
	}
	if f.d.family == "rhel" {
		list = append(list, fsRow{"/dev/" + h.disk + "1", "xfs", 1038336, 190000 + int64(fnv64(f.p.KernelRelease)%60000), "/boot"})
	}
	list = append(list, fsRow{"tmpfs", "tmpfs", memK / 10, 4, fmt.Sprintf("/run/user/%d", c.st.acct.uid)})
	if f.d.family == "alpine" {
		list = []fsRow{
			{"/dev/" + h.disk + "3", "ext4", total, used, "/"},
			{"devtmpfs", "devtmpfs", 10240, 0, "/dev"},
			{"shm", "tmpfs", memK / 2, 0, "/dev/shm"},
			{"/dev/" + h.disk + "1", "ext4", 289293, 31228, "/boot"},
			{"tmpfs", "tmpfs", memK / 5, 104, "/run"},
		}
	}
	sizeHdr := "1K-blocks"
	if human {
		sizeHdr = "Size"
	}
	hdr := []string{"Filesystem", sizeHdr, "Used", "Available", "Use%", "Mounted on"}
	if human {
		hdr[3] = "Avail"
	}
	if o.has('T') || o.hasLong("print-type") {
		hdr = slices.Insert(hdr, 1, "Type")
	}
	rows = append(rows, hdr)
	for _, r := range list {
		avail := r.size - r.use
		pct := "0%"
		if r.size > 0 {
			pct = fmt.Sprintf("%d%%", (r.use*100+r.size-1)/r.size)
		}
		num := func(kb int64) string {
			if human {
				if kb == 0 {
					return "0"
				}
				return lsHuman(kb * 1024)
			}
			return strconv.FormatInt(kb, 10)
		}
		row := []string{r.dev, num(r.size), num(r.use), num(avail), pct, r.mnt}
		if o.has('T') || o.hasLong("print-type") {
			row = slices.Insert(row, 1, r.typ)
		}
		rows = append(rows, row)
	}
	typed := o.has('T') || o.hasLong("print-type")
	// GNU df's minimum column widths: 14 for the source, 5 for sizes, 4
	// for Use%.
	mins := []int{14, 5, 5, 5, 4, 0}
	if typed {
		mins = slices.Insert(mins, 1, 4)
	}
	for i := range rows[0] {
		for len(rows[0][i]) < mins[i] && i != len(rows[0])-1 {
			if i == 0 || typed && i == 1 {
				rows[0][i] += " "
			} else {
				rows[0][i] = " " + rows[0][i]
			}
		}
	}
	c.print(alignColumns(rows, func(i int) bool {
		if typed {
			return i >= 2 && i <= 5
		}
		return i >= 1 && i <= 4
	}))
	return 0
}

func cmdStat(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "Lc:f", false, "format=", "printf=", "dereference", "terse")
	if !ok {
		return 1
	}
	if len(o.rest) == 0 {
		return c.fail(1, "missing operand\nTry 'stat --help' for more information.")
	}
	nm := c.s.names()
	status := 0
	for _, f := range o.rest {
		n, rp, err := c.v().lookup(c.cred(), c.abs(f), o.has('L'))
		if err != nil {
			c.errorf("cannot statx '%s': %s", f, strerror(err))
			status = 1
			continue
		}
		kind := "regular file"
		switch {
		case n.isDir():
			kind = "directory"
		case n.isLink():
			kind = "symbolic link"
		case n.isDev():
			kind = "character special file"
		case n.displaySize() == 0:
			kind = "regular empty file"
		}
		perm := int(n.mode.Perm())
		if n.mode&fs.ModeSetuid != 0 {
			perm |= 0o4000
		}
		if n.mode&fs.ModeSetgid != 0 {
			perm |= 0o2000
		}
		if n.mode&fs.ModeSticky != 0 {
			perm |= 0o1000
		}
		if format := o.val('c') + o.longVal("format") + o.longVal("printf"); format != "" {
			r := strings.NewReplacer("%a", fmt.Sprintf("%o", perm), "%A", modeString(n), "%U", nm.user(n.uid), "%G", nm.group(n.gid),
				"%u", strconv.Itoa(n.uid), "%g", strconv.Itoa(n.gid), "%s", strconv.FormatInt(n.displaySize(), 10), "%n", f,
				"%F", kind, "%y", n.mtime.Format("2006-01-02 15:04:05.000000000 -0700"), "%Y", strconv.FormatInt(n.mtime.Unix(), 10),
				"%i", strconv.FormatUint(inode(rp), 10), "%h", "1", "%%", "%")
			c.print(r.Replace(format) + "\n")
			continue
		}
		name := f
		if n.isLink() {
			name = f + " -> " + n.target
		}
		ts := n.mtime.Format("2006-01-02 15:04:05.000000000 -0700")
		c.printf("  File: %s\n  Size: %-15d Blocks: %-10d IO Block: 4096   %s\nDevice: fd01h/64769d\tInode: %-11d Links: 1\nAccess: (%04o/%s)  Uid: (%5d/%8s)   Gid: (%5d/%8s)\nAccess: %s\nModify: %s\nChange: %s\n Birth: %s\n",
			name, n.displaySize(), blocksOf(n)*2, kind, inode(rp), perm, modeString(n), n.uid, nm.user(n.uid), n.gid, nm.group(n.gid), ts, ts, ts, ts)
	}
	return status
}

func cmdReadlink(c *cmdCtx) int {
	canon := false
	var files []string
	for _, a := range c.args {
		switch {
		case a == "-f" || a == "-e" || a == "-m" || a == "--canonicalize":
			canon = true
		case strings.HasPrefix(a, "-"):
		default:
			files = append(files, a)
		}
	}
	status := 0
	for _, f := range files {
		if canon {
			_, rp, err := c.v().lookup(c.cred(), c.abs(f), true)
			if err != nil {
				status = 1
				continue
			}
			c.print(rp + "\n")
			continue
		}
		n, _, err := c.v().lookup(c.cred(), c.abs(f), false)
		if err != nil || !n.isLink() {
			status = 1
			continue
		}
		c.print(n.target + "\n")
	}
	return status
}

func cmdRealpath(c *cmdCtx) int {
	status := 0
	for _, f := range c.args {
		if strings.HasPrefix(f, "-") {
			continue
		}
		_, rp, err := c.v().lookup(c.cred(), c.abs(f), true)
		if err != nil {
			c.errorf("%s: %s", f, strerror(err))
			status = 1
			continue
		}
		c.print(rp + "\n")
	}
	return status
}

func cmdBasename(c *cmdCtx) int {
	args := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return a == "-a" || a == "--" })
	if len(args) == 0 {
		return c.fail(1, "missing operand\nTry 'basename --help' for more information.")
	}
	b := path.Base(args[0])
	if len(args) > 1 && strings.HasSuffix(b, args[1]) && b != args[1] {
		b = strings.TrimSuffix(b, args[1])
	}
	c.print(b + "\n")
	return 0
}

func cmdDirname(c *cmdCtx) int {
	if len(c.args) == 0 {
		return c.fail(1, "missing operand\nTry 'dirname --help' for more information.")
	}
	for _, a := range c.args {
		c.print(path.Dir(a) + "\n")
	}
	return 0
}

func cmdMktemp(c *cmdCtx) int {
	dir := false
	tmpl := "tmp.XXXXXXXXXX"
	base := "/tmp"
	custom := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-d" || a == "--directory":
			dir = true
		case a == "-p" && i+1 < len(c.args):
			base = c.args[i+1]
			i++
		case a == "-t" || a == "-u" || a == "-q":
		default:
			tmpl, custom = a, true
		}
	}
	x := strings.Count(tmpl, "X")
	if x < 3 {
		return c.fail(1, "too few X's in template '%s'", tmpl)
	}
	name := strings.TrimRight(tmpl, "X") + c.s.rng.chars(len(tmpl)-len(strings.TrimRight(tmpl, "X")), alnumChars)
	p := name
	if !custom || !strings.Contains(tmpl, "/") {
		p = path.Join(base, name)
	}
	var err error
	if dir {
		err = c.v().mkdir(c.cred(), c.abs(p), 0o700, c.now)
	} else {
		err = c.v().writeFile(c.cred(), c.abs(p), nil, false, 0o600, c.now)
	}
	if err != nil {
		return c.fail(1, "failed to create file via template '%s': %s", tmpl, strerror(err))
	}
	c.print(p + "\n")
	return 0
}

func cmdWhich(c *cmdCtx) int {
	all := false
	status := 0
	for _, a := range c.args {
		if a == "-a" {
			all = true
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		p := c.which(a)
		if p == "" {
			status = 1
			continue
		}
		c.print(p + "\n")
		if all {
			pv, _ := c.st.get("PATH")
			for _, d := range strings.Split(pv, ":") {
				q := path.Join(d, a)
				if q == p {
					continue
				}
				if n, _, err := c.v().lookup(c.cred(), q, true); err == nil && !n.isDir() {
					c.print(q + "\n")
				}
			}
		}
	}
	return status
}

func cmdWhereis(c *cmdCtx) int {
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		out := a + ":"
		for _, d := range []string{"/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"} {
			p := d + "/" + a
			if n, _, err := c.v().lookup(c.cred(), p, false); err == nil && !n.isDir() {
				if !strings.HasPrefix(d, "/usr") && c.fsys().d.usrMerge {
					continue
				}
				out += " " + p
			}
		}
		if len(out) > len(a)+1 {
			out += " /usr/share/man/man1/" + a + ".1.gz"
		}
		c.print(out + "\n")
	}
	return 0
}
