package shell

import (
	"strconv"
	"strings"
)

// maxCompoundDepth bounds nested compound commands (if, for, { }, ( ) …)
// while parsing. It is looser than MaxNesting, which bounds substitutions,
// because real scripts nest loops and conditionals a few levels deep.
const maxCompoundDepth = 32

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tOp
	tNewline
	tIONum
)

type token struct {
	kind       tokKind
	val        string // operator text, or the digits of an IO number
	w          *word
	start, end int
}

func (t token) isOp(s string) bool { return t.kind == tOp && t.val == s }

// isWord reports whether t is the unquoted word s (a reserved word in
// command position).
func (t token) isWord(s string) bool { return t.kind == tWord && t.w.unquotedLiteral(s) }

// syntaxError is a parse failure, worded as bash words it.
type syntaxError struct{ msg string }

func (e *syntaxError) Error() string { return e.msg }

func errUnexpected(t token) *syntaxError {
	switch t.kind {
	case tEOF:
		return &syntaxError{"syntax error: unexpected end of file"}
	case tNewline:
		return &syntaxError{"syntax error near unexpected token `newline'"}
	case tWord:
		s, _ := t.w.literal()
		return &syntaxError{"syntax error near unexpected token `" + s + "'"}
	}
	return &syntaxError{"syntax error near unexpected token `" + t.val + "'"}
}

var errTooDeep = &syntaxError{"maximum nesting level exceeded"}

// parser is a recursive-descent parser with an on-demand lexer over src.
// Substitutions are parsed by child parsers sharing src, so every node's
// text is a slice of the line the attacker typed.
type parser struct {
	src    string
	pos    int
	depth  int // substitution nesting ($(), ``)
	cdepth int // compound nesting
	tok    token
	peeked bool
	err    *syntaxError
	// pending here-documents whose bodies follow the next newline.
	pending []*redir
}

func newParser(src string, depth int) *parser { return &parser{src: src, depth: depth} }

// parse parses a whole input into a list.
func parse(src string, depth int) (*list, error) {
	if depth > MaxNesting {
		return nil, errTooDeep
	}
	p := newParser(src, depth)
	l := p.parseList(func(t token) bool { return false })
	if p.err == nil {
		if t := p.peek(); t.kind != tEOF {
			p.fail(errUnexpected(t))
		}
	}
	if p.err == nil && len(p.pending) > 0 {
		// Here-documents with no body: bash warns and uses what it has.
		for _, r := range p.pending {
			r.heredoc = &word{}
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return l, nil
}

func (p *parser) fail(e *syntaxError) {
	if p.err == nil {
		p.err = e
	}
	// Stop lexing: every later peek sees EOF.
	p.pos = len(p.src)
	p.tok = token{kind: tEOF, start: p.pos, end: p.pos}
	p.peeked = true
}

func (p *parser) peek() token {
	if !p.peeked {
		p.tok = p.lex()
		p.peeked = true
	}
	return p.tok
}

func (p *parser) advance() token {
	t := p.peek()
	if t.kind != tEOF {
		p.peeked = false
	}
	return t
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func isMeta(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '|', '&', ';', '<', '>', '(', ')':
		return true
	}
	return false
}

var operators = []string{"&>>", "<<<", "<<-", ";;&", "&&", "||", ";;", ";&", "|&", "&>", ">>", ">|", ">&", "<<", "<&", "<>", "|", "&", ";", "<", ">", "(", ")"}

// lex reads the next token.
func (p *parser) lex() token {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case isBlank(c):
			p.pos++
			continue
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '\n':
			p.pos += 2
			continue
		case c == '#':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
			continue
		}
		break
	}
	start := p.pos
	if p.pos >= len(p.src) || p.err != nil {
		return token{kind: tEOF, start: len(p.src), end: len(p.src)}
	}
	c := p.src[p.pos]
	if c == '\n' {
		p.pos++
		p.readHeredocs()
		return token{kind: tNewline, start: start, end: start + 1}
	}
	if isMeta(c) {
		for _, op := range operators {
			if strings.HasPrefix(p.src[p.pos:], op) {
				p.pos += len(op)
				return token{kind: tOp, val: op, start: start, end: p.pos}
			}
		}
	}
	w := p.lexWord("")
	if p.err != nil {
		return token{kind: tEOF, start: len(p.src), end: len(p.src)}
	}
	t := token{kind: tWord, w: w, start: start, end: p.pos}
	if p.pos < len(p.src) && (p.src[p.pos] == '<' || p.src[p.pos] == '>') {
		if s, ok := w.literal(); ok && len(w.parts) == 1 && !w.parts[0].isQuoted() && len(s) <= 2 && allDigits(s) {
			t.kind, t.val = tIONum, s
		}
	}
	return t
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lexWord reads one word. With stops empty the word ends at a blank or
// metacharacter; otherwise (inside ${…}) it ends at any unquoted byte of
// stops and blanks are literal.
func (p *parser) lexWord(stops string) *word {
	w := &word{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			w.parts = append(w.parts, &litPart{s: lit.String()})
			lit.Reset()
		}
	}
	for p.pos < len(p.src) && p.err == nil {
		c := p.src[p.pos]
		if stops == "" && isMeta(c) || stops != "" && strings.IndexByte(stops, c) >= 0 {
			break
		}
		switch c {
		case '\\':
			if p.pos+1 >= len(p.src) {
				lit.WriteByte('\\')
				p.pos++
				continue
			}
			if p.src[p.pos+1] == '\n' {
				p.pos += 2
				continue
			}
			flush()
			w.parts = append(w.parts, &litPart{s: p.src[p.pos+1 : p.pos+2], quoted: true})
			p.pos += 2
		case '\'':
			end := strings.IndexByte(p.src[p.pos+1:], '\'')
			if end < 0 {
				p.fail(&syntaxError{"unexpected EOF while looking for matching `''"})
				return w
			}
			flush()
			w.parts = append(w.parts, &litPart{s: p.src[p.pos+1 : p.pos+1+end], quoted: true})
			p.pos += end + 2
		case '"':
			flush()
			p.pos++
			parts := p.lexDquote(false)
			if len(parts) == 0 {
				parts = []part{&litPart{quoted: true}}
			}
			w.parts = append(w.parts, parts...)
		case '$':
			flush()
			w.parts = append(w.parts, p.lexDollar(false))
		case '`':
			flush()
			w.parts = append(w.parts, p.lexBacktick(false))
		default:
			lit.WriteByte(c)
			p.pos++
		}
	}
	flush()
	return w
}

// lexDquote reads a double-quoted string after its opening quote. In a
// here-document body (heredoc) quotes are ordinary and the body ends at the
// end of src.
func (p *parser) lexDquote(heredoc bool) []part {
	var parts []part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, &litPart{s: lit.String(), quoted: true})
			lit.Reset()
		}
	}
	for p.err == nil {
		if p.pos >= len(p.src) {
			if heredoc {
				break
			}
			p.fail(&syntaxError{"unexpected EOF while looking for matching `\"'"})
			break
		}
		c := p.src[p.pos]
		switch {
		case c == '"' && !heredoc:
			p.pos++
			flush()
			return parts
		case c == '\\' && p.pos+1 < len(p.src):
			n := p.src[p.pos+1]
			switch {
			case n == '\n':
			case n == '$' || n == '`' || n == '\\' || n == '"' && !heredoc:
				lit.WriteByte(n)
			default:
				lit.WriteByte('\\')
				lit.WriteByte(n)
			}
			p.pos += 2
		case c == '$':
			flush()
			parts = append(parts, p.lexDollar(true))
		case c == '`':
			flush()
			parts = append(parts, p.lexBacktick(true))
		default:
			lit.WriteByte(c)
			p.pos++
		}
	}
	flush()
	return parts
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }

func validName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}

// lexDollar reads an expansion starting at '$'.
func (p *parser) lexDollar(quoted bool) part {
	src := p.src
	i := p.pos + 1
	if i >= len(src) {
		p.pos = i
		return &litPart{s: "$", quoted: quoted}
	}
	switch c := src[i]; {
	case c == '(' && i+1 < len(src) && src[i+1] == '(':
		if end := matchArith(src, i+2); end >= 0 {
			p.pos = end + 2
			return &arithPart{expr: src[i+2 : end], quoted: quoted}
		}
		fallthrough
	case c == '(':
		return p.lexSubst(i+1, quoted)
	case c == '{':
		return p.lexBrace(i+1, quoted)
	case c == '\'' && !quoted:
		s, end, ok := ansiC(src, i+1)
		if !ok {
			p.fail(&syntaxError{"unexpected EOF while looking for matching `''"})
			return &litPart{}
		}
		p.pos = end
		return &litPart{s: s, quoted: true}
	case c == '"' && !quoted:
		p.pos = i
		return &litPart{s: "", quoted: false}
	case isNameStart(c):
		j := i
		for j < len(src) && isNameChar(src[j]) {
			j++
		}
		p.pos = j
		return &paramPart{name: src[i:j], quoted: quoted}
	case c >= '0' && c <= '9' || strings.IndexByte("?$#!@*-", c) >= 0:
		p.pos = i + 1
		return &paramPart{name: src[i : i+1], quoted: quoted}
	}
	p.pos = i
	return &litPart{s: "$", quoted: quoted}
}

// matchArith returns the index of the "))" closing an arithmetic expansion
// whose body starts at i, or -1.
func matchArith(src string, i int) int {
	depth := 0
	for ; i < len(src); i++ {
		switch src[i] {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				if i+1 < len(src) && src[i+1] == ')' {
					return i
				}
				return -1
			}
			depth--
		}
	}
	return -1
}

// lexSubst parses $( … ) whose body starts at i.
func (p *parser) lexSubst(i int, quoted bool) part {
	if p.depth+1 > MaxNesting {
		p.fail(errTooDeep)
		return &litPart{}
	}
	sub := &parser{src: p.src, pos: i, depth: p.depth + 1}
	body := sub.parseList(func(t token) bool { return t.isOp(")") })
	if sub.err != nil {
		p.fail(sub.err)
		return &litPart{}
	}
	t := sub.peek()
	if !t.isOp(")") {
		p.fail(&syntaxError{"unexpected EOF while looking for matching `)'"})
		return &litPart{}
	}
	p.pos = t.end
	return &substPart{body: body, quoted: quoted}
}

// lexBacktick parses `…`: the body is unescaped, then parsed on its own.
func (p *parser) lexBacktick(quoted bool) part {
	var b strings.Builder
	i := p.pos + 1
	for ; i < len(p.src) && p.src[i] != '`'; i++ {
		if p.src[i] == '\\' && i+1 < len(p.src) && strings.IndexByte("\\`$", p.src[i+1]) >= 0 {
			i++
		}
		b.WriteByte(p.src[i])
	}
	if i >= len(p.src) {
		p.fail(&syntaxError{"unexpected EOF while looking for matching ``'"})
		return &litPart{}
	}
	p.pos = i + 1
	if p.depth+1 > MaxNesting {
		p.fail(errTooDeep)
		return &litPart{}
	}
	body, err := parse(b.String(), p.depth+1)
	if err != nil {
		p.fail(err.(*syntaxError))
		return &litPart{}
	}
	return &substPart{body: body, quoted: quoted}
}

// lexBrace parses ${ … } whose body starts at i.
func (p *parser) lexBrace(i int, quoted bool) part {
	src := p.src
	pp := &paramPart{quoted: quoted}
	start := i - 2
	bad := func() part {
		// Skip to the closing brace and report a bad substitution at
		// expansion time, as bash does.
		j := strings.IndexByte(src[i:], '}')
		if j < 0 {
			p.fail(&syntaxError{"unexpected EOF while looking for matching `}'"})
			return &litPart{}
		}
		p.pos = i + j + 1
		return &paramPart{op: "bad", raw: src[start:p.pos], quoted: quoted}
	}
	if i < len(src) && src[i] == '#' && i+1 < len(src) && src[i+1] != '}' {
		pp.length = true
		i++
	}
	if i < len(src) && src[i] == '!' && i+1 < len(src) && isNameStart(src[i+1]) {
		pp.op = "!"
		i++
	}
	j := i
	switch {
	case j < len(src) && isNameStart(src[j]):
		for j < len(src) && isNameChar(src[j]) {
			j++
		}
	case j < len(src) && src[j] >= '0' && src[j] <= '9':
		for j < len(src) && src[j] >= '0' && src[j] <= '9' {
			j++
		}
	case j < len(src) && strings.IndexByte("?$#!@*-", src[j]) >= 0:
		j++
	default:
		return bad()
	}
	pp.name = src[i:j]
	i = j
	if i >= len(src) {
		p.fail(&syntaxError{"unexpected EOF while looking for matching `}'"})
		return &litPart{}
	}
	if src[i] == '}' {
		p.pos = i + 1
		pp.raw = src[start:p.pos]
		return pp
	}
	if pp.length || pp.op == "!" {
		return bad()
	}
	for _, op := range []string{":-", ":=", ":+", ":?", "##", "%%", "//", "/#", "/%", "-", "=", "+", "?", "#", "%", "/", ":", "^^", ",,", "^", ","} {
		if strings.HasPrefix(src[i:], op) {
			pp.op = op
			i += len(op)
			break
		}
	}
	if pp.op == "" {
		return bad()
	}
	p.pos = i
	switch pp.op {
	case "/", "//", "/#", "/%":
		pp.arg = p.lexWord("/}")
		if p.pos < len(src) && src[p.pos] == '/' {
			p.pos++
			pp.repl = p.lexWord("}")
		}
	default:
		pp.arg = p.lexWord("}")
	}
	if p.err != nil {
		return &litPart{}
	}
	if p.pos >= len(src) || src[p.pos] != '}' {
		p.fail(&syntaxError{"unexpected EOF while looking for matching `}'"})
		return &litPart{}
	}
	p.pos++
	pp.raw = src[start:p.pos]
	return pp
}

// ansiC decodes a $'…' string starting after the quote; it returns the
// text and the index after the closing quote.
func ansiC(src string, i int) (string, int, bool) {
	var b strings.Builder
	for i < len(src) {
		c := src[i]
		if c == '\'' {
			return b.String(), i + 1, true
		}
		if c != '\\' || i+1 >= len(src) {
			b.WriteByte(c)
			i++
			continue
		}
		i++
		c = src[i]
		i++
		switch c {
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
		case 'e', 'E':
			b.WriteByte(27)
		case 'f':
			b.WriteByte(12)
		case 'v':
			b.WriteByte(11)
		case '\\', '\'', '"', '?':
			b.WriteByte(c)
		case 'x':
			j := i
			for j < len(src) && j < i+2 && isHex(src[j]) {
				j++
			}
			if j == i {
				b.WriteString("\\x")
				continue
			}
			v, _ := strconv.ParseUint(src[i:j], 16, 8)
			b.WriteByte(byte(v))
			i = j
		case 'u', 'U':
			n := 4
			if c == 'U' {
				n = 8
			}
			j := i
			for j < len(src) && j < i+n && isHex(src[j]) {
				j++
			}
			if j == i {
				b.WriteByte('\\')
				b.WriteByte(c)
				continue
			}
			v, _ := strconv.ParseUint(src[i:j], 16, 32)
			if v > 0x10FFFF {
				v = 0xFFFD
			}
			b.WriteRune(rune(v))
			i = j
		case '0', '1', '2', '3', '4', '5', '6', '7':
			j := i - 1
			for j < len(src) && j < i+2 && src[j] >= '0' && src[j] <= '7' {
				j++
			}
			v, _ := strconv.ParseUint(src[i-1:j], 8, 16)
			b.WriteByte(byte(v))
			i = j
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return "", i, false
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// readHeredocs reads the bodies of pending here-documents, which start
// right after the newline just lexed.
func (p *parser) readHeredocs() {
	for len(p.pending) > 0 {
		r := p.pending[0]
		p.pending = p.pending[1:]
		var body strings.Builder
		found := false
		for p.pos < len(p.src) {
			end := strings.IndexByte(p.src[p.pos:], '\n')
			line := ""
			if end < 0 {
				line = p.src[p.pos:]
				p.pos = len(p.src)
			} else {
				line = p.src[p.pos : p.pos+end]
				p.pos += end + 1
			}
			cmp := strings.TrimSuffix(line, "\r")
			if r.hdStrip {
				cmp = strings.TrimLeft(cmp, "\t")
				line = strings.TrimLeft(line, "\t")
			}
			if cmp == r.hdDelim {
				found = true
				break
			}
			body.WriteString(line)
			body.WriteByte('\n')
		}
		_ = found
		r.hdRaw = body.String()
		if r.hdQuoted {
			r.heredoc = &word{parts: []part{&litPart{s: r.hdRaw, quoted: true}}}
			continue
		}
		sub := &parser{src: r.hdRaw, depth: p.depth}
		parts := sub.lexDquote(true)
		if sub.err != nil {
			p.fail(sub.err)
			return
		}
		r.heredoc = &word{parts: parts}
	}
}
