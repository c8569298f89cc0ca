// Package syslog converts between model.Event and the RFC 5424 line shape the
// original decnet services emit (fleet.md §1.3):
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [relay@55555 k="v" …] MSG
//
// Format writes that line for SIEMs and log files; Parse reads it back the way
// the original collector did (pipeline.md §1.2), minus its known bugs; Listener
// accepts such lines over UDP and TCP from third-party or container services.
// Every byte Parse and Listener see may come from an attacker, so both bound
// their input and treat it as data only.
package syslog

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

// Severity is an RFC 5424 severity level; Format combines it with facility
// local0 into the PRI field.
type Severity uint8

// Severities in RFC 5424 order. Services use SeverityInfo for ordinary events,
// SeverityNotice/SeverityWarning for notable ones and SeverityError for faults.
const (
	SeverityEmergency Severity = iota
	SeverityAlert
	SeverityCritical
	SeverityError
	SeverityWarning
	SeverityNotice
	SeverityInfo
	SeverityDebug
)

// SDID is the structured-data element id that carries event fields; the
// original chose the private enterprise number 55555 and every decnet
// consumer keys on it.
const SDID = "relay@55555"

// Length limits in bytes from RFC 5424 §6 (header fields) and §6.3.3 (SD
// param names). Format truncates to them; Parse truncates header fields too,
// so a hostile sender cannot push oversized names into the database.
const (
	MaxHostnameLen  = 255
	MaxAppNameLen   = 48
	MaxMsgIDLen     = 32
	MaxParamNameLen = 32
)

// facilityLocal0 is the facility every decnet emitter uses (PRI = 128+sev).
const facilityLocal0 = 16

// priHeaders holds "<PRI>1 " for each severity so Format never converts ints.
var priHeaders = func() [8]string {
	var h [8]string
	for sev := range h {
		h[sev] = "<" + strconv.Itoa(facilityLocal0*8+sev) + ">1 "
	}
	return h
}()

// isReserved reports the SD params Format fills from typed Event fields and
// Parse moves back into them.
func isReserved(name string) bool {
	switch name {
	case "src_ip", "src_port", "dst_ip", "dst_port", "session_id":
		return true
	}
	return false
}

// Format renders ev as one RFC 5424 line (no trailing newline). Header fields
// are reduced to printable ASCII and truncated, SD values and MSG lose control
// characters and invalid UTF-8 (each becomes U+FFFD) so that the output is
// always exactly one line, whatever an attacker put into the event. The SD
// element always carries src_ip (UnknownIP when ev has none), then src_port,
// dst_ip, dst_port and session_id when set, then Fields in sorted key order.
// A zero ev.TS is written as the NILVALUE "-". A severity above SeverityDebug
// is written as SeverityInfo.
func Format(ev model.Event, sev Severity) string {
	return string(AppendFormat(make([]byte, 0, 256), ev, sev))
}

// AppendFormat is Format appending to dst, for callers that reuse a buffer on
// a hot path.
func AppendFormat(dst []byte, ev model.Event, sev Severity) []byte {
	if sev > SeverityDebug {
		sev = SeverityInfo
	}
	dst = append(dst, priHeaders[sev]...)
	dst = appendTimestamp(dst, ev.TS)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, ev.Decky, MaxHostnameLen)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, ev.Service, MaxAppNameLen)
	dst = append(dst, " - "...)
	dst = appendHeaderField(dst, ev.EventType, MaxMsgIDLen)
	dst = append(dst, " ["...)
	dst = append(dst, SDID...)

	// The typed fields come first so the attacker address is always in the
	// same place; a same-named entry of Fields fills in when one is unset.
	srcIP := ev.SrcIP
	if srcIP == "" {
		srcIP = ev.Fields["src_ip"]
	}
	if srcIP == "" {
		srcIP = model.UnknownIP
	}
	dst = appendParam(dst, "src_ip", srcIP)
	dst = appendPortParam(dst, "src_port", ev.SrcPort, ev.Fields)
	dst = appendStringParam(dst, "dst_ip", ev.DstIP, ev.Fields)
	dst = appendPortParam(dst, "dst_port", ev.DstPort, ev.Fields)
	dst = appendStringParam(dst, "session_id", ev.SessionID, ev.Fields)

	if len(ev.Fields) > 0 {
		// A small stack array keeps the common case (a handful of fields)
		// free of a heap allocation for the key slice.
		var stack [16]string
		keys := stack[:0]
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if allValidParamNames(keys) {
			for _, k := range keys {
				if !isReserved(k) {
					dst = appendParam(dst, k, ev.Fields[k])
				}
			}
		} else {
			// Distinct keys can sanitize to the same name. Keys that were
			// already valid keep their name; among rewritten ones the first
			// in sorted order wins, so output stays deterministic and Parse
			// never sees a param twice.
			seen := make(map[string]struct{}, len(keys))
			for _, k := range keys {
				if validParamName(k) {
					seen[k] = struct{}{}
				}
			}
			for _, k := range keys {
				if isReserved(k) {
					continue
				}
				name := k
				if !validParamName(k) {
					name = sanitizedName(k)
					if _, dup := seen[name]; dup || isReserved(name) {
						continue
					}
					seen[name] = struct{}{}
				}
				dst = appendParam(dst, name, ev.Fields[k])
			}
		}
	}
	dst = append(dst, ']')

	if msg := trimBlank(ev.Msg); msg != "" {
		dst = append(dst, ' ')
		dst = appendClean(dst, msg, false)
	}
	return dst
}

func appendStringParam(dst []byte, name, v string, fields map[string]string) []byte {
	if v == "" {
		v = fields[name]
	}
	if v == "" {
		return dst
	}
	return appendParam(dst, name, v)
}

func appendPortParam(dst []byte, name string, port int, fields map[string]string) []byte {
	if port == 0 {
		return appendStringParam(dst, name, "", fields)
	}
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	dst = strconv.AppendInt(dst, int64(port), 10)
	return append(dst, '"')
}

func appendParam(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	dst = appendClean(dst, value, true)
	return append(dst, '"')
}

// appendTimestamp writes t as ISO-8601 UTC with microseconds and "+00:00",
// the exact shape of the Python emitters; it avoids time.AppendFormat's
// layout interpretation because every event pays for it.
func appendTimestamp(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, '-')
	}
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return append(dst, '-')
	}
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, "+00:00"...)
}

func appendDigits(dst []byte, v, width int) []byte {
	var b [9]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:width]...)
}

// appendHeaderField writes s as an RFC 5424 header token: printable ASCII
// only (anything else, including space, becomes '_', one per rune), at most
// max bytes, and "-" when empty.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	n := 0
	for _, r := range s {
		if n == max {
			break
		}
		if r > ' ' && r < utf8.RuneSelf && r != 0x7f {
			dst = append(dst, byte(r))
		} else {
			dst = append(dst, '_')
		}
		n++
	}
	return dst
}

// sanitizeHeaderField is appendHeaderField for Parse, which must not copy in
// the common case where the token is already clean.
func sanitizeHeaderField(s string, max int) string {
	if s == "-" {
		return ""
	}
	clean := len(s) <= max
	if clean {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f {
				clean = false
				break
			}
		}
	}
	if clean {
		return s
	}
	return string(appendHeaderField(nil, s, max))
}

// isParamNameByte reports whether c may appear in an RFC 5424 SD-NAME:
// printable ASCII except '=', space, ']' and '"'.
func isParamNameByte(c byte) bool {
	return c > ' ' && c < 0x7f && c != '=' && c != ']' && c != '"'
}

// sanitizeParamName appends to dst the SD-NAME form of k: forbidden bytes
// become '_', at most MaxParamNameLen bytes, "_" if k is empty.
func sanitizeParamName(dst []byte, k string) []byte {
	if k == "" {
		return append(dst, '_')
	}
	for i := 0; i < len(k) && len(dst) < MaxParamNameLen; i++ {
		if c := k[i]; isParamNameByte(c) {
			dst = append(dst, c)
		} else {
			dst = append(dst, '_')
		}
	}
	return dst
}

// allValidParamNames reports whether every key is already a valid SD-NAME,
// the usual case, in which Format needs no collision bookkeeping.
func allValidParamNames(keys []string) bool {
	for _, k := range keys {
		if !validParamName(k) {
			return false
		}
	}
	return true
}

func validParamName(k string) bool {
	if k == "" || len(k) > MaxParamNameLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isParamNameByte(k[i]) {
			return false
		}
	}
	return true
}

func sanitizedName(k string) string {
	var b [MaxParamNameLen]byte
	return string(sanitizeParamName(b[:0], k))
}

// appendClean writes s with invalid UTF-8 and control characters other than
// TAB replaced by U+FFFD, so a value can never break the line or steer a
// terminal that later displays it. In SD values (sd) it also escapes '\',
// '"' and ']' as RFC 5424 §6.3.3 requires.
func appendClean(dst []byte, s string, sd bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			if sd && (c == '\\' || c == '"' || c == ']') {
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', c)
				start = i + 1
			}
			i++
			continue
		}
		if c == '\t' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if c < utf8.RuneSelf || r == utf8.RuneError || isC1(r) {
			dst = append(dst, s[start:i]...)
			dst = utf8.AppendRune(dst, utf8.RuneError)
			start = i + size
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// isC1 reports C1 control characters (U+0080–U+009F), which some terminals
// honour as escape sequences just like their C0 counterparts.
func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// trimBlank trims the ASCII blanks Parse trims around MSG, so Format output
// reads back identically.
func trimBlank(s string) string {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j]
}

func isBlank(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}
