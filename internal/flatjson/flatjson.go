// Package flatjson reads the one JSON shape the services write on every
// request, a flat object of plain strings ({"k":"v",…}), without a general
// decoder. Callers fall back to encoding/json when Visit reports another
// shape, so escapes, whitespace and nesting stay correct.
package flatjson

import (
	"strings"
	"unicode/utf8"
)

// Visit calls fn for each key and value, in document order, when s is a flat
// object of strings with no escapes, control characters, whitespace or
// invalid UTF-8, and reports whether s had that shape. On false fn may have
// seen a prefix of the pairs, so callers discard what they built.
func Visit(s string, fn func(k, v string)) bool {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return false
	}
	i := 1
	if s[i] == '}' {
		return i == len(s)-1
	}
	for {
		k, next, ok := plainString(s, i)
		if !ok || next >= len(s) || s[next] != ':' {
			return false
		}
		v, next, ok := plainString(s, next+1)
		if !ok || next >= len(s) {
			return false
		}
		fn(k, v)
		switch s[next] {
		case ',':
			i = next + 1
		case '}':
			return next == len(s)-1
		default:
			return false
		}
	}
}

// SizeHint is an upper bound on the pairs Visit would see in s, capped so a
// hostile field cannot size a huge map.
func SizeHint(s string) int { return min(strings.Count(s, `":"`), 64) }

// plainString reads the JSON string starting at s[i] when it has no escapes,
// control characters or invalid UTF-8, returning it and the index after its
// closing quote.
func plainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(s); j++ {
		switch c := s[j]; {
		case c == '"':
			v := s[i+1 : j]
			return v, j + 1, utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", 0, false
		}
	}
	return "", 0, false
}
