package ingest

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Bounds on the headers field. Real requests carry a few kilobytes and a few
// dozen headers; anything past these limits is a flood, not a fingerprint.
const (
	// maxHeadersJSON is the largest headers field parsed at all.
	maxHeadersJSON = 64 << 10
	// maxHeaders is how many header lines are kept, in arrival order.
	maxHeaders = 128
)

// header is one request header line as the service saw it.
type header struct {
	name, value string
}

// parseHeaders reads fields["headers"]: a JSON object (name → value, in
// arrival order) or a JSON array of [name, value] pairs. Anything else,
// including the Python-dict repr older emitters produced, yields nil. Values
// that are not strings are skipped rather than guessed at.
func parseHeaders(raw string) []header {
	if raw == "" || len(raw) > maxHeadersJSON {
		return nil
	}
	p := jsonScanner{s: raw}
	p.space()
	var out []header
	switch p.peek() {
	case '{':
		p.i++
		p.space()
		if p.peek() == '}' {
			return nil
		}
		for {
			name, ok := p.str()
			if !ok {
				return out
			}
			p.space()
			if p.peek() != ':' {
				return out
			}
			p.i++
			p.space()
			value, isStr, ok := p.value()
			if !ok {
				return out
			}
			if isStr && len(out) < maxHeaders {
				out = append(out, header{name, value})
			}
			p.space()
			switch p.peek() {
			case ',':
				p.i++
				p.space()
			default:
				return out
			}
		}
	case '[':
		p.i++
		p.space()
		if p.peek() == ']' {
			return nil
		}
		for {
			if p.peek() != '[' {
				return out
			}
			p.i++
			p.space()
			name, ok := p.str()
			if !ok {
				return out
			}
			p.space()
			if p.peek() != ',' {
				return out
			}
			p.i++
			p.space()
			value, isStr, ok := p.value()
			if !ok {
				return out
			}
			p.space()
			if p.peek() != ']' {
				return out
			}
			p.i++
			if isStr && len(out) < maxHeaders {
				out = append(out, header{name, value})
			}
			p.space()
			switch p.peek() {
			case ',':
				p.i++
				p.space()
			default:
				return out
			}
		}
	}
	return nil
}

// jsonScanner is a minimal reader for the two header shapes. It exists
// because header parsing runs for every HTTP event and encoding/json's
// token API allocates per token; it reads strings itself and hands any
// other value to encoding/json only to skip it.
type jsonScanner struct {
	s string
	i int
}

func (p *jsonScanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *jsonScanner) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// str reads one JSON string. Strings without escapes and with valid UTF-8
// are sliced out directly; others go through encoding/json so escapes and
// invalid bytes are handled exactly as the standard library does.
func (p *jsonScanner) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	start := p.i
	escaped := false
	for j := start + 1; j < len(p.s); j++ {
		switch c := p.s[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			p.i = j + 1
			body := p.s[start+1 : j]
			if !escaped && utf8.ValidString(body) {
				return body, true
			}
			var out string
			if err := json.Unmarshal([]byte(p.s[start:j+1]), &out); err != nil {
				return "", false
			}
			return out, true
		case c < 0x20:
			return "", false
		}
	}
	return "", false
}

// value reads a header value: a string, an array of strings (joined with
// ", " as HTTP folds repeated headers), or any other JSON value, which is
// skipped and reported as not a string.
func (p *jsonScanner) value() (v string, isStr, ok bool) {
	switch p.peek() {
	case '"':
		v, ok = p.str()
		return v, ok, ok
	case '[':
		start := p.i
		p.i++
		p.space()
		var parts []string
		for p.peek() == '"' {
			s, ok := p.str()
			if !ok {
				return "", false, false
			}
			parts = append(parts, s)
			p.space()
			if p.peek() != ',' {
				break
			}
			p.i++
			p.space()
		}
		if p.peek() == ']' {
			p.i++
			return strings.Join(parts, ", "), true, true
		}
		p.i = start
	}
	return "", false, p.skip()
}

// skip steps over one JSON value of any kind.
func (p *jsonScanner) skip() bool {
	dec := json.NewDecoder(strings.NewReader(p.s[p.i:]))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return false
	}
	p.i += int(dec.InputOffset())
	return true
}

// lookupHeader returns the first value of name, compared case-insensitively
// because services log headers as received.
func lookupHeader(hs []header, name string) (string, bool) {
	for _, h := range hs {
		if strings.EqualFold(h.name, name) {
			return h.value, true
		}
	}
	return "", false
}
