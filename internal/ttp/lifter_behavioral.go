package ttp

import (
	"regexp"
	"slices"
	"strings"
)

// NewBehavioralLifter tags session, http_request and email events with the
// behavioural rules (R0031–R0040, R0081): beaconing, destruction, ransom
// notes, exfiltration volume, credential-file reads, container escape,
// LLMNR poisoning, router config pulls and SSH tunnelling.
func NewBehavioralLifter(o LifterOptions) *Lifter {
	return newLifter("behavioral", []string{KindSession, KindHTTPRequest, KindEmail}, ownerOf("behavioral"),
		map[string]predicate{
			"behavioral_beaconing":                 predBeaconing,
			"behavioral_data_destruction":          predDataDestruction,
			"behavioral_ransom_note":               predRansomNote,
			"behavioral_exfil_over_web":            predExfilOverWeb,
			"behavioral_db_mass_read":              predDBMassRead,
			"behavioral_credentials_in_files":      predPathPatterns,
			"behavioral_k8s_service_account_token": predPathPatterns,
			"behavioral_docker_host_escape":        predDockerEscape,
			"behavioral_llmnr_poisoning":           predLLMNR,
			"behavioral_tftp_router_config":        predTFTPConfig,
			"behavioral_ssh_tunnelling":            predSSHTunnel,
		}, o)
}

// predBeaconing: a regular callback. beacon_jitter_pct is a percent
// (attacker_behavior stores round(cv×100, 2)); the original compared it
// with 0.15, so only near-perfect beacons fired. max_jitter_pct is a
// percent too.
func predBeaconing(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	iv, ok1 := pnum(ev.Payload, "beacon_interval_s")
	j, ok2 := pnum(ev.Payload, "beacon_jitter_pct")
	if !ok1 || !ok2 || iv < paramFloat(r, "min_interval_s", 10) || j < 0 || j > paramFloat(r, "max_jitter_pct", 15) {
		return nil, nil
	}
	ex := map[string]any{"beacon_interval_s": iv, "beacon_jitter_pct": j}
	if c := pStr(ev.Payload, "behavior_class"); c != "" {
		ex["behavior_class"] = clipString(c, 64)
	}
	return &firing{extra: ex}, nil
}

// firstMatch returns the first pattern hit over the named string fields.
func firstMatch(p map[string]any, fields []string, res []*regexp.Regexp) (field, hit string) {
	for _, f := range fields {
		s := pStr(p, f)
		if s == "" {
			continue
		}
		for _, re := range res {
			if m := re.FindString(s); m != "" {
				return f, m
			}
		}
	}
	return "", ""
}

func fieldsOr(r *Rule, key string, def ...string) []string {
	if f := paramStrings(r, key); len(f) > 0 {
		return f
	}
	return def
}

func predDataDestruction(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	res, err := l.regexpList(r, "patterns")
	if err != nil {
		return nil, err
	}
	_, hit := firstMatch(ev.Payload, fieldsOr(r, "fields", "op_text", "command_text"), res)
	if hit == "" {
		return nil, nil
	}
	return &firing{extra: map[string]any{"matched_op": clipString(hit, 256)}}, nil
}

// predRansomNote needs a ransom keyword and a cryptocurrency address in the
// same text. On email the keywords also go out as matched_body_kw, the one
// email evidence key for them; btc_address is dropped there by the
// allowlist instead of raising (the original's latent TypeError).
func predRansomNote(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	addrs, err := l.regexpList(r, "address_patterns")
	if err != nil {
		return nil, err
	}
	kws := paramStrings(r, "keywords")
	if len(kws) == 0 {
		return nil, ruleErr("rule %s: match.keywords is empty", r.ID)
	}
	for _, f := range fieldsOr(r, "fields", "body_text", "note_text") {
		text := pStr(ev.Payload, f)
		if text == "" {
			continue
		}
		matched := matchWords(text, kws)
		if len(matched) == 0 {
			continue
		}
		for _, re := range addrs {
			if a := re.FindString(text); a != "" {
				ex := map[string]any{"btc_address": a, "matched_keywords": matched}
				if ev.SourceKind == KindEmail {
					ex["matched_body_kw"] = matched
				}
				return &firing{extra: ex}, nil
			}
		}
	}
	return nil, nil
}

// matchWords returns the keywords found in text as whole words,
// case-insensitively, in the rule's order.
func matchWords(text string, kws []string) []string {
	low := strings.ToLower(text)
	var out []string
	for _, k := range kws {
		k = strings.ToLower(k)
		if k != "" && containsWord(low, k) {
			out = append(out, k)
		}
	}
	return out
}

func containsWord(s, w string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isWordByte(s[start-1])) && (end == len(s) || !isWordByte(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// threshold is one "payload number ≥ rule parameter" test.
type threshold struct {
	field, param string
	def          float64
}

// thresholds fires when any named payload number reaches its parameter.
func thresholds(r *Rule, p map[string]any, ts ...threshold) *firing {
	ex := map[string]any{}
	for _, t := range ts {
		if v, ok := pnum(p, t.field); ok && v >= paramFloat(r, t.param, t.def) {
			ex[t.field] = v
		}
	}
	if len(ex) == 0 {
		return nil
	}
	return &firing{extra: ex}
}

func predExfilOverWeb(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	return thresholds(r, ev.Payload, threshold{"bytes_out", "min_bytes_out", 1 << 20},
		threshold{"request_count", "min_request_count", 50}), nil
}

func predDBMassRead(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	return thresholds(r, ev.Payload, threshold{"rows_read", "min_rows_read", 10000},
		threshold{"bytes_read", "min_bytes_read", 5 << 20}), nil
}

// predPathPatterns (R0036, R0037): a path field, then the session's
// command_text, matched against the rule's patterns.
func predPathPatterns(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	// Every HTTP request goes through here for each path rule: one pass of
	// the combined patterns decides, and only a hit pays for the list.
	anyRe, err := l.patternSetFor(r, "patterns")
	if err != nil {
		return nil, err
	}
	for _, f := range fieldsOr(r, "path_fields", "matched_path", "request_path", "path") {
		if s := pStr(ev.Payload, f); s != "" && anyRe.MatchString(s) {
			return &firing{extra: map[string]any{"matched_path": clipString(s, 512), "matched_field": f}}, nil
		}
	}
	scan := fieldsOr(r, "scan_fields", "command_text")
	if !slices.ContainsFunc(scan, func(f string) bool {
		s := pStr(ev.Payload, f)
		return s != "" && anyRe.MatchString(s)
	}) {
		return nil, nil
	}
	// The reported text is the first pattern's match, as before.
	res, err := l.regexpList(r, "patterns")
	if err != nil {
		return nil, err
	}
	if f, hit := firstMatch(ev.Payload, scan, res); hit != "" {
		return &firing{extra: map[string]any{"matched_path": clipString(strings.TrimSpace(hit), 512),
			"matched_field": f}}, nil
	}
	return nil, nil
}

// predDockerEscape: a container-creation signal naming host access.
// signals are exact, signal_prefixes match a bind's leading source path.
func predDockerEscape(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	exact := paramStrings(r, "signals")
	prefixes := paramStrings(r, "signal_prefixes")
	for _, s := range strList(ev.Payload["signals"]) {
		norm := strings.ToLower(strings.TrimSpace(s))
		if slices.Contains(exact, norm) {
			return &firing{extra: map[string]any{"matched_signal": clipString(s, 256)}}, nil
		}
		for _, p := range prefixes {
			if norm == p || strings.HasPrefix(norm, p) && (strings.HasSuffix(p, ":") || len(norm) > len(p) &&
				(norm[len(p)] == ':' || norm[len(p)] == '/')) {
				return &firing{extra: map[string]any{"matched_signal": clipString(s, 256)}}, nil
			}
		}
	}
	return nil, nil
}

func predLLMNR(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	if isTrue(ev.Payload, "llmnr_poisoned") {
		return &firing{extra: map[string]any{"llmnr_poisoned": true}}, nil
	}
	if n, ok := pnum(ev.Payload, "llmnr_poison_count"); ok && n >= paramFloat(r, "min_count", 1) {
		return &firing{extra: map[string]any{"llmnr_poison_count": n}}, nil
	}
	return nil, nil
}

func predTFTPConfig(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	res, err := l.regexpList(r, "patterns")
	if err != nil {
		return nil, err
	}
	if _, hit := firstMatch(ev.Payload, []string{"tftp_filename"}, res); hit == "" {
		return nil, nil
	}
	return &firing{extra: map[string]any{"tftp_filename": clipString(pStr(ev.Payload, "tftp_filename"), 256)}}, nil
}

// predSSHTunnelling: the client asked the SSH server to forward a port
// (direct-tcpip or tcpip-forward), i.e. used the decky as a proxy.
func predSSHTunnel(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := pnum(ev.Payload, "forward_requests")
	if !ok || n < paramFloat(r, "min_forwards", 1) {
		return nil, nil
	}
	ex := map[string]any{"forward_requests": n}
	if t := strList(ev.Payload["forward_targets"]); len(t) > 0 {
		ex["forward_targets"] = boundEvidence(t)
	}
	return &firing{extra: ex}, nil
}
