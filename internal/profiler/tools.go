package profiler

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/decnet/decnet/internal/flatjson"
)

// C2Signature is one C2 framework's default beacon cadence (pipeline.md §3.4).
type C2Signature struct {
	Tool      string
	IntervalS float64 // expected mean IAT
	Tol       float64 // allowed |mean − IntervalS|
	Jitter    float64 // expected cv
	JitterTol float64 // allowed |cv − Jitter|
}

// C2Signatures is the original's table, in its order.
var C2Signatures = []C2Signature{
	{"cobalt_strike", 60.0, 8.0, 0.20, 0.05},
	{"sliver", 60.0, 10.0, 0.30, 0.08},
	{"havoc", 45.0, 8.0, 0.10, 0.03},
	{"mythic", 30.0, 6.0, 0.15, 0.03},
}

// boundaryEps absorbs binary floating-point error at the inclusive
// tolerance edges. [BUG] fixed: in the original, |0.15 − 0.20| evaluates to
// 0.05000000000000002 > 0.05, so a cv exactly at the documented lower edge
// of cobalt_strike's jitter missed while the upper edge matched. Stats are
// rounded to 3–4 decimals, so 1e-9 never admits a value that is really out.
const boundaryEps = 1e-9

// MatchC2 returns every C2 signature whose cadence matches the mean IAT and
// cv: |mean − interval| ≤ tol and |cv − jitter| ≤ jtol (edges inclusive).
// All matches are returned, in table order.
func MatchC2(meanS, cv float64) []string {
	var out []string
	for _, s := range C2Signatures {
		if math.Abs(meanS-s.IntervalS) <= s.Tol+boundaryEps && math.Abs(cv-s.Jitter) <= s.JitterTol+boundaryEps {
			out = append(out, s.Tool)
		}
	}
	return out
}

// GuessTool is the original's deprecated guess_tool: a name only when exactly
// one C2 signature matches, else "".
func GuessTool(meanS, cv float64) string {
	if m := MatchC2(meanS, cv); len(m) == 1 {
		return m[0]
	}
	return ""
}

// HeaderSignature maps a pattern on one (lowercased) header to a tool.
// Pattern is a case-insensitive substring, or an anchored regex when it
// starts with "^".
type HeaderSignature struct {
	Header  string
	Pattern string
	Tool    string
	re      *regexp.Regexp
}

// HeaderSignatures is the original's table, in its order.
var HeaderSignatures = compileHeaderSigs([]HeaderSignature{
	{Header: "user-agent", Pattern: "Nmap Scripting Engine", Tool: "nmap"},
	{Header: "user-agent", Pattern: "Nikto", Tool: "nikto"},
	{Header: "user-agent", Pattern: "sqlmap", Tool: "sqlmap"},
	{Header: "user-agent", Pattern: "Nuclei", Tool: "nuclei"},
	{Header: "user-agent", Pattern: "masscan", Tool: "masscan"},
	{Header: "user-agent", Pattern: "zgrab", Tool: "zgrab"},
	{Header: "user-agent", Pattern: "Metasploit", Tool: "metasploit"},
	{Header: "user-agent", Pattern: "^curl/", Tool: "curl"},
	{Header: "user-agent", Pattern: "python-requests", Tool: "python_requests"},
	{Header: "user-agent", Pattern: "gobuster", Tool: "gobuster"},
	{Header: "user-agent", Pattern: "DirBuster", Tool: "dirbuster"},
	{Header: "user-agent", Pattern: "hydra", Tool: "hydra"},
	{Header: "user-agent", Pattern: "Wfuzz", Tool: "wfuzz"},
	{Header: "x-mailer", Pattern: "gophish", Tool: "gophish"},
})

func compileHeaderSigs(sigs []HeaderSignature) []HeaderSignature {
	for i := range sigs {
		if strings.HasPrefix(sigs[i].Pattern, "^") {
			sigs[i].re = regexp.MustCompile("(?i)" + sigs[i].Pattern)
		} else {
			sigs[i].Pattern = strings.ToLower(sigs[i].Pattern)
		}
	}
	return sigs
}

// HeaderTools returns the tools whose header signature matches, deduped, in
// table order. headers must have lowercased keys (ParseHeaders does that).
// Header values are matched as literals; they are never compiled.
func HeaderTools(headers map[string]string) []string {
	var out []string
	for _, s := range HeaderSignatures {
		v, ok := headers[s.Header]
		if !ok {
			continue
		}
		var hit bool
		if s.re != nil {
			hit = s.re.MatchString(v)
		} else {
			hit = strings.Contains(strings.ToLower(v), s.Pattern)
		}
		if hit && !slices.Contains(out, s.Tool) {
			out = append(out, s.Tool)
		}
	}
	return out
}

// ParseHeaders decodes fields.headers: a JSON object, or the Python-repr dict
// the original services sometimes log ({'User-Agent': 'x'}). Keys are
// lowercased; non-string values are rendered as text. A value that is
// neither yields nil.
func ParseHeaders(s string) map[string]string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	// The services write a flat object of plain strings on every request;
	// flatjson reads that without the general decoder.
	out := make(map[string]string, flatjson.SizeHint(s))
	if flatjson.Visit(s, func(k, v string) { out[strings.ToLower(k)] = v }) {
		return out
	}
	if out, ok := parseJSONObject(s); ok {
		return out
	}
	return parsePyDict(s)
}

// parseJSONObject decodes a flat JSON object in document order, so that of
// two keys equal after lowercasing the later one wins, as in the original's
// dict comprehension (a Go map would pick one at random).
func parseJSONObject(s string) (map[string]string, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	out := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		switch v := v.(type) {
		case string:
			out[strings.ToLower(k)] = v
		case nil:
			out[strings.ToLower(k)] = ""
		default:
			out[strings.ToLower(k)] = fmt.Sprint(v)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

// parsePyDict reads a flat Python dict literal with quoted string keys.
// Values may be quoted strings or bare tokens (numbers, None, True).
func parsePyDict(s string) map[string]string {
	p := pyParser{s: s}
	p.ws()
	if !p.eat('{') {
		return nil
	}
	out := map[string]string{}
	for {
		p.ws()
		if p.eat('}') {
			return p.end(out)
		}
		k, ok := p.str()
		if !ok {
			return nil
		}
		p.ws()
		if !p.eat(':') {
			return nil
		}
		p.ws()
		v, ok := p.str()
		if !ok {
			v, ok = p.bare()
			if !ok {
				return nil
			}
		}
		out[strings.ToLower(k)] = v
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return p.end(out)
		}
		return nil
	}
}

type pyParser struct {
	s string
	i int
}

// end returns m when only whitespace is left, else nil.
func (p *pyParser) end(m map[string]string) map[string]string {
	p.ws()
	if p.i != len(p.s) {
		return nil
	}
	return m
}

func (p *pyParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *pyParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *pyParser) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), true
		case c == '\\' && p.i+1 < len(p.s):
			n := p.s[p.i+1]
			switch n {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(n)
			}
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", false
}

func (p *pyParser) bare() (string, bool) {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ',' && p.s[p.i] != '}' {
		p.i++
	}
	v := strings.TrimSpace(p.s[start:p.i])
	return v, v != ""
}

// ToolGuesses is tool_guesses: beacon hits then header hits, deduped in
// order, with nmap moved first when the OS rollup's os_guess is "nmap".
func ToolGuesses(beaconHits, headerHits []string, osGuess string) []string {
	out := []string{}
	if osGuess == "nmap" {
		out = append(out, "nmap")
	}
	for _, t := range slices.Concat(beaconHits, headerHits) {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}
