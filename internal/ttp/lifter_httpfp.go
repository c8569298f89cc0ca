package ttp

import (
	"slices"
	"strings"
)

// NewHTTPFingerprintLifter tags http_fingerprint events (R0082–R0084):
// JA4H, HTTP/2-3 SETTINGS and JA4 QUIC fingerprints of automation clients.
// Every rule uses one data-driven predicate, so new fingerprints are a YAML
// edit; the original hard-coded three predicates and never loaded them.
func NewHTTPFingerprintLifter(o LifterOptions) *Lifter {
	return newLifter("http_fingerprint", []string{KindHTTPFingerprint}, ownerOf("http_fingerprint"),
		map[string]predicate{"http_fingerprint_match": predHTTPFingerprint}, o)
}

// predHTTPFingerprint: the payload's kind must be in the rule's kinds;
// then hash is looked up in values (exact, value → tool), prefixes
// (prefix → tool) and patterns (regexes, labelled by the rule's tool).
func predHTTPFingerprint(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	kinds := paramStrings(r, "kinds")
	if len(kinds) == 0 {
		return nil, ruleErr("rule %s: match.kinds is empty", r.ID)
	}
	kind := pStr(ev.Payload, "kind")
	if !slices.Contains(kinds, kind) {
		return nil, nil
	}
	hash := strings.TrimSpace(pStr(ev.Payload, "hash"))
	if hash == "" {
		return nil, nil
	}
	tool := ""
	if t, ok := paramStringMap(r, "values")[hash]; ok {
		tool = t
	}
	if tool == "" {
		low := strings.ToLower(hash)
		for p, t := range paramStringMap(r, "prefixes") {
			if strings.HasPrefix(low, strings.ToLower(p)) && (tool == "" || t < tool) {
				tool = t // smallest label wins, so map order cannot change evidence
			}
		}
	}
	if tool == "" && len(paramStrings(r, "patterns")) > 0 {
		res, err := l.regexpList(r, "patterns")
		if err != nil {
			return nil, err
		}
		for _, re := range res {
			if re.MatchString(hash) {
				tool = paramString(r, "tool", "automation")
				break
			}
		}
	}
	if tool == "" {
		return nil, nil
	}
	ex := map[string]any{"kind": kind, "hash": clipString(hash, 512), "matched_tool": tool}
	for _, k := range []string{"protocol", "client_ip", "seen_at"} {
		if s := pStr(ev.Payload, k); s != "" {
			ex[k] = clipString(s, 128)
		}
	}
	return &firing{extra: ex}, nil
}
