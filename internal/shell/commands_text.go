package shell

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func init() {
	register("head", cmdSpec{fn: cmdHead, bin: "usr/bin", size: 43432, busybox: true})
	register("tail", cmdSpec{fn: cmdTail, bin: "usr/bin", size: 68032, busybox: true})
	register("grep", cmdSpec{fn: cmdGrep, bin: "bin", size: 186080, busybox: true})
	register("egrep", cmdSpec{fn: cmdGrep, bin: "bin", size: 41, busybox: true})
	register("fgrep", cmdSpec{fn: cmdGrep, bin: "bin", size: 41, busybox: true})
	register("wc", cmdSpec{fn: cmdWc, bin: "usr/bin", size: 43528, busybox: true})
	register("sort", cmdSpec{fn: cmdSort, bin: "usr/bin", size: 117576, busybox: true})
	register("uniq", cmdSpec{fn: cmdUniq, bin: "usr/bin", size: 43528, busybox: true})
	register("cut", cmdSpec{fn: cmdCut, bin: "usr/bin", size: 43528, busybox: true})
	register("tr", cmdSpec{fn: cmdTr, bin: "usr/bin", size: 51784, busybox: true})
	register("tee", cmdSpec{fn: cmdTee, bin: "usr/bin", size: 39432, busybox: true})
	register("base64", cmdSpec{fn: cmdBase64, bin: "usr/bin", size: 39432, busybox: true})
	register("md5sum", cmdSpec{fn: cmdHashsum, bin: "usr/bin", size: 47616, busybox: true})
	register("sha1sum", cmdSpec{fn: cmdHashsum, bin: "usr/bin", size: 47616, busybox: true})
	register("sha256sum", cmdSpec{fn: cmdHashsum, bin: "usr/bin", size: 55808, busybox: true})
	register("sha512sum", cmdSpec{fn: cmdHashsum, bin: "usr/bin", size: 59904, busybox: true})
	register("seq", cmdSpec{fn: cmdSeq, bin: "usr/bin", size: 47616, busybox: true})
	register("yes", cmdSpec{fn: cmdYes, bin: "usr/bin", size: 35280, busybox: true})
	register("rev", cmdSpec{fn: cmdRev, bin: "usr/bin", size: 14648, busybox: true})
	register("tac", cmdSpec{fn: cmdTac, bin: "usr/bin", size: 39432, busybox: true})
	register("nl", cmdSpec{fn: cmdNl, bin: "usr/bin", size: 43528, busybox: true})
	register("xargs", cmdSpec{fn: cmdXargs, bin: "usr/bin", size: 68216, busybox: true})
	register("strings", cmdSpec{fn: cmdStrings, bin: "usr/bin", size: 35336, busybox: true})
	register("xxd", cmdSpec{fn: cmdXxd, bin: "usr/bin", size: 18712, busybox: true})
	register("hexdump", cmdSpec{fn: cmdHexdump, bin: "usr/bin", size: 55744, busybox: true})
	register("od", cmdSpec{fn: cmdHexdump, bin: "usr/bin", size: 76640, busybox: true})
	register("less", cmdSpec{fn: cmdCat, bin: "usr/bin", size: 180064, busybox: true})
	register("more", cmdSpec{fn: cmdCat, bin: "bin", size: 47480, busybox: true})
	register("vi", cmdSpec{fn: cmdEditor, bin: "usr/bin", size: 1678200, busybox: true})
	register("vim", cmdSpec{fn: cmdEditor, bin: "usr/bin", size: 3753208, avail: notFamily("alpine")})
	register("nano", cmdSpec{fn: cmdEditor, bin: "bin", size: 283144, avail: onlyFamily("debian", "arch")})
	register("column", cmdSpec{fn: cmdCat, bin: "usr/bin", size: 30952, avail: notFamily("alpine")})
}

// headCount turns "-5" into "-n 5", as head and tail accept.
func numericFlag(args []string) []string {
	out := make([]string, 0, len(args))
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' && allDigits(a[1:]) {
			out = append(out, "-n", a[1:])
			continue
		}
		out = append(out, a)
	}
	return out
}

func cmdHead(c *cmdCtx) int {
	o, ok := c.getopt(numericFlag(c.args), "n:c:qv", false, "lines=", "bytes=", "quiet", "silent", "verbose")
	if !ok {
		return 1
	}
	lines, bytesN := 10, -1
	if v := o.val('n') + o.longVal("lines"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c.fail(1, "invalid number of lines: '%s'", v)
		}
		lines = n
	}
	if v := o.val('c') + o.longVal("bytes"); v != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(v, "K"), "k"))
		if err != nil {
			return c.fail(1, "invalid number of bytes: '%s'", v)
		}
		if strings.HasSuffix(strings.ToLower(v), "k") {
			n *= 1024
		}
		bytesN = n
	}
	multi := len(o.rest) > 1
	first := true
	ok = c.inputs(o.rest, func(name string, data []byte) {
		if multi && !o.has('q') || o.has('v') {
			if !first {
				c.print("\n")
			}
			if name == "-" {
				name = "standard input"
			}
			c.printf("==> %s <==\n", name)
		}
		first = false
		if bytesN >= 0 {
			c.stdout.Write(data[:min(bytesN, len(data))])
			return
		}
		if lines < 0 {
			ls := splitLinesKeep(data)
			if -lines < len(ls) {
				c.stdout.Write(bytes.Join(ls[:len(ls)+lines], nil))
			}
			return
		}
		end := 0
		for i := 0; i < lines && end < len(data); i++ {
			j := bytes.IndexByte(data[end:], '\n')
			if j < 0 {
				end = len(data)
				break
			}
			end += j + 1
		}
		c.stdout.Write(data[:end])
	})
	return b2i(!ok)
}

// splitLinesKeep splits data after each newline.
func splitLinesKeep(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	return bytes.SplitAfter(data, []byte("\n"))[:bytes.Count(data, []byte("\n"))+b2i(!bytes.HasSuffix(data, []byte("\n")))]
}

func cmdTail(c *cmdCtx) int {
	args := numericFlag(c.args)
	for i, a := range args {
		if len(a) > 1 && a[0] == '+' && allDigits(a[1:]) {
			args[i] = "-n" + a
		}
	}
	o, ok := c.getopt(args, "n:c:fFqvs:", false, "lines=", "bytes=", "follow", "retry", "quiet", "verbose", "pid=", "sleep-interval=")
	if !ok {
		return 1
	}
	lines, fromStart, bytesN := 10, false, -1
	if v := o.val('n') + o.longVal("lines"); v != "" {
		if strings.HasPrefix(v, "+") {
			fromStart = true
			v = v[1:]
		}
		n, err := strconv.Atoi(strings.TrimPrefix(v, "-"))
		if err != nil {
			return c.fail(1, "invalid number of lines: '%s'", v)
		}
		lines = n
	}
	if v := o.val('c') + o.longVal("bytes"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return c.fail(1, "invalid number of bytes: '%s'", v)
		}
		bytesN = n
	}
	multi := len(o.rest) > 1
	first := true
	ok = c.inputs(o.rest, func(name string, data []byte) {
		if multi && !o.has('q') {
			if !first {
				c.print("\n")
			}
			c.printf("==> %s <==\n", name)
		}
		first = false
		if bytesN >= 0 {
			c.stdout.Write(data[max(0, len(data)-bytesN):])
			return
		}
		ls := splitLinesKeep(data)
		if fromStart {
			if lines > 0 && lines-1 < len(ls) {
				c.stdout.Write(bytes.Join(ls[lines-1:], nil))
			}
			return
		}
		c.stdout.Write(bytes.Join(ls[max(0, len(ls)-lines):], nil))
	})
	if o.has('f') || o.has('F') || o.hasLong("follow") {
		// Following would block forever; wait the capped time, as if the
		// intruder watched the file and pressed ^C.
		c.s.sleep(c.ctx, MaxSleep)
	}
	return b2i(!ok)
}

// breToRE2 converts a POSIX basic regular expression to Go syntax: in a
// BRE \( \) \{ \} \| \+ \? are operators and the bare characters literal.
func breToRE2(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\' && i+1 < len(s):
			n := s[i+1]
			i++
			switch n {
			case '(', ')', '{', '}', '|', '+', '?':
				b.WriteByte(n)
			case '<', '>':
				b.WriteString(`\b`)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case ch == '(' || ch == ')' || ch == '{' || ch == '}' || ch == '|' || ch == '+' || ch == '?':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch == '*' && (i == 0 || s[i-1] == '^' && i == 1):
			b.WriteString(`\*`)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// ereToRE2 fixes the few ERE spellings Go rejects (\< \>).
func ereToRE2(s string) string {
	return strings.NewReplacer(`\<`, `\b`, `\>`, `\b`).Replace(s)
}

// maxPattern bounds a regular expression's source; RE2 is linear in input
// but compiling a huge pattern costs memory.
const maxPattern = 8 << 10

const (
	grepMatchColor = "\x1b[01;31m\x1b[K"
	grepFileColor  = "\x1b[35m\x1b[K"
	grepSepColor   = "\x1b[36m\x1b[K"
	grepLineColor  = "\x1b[32m\x1b[K"
	grepReset      = "\x1b[m\x1b[K"
)

func cmdGrep(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "ivcnlLrREFwxoqshHe:f:m:A:B:C:aIzZ", false, "ignore-case", "invert-match", "count", "line-number",
		"files-with-matches", "files-without-match", "recursive", "extended-regexp", "fixed-strings", "word-regexp", "line-regexp",
		"only-matching", "quiet", "silent", "no-messages", "with-filename", "no-filename", "regexp=", "file=", "max-count=", "color=", "colour=",
		"include=", "exclude=", "exclude-dir=", "text", "binary-files=", "null", "after-context=", "before-context=", "context=", "help", "version")
	if !ok {
		return 2
	}
	if o.hasLong("version") {
		c.print("grep (GNU grep) 3.7\n")
		return 0
	}
	var pats []string
	if e := o.val('e') + o.longVal("regexp"); e != "" {
		pats = append(pats, e)
	}
	if pf := o.val('f') + o.longVal("file"); pf != "" {
		data, err := c.readFile(pf)
		if err != nil {
			return c.fail(2, "%s: %s", pf, strerror(err))
		}
		pats = append(pats, strings.Split(strings.TrimRight(string(data), "\n"), "\n")...)
	}
	files := o.rest
	if len(pats) == 0 {
		if len(files) == 0 {
			fmt.Fprintf(c.stderr, "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n")
			return 2
		}
		pats, files = []string{files[0]}, files[1:]
	}
	fixed := o.has('F') || o.hasLong("fixed-strings") || c.name == "fgrep"
	ext := o.has('E') || o.hasLong("extended-regexp") || c.name == "egrep"
	var alts []string
	for _, p := range pats {
		for _, line := range strings.Split(p, "\n") {
			switch {
			case fixed:
				alts = append(alts, regexp.QuoteMeta(line))
			case ext:
				alts = append(alts, ereToRE2(line))
			default:
				alts = append(alts, breToRE2(line))
			}
		}
	}
	src := strings.Join(alts, "|")
	if len(alts) > 1 {
		src = "(?:" + strings.Join(alts, ")|(?:") + ")"
	}
	if o.has('w') || o.hasLong("word-regexp") {
		src = `\b(?:` + src + `)\b`
	}
	if o.has('x') || o.hasLong("line-regexp") {
		src = `^(?:` + src + `)$`
	}
	if o.has('i') || o.hasLong("ignore-case") {
		src = "(?i)" + src
	}
	if len(src) > maxPattern {
		return c.fail(2, "regular expression too big")
	}
	re, err := regexp.Compile(src)
	if err != nil {
		msg := "Invalid regular expression"
		switch {
		case strings.Contains(err.Error(), "missing closing )"):
			msg = "Unmatched ( or \\("
		case strings.Contains(err.Error(), "missing closing ]"):
			msg = "Unmatched [, [^, [:, [., or [="
		case strings.Contains(err.Error(), "invalid escape"):
			msg = "Invalid back reference"
		}
		return c.fail(2, "%s", msg)
	}
	invert := o.has('v') || o.hasLong("invert-match")
	count := o.has('c') || o.hasLong("count")
	quiet := o.has('q') || o.hasLong("quiet") || o.hasLong("silent")
	listFiles := o.has('l') || o.hasLong("files-with-matches")
	listMissing := o.has('L') || o.hasLong("files-without-match")
	only := o.has('o') || o.hasLong("only-matching")
	numbers := o.has('n') || o.hasLong("line-number")
	noMsgs := o.has('s') || o.hasLong("no-messages")
	recursive := o.has('r') || o.has('R') || o.hasLong("recursive")
	maxCount := -1
	if m := o.val('m') + o.longVal("max-count"); m != "" {
		maxCount, _ = strconv.Atoi(m)
	}
	color := false
	if cv, okc := o.long["color"]; okc {
		color = cv == "always" || cv == "" || cv == "auto" && c.tty
	}
	if cv, okc := o.long["colour"]; okc {
		color = cv == "always" || cv == "auto" && c.tty
	}
	if recursive && len(files) == 0 {
		files = []string{"."}
	}
	showNames := len(files) > 1 || recursive
	if o.has('h') || o.hasLong("no-filename") {
		showNames = false
	}
	if o.has('H') || o.hasLong("with-filename") {
		showNames = true
	}
	oldGrep := c.fsys().p.Distro == "centos7"
	matchedAny := false
	status := 1
	errored := false
	grepData := func(name string, data []byte) {
		if c.ctx.Err() != nil {
			return
		}
		display := name
		if name == "-" {
			display = "(standard input)"
		}
		binary := bytes.IndexByte(data[:min(len(data), 32768)], 0) >= 0 && !o.has('a') && !o.hasLong("text")
		n := 0
		var out strings.Builder
		lineNo := 0
		for len(data) > 0 && out.Len() < MaxCmdOutput {
			var line []byte
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				line, data = data, nil
			}
			lineNo++
			hit := re.Match(line)
			if hit == invert {
				continue
			}
			n++
			matchedAny = true
			if quiet || listFiles || listMissing {
				break
			}
			if binary {
				continue
			}
			if count {
				if maxCount >= 0 && n >= maxCount {
					break
				}
				continue
			}
			prefix := ""
			if showNames {
				if color {
					prefix += grepFileColor + display + grepReset + grepSepColor + ":" + grepReset
				} else {
					prefix += display + ":"
				}
			}
			if numbers {
				if color {
					prefix += grepLineColor + strconv.Itoa(lineNo) + grepReset + grepSepColor + ":" + grepReset
				} else {
					prefix += strconv.Itoa(lineNo) + ":"
				}
			}
			switch {
			case only && !invert:
				for _, m := range re.FindAll(line, 1000) {
					if len(m) == 0 {
						continue
					}
					if color {
						out.WriteString(prefix + grepMatchColor + string(m) + grepReset + "\n")
					} else {
						out.WriteString(prefix + string(m) + "\n")
					}
				}
			case color && !invert:
				out.WriteString(prefix + re.ReplaceAllStringFunc(string(line), func(m string) string {
					if m == "" {
						return m
					}
					return grepMatchColor + m + grepReset
				}) + "\n")
			default:
				out.WriteString(prefix)
				out.Write(line)
				out.WriteByte('\n')
			}
			if maxCount >= 0 && n >= maxCount {
				break
			}
		}
		switch {
		case quiet:
		case listFiles:
			if n > 0 {
				c.print(display + "\n")
			}
		case listMissing:
			if n == 0 {
				c.print(display + "\n")
			}
		case count:
			if showNames {
				c.printf("%s:%d\n", display, n)
			} else {
				c.printf("%d\n", n)
			}
		case binary && n > 0:
			if oldGrep {
				c.printf("Binary file %s matches\n", display)
			} else {
				c.printf("grep: %s: binary file matches\n", display)
			}
		default:
			c.print(out.String())
		}
	}
	if len(files) == 0 {
		grepData("-", c.stdin.rest())
	}
	visited := 0
	for _, f := range files {
		if quiet && matchedAny {
			break
		}
		if f == "-" {
			grepData("-", c.stdin.rest())
			continue
		}
		n, _, err := c.v().lookup(c.cred(), c.abs(f), true)
		if err != nil {
			if !noMsgs {
				c.errorf("%s: %s", f, strerror(err))
			}
			errored = true
			continue
		}
		if n.isDir() {
			if !recursive {
				if !noMsgs {
					c.errorf("%s: Is a directory", f)
				}
				continue
			}
			c.walkTree(c.abs(f), true, func(p string, n *node) bool {
				visited++
				if n.isDir() || n.isLink() || n.isDev() || n.gen != nil || visited > MaxWalk {
					return visited <= MaxWalk
				}
				rel := strings.TrimSuffix(f, "/") + strings.TrimPrefix(p, strings.TrimSuffix(c.abs(f), "/"))
				if !c.cred().can(n, permR) {
					if !noMsgs {
						c.errorf("%s: Permission denied", rel)
					}
					errored = true
					return true
				}
				grepData(rel, n.data)
				return true
			})
			continue
		}
		data, err := c.readFile(f)
		if err != nil {
			if !noMsgs {
				c.errorf("%s: %s", f, strerror(err))
			}
			errored = true
			continue
		}
		grepData(f, data)
	}
	if matchedAny {
		status = 0
	}
	if errored && !(quiet && matchedAny) {
		status = 2
	}
	return status
}

func cmdWc(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "lwcmL", false, "lines", "words", "bytes", "chars", "max-line-length")
	if !ok {
		return 1
	}
	showL, showW, showC := o.has('l') || o.hasLong("lines"), o.has('w') || o.hasLong("words"), o.has('c') || o.hasLong("bytes")
	showM := o.has('m') || o.hasLong("chars")
	if !showL && !showW && !showC && !showM {
		showL, showW, showC = true, true, true
	}
	type counts struct {
		name       string
		l, w, c, m int
		fromStdin  bool
	}
	var all []counts
	ok = c.inputs(o.rest, func(name string, data []byte) {
		all = append(all, counts{name: name, l: bytes.Count(data, []byte("\n")), w: len(bytes.Fields(data)), c: len(data), m: utf8.RuneCount(data), fromStdin: name == "-"})
	})
	var total counts
	total.name = "total"
	for _, x := range all {
		total.l += x.l
		total.w += x.w
		total.c += x.c
		total.m += x.m
	}
	ncols := b2i(showL) + b2i(showW) + b2i(showC) + b2i(showM)
	width := len(strconv.Itoa(max(total.c, total.l)))
	for _, x := range all {
		if x.fromStdin && len(o.rest) == 0 {
			width = 7
		}
	}
	if ncols == 1 && len(all) == 1 {
		width = 1
	}
	emit := func(x counts) {
		var parts []string
		f := "%" + strconv.Itoa(width) + "d"
		if showL {
			parts = append(parts, fmt.Sprintf(f, x.l))
		}
		if showW {
			parts = append(parts, fmt.Sprintf(f, x.w))
		}
		if showM {
			parts = append(parts, fmt.Sprintf(f, x.m))
		}
		if showC {
			parts = append(parts, fmt.Sprintf(f, x.c))
		}
		line := strings.Join(parts, " ")
		if x.name != "-" || len(o.rest) > 0 {
			line += " " + x.name
		}
		c.print(line + "\n")
	}
	for _, x := range all {
		emit(x)
	}
	if len(all) > 1 {
		emit(total)
	}
	return b2i(!ok)
}

func lines(data []byte) []string {
	s := string(data)
	s = strings.TrimSuffix(s, "\n")
	if s == "" && len(data) == 0 {
		return nil
	}
	return strings.Split(s, "\n")
}

func cmdSort(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "nrufk:t:hVbdMRso:cC", false, "numeric-sort", "reverse", "unique", "ignore-case", "key=", "field-separator=", "human-numeric-sort", "version-sort", "output=")
	if !ok {
		return 2
	}
	var all []string
	ok = c.inputs(o.rest, func(_ string, data []byte) { all = append(all, lines(data)...) })
	sep := o.val('t') + o.longVal("field-separator")
	key := 0
	if k := o.val('k') + o.longVal("key"); k != "" {
		k, _, _ = strings.Cut(k, ",")
		k, _, _ = strings.Cut(k, ".")
		key, _ = strconv.Atoi(strings.TrimRight(k, "nrbfh"))
	}
	keyOf := func(s string) string {
		if key <= 0 {
			return s
		}
		var f []string
		if sep != "" {
			f = strings.Split(s, sep)
		} else {
			f = strings.Fields(s)
		}
		if key-1 < len(f) {
			return strings.Join(f[key-1:], " ")
		}
		return ""
	}
	numeric := o.has('n') || o.has('h') || o.hasLong("numeric-sort") || o.hasLong("human-numeric-sort") || strings.Contains(o.val('k'), "n")
	fold := o.has('f') || o.hasLong("ignore-case")
	num := func(s string) float64 {
		s = strings.TrimSpace(s)
		end := 0
		for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || end == 0 && s[end] == '-') {
			end++
		}
		v, _ := strconv.ParseFloat(s[:end], 64)
		if end < len(s) && o.has('h') {
			switch s[end] {
			case 'K', 'k':
				v *= 1 << 10
			case 'M':
				v *= 1 << 20
			case 'G':
				v *= 1 << 30
			}
		}
		return v
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := keyOf(all[i]), keyOf(all[j])
		if numeric {
			if x, y := num(a), num(b); x != y {
				return x < y
			}
			return all[i] < all[j]
		}
		if fold {
			a, b = strings.ToLower(a), strings.ToLower(b)
		}
		return a < b
	})
	if o.has('r') || o.hasLong("reverse") || strings.Contains(o.val('k'), "r") {
		slices.Reverse(all)
	}
	if o.has('u') || o.hasLong("unique") {
		all = slices.Compact(all)
	}
	var b strings.Builder
	for _, l := range all {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	if out := o.val('o') + o.longVal("output"); out != "" {
		if err := c.writeFile(out, []byte(b.String()), false); err != nil {
			return c.fail(2, "open failed: %s: %s", out, strerror(err))
		}
		return 0
	}
	c.print(b.String())
	return b2i(!ok) * 2
}

func cmdUniq(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "cdui", false, "count", "repeated", "unique", "ignore-case")
	if !ok {
		return 1
	}
	var data []byte
	if len(o.rest) > 0 && o.rest[0] != "-" {
		d, err := c.readFile(o.rest[0])
		if err != nil {
			return c.fail(1, "%s: %s", o.rest[0], strerror(err))
		}
		data = d
	} else {
		data = c.stdin.rest()
	}
	ls := lines(data)
	eq := func(a, b string) bool {
		if o.has('i') {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	for i := 0; i < len(ls); {
		j := i + 1
		for j < len(ls) && eq(ls[j], ls[i]) {
			j++
		}
		n := j - i
		if (!o.has('d') || n > 1) && (!o.has('u') || n == 1) {
			if o.has('c') {
				c.printf("%7d %s\n", n, ls[i])
			} else {
				c.print(ls[i] + "\n")
			}
		}
		i = j
	}
	return 0
}

// ranges parses cut's LIST (1,3-5,-2,4-) into a membership test.
func cutRanges(spec string) (func(int) bool, bool) {
	type rg struct{ lo, hi int }
	var rs []rg
	for _, part := range strings.Split(spec, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, b := 1, 1<<30
		var err error
		if lo != "" {
			if a, err = strconv.Atoi(lo); err != nil || a < 1 {
				return nil, false
			}
		}
		if !isRange {
			b = a
		} else if hi != "" {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, false
			}
		}
		rs = append(rs, rg{a, b})
	}
	return func(i int) bool {
		for _, r := range rs {
			if i >= r.lo && i <= r.hi {
				return true
			}
		}
		return false
	}, true
}

func cmdCut(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "d:f:c:b:s", false, "delimiter=", "fields=", "characters=", "bytes=", "only-delimited", "output-delimiter=")
	if !ok {
		return 1
	}
	delim := "\t"
	if d := o.val('d') + o.longVal("delimiter"); d != "" {
		delim = d[:1]
	}
	fields := o.val('f') + o.longVal("fields")
	chars := o.val('c') + o.val('b') + o.longVal("characters") + o.longVal("bytes")
	if fields == "" && chars == "" {
		return c.fail(1, "you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.")
	}
	spec := fields
	if spec == "" {
		spec = chars
	}
	in, okr := cutRanges(spec)
	if !okr {
		return c.fail(1, "invalid field value '%s'\nTry 'cut --help' for more information.", spec)
	}
	outDelim := delim
	if _, has := o.long["output-delimiter"]; has {
		outDelim = o.longVal("output-delimiter")
	}
	var b strings.Builder
	ok = c.inputs(o.rest, func(_ string, data []byte) {
		for _, l := range lines(data) {
			if b.Len() > MaxCmdOutput {
				return
			}
			if fields == "" {
				var sel []rune
				for i, r := range []rune(l) {
					if in(i + 1) {
						sel = append(sel, r)
					}
				}
				b.WriteString(string(sel) + "\n")
				continue
			}
			if !strings.Contains(l, delim) {
				if !o.has('s') {
					b.WriteString(l + "\n")
				}
				continue
			}
			parts := strings.Split(l, delim)
			var sel []string
			for i, p := range parts {
				if in(i + 1) {
					sel = append(sel, p)
				}
			}
			b.WriteString(strings.Join(sel, outDelim) + "\n")
		}
	})
	c.print(b.String())
	return b2i(!ok)
}

// trSet expands a tr SET: ranges, [:class:] and escapes.
func trSet(s string) []rune {
	var out []rune
	rs := []rune(s)
	for i := 0; i < len(rs) && len(out) < 65536; i++ {
		r := rs[i]
		if r == '[' && i+1 < len(rs) && rs[i+1] == ':' {
			if end := strings.Index(string(rs[i:]), ":]"); end > 0 {
				class := string(rs[i+2 : i+end])
				for c := rune(0); c < 128; c++ {
					var in bool
					switch class {
					case "upper":
						in = unicode.IsUpper(c)
					case "lower":
						in = unicode.IsLower(c)
					case "digit":
						in = c >= '0' && c <= '9'
					case "alpha":
						in = unicode.IsLetter(c)
					case "alnum":
						in = unicode.IsLetter(c) || unicode.IsDigit(c)
					case "space":
						in = unicode.IsSpace(c)
					case "punct":
						in = unicode.IsPunct(c) || unicode.IsSymbol(c)
					case "xdigit":
						in = c < 128 && isHex(byte(c))
					case "print":
						in = c >= 32 && c < 127
					case "cntrl":
						in = c < 32 || c == 127
					}
					if in {
						out = append(out, c)
					}
				}
				i += len([]rune(string(rs[i:i+end]))) + 1
				continue
			}
		}
		if r == '\\' && i+1 < len(rs) {
			i++
			switch rs[i] {
			case 'n':
				r = '\n'
			case 't':
				r = '\t'
			case 'r':
				r = '\r'
			case '\\':
				r = '\\'
			default:
				r = rs[i]
			}
		}
		if i+2 < len(rs) && rs[i+1] == '-' {
			hi := rs[i+2]
			for x := r; x <= hi && len(out) < 65536; x++ {
				out = append(out, x)
			}
			i += 2
			continue
		}
		out = append(out, r)
	}
	return out
}

func cmdTr(c *cmdCtx) int {
	del, squeeze, comp := false, false, false
	var sets []string
	for _, a := range c.args {
		if len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "dscC") == "" {
			del = del || strings.Contains(a, "d")
			squeeze = squeeze || strings.Contains(a, "s")
			comp = comp || strings.ContainsAny(a, "cC")
			continue
		}
		sets = append(sets, a)
	}
	if len(sets) == 0 {
		return c.fail(1, "missing operand\nTry 'tr --help' for more information.")
	}
	if !del && !squeeze && len(sets) < 2 {
		return c.fail(1, "missing operand after '%s'\nTry 'tr --help' for more information.", sets[0])
	}
	s1 := trSet(sets[0])
	var s2 []rune
	if len(sets) > 1 {
		s2 = trSet(sets[1])
	}
	member := func(r rune) bool { return slices.Contains(s1, r) != comp }
	data := string(c.stdin.rest())
	var b strings.Builder
	var last rune = -1
	for _, r := range data {
		if b.Len() > MaxCmdOutput {
			break
		}
		if del && member(r) {
			continue
		}
		if !del && len(s2) > 0 && !comp {
			if i := slices.Index(s1, r); i >= 0 {
				r = s2[min(i, len(s2)-1)]
			}
		}
		if squeeze {
			sq := s1
			if len(s2) > 0 {
				sq = s2
			}
			if r == last && slices.Contains(sq, r) {
				continue
			}
		}
		b.WriteRune(r)
		last = r
	}
	c.print(b.String())
	return 0
}

func cmdTee(c *cmdCtx) int {
	app := false
	var files []string
	for _, a := range c.args {
		switch a {
		case "-a", "--append":
			app = true
		case "-i", "-p":
		default:
			files = append(files, a)
		}
	}
	data := c.stdin.rest()
	status := 0
	for _, f := range files {
		if n, _, err := c.v().lookup(c.cred(), c.abs(f), true); err == nil && n.isDev() {
			continue
		}
		if err := c.writeFile(f, data, app); err != nil {
			c.errorf("%s: %s", f, strerror(err))
			status = 1
		}
	}
	c.stdout.Write(data)
	return status
}

func cmdBase64(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "diw:", false, "decode", "ignore-garbage", "wrap=")
	if !ok {
		return 1
	}
	var data []byte
	if len(o.rest) > 0 && o.rest[0] != "-" {
		d, err := c.readFile(o.rest[0])
		if err != nil {
			return c.fail(1, "%s: %s", o.rest[0], strerror(err))
		}
		data = d
	} else {
		data = c.stdin.rest()
	}
	if o.has('d') || o.hasLong("decode") {
		clean := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, string(data))
		clean = strings.TrimRight(clean, "=")
		out, err := base64.RawStdEncoding.DecodeString(clean)
		if err != nil {
			if ce, isCorrupt := err.(base64.CorruptInputError); isCorrupt {
				c.stdout.Write(out[:min(int(ce)*3/4, len(out))])
			}
			return c.fail(1, "invalid input")
		}
		c.stdout.Write(out)
		return 0
	}
	enc := base64.StdEncoding.EncodeToString(data)
	wrap := 76
	if w := o.val('w') + o.longVal("wrap"); w != "" {
		wrap, _ = strconv.Atoi(w)
	}
	if wrap <= 0 {
		c.print(enc + "\n")
		return 0
	}
	c.print(wrapString(enc, wrap))
	return 0
}

func wrapString(s string, w int) string {
	var b strings.Builder
	for len(s) > w {
		b.WriteString(s[:w] + "\n")
		s = s[w:]
	}
	if s != "" {
		b.WriteString(s + "\n")
	}
	return b.String()
}

func cmdHashsum(c *cmdCtx) int {
	var h func() hash.Hash
	switch c.name {
	case "md5sum":
		h = md5.New
	case "sha1sum":
		h = sha1.New
	case "sha256sum":
		h = sha256.New
	default:
		h = sha512.New
	}
	files := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return strings.HasPrefix(a, "-") && a != "-" })
	ok := c.inputs(files, func(name string, data []byte) {
		x := h()
		x.Write(data)
		c.printf("%s  %s\n", hex.EncodeToString(x.Sum(nil)), name)
	})
	return b2i(!ok)
}

func cmdSeq(c *cmdCtx) int {
	sep := "\n"
	var nums []string
	width := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-s" && i+1 < len(c.args):
			sep = c.args[i+1]
			i++
		case strings.HasPrefix(a, "-s") && len(a) > 2:
			sep = a[2:]
		case a == "-w":
			width = true
		default:
			nums = append(nums, a)
		}
	}
	if len(nums) == 0 || len(nums) > 3 {
		return c.fail(1, "missing operand\nTry 'seq --help' for more information.")
	}
	vals := make([]float64, len(nums))
	for i, n := range nums {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil || v != v {
			return c.fail(1, "invalid floating point argument: '%s'\nTry 'seq --help' for more information.", n)
		}
		vals[i] = v
	}
	first, step, last := 1.0, 1.0, vals[0]
	switch len(vals) {
	case 2:
		first, last = vals[0], vals[1]
	case 3:
		first, step, last = vals[0], vals[1], vals[2]
	}
	if step == 0 {
		return c.fail(1, "invalid Zero increment value: '%s'", nums[1])
	}
	w := 0
	if width {
		w = len(strconv.FormatFloat(last, 'f', -1, 64))
	}
	var b strings.Builder
	count := 0
	for x := first; step > 0 && x <= last || step < 0 && x >= last; x = first + float64(count)*step {
		if count > 0 {
			b.WriteString(sep)
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if w > len(s) {
			s = strings.Repeat("0", w-len(s)) + s
		}
		b.WriteString(s)
		count++
		if b.Len() >= MaxCmdOutput || count >= 1<<20 {
			break
		}
	}
	if count > 0 {
		b.WriteString("\n")
	}
	c.print(b.String())
	return 0
}

// cmdYes writes until its output cap, which is where a real yes would be
// stopped by the reader going away.
func cmdYes(c *cmdCtx) int {
	s := "y"
	if len(c.args) > 0 {
		s = strings.Join(c.args, " ")
	}
	chunk := strings.Repeat(s+"\n", max(1, 4096/(len(s)+1)))
	for c.ctx.Err() == nil {
		if _, err := c.stdout.Write([]byte(chunk)); err != nil {
			break
		}
	}
	return 0
}

func cmdRev(c *cmdCtx) int {
	ok := c.inputs(c.args, func(_ string, data []byte) {
		ls := lines(data)
		for i, l := range ls {
			r := []rune(l)
			slices.Reverse(r)
			c.print(string(r))
			if i < len(ls)-1 || bytes.HasSuffix(data, []byte("\n")) {
				c.print("\n")
			}
		}
	})
	return b2i(!ok)
}

func cmdTac(c *cmdCtx) int {
	ok := c.inputs(c.args, func(_ string, data []byte) {
		ls := lines(data)
		slices.Reverse(ls)
		for _, l := range ls {
			c.print(l + "\n")
		}
	})
	return b2i(!ok)
}

func cmdNl(c *cmdCtx) int {
	n := 0
	ok := c.inputs(c.args, func(_ string, data []byte) {
		for _, l := range lines(data) {
			if strings.TrimSpace(l) == "" {
				c.print("       " + l + "\n")
				continue
			}
			n++
			c.printf("%6d\t%s\n", n, l)
		}
	})
	return b2i(!ok)
}

// cmdXargs builds command lines from stdin and runs them (emulated
// commands only), one per -n group, within the line's step budget.
func cmdXargs(c *cmdCtx) int {
	args := c.args
	perCmd := 0
	replace := ""
	delim := ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		switch {
		case a == "-n" && len(args) > 0:
			perCmd, _ = strconv.Atoi(args[0])
			args = args[1:]
		case strings.HasPrefix(a, "-n") && len(a) > 2:
			perCmd, _ = strconv.Atoi(a[2:])
		case a == "-I" && len(args) > 0:
			replace, args = args[0], args[1:]
		case strings.HasPrefix(a, "-I") && len(a) > 2:
			replace = a[2:]
		case a == "-i":
			replace = "{}"
		case a == "-0":
			delim = "\x00"
		case a == "-d" && len(args) > 0:
			delim, args = args[0], args[1:]
		case (a == "-P" || a == "-L" || a == "-s" || a == "-a" || a == "-E") && len(args) > 0:
			if a == "-L" {
				perCmd, _ = strconv.Atoi(args[0])
			}
			args = args[1:]
		}
	}
	if len(args) == 0 {
		args = []string{"echo"}
	}
	data := string(c.stdin.rest())
	var items []string
	switch {
	case replace != "":
		items = strings.Split(strings.TrimRight(data, "\n"), "\n")
	case delim != "":
		items = strings.Split(strings.TrimSuffix(data, delim), delim)
	default:
		items = strings.Fields(data)
	}
	if len(items) == 1 && items[0] == "" {
		items = nil
	}
	if len(items) > MaxArgs {
		items = items[:MaxArgs]
	}
	status := 0
	run := func(argv []string) {
		if !c.in.step() {
			return
		}
		s, _, _ := c.in.execFile(argv, c.io, c.text)
		if s != 0 {
			status = 123
		}
	}
	switch {
	case replace != "":
		for _, it := range items {
			argv := make([]string, len(args))
			for i, a := range args {
				argv[i] = strings.ReplaceAll(a, replace, it)
			}
			run(argv)
		}
	case perCmd > 0:
		for i := 0; i < len(items); i += perCmd {
			run(append(slices.Clone(args), items[i:min(i+perCmd, len(items))]...))
		}
	default:
		if len(items) > 0 || args[0] == "echo" {
			run(append(slices.Clone(args), items...))
		}
	}
	return status
}

func cmdStrings(c *cmdCtx) int {
	minLen := 4
	var files []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if a == "-n" && i+1 < len(c.args) {
			minLen, _ = strconv.Atoi(c.args[i+1])
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			files = append(files, a)
		}
	}
	ok := c.inputs(files, func(_ string, data []byte) {
		start := -1
		for i := 0; i <= len(data); i++ {
			printable := i < len(data) && (data[i] >= 32 && data[i] < 127 || data[i] == '\t')
			if printable && start < 0 {
				start = i
			}
			if !printable && start >= 0 {
				if i-start >= minLen {
					c.stdout.Write(append(data[start:i:i], '\n'))
				}
				start = -1
			}
		}
	})
	return b2i(!ok)
}

func cmdXxd(c *cmdCtx) int {
	files := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return strings.HasPrefix(a, "-") })
	plain := slices.Contains(c.args, "-p")
	ok := c.inputs(files[:min(1, len(files))], func(_ string, data []byte) {
		if plain {
			c.print(wrapString(hex.EncodeToString(data), 60))
			return
		}
		var b strings.Builder
		for off := 0; off < len(data) && b.Len() < MaxCmdOutput; off += 16 {
			chunk := data[off:min(off+16, len(data))]
			fmt.Fprintf(&b, "%08x: ", off)
			for i := 0; i < 16; i += 2 {
				switch {
				case i+1 < len(chunk):
					fmt.Fprintf(&b, "%02x%02x ", chunk[i], chunk[i+1])
				case i < len(chunk):
					fmt.Fprintf(&b, "%02x   ", chunk[i])
				default:
					b.WriteString("     ")
				}
			}
			b.WriteByte(' ')
			for _, ch := range chunk {
				if ch >= 32 && ch < 127 {
					b.WriteByte(ch)
				} else {
					b.WriteByte('.')
				}
			}
			b.WriteByte('\n')
		}
		c.print(b.String())
	})
	return b2i(!ok)
}

func cmdHexdump(c *cmdCtx) int {
	files := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return strings.HasPrefix(a, "-") })
	ok := c.inputs(files[:min(1, len(files))], func(_ string, data []byte) {
		var b strings.Builder
		for off := 0; off < len(data) && b.Len() < MaxCmdOutput; off += 16 {
			chunk := data[off:min(off+16, len(data))]
			fmt.Fprintf(&b, "%08x  ", off)
			for i := 0; i < 16; i++ {
				if i < len(chunk) {
					fmt.Fprintf(&b, "%02x ", chunk[i])
				} else {
					b.WriteString("   ")
				}
				if i == 7 {
					b.WriteByte(' ')
				}
			}
			b.WriteString(" |")
			for _, ch := range chunk {
				if ch >= 32 && ch < 127 {
					b.WriteByte(ch)
				} else {
					b.WriteByte('.')
				}
			}
			b.WriteString("|\n")
		}
		fmt.Fprintf(&b, "%08x\n", len(data))
		c.print(b.String())
	})
	return b2i(!ok)
}

// cmdEditor answers a full-screen editor, which cannot run without a
// terminal protocol: the intruder sees it open and quit.
func cmdEditor(c *cmdCtx) int {
	if !c.tty {
		fmt.Fprintf(c.stderr, "Vim: Warning: Output is not to a terminal\n")
	}
	return 0
}
