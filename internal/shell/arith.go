package shell

import (
	"errors"
	"strconv"
	"strings"
)

// maxArithDepth bounds the recursion of the arithmetic parser; nesting
// deeper than this is certainly hostile.
const maxArithDepth = 64

// arith evaluates a bash arithmetic expression over int64: the usual C
// operators, variables (read and assigned), ++/--, ?:, and hex/octal/base#n
// literals. It never panics: division by zero and shift overflow are errors
// or wrap as in bash.
type arith struct {
	src   string
	pos   int
	depth int
	get   func(string) string
	set   func(string, string)
	err   error
}

type arithErr struct{ msg string }

func (e *arithErr) Error() string { return e.msg }

func evalArith(expr string, get func(string) string, set func(string, string)) (int64, error) {
	a := &arith{src: expr, get: get, set: set}
	a.skip()
	if a.pos >= len(a.src) {
		return 0, nil
	}
	v := a.comma()
	a.skip()
	if a.err == nil && a.pos < len(a.src) {
		a.fail("syntax error in expression")
	}
	return v, a.err
}

func (a *arith) fail(msg string) {
	if a.err == nil {
		// Both pieces are capped: the message echoes attacker input.
		tok := capUTF8(strings.TrimSpace(a.src[min(a.pos, len(a.src)):]), 128)
		a.err = &arithErr{msg: capUTF8(strings.TrimSpace(a.src), 256) + ": " + msg + " (error token is \"" + tok + "\")"}
	}
	a.pos = len(a.src)
}

func (a *arith) skip() {
	for a.pos < len(a.src) && (a.src[a.pos] == ' ' || a.src[a.pos] == '\t' || a.src[a.pos] == '\n') {
		a.pos++
	}
}

func (a *arith) peekOp(ops ...string) string {
	a.skip()
	for _, op := range ops {
		if strings.HasPrefix(a.src[a.pos:], op) {
			return op
		}
	}
	return ""
}

func (a *arith) comma() int64 {
	v := a.assign()
	for a.err == nil && a.peekOp(",") != "" {
		a.pos++
		v = a.assign()
	}
	return v
}

func (a *arith) assign() int64 {
	a.skip()
	save := a.pos
	if name := a.name(); name != "" {
		for _, op := range []string{"<<=", ">>=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "="} {
			if a.peekOp(op) == op && !(op == "=" && strings.HasPrefix(a.src[a.pos:], "==")) {
				a.pos += len(op)
				rhs := a.assign()
				v := rhs
				if op != "=" {
					v = a.binop(op[:len(op)-1], a.varValue(name), rhs)
				}
				if a.err == nil {
					a.set(name, strconv.FormatInt(v, 10))
				}
				return v
			}
		}
	}
	a.pos = save
	return a.ternary()
}

func (a *arith) ternary() int64 {
	c := a.binary(0)
	if a.err == nil && a.peekOp("?") != "" {
		a.pos++
		x := a.assign()
		if a.peekOp(":") == "" {
			a.fail("`:' expected for conditional expression")
			return 0
		}
		a.pos++
		y := a.assign()
		if c != 0 {
			return x
		}
		return y
	}
	return c
}

var arithLevels = [][]string{
	{"||"}, {"&&"}, {"|"}, {"^"}, {"&"}, {"==", "!="}, {"<=", ">=", "<", ">"}, {"<<", ">>"}, {"+", "-"}, {"*", "/", "%"},
}

func (a *arith) binary(level int) int64 {
	if level >= len(arithLevels) {
		return a.power()
	}
	v := a.binary(level + 1)
	for a.err == nil {
		op := a.peekOp(arithLevels[level]...)
		if op == "" {
			break
		}
		// "|" must not match "||", "&" not "&&", "<" not "<<".
		rest := a.src[a.pos+len(op):]
		if (op == "|" || op == "&" || op == "<" || op == ">") && strings.HasPrefix(rest, op) {
			break
		}
		if (op == "<" || op == ">" || op == "*" || op == "|" || op == "&" || op == "^" || op == "+" || op == "-" || op == "/" || op == "%") && strings.HasPrefix(rest, "=") {
			break
		}
		a.pos += len(op)
		rhs := a.binary(level + 1)
		v = a.binop(op, v, rhs)
	}
	return v
}

func (a *arith) power() int64 {
	v := a.unary()
	if a.err == nil && a.peekOp("**") != "" {
		a.pos += 2
		e := a.power()
		if e < 0 {
			a.fail("exponent less than 0")
			return 0
		}
		r := int64(1)
		for e > 0 {
			if e&1 == 1 {
				r *= v
			}
			v *= v
			e >>= 1
		}
		return r
	}
	return v
}

func (a *arith) binop(op string, x, y int64) int64 {
	b := func(c bool) int64 {
		if c {
			return 1
		}
		return 0
	}
	switch op {
	case "||":
		return b(x != 0 || y != 0)
	case "&&":
		return b(x != 0 && y != 0)
	case "|":
		return x | y
	case "^":
		return x ^ y
	case "&":
		return x & y
	case "==":
		return b(x == y)
	case "!=":
		return b(x != y)
	case "<":
		return b(x < y)
	case ">":
		return b(x > y)
	case "<=":
		return b(x <= y)
	case ">=":
		return b(x >= y)
	case "<<":
		return x << (uint64(y) & 63)
	case ">>":
		return x >> (uint64(y) & 63)
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/", "%":
		if y == 0 {
			a.fail("division by 0")
			return 0
		}
		if x == -1<<63 && y == -1 {
			if op == "/" {
				return x
			}
			return 0
		}
		if op == "/" {
			return x / y
		}
		return x % y
	}
	return 0
}

func (a *arith) unary() int64 {
	a.depth++
	defer func() { a.depth-- }()
	if a.depth > maxArithDepth {
		a.fail("expression recursion level exceeded")
		return 0
	}
	a.skip()
	if a.pos >= len(a.src) {
		a.fail("syntax error: operand expected")
		return 0
	}
	switch op := a.peekOp("++", "--", "!", "~", "-", "+"); op {
	case "++", "--":
		a.pos += 2
		a.skip()
		name := a.name()
		if name == "" {
			a.fail("syntax error: operand expected")
			return 0
		}
		v := a.varValue(name) + map[string]int64{"++": 1, "--": -1}[op]
		a.set(name, strconv.FormatInt(v, 10))
		return v
	case "!":
		a.pos++
		if a.unary() == 0 {
			return 1
		}
		return 0
	case "~":
		a.pos++
		return ^a.unary()
	case "-":
		a.pos++
		return -a.unary()
	case "+":
		a.pos++
		return a.unary()
	}
	return a.postfix()
}

func (a *arith) postfix() int64 {
	a.skip()
	c := a.src[a.pos]
	switch {
	case c == '(':
		a.pos++
		v := a.comma()
		if a.peekOp(")") == "" {
			a.fail("missing `)'")
			return 0
		}
		a.pos++
		return v
	case c >= '0' && c <= '9':
		return a.number()
	case c == '$':
		a.pos++
		if a.pos < len(a.src) && a.src[a.pos] == '{' {
			end := strings.IndexByte(a.src[a.pos:], '}')
			if end < 0 {
				a.fail("syntax error: operand expected")
				return 0
			}
			name := a.src[a.pos+1 : a.pos+end]
			a.pos += end + 1
			return a.valueOf(a.get(name))
		}
		name := a.name()
		if name == "" && a.pos < len(a.src) && strings.IndexByte("?#$!0123456789", a.src[a.pos]) >= 0 {
			name = a.src[a.pos : a.pos+1]
			a.pos++
		}
		return a.valueOf(a.get(name))
	}
	name := a.name()
	if name == "" {
		a.fail("syntax error: operand expected")
		return 0
	}
	v := a.varValue(name)
	switch a.peekOp("++", "--") {
	case "++":
		a.pos += 2
		a.set(name, strconv.FormatInt(v+1, 10))
	case "--":
		a.pos += 2
		a.set(name, strconv.FormatInt(v-1, 10))
	}
	return v
}

func (a *arith) name() string {
	a.skip()
	i := a.pos
	if i >= len(a.src) || !isNameStart(a.src[i]) {
		return ""
	}
	for i < len(a.src) && isNameChar(a.src[i]) {
		i++
	}
	n := a.src[a.pos:i]
	a.pos = i
	return n
}

// varValue reads a variable as a number; like bash, a value that is itself
// an expression is evaluated (bounded by maxArithDepth).
func (a *arith) varValue(name string) int64 { return a.valueOf(a.get(name)) }

func (a *arith) valueOf(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v
	}
	if a.depth >= maxArithDepth/4 {
		a.fail("expression recursion level exceeded")
		return 0
	}
	sub := &arith{src: s, get: a.get, set: a.set, depth: a.depth + 8}
	v := sub.comma()
	if sub.err != nil && a.err == nil {
		a.err = sub.err
	}
	return v
}

func (a *arith) number() int64 {
	i := a.pos
	for i < len(a.src) && (isNameChar(a.src[i]) || a.src[i] == '#') {
		i++
	}
	lit := a.src[a.pos:i]
	a.pos = i
	v, err := parseArithNumber(lit)
	if err != nil {
		a.fail("value too great for base")
	}
	return v
}

func parseArithNumber(lit string) (int64, error) {
	if h, ok := strings.CutPrefix(strings.ToLower(lit), "0x"); ok {
		u, err := strconv.ParseUint(h, 16, 64)
		return int64(u), err
	}
	if b, n, ok := strings.Cut(lit, "#"); ok {
		base, err := strconv.Atoi(b)
		if err != nil || base < 2 || base > 36 {
			return 0, errors.New("invalid base")
		}
		u, err := strconv.ParseUint(strings.ToLower(n), base, 64)
		return int64(u), err
	}
	if len(lit) > 1 && lit[0] == '0' {
		u, err := strconv.ParseUint(lit[1:], 8, 64)
		return int64(u), err
	}
	u, err := strconv.ParseUint(lit, 10, 64)
	return int64(u), err
}
