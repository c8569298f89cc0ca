package ftp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/services"
)

// Per-connection bounds (ARCHITECTURE.md §10).
const (
	// maxCommandLine is vsftpd's VSFTP_MAX_COMMAND_LINE.
	maxCommandLine = 4096
	// maxCommands bounds the commands of one connection.
	maxCommands = 2000
	// maxLoginFails is vsftpd's max_login_fails: the third wrong
	// password ends the connection.
	maxLoginFails = 3
	// maxUploadsShown bounds the per-session list of uploaded names that
	// LIST shows.
	maxUploadsShown = 256
	// maxField bounds attacker strings copied into events.
	maxField = 1024
	// maxErrors bounds unknown and refused-before-login commands: past
	// it the client is a fuzzer or a binary protocol, not an FTP client,
	// and each line would cost an event.
	maxErrors = 50
)

type session struct {
	h       *handler
	ctx     context.Context
	ev      *services.Session
	r       *bufio.Reader
	w       *bufio.Writer
	localIP string
	port    int

	user     string // from USER, until PASS
	login    string // the logged-in user
	loggedIn bool
	anon     bool
	fails    int
	cwd      string
	pasv     *pasvWait
	active   bool // a PORT to the client's own address was accepted
	rest     int64
	uploads  map[string]int64
	cmds     int
	errors   int
	quitWhy  string
}

func (h *handler) newSession(ctx context.Context, ev *services.Session, r io.Reader, w io.Writer, localIP string, port, maxLine int) *session {
	return &session{
		h: h, ctx: ctx, ev: ev,
		r:       bufio.NewReaderSize(r, min(maxCommandLine, max(maxLine, 512))),
		w:       bufio.NewWriter(w),
		localIP: localIP, port: port, cwd: "/", uploads: map[string]int64{},
	}
}

// run greets the client and serves commands until it leaves, breaks a
// bound or the connection ends.
func (s *session) run() {
	s.ev.Emit("connection", map[string]string{"server": s.h.dialect.name}, "FTP connection")
	defer func() {
		s.h.broker.release(s.pasv)
		s.ev.Emit("disconnect", map[string]string{"reason": s.quitWhy, "commands": strconv.Itoa(s.cmds)}, "FTP connection closed: "+s.quitWhy)
	}()
	s.quitWhy = "client left"
	if !s.reply(s.h.dialect.banner(s.port, s.h.now())) {
		return
	}
	for {
		line, err := readLine(s.r)
		if errors.Is(err, services.ErrLineTooLong) {
			s.protocolError("command line longer than " + strconv.Itoa(maxCommandLine) + " bytes")
			s.reply("500 Input line too long.")
			return
		}
		if err != nil {
			return
		}
		if s.cmds++; s.cmds > maxCommands {
			s.protocolError("more than " + strconv.Itoa(maxCommands) + " commands")
			s.reply("421 Too many commands, closing control connection.")
			return
		}
		cmd, arg := splitCommand(line)
		if cmd == "" {
			continue
		}
		if !s.dispatch(cmd, arg) {
			return
		}
		if s.errors >= maxErrors {
			s.protocolError("more than " + strconv.Itoa(maxErrors) + " unknown or refused commands")
			s.reply("421 Too many errors, closing control connection.")
			return
		}
	}
}

func (s *session) protocolError(what string) {
	s.quitWhy = what
	s.ev.Emit("protocol_error", map[string]string{"error": what}, "FTP protocol error: "+what)
}

// reply writes one reply (which may hold several CRLF-separated lines)
// and reports whether the client can still be written to.
func (s *session) reply(text string) bool {
	s.w.WriteString(text)
	s.w.WriteString("\r\n")
	return s.w.Flush() == nil
}

// readLine reads one command line (services.ReadLine) without the Telnet
// IAC sequences clients send before ABOR (IAC IP, IAC DM).
func readLine(r *bufio.Reader) (string, error) {
	line, err := services.ReadLine(r)
	if err != nil || strings.IndexByte(line, 0xff) < 0 {
		return line, err
	}
	out := make([]byte, 0, len(line))
	for i := 0; i < len(line); i++ {
		if line[i] == 0xff {
			i++ // skip the IAC and the command byte after it
			continue
		}
		out = append(out, line[i])
	}
	return string(out), nil
}

// splitCommand returns the upper-cased verb and the raw argument (file
// names may hold spaces).
func splitCommand(line string) (cmd, arg string) {
	line = strings.TrimLeft(line, " ")
	cmd, arg, _ = strings.Cut(line, " ")
	if len(cmd) > 16 {
		cmd = cmd[:16]
	}
	return strings.ToUpper(cmd), arg
}

// preLogin are the commands answered before a login.
var preLogin = []string{"USER", "PASS", "QUIT", "FEAT", "SYST", "NOOP", "HELP", "OPTS"}

const helpText = "214-The following commands are recognized.\r\n" +
	" ABOR ACCT ALLO APPE CDUP CWD  DELE EPRT EPSV FEAT HELP LIST MDTM MKD\r\n" +
	" MODE NLST NOOP OPTS PASS PASV PORT PWD  QUIT REIN REST RETR RMD  RNFR\r\n" +
	" RNTO SITE SIZE SMNT STAT STOR STOU STRU SYST TYPE USER XCUP XCWD XMKD\r\n" +
	" XPWD XRMD\r\n214 Help OK."

// dispatch answers one command; false ends the connection.
func (s *session) dispatch(cmd, arg string) bool {
	d := s.h.dialect
	if !s.loggedIn && !slices.Contains(preLogin, cmd) {
		s.errors++
		return s.reply(d.notLoggedIn)
	}
	switch cmd {
	case "USER":
		return s.cmdUser(arg)
	case "PASS":
		return s.cmdPass(arg)
	case "QUIT":
		s.quitWhy = "QUIT"
		s.reply(d.quit)
		return false
	case "FEAT":
		return s.reply(d.feat)
	case "SYST":
		return s.reply(d.syst)
	case "NOOP":
		return s.reply(d.noop)
	case "HELP":
		return s.reply(helpText)
	case "OPTS":
		if strings.EqualFold(strings.TrimSpace(arg), "UTF8 ON") {
			return s.reply("200 Always in UTF8 mode.")
		}
		return s.reply("501 Option not understood.")
	case "PWD", "XPWD":
		return s.reply(d.pwd(s.cwd))
	case "CWD", "XCWD":
		return s.cmdCwd(arg)
	case "CDUP", "XCUP":
		return s.cmdCwd("..")
	case "TYPE":
		switch strings.ToUpper(strings.TrimSpace(arg)) {
		case "I", "L 8":
			return s.reply(d.typeI)
		case "A", "A N":
			return s.reply(d.typeA)
		}
		return s.reply("500 Unrecognised TYPE command.")
	case "MODE":
		if strings.EqualFold(strings.TrimSpace(arg), "S") {
			return s.reply("200 Mode set to S.")
		}
		return s.reply("504 Bad MODE command.")
	case "STRU":
		if strings.EqualFold(strings.TrimSpace(arg), "F") {
			return s.reply("200 Structure set to F.")
		}
		return s.reply("504 Bad STRU command.")
	case "PASV":
		return s.cmdPasv(false, arg)
	case "EPSV":
		return s.cmdPasv(true, arg)
	case "PORT", "EPRT":
		return s.cmdPort(cmd, arg)
	case "LIST", "NLST":
		return s.cmdList(cmd == "NLST", arg)
	case "RETR":
		return s.cmdRetr(arg)
	case "STOR", "STOU", "APPE":
		return s.cmdStor(cmd, arg)
	case "SIZE":
		if f, ok := s.h.tree.lookup(resolve(s.cwd, arg)); ok && f != nil && !f.dir {
			return s.reply("213 " + strconv.FormatInt(f.size, 10))
		}
		return s.reply("550 Could not get file size.")
	case "MDTM":
		if f, ok := s.h.tree.lookup(resolve(s.cwd, arg)); ok && f != nil && !f.dir {
			return s.reply("213 " + f.mtime.UTC().Format("20060102150405"))
		}
		return s.reply("550 Could not get file modification time.")
	case "REST":
		n, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
		if err != nil || n < 0 {
			n = 0
		}
		s.rest = n
		return s.reply(fmt.Sprintf("350 Restart position accepted (%d).", n))
	case "ABOR":
		return s.reply("225 No transfer to ABOR.")
	case "DELE", "MKD", "XMKD", "RMD", "XRMD", "RNFR", "RNTO", "SITE", "MFMT", "SMNT", "ALLO":
		// The anonymous area is read-only, as an anon vsftpd's is.
		return s.reply(d.denied(clip(arg, 256)))
	}
	s.errors++
	s.ev.Emit("unknown_command", map[string]string{"command": clip(cmd, 16), "args": clip(arg, maxField)}, "unknown FTP command "+clip(cmd, 16))
	return s.reply(d.unknown(clip(cmd, 16)))
}

func (s *session) cmdUser(arg string) bool {
	d := s.h.dialect
	if s.loggedIn {
		return s.reply("530 Can't change to another user.")
	}
	s.user = clip(arg, 256)
	s.ev.Emit("user", map[string]string{"username": s.user}, "FTP USER "+s.user)
	if isAnonymous(s.user) {
		return s.reply(d.anonUserOK(s.user))
	}
	return s.reply(d.userOK(s.user))
}

func isAnonymous(u string) bool {
	return strings.EqualFold(u, "anonymous") || strings.EqualFold(u, "ftp")
}

func (s *session) cmdPass(arg string) bool {
	d := s.h.dialect
	if s.loggedIn {
		return s.reply("230 Already logged in.")
	}
	if s.user == "" {
		return s.reply("503 Login with USER first.")
	}
	user, anon := s.user, isAnonymous(s.user)
	s.user = ""
	ok := s.h.accept(anon)
	f := services.CredentialFields(map[string]string{"anonymous": strconv.FormatBool(anon)},
		user, []byte(clip(arg, maxField)), services.KindPlaintext, services.Outcome(ok))
	s.ev.Emit("auth_attempt", f, "FTP login attempt for "+user)
	if ok {
		s.loggedIn, s.anon, s.login = true, anon, user
		if anon {
			return s.reply(d.anonLogin(user))
		}
		return s.reply(d.loginOK(user))
	}
	if failDelay > 0 {
		select {
		case <-time.After(failDelay):
		case <-s.ctx.Done():
			return false
		}
	}
	if s.fails++; s.fails >= maxLoginFails {
		s.quitWhy = "too many failed logins"
		s.reply(d.tooManyFails)
		return false
	}
	return s.reply(d.loginFailed)
}

func (s *session) cmdCwd(arg string) bool {
	p := resolve(s.cwd, arg)
	if s.h.tree.isDir(p) {
		s.cwd = p
		return s.reply(s.h.dialect.cwdOK(p))
	}
	return s.reply(s.h.dialect.cwdFailed(clip(arg, 256)))
}

func (s *session) cmdPasv(extended bool, arg string) bool {
	d := s.h.dialect
	if extended && strings.EqualFold(strings.TrimSpace(arg), "ALL") {
		return s.reply("200 EPSV ALL ok.")
	}
	ip, err := netip.ParseAddr(s.localIP)
	if !extended && (err != nil || !ip.Unmap().Is4()) {
		return s.reply("425 PASV needs IPv4, use EPSV.")
	}
	s.h.broker.release(s.pasv)
	s.pasv, s.active = nil, false
	w, ok := s.h.broker.open(s.ev.SrcIP)
	if !ok {
		return s.reply(d.dataFailed)
	}
	s.pasv = w
	if extended {
		return s.reply(d.epsv(w.port))
	}
	a := ip.Unmap().As4()
	return s.reply(d.pasv(int(a[0]), int(a[1]), int(a[2]), int(a[3]), w.port>>8, w.port&0xff))
}

// cmdPort accepts active mode only towards the client's own address and an
// unprivileged port (vsftpd's port_promiscuous=NO); anything else is an
// FTP bounce attempt — using this server to reach a third host — and is
// refused and recorded. Even accepted, no connection is ever made: the
// transfer then fails as if the client's firewall dropped it.
func (s *session) cmdPort(cmd, arg string) bool {
	d := s.h.dialect
	var (
		target netip.AddrPort
		err    error
	)
	if cmd == "PORT" {
		target, err = parsePORT(arg)
	} else {
		target, err = parseEPRT(arg)
	}
	if err != nil {
		return s.reply(d.portIllegal("?", s.ev.SrcIP))
	}
	client, _ := netip.ParseAddr(s.ev.SrcIP)
	foreign := target.Addr().Unmap() != client.Unmap()
	if foreign || target.Port() < 1024 {
		reason := "foreign address"
		if !foreign {
			reason = "privileged port"
		}
		s.ev.Emit("bounce_attempt", map[string]string{
			"command": cmd, "target_ip": target.Addr().Unmap().String(), "target_port": strconv.Itoa(int(target.Port())),
			"reason": reason,
		}, fmt.Sprintf("FTP bounce attempt: %s to %s refused", cmd, target))
		return s.reply(d.portIllegal(target.Addr().Unmap().String(), s.ev.SrcIP))
	}
	s.h.broker.release(s.pasv)
	s.pasv, s.active = nil, true
	if cmd == "EPRT" {
		return s.reply("200 EPRT command successful. Consider using EPSV.")
	}
	return s.reply(d.portOK)
}

// parsePORT reads "h1,h2,h3,h4,p1,p2" (RFC 959).
func parsePORT(arg string) (netip.AddrPort, error) {
	parts := strings.Split(strings.TrimSpace(arg), ",")
	if len(parts) != 6 {
		return netip.AddrPort{}, errors.New("PORT needs six numbers")
	}
	var n [6]byte
	for i, p := range parts {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || v < 0 || v > 255 {
			return netip.AddrPort{}, errors.New("PORT number out of range")
		}
		n[i] = byte(v)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(n[:4])), uint16(n[4])<<8|uint16(n[5])), nil
}

// parseEPRT reads "<d>proto<d>addr<d>port<d>" (RFC 2428).
func parseEPRT(arg string) (netip.AddrPort, error) {
	arg = strings.TrimSpace(arg)
	if len(arg) < 2 {
		return netip.AddrPort{}, errors.New("EPRT too short")
	}
	delim := arg[:1]
	parts := strings.Split(arg, delim)
	if len(parts) != 5 || parts[0] != "" || parts[4] != "" {
		return netip.AddrPort{}, errors.New("EPRT needs three fields")
	}
	ip, err := netip.ParseAddr(parts[2])
	if err != nil || ip.Zone() != "" || (parts[1] == "1") != ip.Is4() || (parts[1] != "1" && parts[1] != "2") {
		return netip.AddrPort{}, errors.New("EPRT address does not match its protocol")
	}
	port, err := strconv.ParseUint(parts[3], 10, 16)
	if err != nil {
		return netip.AddrPort{}, errors.New("EPRT port out of range")
	}
	return netip.AddrPortFrom(ip, uint16(port)), nil
}

// withData waits for the data connection PASV/EPSV prepared, announces the
// transfer, runs xfer on it and reports the outcome.
func (s *session) withData(start func() string, done string, xfer func(c net.Conn) error) bool {
	d := s.h.dialect
	w := s.pasv
	s.pasv = nil
	if w == nil {
		if s.active {
			s.active = false
			return s.reply(d.dataFailed)
		}
		return s.reply(d.noDataConn)
	}
	t := time.NewTimer(dataAcceptTimeout)
	defer t.Stop()
	var dc dataConn
	select {
	case dc = <-w.ch:
	case <-t.C:
		s.h.broker.release(w)
		return s.reply(d.dataFailed)
	case <-s.ctx.Done():
		s.h.broker.release(w)
		return false
	}
	defer close(dc.done)
	if !s.reply(start()) {
		dc.c.Close()
		return false
	}
	err := xfer(dc.c)
	dc.c.Close()
	if err != nil {
		return s.reply("426 Failure writing network stream.")
	}
	return s.reply(done)
}

func (s *session) cmdList(namesOnly bool, arg string) bool {
	d := s.h.dialect
	all, target := false, ""
	for f := range strings.FieldsSeq(arg) {
		if strings.HasPrefix(f, "-") {
			all = all || strings.ContainsAny(f, "aA")
			continue
		}
		target = f
	}
	p := resolve(s.cwd, target)
	var entries []*file
	if s.h.tree.isDir(p) {
		for _, f := range s.h.tree.dirs[p] {
			if all || !strings.HasPrefix(f.name, ".") {
				entries = append(entries, f)
			}
		}
		for up, size := range s.uploads {
			if _, inTree := s.h.tree.lookup(up); path.Dir(up) == p && !inTree {
				entries = append(entries, &file{name: path.Base(up), mtime: s.h.now(), size: size})
			}
		}
	} else if f, ok := s.h.tree.lookup(p); ok && f != nil {
		entries = []*file{f}
	}
	sortFiles(entries)
	now := s.h.now()
	var out strings.Builder
	for _, f := range entries {
		if namesOnly {
			out.WriteString(f.name + "\r\n")
			continue
		}
		line := listLine(f, now)
		out.WriteString(line)
	}
	return s.withData(func() string { return d.listStart }, d.listDone, func(c net.Conn) error {
		_, err := io.WriteString(c, out.String())
		return err
	})
}

func (s *session) cmdRetr(arg string) bool {
	d := s.h.dialect
	p := resolve(s.cwd, arg)
	f, ok := s.h.tree.lookup(p)
	found := ok && f != nil && !f.dir
	fields := map[string]string{"path": clip(p, maxField), "found": strconv.FormatBool(found), "ftp_user": s.login}
	if found {
		fields["size"] = strconv.Itoa(len(f.data))
	}
	s.ev.Emit("download_attempt", fields, "FTP RETR "+clip(p, 256))
	rest := s.rest
	s.rest = 0
	if !found {
		if _, up := s.uploads[p]; up {
			// Never serve back what an attacker uploaded: the decky must
			// not become a file drop for others.
			return s.reply(d.denied(clip(arg, 256)))
		}
		return s.reply(d.retrMissing(clip(arg, 256)))
	}
	data := f.data
	if rest > 0 && rest <= int64(len(data)) {
		data = data[rest:]
	}
	return s.withData(func() string { return d.retrStart(f.name, int64(len(f.data))) }, d.retrDone, func(c net.Conn) error {
		_, err := c.Write(data)
		return err
	})
}

func (s *session) cmdStor(cmd, arg string) bool {
	d := s.h.dialect
	p := resolve(s.cwd, arg)
	if cmd == "STOU" || strings.TrimSpace(arg) == "" {
		p = resolve(s.cwd, fmt.Sprintf("ftp%06d", s.cmds))
	}
	if s.h.tree.isDir(p) {
		return s.reply(d.denied(clip(arg, 256)))
	}
	return s.withData(func() string { return d.storStart(path.Base(p)) }, d.storDone, func(c net.Conn) error {
		return s.capture(cmd, p, c)
	})
}

// capture stores an upload in the quarantine and records it.
func (s *session) capture(method, p string, r io.Reader) error {
	q := s.h.env.Quarantine
	if q == nil {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	got, err := q.Store(path.Base(p), r)
	if err != nil {
		s.ev.Emit("file_capture_failed", map[string]string{"orig_path": clip(p, maxField), "method": method, "error": clip(err.Error(), 256)},
			"FTP upload not stored: "+clip(err.Error(), 256))
		if errors.Is(err, services.ErrQuarantineFull) {
			return nil
		}
		return err
	}
	s.ev.Emit("file_captured", map[string]string{
		"stored_as": got.StoredAs, "sha256": got.SHA256, "size": strconv.FormatInt(got.Size, 10), "orig_path": clip(p, maxField),
		"ftp_user": s.login, "method": method, "truncated": strconv.FormatBool(got.Truncated), "attribution": "session",
	}, "file captured: "+clip(p, 256))
	if _, known := s.uploads[p]; known || len(s.uploads) < maxUploadsShown {
		s.uploads[p] = got.Size
	}
	return nil
}

// clip cuts s to n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
