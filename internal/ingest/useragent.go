package ingest

import (
	"strings"
	"unicode/utf8"
)

// User-Agent categories, in the order they are tested: the first that
// matches wins, so a scanner that also says "Mozilla/5.0" is a scanner.
const (
	uaEmpty       = "empty"
	uaScanner     = "scanner"
	uaCLI         = "cli"
	uaLibrary     = "library"
	uaBot         = "bot"
	uaBrowser     = "browser"
	uaNonstandard = "nonstandard"
)

// User-Agent signals.
const (
	sigShort     = "suspicious_short"
	sigLong      = "suspicious_long"
	sigNonprint  = "nonprintable"
	sigInjection = "injection_like"
)

// Thresholds for the length signals: no real client sends fewer than 8 bytes
// and browsers stay well under 512.
const (
	uaShortBelow = 8
	uaLongAbove  = 512
)

// uaMatch pairs a lowercase needle with the tool name reported for it.
type uaMatch struct{ needle, tool string }

// uaScanners are matched anywhere in the lowercased User-Agent, since
// scanners often embed their name in a browser-looking string. Longer names
// come before their prefixes (dirbuster before dirb).
var uaScanners = []uaMatch{
	{"nmap", "nmap"}, {"masscan", "masscan"}, {"zgrab", "zgrab"}, {"zmap", "zmap"},
	{"nuclei", "nuclei"}, {"sqlmap", "sqlmap"}, {"gobuster", "gobuster"},
	{"dirbuster", "dirbuster"}, {"dirb", "dirb"}, {"nikto", "nikto"},
	{"feroxbuster", "feroxbuster"}, {"wfuzz", "wfuzz"}, {"ffuf", "ffuf"},
	{"wpscan", "wpscan"}, {"katana", "katana"}, {"burp", "burp"},
	{"acunetix", "acunetix"}, {"nessus", "nessus"}, {"openvas", "openvas"},
	{"arachni", "arachni"}, {"whatweb", "whatweb"}, {"wappalyzer", "wappalyzer"},
	{"sploitscan", "sploitscan"},
}

// uaCLIs are command-line clients, matched on the first product token only:
// "xh" or "fetch" anywhere in a string would match far too much.
var uaCLIs = []uaMatch{
	{"curl", "curl"}, {"wget", "wget"}, {"httpie", "httpie"}, {"xh", "xh"}, {"fetch", "fetch"},
}

// uaLibraries are HTTP client libraries, matched against the first few
// product tokens in order, so the leading product names the library
// ("Apache-HttpClient/4.5 (Java/17)" is apache-httpclient) and a generic
// runtime token is passed over ("Python/3.11 aiohttp/3.9" is aiohttp).
var uaLibraries = []uaMatch{
	{"python-requests", "python-requests"}, {"python-urllib", "python-urllib"},
	{"python-httpx", "python-httpx"}, {"python-urllib3", "urllib3"}, {"aiohttp", "aiohttp"},
	{"pycurl", "pycurl"}, {"scrapy", "scrapy"}, {"go-http-client", "go-http-client"},
	{"okhttp", "okhttp"}, {"libwww-perl", "libwww-perl"}, {"lwp::simple", "libwww-perl"},
	{"java", "java"}, {"apache-httpclient", "apache-httpclient"},
	{"apache-httpasyncclient", "apache-httpclient"}, {"axios", "axios"},
	{"node-fetch", "node-fetch"}, {"undici", "undici"}, {"got", "got"},
	{"guzzlehttp", "guzzle"}, {"php", "php"}, {"ruby", "ruby"}, {"faraday", "faraday"},
	{"rest-client", "rest-client"}, {"reqwest", "reqwest"}, {"dart", "dart"},
	{"libcurl", "libcurl"}, {"winhttp", "winhttp"}, {"cpp-httplib", "cpp-httplib"},
	{"restsharp", "restsharp"},
}

// uaBots are crawler markers matched anywhere.
var uaBots = []string{"bot", "crawler", "spider", "slurp", "monitor"}

// uaBrowsers name the browser family of a Mozilla-style string; order
// matters because Edge and Opera also claim Chrome, and Chrome claims Safari.
var uaBrowsers = []uaMatch{
	{"edg/", "edge"}, {"opr/", "opera"}, {"firefox/", "firefox"},
	{"chrome/", "chrome"}, {"chromium/", "chromium"}, {"safari/", "safari"},
	{"trident/", "internet-explorer"}, {"msie ", "internet-explorer"},
}

// uaInjection are markers of SQL, template, path and JNDI injection attempts
// smuggled in the User-Agent.
var uaInjection = []string{
	"<script", "';", "' or '", "' or 1", "1=1", "' --", "/../", "/etc/passwd", "${jndi:", "{{",
}

// maxUAScan bounds how much of a User-Agent is searched for markers; the
// long signal is decided on the full length, the rest on this prefix.
const maxUAScan = 2048

// uaProductTokens is how many leading product tokens are considered for
// CLI and library matches.
const uaProductTokens = 4

// userAgentPayload is the fingerprint/http_useragent bounty. It carries only
// the client's identity: the bounty table deduplicates on the payload, and a
// per-request path or method would make one row per URL a scanner tries
// (that context is in the event's logs row).
type userAgentPayload struct {
	FingerprintType string   `json:"fingerprint_type"`
	Value           string   `json:"value"`
	Category        string   `json:"category"`
	Tool            string   `json:"tool"`
	Signals         []string `json:"signals"`
}

// classifyUserAgent returns the category, tool name and signals of ua.
func classifyUserAgent(ua string) (category, tool string, signals []string) {
	lower := asciiLower(capString(ua, maxUAScan))
	signals = uaSignals(ua, lower)
	if ua == "" {
		return uaEmpty, "", signals
	}
	for _, m := range uaScanners {
		if strings.Contains(lower, m.needle) {
			return uaScanner, m.tool, signals
		}
	}
	toks := productTokens(lower)
	if len(toks) > 0 {
		for _, m := range uaCLIs {
			if toks[0] == m.needle {
				return uaCLI, m.tool, signals
			}
		}
	}
	for _, t := range toks {
		for _, m := range uaLibraries {
			if productIs(t, m.needle) {
				return uaLibrary, m.tool, signals
			}
		}
	}
	for _, b := range uaBots {
		if i := strings.Index(lower, b); i >= 0 {
			return uaBot, botName(ua, i), signals
		}
	}
	if isMozilla(ua) {
		for _, m := range uaBrowsers {
			if strings.Contains(lower, m.needle) {
				return uaBrowser, m.tool, signals
			}
		}
		return uaBrowser, "", signals
	}
	return uaNonstandard, "", signals
}

// productTokens returns the product names (the part before '/') of the
// first few space-separated tokens of a lowercased User-Agent.
func productTokens(lower string) []string {
	var toks []string
	for len(lower) > 0 && len(toks) < uaProductTokens {
		lower = strings.TrimLeft(lower, " ")
		if lower == "" {
			break
		}
		end := strings.IndexByte(lower, ' ')
		if end < 0 {
			end = len(lower)
		}
		tok := lower[:end]
		lower = lower[end:]
		if j := strings.IndexByte(tok, '/'); j >= 0 {
			tok = tok[:j]
		}
		tok = strings.Trim(tok, "()[];,")
		if tok != "" {
			toks = append(toks, tok)
		}
	}
	return toks
}

// botName returns the word around byte offset i of ua (where a bot marker
// was found), cut at '/', so "… Googlebot/2.1; …" names "Googlebot".
func botName(ua string, i int) string {
	isSep := func(c byte) bool {
		return c == ' ' || c == ';' || c == '(' || c == ')' || c == ',' || c == '+' || c == '/'
	}
	start := i
	for start > 0 && !isSep(ua[start-1]) {
		start--
	}
	end := i
	for end < len(ua) && !isSep(ua[end]) {
		end++
	}
	return capString(ua[start:end], 64)
}

// isMozilla reports whether ua starts with "Mozilla/" and a digit, the
// shape every mainstream browser sends.
func isMozilla(ua string) bool {
	const p = "Mozilla/"
	return len(ua) > len(p) && ua[:len(p)] == p && ua[len(p)] >= '0' && ua[len(p)] <= '9'
}

// productIs reports whether product token t is the library name needle,
// alone or followed by a separator ("winhttp-autoproxy-service" is winhttp,
// "gotham" is not got).
func productIs(t, needle string) bool {
	if !strings.HasPrefix(t, needle) {
		return false
	}
	if len(t) == len(needle) {
		return true
	}
	c := t[len(needle)]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
}

// asciiLower lowercases ASCII letters only. Every needle is ASCII, and
// keeping other bytes as they are keeps offsets into the original valid.
func asciiLower(s string) string {
	i := 0
	for i < len(s) && !(s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= 'A' && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// uaSignals flags User-Agent traits that real clients do not have; lower is
// the ASCII-lowercased, capped User-Agent.
func uaSignals(ua, lower string) []string {
	var s []string
	if len(ua) < uaShortBelow {
		s = append(s, sigShort)
	}
	if len(ua) > uaLongAbove {
		s = append(s, sigLong)
	}
	if hasNonprintable(lower) {
		s = append(s, sigNonprint)
	}
	for _, m := range uaInjection {
		if strings.Contains(lower, m) {
			s = append(s, sigInjection)
			break
		}
	}
	return s
}

// hasNonprintable reports control characters, DEL or invalid UTF-8.
func hasNonprintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return !utf8.ValidString(s)
}

func (p userAgentPayload) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendJSONField(dst, true, "fingerprint_type", p.FingerprintType)
	dst = appendJSONField(dst, false, "value", p.Value)
	dst = appendJSONField(dst, false, "category", p.Category)
	dst = appendJSONField(dst, false, "tool", p.Tool)
	dst = append(dst, `,"signals":`...)
	dst = appendJSONStrings(dst, p.Signals)
	return append(dst, '}')
}
