package shell

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func init() {
	register("awk", cmdSpec{fn: cmdAwk, bin: "usr/bin", size: 719392, busybox: true})
	register("gawk", cmdSpec{fn: cmdAwk, bin: "usr/bin", size: 719392, avail: func(d *distro) bool { return d.family == "rhel" || d.family == "arch" }})
	register("mawk", cmdSpec{fn: cmdAwk, bin: "usr/bin", size: 162680, avail: onlyFamily("debian")})
}

// A small awk: patterns (BEGIN, END, /re/, expressions), and actions with
// print, printf, assignment, if/else, for, for-in, next, associative
// arrays and the common built-in functions. It is what one-liners use
// (`awk -F: '{print $1}'`, `awk 'NR==2{print $2}'`, counting with arrays).
// Programs are capped in size and every run is capped in steps.

const (
	maxAwkProgram = 8 << 10
	maxAwkSteps   = 200000
)

type awkCell struct {
	s     string
	n     float64
	isNum bool
}

func awkStr(s string) awkCell { return awkCell{s: s} }
func awkNum(n float64) awkCell {
	return awkCell{n: n, isNum: true, s: awkFmtNum(n)}
}

func awkFmtNum(n float64) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e16 {
		return strconv.FormatInt(int64(n), 10)
	}
	return strconv.FormatFloat(n, 'g', 6, 64)
}

func (v awkCell) num() float64 {
	if v.isNum {
		return v.n
	}
	s := strings.TrimSpace(v.s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || end == 0 && (s[end] == '-' || s[end] == '+') || (s[end] == 'e' || s[end] == 'E') && end > 0) {
		end++
	}
	f, _ := strconv.ParseFloat(s[:end], 64)
	return f
}

// looksNumeric says whether a field value compares as a number.
func (v awkCell) looksNumeric() bool {
	if v.isNum {
		return true
	}
	_, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
	return err == nil && strings.TrimSpace(v.s) != ""
}

func (v awkCell) truth() bool {
	if v.isNum {
		return v.n != 0
	}
	return v.s != ""
}

type awkState struct {
	c      *cmdCtx
	vars   map[string]awkCell
	arrays map[string]map[string]awkCell
	fields []string
	line   string
	steps  int
	next   bool
	exit   bool
	out    strings.Builder
	err    string
}

func (st *awkState) step() bool {
	st.steps++
	return st.steps < maxAwkSteps && st.out.Len() < MaxCmdOutput && !st.exit
}

func (st *awkState) getField(i int) string {
	if i == 0 {
		return st.line
	}
	if i < 0 || i > len(st.fields) {
		return ""
	}
	return st.fields[i-1]
}

func (st *awkState) setField(i int, v string) {
	if i == 0 {
		st.setLine(v)
		return
	}
	if i < 0 || i > 10000 {
		return
	}
	for len(st.fields) < i {
		st.fields = append(st.fields, "")
	}
	st.fields[i-1] = v
	ofs := st.vars["OFS"].s
	st.line = strings.Join(st.fields, ofs)
	st.vars["NF"] = awkNum(float64(len(st.fields)))
}

func (st *awkState) setLine(l string) {
	st.line = l
	fs := st.vars["FS"].s
	switch {
	case fs == " ":
		st.fields = strings.Fields(l)
	case len(fs) == 1 && fs != "\\":
		st.fields = strings.Split(l, fs)
	default:
		re, err := regexp.Compile(fs)
		if err != nil {
			st.fields = strings.Split(l, fs)
		} else {
			st.fields = re.Split(l, -1)
		}
	}
	if l == "" {
		st.fields = nil
	}
	st.vars["NF"] = awkNum(float64(len(st.fields)))
}

type awkExpr func(st *awkState) awkCell
type awkStmt func(st *awkState)

type awkRule struct {
	kind string // BEGIN, END, or "" for per-line
	pat  awkExpr
	act  awkStmt
}

// awk lexer and parser over the program text.
type awkParser struct {
	src   string
	pos   int
	err   string
	depth int
}

func (p *awkParser) fail(msg string) {
	if p.err == "" {
		p.err = msg
	}
	p.pos = len(p.src)
}

func (p *awkParser) skipSpace(nl bool) {
	p.pos = min(p.pos, len(p.src))
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n':
			p.pos++
		case c == '\n' && nl:
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
			continue
		default:
			return
		}
		p.pos++
	}
}

func (p *awkParser) peek(s string) bool {
	p.skipSpace(false)
	return strings.HasPrefix(p.src[p.pos:], s)
}

func (p *awkParser) eat(s string) bool {
	if p.peek(s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *awkParser) word() string {
	p.skipSpace(false)
	i := p.pos
	for i < len(p.src) && isNameChar(p.src[i]) {
		i++
	}
	if i == p.pos || p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		return ""
	}
	w := p.src[p.pos:i]
	p.pos = i
	return w
}

func (p *awkParser) peekWord(w string) bool {
	save := p.pos
	got := p.word()
	p.pos = save
	return got == w
}

func parseAwk(src string) ([]awkRule, string) {
	p := &awkParser{src: src}
	var rules []awkRule
	for p.err == "" {
		p.skipSpace(true)
		for p.eat(";") {
			p.skipSpace(true)
		}
		if p.pos >= len(p.src) {
			break
		}
		var r awkRule
		switch {
		case p.peekWord("BEGIN"):
			p.word()
			r.kind = "BEGIN"
		case p.peekWord("END"):
			p.word()
			r.kind = "END"
		case !p.peek("{"):
			r.pat = p.expr()
		}
		if p.peek("{") {
			r.act = p.block()
		} else if r.kind != "" {
			p.fail("syntax error")
		}
		rules = append(rules, r)
	}
	return rules, p.err
}

func (p *awkParser) block() awkStmt {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 32 {
		p.fail("nesting too deep")
		return func(*awkState) {}
	}
	if !p.eat("{") {
		p.fail("syntax error")
		return func(*awkState) {}
	}
	var stmts []awkStmt
	for p.err == "" {
		p.skipSpace(true)
		for p.eat(";") {
			p.skipSpace(true)
		}
		if p.eat("}") {
			break
		}
		if p.pos >= len(p.src) {
			p.fail("unexpected end of program")
			break
		}
		stmts = append(stmts, p.stmt())
	}
	return func(st *awkState) {
		for _, s := range stmts {
			if st.next || st.exit || !st.step() {
				return
			}
			s(st)
		}
	}
}

func (p *awkParser) simpleEnd() {
	p.skipSpace(false)
	p.eat(";")
}

func (p *awkParser) stmt() awkStmt {
	p.skipSpace(true)
	if p.peek("{") {
		return p.block()
	}
	save := p.pos
	switch p.word() {
	case "print":
		var args []awkExpr
		for !p.peek(";") && !p.peek("}") && !p.peek("\n") && !p.peek(">") && p.pos < len(p.src) && p.err == "" {
			args = append(args, p.ternary(false))
			if !p.eat(",") {
				break
			}
		}
		p.skipRedirect()
		p.simpleEnd()
		return func(st *awkState) {
			if len(args) == 0 {
				st.out.WriteString(st.line + st.vars["ORS"].s)
				return
			}
			parts := make([]string, len(args))
			for i, a := range args {
				v := a(st)
				if v.isNum {
					parts[i] = awkOutNum(v.n, st.vars["OFMT"].s)
				} else {
					parts[i] = v.s
				}
			}
			st.out.WriteString(strings.Join(parts, st.vars["OFS"].s) + st.vars["ORS"].s)
		}
	case "printf":
		paren := p.eat("(")
		var args []awkExpr
		for !p.peek(";") && !p.peek("}") && !p.peek("\n") && !p.peek(")") && p.pos < len(p.src) && p.err == "" {
			args = append(args, p.ternary(false))
			if !p.eat(",") {
				break
			}
		}
		if paren {
			p.eat(")")
		}
		p.skipRedirect()
		p.simpleEnd()
		return func(st *awkState) {
			if len(args) == 0 {
				return
			}
			st.out.WriteString(awkSprintf(st, args))
		}
	case "next":
		p.simpleEnd()
		return func(st *awkState) { st.next = true }
	case "exit":
		if !p.peek(";") && !p.peek("}") {
			p.expr()
		}
		p.simpleEnd()
		return func(st *awkState) { st.exit = true }
	case "if":
		p.eat("(")
		cond := p.expr()
		p.eat(")")
		then := p.stmt()
		p.skipSpace(true)
		var els awkStmt
		if p.peekWord("else") {
			p.word()
			els = p.stmt()
		}
		return func(st *awkState) {
			if cond(st).truth() {
				then(st)
			} else if els != nil {
				els(st)
			}
		}
	case "while":
		p.eat("(")
		cond := p.expr()
		p.eat(")")
		body := p.stmt()
		return func(st *awkState) {
			for cond(st).truth() && st.step() && !st.next {
				body(st)
			}
		}
	case "for":
		p.eat("(")
		save2 := p.pos
		if v := p.word(); v != "" && p.peekWord("in") {
			p.word()
			arr := p.word()
			p.eat(")")
			body := p.stmt()
			return func(st *awkState) {
				keys := make([]string, 0, len(st.arrays[arr]))
				for k := range st.arrays[arr] {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				for _, k := range keys {
					if !st.step() || st.next {
						return
					}
					st.vars[v] = awkStr(k)
					body(st)
				}
			}
		}
		p.pos = save2
		var init, post awkExpr
		var cond awkExpr
		if !p.peek(";") {
			init = p.expr()
		}
		p.eat(";")
		if !p.peek(";") {
			cond = p.expr()
		}
		p.eat(";")
		if !p.peek(")") {
			post = p.expr()
		}
		p.eat(")")
		body := p.stmt()
		return func(st *awkState) {
			if init != nil {
				init(st)
			}
			for (cond == nil || cond(st).truth()) && st.step() && !st.next {
				body(st)
				if post != nil {
					post(st)
				}
			}
		}
	case "delete":
		arr := p.word()
		var idx awkExpr
		if p.eat("[") {
			idx = p.expr()
			p.eat("]")
		}
		p.simpleEnd()
		return func(st *awkState) {
			if idx == nil {
				delete(st.arrays, arr)
				return
			}
			delete(st.arrays[arr], idx(st).s)
		}
	}
	p.pos = save
	e := p.expr()
	p.simpleEnd()
	return func(st *awkState) { e(st) }
}

// skipRedirect ignores "> file" after print: output stays on stdout.
func (p *awkParser) skipRedirect() {
	if p.eat(">>") || p.eat(">") || p.eat("|") {
		p.primary()
	}
}

func awkOutNum(n float64, ofmt string) string {
	if n == math.Trunc(n) && math.Abs(n) < 1e16 {
		return strconv.FormatInt(int64(n), 10)
	}
	if ofmt == "" {
		ofmt = "%.6g"
	}
	return fmt.Sprintf(ofmt, n)
}

func awkSprintf(st *awkState, args []awkExpr) string {
	format := args[0](st).s
	vals := make([]string, 0, len(args)-1)
	for _, a := range args[1:] {
		v := a(st)
		vals = append(vals, v.s)
	}
	out, _ := formatPrintf(st.c, format, vals)
	return out
}

func (p *awkParser) expr() awkExpr { return p.ternary(true) }

// ternary parses assignment and ?: ; inPrint makes a bare '>' a
// redirection rather than a comparison, as in awk.
func (p *awkParser) ternary(allowGT bool) awkExpr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 64 {
		p.fail("expression too deep")
		return func(*awkState) awkCell { return awkStr("") }
	}
	save := p.pos
	if lv := p.lvalue(); lv != nil {
		for _, op := range []string{"+=", "-=", "*=", "/=", "%=", "^=", "="} {
			if p.peek(op) && !(op == "=" && p.peek("==")) {
				p.pos += len(op)
				rhs := p.ternary(allowGT)
				return func(st *awkState) awkCell {
					v := rhs(st)
					if op != "=" {
						v = awkArith(op[:1], lv.get(st), v)
					}
					lv.set(st, v)
					return v
				}
			}
		}
	}
	p.pos = save
	cond := p.or(allowGT)
	if p.eat("?") {
		a := p.ternary(allowGT)
		p.eat(":")
		b := p.ternary(allowGT)
		return func(st *awkState) awkCell {
			if cond(st).truth() {
				return a(st)
			}
			return b(st)
		}
	}
	return cond
}

type awkLvalue struct {
	get func(*awkState) awkCell
	set func(*awkState, awkCell)
}

func (p *awkParser) lvalue() *awkLvalue {
	p.skipSpace(false)
	if p.eat("$") {
		idx := p.primary()
		return &awkLvalue{
			get: func(st *awkState) awkCell { return awkStr(st.getField(int(idx(st).num()))) },
			set: func(st *awkState, v awkCell) { st.setField(int(idx(st).num()), v.s) },
		}
	}
	name := p.word()
	if name == "" || awkKeywords[name] {
		return nil
	}
	if p.peek("[") {
		p.pos++
		idx := p.expr()
		p.eat("]")
		return &awkLvalue{
			get: func(st *awkState) awkCell { return st.arrays[name][idx(st).s] },
			set: func(st *awkState, v awkCell) {
				a := st.arrays[name]
				if a == nil {
					if len(st.arrays) > 256 {
						return
					}
					a = map[string]awkCell{}
					st.arrays[name] = a
				}
				if len(a) < 100000 {
					a[idx(st).s] = v
				}
			},
		}
	}
	if p.peek("(") {
		return nil
	}
	return &awkLvalue{
		get: func(st *awkState) awkCell { return st.vars[name] },
		set: func(st *awkState, v awkCell) {
			if name == "NF" {
				n := int(v.num())
				if n >= 0 && n < 10000 {
					for len(st.fields) < n {
						st.fields = append(st.fields, "")
					}
					st.fields = st.fields[:n]
					st.line = strings.Join(st.fields, st.vars["OFS"].s)
				}
			}
			st.vars[name] = v
		},
	}
}

var awkKeywords = map[string]bool{"in": true, "getline": true, "function": true, "BEGIN": true, "END": true,
	"print": true, "printf": true, "if": true, "else": true, "for": true, "while": true, "next": true, "exit": true, "delete": true, "return": true}

func (p *awkParser) or(gt bool) awkExpr {
	l := p.and(gt)
	for p.eat("||") {
		r := p.and(gt)
		ll := l
		l = func(st *awkState) awkCell { return awkBool(ll(st).truth() || r(st).truth()) }
	}
	return l
}

func (p *awkParser) and(gt bool) awkExpr {
	l := p.inExpr(gt)
	for p.eat("&&") {
		r := p.inExpr(gt)
		ll := l
		l = func(st *awkState) awkCell { return awkBool(ll(st).truth() && r(st).truth()) }
	}
	return l
}

func awkBool(b bool) awkCell {
	if b {
		return awkNum(1)
	}
	return awkNum(0)
}

func (p *awkParser) inExpr(gt bool) awkExpr {
	l := p.match(gt)
	save := p.pos
	if p.word() == "in" {
		arr := p.word()
		return func(st *awkState) awkCell { _, ok := st.arrays[arr][l(st).s]; return awkBool(ok) }
	}
	p.pos = save
	return l
}

func (p *awkParser) match(gt bool) awkExpr {
	l := p.compare(gt)
	for {
		neg := false
		switch {
		case p.eat("!~"):
			neg = true
		case p.peek("~"):
			p.pos++
		default:
			return l
		}
		r := p.compare(gt)
		ll := l
		l = func(st *awkState) awkCell {
			re := st.regex(r(st).s)
			return awkBool(re != nil && re.MatchString(ll(st).s) != neg)
		}
	}
}

func (st *awkState) regex(src string) *regexp.Regexp {
	if len(src) > maxPattern {
		return nil
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil
	}
	return re
}

func (p *awkParser) compare(gt bool) awkExpr {
	l := p.concat(gt)
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if op == ">" && !gt {
			continue
		}
		if p.peek(op) && !(op == "<" && p.peek("<=")) && !(op == ">" && p.peek(">=")) {
			p.pos += len(op)
			r := p.concat(gt)
			return func(st *awkState) awkCell {
				a, b := l(st), r(st)
				var c int
				if a.looksNumeric() && b.looksNumeric() {
					x, y := a.num(), b.num()
					switch {
					case x < y:
						c = -1
					case x > y:
						c = 1
					}
				} else {
					c = strings.Compare(a.s, b.s)
				}
				switch op {
				case "==":
					return awkBool(c == 0)
				case "!=":
					return awkBool(c != 0)
				case "<":
					return awkBool(c < 0)
				case "<=":
					return awkBool(c <= 0)
				case ">":
					return awkBool(c > 0)
				}
				return awkBool(c >= 0)
			}
		}
	}
	return l
}

func (p *awkParser) concat(gt bool) awkExpr {
	l := p.additive()
	for p.err == "" {
		p.skipSpace(false)
		if p.pos >= len(p.src) {
			break
		}
		c := p.src[p.pos]
		startsOperand := c == '$' || c == '"' || c == '(' || c >= '0' && c <= '9' || c == '.' || isNameStart(c) || c == '!' && !p.peek("!=") && !p.peek("!~") || c == '-' && false
		if !startsOperand {
			break
		}
		save := p.pos
		if w := p.word(); awkKeywords[w] {
			p.pos = save
			break
		}
		p.pos = save
		r := p.additive()
		ll := l
		l = func(st *awkState) awkCell { return awkStr(ll(st).s + r(st).s) }
	}
	return l
}

func (p *awkParser) additive() awkExpr {
	l := p.mult()
	for {
		var op string
		switch {
		case p.peek("+") && !p.peek("++") && !p.peek("+="):
			op = "+"
		case p.peek("-") && !p.peek("--") && !p.peek("-="):
			op = "-"
		default:
			return l
		}
		p.pos++
		r := p.mult()
		ll := l
		l = func(st *awkState) awkCell { return awkArith(op, ll(st), r(st)) }
	}
}

func (p *awkParser) mult() awkExpr {
	l := p.unary()
	for {
		var op string
		switch {
		case p.peek("*") && !p.peek("*="):
			op = "*"
		case p.peek("/") && !p.peek("/="):
			op = "/"
		case p.peek("%") && !p.peek("%="):
			op = "%"
		default:
			return l
		}
		p.pos++
		r := p.unary()
		ll := l
		l = func(st *awkState) awkCell { return awkArith(op, ll(st), r(st)) }
	}
}

func awkArith(op string, a, b awkCell) awkCell {
	x, y := a.num(), b.num()
	switch op {
	case "+":
		return awkNum(x + y)
	case "-":
		return awkNum(x - y)
	case "*":
		return awkNum(x * y)
	case "/":
		if y == 0 {
			return awkNum(0)
		}
		return awkNum(x / y)
	case "%":
		if y == 0 {
			return awkNum(0)
		}
		return awkNum(math.Mod(x, y))
	case "^":
		return awkNum(math.Pow(x, y))
	}
	return awkNum(0)
}

func (p *awkParser) unary() awkExpr {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 64 {
		p.fail("expression too deep")
		return func(*awkState) awkCell { return awkStr("") }
	}
	switch {
	case p.eat("!"):
		x := p.unary()
		return func(st *awkState) awkCell { return awkBool(!x(st).truth()) }
	case p.peek("-") && !p.peek("--"):
		p.pos++
		x := p.unary()
		return func(st *awkState) awkCell { return awkNum(-x(st).num()) }
	case p.peek("+") && !p.peek("++"):
		p.pos++
		x := p.unary()
		return func(st *awkState) awkCell { return awkNum(x(st).num()) }
	case p.peek("++") || p.peek("--"):
		inc := 1.0
		if p.peek("--") {
			inc = -1
		}
		p.pos += 2
		lv := p.lvalue()
		if lv == nil {
			p.fail("syntax error")
			return func(*awkState) awkCell { return awkStr("") }
		}
		return func(st *awkState) awkCell { v := awkNum(lv.get(st).num() + inc); lv.set(st, v); return v }
	}
	return p.power()
}

func (p *awkParser) power() awkExpr {
	l := p.postfix()
	if p.eat("^") || p.eat("**") {
		r := p.unary()
		return func(st *awkState) awkCell { return awkArith("^", l(st), r(st)) }
	}
	return l
}

func (p *awkParser) postfix() awkExpr {
	save := p.pos
	if lv := p.lvalue(); lv != nil {
		if p.peek("++") || p.peek("--") {
			inc := 1.0
			if p.peek("--") {
				inc = -1
			}
			p.pos += 2
			return func(st *awkState) awkCell { v := lv.get(st); lv.set(st, awkNum(v.num()+inc)); return awkNum(v.num()) }
		}
	}
	p.pos = save
	return p.primary()
}

func (p *awkParser) primary() awkExpr {
	p.skipSpace(false)
	if p.pos >= len(p.src) {
		p.fail("unexpected end of program")
		return func(*awkState) awkCell { return awkStr("") }
	}
	c := p.src[p.pos]
	switch {
	case c == '(':
		p.pos++
		e := p.expr()
		p.eat(")")
		return e
	case c == '$':
		p.pos++
		idx := p.primary()
		return func(st *awkState) awkCell { return awkStr(st.getField(int(idx(st).num()))) }
	case c == '"':
		p.pos++
		var b strings.Builder
		for p.pos < len(p.src) && p.src[p.pos] != '"' {
			if p.src[p.pos] == '\\' && p.pos+1 < len(p.src) {
				p.pos++
				switch p.src[p.pos] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '"', '\\', '/':
					b.WriteByte(p.src[p.pos])
				default:
					b.WriteByte('\\')
					b.WriteByte(p.src[p.pos])
				}
			} else {
				b.WriteByte(p.src[p.pos])
			}
			p.pos++
		}
		if p.pos >= len(p.src) {
			p.fail("non-terminated string")
			return func(*awkState) awkCell { return awkStr("") }
		}
		p.pos++
		s := b.String()
		return func(*awkState) awkCell { return awkStr(s) }
	case c == '/':
		p.pos++
		start := p.pos
		for p.pos < len(p.src) && p.src[p.pos] != '/' {
			if p.src[p.pos] == '\\' {
				p.pos++
			}
			p.pos++
		}
		if p.pos >= len(p.src) {
			p.fail("non-terminated regular expression")
			return func(*awkState) awkCell { return awkStr("") }
		}
		src := p.src[start:p.pos]
		p.pos++
		re, err := regexp.Compile(ereToRE2(src))
		if err != nil || len(src) > maxPattern {
			p.fail("regular expression error")
			return func(*awkState) awkCell { return awkStr("") }
		}
		return func(st *awkState) awkCell { return awkBool(re.MatchString(st.line)) }
	case c >= '0' && c <= '9' || c == '.':
		i := p.pos
		for i < len(p.src) && (p.src[i] >= '0' && p.src[i] <= '9' || p.src[i] == '.' || p.src[i] == 'e' || p.src[i] == 'x' || isHex(p.src[i]) && strings.HasPrefix(p.src[p.pos:], "0x")) {
			i++
		}
		f, _ := strconv.ParseFloat(p.src[p.pos:i], 64)
		p.pos = max(i, p.pos+1)
		return func(*awkState) awkCell { return awkNum(f) }
	}
	name := p.word()
	if name == "" {
		p.fail(fmt.Sprintf("syntax error at source line 1 near %q", string(c)))
		return func(*awkState) awkCell { return awkStr("") }
	}
	if name == "split" && p.peek("(") {
		p.pos++
		src := p.ternary(true)
		p.eat(",")
		arr := p.word()
		var sep awkExpr
		if p.eat(",") {
			sep = p.ternary(true)
		}
		p.eat(")")
		return func(st *awkState) awkCell {
			s := src(st).s
			fs := st.vars["FS"].s
			if sep != nil {
				fs = sep(st).s
			}
			var parts []string
			if fs == " " {
				parts = strings.Fields(s)
			} else {
				parts = strings.Split(s, fs)
			}
			if len(st.arrays) > 256 {
				return awkNum(float64(len(parts)))
			}
			a := map[string]awkCell{}
			for i, x := range parts[:min(len(parts), 100000)] {
				a[strconv.Itoa(i+1)] = awkStr(x)
			}
			st.arrays[arr] = a
			return awkNum(float64(len(parts)))
		}
	}
	if p.peek("(") && !strings.HasPrefix(p.src[p.pos:], " (") {
		p.pos++
		var args []awkExpr
		for !p.peek(")") && p.pos < len(p.src) && p.err == "" {
			args = append(args, p.ternary(true))
			if !p.eat(",") {
				break
			}
		}
		p.eat(")")
		return p.call(name, args)
	}
	if p.peek("[") {
		p.pos++
		idx := p.expr()
		p.eat("]")
		return func(st *awkState) awkCell { return st.arrays[name][idx(st).s] }
	}
	if name == "length" {
		return func(st *awkState) awkCell { return awkNum(float64(len([]rune(st.line)))) }
	}
	return func(st *awkState) awkCell { return st.vars[name] }
}

func (p *awkParser) call(name string, args []awkExpr) awkExpr {
	arg := func(st *awkState, i int) awkCell {
		if i < len(args) {
			return args[i](st)
		}
		return awkStr("")
	}
	switch name {
	case "length":
		return func(st *awkState) awkCell {
			if len(args) == 0 {
				return awkNum(float64(len([]rune(st.line))))
			}
			return awkNum(float64(len([]rune(arg(st, 0).s))))
		}
	case "substr":
		return func(st *awkState) awkCell {
			r := []rune(arg(st, 0).s)
			start := int(math.Round(arg(st, 1).num()))
			n := len(r) + 1
			if len(args) > 2 {
				n = int(math.Round(arg(st, 2).num()))
			}
			end := start + n
			start = max(start, 1)
			end = min(end, len(r)+1)
			if start >= end {
				return awkStr("")
			}
			return awkStr(string(r[start-1 : end-1]))
		}
	case "index":
		return func(st *awkState) awkCell { return awkNum(float64(strings.Index(arg(st, 0).s, arg(st, 1).s) + 1)) }
	case "tolower":
		return func(st *awkState) awkCell { return awkStr(strings.ToLower(arg(st, 0).s)) }
	case "toupper":
		return func(st *awkState) awkCell { return awkStr(strings.ToUpper(arg(st, 0).s)) }
	case "int":
		return func(st *awkState) awkCell { return awkNum(math.Trunc(arg(st, 0).num())) }
	case "sqrt":
		return func(st *awkState) awkCell { return awkNum(math.Sqrt(arg(st, 0).num())) }
	case "sprintf":
		return func(st *awkState) awkCell {
			if len(args) == 0 {
				return awkStr("")
			}
			return awkStr(awkSprintf(st, args))
		}
	case "gsub", "sub":
		return func(st *awkState) awkCell {
			re := st.regex(arg(st, 0).s)
			if re == nil {
				return awkNum(0)
			}
			repl := strings.ReplaceAll(arg(st, 1).s, "&", "${0}")
			target := st.line
			if len(args) > 2 {
				target = arg(st, 2).s
			}
			n := 0
			out := re.ReplaceAllStringFunc(target, func(m string) string {
				if name == "sub" && n > 0 {
					return m
				}
				n++
				return re.ReplaceAllString(m, repl)
			})
			if len(args) <= 2 {
				st.setLine(out)
			}
			return awkNum(float64(n))
		}
	case "match":
		return func(st *awkState) awkCell {
			re := st.regex(arg(st, 1).s)
			if re == nil {
				return awkNum(0)
			}
			loc := re.FindStringIndex(arg(st, 0).s)
			if loc == nil {
				st.vars["RSTART"], st.vars["RLENGTH"] = awkNum(0), awkNum(-1)
				return awkNum(0)
			}
			st.vars["RSTART"], st.vars["RLENGTH"] = awkNum(float64(loc[0]+1)), awkNum(float64(loc[1]-loc[0]))
			return awkNum(float64(loc[0] + 1))
		}
	case "system":
		return func(st *awkState) awkCell {
			st.out.WriteString("")
			st.c.print(st.out.String())
			st.out.Reset()
			return awkNum(float64(st.c.in.runScript(arg(st, 0).s, "sh", nil, st.c.io)))
		}
	}
	p.fail(fmt.Sprintf("calling undefined function %s", name))
	return func(*awkState) awkCell { return awkStr("") }
}

func cmdAwk(c *cmdCtx) int {
	args := c.args
	fs := " "
	var assigns []string
	var prog string
	progFile := ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-" {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--":
			goto done
		case a == "-F" && len(args) > 0:
			fs, args = args[0], args[1:]
		case strings.HasPrefix(a, "-F"):
			fs = a[2:]
		case a == "-v" && len(args) > 0:
			assigns, args = append(assigns, args[0]), args[1:]
		case a == "-f" && len(args) > 0:
			progFile, args = args[0], args[1:]
		case a == "--version" || a == "-V":
			c.print("GNU Awk 5.1.0, API: 3.0 (GNU MPFR 4.1.0, GNU MP 6.2.1)\n")
			return 0
		}
	}
done:
	if progFile != "" {
		data, err := c.readFile(progFile)
		if err != nil {
			return c.fail(2, "fatal: can't open source file `%s' for reading: %s", progFile, strerror(err))
		}
		prog = string(data)
	} else {
		if len(args) == 0 {
			fmt.Fprintf(c.stderr, "usage: %s [POSIX or GNU style options] -f progfile [--] file ...\nusage: %s [POSIX or GNU style options] [--] 'program' file ...\n", c.name, c.name)
			return 2
		}
		prog, args = args[0], args[1:]
	}
	if len(prog) > maxAwkProgram {
		return c.fail(2, "program too long")
	}
	if fs == "t" || fs == "\\t" {
		fs = "\t"
	}
	rules, perr := parseAwk(prog)
	if perr != "" {
		fmt.Fprintf(c.stderr, "%s: cmd. line:1: %s\n%s: cmd. line:1: %s\n", c.name, prog, c.name, perr)
		return 2
	}
	st := &awkState{c: c, vars: map[string]awkCell{"FS": awkStr(fs), "OFS": awkStr(" "), "ORS": awkStr("\n"), "NR": awkNum(0), "FNR": awkNum(0), "NF": awkNum(0), "SUBSEP": awkStr("\x1c")},
		arrays: map[string]map[string]awkCell{}}
	for _, a := range assigns {
		k, v, _ := strings.Cut(a, "=")
		st.vars[k] = awkStr(v)
	}
	run := func(kind string) {
		for _, r := range rules {
			if r.kind == kind && r.act != nil && !st.exit {
				r.act(st)
			}
		}
	}
	run("BEGIN")
	var files []string
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && validName(k) {
			st.vars[k] = awkStr(v)
			continue
		}
		files = append(files, a)
	}
	hasMain := slices.ContainsFunc(rules, func(r awkRule) bool { return r.kind == "" })
	status := 0
	if hasMain && !st.exit {
		ok := c.inputs(files, func(name string, data []byte) {
			st.vars["FILENAME"] = awkStr(name)
			st.vars["FNR"] = awkNum(0)
			for _, l := range lines(data) {
				if st.exit || !st.step() {
					return
				}
				st.vars["NR"] = awkNum(st.vars["NR"].num() + 1)
				st.vars["FNR"] = awkNum(st.vars["FNR"].num() + 1)
				st.setLine(l)
				st.next = false
				for _, r := range rules {
					if r.kind != "" || st.next || st.exit {
						continue
					}
					if r.pat != nil && !r.pat(st).truth() {
						continue
					}
					if r.act == nil {
						st.out.WriteString(st.line + st.vars["ORS"].s)
						continue
					}
					r.act(st)
				}
			}
		})
		if !ok {
			status = 2
		}
	}
	st.exit = false
	st.next = false
	run("END")
	c.print(st.out.String())
	return status
}
