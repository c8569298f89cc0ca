package ingest

import (
	"net/netip"
	"strings"
)

// proxyHeaders are the headers that claim a client address, in the order
// they are believed: RFC 7239 first, then the de-facto and CDN variants.
var proxyHeaders = [...]string{
	"Forwarded",
	"X-Forwarded-For",
	"X-Real-IP",
	"True-Client-IP",
	"CF-Connecting-IP",
}

// Claim categories. Anything but public cannot be a client's real address
// on the internet, so claiming it is a spoofing attempt (the classic
// "X-Forwarded-For: 127.0.0.1" allow-list bypass), not a leak.
const (
	claimPublic      = "public"
	claimUnspecified = "unspecified"
	claimLoopback    = "loopback"
	claimLinkLocal   = "link_local"
	claimMulticast   = "multicast"
	claimReserved    = "reserved"
	claimPrivate     = "private"
)

// reservedPrefixes are ranges that are neither private nor routable:
// the IPv4 "this network" and class E blocks, documentation and
// benchmarking ranges, and their IPv6 counterparts.
var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/8"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
}

// sharedPrefixes are carrier-grade NAT space: private in practice.
var sharedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("100.64.0.0/10"),
}

// headersSeen lists the raw proxy headers of a request. A struct rather than
// a map so the payload bytes are stable.
type headersSeen struct {
	Forwarded      string `json:"Forwarded,omitempty"`
	XForwardedFor  string `json:"X-Forwarded-For,omitempty"`
	XRealIP        string `json:"X-Real-IP,omitempty"`
	TrueClientIP   string `json:"True-Client-IP,omitempty"`
	CFConnectingIP string `json:"CF-Connecting-IP,omitempty"`
}

// ipLeakPayload is the ip_leak bounty: a public address, different from the
// connection's source, claimed in a proxy header — typically a
// misconfigured VPN or proxy forwarding the attacker's real address.
type ipLeakPayload struct {
	SourceIP     string      `json:"source_ip"`
	RealIPClaim  string      `json:"real_ip_claim"`
	SourceHeader string      `json:"source_header"`
	HeadersSeen  headersSeen `json:"headers_seen"`
}

// spoofedSourcePayload is the fingerprint/spoofed_source bounty: a
// non-routable address claimed in a proxy header.
type spoofedSourcePayload struct {
	FingerprintType string      `json:"fingerprint_type"`
	SourceIP        string      `json:"source_ip"`
	ClaimedIP       string      `json:"claimed_ip"`
	SourceHeader    string      `json:"source_header"`
	HeadersSeen     headersSeen `json:"headers_seen"`
	ClaimCategory   string      `json:"claim_category"`
}

// maxSeenValue bounds each raw proxy header copied into a payload.
const maxSeenValue = 256

// proxyClaim looks for a client address claimed in proxy headers. It
// returns ok=false when the source is a trusted proxy, no header carries a
// parseable address, or the claim is the source itself.
func proxyClaim(hs []header, source string, trusted []netip.Prefix) (claim netip.Addr, hdr string, seen headersSeen, ok bool) {
	src, srcErr := netip.ParseAddr(source)
	if srcErr == nil {
		src = src.Unmap().WithZone("")
		for _, p := range trusted {
			if p.Contains(src) {
				return netip.Addr{}, "", seen, false
			}
		}
	}
	for _, name := range proxyHeaders {
		raw, found := lookupHeader(hs, name)
		raw = strings.TrimSpace(raw)
		if !found || raw == "" {
			continue
		}
		setSeen(&seen, name, capString(raw, maxSeenValue))
		if claim.IsValid() {
			continue
		}
		var a netip.Addr
		switch name {
		case "Forwarded":
			a = parseForwardedFor(raw)
		case "X-Forwarded-For":
			a = parseXFF(raw)
		default:
			a = parseAddrToken(raw)
		}
		if a.IsValid() {
			claim, hdr = a, name
		}
	}
	if !claim.IsValid() || (srcErr == nil && claim == src) {
		return netip.Addr{}, "", seen, false
	}
	return claim, hdr, seen, true
}

func setSeen(s *headersSeen, name, v string) {
	switch name {
	case "Forwarded":
		s.Forwarded = v
	case "X-Forwarded-For":
		s.XForwardedFor = v
	case "X-Real-IP":
		s.XRealIP = v
	case "True-Client-IP":
		s.TrueClientIP = v
	case "CF-Connecting-IP":
		s.CFConnectingIP = v
	}
}

// parseForwardedFor returns the address in the first for= parameter of an
// RFC 7239 Forwarded header (for=1.2.3.4, for=1.2.3.4:80,
// for="[2001:db8::1]:4711"). Obfuscated identifiers ("_hidden", "unknown")
// are not addresses and yield the zero Addr.
func parseForwardedFor(v string) netip.Addr {
	for len(v) > 0 {
		var pair string
		if i := strings.IndexAny(v, ";,"); i >= 0 {
			pair, v = v[:i], v[i+1:]
		} else {
			pair, v = v, ""
		}
		k, val, ok := strings.Cut(pair, "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "for") {
			continue
		}
		return parseAddrToken(val)
	}
	return netip.Addr{}
}

// parseXFF returns the left-most parseable address of an X-Forwarded-For
// chain: the one the first proxy saw, i.e. the claimed client.
func parseXFF(v string) netip.Addr {
	for tok := range strings.SplitSeq(v, ",") {
		if a := parseAddrToken(tok); a.IsValid() {
			return a
		}
	}
	return netip.Addr{}
}

// parseAddrToken parses one claimed address, tolerating quotes, IPv6
// brackets, a port and a zone.
func parseAddrToken(t string) netip.Addr {
	t = strings.Trim(strings.TrimSpace(t), `"`)
	if t == "" || len(t) > 64 {
		return netip.Addr{}
	}
	if a, err := netip.ParseAddr(t); err == nil {
		return a.Unmap().WithZone("")
	}
	if ap, err := netip.ParseAddrPort(t); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
		if a, err := netip.ParseAddr(t[1 : len(t)-1]); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

// claimCategory classifies a claimed address. The order matters for
// addresses in several sets (a link-local multicast address is link-local).
func claimCategory(a netip.Addr) string {
	switch {
	case a.IsUnspecified():
		return claimUnspecified
	case a.IsLoopback():
		return claimLoopback
	case a.IsLinkLocalUnicast():
		return claimLinkLocal
	case a.IsMulticast():
		return claimMulticast
	}
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			return claimReserved
		}
	}
	if a.IsPrivate() {
		return claimPrivate
	}
	for _, p := range sharedPrefixes {
		if p.Contains(a) {
			return claimPrivate
		}
	}
	return claimPublic
}

func (h headersSeen) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	for _, f := range [...]struct{ name, value string }{
		{"Forwarded", h.Forwarded}, {"X-Forwarded-For", h.XForwardedFor}, {"X-Real-IP", h.XRealIP},
		{"True-Client-IP", h.TrueClientIP}, {"CF-Connecting-IP", h.CFConnectingIP},
	} {
		if f.value != "" {
			dst = appendJSONField(dst, first, f.name, f.value)
			first = false
		}
	}
	return append(dst, '}')
}

func (p ipLeakPayload) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, true, "source_ip", p.SourceIP)
	dst = appendJSONField(dst, false, "real_ip_claim", p.RealIPClaim)
	dst = appendJSONField(dst, false, "source_header", p.SourceHeader)
	dst = append(dst, `,"headers_seen":`...)
	dst = p.HeadersSeen.appendJSON(dst)
	return append(dst, '}')
}

func (p spoofedSourcePayload) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, true, "fingerprint_type", p.FingerprintType)
	dst = appendJSONField(dst, false, "source_ip", p.SourceIP)
	dst = appendJSONField(dst, false, "claimed_ip", p.ClaimedIP)
	dst = appendJSONField(dst, false, "source_header", p.SourceHeader)
	dst = append(dst, `,"headers_seen":`...)
	dst = p.HeadersSeen.appendJSON(dst)
	dst = appendJSONField(dst, false, "claim_category", p.ClaimCategory)
	return append(dst, '}')
}
