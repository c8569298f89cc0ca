package shell

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Recorder receives what the attacker does; the SSH and Telnet services turn
// these into events. Calls come from the goroutine running Session.Run.
type Recorder interface {
	// Command is called once per executed simple command (so `a; b && c`
	// yields up to three calls), including commands run inside $(…),
	// sh -c and loops, after the command finished.
	Command(c Command)
	// Download is called when a command fetches or uploads something
	// (wget, curl, tftp, ftpget, scp, …), whether or not it succeeded.
	Download(d Download)
}

// Command describes one executed simple command.
type Command struct {
	// Text is the simple command as written, e.g. "wget http://x/y -O /tmp/y".
	Text string
	// Line is the whole input line it came from.
	Line string
	// Name is argv[0] after alias and path resolution ("wget" for
	// /usr/bin/wget); empty for a bare assignment such as "HISTFILE=".
	Name string
	// Args is argv[1:] after expansion.
	Args []string
	// CWD and User are the working directory and user the command ran as.
	CWD  string
	User string
	// ExitCode is the command's exit status.
	ExitCode int
	// Known is false when the shell answered "command not found".
	Known bool
	At    time.Time
}

// Download describes one fetch or upload attempt.
type Download struct {
	// Tool is the program: wget, curl, tftp, ftpget, scp, python3 …
	Tool string
	// URL is the address as given.
	URL string
	// Host is the host part of URL, without port.
	Host string
	// Path is the output path in the virtual filesystem, "" for stdout.
	Path string
	// Command is the simple command text that made the attempt.
	Command string
	// Size is how many bytes were stored (0 when nothing was fetched).
	Size int64
	// Err says why nothing was fetched, "" on success.
	Err string
	At  time.Time
}

// AnswerRecorder is an optional extension of Recorder. A Recorder that
// implements it also receives the lines typed at prompts a command asked
// (passwords for sudo, su and passwd; confirmations such as apt's [Y/n]).
// Those lines are not commands and are kept out of History.
type AnswerRecorder interface {
	Answer(a Answer)
}

// Answer is one line typed at a command's prompt.
type Answer struct {
	// Prompt is what was asked, e.g. "[sudo] password for ubuntu: ".
	Prompt string
	// Text is what was typed.
	Text string
	// Secret is set when the prompt did not echo (a password).
	Secret bool
	// Line is the command line whose command asked.
	Line string
	User string
	At   time.Time
}

// Fetcher is an operator-enabled, capped downloader: it returns at most max
// bytes of url. Outbound fetching is off unless a Fetcher is configured.
type Fetcher func(ctx context.Context, url string, max int64) ([]byte, error)

// Config configures a Session.
type Config struct {
	// FS is the decky's filesystem; nil builds one from Persona.
	FS *FS
	// Persona is used only when FS is nil; otherwise FS's persona rules.
	Persona Persona
	// User is the login user; empty means root. A user the persona does
	// not know gets an account and home directory in this session.
	User string
	// Recorder receives commands and downloads; may be nil.
	Recorder Recorder
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Fetch, when non-nil, lets wget and curl really download (capped);
	// when nil they record the attempt and fail believably.
	Fetch Fetcher
	// RemoteAddr is the attacker's address ("ip" or "ip:port"), shown by
	// w, who, last, netstat and $SSH_CLIENT.
	RemoteAddr string
	// TTY is the session's terminal name; empty means "pts/0".
	TTY string
	// Env adds environment variables the client sent (TERM, LANG …).
	Env map[string]string
	// Sleep waits for d or until ctx ends; nil waits for real. Waits are
	// always capped at MaxSleep first.
	Sleep func(ctx context.Context, d time.Duration)
}

// Session is one attacker's shell: a user, a working directory, variables
// and a copy-on-write view of the decky's filesystem. Run may be called
// from any goroutine but not concurrently (calls are serialised).
type Session struct {
	mu    sync.Mutex
	cfg   Config
	fs    *FS
	v     *view
	st    *shellState
	stack []*shellState
	hist  []string
	// histShown is where `history` starts after `history -c`.
	histShown int
	rng       *prng
	started   time.Time
	sshdPID   int
	remoteIP  string
	remotePrt int
	pending   *pendingInput
	exited    bool
	lastBG    int
	jobs      int
	killed    map[int]bool
	// curLine is the line being run, which a prompt remembers.
	curLine    string
	sudoCached bool
	fwRules    []string
}

// pendingInput is a question a command asked (a password, [Y/n]); the
// next line answers it instead of being run.
type pendingInput struct {
	prompt string
	echo   bool
	// line is the command line that asked.
	line   string
	answer func(ctx context.Context, s *Session, line string, out io.Writer)
}

// shellVar is one shell variable.
type shellVar struct {
	val      string
	exported bool
	readonly bool
}

// shellState is what a subshell copies: user, directory, variables,
// functions, aliases and positional parameters.
type shellState struct {
	acct    account
	gids    []int
	cwd     string
	vars    map[string]*shellVar
	aliases map[string]string
	funcs   map[string]*funcDecl
	pos     []string
	status  int
	pid     int
	login   bool
	name    string // $0
	umask   int
}

func (st *shellState) clone() *shellState {
	c := *st
	c.vars = make(map[string]*shellVar, len(st.vars))
	for k, v := range st.vars {
		vv := *v
		c.vars[k] = &vv
	}
	c.aliases = maps.Clone(st.aliases)
	c.funcs = maps.Clone(st.funcs)
	c.pos = slices.Clone(st.pos)
	c.gids = slices.Clone(st.gids)
	return &c
}

func (st *shellState) cred() cred { return cred{uid: st.acct.uid, gids: st.gids} }

func (st *shellState) get(name string) (string, bool) {
	if v := st.vars[name]; v != nil {
		return v.val, true
	}
	return "", false
}

// set assigns a variable, keeping the caps on count and size.
func (st *shellState) set(name, val string) bool {
	if len(val) > MaxVarLen {
		val = capUTF8(val, MaxVarLen)
	}
	if v := st.vars[name]; v != nil {
		if v.readonly {
			return false
		}
		v.val = val
		return true
	}
	if len(st.vars) >= MaxVars {
		return false
	}
	st.vars[name] = &shellVar{val: val}
	return true
}

func (st *shellState) export(name string) {
	if v := st.vars[name]; v != nil {
		v.exported = true
		return
	}
	if len(st.vars) < MaxVars {
		st.vars[name] = &shellVar{exported: true}
	}
}

// capUTF8 cuts s to at most n bytes without splitting a rune.
func capUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// NewSession starts a login shell for cfg.User.
func NewSession(cfg Config) *Session {
	if cfg.FS == nil {
		cfg.FS = NewFS(cfg.Persona)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTY == "" {
		cfg.TTY = "pts/0"
	}
	if cfg.User == "" {
		cfg.User = "root"
	}
	f := cfg.FS
	seed := uint64(f.nextPID(0)) ^ uint64(time.Now().UnixNano())
	s := &Session{cfg: cfg, fs: f, rng: newRNG(f.p.Seed^seed, "session"), started: cfg.Now()}
	s.v = newView(f, seed)
	s.sshdPID = f.nextPID(s.rng.between(2, 40))
	if ap, err := netip.ParseAddrPort(cfg.RemoteAddr); err == nil {
		s.remoteIP, s.remotePrt = ap.Addr().Unmap().String(), int(ap.Port())
	} else if a, err := netip.ParseAddr(cfg.RemoteAddr); err == nil {
		s.remoteIP, s.remotePrt = a.Unmap().String(), 40000+s.rng.intn(25000)
	}
	acct, ok := s.lookupAccount(cfg.User)
	if !ok {
		acct = s.addAccount(cfg.User)
	}
	s.st = s.newShell(acct, true, f.nextPID(s.rng.between(1, 3)))
	return s
}

// lookupAccount finds a user in the session's /etc/passwd, so accounts the
// attacker adds with useradd work like the persona's own.
func (s *Session) lookupAccount(name string) (account, bool) {
	for _, a := range s.passwd() {
		if a.name == name {
			return a, true
		}
	}
	return account{}, false
}

// addAccount creates an account (and home) for a login name the persona
// does not know; the SSH service may accept any user.
func (s *Session) addAccount(name string) account {
	if !validUserName(name) {
		name = "user"
	}
	uid := 1000
	for _, a := range s.passwd() {
		if a.uid >= uid && a.uid < 60000 {
			uid = a.uid + 1
		}
	}
	a := account{name: name, uid: uid, gid: uid, home: "/home/" + name, shell: s.fs.d.loginShell}
	now := s.cfg.Now()
	line := fmt.Sprintf("%s:x:%d:%d::%s:%s\n", a.name, a.uid, a.gid, a.home, a.shell)
	_ = s.v.writeFile(rootCred, "/etc/passwd", []byte(line), true, 0o644, now)
	_ = s.v.writeFile(rootCred, "/etc/group", fmt.Appendf(nil, "%s:x:%d:\n", a.name, a.gid), true, 0o644, now)
	_ = s.v.mkdir(rootCred, a.home, 0o755, now)
	_ = s.v.setattr(rootCred, a.home, true, func(n *node) error { n.uid, n.gid = a.uid, a.gid; return nil })
	return a
}

// newShell returns the state of a fresh shell for acct.
func (s *Session) newShell(acct account, login bool, pid int) *shellState {
	st := &shellState{acct: acct, vars: map[string]*shellVar{}, aliases: map[string]string{}, funcs: map[string]*funcDecl{},
		pid: pid, login: login, name: "-bash", umask: 0o022}
	if s.fs.d.family == "alpine" {
		st.name = "-ash"
	}
	st.gids = s.groupsOf(acct)
	st.cwd = acct.home
	if n, _, err := s.v.lookup(st.cred(), acct.home, true); err != nil || !n.isDir() {
		st.cwd = "/"
	}
	d := s.fs.d
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if acct.uid != 0 {
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
	}
	switch {
	case strings.HasPrefix(d.slug, "ubuntu"):
		// Ubuntu's /etc/environment gives every user the sbin directories.
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin"
	case d.slug == "kali" && acct.uid != 0:
		path = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
	}
	switch d.family {
	case "rhel":
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/root/bin"
		if acct.uid != 0 {
			path = acct.home + "/.local/bin:" + acct.home + "/bin:/usr/local/bin:/usr/bin:/usr/local/sbin:/usr/sbin"
		}
	case "alpine":
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	case "arch":
		path = "/usr/local/sbin:/usr/local/bin:/usr/bin"
	}
	ps1 := `\u@\h:\w\$ `
	switch d.prompt {
	case "rhel":
		ps1 = `[\u@\h \W]\$ `
	case "ash":
		ps1 = `\h:\w\$ `
	}
	env := map[string]string{
		"HOME": acct.home, "USER": acct.name, "LOGNAME": acct.name, "SHELL": acct.shell, "PATH": path,
		"PWD": st.cwd, "LANG": "C.UTF-8", "SHLVL": "1", "TERM": "xterm-256color", "MAIL": "/var/mail/" + acct.name,
	}
	if d.family == "rhel" {
		env["MAIL"] = "/var/spool/mail/" + acct.name
		env["HISTSIZE"] = "1000"
		env["HOSTNAME"] = s.fs.p.Hostname
	}
	if s.remoteIP != "" {
		lport := 22
		env["SSH_CLIENT"] = fmt.Sprintf("%s %d %d", s.remoteIP, s.remotePrt, lport)
		env["SSH_CONNECTION"] = fmt.Sprintf("%s %d %s %d", s.remoteIP, s.remotePrt, s.fs.net.ip, lport)
		env["SSH_TTY"] = "/dev/" + s.cfg.TTY
	}
	env["XDG_SESSION_ID"] = strconv.Itoa(s.rng.between(1, 900))
	env["XDG_RUNTIME_DIR"] = fmt.Sprintf("/run/user/%d", acct.uid)
	for k, v := range s.cfg.Env {
		if validName(k) && len(st.vars) < 64 {
			env[k] = capUTF8(v, 4096)
		}
	}
	for k, v := range env {
		st.vars[k] = &shellVar{val: v, exported: true}
	}
	st.vars["PS1"] = &shellVar{val: ps1}
	st.vars["PS2"] = &shellVar{val: "> "}
	st.vars["IFS"] = &shellVar{val: " \t\n"}
	st.vars["HISTFILE"] = &shellVar{val: acct.home + "/.bash_history"}
	st.vars["HISTSIZE"] = &shellVar{val: "1000"}
	st.vars["HOSTNAME"] = &shellVar{val: s.fs.p.Hostname, exported: d.family == "rhel"}
	st.vars["OLDPWD"] = &shellVar{exported: true}
	if d.family != "alpine" {
		st.vars["BASH"] = &shellVar{val: "/usr/bin/bash"}
		st.vars["BASH_VERSION"] = &shellVar{val: d.bashVersion}
	}
	for k, v := range defaultAliases(d, acct.uid == 0) {
		st.aliases[k] = v
	}
	return st
}

// defaultAliases are what the distro's stock dotfiles define.
func defaultAliases(d *distro, root bool) map[string]string {
	switch d.family {
	case "debian":
		if root && d.slug == "debian" {
			return nil
		}
		return map[string]string{"ls": "ls --color=auto", "grep": "grep --color=auto", "fgrep": "fgrep --color=auto",
			"egrep": "egrep --color=auto", "ll": "ls -alF", "la": "ls -A", "l": "ls -CF"}
	case "rhel":
		a := map[string]string{"ls": "ls --color=auto", "ll": "ls -l --color=auto", "l.": "ls -d .* --color=auto",
			"grep": "grep --color=auto", "egrep": "egrep --color=auto", "fgrep": "fgrep --color=auto", "which": "(alias; declare -f) | /usr/bin/which --tty-only --read-alias --read-functions --show-tilde --show-dot"}
		delete(a, "which")
		if root {
			a["rm"], a["cp"], a["mv"] = "rm -i", "cp -i", "mv -i"
		}
		return a
	case "arch":
		return map[string]string{"ls": "ls --color=auto", "grep": "grep --color=auto"}
	}
	return nil
}

// passwd parses the session's /etc/passwd.
func (s *Session) passwd() []account {
	b, err := s.v.readFile(rootCred, "/etc/passwd", s.cfg.Now())
	if err != nil {
		return nil
	}
	var out []account
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 7 {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, account{name: f[0], uid: uid, gid: gid, gecos: f[4], home: f[5], shell: f[6]})
	}
	return out
}

// group is one /etc/group entry.
type group struct {
	name    string
	gid     int
	members []string
}

func (s *Session) groups() []group {
	b, err := s.v.readFile(rootCred, "/etc/group", s.cfg.Now())
	if err != nil {
		return nil
	}
	var out []group
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 4 {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		g := group{name: f[0], gid: gid}
		if f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	}
	return out
}

// groupsOf returns the primary gid then supplementary gids of acct.
func (s *Session) groupsOf(acct account) []int {
	gids := []int{acct.gid}
	for _, g := range s.groups() {
		if g.gid != acct.gid && slices.Contains(g.members, acct.name) {
			gids = append(gids, g.gid)
		}
	}
	return gids
}

// names maps uids and gids to names for one command's output.
type names struct {
	users  map[int]string
	groups map[int]string
}

func (s *Session) names() names {
	n := names{users: map[int]string{}, groups: map[int]string{}}
	for _, a := range s.passwd() {
		if _, ok := n.users[a.uid]; !ok {
			n.users[a.uid] = a.name
		}
	}
	for _, g := range s.groups() {
		if _, ok := n.groups[g.gid]; !ok {
			n.groups[g.gid] = g.name
		}
	}
	return n
}

func (n names) user(uid int) string {
	if s, ok := n.users[uid]; ok {
		return s
	}
	return strconv.Itoa(uid)
}

func (n names) group(gid int) string {
	if s, ok := n.groups[gid]; ok {
		return s
	}
	return strconv.Itoa(gid)
}

// Prompt returns the prompt for the current user, host and directory, or
// the pending question (a password prompt) when a command asked one.
func (s *Session) Prompt() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		return s.pending.prompt
	}
	ps1, _ := s.st.get("PS1")
	return s.renderPrompt(ps1)
}

// Echo reports whether the terminal should echo the next line; it is false
// while a password is asked.
func (s *Session) Echo() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending == nil || s.pending.echo
}

// renderPrompt expands the backslash escapes of a PS1 value.
func (s *Session) renderPrompt(ps1 string) string {
	st := s.st
	var b strings.Builder
	home, _ := st.get("HOME")
	for i := 0; i < len(ps1) && b.Len() < 4096; i++ {
		c := ps1[i]
		if c != '\\' || i+1 >= len(ps1) {
			b.WriteByte(c)
			continue
		}
		i++
		switch ps1[i] {
		case 'u':
			b.WriteString(st.acct.name)
		case 'h':
			b.WriteString(shortHost(s.fs.p.Hostname))
		case 'H':
			b.WriteString(s.fs.p.Hostname)
		case 'w':
			b.WriteString(tildePath(st.cwd, home))
		case 'W':
			switch {
			case st.cwd == home:
				b.WriteString("~")
			case st.cwd == "/":
				b.WriteString("/")
			default:
				b.WriteString(st.cwd[strings.LastIndexByte(st.cwd, '/')+1:])
			}
		case '$':
			if st.acct.uid == 0 {
				b.WriteByte('#')
			} else {
				b.WriteByte('$')
			}
		case 'n':
			b.WriteByte('\n')
		case 's':
			b.WriteString(strings.TrimPrefix(st.name, "-"))
		case 'e':
			b.WriteByte(27)
		case 'a':
			b.WriteByte(7)
		case '[', ']':
		case '\\':
			b.WriteByte('\\')
		case '0':
			if strings.HasPrefix(ps1[i:], "033") {
				b.WriteByte(27)
				i += 2
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(ps1[i])
		}
	}
	return b.String()
}

// tildePath abbreviates the home directory to ~.
func tildePath(p, home string) string {
	if home != "" && home != "/" && (p == home || strings.HasPrefix(p, home+"/")) {
		return "~" + p[len(home):]
	}
	return p
}

// History returns the lines run in this session, in order (at most
// MaxHistory; answers to password prompts are not lines and are left out).
func (s *Session) History() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.hist)
}

// Run executes one input line, writing its output (stdout and stderr, with
// "\n" line ends) to out, and reports whether the session ended (exit,
// logout). It returns within MaxRunTime whatever the line holds.
func (s *Session) Run(ctx context.Context, line string, out io.Writer) (exit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exited {
		return true
	}
	if len(line) > MaxLineLen {
		line = line[:MaxLineLen]
	}
	line = strings.TrimRight(line, "\r\n")
	term := newCap(out, MaxRunOutput)
	if p := s.pending; p != nil {
		s.pending = nil
		s.recordAnswer(Answer{Prompt: p.prompt, Text: line, Secret: !p.echo, Line: p.line, User: s.st.acct.name, At: s.cfg.Now()})
		func() {
			defer func() {
				if r := recover(); r != nil {
					reportPanic(r)
				}
			}()
			p.answer(ctx, s, line, term)
		}()
		return s.exited
	}
	s.curLine = line
	if strings.TrimSpace(line) != "" {
		if len(s.hist) >= MaxHistory {
			s.hist = slices.Delete(s.hist, 0, 1)
			s.histShown = max(0, s.histShown-1)
		}
		s.hist = append(s.hist, line)
	}
	ctx, cancel := context.WithTimeout(ctx, MaxRunTime)
	defer cancel()
	in := &interp{s: s, ctx: ctx, line: line, term: term}
	func() {
		defer func() {
			if r := recover(); r != nil {
				reportPanic(r)
				s.st.status = 1
			}
		}()
		l, err := parse(line, 0)
		if err != nil {
			fmt.Fprintf(term, "%s: %s\n", s.shellName(), err)
			s.st.status = 2
			return
		}
		in.runList(l, stdio{in: newInput(nil), out: term, err: term, tty: true})
	}()
	if in.flow == flowExit {
		s.endShell(term)
	}
	return s.exited
}

// onPanic, when set (by tests and fuzz targets), sees every panic the
// session recovered from, so they fail loudly there while a live session
// carries on.
var onPanic func(v any)

func reportPanic(v any) {
	if onPanic != nil {
		onPanic(v)
	}
}

// shellName is how the shell names itself in errors: "bash", or "-ash"
// on Alpine.
func (s *Session) shellName() string {
	if s.fs.d.family == "alpine" {
		return "-ash"
	}
	return "bash"
}

// endShell leaves the current shell: back to the one below it (after su
// or sudo -i) or out of the session.
func (s *Session) endShell(out io.Writer) {
	if s.st.login {
		io.WriteString(out, "logout\n")
	} else {
		io.WriteString(out, "exit\n")
	}
	if n := len(s.stack); n > 0 {
		status := s.st.status
		s.st = s.stack[n-1]
		s.stack = s.stack[:n-1]
		s.st.status = status
		return
	}
	s.exited = true
}

// pushShell starts a nested shell (su, sudo -i) as acct.
func (s *Session) pushShell(acct account, login bool, keepCWD string) {
	if len(s.stack) >= MaxNesting {
		return
	}
	st := s.newShell(acct, login, s.fs.nextPID(s.rng.between(1, 5)))
	if !login && keepCWD != "" {
		st.cwd = keepCWD
		st.vars["PWD"].val = keepCWD
	}
	if lvl, err := strconv.Atoi(s.st.vars["SHLVL"].val); err == nil {
		st.vars["SHLVL"].val = strconv.Itoa(lvl + 1)
	}
	s.stack = append(s.stack, s.st)
	s.st = st
}

func (s *Session) record(c Command) {
	if s.cfg.Recorder == nil {
		return
	}
	defer func() { _ = recover() }()
	s.cfg.Recorder.Command(c)
}

func (s *Session) recordAnswer(a Answer) {
	ar, ok := s.cfg.Recorder.(AnswerRecorder)
	if !ok {
		return
	}
	defer func() { _ = recover() }()
	ar.Answer(a)
}

func (s *Session) recordDownload(d Download) {
	if s.cfg.Recorder == nil {
		return
	}
	defer func() { _ = recover() }()
	s.cfg.Recorder.Download(d)
}

// sleep waits min(d, MaxSleep) or until ctx ends.
func (s *Session) sleep(ctx context.Context, d time.Duration) {
	d = min(d, MaxSleep)
	if d <= 0 {
		return
	}
	if s.cfg.Sleep != nil {
		s.cfg.Sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ask queues questions for the next input lines (passwords, [Y/n]); done
// runs once all are answered, with a fresh line budget. Answers are not
// history lines.
func (s *Session) ask(prompts []string, echo []bool, done func(in *interp, answers []string)) {
	var answers []string
	var step func(i int)
	origin := s.curLine
	step = func(i int) {
		s.pending = &pendingInput{prompt: prompts[i], echo: echo[i], line: origin, answer: func(ctx context.Context, s *Session, line string, out io.Writer) {
			answers = append(answers, line)
			if !echo[i] {
				io.WriteString(out, "\n")
			}
			if i+1 < len(prompts) {
				step(i + 1)
				return
			}
			ctx, cancel := context.WithTimeout(ctx, MaxRunTime)
			defer cancel()
			cw, ok := out.(*capWriter)
			if !ok {
				cw = newCap(out, MaxRunOutput)
			}
			s.curLine = origin
			in := &interp{s: s, ctx: ctx, line: origin, term: cw}
			done(in, answers)
			if in.flow == flowExit {
				s.endShell(cw)
			}
		}}
	}
	step(0)
}
