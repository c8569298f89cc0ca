package shell

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	for name, fn := range map[string]cmdFunc{
		"cd": cmdCd, "pwd": cmdPwd, "echo": cmdEcho, "printf": cmdPrintf, "export": cmdExport, "unset": cmdUnset,
		"set": cmdSet, "alias": cmdAlias, "unalias": cmdUnalias, "history": cmdHistory, "exit": cmdExit, "logout": cmdLogout,
		"source": cmdSource, ".": cmdSource, "eval": cmdEval, "exec": cmdExec, "read": cmdRead, "type": cmdType,
		"hash": cmdTrue, "ulimit": cmdUlimit, "umask": cmdUmask, "test": cmdTest, "[": cmdTest, "true": cmdTrue,
		"false": cmdFalse, ":": cmdTrue, "break": cmdBreak, "continue": cmdContinue, "return": cmdReturn, "shift": cmdShift,
		"local": cmdLocal, "declare": cmdDeclare, "typeset": cmdDeclare, "readonly": cmdReadonly, "let": cmdLet,
		"wait": cmdTrue, "jobs": cmdTrue, "fg": cmdFg, "bg": cmdFg, "disown": cmdTrue, "kill": cmdKill, "trap": cmdTrue,
		"command": cmdCommand, "builtin": cmdBuiltin, "help": cmdHelp, "times": cmdTimes, "shopt": cmdTrue,
		"enable": cmdTrue, "suspend": cmdTrue, "compgen": cmdTrue, "complete": cmdTrue, "dirs": cmdDirs,
		"pushd": cmdPushd, "popd": cmdDirs, "getopts": cmdFalse, "mapfile": cmdTrue, "readarray": cmdTrue, "caller": cmdFalse,
	} {
		builtins[name] = fn
	}
	// Tools that are both builtins and files.
	for _, n := range []string{"echo", "printf", "pwd", "test", "[", "true", "false", "kill"} {
		register(n, cmdSpec{fn: builtins[n], bin: "bin", busybox: true})
	}
	cmdTable["kill"].fn = cmdKill
}

func cmdTrue(c *cmdCtx) int  { return 0 }
func cmdFalse(c *cmdCtx) int { return 1 }

// sh is how a builtin names itself in errors: "bash: cd: …".
func (c *cmdCtx) sh() string { return c.s.shellName() }

func (c *cmdCtx) builtinErr(status int, format string, a ...any) int {
	fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.sh(), c.name, fmt.Sprintf(format, a...))
	return status
}

func cmdCd(c *cmdCtx) int {
	st := c.st
	args := c.args
	if len(args) > 0 && (args[0] == "-L" || args[0] == "-P") {
		args = args[1:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) > 1 {
		return c.builtinErr(1, "too many arguments")
	}
	var dir string
	switch {
	case len(args) == 0:
		h, ok := st.get("HOME")
		if !ok || h == "" {
			return c.builtinErr(1, "HOME not set")
		}
		dir = h
	case args[0] == "-":
		o, _ := st.get("OLDPWD")
		if o == "" {
			return c.builtinErr(1, "OLDPWD not set")
		}
		dir = o
		defer c.print(o + "\n")
	default:
		dir = args[0]
	}
	if dir == "" {
		return 0
	}
	abs := c.abs(dir)
	n, _, err := c.v().lookup(c.cred(), abs, true)
	if err == nil && !n.isDir() {
		err = errNotDir
	}
	if err == nil && !c.cred().can(n, permX) {
		err = fs.ErrPermission
	}
	if err != nil {
		return c.builtinErr(1, "%s: %s", dir, strerror(err))
	}
	st.set("OLDPWD", st.cwd)
	st.cwd = abs
	st.set("PWD", abs)
	return 0
}

func cmdPwd(c *cmdCtx) int {
	c.print(c.st.cwd + "\n")
	return 0
}

// echoEscapes interprets echo -e / printf %b escapes; stop reports \c.
func echoEscapes(s string) (out string, stop bool) {
	if !strings.Contains(s, "\\") {
		return s, false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte(7)
		case 'b':
			b.WriteByte(8)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case 'e', 'E':
			b.WriteByte(27)
		case '\\':
			b.WriteByte('\\')
		case 'c':
			return b.String(), true
		case '0':
			j := i + 1
			for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint("0"+s[i+1:j], 8, 16)
			b.WriteByte(byte(v))
			i = j - 1
		case 'x':
			j := i + 1
			for j < len(s) && j < i+3 && isHex(s[j]) {
				j++
			}
			if j == i+1 {
				b.WriteString("\\x")
				continue
			}
			v, _ := strconv.ParseUint(s[i+1:j], 16, 8)
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String(), false
}

func cmdEcho(c *cmdCtx) int {
	args := c.args
	nl, esc := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		for _, f := range args[0][1:] {
			switch f {
			case 'n':
				nl = false
			case 'e':
				esc = true
			case 'E':
				esc = false
			}
		}
		args = args[1:]
	}
	out := strings.Join(args, " ")
	if esc {
		var stop bool
		if out, stop = echoEscapes(out); stop {
			nl = false
		}
	}
	if nl {
		out += "\n"
	}
	c.print(out)
	return 0
}

func cmdPrintf(c *cmdCtx) int {
	args := c.args
	varName := ""
	if len(args) >= 2 && args[0] == "-v" {
		varName, args = args[1], args[2:]
	}
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintf(c.stderr, "%s: printf: usage: printf [-v var] format [arguments]\n", c.sh())
		return 2
	}
	out, status := formatPrintf(c, args[0], args[1:])
	if varName != "" {
		if !validName(varName) {
			return c.builtinErr(2, "`%s': not a valid identifier", varName)
		}
		c.st.set(varName, out)
		return status
	}
	c.print(out)
	return status
}

// maxPrintfWidth caps field widths and precisions: `printf '%0999999d'`
// would otherwise build a megabyte per argument.
const maxPrintfWidth = 4096

// formatPrintf implements printf's format language: %d %i %u %o %x %X %c
// %s %b %q %e %f %g %% with flags, width and precision, reusing the format
// while arguments remain. Output is capped at MaxCmdOutput.
func formatPrintf(c *cmdCtx, format string, args []string) (string, int) {
	var b strings.Builder
	status := 0
	ai := 0
	next := func() (string, bool) {
		if ai < len(args) {
			ai++
			return args[ai-1], true
		}
		return "", false
	}
	for round := 0; round < MaxArgs; round++ {
		consumed := ai
		for i := 0; i < len(format) && b.Len() < MaxCmdOutput; i++ {
			ch := format[i]
			if ch == '\\' {
				j := i + 1
				if j < len(format) && format[j] == 'c' {
					return b.String(), status
				}
				// printf's escapes: \NNN octal (no leading 0 needed),
				// \xHH, and the C letters.
				if j < len(format) && format[j] >= '0' && format[j] <= '7' {
					end := j
					for end < len(format) && end < j+3 && format[end] >= '0' && format[end] <= '7' {
						end++
					}
					v, _ := strconv.ParseUint(format[j:end], 8, 16)
					b.WriteByte(byte(v))
					i = end - 1
					continue
				}
				end := min(j+1, len(format))
				if j < len(format) && format[j] == 'x' {
					for end < len(format) && end < j+3 && isHex(format[end]) {
						end++
					}
				}
				e, _ := echoEscapes(format[i:end])
				b.WriteString(e)
				i = end - 1
				continue
			}
			if ch != '%' {
				b.WriteByte(ch)
				continue
			}
			j := i + 1
			for j < len(format) && strings.IndexByte("-+ #0", format[j]) >= 0 {
				j++
			}
			flags := format[i+1 : j]
			width := ""
			if j < len(format) && format[j] == '*' {
				a, _ := next()
				width = strconv.Itoa(atoiLoose(a))
				j++
			} else {
				k := j
				for j < len(format) && format[j] >= '0' && format[j] <= '9' {
					j++
				}
				width = format[k:j]
			}
			prec := ""
			hasPrec := false
			if j < len(format) && format[j] == '.' {
				hasPrec = true
				j++
				if j < len(format) && format[j] == '*' {
					a, _ := next()
					prec = strconv.Itoa(atoiLoose(a))
					j++
				} else {
					k := j
					for j < len(format) && format[j] >= '0' && format[j] <= '9' {
						j++
					}
					prec = format[k:j]
				}
			}
			for j < len(format) && strings.IndexByte("hlLqjzt", format[j]) >= 0 {
				j++
			}
			if j >= len(format) {
				b.WriteString(format[i:])
				break
			}
			verb := format[j]
			i = j
			if verb == '%' {
				b.WriteByte('%')
				continue
			}
			w, _ := strconv.Atoi(width)
			p, _ := strconv.Atoi(prec)
			if w > maxPrintfWidth || w < -maxPrintfWidth {
				w = maxPrintfWidth
			}
			p = min(p, maxPrintfWidth)
			spec := "%" + flags
			if width != "" {
				spec += strconv.Itoa(w)
			}
			if hasPrec {
				spec += "." + strconv.Itoa(p)
			}
			arg, _ := next()
			switch verb {
			case 'd', 'i':
				n, ok := printfInt(arg)
				if !ok {
					fmt.Fprintf(c.stderr, "%s: printf: %s: invalid number\n", c.sh(), arg)
					status = 1
				}
				b.WriteString(fmt.Sprintf(spec+"d", n))
			case 'u', 'o', 'x', 'X':
				n, ok := printfInt(arg)
				if !ok {
					fmt.Fprintf(c.stderr, "%s: printf: %s: invalid number\n", c.sh(), arg)
					status = 1
				}
				v := map[byte]string{'u': "d", 'o': "o", 'x': "x", 'X': "X"}[verb]
				b.WriteString(fmt.Sprintf(spec+v, uint64(n)))
			case 'c':
				if arg != "" {
					b.WriteString(fmt.Sprintf(strings.Replace(spec, "."+strconv.Itoa(p), "", 1)+"s", arg[:1]))
				}
			case 's':
				b.WriteString(fmt.Sprintf(spec+"s", arg))
			case 'b':
				e, stop := echoEscapes(arg)
				b.WriteString(fmt.Sprintf(spec+"s", e))
				if stop {
					return b.String(), status
				}
			case 'q':
				b.WriteString(shellQuote(arg))
			case 'e', 'E', 'f', 'F', 'g', 'G', 'a', 'A':
				f, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
				if err != nil && arg != "" {
					fmt.Fprintf(c.stderr, "%s: printf: %s: invalid number\n", c.sh(), arg)
					status = 1
				}
				vv := string(verb)
				if verb == 'F' {
					vv = "f"
				}
				b.WriteString(fmt.Sprintf(spec+vv, f))
			default:
				fmt.Fprintf(c.stderr, "%s: printf: `%c': invalid format character\n", c.sh(), verb)
				return b.String(), 1
			}
		}
		if ai >= len(args) || ai == consumed || b.Len() >= MaxCmdOutput {
			break
		}
	}
	return b.String(), status
}

func atoiLoose(s string) int {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func printfInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') {
		return int64(s[1]), true
	}
	neg := false
	t := s
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	v, err := parseArithNumber(t)
	if err != nil {
		n, _ := strconv.ParseInt(strings.TrimLeft(t, "0123456789")[:0]+leadingDigits(t), 10, 64)
		if neg {
			n = -n
		}
		return n, false
	}
	if neg {
		v = -v
	}
	return v, true
}

func leadingDigits(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

// shellQuote quotes s so bash would read it back as one word (%q, set).
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		if !(isNameChar(s[i]) || strings.IndexByte("/.,:=+-@%^", s[i]) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func cmdExport(c *cmdCtx) int {
	args := c.args
	if len(args) > 0 && args[0] == "-p" || len(args) == 0 {
		names := make([]string, 0, len(c.st.vars))
		for k, v := range c.st.vars {
			if v.exported {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		for _, k := range names {
			v := c.st.vars[k]
			c.printf("declare -x %s=\"%s\"\n", k, strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`).Replace(v.val))
		}
		return 0
	}
	status := 0
	for _, a := range args {
		if a == "-n" || a == "-f" {
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !validName(name) {
			fmt.Fprintf(c.stderr, "%s: export: `%s': not a valid identifier\n", c.sh(), a)
			status = 1
			continue
		}
		if hasVal && !c.st.set(name, val) {
			fmt.Fprintf(c.stderr, "%s: %s: readonly variable\n", c.sh(), name)
			status = 1
			continue
		}
		c.st.export(name)
	}
	return status
}

func cmdUnset(c *cmdCtx) int {
	funcs := false
	status := 0
	for _, a := range c.args {
		switch a {
		case "-f":
			funcs = true
			continue
		case "-v", "-n":
			continue
		}
		if funcs {
			delete(c.st.funcs, a)
			continue
		}
		if !validName(a) {
			fmt.Fprintf(c.stderr, "%s: unset: `%s': not a valid identifier\n", c.sh(), a)
			status = 1
			continue
		}
		if v := c.st.vars[a]; v != nil && v.readonly {
			fmt.Fprintf(c.stderr, "%s: unset: %s: cannot unset: readonly variable\n", c.sh(), a)
			status = 1
			continue
		}
		delete(c.st.vars, a)
		if _, ok := c.st.vars[a]; !ok {
			delete(c.st.funcs, a)
		}
	}
	return status
}

func cmdSet(c *cmdCtx) int {
	if len(c.args) == 0 {
		names := make([]string, 0, len(c.st.vars))
		for k := range c.st.vars {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			c.printf("%s=%s\n", k, shellQuote(c.st.vars[k].val))
		}
		return 0
	}
	args := c.args
	for len(args) > 0 && (strings.HasPrefix(args[0], "-") || strings.HasPrefix(args[0], "+")) {
		if args[0] == "--" || args[0] == "-" {
			args = args[1:]
			c.st.pos = slices.Clone(args)
			return 0
		}
		if args[0] == "-o" || args[0] == "+o" {
			if len(args) == 1 {
				c.print("allexport      \toff\nbraceexpand    \ton\nemacs          \ton\nerrexit        \toff\nhistory        \ton\nnoclobber      \toff\nnoglob         \toff\nnounset        \toff\npipefail       \toff\nposix          \toff\nvi             \toff\nxtrace         \toff\n")
				return 0
			}
			args = args[1:]
		}
		args = args[1:]
	}
	if len(args) > 0 {
		c.st.pos = slices.Clone(args)
	}
	return 0
}

func cmdAlias(c *cmdCtx) int {
	if len(c.args) == 0 || c.args[0] == "-p" && len(c.args) == 1 {
		names := make([]string, 0, len(c.st.aliases))
		for k := range c.st.aliases {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			c.printf("alias %s='%s'\n", k, strings.ReplaceAll(c.st.aliases[k], "'", `'\''`))
		}
		return 0
	}
	status := 0
	for _, a := range c.args {
		name, val, ok := strings.Cut(a, "=")
		if !ok {
			v, found := c.st.aliases[name]
			if !found {
				fmt.Fprintf(c.stderr, "%s: alias: %s: not found\n", c.sh(), name)
				status = 1
				continue
			}
			c.printf("alias %s='%s'\n", name, v)
			continue
		}
		if name == "" || strings.ContainsAny(name, "/$`=\"' \t") {
			fmt.Fprintf(c.stderr, "%s: alias: `%s': invalid alias name\n", c.sh(), name)
			status = 1
			continue
		}
		if _, exists := c.st.aliases[name]; !exists && len(c.st.aliases) >= MaxVars {
			continue
		}
		c.st.aliases[name] = capUTF8(val, 4096)
	}
	return status
}

func cmdUnalias(c *cmdCtx) int {
	for _, a := range c.args {
		if a == "-a" {
			clear(c.st.aliases)
			continue
		}
		if _, ok := c.st.aliases[a]; !ok {
			fmt.Fprintf(c.stderr, "%s: unalias: %s: not found\n", c.sh(), a)
			return 1
		}
		delete(c.st.aliases, a)
	}
	return 0
}

func cmdHistory(c *cmdCtx) int {
	s := c.s
	if len(c.args) > 0 {
		switch c.args[0] {
		case "-c":
			s.histShown = len(s.hist)
			return 0
		case "-w", "-a", "-r", "-n":
			return 0
		case "-d":
			return 0
		}
	}
	// bash loads the saved history at login, then appends this session's.
	var lines []string
	if hf, ok := c.st.get("HISTFILE"); ok && hf != "" && s.histShown == 0 {
		if data, err := c.v().readFile(c.cred(), hf, c.now); err == nil {
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				if l != "" {
					lines = append(lines, l)
				}
			}
		}
	}
	lines = append(lines, s.hist[s.histShown:]...)
	start := 0
	if len(c.args) > 0 {
		if n, err := strconv.Atoi(c.args[0]); err == nil && n >= 0 && n < len(lines) {
			start = len(lines) - n
		}
	}
	for i := start; i < len(lines); i++ {
		c.printf("%5d  %s\n", i+1, lines[i])
	}
	return 0
}

func cmdExit(c *cmdCtx) int {
	code := c.st.status
	if len(c.args) > 0 {
		n, err := strconv.Atoi(c.args[0])
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: exit: %s: numeric argument required\n", c.sh(), c.args[0])
			n = 2
		}
		code = n & 0xff
	}
	c.in.flow, c.in.code = flowExit, code
	return code
}

func cmdLogout(c *cmdCtx) int {
	if !c.st.login {
		return c.builtinErr(1, "not login shell: use `exit'")
	}
	return cmdExit(c)
}

// cmdSource does not run the file: sourced files on a decoy are either
// stock dotfiles (whose effects the session already has) or attacker
// content, which is never run.
func cmdSource(c *cmdCtx) int {
	if len(c.args) == 0 {
		fmt.Fprintf(c.stderr, "%s: %s: filename argument required\n%s: usage: %s filename [arguments]\n", c.sh(), c.name, c.name, c.name)
		return 2
	}
	if _, err := c.readFile(c.args[0]); err != nil {
		fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.sh(), c.args[0], strerror(err))
		return 1
	}
	return 0
}

func cmdEval(c *cmdCtx) int {
	src := strings.Join(c.args, " ")
	if strings.TrimSpace(src) == "" {
		return 0
	}
	in := c.in
	if in.depth >= MaxNesting {
		in.exhausted()
		return 1
	}
	l, err := parse(src, in.depth+1)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: eval: line 1: %s\n", c.sh(), err)
		return 2
	}
	in.depth++
	defer func() { in.depth-- }()
	return in.runList(l, c.io)
}

func cmdExec(c *cmdCtx) int {
	args := c.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	status, _, _ := c.in.exec(args, c.io, c.text)
	// exec replaces the shell; a shell replacing itself by a shell just
	// goes on (the new one was pushed), anything else ends it.
	if c.in.depth == 0 && c.in.sub == 0 && !isShellName(args[0]) {
		c.in.flow, c.in.code = flowExit, status
	}
	return status
}

func cmdRead(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "rsp:n:t:d:a:u:e", true)
	if !ok {
		return 2
	}
	if p := o.val('p'); p != "" {
		fmt.Fprint(c.stderr, p)
	}
	line, got := c.stdin.line()
	if !got {
		return 1
	}
	if !o.has('r') {
		line = strings.ReplaceAll(line, "\\", "")
	}
	names := o.rest
	if len(names) == 0 {
		names = []string{"REPLY"}
	}
	ifs := " \t\n"
	if v, ok := c.st.get("IFS"); ok {
		ifs = v
	}
	fields := strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(ifs, r) })
	for i, n := range names {
		if !validName(n) {
			return c.builtinErr(1, "`%s': not a valid identifier", n)
		}
		switch {
		case i >= len(fields):
			c.st.set(n, "")
		case i == len(names)-1:
			c.st.set(n, strings.Join(fields[i:], " "))
		default:
			c.st.set(n, fields[i])
		}
	}
	return 0
}

// describe says what name is for type and command -v: alias, keyword,
// function, builtin or file.
func (c *cmdCtx) describe(name string) (kind, detail string) {
	if a, ok := c.st.aliases[name]; ok {
		return "alias", a
	}
	if reservedWords[name] {
		return "keyword", ""
	}
	if _, ok := c.st.funcs[name]; ok {
		return "function", ""
	}
	if _, ok := builtins[name]; ok {
		return "builtin", ""
	}
	if p := c.which(name); p != "" {
		return "file", p
	}
	return "", ""
}

// which finds name on $PATH.
func (c *cmdCtx) which(name string) string {
	if strings.Contains(name, "/") {
		if n, _, err := c.v().lookup(c.cred(), c.abs(name), true); err == nil && !n.isDir() && c.cred().can(n, permX) {
			return name
		}
		return ""
	}
	pv, _ := c.st.get("PATH")
	for _, dir := range strings.Split(pv, ":") {
		if dir == "" {
			dir = "."
		}
		p := path.Join(dir, name)
		if n, _, err := c.v().lookup(c.cred(), c.abs(p), true); err == nil && !n.isDir() && c.cred().can(n, permX) {
			return p
		}
	}
	return ""
}

func cmdType(c *cmdCtx) int {
	status := 0
	args := c.args
	terse := false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if strings.Contains(args[0], "t") {
			terse = true
		}
		args = args[1:]
	}
	for _, n := range args {
		kind, detail := c.describe(n)
		if terse {
			if kind != "" {
				c.print(kind + "\n")
			} else {
				status = 1
			}
			continue
		}
		switch kind {
		case "alias":
			c.printf("%s is aliased to `%s'\n", n, detail)
		case "keyword":
			c.printf("%s is a shell keyword\n", n)
		case "function":
			c.printf("%s is a function\n", n)
		case "builtin":
			c.printf("%s is a shell builtin\n", n)
		case "file":
			c.printf("%s is %s\n", n, detail)
		default:
			fmt.Fprintf(c.stderr, "%s: type: %s: not found\n", c.sh(), n)
			status = 1
		}
	}
	return status
}

func cmdCommand(c *cmdCtx) int {
	args := c.args
	mode := ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && len(args[0]) > 1 {
		switch {
		case strings.Contains(args[0], "v"):
			mode = "v"
		case strings.Contains(args[0], "V"):
			mode = "V"
		}
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	switch mode {
	case "v":
		status := 0
		for _, n := range args {
			kind, detail := c.describe(n)
			switch kind {
			case "file":
				c.print(detail + "\n")
			case "alias":
				c.printf("alias %s='%s'\n", n, detail)
			case "":
				status = 1
			default:
				c.print(n + "\n")
			}
		}
		return status
	case "V":
		saved := c.args
		c.args = args
		defer func() { c.args = saved }()
		return cmdType(c)
	}
	if b := builtins[args[0]]; b != nil {
		return c.in.invoke(b, args[0], args, c.io, c.text)
	}
	status, _, _ := c.in.execFile(args, c.io, c.text)
	return status
}

func cmdBuiltin(c *cmdCtx) int {
	if len(c.args) == 0 {
		return 0
	}
	b := builtins[c.args[0]]
	if b == nil {
		return c.builtinErr(1, "%s: not a shell builtin", c.args[0])
	}
	return c.in.invoke(b, c.args[0], c.args, c.io, c.text)
}

func cmdHelp(c *cmdCtx) int {
	c.printf("GNU bash, version %s (%s-pc-linux-gnu)\nThese shell commands are defined internally.  Type `help' to see this list.\nType `help name' to find out more about the function `name'.\nUse `info bash' to find out more about the shell in general.\nUse `man -k' or `info' to find out more about commands not in this list.\n", c.fsys().d.bashVersion, c.fsys().p.Arch)
	return 0
}

func cmdTimes(c *cmdCtx) int {
	c.print("0m0.012s 0m0.004s\n0m0.103s 0m0.041s\n")
	return 0
}

func cmdDirs(c *cmdCtx) int {
	home, _ := c.st.get("HOME")
	c.print(tildePath(c.st.cwd, home) + "\n")
	return 0
}

func cmdPushd(c *cmdCtx) int {
	if len(c.args) == 0 {
		return c.builtinErr(1, "no other directory")
	}
	if s := cmdCd(c); s != 0 {
		return s
	}
	return cmdDirs(c)
}

func cmdFg(c *cmdCtx) int { return c.builtinErr(1, "current: no such job") }

func cmdBreak(c *cmdCtx) int    { return loopCtl(c, flowBreak) }
func cmdContinue(c *cmdCtx) int { return loopCtl(c, flowContinue) }

func loopCtl(c *cmdCtx, f flowKind) int {
	if c.in.loops == 0 {
		fmt.Fprintf(c.stderr, "%s: %s: only meaningful in a `for', `while', or `until' loop\n", c.sh(), c.name)
		return 0
	}
	n := 1
	if len(c.args) > 0 {
		v, err := strconv.Atoi(c.args[0])
		if err != nil || v < 1 {
			return c.builtinErr(1, "%s: loop count out of range", c.args[0])
		}
		n = v
	}
	c.in.flow, c.in.flowN = f, n
	return 0
}

func cmdReturn(c *cmdCtx) int {
	code := c.st.status
	if len(c.args) > 0 {
		v, err := strconv.Atoi(c.args[0])
		if err != nil {
			return c.builtinErr(2, "%s: numeric argument required", c.args[0])
		}
		code = v & 0xff
	}
	if c.in.fdepth == 0 && c.in.depth == 0 {
		return c.builtinErr(1, "can only `return' from a function or sourced script")
	}
	c.in.flow, c.in.code = flowReturn, code
	return code
}

func cmdShift(c *cmdCtx) int {
	n := 1
	if len(c.args) > 0 {
		n, _ = strconv.Atoi(c.args[0])
	}
	if n < 0 || n > len(c.st.pos) {
		return 1
	}
	c.st.pos = c.st.pos[n:]
	return 0
}

func cmdLocal(c *cmdCtx) int {
	if c.in.fdepth == 0 {
		return c.builtinErr(1, "can only be used in a function")
	}
	return cmdDeclare(c)
}

func cmdDeclare(c *cmdCtx) int {
	export, ro := false, false
	status := 0
	var names []string
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") || strings.HasPrefix(a, "+") {
			export = export || strings.Contains(a, "x")
			ro = ro || strings.Contains(a, "r")
			if strings.Contains(a, "f") || strings.Contains(a, "p") {
				names = names[:0]
			}
			continue
		}
		names = append(names, a)
		name, val, hasVal := strings.Cut(a, "=")
		if !validName(name) {
			fmt.Fprintf(c.stderr, "%s: %s: `%s': not a valid identifier\n", c.sh(), c.name, a)
			status = 1
			continue
		}
		if hasVal {
			if !c.st.set(name, val) {
				fmt.Fprintf(c.stderr, "%s: %s: readonly variable\n", c.sh(), name)
				status = 1
				continue
			}
		} else if _, ok := c.st.vars[name]; !ok {
			c.st.set(name, "")
		}
		if export {
			c.st.export(name)
		}
		if ro {
			if v := c.st.vars[name]; v != nil {
				v.readonly = true
			}
		}
	}
	if len(c.args) == 0 {
		return cmdSet(c)
	}
	return status
}

func cmdReadonly(c *cmdCtx) int {
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !validName(name) {
			continue
		}
		if hasVal {
			c.st.set(name, val)
		} else if _, ok := c.st.vars[name]; !ok {
			c.st.set(name, "")
		}
		if v := c.st.vars[name]; v != nil {
			v.readonly = true
		}
	}
	return 0
}

func cmdLet(c *cmdCtx) int {
	if len(c.args) == 0 {
		return c.builtinErr(1, "expression expected")
	}
	var v int64
	for _, a := range c.args {
		var err error
		if v, err = c.in.arith(a); err != nil {
			return c.builtinErr(1, "%s", err)
		}
	}
	return b2i(v == 0)
}

func cmdUlimit(c *cmdCtx) int {
	if len(c.args) == 0 || c.args[0] == "-f" {
		c.print("unlimited\n")
		return 0
	}
	switch c.args[0] {
	case "-a":
		mem := c.fsys().hw.memKB
		c.printf("real-time non-blocking time  (microseconds, -R) unlimited\ncore file size              (blocks, -c) 0\ndata seg size               (kbytes, -d) unlimited\nscheduling priority                 (-e) 0\nfile size                   (blocks, -f) unlimited\npending signals                     (-i) %d\nmax locked memory           (kbytes, -l) %d\nmax memory size             (kbytes, -m) unlimited\nopen files                          (-n) 1024\npipe size                (512 bytes, -p) 8\nPOSIX message queues         (bytes, -q) 819200\nreal-time priority                  (-r) 0\nstack size                  (kbytes, -s) 8192\ncpu time                   (seconds, -t) unlimited\nmax user processes                  (-u) %d\nvirtual memory              (kbytes, -v) unlimited\nfile locks                          (-x) unlimited\n",
			mem/64, mem/8, mem/64)
	case "-n":
		if len(c.args) > 1 {
			return 0
		}
		c.print("1024\n")
	case "-u":
		if len(c.args) > 1 {
			return 0
		}
		c.printf("%d\n", c.fsys().hw.memKB/64)
	case "-s":
		c.print("8192\n")
	case "-c":
		c.print("0\n")
	default:
		if len(c.args) == 1 {
			c.print("unlimited\n")
		}
	}
	return 0
}

func cmdUmask(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.printf("%04o\n", c.st.umask)
		return 0
	}
	if c.args[0] == "-S" {
		m := ^c.st.umask & 0o777
		c.printf("u=%s,g=%s,o=%s\n", rwx(m>>6), rwx(m>>3), rwx(m))
		return 0
	}
	v, err := strconv.ParseUint(c.args[0], 8, 32)
	if err != nil || v > 0o777 {
		return c.builtinErr(1, "%s: octal number out of range", c.args[0])
	}
	c.st.umask = int(v)
	return 0
}

func rwx(m int) string {
	s := ""
	if m&4 != 0 {
		s += "r"
	}
	if m&2 != 0 {
		s += "w"
	}
	if m&1 != 0 {
		s += "x"
	}
	return s
}

func cmdKill(c *cmdCtx) int {
	if len(c.args) == 0 {
		fmt.Fprintf(c.stderr, "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n")
		return 2
	}
	if c.args[0] == "-l" || c.args[0] == "-L" {
		c.print(" 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 4) SIGILL\t 5) SIGTRAP\n 6) SIGABRT\t 7) SIGBUS\t 8) SIGFPE\t 9) SIGKILL\t10) SIGUSR1\n11) SIGSEGV\t12) SIGUSR2\t13) SIGPIPE\t14) SIGALRM\t15) SIGTERM\n")
		return 0
	}
	status := 0
	for _, a := range c.args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		pid, err := strconv.Atoi(a)
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: kill: %s: arguments must be process or job IDs\n", c.sh(), a)
			status = 1
			continue
		}
		p := c.s.findProc(pid)
		switch {
		case p == nil:
			fmt.Fprintf(c.stderr, "%s: kill: (%d) - No such process\n", c.sh(), pid)
			status = 1
		case !c.root() && p.user != c.st.acct.name:
			fmt.Fprintf(c.stderr, "%s: kill: (%d) - Operation not permitted\n", c.sh(), pid)
			status = 1
		}
	}
	return status
}

// testArg is one operand of test or [[ ]]: its value and, for the right
// side of == in [[ ]], the glob pattern form.
type testArg struct{ v, pat string }

func cmdTest(c *cmdCtx) int {
	args := c.args
	if c.name == "[" {
		if len(args) == 0 || args[len(args)-1] != "]" {
			fmt.Fprintf(c.stderr, "%s: [: missing `]'\n", c.sh())
			return 2
		}
		args = args[:len(args)-1]
	}
	ta := make([]testArg, len(args))
	for i, a := range args {
		ta[i] = testArg{v: a, pat: escapeGlob(a)}
	}
	return evalTest(c, ta, false)
}

// evalTest evaluates test / [ / [[ expressions: unary file and string
// tests, binary comparisons, !, -a/-o (&&/|| in [[ ]]) and parentheses.
func evalTest(c *cmdCtx, args []testArg, cond bool) int {
	t := &tester{c: c, args: args, cond: cond}
	if len(args) == 0 {
		return 1
	}
	v := t.or()
	if t.err != "" {
		fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.sh(), c.name, t.err)
		return 2
	}
	if t.i < len(args) {
		fmt.Fprintf(c.stderr, "%s: %s: too many arguments\n", c.sh(), c.name)
		return 2
	}
	return b2i(!v)
}

type tester struct {
	c     *cmdCtx
	args  []testArg
	i     int
	cond  bool
	err   string
	depth int
}

func (t *tester) peek() string {
	if t.i < len(t.args) {
		return t.args[t.i].v
	}
	return ""
}

func (t *tester) or() bool {
	v := t.and()
	for t.err == "" && t.i < len(t.args) && (t.peek() == "-o" && !t.cond || t.peek() == "||" && t.cond) {
		t.i++
		r := t.and()
		v = v || r
	}
	return v
}

func (t *tester) and() bool {
	v := t.not()
	for t.err == "" && t.i < len(t.args) && (t.peek() == "-a" && !t.cond || t.peek() == "&&" && t.cond) {
		t.i++
		r := t.not()
		v = v && r
	}
	return v
}

func (t *tester) not() bool {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > maxArithDepth {
		t.err = "expression too complex"
		return false
	}
	if t.peek() == "!" && t.i+1 < len(t.args) {
		t.i++
		return !t.not()
	}
	return t.primary()
}

var unaryTests = "-e -f -d -r -w -x -s -L -h -b -c -p -S -g -u -k -O -G -N -t -z -n -a -v"

func (t *tester) primary() bool {
	if t.i >= len(t.args) {
		t.err = "argument expected"
		return false
	}
	a := t.args[t.i]
	if a.v == "(" {
		t.i++
		v := t.or()
		if t.peek() != ")" {
			t.err = "`)' expected"
			return false
		}
		t.i++
		return v
	}
	if t.i+2 < len(t.args) && isBinaryTest(t.args[t.i+1].v, t.cond) {
		l, r := t.args[t.i], t.args[t.i+2]
		op := t.args[t.i+1].v
		t.i += 3
		return t.binary(op, l, r)
	}
	if strings.Contains(unaryTests, a.v) && len(a.v) == 2 && t.i+1 < len(t.args) {
		t.i += 2
		return t.unary(a.v, t.args[t.i-1].v)
	}
	t.i++
	return a.v != ""
}

func isBinaryTest(op string, cond bool) bool {
	switch op {
	case "=", "==", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-nt", "-ot", "-ef", "<", ">":
		return true
	case "=~":
		return cond
	}
	return false
}

func (t *tester) unary(op, arg string) bool {
	c := t.c
	switch op {
	case "-z":
		return arg == ""
	case "-n":
		return arg != ""
	case "-t":
		return c.tty && (arg == "0" || arg == "1")
	case "-v":
		_, ok := c.st.get(arg)
		return ok
	}
	if arg == "" {
		return false
	}
	follow := op != "-L" && op != "-h"
	n, _, err := c.v().lookup(c.cred(), c.abs(arg), follow)
	if err != nil {
		return false
	}
	switch op {
	case "-e", "-a":
		return true
	case "-f":
		return n.mode.IsRegular()
	case "-d":
		return n.isDir()
	case "-L", "-h":
		return n.isLink()
	case "-r":
		return c.cred().can(n, permR)
	case "-w":
		return c.cred().can(n, permW)
	case "-x":
		return c.cred().can(n, permX)
	case "-s":
		return n.displaySize() > 0 || len(n.data) > 0
	case "-c":
		return n.isDev()
	case "-b", "-p", "-S":
		return false
	case "-u":
		return n.mode&fs.ModeSetuid != 0
	case "-g":
		return n.mode&fs.ModeSetgid != 0
	case "-k":
		return n.mode&fs.ModeSticky != 0
	case "-O":
		return n.uid == c.st.acct.uid
	case "-G":
		return n.gid == c.st.acct.gid
	}
	return false
}

func (t *tester) binary(op string, l, r testArg) bool {
	switch op {
	case "=", "==":
		if t.cond {
			return globMatch(r.pat, l.v)
		}
		return l.v == r.v
	case "!=":
		if t.cond {
			return !globMatch(r.pat, l.v)
		}
		return l.v != r.v
	case "<":
		return l.v < r.v
	case ">":
		return l.v > r.v
	case "=~":
		if len(r.v) > 1024 {
			return false
		}
		re, err := regexp.Compile(r.v)
		if err != nil {
			return false
		}
		return re.MatchString(l.v)
	case "-nt", "-ot", "-ef":
		a, _, e1 := t.c.v().lookup(t.c.cred(), t.c.abs(l.v), true)
		b, _, e2 := t.c.v().lookup(t.c.cred(), t.c.abs(r.v), true)
		if e1 != nil || e2 != nil {
			return false
		}
		switch op {
		case "-nt":
			return a.mtime.After(b.mtime)
		case "-ot":
			return a.mtime.Before(b.mtime)
		}
		return a == b
	}
	x, err1 := t.num(l.v)
	y, err2 := t.num(r.v)
	if err1 != nil || err2 != nil {
		return false
	}
	switch op {
	case "-eq":
		return x == y
	case "-ne":
		return x != y
	case "-lt":
		return x < y
	case "-le":
		return x <= y
	case "-gt":
		return x > y
	case "-ge":
		return x >= y
	}
	return false
}

func (t *tester) num(s string) (int64, error) {
	if t.cond {
		return t.c.in.arith(s)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.err = s + ": integer expression expected"
	}
	return v, err
}

// findProc looks a pid up among the persona's processes and this
// session's.
func (s *Session) findProc(pid int) *proc {
	for i := range s.fs.procs {
		if s.fs.procs[i].pid == pid {
			return &s.fs.procs[i]
		}
	}
	for _, p := range s.sessionProcs(time.Time{}) {
		if p.pid == pid {
			return &p
		}
	}
	return nil
}
