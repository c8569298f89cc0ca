package smtp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/tlsfp"
)

// Per-connection bounds (ARCHITECTURE.md §10).
const (
	// maxCommandLine is Postfix's line_length_limit.
	maxCommandLine = 2048
	// maxCommands bounds the commands of one connection.
	maxCommands = 1000
	// maxErrors is Postfix's smtpd_hard_error_limit: after this many
	// 4xx/5xx replies the connection is dropped.
	maxErrors = 20
	// maxRecipients is Postfix's smtpd_recipient_limit... lowered: a
	// spam run's shape shows well before 1000.
	maxRecipients = 100
	// maxMessages bounds the messages of one connection.
	maxMessages = 50
	// maxField bounds attacker strings copied into events.
	maxField = 1024
)

type session struct {
	h    *handler
	ctx  context.Context
	ev   *services.Session
	conn net.Conn // nil when run over plain streams (fuzzing): no STARTTLS
	r    *bufio.Reader
	w    *bufio.Writer

	helo    string
	esmtp   bool
	tls     bool
	authed  bool
	from    string
	hasMail bool
	rcpts   []string
	errors  int
	cmds    int
	msgs    int
	quitWhy string
	// aborted is set by authResponse when the connection died mid-AUTH.
	aborted bool
}

func (h *handler) newSession(ctx context.Context, ev *services.Session, conn net.Conn, r io.Reader, w io.Writer) *session {
	return &session{h: h, ctx: ctx, ev: ev, conn: conn,
		r: bufio.NewReaderSize(r, maxCommandLine), w: bufio.NewWriter(w)}
}

func (s *session) run() {
	s.ev.Emit("connect", map[string]string{"mta": s.h.dialect.name}, "SMTP connection")
	s.quitWhy = "client left"
	defer func() {
		s.w.Flush()
		s.ev.Emit("disconnect", map[string]string{"reason": s.quitWhy, "commands": strconv.Itoa(s.cmds)}, "SMTP connection closed: "+s.quitWhy)
	}()
	if !s.reply(s.h.dialect.greeting(s.h.now())) || !s.flush() {
		return
	}
	for {
		// Replies to pipelined commands go out together once the client
		// has nothing more buffered (RFC 2920).
		if s.r.Buffered() == 0 && !s.flush() {
			return
		}
		line, err := services.ReadLine(s.r)
		if errors.Is(err, services.ErrLineTooLong) {
			s.protocolError("command line longer than " + strconv.Itoa(maxCommandLine) + " bytes")
			s.reply("500 5.5.0 Error: line too long")
			return
		}
		if err != nil {
			return
		}
		if s.cmds++; s.cmds > maxCommands {
			s.protocolError("more than " + strconv.Itoa(maxCommands) + " commands")
			s.reply("421 4.7.0 " + s.h.host + " Error: too many commands")
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		if !s.dispatch(strings.ToUpper(clip(verb, 16)), strings.TrimSpace(arg)) {
			return
		}
		if s.errors >= maxErrors {
			s.protocolError("more than " + strconv.Itoa(maxErrors-1) + " errors")
			s.reply("421 4.7.0 " + s.h.host + " Error: too many errors")
			return
		}
	}
}

func (s *session) protocolError(what string) {
	s.quitWhy = what
	s.ev.Emit("protocol_error", map[string]string{"error": what}, "SMTP protocol error: "+what)
}

// reply queues one reply; 4xx and 5xx replies count towards maxErrors.
func (s *session) reply(text string) bool {
	if len(text) > 0 && (text[0] == '4' || text[0] == '5') {
		s.errors++
	}
	s.w.WriteString(text)
	s.w.WriteString("\r\n")
	return true
}

func (s *session) flush() bool { return s.w.Flush() == nil }

// dispatch answers one command; false ends the connection.
func (s *session) dispatch(verb, arg string) bool {
	switch verb {
	case "EHLO", "HELO":
		return s.cmdHello(verb, arg)
	case "MAIL":
		return s.cmdMail(arg)
	case "RCPT":
		return s.cmdRcpt(arg)
	case "DATA":
		return s.cmdData(arg)
	case "AUTH":
		return s.cmdAuth(arg)
	case "STARTTLS":
		return s.cmdStartTLS(arg)
	case "VRFY":
		return s.cmdVrfy(arg)
	case "RSET":
		s.resetTx()
		return s.reply("250 2.0.0 Ok")
	case "NOOP":
		return s.reply("250 2.0.0 Ok")
	case "ETRN":
		if s.helo == "" {
			return s.reply("503 5.5.1 Error: send HELO/EHLO first")
		}
		return s.reply("250 Queuing started")
	case "QUIT":
		s.quitWhy = "QUIT"
		s.reply(s.h.dialect.quit)
		return false
	case "":
		return s.reply("500 5.5.2 Error: bad syntax")
	}
	s.ev.Emit("unknown_command", map[string]string{"command": clip(verb, 16), "args": clip(arg, maxField)}, "unknown SMTP command "+clip(verb, 16))
	return s.reply(s.h.dialect.unknown(clip(verb, 16)))
}

func (s *session) resetTx() {
	s.from, s.hasMail, s.rcpts = "", false, nil
}

func (s *session) cmdHello(verb, arg string) bool {
	if arg == "" {
		return s.reply("501 Syntax: " + verb + " hostname")
	}
	s.resetTx()
	s.helo, s.esmtp = clip(arg, 255), verb == "EHLO"
	s.ev.Emit("ehlo", map[string]string{"domain": s.helo, "command": verb, "tls": strconv.FormatBool(s.tls)}, verb+" "+s.helo)
	d := s.h.dialect
	first := d.hello(s.helo, s.ev.SrcIP)
	if !s.esmtp {
		return s.reply("250 " + first)
	}
	lines := []string{first}
	for _, c := range d.caps {
		if c == "STARTTLS" && (s.tls || s.h.env.TLS == nil || s.conn == nil) {
			continue
		}
		lines = append(lines, c)
	}
	var b strings.Builder
	for i, l := range lines {
		if i == len(lines)-1 {
			b.WriteString("250 " + l)
		} else {
			b.WriteString("250-" + l + "\r\n")
		}
	}
	return s.reply(b.String())
}

// parsePath reads "FROM:<addr> params" (or TO:), tolerating the space
// after the colon and a missing pair of brackets as Postfix does.
func parsePath(arg, keyword string) (addr string, params []string, ok bool) {
	if len(arg) < len(keyword)+1 || !strings.EqualFold(arg[:len(keyword)+1], keyword+":") {
		return "", nil, false
	}
	rest := strings.TrimLeft(arg[len(keyword)+1:], " ")
	if strings.HasPrefix(rest, "<") {
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return "", nil, false
		}
		addr, rest = rest[1:end], rest[end+1:]
	} else {
		addr, rest, _ = strings.Cut(rest, " ")
	}
	if strings.ContainsAny(addr, " \t<>") {
		return "", nil, false
	}
	return addr, strings.Fields(rest), true
}

// domainOf is the part after the last @.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func (s *session) cmdMail(arg string) bool {
	switch {
	case s.helo == "":
		return s.reply("503 5.5.1 Error: send HELO/EHLO first")
	case s.hasMail:
		return s.reply("503 5.5.1 Error: nested MAIL command")
	}
	addr, params, ok := parsePath(arg, "FROM")
	if !ok {
		return s.reply("501 5.5.4 Syntax: MAIL FROM:<address>")
	}
	for _, p := range params {
		if k, v, _ := strings.Cut(p, "="); strings.EqualFold(k, "SIZE") {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > s.h.dialect.size {
				return s.reply("552 5.3.4 Message size exceeds fixed limit")
			}
		}
	}
	s.from, s.hasMail = clip(addr, 512), true
	s.ev.Emit("mail_from", map[string]string{"value": clip(arg, maxField), "mail_from": s.from, "domain": domainOf(s.from)},
		"MAIL FROM:<"+s.from+">")
	return s.reply("250 2.1.0 Ok")
}

// reservedTLDs never receive mail (RFC 2606, RFC 6761); a relay answers
// them as unknown domains.
var reservedTLDs = []string{"invalid", "test", "localhost", "local", "example"}

// validMailbox is the relay's syntax check: local@domain, a dotted domain
// of letters, digits, dots and hyphens.
func validMailbox(addr string) bool {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 || len(addr) > 254 {
		return false
	}
	dom := addr[at+1:]
	if !strings.Contains(dom, ".") || strings.HasPrefix(dom, ".") || strings.HasSuffix(dom, ".") || strings.Contains(dom, "..") {
		return false
	}
	for _, c := range dom {
		if !(c == '.' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (s *session) cmdRcpt(arg string) bool {
	if !s.hasMail {
		return s.reply("503 5.5.1 Error: need MAIL command")
	}
	addr, _, ok := parsePath(arg, "TO")
	if !ok {
		return s.reply("501 5.5.4 Syntax: RCPT TO:<address>")
	}
	addr = clip(addr, 512)
	value := map[string]string{"value": clip(arg, maxField), "rcpt_to": addr, "domain": domainOf(addr)}
	if !s.h.relay {
		s.ev.Emit("rcpt_denied", value, "relay denied for "+addr)
		return s.reply("554 5.7.1 <" + addr + ">: Relay access denied")
	}
	if !validMailbox(addr) {
		s.ev.Emit("rcpt_rejected_syntax", value, "bad recipient "+addr)
		return s.reply("501 5.1.3 Bad recipient address syntax")
	}
	dom := domainOf(addr)
	if slices.Contains(reservedTLDs, dom[strings.LastIndexByte(dom, '.')+1:]) {
		s.ev.Emit("rcpt_rejected_tld", value, "reserved domain "+dom)
		return s.reply("550 5.1.2 <" + addr + ">: Recipient address rejected: Domain not found")
	}
	if len(s.rcpts) >= maxRecipients {
		return s.reply("452 4.5.3 Error: too many recipients")
	}
	if s.h.greylist > 0 && rand.IntN(100) < s.h.greylist {
		s.ev.Emit("rcpt_greylisted", value, "greylisted "+addr)
		return s.reply("451 4.7.1 <" + addr + ">: Recipient address rejected: Greylisted, please try again later")
	}
	s.rcpts = append(s.rcpts, addr)
	s.ev.Emit("rcpt_to", value, "RCPT TO:<"+addr+">")
	return s.reply("250 2.1.5 Ok")
}

func (s *session) cmdVrfy(arg string) bool {
	if arg == "" {
		return s.reply("501 5.5.4 Syntax: VRFY address")
	}
	user := strings.Trim(arg, "<>")
	local := strings.ToLower(user)
	if i := strings.IndexByte(local, '@'); i >= 0 {
		local = local[:i]
	}
	known := s.h.users[local]
	s.ev.Emit("vrfy", map[string]string{"value": clip(arg, maxField), "exists": strconv.FormatBool(known)}, "VRFY "+clip(arg, 256))
	if known {
		return s.reply("252 2.0.0 " + clip(user, 256))
	}
	return s.reply("550 5.1.1 <" + clip(user, 256) + ">: Recipient address rejected: User unknown in local recipient table")
}

// cmdAuth runs AUTH PLAIN or LOGIN (RFC 4954), records the credentials and
// answers 235 in relay mode (unless auth_whitelist excludes the user) and
// 535 otherwise.
func (s *session) cmdAuth(arg string) bool {
	switch {
	case s.helo == "" || !s.esmtp:
		return s.reply("503 5.5.1 Error: send HELO/EHLO first")
	case s.authed:
		return s.reply("503 5.5.1 Error: already authenticated")
	case s.hasMail:
		return s.reply("503 5.5.1 Error: MAIL transaction in progress")
	}
	mech, initial, _ := strings.Cut(arg, " ")
	mech = strings.ToUpper(mech)
	var user, pass []byte
	switch mech {
	case "PLAIN":
		resp, ok := s.authResponse("334 ", initial)
		if !ok {
			return !s.aborted
		}
		parts := bytes.SplitN(resp, []byte{0}, 3)
		if len(parts) != 3 {
			return s.reply("535 5.7.8 Error: authentication failed: Invalid authentication mechanism")
		}
		user, pass = parts[1], parts[2]
		if len(user) == 0 {
			user = parts[0]
		}
	case "LOGIN":
		var ok bool
		if user, ok = s.authResponse("334 VXNlcm5hbWU6", initial); !ok {
			return !s.aborted
		}
		if pass, ok = s.authResponse("334 UGFzc3dvcmQ6", ""); !ok {
			return !s.aborted
		}
	default:
		return s.reply("535 5.7.8 Error: authentication failed: Invalid authentication mechanism")
	}
	name := clip(string(user), 256)
	ok := s.h.relay && (len(s.h.whitelist) == 0 || slices.Contains(s.h.whitelist, name))
	f := services.CredentialFields(map[string]string{"mechanism": mech, "tls": strconv.FormatBool(s.tls)},
		name, pass[:min(len(pass), maxField)], services.KindPlaintext, services.Outcome(ok))
	s.ev.Emit("auth_attempt", f, "SMTP AUTH "+mech+" for "+name)
	if ok {
		s.authed = true
		return s.reply("235 2.7.0 Authentication successful")
	}
	return s.reply("535 5.7.8 Error: authentication failed: authentication failure")
}

// authResponse returns the decoded client response: initial when given
// (RFC 4954 initial response, "=" meaning empty), else the line read after
// sending challenge. On a cancel, bad base64 or a dead connection it
// replies as Postfix does and returns ok false; aborted tells the caller
// the connection is gone.
func (s *session) authResponse(challenge, initial string) (resp []byte, ok bool) {
	s.aborted = false
	line := initial
	if line == "" {
		s.reply(challenge)
		if !s.flush() {
			s.aborted = true
			return nil, false
		}
		var err error
		if line, err = services.ReadLine(s.r); err != nil {
			s.aborted = true
			s.quitWhy = "client left during AUTH"
			if errors.Is(err, services.ErrLineTooLong) {
				s.protocolError("AUTH response longer than " + strconv.Itoa(maxCommandLine) + " bytes")
			}
			return nil, false
		}
	} else if line == "=" {
		return []byte{}, true
	}
	if strings.TrimSpace(line) == "*" {
		s.reply("501 5.7.0 Authentication aborted")
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
	if err != nil {
		s.reply("501 5.5.2 Cannot decode response")
		return nil, false
	}
	return b, true
}

// cmdStartTLS upgrades the connection with the decky's certificate and
// records the client's TLS fingerprint.
func (s *session) cmdStartTLS(arg string) bool {
	switch {
	case s.tls:
		return s.reply("554 5.5.1 Error: TLS already active")
	case arg != "":
		return s.reply("501 5.5.4 Syntax: STARTTLS")
	case s.h.env.TLS == nil || s.conn == nil:
		return s.reply("454 4.7.0 TLS not available due to local problem")
	}
	s.reply("220 2.0.0 Ready to start TLS")
	if !s.flush() {
		return false
	}
	if n := s.r.Buffered(); n > 0 {
		// Plain text pipelined after STARTTLS would be read as if it came
		// over TLS (CVE-2011-0411); Postfix discards it, so does this.
		pre, _ := s.r.Peek(n)
		s.ev.Emit("starttls_injection", map[string]string{"bytes": strconv.Itoa(n), "data": clip(string(pre), maxField)},
			"plain text pipelined after STARTTLS discarded")
		s.r.Discard(n)
	}
	if c, ok := s.conn.(*services.Conn); ok {
		c.SetPhaseDeadline(c.Limits().HandshakeTimeout)
		defer c.ClearPhaseDeadline()
	}
	hello, peeked, err := tlsfp.ReadClientHello(s.conn)
	fields := map[string]string{}
	if hello != nil {
		fields = hello.Fields(fields)
	}
	tc := tls.Server(peeked, &tls.Config{Certificates: []tls.Certificate{*s.h.env.TLS}})
	if err == nil {
		err = tc.HandshakeContext(s.ctx)
	}
	if err != nil {
		fields["error"] = clip(err.Error(), 256)
		s.ev.Emit("tls_handshake_failed", fields, "STARTTLS handshake failed")
		s.quitWhy = "TLS handshake failed"
		return false
	}
	st := tc.ConnectionState()
	fields["negotiated_version"] = tls.VersionName(st.Version)
	fields["cipher_suite"] = tls.CipherSuiteName(st.CipherSuite)
	s.ev.Emit("starttls", fields, "STARTTLS negotiated "+tls.VersionName(st.Version))
	s.tls = true
	s.r = bufio.NewReaderSize(tc, maxCommandLine)
	s.w = bufio.NewWriter(tc)
	// RFC 3207 §4.2: the client starts over with EHLO.
	s.helo, s.esmtp = "", false
	s.resetTx()
	return true
}

func (s *session) cmdData(arg string) bool {
	switch {
	case !s.hasMail:
		return s.reply("503 5.5.1 Error: need RCPT command")
	case len(s.rcpts) == 0:
		return s.reply("554 5.5.1 Error: no valid recipients")
	case arg != "":
		return s.reply("501 5.5.4 Syntax: DATA")
	}
	if s.msgs++; s.msgs > maxMessages {
		s.protocolError("more than " + strconv.Itoa(maxMessages) + " messages")
		s.reply("421 4.7.0 " + s.h.host + " Error: too many messages")
		return false
	}
	s.reply("354 End data with <CR><LF>.<CR><LF>")
	if !s.flush() {
		return false
	}
	id := queueID()
	res, err := s.receive(id)
	if errors.Is(err, errTooBig) {
		s.protocolError(fmt.Sprintf("message longer than %d bytes", maxDataTotal))
		s.reply("552 5.3.4 Error: message file too big")
		return false
	}
	if err != nil {
		s.quitWhy = "client left during DATA"
		return false
	}
	rcpts := strings.Join(s.rcpts, ",")
	s.ev.Emit("message_accepted", map[string]string{"mail_from": s.from, "rcpt_to": clip(rcpts, 8192),
		"body_bytes": strconv.FormatInt(res.total, 10), "truncated": strconv.FormatBool(res.truncated), "msg_id": id},
		"message "+id+" accepted")
	s.store(id, rcpts, res)
	s.resetTx()
	return s.reply("250 2.0.0 Ok: queued as " + id)
}

// queueID is a Postfix short queue id: ten upper-case hex digits.
func queueID() string {
	return fmt.Sprintf("%05X%05X", rand.IntN(1<<20), rand.IntN(1<<20))
}

// clip cuts s to n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
