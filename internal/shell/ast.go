package shell

// The syntax tree the parser builds and the evaluator walks. Every node
// comes from bounded input (MaxLineLen, MaxNesting), so the tree is bounded.

// list is a sequence of and-or lists separated by ";", "&" or newlines.
type list struct{ items []*andOr }

// andOr is pipelines joined by && and ||; bg marks a trailing "&".
type andOr struct {
	pipes []*pipeline
	ops   []string // "&&" or "||" between pipes[i] and pipes[i+1]
	bg    bool
}

type pipeline struct {
	cmds []command
	bang bool
}

// command is one of the command node types below.
type command interface{ redirects() *[]*redir }

// simpleCmd is assignments, words and redirections, as written in
// src[start:end] (text).
type simpleCmd struct {
	assigns []assign
	words   []*word
	redirs  []*redir
	text    string
}

type assign struct {
	name  string
	value *word
	app   bool // +=
}

// redir is one redirection. fd is -1 when the operator's default applies.
type redir struct {
	fd     int
	op     string
	target *word
	// heredoc holds a here-document body; hdQuoted disables expansion.
	heredoc  *word
	hdRaw    string
	hdQuoted bool
	hdDelim  string
	hdStrip  bool
}

type subshellCmd struct {
	body   *list
	redirs []*redir
}

type groupCmd struct {
	body   *list
	redirs []*redir
}

type ifCmd struct {
	conds  []*list
	thens  []*list
	els    *list
	redirs []*redir
}

// forCmd is for NAME [in WORDS]; items is nil for a bare "for NAME".
type forCmd struct {
	name   string
	items  []*word
	inList bool
	body   *list
	redirs []*redir
}

// cforCmd is for ((init; cond; post)).
type cforCmd struct {
	init, cond, post string
	body             *list
	redirs           []*redir
}

type whileCmd struct {
	until  bool
	cond   *list
	body   *list
	redirs []*redir
}

type caseItem struct {
	patterns []*word
	body     *list
}

type caseCmd struct {
	subject *word
	items   []caseItem
	redirs  []*redir
}

type funcDecl struct {
	name   string
	body   command
	redirs []*redir
}

// arithCmd is ((expr)).
type arithCmd struct {
	expr   string
	redirs []*redir
}

// condCmd is [[ … ]]; its operands and operators are words.
type condCmd struct {
	args   []*word
	redirs []*redir
}

func (c *simpleCmd) redirects() *[]*redir   { return &c.redirs }
func (c *subshellCmd) redirects() *[]*redir { return &c.redirs }
func (c *groupCmd) redirects() *[]*redir    { return &c.redirs }
func (c *ifCmd) redirects() *[]*redir       { return &c.redirs }
func (c *forCmd) redirects() *[]*redir      { return &c.redirs }
func (c *cforCmd) redirects() *[]*redir     { return &c.redirs }
func (c *whileCmd) redirects() *[]*redir    { return &c.redirs }
func (c *caseCmd) redirects() *[]*redir     { return &c.redirs }
func (c *funcDecl) redirects() *[]*redir    { return &c.redirs }
func (c *arithCmd) redirects() *[]*redir    { return &c.redirs }
func (c *condCmd) redirects() *[]*redir     { return &c.redirs }

// word is a shell word: a sequence of parts, some quoted.
type word struct {
	parts []part
}

// part is one of litPart, paramPart, substPart, arithPart.
type part interface{ isQuoted() bool }

type litPart struct {
	s      string
	quoted bool
}

// paramPart is $name or ${…}. op is the ${} operator ("", ":-", "#", "/",
// …); length marks ${#name}.
type paramPart struct {
	name   string
	op     string
	arg    *word
	repl   *word // ${x/pat/repl}
	raw    string
	length bool
	quoted bool
}

// substPart is $(…) or `…`.
type substPart struct {
	body   *list
	quoted bool
}

type arithPart struct {
	expr   string
	quoted bool
}

func (p *litPart) isQuoted() bool   { return p.quoted }
func (p *paramPart) isQuoted() bool { return p.quoted }
func (p *substPart) isQuoted() bool { return p.quoted }
func (p *arithPart) isQuoted() bool { return p.quoted }

// literal returns the word's text if it is made only of literal parts.
func (w *word) literal() (string, bool) {
	s := ""
	for _, p := range w.parts {
		l, ok := p.(*litPart)
		if !ok {
			return "", false
		}
		s += l.s
	}
	return s, true
}

// unquotedLiteral reports whether w is exactly the unquoted text s (how
// reserved words are recognised).
func (w *word) unquotedLiteral(s string) bool {
	if len(w.parts) != 1 {
		return false
	}
	l, ok := w.parts[0].(*litPart)
	return ok && !l.quoted && l.s == s
}
