package shell

import (
	"strconv"
	"strings"
)

var reservedWords = map[string]bool{
	"if": true, "then": true, "elif": true, "else": true, "fi": true, "for": true, "in": true, "do": true,
	"done": true, "while": true, "until": true, "case": true, "esac": true, "{": true, "}": true,
	"function": true, "!": true, "[[": true, "]]": true, "select": true, "time": true,
}

// parseList parses and-or lists until EOF or a token stop accepts (the
// closing keyword of the enclosing construct), which it leaves unread.
func (p *parser) parseList(stop func(token) bool) *list {
	l := &list{}
	for p.err == nil {
		p.skipNewlines()
		t := p.peek()
		if t.kind == tEOF || stop(t) {
			break
		}
		ao := p.parseAndOr()
		if p.err != nil {
			break
		}
		l.items = append(l.items, ao)
		t = p.peek()
		switch {
		case t.isOp(";"):
			p.advance()
		case t.isOp("&"):
			ao.bg = true
			p.advance()
		case t.kind == tNewline:
			p.advance()
		case t.kind == tEOF || stop(t):
		default:
			p.fail(errUnexpected(t))
		}
	}
	return l
}

func (p *parser) skipNewlines() {
	for p.peek().kind == tNewline {
		p.advance()
	}
}

func (p *parser) parseAndOr() *andOr {
	ao := &andOr{pipes: []*pipeline{p.parsePipeline()}}
	for p.err == nil {
		t := p.peek()
		if !t.isOp("&&") && !t.isOp("||") {
			break
		}
		p.advance()
		p.skipNewlines()
		ao.ops = append(ao.ops, t.val)
		ao.pipes = append(ao.pipes, p.parsePipeline())
	}
	return ao
}

func (p *parser) parsePipeline() *pipeline {
	pl := &pipeline{}
	for p.peek().isWord("!") {
		p.advance()
		pl.bang = !pl.bang
	}
	for p.err == nil {
		c := p.parseCommand()
		if p.err != nil {
			break
		}
		pl.cmds = append(pl.cmds, c)
		t := p.peek()
		if !t.isOp("|") && !t.isOp("|&") {
			break
		}
		p.advance()
		if t.val == "|&" {
			rs := c.redirects()
			*rs = append(*rs, &redir{fd: 2, op: ">&", target: &word{parts: []part{&litPart{s: "1"}}}})
		}
		p.skipNewlines()
	}
	return pl
}

func (p *parser) enter() bool {
	p.cdepth++
	if p.cdepth > maxCompoundDepth {
		p.fail(errTooDeep)
		return false
	}
	return true
}

func (p *parser) leave() { p.cdepth-- }

func (p *parser) parseCommand() command {
	t := p.peek()
	var c command
	switch {
	case t.kind == tWord && reservedWords[wordText(t.w)] && len(t.w.parts) == 1 && !t.w.parts[0].isQuoted():
		if !p.enter() {
			return nil
		}
		defer p.leave()
		switch wordText(t.w) {
		case "if":
			c = p.parseIf()
		case "for":
			c = p.parseFor()
		case "while", "until":
			c = p.parseWhile()
		case "case":
			c = p.parseCase()
		case "{":
			p.advance()
			body := p.parseList(func(t token) bool { return t.isWord("}") })
			p.expectWord("}")
			c = &groupCmd{body: body}
		case "function":
			p.advance()
			nt := p.advance()
			if nt.kind != tWord {
				p.fail(errUnexpected(nt))
				return nil
			}
			if p.peek().isOp("(") {
				p.advance()
				p.expectOp(")")
			}
			return p.parseFuncBody(wordText(nt.w))
		case "[[":
			c = p.parseCond()
		default:
			p.fail(errUnexpected(t))
			return nil
		}
	case t.isOp("("):
		if !p.enter() {
			return nil
		}
		defer p.leave()
		if t.end < len(p.src) && p.src[t.end] == '(' {
			if end := matchArith(p.src, t.end+1); end >= 0 {
				p.peeked = false
				p.pos = end + 2
				c = &arithCmd{expr: p.src[t.end+1 : end]}
				break
			}
		}
		p.advance()
		body := p.parseList(func(t token) bool { return t.isOp(")") })
		p.expectOp(")")
		c = &subshellCmd{body: body}
	case t.kind == tWord || t.kind == tIONum || isRedirOp(t):
		return p.parseSimple()
	default:
		p.fail(errUnexpected(t))
		return nil
	}
	if p.err != nil {
		return nil
	}
	p.parseRedirs(c.redirects())
	return c
}

// wordText is the literal text of w, or "" when it has expansions.
func wordText(w *word) string {
	s, _ := w.literal()
	return s
}

func (p *parser) expectWord(s string) {
	t := p.peek()
	if !t.isWord(s) {
		p.fail(errUnexpected(t))
		return
	}
	p.advance()
}

func (p *parser) expectOp(s string) {
	t := p.peek()
	if !t.isOp(s) {
		p.fail(errUnexpected(t))
		return
	}
	p.advance()
}

func isRedirOp(t token) bool {
	if t.kind != tOp {
		return false
	}
	switch t.val {
	case "<", ">", ">>", ">|", "<>", "<<", "<<-", "<<<", ">&", "<&", "&>", "&>>":
		return true
	}
	return false
}

func (p *parser) parseRedirs(rs *[]*redir) {
	for p.err == nil {
		t := p.peek()
		if t.kind != tIONum && !isRedirOp(t) {
			return
		}
		if r := p.parseRedir(); r != nil {
			*rs = append(*rs, r)
		}
	}
}

func (p *parser) parseRedir() *redir {
	t := p.advance()
	r := &redir{fd: -1}
	if t.kind == tIONum {
		r.fd, _ = strconv.Atoi(t.val)
		t = p.advance()
		if !isRedirOp(t) {
			p.fail(errUnexpected(t))
			return nil
		}
	}
	r.op = t.val
	tt := p.advance()
	if tt.kind != tWord {
		p.fail(errUnexpected(tt))
		return nil
	}
	r.target = tt.w
	if r.op == "<<" || r.op == "<<-" {
		var delim strings.Builder
		for _, pt := range tt.w.parts {
			switch x := pt.(type) {
			case *litPart:
				delim.WriteString(x.s)
				if x.quoted {
					r.hdQuoted = true
				}
			case *paramPart:
				delim.WriteString("$" + x.name)
			}
		}
		r.hdDelim = delim.String()
		r.hdStrip = r.op == "<<-"
		p.pending = append(p.pending, r)
	}
	return r
}

// parseSimple parses assignments, words and redirections, and turns
// "name ( )" into a function definition.
func (p *parser) parseSimple() command {
	c := &simpleCmd{}
	start := p.peek().start
	end := start
	for p.err == nil {
		t := p.peek()
		switch {
		case t.kind == tIONum || isRedirOp(t):
			if r := p.parseRedir(); r != nil {
				c.redirs = append(c.redirs, r)
			}
			end = p.tokEnd()
			continue
		case t.kind == tWord:
			p.advance()
			end = t.end
			if len(c.words) == 0 {
				if a, ok := asAssign(t.w); ok {
					c.assigns = append(c.assigns, a)
					continue
				}
			}
			c.words = append(c.words, t.w)
			if len(c.words) == 1 && len(c.assigns) == 0 && len(c.redirs) == 0 && p.peek().isOp("(") {
				name := wordText(t.w)
				p.advance()
				if p.peek().kind == tEOF {
					p.fail(&syntaxError{"syntax error near unexpected token `newline'"})
					return nil
				}
				p.expectOp(")")
				if p.err != nil {
					return nil
				}
				if name == "" {
					p.fail(&syntaxError{"`" + p.src[start:end] + "': not a valid identifier"})
					return nil
				}
				if !p.enter() {
					return nil
				}
				defer p.leave()
				return p.parseFuncBody(name)
			}
			continue
		}
		break
	}
	c.text = strings.TrimSpace(p.src[start:min(end, len(p.src))])
	return c
}

// tokEnd is where the last consumed token ended.
func (p *parser) tokEnd() int {
	if p.peeked {
		return p.tok.start
	}
	return p.pos
}

func (p *parser) parseFuncBody(name string) command {
	p.skipNewlines()
	body := p.parseCommand()
	if p.err != nil {
		return nil
	}
	if _, ok := body.(*simpleCmd); ok {
		p.fail(&syntaxError{"syntax error near unexpected token `" + name + "'"})
		return nil
	}
	return &funcDecl{name: name, body: body}
}

// asAssign recognises NAME=value and NAME+=value.
func asAssign(w *word) (assign, bool) {
	if len(w.parts) == 0 {
		return assign{}, false
	}
	l, ok := w.parts[0].(*litPart)
	if !ok || l.quoted {
		return assign{}, false
	}
	eq := strings.IndexByte(l.s, '=')
	if eq <= 0 {
		return assign{}, false
	}
	name, app := l.s[:eq], false
	if strings.HasSuffix(name, "+") {
		name, app = name[:len(name)-1], true
	}
	if !validName(name) {
		return assign{}, false
	}
	val := &word{}
	if rest := l.s[eq+1:]; rest != "" {
		val.parts = append(val.parts, &litPart{s: rest})
	}
	val.parts = append(val.parts, w.parts[1:]...)
	return assign{name: name, value: val, app: app}, true
}

func (p *parser) parseIf() command {
	c := &ifCmd{}
	p.advance() // if
	for p.err == nil {
		cond := p.parseList(func(t token) bool { return t.isWord("then") })
		p.expectWord("then")
		body := p.parseList(func(t token) bool { return t.isWord("elif") || t.isWord("else") || t.isWord("fi") })
		c.conds = append(c.conds, cond)
		c.thens = append(c.thens, body)
		t := p.peek()
		switch {
		case t.isWord("elif"):
			p.advance()
			continue
		case t.isWord("else"):
			p.advance()
			c.els = p.parseList(func(t token) bool { return t.isWord("fi") })
			p.expectWord("fi")
		default:
			p.expectWord("fi")
		}
		break
	}
	return c
}

func (p *parser) parseDoBody() *list {
	p.skipNewlines()
	if p.peek().isWord("{") {
		p.advance()
		body := p.parseList(func(t token) bool { return t.isWord("}") })
		p.expectWord("}")
		return body
	}
	p.expectWord("do")
	body := p.parseList(func(t token) bool { return t.isWord("done") })
	p.expectWord("done")
	return body
}

func (p *parser) parseFor() command {
	p.advance() // for
	t := p.peek()
	if t.isOp("(") && t.end < len(p.src) && p.src[t.end] == '(' {
		end := matchArith(p.src, t.end+1)
		if end < 0 {
			p.fail(errUnexpected(t))
			return nil
		}
		expr := p.src[t.end+1 : end]
		p.peeked = false
		p.pos = end + 2
		parts := strings.SplitN(expr, ";", 3)
		if len(parts) != 3 {
			p.fail(&syntaxError{"syntax error: arithmetic expression required"})
			return nil
		}
		if p.peek().isOp(";") {
			p.advance()
		}
		body := p.parseDoBody()
		return &cforCmd{init: parts[0], cond: parts[1], post: parts[2], body: body}
	}
	nt := p.advance()
	name := ""
	if nt.kind == tWord {
		name = wordText(nt.w)
	}
	if !validName(name) {
		p.fail(&syntaxError{"`" + name + "': not a valid identifier"})
		return nil
	}
	c := &forCmd{name: name}
	p.skipNewlines()
	if p.peek().isWord("in") {
		p.advance()
		c.inList = true
		for p.err == nil {
			t := p.peek()
			if t.kind != tWord {
				break
			}
			p.advance()
			c.items = append(c.items, t.w)
		}
	}
	if t := p.peek(); t.isOp(";") || t.kind == tNewline {
		p.advance()
	}
	c.body = p.parseDoBody()
	return c
}

func (p *parser) parseWhile() command {
	t := p.advance()
	c := &whileCmd{until: t.isWord("until")}
	c.cond = p.parseList(func(t token) bool { return t.isWord("do") })
	p.expectWord("do")
	c.body = p.parseList(func(t token) bool { return t.isWord("done") })
	p.expectWord("done")
	return c
}

func (p *parser) parseCase() command {
	p.advance() // case
	t := p.advance()
	if t.kind != tWord {
		p.fail(errUnexpected(t))
		return nil
	}
	c := &caseCmd{subject: t.w}
	p.skipNewlines()
	p.expectWord("in")
	for p.err == nil {
		p.skipNewlines()
		t := p.peek()
		if t.isWord("esac") {
			p.advance()
			break
		}
		if t.isOp("(") {
			p.advance()
		}
		var it caseItem
		for p.err == nil {
			pt := p.advance()
			if pt.kind != tWord {
				p.fail(errUnexpected(pt))
				return nil
			}
			it.patterns = append(it.patterns, pt.w)
			if p.peek().isOp("|") {
				p.advance()
				continue
			}
			p.expectOp(")")
			break
		}
		it.body = p.parseList(func(t token) bool {
			return t.isOp(";;") || t.isOp(";&") || t.isOp(";;&") || t.isWord("esac")
		})
		c.items = append(c.items, it)
		if t := p.peek(); t.isOp(";;") || t.isOp(";&") || t.isOp(";;&") {
			p.advance()
		}
	}
	return c
}

// parseCond collects the operands of [[ … ]]; operators lexed as shell
// operators (&&, ||, <, >, parentheses) become literal words.
func (p *parser) parseCond() command {
	p.advance() // [[
	c := &condCmd{}
	for p.err == nil {
		t := p.advance()
		switch {
		case t.isWord("]]"):
			return c
		case t.kind == tWord:
			c.args = append(c.args, t.w)
		case t.kind == tOp && (t.val == "&&" || t.val == "||" || t.val == "(" || t.val == ")" || t.val == "<" || t.val == ">"):
			c.args = append(c.args, &word{parts: []part{&litPart{s: t.val}}})
		default:
			p.fail(errUnexpected(t))
		}
		if len(c.args) > MaxArgs {
			p.fail(errTooDeep)
		}
	}
	return c
}
