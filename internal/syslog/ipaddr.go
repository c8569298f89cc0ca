package syslog

import (
	"net/netip"
	"strings"
)

// maxAddrText bounds how much text is tried as an address; the longest IPv6
// form with an embedded IPv4 part is 45 bytes.
const maxAddrText = 64

// canonicalIP validates s as an IP address and returns its canonical text:
// IPv4-mapped IPv6 addresses are unmapped so one attacker has one key, and
// zones are dropped because they name our interface, not the attacker.
func canonicalIP(s string) (string, bool) {
	if s == "" || len(s) > maxAddrText {
		return "", false
	}
	// netip's error values allocate; prose is mostly not addresses, so turn
	// away anything that cannot start one before asking it.
	if !isAddrByte(s[0]) || strings.IndexAny(s, ".:") < 0 {
		return "", false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return "", false
	}
	if addr.Is4() {
		// netip rejects leading zeros, so valid IPv4 text is already
		// canonical and can be returned without allocating.
		return s, true
	}
	return addr.Unmap().WithZone("").String(), true
}

// splitAddr reads an address param: a bare IP (IPv6 included, never split),
// `v4:port` or `host:port` where the host has no colon, or `[v6]:port`. The
// host must be a valid IP; hostnames are not attacker addresses.
func splitAddr(v string) (ip string, port int, hasPort bool, ok bool) {
	host := v
	portText := ""
	switch {
	case strings.HasPrefix(v, "["):
		end := strings.IndexByte(v, ']')
		if end < 0 {
			return "", 0, false, false
		}
		host = v[1:end]
		if after := v[end+1:]; after != "" {
			if after[0] != ':' {
				return "", 0, false, false
			}
			portText = after[1:]
			if portText == "" {
				return "", 0, false, false
			}
		}
	default:
		if i := strings.LastIndexByte(v, ':'); i > 0 && strings.IndexByte(v[:i], ':') < 0 {
			host, portText = v[:i], v[i+1:]
		}
	}
	ip, ok = canonicalIP(host)
	if !ok {
		return "", 0, false, false
	}
	if portText != "" {
		port, ok = parsePort(portText)
		if !ok {
			return "", 0, false, false
		}
		hasPort = true
	}
	return ip, port, hasPort, true
}

// guessIP finds the attacker in free text, in the original's order:
// `key=value` tokens naming an attacker-IP field, then an address anchored
// by from/rhost/client/src, then the first bare IPv4 address. Unlike the
// original, candidates that are not valid addresses are skipped rather than
// returned. Free text can carry attacker-typed words, so these guesses are
// only used when the structured params name no address.
func guessIP(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if ip, ok := kvIP(s); ok {
		return ip, true
	}
	if ip, ok := anchoredIP(s); ok {
		return ip, true
	}
	return bareIPv4(s)
}

// kvIP returns the valid address of the highest-priority attacker-IP key
// among the `key=value` tokens of s. A key is the run of word characters
// before the token's first '=', as in the original's `(\w+)=(\S+)`.
func kvIP(s string) (string, bool) {
	best, bestRank := "", len(ipFields)
	for tok := range strings.FieldsSeq(s) {
		eq := strings.IndexByte(tok, '=')
		if eq <= 0 || eq == len(tok)-1 {
			continue
		}
		k := eq
		for k > 0 && isWordByte(tok[k-1]) {
			k--
		}
		rank := ipFieldRank(tok[k:eq])
		if rank < 0 || rank >= bestRank {
			continue
		}
		if ip, _, _, ok := splitAddr(tok[eq+1:]); ok {
			best, bestRank = ip, rank
			if rank == 0 {
				break
			}
		}
	}
	return best, best != ""
}

func ipFieldRank(key string) int {
	for i, f := range ipFields {
		if key == f {
			return i
		}
	}
	return -1
}

// anchors introduce the remote address in sshd/PAM prose; anchoring keeps us
// from picking the local listener in "Connection from X port Y on Z port 22".
var anchors = [...]string{"from", "rhost=", "rhost:", "client=", "client:", "src=", "src:"}

// anchoredIP implements `\b(from|rhost[:=]|client[:=]|src[:=])\s*IP`,
// case-insensitive, returning the first anchor followed by a valid address.
func anchoredIP(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		switch s[i] | 0x20 {
		case 'f', 'r', 'c', 's':
		default:
			continue
		}
		for _, a := range anchors {
			if len(s)-i < len(a) || !strings.EqualFold(s[i:i+len(a)], a) {
				continue
			}
			j := i + len(a)
			for j < len(s) && isBlank(s[j]) {
				j++
			}
			if ip, ok := ipAt(s[j:]); ok {
				return ip, true
			}
		}
	}
	return "", false
}

// ipAt reads an address at the start of s, tolerating what follows one in
// prose: a port (`1.2.3.4:22`, `[::1]:22`) or sentence punctuation.
func ipAt(s string) (string, bool) {
	if strings.HasPrefix(s, "[") {
		// Look only as far as an address can reach, so prose full of "from ["
		// stays linear.
		end := strings.IndexByte(s[:min(len(s), maxAddrText+2)], ']')
		if end < 0 {
			return "", false
		}
		return canonicalIP(s[1:end])
	}
	n := 0
	for n < len(s) && n <= maxAddrText && isAddrByte(s[n]) {
		n++
	}
	if n == 0 || n > maxAddrText {
		return "", false
	}
	run := s[:n]
	// IPv4 first, as in the original's alternation.
	v4 := 0
	for v4 < len(run) && (isDigit(run[v4]) || run[v4] == '.') {
		v4++
	}
	if v4 > 0 {
		if ip, ok := canonicalIP(strings.TrimRight(run[:v4], ".")); ok {
			return ip, true
		}
	}
	if strings.IndexByte(run, ':') < 0 {
		return "", false
	}
	if ip, ok := canonicalIP(run); ok {
		return ip, true
	}
	return canonicalIP(strings.TrimRight(run, ".:"))
}

func isAddrByte(c byte) bool {
	return isDigit(c) || c == '.' || c == ':' || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// bareIPv4 implements `\b(\d{1,3}(?:\.\d{1,3}){3})\b`, returning the first
// match that is a valid address.
func bareIPv4(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) || (i > 0 && isWordByte(s[i-1])) {
			continue
		}
		j := i
		for group := 0; group < 4; group++ {
			if group > 0 {
				if j >= len(s) || s[j] != '.' {
					j = -1
					break
				}
				j++
			}
			d := 0
			for j < len(s) && d < 3 && isDigit(s[j]) {
				j++
				d++
			}
			if d == 0 {
				j = -1
				break
			}
		}
		if j < 0 || (j < len(s) && isWordByte(s[j])) {
			continue
		}
		if ip, ok := canonicalIP(s[i:j]); ok {
			return ip, true
		}
	}
	return "", false
}
