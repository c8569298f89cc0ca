// Package jsonwrite appends JSON strings and floats without reflection, byte
// for byte as encoding/json writes them, for the hot paths (event envelopes, bounty
// payloads, stored field maps) where json.Marshal's reflection showed up in
// profiles. Callers whose bytes are hashed for dedup rely on the exact form.
package jsonwrite

import (
	"math"
	"strconv"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// plain[escapeHTML][c] is true for the ASCII bytes written as themselves; a
// table lookup instead of a compound test per byte roughly halves the cost
// of long plain strings, the common case.
var plain = func() (t [2][utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		ok := c != '"' && c != '\\'
		t[0][c] = ok
		t[1][c] = ok && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendString appends s as a quoted JSON string the way encoding/json
// writes one: `"` and `\` escaped, control characters as \b \f \n \r \t or
// \u00XX, U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd; and, when
// escapeHTML is set (json.Marshal's default), <, > and & as \u003c, \u003e,
// \u0026.
func AppendString(dst []byte, s string, escapeHTML bool) []byte {
	dst = append(dst, '"')
	safe := &plain[0]
	if escapeHTML {
		safe = &plain[1]
	}
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendFloat appends a finite f as encoding/json writes a float64: the
// shortest representation, in exponent form only outside [1e-6, 1e21), the
// exponent without a leading zero. Callers reject NaN and infinities first;
// encoding/json refuses them.
func AppendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7, as encoding/json does.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
