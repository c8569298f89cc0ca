package syslog

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

// MaxLineSize is the longest line Parse accepts, in bytes. 64 KiB holds any
// UDP datagram and leaves ample room over the lines decnet services emit, so
// anything longer is broken or a resource attack.
const MaxLineSize = 64 << 10

// Errors Parse returns; the listener counts and drops each kind separately.
// Check them with errors.Is: a malformed line's error is a *ParseError that
// wraps ErrMalformed.
var (
	ErrMalformed   = errors.New("syslog: malformed RFC 5424 line")
	ErrTooLong     = errors.New("syslog: line longer than MaxLineSize")
	ErrInvalidUTF8 = errors.New("syslog: line is not valid UTF-8")
)

// ParseError says why a line is not RFC 5424; it wraps ErrMalformed.
type ParseError struct {
	// Reason names the header part that failed to match.
	Reason string
}

// Error implements error.
func (e *ParseError) Error() string { return "syslog: malformed RFC 5424 line: " + e.Reason }

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *ParseError) Unwrap() error { return ErrMalformed }

// The malformed-line errors are preallocated: a flood of garbage must not
// cost an allocation per line.
var (
	errPRI     = &ParseError{Reason: "missing or invalid <PRI>"}
	errVersion = &ParseError{Reason: "version is not 1"}
	errHeader  = &ParseError{Reason: "header needs TIMESTAMP HOSTNAME APP-NAME PROCID MSGID separated by single spaces"}
	errNoSD    = &ParseError{Reason: "nothing after MSGID"}
)

// ipFields are the SD params that may name the attacker, most trusted first
// (pipeline.md §1.1); the original emitters disagree on the name.
var ipFields = [...]string{"src_ip", "src", "client_ip", "remote_ip", "remote_addr", "target_ip", "ip"}

// Parse is ParseAt with the receipt time taken from the clock.
func Parse(line string) (model.Event, error) {
	return ParseAt(line, time.Now())
}

// ParseAt turns one RFC 5424 line into an Event the way the original collector
// did (pipeline.md §1.2), with its bugs fixed: an escaped `\]` does not end
// the SD element, and a bare IPv6 address is never split as host:port.
//
// now is the receipt time, used when the line's TIMESTAMP is NILVALUE or
// unparseable. Header NILVALUEs become empty strings. A double-wrapped line
// (Docker's envelope around a `logger --rfc5424` line) yields the inner
// header. Fields holds the relay@55555 params except src_ip, src_port, dst_ip,
// dst_port and session_id, which move into the typed Event fields when their
// values are valid. SrcIP is the first valid address among the attacker-IP
// params, then guessed from MSG, else model.UnknownIP. A bash `CMD …` line
// becomes event type "command" with its uid/user/src/pwd and command text in
// Fields. ID is left empty for the caller to assign.
func ParseAt(line string, now time.Time) (model.Event, error) {
	if len(line) > MaxLineSize {
		return model.Event{}, ErrTooLong
	}
	if !utf8.ValidString(line) {
		return model.Event{}, ErrInvalidUTF8
	}
	h, err := parseHeader(line)
	if err != nil {
		return model.Event{}, err
	}
	ts, tsOK := time.Time{}, false
	if h.msgid == "-" && h.rest[0] == '-' {
		if inner, ok := parseInnerHeader(trimLeftBlank(h.rest[1:])); ok {
			// The outer header is Docker's (its "host" is the container and
			// its "app" a stream number); the inner one is the real emitter,
			// and its timestamp is the moment of the event.
			ts, tsOK = parseTimestamp(inner.ts)
			h.host, h.app, h.msgid, h.rest = inner.host, inner.app, inner.msgid, inner.rest
		}
	}
	if !tsOK {
		ts, tsOK = parseTimestamp(h.ts)
	}
	if !tsOK {
		ts = now.UTC()
	}

	ev := model.Event{
		Decky:     sanitizeHeaderField(h.host, MaxHostnameLen),
		Service:   sanitizeHeaderField(h.app, MaxAppNameLen),
		EventType: sanitizeHeaderField(h.msgid, MaxMsgIDLen),
		SrcIP:     model.UnknownIP,
		TS:        ts,
		Raw:       line,
	}

	var fields map[string]string
	switch h.rest[0] {
	case '-':
		ev.Msg = trimBlank(h.rest[1:])
	case '[':
		f, tail, ok := parseSD(h.rest)
		if ok {
			fields = f
			ev.Msg = trimBlank(tail)
		} else {
			// Not structured data after all: keep every byte as text rather
			// than dropping the event.
			ev.Msg = trimBlank(h.rest)
		}
	default:
		ev.Msg = trimBlank(h.rest)
	}

	// Bash PROMPT_COMMAND lines: "CMD uid=0 user=root src=IP pwd=/x cmd=<rest>".
	// Everything after cmd= is typed by the attacker, so address guessing
	// below only looks at the head the shell hook wrote.
	isCMD := (ev.EventType == "" || ev.EventType == "command") && strings.HasPrefix(ev.Msg, "CMD ")
	scan := ev.Msg
	var cmdHead, cmdText string
	var hasCmd bool
	if isCMD {
		ev.EventType = "command"
		cmdHead, cmdText, hasCmd = splitCMD(ev.Msg[len("CMD "):])
		scan = cmdHead
	}

	if !attributeFromFields(&ev, fields) {
		if ip, ok := guessIP(scan); ok {
			ev.SrcIP = ip
		}
	}
	promote(&ev, fields)

	if isCMD {
		if _, ok := fields["command"]; !ok {
			fields = parseCMDHead(fields, cmdHead)
			if hasCmd {
				fields = setDefault(fields, "command", cmdText)
			}
		}
	}
	if len(fields) > 0 {
		ev.Fields = fields
	}
	return ev, nil
}

type header struct {
	ts, host, app, msgid, rest string
}

// parseHeader is a hand-written scanner for the original's header regex
// `^<\d+>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.+)$`, several times faster than
// regexp and allocation free. rest is never empty.
func parseHeader(line string) (header, error) {
	var h header
	if len(line) < 3 || line[0] != '<' {
		return h, errPRI
	}
	i, pri := 1, 0
	for i < len(line) && i <= 3 && isDigit(line[i]) {
		pri = pri*10 + int(line[i]-'0')
		i++
	}
	if i == 1 || i >= len(line) || line[i] != '>' || pri > 191 {
		return h, errPRI
	}
	i++
	if !strings.HasPrefix(line[i:], "1 ") {
		return h, errVersion
	}
	i += 2
	var tok [5]string
	for k := range tok {
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		if j == i || j >= len(line) || line[j] != ' ' {
			return h, errHeader
		}
		tok[k] = line[i:j]
		i = j + 1
	}
	if i >= len(line) {
		return h, errNoSD
	}
	h.ts, h.host, h.app, h.msgid, h.rest = tok[0], tok[1], tok[2], tok[4], line[i:]
	return h, nil
}

// parseInnerHeader matches the wrapped line of a double-wrapped message,
// `YYYY-MM-DDT… HOST APP PROCID MSGID REST`, where Docker's envelope allows
// runs of whitespace between tokens.
func parseInnerHeader(s string) (header, bool) {
	var h header
	if len(s) < 11 || !isDigits(s[0:4]) || s[4] != '-' || !isDigits(s[5:7]) || s[7] != '-' ||
		!isDigits(s[8:10]) || s[10] != 'T' {
		return h, false
	}
	var tok [5]string
	i := 0
	for k := range tok {
		j := i
		for j < len(s) && !isBlank(s[j]) {
			j++
		}
		tok[k] = s[i:j]
		m := j
		for m < len(s) && isBlank(s[m]) {
			m++
		}
		if j == i || m == j || m == len(s) {
			return h, false
		}
		i = m
	}
	h.ts, h.host, h.app, h.msgid, h.rest = tok[0], tok[1], tok[2], tok[4], s[i:]
	return h, true
}

// parseTimestamp accepts RFC 3339 with any fraction and offset, and (like
// Python's fromisoformat, which the original used) a timestamp without an
// offset, read as UTC.
func parseTimestamp(s string) (time.Time, bool) {
	if s == "-" || len(s) < len("2006-01-02T15:04:05") {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// parseSD parses the SD-ELEMENTs at the start of s (RFC 5424 §6.3), honouring
// `\"`, `\\` and `\]` escapes inside values, which is what lets a value hold
// a `]` without ending the element. It returns the params of the first
// relay@55555 element (a repeated name keeps its first value), the text after
// the last element, and ok=false if s is not well-formed structured data.
func parseSD(s string) (fields map[string]string, tail string, ok bool) {
	i := 0
	for i < len(s) && s[i] == '[' {
		i++
		j := i
		for j < len(s) && isParamNameByte(s[j]) {
			j++
		}
		if j == i {
			return nil, "", false
		}
		relay := s[i:j] == SDID
		i = j
		for {
			if i >= len(s) {
				return nil, "", false
			}
			if s[i] == ']' {
				i++
				break
			}
			if s[i] != ' ' {
				return nil, "", false
			}
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i < len(s) && s[i] == ']' {
				continue
			}
			j = i
			for j < len(s) && isParamNameByte(s[j]) {
				j++
			}
			if j == i || j+1 >= len(s) || s[j] != '=' || s[j+1] != '"' {
				return nil, "", false
			}
			name := s[i:j]
			value, end, vok := parseParamValue(s, j+2)
			if !vok {
				return nil, "", false
			}
			i = end
			if relay {
				if _, dup := fields[name]; !dup {
					if fields == nil {
						fields = make(map[string]string, 8)
					}
					fields[name] = value
				}
			}
		}
	}
	return fields, s[i:], true
}

// parseParamValue reads a PARAM-VALUE starting just after its opening quote
// at s[start]. It returns the unescaped value and the index after the closing
// quote. Per RFC 5424 a backslash before any other character is literal.
func parseParamValue(s string, start int) (value string, end int, ok bool) {
	escaped := false
	i := start
	for i < len(s) {
		switch s[i] {
		case '"':
			if !escaped {
				return s[start:i], i + 1, true
			}
			return unescapeParam(s[start:i]), i + 1, true
		case '\\':
			if i+1 < len(s) {
				escaped = true
				i += 2
				continue
			}
		}
		i++
	}
	return "", 0, false
}

func unescapeParam(v string) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+1 < len(v) {
			switch v[i+1] {
			case '"', '\\', ']':
				b.WriteByte(v[i+1])
				i++
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// attributeFromFields sets ev.SrcIP from the first attacker-IP param holding
// a valid address, splitting `v4:port`, `host:port` and `[v6]:port` (never a
// bare IPv6 address) and recording the port as fields["remote_port"] when
// absent and as SrcPort. A src_ip of exactly UnknownIP is Format's explicit
// "no attacker" and stops the search, as the original's "first present
// field wins" rule did, so MSG heuristics cannot invent an attacker for
// events such as startup. It reports whether the params decided the
// attacker; fields is edited in place.
func attributeFromFields(ev *model.Event, fields map[string]string) bool {
	for _, name := range ipFields {
		v, ok := fields[name]
		if !ok {
			continue
		}
		if name == "src_ip" && v == model.UnknownIP {
			delete(fields, name)
			return true
		}
		ip, port, hasPort, ok := splitAddr(v)
		if !ok {
			continue
		}
		ev.SrcIP = ip
		if hasPort {
			ev.SrcPort = port
			if _, ok := fields["remote_port"]; !ok {
				fields["remote_port"] = strconv.Itoa(port)
			}
		}
		if name == "src_ip" {
			delete(fields, name)
		}
		return true
	}
	return false
}

// promote moves the remaining reserved params into their typed fields when
// their values are valid; invalid ones stay in Fields so nothing is lost.
func promote(ev *model.Event, fields map[string]string) {
	if v, ok := fields["src_port"]; ok {
		if p, ok := parsePort(v); ok && p != 0 {
			ev.SrcPort = p
			delete(fields, "src_port")
		}
	}
	if v, ok := fields["dst_ip"]; ok {
		if ip, ok := canonicalIP(v); ok {
			ev.DstIP = ip
			delete(fields, "dst_ip")
		}
	}
	if v, ok := fields["dst_port"]; ok {
		if p, ok := parsePort(v); ok && p != 0 {
			ev.DstPort = p
			delete(fields, "dst_port")
		}
	}
	if v, ok := fields["session_id"]; ok && v != "" {
		ev.SessionID = v
		delete(fields, "session_id")
	}
}

// splitCMD splits the text after "CMD " at the first " cmd=" (or a leading
// "cmd="), so a pwd containing "cmd=" cannot move the split.
func splitCMD(s string) (head, command string, ok bool) {
	if strings.HasPrefix(s, "cmd=") {
		return "", s[len("cmd="):], true
	}
	if i := strings.Index(s, " cmd="); i >= 0 {
		return s[:i], s[i+len(" cmd="):], true
	}
	return s, "", false
}

// parseCMDHead adds the `key=value` tokens of a CMD head (uid, user, src,
// pwd) to fields without overwriting existing entries.
func parseCMDHead(fields map[string]string, head string) map[string]string {
	for tok := range strings.FieldsSeq(head) {
		eq := strings.IndexByte(tok, '=')
		if eq <= 0 || eq == len(tok)-1 || !isWordString(tok[:eq]) {
			continue
		}
		fields = setDefault(fields, tok[:eq], tok[eq+1:])
	}
	return fields
}

func setDefault(fields map[string]string, k, v string) map[string]string {
	if fields == nil {
		fields = make(map[string]string, 8)
	}
	if _, ok := fields[k]; !ok {
		fields[k] = v
	}
	return fields
}

func parsePort(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 || !isDigits(s) {
		return 0, false
	}
	p, _ := strconv.Atoi(s)
	return p, p <= 65535
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// isWordByte approximates the regexp \w of the original's Python patterns;
// non-ASCII bytes count as word characters, as Unicode letters did there.
func isWordByte(c byte) bool {
	return c == '_' || isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c >= utf8.RuneSelf
}

func isWordString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return s != ""
}

func trimLeftBlank(s string) string {
	i := 0
	for i < len(s) && isBlank(s[i]) {
		i++
	}
	return s[i:]
}
