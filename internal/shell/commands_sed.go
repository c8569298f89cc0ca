package shell

import (
	"regexp"
	"strconv"
	"strings"
)

func init() {
	register("sed", cmdSpec{fn: cmdSed, bin: "bin", size: 121288, busybox: true})
}

// A small sed: s///[gpiN], d, p, q, =, y, a/i/c text, with line, $, /re/
// and range addresses and !; -n, -e, -E/-r, -i. Enough for the config
// edits droppers make (`sed -i 's/^PermitRootLogin.*/PermitRootLogin yes/'`).

type sedAddr struct {
	line int // 0 = none, -1 = $
	re   *regexp.Regexp
}

type sedCmd struct {
	a1, a2  *sedAddr
	neg     bool
	op      byte
	re      *regexp.Regexp
	repl    string
	global  bool
	nth     int
	print   bool
	text    string
	from    []rune
	to      []rune
	inRange bool
}

func parseSedRE(src string, ext bool) (*regexp.Regexp, error) {
	if !ext {
		src = breToRE2(src)
	} else {
		src = ereToRE2(src)
	}
	if len(src) > maxPattern {
		return nil, errInvalid
	}
	return regexp.Compile(src)
}

// sedDelim reads text up to an unescaped delim; the delimiter escape is
// removed, others kept.
func sedDelim(s string, i int, delim byte) (string, int, bool) {
	var b strings.Builder
	for i < len(s) {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			if s[i+1] == delim {
				b.WriteByte(delim)
			} else if s[i+1] == 'n' {
				b.WriteByte('\n')
			} else {
				b.WriteByte('\\')
				b.WriteByte(s[i+1])
			}
			i += 2
			continue
		}
		if c == delim {
			return b.String(), i + 1, true
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), i, false
}

func parseSedAddr(s string, i int, ext bool) (*sedAddr, int, string) {
	switch {
	case i < len(s) && s[i] == '$':
		return &sedAddr{line: -1}, i + 1, ""
	case i < len(s) && s[i] >= '0' && s[i] <= '9':
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(s[i:j])
		return &sedAddr{line: n}, j, ""
	case i < len(s) && (s[i] == '/' || s[i] == '\\' && i+1 < len(s)):
		delim := byte('/')
		if s[i] == '\\' {
			i++
			delim = s[i]
		}
		src, j, ok := sedDelim(s, i+1, delim)
		if !ok {
			return nil, j, "unterminated address regex"
		}
		re, err := parseSedRE(src, ext)
		if err != nil {
			return nil, j, "invalid regular expression"
		}
		return &sedAddr{re: re}, j, ""
	}
	return nil, i, ""
}

func parseSed(script string, ext bool) ([]*sedCmd, string) {
	var cmds []*sedCmd
	i := 0
	for i < len(script) && len(cmds) < 256 {
		for i < len(script) && (script[i] == ' ' || script[i] == '\t' || script[i] == '\n' || script[i] == ';') {
			i++
		}
		if i >= len(script) {
			break
		}
		c := &sedCmd{}
		var msg string
		c.a1, i, msg = parseSedAddr(script, i, ext)
		if msg != "" {
			return nil, msg
		}
		if c.a1 != nil && i < len(script) && script[i] == ',' {
			c.a2, i, msg = parseSedAddr(script, i+1, ext)
			if msg != "" || c.a2 == nil {
				return nil, "unexpected `,'"
			}
		}
		for i < len(script) && script[i] == ' ' {
			i++
		}
		if i < len(script) && script[i] == '!' {
			c.neg = true
			i++
		}
		if i >= len(script) {
			return nil, "missing command"
		}
		c.op = script[i]
		i++
		switch c.op {
		case 's', 'y':
			if i >= len(script) {
				return nil, "unterminated `s' command"
			}
			delim := script[i]
			pat, j, ok := sedDelim(script, i+1, delim)
			if !ok {
				return nil, "unterminated `" + string(c.op) + "' command"
			}
			repl, k, ok := sedDelim(script, j, delim)
			if !ok {
				return nil, "unterminated `" + string(c.op) + "' command"
			}
			i = k
			if c.op == 'y' {
				c.from, c.to = []rune(pat), []rune(repl)
				if len(c.from) != len(c.to) {
					return nil, "strings for `y' command are different lengths"
				}
				break
			}
			flags := ""
			for i < len(script) && strings.IndexByte("gpiI0123456789", script[i]) >= 0 {
				flags += string(script[i])
				i++
			}
			if strings.ContainsAny(flags, "iI") {
				pat = "(?i)" + pat
				if !ext {
					pat = "(?i)" + strings.TrimPrefix(pat, "(?i)")
				}
			}
			re, err := parseSedRE(pat, ext)
			if strings.ContainsAny(flags, "iI") && err != nil {
				re, err = regexp.Compile("(?i)" + breToRE2(strings.TrimPrefix(pat, "(?i)")))
			}
			if err != nil {
				return nil, "-e expression #1, char " + strconv.Itoa(i) + ": Invalid preceding regular expression"
			}
			c.re = re
			c.global = strings.Contains(flags, "g")
			c.print = strings.Contains(flags, "p")
			if n := strings.Trim(flags, "gpiI"); n != "" {
				c.nth, _ = strconv.Atoi(n)
			}
			c.repl = sedRepl(repl)
		case 'a', 'i', 'c':
			for i < len(script) && (script[i] == ' ' || script[i] == '\\') {
				i++
				if i < len(script) && script[i] == '\n' {
					i++
					break
				}
			}
			end := strings.IndexByte(script[i:], '\n')
			if end < 0 {
				end = len(script) - i
			}
			c.text = script[i : i+end]
			i += end
		case 'd', 'p', 'q', '=', 'n', 'N', 'D', 'P', 'h', 'H', 'g', 'G', 'x':
		case '{', '}':
			continue
		default:
			return nil, "unknown command: `" + string(c.op) + "'"
		}
		cmds = append(cmds, c)
	}
	return cmds, ""
}

// sedRepl turns sed's & and \N into Go's ${0} and ${N}.
func sedRepl(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch {
		case r[i] == '&':
			b.WriteString("${0}")
		case r[i] == '$':
			b.WriteString("$$")
		case r[i] == '\\' && i+1 < len(r):
			i++
			switch {
			case r[i] >= '0' && r[i] <= '9':
				b.WriteString("${" + string(r[i]) + "}")
			case r[i] == 'n':
				b.WriteByte('\n')
			case r[i] == 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(r[i])
			}
		default:
			b.WriteByte(r[i])
		}
	}
	return b.String()
}

func (a *sedAddr) match(line string, n, last int) bool {
	switch {
	case a.re != nil:
		return a.re.MatchString(line)
	case a.line == -1:
		return n == last
	}
	return n == a.line
}

func (c *sedCmd) selects(line string, n, last int) bool {
	var hit bool
	switch {
	case c.a1 == nil:
		hit = true
	case c.a2 == nil:
		hit = c.a1.match(line, n, last)
	case c.inRange:
		hit = true
		if c.a2.match(line, n, last) || c.a2.re == nil && c.a2.line > 0 && n >= c.a2.line {
			c.inRange = false
		}
	case c.a1.match(line, n, last):
		hit = true
		c.inRange = !(c.a2.re == nil && c.a2.line > 0 && c.a2.line <= n)
	}
	return hit != c.neg
}

func runSed(cmds []*sedCmd, data string, quiet bool) string {
	ls := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	if data == "" {
		ls = nil
	}
	var out strings.Builder
	hold := ""
	for n := 1; n <= len(ls) && out.Len() < MaxCmdOutput; n++ {
		line := ls[n-1]
		deleted, quit := false, false
		var after []string
		for _, c := range cmds {
			if !c.selects(line, n, len(ls)) {
				continue
			}
			switch c.op {
			case 's':
				count := 0
				replaced := false
				line = c.re.ReplaceAllStringFunc(line, func(m string) string {
					count++
					if !c.global && (c.nth == 0 && count > 1 || c.nth > 0 && count != c.nth) {
						return m
					}
					replaced = true
					return c.re.ReplaceAllString(m, c.repl)
				})
				if replaced && c.print {
					out.WriteString(line + "\n")
				}
			case 'y':
				line = strings.Map(func(r rune) rune {
					for i, f := range c.from {
						if f == r {
							return c.to[i]
						}
					}
					return r
				}, line)
			case 'd', 'D':
				deleted = true
			case 'p', 'P':
				out.WriteString(line + "\n")
			case 'q':
				quit = true
			case '=':
				out.WriteString(strconv.Itoa(n) + "\n")
			case 'a':
				after = append(after, c.text)
			case 'i':
				out.WriteString(c.text + "\n")
			case 'c':
				out.WriteString(c.text + "\n")
				deleted = true
			case 'h':
				hold = line
			case 'H':
				hold += "\n" + line
			case 'g':
				line = hold
			case 'G':
				line += "\n" + hold
			case 'x':
				line, hold = hold, line
			}
			if deleted || quit {
				break
			}
		}
		if !deleted && !quiet {
			out.WriteString(line + "\n")
		}
		for _, a := range after {
			out.WriteString(a + "\n")
		}
		if quit {
			break
		}
	}
	return out.String()
}

func cmdSed(c *cmdCtx) int {
	var scripts, files []string
	quiet, inPlace, ext := false, false, false
	args := c.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" || a == "--quiet" || a == "--silent":
			quiet = true
		case a == "-E" || a == "-r" || a == "--regexp-extended":
			ext = true
		case a == "-i" || strings.HasPrefix(a, "-i") || strings.HasPrefix(a, "--in-place"):
			inPlace = true
		case (a == "-e" || a == "--expression") && i+1 < len(args):
			scripts = append(scripts, args[i+1])
			i++
		case strings.HasPrefix(a, "-e") && len(a) > 2:
			scripts = append(scripts, a[2:])
		case (a == "-f") && i+1 < len(args):
			data, err := c.readFile(args[i+1])
			if err != nil {
				return c.fail(1, "couldn't open file %s: %s", args[i+1], strerror(err))
			}
			scripts = append(scripts, string(data))
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for _, f := range a[1:] {
				switch f {
				case 'n':
					quiet = true
				case 'E', 'r':
					ext = true
				case 'i':
					inPlace = true
				}
			}
		default:
			if len(scripts) == 0 {
				scripts = append(scripts, a)
			} else {
				files = append(files, a)
			}
		}
	}
	if len(scripts) == 0 {
		c.print("Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n")
		return 1
	}
	script := strings.Join(scripts, "\n")
	if len(script) > maxAwkProgram {
		return c.fail(1, "script too long")
	}
	cmds, msg := parseSed(script, ext)
	if msg != "" {
		return c.fail(1, "-e expression #1, char %d: %s", len(script), msg)
	}
	if inPlace {
		if len(files) == 0 {
			return c.fail(1, "no input files")
		}
		status := 0
		for _, f := range files {
			data, err := c.readFile(f)
			if err != nil {
				c.errorf("can't read %s: %s", f, strerror(err))
				status = 2
				continue
			}
			for _, cmd := range cmds {
				cmd.inRange = false
			}
			if err := c.writeFile(f, []byte(runSed(cmds, string(data), quiet)), false); err != nil {
				c.errorf("couldn't open temporary file %s: %s", f, strerror(err))
				status = 4
			}
		}
		return status
	}
	var all strings.Builder
	ok := c.inputs(files, func(_ string, data []byte) { all.Write(data) })
	c.print(runSed(cmds, all.String(), quiet))
	return b2i(!ok) * 2
}
