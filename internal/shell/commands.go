package shell

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// cmdFunc is the Go implementation of one command; it returns the exit
// status.
type cmdFunc func(c *cmdCtx) int

// cmdSpec registers a command that lives in the filesystem.
type cmdSpec struct {
	fn cmdFunc
	// bin is the traditional directory: bin, sbin, usr/bin or usr/sbin.
	bin string
	// size is what ls shows for the binary; 0 derives one from the name.
	size int64
	// busybox marks a BusyBox applet (a link to /bin/busybox on Alpine).
	busybox bool
	// avail limits the command to some distros; nil means all.
	avail func(d *distro) bool
	// mode overrides the permission bits (setuid tools).
	mode fs.FileMode
}

func (s *cmdSpec) available(d *distro) bool { return s.avail == nil || s.avail(d) }

// perm returns the file mode bits, turning the octal 04000/02000 of the
// table into fs.ModeSetuid/ModeSetgid.
func (s *cmdSpec) perm() fs.FileMode {
	if s.mode == 0 {
		return 0o755
	}
	m := s.mode & 0o777
	if s.mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if s.mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	return m
}

// cmdTable holds the commands that exist as files, by name; builtins holds
// the shell's own builtins. Both are filled by init functions and read-only
// afterwards.
var (
	cmdTable = map[string]*cmdSpec{}
	builtins = map[string]cmdFunc{}
)

func register(name string, s cmdSpec) { cmdTable[name] = &s }

// Availability helpers.
func onlyFamily(fams ...string) func(*distro) bool {
	return func(d *distro) bool {
		for _, f := range fams {
			if d.family == f {
				return true
			}
		}
		return false
	}
}

func notFamily(fams ...string) func(*distro) bool {
	in := onlyFamily(fams...)
	return func(d *distro) bool { return !in(d) }
}

// cmdCtx is what a command sees: its arguments and streams, the shell
// state and the session.
type cmdCtx struct {
	in     *interp
	s      *Session
	st     *shellState
	ctx    context.Context
	name   string
	argv0  string
	args   []string
	stdin  *input
	stdout io.Writer
	stderr io.Writer
	tty    bool
	text   string
	now    time.Time
	io     stdio
}

func (c *cmdCtx) printf(format string, a ...any) { fmt.Fprintf(c.stdout, format, a...) }
func (c *cmdCtx) print(s string)                 { io.WriteString(c.stdout, s) }

// errorf writes "name: message" to stderr.
func (c *cmdCtx) errorf(format string, a ...any) {
	fmt.Fprintf(c.stderr, c.name+": "+format+"\n", a...)
}

// fail writes "name: message" and returns status.
func (c *cmdCtx) fail(status int, format string, a ...any) int {
	c.errorf(format, a...)
	return status
}

// fileErr reports a failed file operation in coreutils style.
func (c *cmdCtx) fileErr(verb, p string, err error) {
	if verb != "" {
		c.errorf("%s '%s': %s", verb, p, strerror(err))
		return
	}
	c.errorf("%s: %s", p, strerror(err))
}

func (c *cmdCtx) abs(p string) string { return c.in.abs(p) }
func (c *cmdCtx) cred() cred          { return c.st.cred() }
func (c *cmdCtx) root() bool          { return c.st.acct.uid == 0 }
func (c *cmdCtx) v() *view            { return c.s.v }
func (c *cmdCtx) fsys() *FS           { return c.s.fs }

// readFile reads p (relative to the working directory) as the user.
func (c *cmdCtx) readFile(p string) ([]byte, error) {
	return c.s.v.readFile(c.cred(), c.abs(p), c.now)
}

// writeFile writes p as the user.
func (c *cmdCtx) writeFile(p string, data []byte, app bool) error {
	return c.s.v.writeFile(c.cred(), c.abs(p), data, app, fs.FileMode(0o666&^c.st.umask), c.now)
}

// inputs returns the contents of the named files, or stdin when there are
// none or a name is "-", reporting unreadable files; ok is false if any
// failed.
func (c *cmdCtx) inputs(files []string, each func(name string, data []byte)) bool {
	if len(files) == 0 {
		each("-", c.stdin.rest())
		return true
	}
	ok := true
	for _, f := range files {
		if c.ctx.Err() != nil {
			return false
		}
		if f == "-" {
			each("-", c.stdin.rest())
			continue
		}
		data, err := c.readFile(f)
		if err != nil {
			c.fileErr("", f, err)
			ok = false
			continue
		}
		each(f, data)
	}
	return ok
}

// opts is the result of getopt.
type opts struct {
	flags map[byte]int
	vals  map[byte]string
	long  map[string]string
	rest  []string
}

func (o opts) has(f byte) bool         { return o.flags[f] > 0 }
func (o opts) val(f byte) string       { return o.vals[f] }
func (o opts) hasLong(n string) bool   { _, ok := o.long[n]; return ok }
func (o opts) longVal(n string) string { return o.long[n] }

// getopt parses GNU-style options. spec lists the short flags, a ':' after
// a letter meaning it takes a value; longs lists long options, "name=" for
// ones taking a value. Operands and options may be mixed unless posix is
// set (then options end at the first operand). An unknown option is
// reported as GNU tools do and ok is false.
func (c *cmdCtx) getopt(args []string, spec string, posix bool, longs ...string) (opts, bool) {
	o := opts{flags: map[byte]int{}, vals: map[byte]string{}, long: map[string]string{}}
	takes := func(f byte) (known, val bool) {
		i := strings.IndexByte(spec, f)
		if i < 0 || f == ':' {
			return false, false
		}
		return true, i+1 < len(spec) && spec[i+1] == ':'
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.rest = append(o.rest, args[i+1:]...)
			return o, true
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			match := ""
			needs := false
			for _, l := range longs {
				ln := strings.TrimSuffix(l, "=")
				if ln == name {
					match, needs = ln, strings.HasSuffix(l, "=")
					break
				}
				if strings.HasPrefix(ln, name) && match == "" {
					match, needs = ln, strings.HasSuffix(l, "=")
				}
			}
			if match == "" {
				c.errorf("unrecognized option '%s'", a)
				c.printTry()
				return o, false
			}
			if needs && !hasVal {
				if i+1 >= len(args) {
					c.errorf("option '--%s' requires an argument", match)
					c.printTry()
					return o, false
				}
				i++
				val = args[i]
			}
			o.long[match] = val
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				known, needs := takes(a[j])
				if !known {
					c.errorf("invalid option -- '%c'", a[j])
					c.printTry()
					return o, false
				}
				o.flags[a[j]]++
				if needs {
					if j+1 < len(a) {
						o.vals[a[j]] = a[j+1:]
					} else if i+1 < len(args) {
						i++
						o.vals[a[j]] = args[i]
					} else {
						c.errorf("option requires an argument -- '%c'", a[j])
						c.printTry()
						return o, false
					}
					break
				}
			}
		default:
			if posix {
				o.rest = append(o.rest, args[i:]...)
				return o, true
			}
			o.rest = append(o.rest, a)
		}
	}
	return o, true
}

func (c *cmdCtx) printTry() {
	fmt.Fprintf(c.stderr, "Try '%s --help' for more information.\n", c.name)
}

// baseName is path.Base that keeps "/" and "" sensible.
func baseName(p string) string {
	if p == "" {
		return ""
	}
	return path.Base(p)
}
