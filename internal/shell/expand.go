package shell

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// errArgTooLong is returned when an expansion outgrows MaxArgs/MaxArgBytes;
// errBudget when the line's expansion budget is spent (already reported).
var (
	errArgTooLong = errors.New("Argument list too long")
	errBudget     = errors.New("budget exhausted")
)

// maxBraceItems caps what one brace expansion may produce.
const maxBraceItems = 1024

// field is one word being built during expansion: its value, the same
// text as a glob pattern (quoted parts escaped), and whether it exists
// (an empty quoted string is a field; an empty unquoted expansion is not).
type field struct {
	s    strings.Builder
	pat  strings.Builder
	glob bool
	has  bool
}

type expander struct {
	in     *interp
	out    []string
	cur    *field
	split  bool
	size   int
	tilde  bool
	ifs    string
	err    error
	pattrn bool // building a pattern only (case, [[ == ]])
}

// expandWords expands words into argv: brace, tilde, parameter, command
// and arithmetic expansion, field splitting, globbing and quote removal.
func (in *interp) expandWords(ws []*word) ([]string, error) {
	var out []string
	size := 0
	for _, w := range ws {
		for _, bw := range braceExpand(w) {
			fs, err := in.expandWord(bw, true)
			if err != nil {
				return nil, err
			}
			for _, f := range fs {
				size += len(f) + 1
			}
			out = append(out, fs...)
			if len(out) > MaxArgs || size > MaxArgBytes {
				return nil, errArgTooLong
			}
			if in.flow == flowAbort {
				return out, nil
			}
		}
	}
	return out, nil
}

// expandString expands w into one string without splitting or globbing
// (assignments, redirection targets, here-documents, case subjects).
func (in *interp) expandString(w *word) (string, error) {
	if w == nil {
		return "", nil
	}
	fs, err := in.expandWord(w, false)
	if err != nil {
		return "", err
	}
	return strings.Join(fs, " "), nil
}

// expandPattern expands w into a glob pattern: quoted parts are escaped
// so they match literally.
func (in *interp) expandPattern(w *word) (string, error) {
	e := &expander{in: in, cur: &field{}, pattrn: true}
	e.run(w)
	return e.cur.pat.String(), e.err
}

func (in *interp) expandWord(w *word, split bool) ([]string, error) {
	e := &expander{in: in, cur: &field{}, split: split, tilde: true}
	if split {
		e.ifs = " \t\n"
		if v, ok := in.s.st.get("IFS"); ok {
			e.ifs = v
		}
	}
	e.run(w)
	if e.err != nil {
		return nil, e.err
	}
	if e.cur.has || !split {
		e.emit()
	}
	if !split {
		return []string{strings.Join(e.out, "")}, nil
	}
	return e.out, nil
}

func (e *expander) emit() {
	f := e.cur
	e.cur = &field{}
	if e.split && f.glob {
		if m := e.in.glob(f.pat.String()); len(m) > 0 {
			e.out = append(e.out, m...)
			return
		}
	}
	e.out = append(e.out, f.s.String())
}

func (e *expander) grow(n int) bool {
	e.size += n
	e.in.expanded += n
	if e.in.expanded > MaxExpandPerLine {
		e.in.exhausted()
		e.err = errBudget
		return false
	}
	if e.size > MaxArgBytes {
		e.err = errArgTooLong
		return false
	}
	return true
}

// lit appends literal text; quoted text is never split or globbed.
func (e *expander) lit(s string, quoted bool) {
	if !e.grow(len(s)) {
		return
	}
	e.cur.s.WriteString(s)
	if quoted {
		e.cur.pat.WriteString(escapeGlob(s))
		e.cur.has = true
		return
	}
	e.cur.pat.WriteString(s)
	if globMeta(s) {
		e.cur.glob = true
	}
	if s != "" {
		e.cur.has = true
	}
}

// expansion appends the result of an unquoted or quoted expansion,
// splitting unquoted results on IFS.
func (e *expander) expansion(v string, quoted bool) {
	if quoted || !e.split {
		if !e.grow(len(v)) {
			return
		}
		e.cur.s.WriteString(v)
		if e.pattrn && !quoted {
			e.cur.pat.WriteString(v)
		} else {
			e.cur.pat.WriteString(escapeGlob(v))
		}
		if quoted {
			e.cur.has = true
		} else if v != "" {
			e.cur.has = true
		}
		return
	}
	isWS := func(c byte) bool { return (c == ' ' || c == '\t' || c == '\n') && strings.IndexByte(e.ifs, c) >= 0 }
	isIFS := func(c byte) bool { return strings.IndexByte(e.ifs, c) >= 0 }
	i := 0
	if i < len(v) && isWS(v[i]) {
		if e.cur.has {
			e.emit()
		}
		for i < len(v) && isWS(v[i]) {
			i++
		}
	}
	for i < len(v) && e.err == nil {
		j := i
		for j < len(v) && !isIFS(v[j]) {
			j++
		}
		e.lit(v[i:j], false)
		if j >= len(v) {
			return
		}
		i = j
		for i < len(v) && isWS(v[i]) {
			i++
		}
		hard := false
		if i < len(v) && isIFS(v[i]) && !isWS(v[i]) {
			hard = true
			i++
			for i < len(v) && isWS(v[i]) {
				i++
			}
		}
		if e.cur.has || hard {
			e.cur.has = true
			e.emit()
		}
		if len(e.out) > MaxArgs {
			e.err = errArgTooLong
			return
		}
	}
}

func (e *expander) run(w *word) {
	for i, p := range w.parts {
		if e.err != nil || e.in.flow == flowAbort {
			return
		}
		switch x := p.(type) {
		case *litPart:
			s := x.s
			if i == 0 && e.tilde && !x.quoted && strings.HasPrefix(s, "~") {
				s = e.in.tilde(s)
			}
			e.lit(s, x.quoted)
		case *paramPart:
			if x.name == "@" && x.op == "" && !x.length && x.quoted && e.split {
				for j, a := range e.in.s.st.pos {
					if j > 0 {
						e.emit()
					}
					e.lit(a, true)
				}
				continue
			}
			v, err := e.in.param(x)
			if err != nil {
				e.err = err
				return
			}
			e.expansion(v, x.quoted)
		case *substPart:
			e.expansion(e.in.substitute(x.body), x.quoted)
		case *arithPart:
			inner, err := e.in.expandArithText(x.expr)
			if err != nil {
				e.err = err
				return
			}
			v, err := e.in.arith(inner)
			if err != nil {
				e.err = err
				return
			}
			e.expansion(strconv.FormatInt(v, 10), x.quoted)
		}
	}
}

// expandArithText expands $(…) and ${…} inside $(( )) before evaluation;
// plain $name is left to the arithmetic evaluator.
func (in *interp) expandArithText(expr string) (string, error) {
	if !strings.Contains(expr, "$(") && !strings.Contains(expr, "${") && !strings.Contains(expr, "`") {
		return expr, nil
	}
	p := &parser{src: expr, depth: in.depth + 1}
	parts := p.lexDquote(true)
	if p.err != nil {
		return "", p.err
	}
	return in.expandString(&word{parts: parts})
}

// tilde expands a leading ~, ~user, ~+ or ~- of an unquoted word.
func (in *interp) tilde(s string) string {
	head, rest, _ := strings.Cut(s, "/")
	slash := ""
	if len(head) < len(s) {
		slash = "/"
	}
	var dir string
	switch head {
	case "~":
		dir, _ = in.s.st.get("HOME")
	case "~+":
		dir = in.s.st.cwd
	case "~-":
		dir, _ = in.s.st.get("OLDPWD")
	default:
		a, ok := in.s.lookupAccount(head[1:])
		if !ok {
			return s
		}
		dir = a.home
	}
	if dir == "" {
		return s
	}
	return dir + slash + rest
}

// tildeAssign applies tilde expansion to an assignment value written as
// ~/… (bash also expands after ':'; PATH=~/bin:$PATH is the common case).
func (in *interp) tildeAssign(val string, w *word) string {
	if len(w.parts) > 0 {
		if l, ok := w.parts[0].(*litPart); ok && !l.quoted && strings.HasPrefix(l.s, "~") && strings.HasPrefix(val, "~") {
			return in.tilde(val)
		}
	}
	return val
}

// substitute runs a command substitution and returns its output with
// trailing newlines removed.
func (in *interp) substitute(body *list) string {
	if in.depth >= MaxNesting {
		in.exhausted()
		return ""
	}
	var buf bytes.Buffer
	out := newCap(&buf, MaxSubstOutput)
	in.depth++
	status := in.subshell(func() int {
		return in.runList(body, stdio{in: newInput(nil), out: out, err: in.term})
	})
	in.depth--
	in.substStatus = status
	in.s.st.status = status
	return strings.TrimRight(buf.String(), "\n")
}

// param expands one ${…} or $name.
func (in *interp) param(p *paramPart) (string, error) {
	st := in.s.st
	if p.op == "bad" {
		return "", fmt.Errorf("%s: bad substitution", p.raw)
	}
	name := p.name
	if p.op == "!" {
		ref, _ := in.lookupVar(name)
		if !validName(ref) && !allDigits(ref) {
			return "", fmt.Errorf("%s: invalid indirect expansion", name)
		}
		v, _ := in.lookupVar(ref)
		return v, nil
	}
	v, set := in.lookupVar(name)
	if p.length {
		if name == "@" || name == "*" {
			return strconv.Itoa(len(st.pos)), nil
		}
		return strconv.Itoa(utf8.RuneCountInString(v)), nil
	}
	arg := func() (string, error) { return in.expandString(p.arg) }
	switch p.op {
	case "":
		return v, nil
	case ":-", "-":
		if !set || p.op == ":-" && v == "" {
			return arg()
		}
		return v, nil
	case ":=", "=":
		if !set || p.op == ":=" && v == "" {
			a, err := arg()
			if err != nil {
				return "", err
			}
			if !validName(name) {
				return "", fmt.Errorf("$%s: cannot assign in this way", name)
			}
			st.set(name, a)
			return a, nil
		}
		return v, nil
	case ":+", "+":
		if !set || p.op == ":+" && v == "" {
			return "", nil
		}
		return arg()
	case ":?", "?":
		if !set || p.op == ":?" && v == "" {
			a, err := arg()
			if err != nil {
				return "", err
			}
			if a == "" {
				a = "parameter null or not set"
			}
			return "", fmt.Errorf("%s: %s", name, a)
		}
		return v, nil
	case "#", "##", "%", "%%":
		pat, err := in.expandPattern(p.arg)
		if err != nil {
			return "", err
		}
		return trimPattern(v, pat, p.op), nil
	case "/", "//", "/#", "/%":
		pat, err := in.expandPattern(p.arg)
		if err != nil {
			return "", err
		}
		rep, err := in.expandString(p.repl)
		if err != nil {
			return "", err
		}
		return replacePattern(v, pat, rep, p.op), nil
	case ":":
		spec, err := arg()
		if err != nil {
			return "", err
		}
		return in.substring(v, spec)
	case "^^":
		return strings.ToUpper(v), nil
	case ",,":
		return strings.ToLower(v), nil
	case "^":
		if v == "" {
			return v, nil
		}
		return strings.ToUpper(v[:1]) + v[1:], nil
	case ",":
		if v == "" {
			return v, nil
		}
		return strings.ToLower(v[:1]) + v[1:], nil
	}
	return v, nil
}

func (in *interp) substring(v, spec string) (string, error) {
	offS, lenS, hasLen := strings.Cut(spec, ":")
	off, err := in.arith(offS)
	if err != nil {
		return "", err
	}
	r := []rune(v)
	n := int64(len(r))
	if off < 0 {
		off += n
		if off < 0 {
			off = 0
		}
	}
	if off > n {
		return "", nil
	}
	end := n
	if hasLen {
		l, err := in.arith(lenS)
		if err != nil {
			return "", err
		}
		if l < 0 {
			end = n + l
			if end < off {
				return "", fmt.Errorf("%s: substring expression < 0", lenS)
			}
		} else if off+l < n {
			end = off + l
		}
	}
	return string(r[off:end]), nil
}

// trimPattern implements ${v#p}, ${v##p}, ${v%p}, ${v%%p}. Literal
// patterns take the fast path; glob patterns run only on short values
// because each candidate costs a match.
func trimPattern(v, pat, op string) string {
	if !globMeta(pat) {
		lit := unescapeGlob(pat)
		if op[0] == '#' {
			return strings.TrimPrefix(v, lit)
		}
		return strings.TrimSuffix(v, lit)
	}
	if len(v) > maxPatternScan {
		return v
	}
	switch op {
	case "#":
		for i := 0; i <= len(v); i++ {
			if globMatch(pat, v[:i]) {
				return v[i:]
			}
		}
	case "##":
		for i := len(v); i >= 0; i-- {
			if globMatch(pat, v[:i]) {
				return v[i:]
			}
		}
	case "%":
		for i := len(v); i >= 0; i-- {
			if globMatch(pat, v[i:]) {
				return v[:i]
			}
		}
	case "%%":
		for i := 0; i <= len(v); i++ {
			if globMatch(pat, v[i:]) {
				return v[:i]
			}
		}
	}
	return v
}

// replacePattern implements ${v/p/r} and friends.
func replacePattern(v, pat, rep, op string) string {
	if pat == "" {
		return v
	}
	if !globMeta(pat) {
		lit := unescapeGlob(pat)
		switch op {
		case "//":
			return strings.ReplaceAll(v, lit, rep)
		case "/#":
			if strings.HasPrefix(v, lit) {
				return rep + v[len(lit):]
			}
			return v
		case "/%":
			if strings.HasSuffix(v, lit) {
				return v[:len(v)-len(lit)] + rep
			}
			return v
		}
		return strings.Replace(v, lit, rep, 1)
	}
	if len(v) > maxPatternScan {
		return v
	}
	switch op {
	case "/#":
		for i := len(v); i >= 0; i-- {
			if globMatch(pat, v[:i]) {
				return rep + v[i:]
			}
		}
		return v
	case "/%":
		for i := 0; i <= len(v); i++ {
			if globMatch(pat, v[i:]) {
				return v[:i] + rep
			}
		}
		return v
	}
	var b strings.Builder
	i := 0
	done := false
	for i < len(v) {
		if !done {
			for j := len(v); j > i; j-- {
				if globMatch(pat, v[i:j]) {
					b.WriteString(rep)
					i = j
					if op == "/" {
						done = true
					}
					goto next
				}
			}
		}
		b.WriteByte(v[i])
		i++
	next:
	}
	return b.String()
}

// glob expands a pattern against the view, walking at most MaxWalk
// entries; no match returns nil (the word is kept as typed).
func (in *interp) glob(pat string) []string {
	s := in.s
	c := s.st.cred()
	abs := strings.HasPrefix(pat, "/")
	comps := strings.Split(strings.Trim(pat, "/"), "/")
	type cand struct{ show, real string }
	cur := []cand{{"", "/"}}
	if !abs {
		cur = []cand{{"", s.st.cwd}}
	}
	walked := 0
	for i, comp := range comps {
		last := i == len(comps)-1
		var next []cand
		for _, cd := range cur {
			join := func(name string) cand {
				show := name
				if cd.show != "" {
					show = strings.TrimSuffix(cd.show, "/") + "/" + name
				} else if abs {
					show = "/" + name
				}
				return cand{show, path.Join(cd.real, name)}
			}
			if comp == "" {
				continue
			}
			if !globMeta(comp) {
				lit := unescapeGlob(comp)
				nc := join(lit)
				if _, _, err := s.v.lookup(c, nc.real, last); err == nil {
					next = append(next, nc)
				}
				continue
			}
			ents, err := s.v.readDir(c, cd.real)
			if err != nil {
				continue
			}
			for _, e := range ents {
				walked++
				if walked > MaxWalk || len(next) >= MaxGlobMatches || !in.visit() {
					break
				}
				if strings.HasPrefix(e.name, ".") && !strings.HasPrefix(comp, ".") && !strings.HasPrefix(comp, "\\.") {
					continue
				}
				if globMatch(comp, e.name) {
					if !last && !e.n.isDir() && !e.n.isLink() {
						continue
					}
					next = append(next, join(e.name))
				}
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil
		}
	}
	out := make([]string, 0, len(cur))
	for _, cd := range cur {
		show := cd.show
		if strings.HasSuffix(pat, "/") {
			show += "/"
		}
		out = append(out, show)
	}
	return out
}

// braceExpand applies brace expansion ({a,b}, {1..5}, {a..e}) to the
// unquoted literal parts of w. Only braces inside a single literal part
// expand, which covers what people type (cp f{,.bak}, mkdir -p a/{b,c}).
func braceExpand(w *word) []*word {
	for i, p := range w.parts {
		l, ok := p.(*litPart)
		if !ok || l.quoted || !strings.Contains(l.s, "{") {
			continue
		}
		alts := expandBraces(l.s, 0)
		if len(alts) <= 1 {
			continue
		}
		out := make([]*word, 0, len(alts))
		for _, a := range alts {
			nw := &word{parts: make([]part, len(w.parts))}
			copy(nw.parts, w.parts)
			nw.parts[i] = &litPart{s: a}
			out = append(out, braceExpand(nw)...)
			if len(out) > maxBraceItems {
				return out[:maxBraceItems]
			}
		}
		return out
	}
	return []*word{w}
}

// expandBraces expands the first brace group of s.
func expandBraces(s string, depth int) []string {
	if depth > 8 {
		return []string{s}
	}
	for open := strings.IndexByte(s, '{'); open >= 0; {
		lvl := 0
		close := -1
		var commas []int
		for j := open; j < len(s); j++ {
			switch s[j] {
			case '{':
				lvl++
			case '}':
				lvl--
				if lvl == 0 {
					close = j
				}
			case ',':
				if lvl == 1 {
					commas = append(commas, j)
				}
			}
			if close >= 0 {
				break
			}
		}
		if close < 0 {
			return []string{s}
		}
		pre, body, post := s[:open], s[open+1:close], s[close+1:]
		var items []string
		if len(commas) > 0 {
			start := open + 1
			for _, c := range append(commas, close) {
				items = append(items, s[start:c])
				start = c + 1
			}
		} else if seq := braceSeq(body); seq != nil {
			items = seq
		} else {
			next := strings.IndexByte(s[open+1:], '{')
			if next < 0 {
				return []string{s}
			}
			open += 1 + next
			continue
		}
		var out []string
		for _, it := range items {
			for _, x := range expandBraces(pre+it+post, depth+1) {
				out = append(out, x)
				if len(out) >= maxBraceItems {
					return out
				}
			}
		}
		return out
	}
	return []string{s}
}

// braceSeq expands a..b or x..y[..step].
func braceSeq(body string) []string {
	f := strings.Split(body, "..")
	if len(f) < 2 || len(f) > 3 {
		return nil
	}
	step := 1
	if len(f) == 3 {
		st, err := strconv.Atoi(f[2])
		if err != nil || st == 0 {
			return nil
		}
		step = max(st, -st)
	}
	a, errA := strconv.Atoi(f[0])
	b, errB := strconv.Atoi(f[1])
	if errA == nil && errB == nil {
		if (b-a)/step > maxBraceItems || (a-b)/step > maxBraceItems {
			return nil
		}
		var out []string
		if a <= b {
			for i := a; i <= b; i += step {
				out = append(out, strconv.Itoa(i))
			}
		} else {
			for i := a; i >= b; i -= step {
				out = append(out, strconv.Itoa(i))
			}
		}
		return out
	}
	if len(f[0]) == 1 && len(f[1]) == 1 {
		var out []string
		x, y := f[0][0], f[1][0]
		if x <= y {
			for c := int(x); c <= int(y); c += step {
				out = append(out, string(rune(c)))
			}
		} else {
			for c := int(x); c >= int(y); c -= step {
				out = append(out, string(rune(c)))
			}
		}
		return out
	}
	return nil
}
