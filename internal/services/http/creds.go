package http

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// Secret kinds of HTTP credentials (fleet.md §1.3).
const (
	KindBearer    = "http_bearer"
	KindDigestMD5 = "http_digest_md5"
)

// Credential is one captured login: what the universal credential fields
// carry, plus context an analyst needs to crack a digest.
type Credential struct {
	Principal string
	Secret    []byte
	Kind      string
	// Source says where it was found: authorization, form, xmlrpc.
	Source string
	// Extra are fields to add to the event (digest parameters).
	Extra map[string]string
}

// ClassifyAuthorization reads an Authorization header value (fleet.md
// §1.3): Basic gives user and password, Bearer and Token a token without a
// principal, Digest the user and the response hash. Anything else, or a
// malformed value, gives ok=false.
func ClassifyAuthorization(v string) (c Credential, ok bool) {
	scheme, rest, _ := strings.Cut(strings.TrimLeft(v, " "), " ")
	rest = strings.TrimSpace(rest)
	c.Source = "authorization"
	switch strings.ToLower(scheme) {
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			// Clients that drop the padding are common enough to accept.
			if raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(rest, "=")); err != nil {
				return c, false
			}
		}
		user, pass, found := strings.Cut(string(raw), ":")
		if !found {
			return c, false
		}
		c.Principal, c.Secret, c.Kind = user, []byte(pass), "plaintext"
		return c, true
	case "bearer", "token":
		if rest == "" {
			return c, false
		}
		c.Secret, c.Kind = []byte(rest), KindBearer
		return c, true
	case "digest":
		p := digestParams(rest)
		if p["response"] == "" {
			return c, false
		}
		c.Principal, c.Secret, c.Kind = p["username"], []byte(p["response"]), KindDigestMD5
		if alg := strings.ToLower(p["algorithm"]); alg != "" && !strings.HasPrefix(alg, "md5") {
			// SHA-256 digests crack differently; say so rather than
			// mislabel them as MD5.
			c.Kind = "http_digest_" + strings.NewReplacer("-", "_").Replace(alg)
		}
		c.Extra = map[string]string{}
		for _, k := range []string{"realm", "nonce", "uri", "qop", "nc", "cnonce", "algorithm", "opaque"} {
			if v := p[k]; v != "" {
				c.Extra["digest_"+k] = v
			}
		}
		return c, true
	}
	return c, false
}

// digestParams splits `k=v, k="v, with comma"` pairs, bounded to 32 pairs.
func digestParams(s string) map[string]string {
	out := make(map[string]string, 8)
	for len(s) > 0 && len(out) < 32 {
		s = strings.TrimLeft(s, " \t,")
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := 1
			for end < len(rest) && rest[end] != '"' {
				if rest[end] == '\\' {
					end++
				}
				end++
			}
			v = strings.ReplaceAll(rest[1:min(end, len(rest))], `\`, "")
			s = rest[min(end+1, len(rest)):]
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		if _, dup := out[k]; !dup {
			out[k] = v
		}
	}
	return out
}

// Form field names the classifier looks for, first match wins
// (fleet.md §1.3), plus Jenkins's j_username/j_password so the jenkins
// fake app's own login form is captured too.
var (
	principalKeys = []string{"username", "user", "email", "login", "userid", "account", "log", "user_login", "uname", "pma_username", "j_username"}
	secretKeys    = []string{"password", "pass", "pwd", "passwd", "passwort", "mot_de_passe", "user_password", "pma_password", "j_password"}
)

// FormCredentials finds a login in an application/x-www-form-urlencoded
// body. A secret is required; the principal may be empty.
func FormCredentials(contentType string, body []byte) (c Credential, ok bool) {
	mt, _, _ := strings.Cut(contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") || len(body) == 0 {
		return c, false
	}
	vals, err := url.ParseQuery(string(body))
	if err != nil && len(vals) == 0 {
		return c, false
	}
	pick := func(keys []string) (string, bool) {
		for _, k := range keys {
			for name, vs := range vals {
				if strings.EqualFold(name, k) && len(vs) > 0 {
					return vs[0], true
				}
			}
		}
		return "", false
	}
	secret, ok := pick(secretKeys)
	if !ok {
		return c, false
	}
	c.Principal, _ = pick(principalKeys)
	c.Secret, c.Kind, c.Source = []byte(secret), "plaintext", "form"
	return c, true
}
