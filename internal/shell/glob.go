package shell

import "strings"

// globMeta reports whether s holds an unescaped glob metacharacter.
func globMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// escapeGlob quotes the metacharacters of s for use inside a pattern.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, "*?[]\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("*?[]\\", s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unescapeGlob removes pattern quoting.
func unescapeGlob(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// globMatch matches name against a shell pattern (*, ?, [...], \x). It
// runs in O(len(pat)*len(name)) time: on a mismatch it only ever retries
// from the last star, which is enough for shell patterns.
func globMatch(pat, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pat) {
			switch c := pat[p]; c {
			case '*':
				for p < len(pat) && pat[p] == '*' {
					p++
				}
				starP, starN = p, n
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				if ok, np, valid := matchClass(pat, p, name[n]); valid {
					if ok {
						p = np
						n++
						continue
					}
				} else if name[n] == '[' {
					p++
					n++
					continue
				}
			case '\\':
				if p+1 < len(pat) && pat[p+1] == name[n] {
					p += 2
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starN++
		p, n = starP, starN
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

var charClasses = map[string]func(byte) bool{
	"alpha":  func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' },
	"digit":  func(c byte) bool { return c >= '0' && c <= '9' },
	"alnum":  func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' },
	"upper":  func(c byte) bool { return c >= 'A' && c <= 'Z' },
	"lower":  func(c byte) bool { return c >= 'a' && c <= 'z' },
	"space":  func(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' },
	"xdigit": isHex,
	"punct": func(c byte) bool {
		return c > ' ' && c < 0x7f && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9')
	},
}

// matchClass matches c against the bracket expression at pat[p]. valid is
// false for an unterminated bracket, which then matches a literal '['.
func matchClass(pat string, p int, c byte) (ok bool, next int, valid bool) {
	i := p + 1
	neg := false
	if i < len(pat) && (pat[i] == '!' || pat[i] == '^') {
		neg = true
		i++
	}
	first := true
	for i < len(pat) {
		if pat[i] == ']' && !first {
			return ok != neg, i + 1, true
		}
		first = false
		if strings.HasPrefix(pat[i:], "[:") {
			if end := strings.Index(pat[i+2:], ":]"); end >= 0 {
				if fn := charClasses[pat[i+2:i+2+end]]; fn != nil && fn(c) {
					ok = true
				}
				i += end + 4
				continue
			}
		}
		lo := pat[i]
		if lo == '\\' && i+1 < len(pat) {
			i++
			lo = pat[i]
		}
		i++
		hi := lo
		if i+1 < len(pat) && pat[i] == '-' && pat[i+1] != ']' {
			hi = pat[i+1]
			if hi == '\\' && i+2 < len(pat) {
				hi = pat[i+2]
				i++
			}
			i += 2
		}
		if lo <= c && c <= hi {
			ok = true
		}
	}
	return false, 0, false
}
