// Lifters: the per-source taggers that own the `lifter:` rules (ttp.md
// §3.3). Each lifter reads its rules from a RuleSource, checks applies_to,
// the rule state and a predicate chosen by the rule's match kind, and emits
// one tag per rule emit. A rule whose predicate fails (bad parameter, bad
// regex, a panic on hostile input) is logged and skipped; the others still
// run, which is the original's TolerantTagger contract without its
// TypeError: an evidence key outside the kind's allowlist is dropped, never
// raised, so a lifter can no longer lose a whole event (the original's
// latent R0033-on-email bug, §7.1).
//
// # Producer contracts
//
// The worker builds these payloads; the lifters read nothing else. Numbers
// may arrive as int, float64, json.Number or numeric strings, booleans as
// bool or "true"/"false"; anything else counts as absent.
//
//   - auth_attempt (source_id "auth:<attacker_uuid>", one per attacker,
//     refreshed as attempts grow; credential lifter): username (most-tried
//     principal), fail_count, password_count (distinct secrets for that
//     username), account_count (distinct principals tried with the single
//     most-shared secret), shared_password_hash (sha256 hex of that secret),
//     result ("success" if any attempt succeeded, else "failure"),
//     prior_brute (≥ 5 failures before the first success), successes (list
//     of {"username","password"} printable pairs that succeeded), service.
//   - identity (source_id "identity:<identity_uuid>"; identity lifter; tags
//     carry identity_uuid only): shared_password_hash, account_count
//     (distinct principals across the identity's attackers for its
//     most-shared secret), attacker_count.
//   - credential (source_id = the credential_reuse row id; credential
//     lifter): credential_hash, reuse_count (= target_count − 1),
//     target_count, secret_kind, services (list), deckies (list).
//   - session, behaviour (source_id "behavior:<attacker_uuid>"; behavioral):
//     beacon_interval_s (seconds), beacon_jitter_pct (a PERCENT,
//     round(cv×100, 2)), behavior_class.
//   - session, finished SSH/Telnet session (source_id = session id;
//     behavioral): command_text (commands joined by "\n"), commands (list),
//     forward_requests (SSH port-forward requests), forward_targets (list of
//     host:port), files_captured, downloads (list of URLs).
//   - session, fingerprints (source_id "fingerprints:<attacker_uuid>";
//     c2_fingerprint): jarm_hashes, hassh_hashes, ja3_hashes (lists).
//   - session, other behavioral fields (R0032–R0040): op_text, body_text,
//     note_text, bytes_out, request_count, rows_read, bytes_read,
//     matched_path, request_path, path, signals (list), llmnr_poisoned,
//     llmnr_poison_count, tftp_filename.
//   - http_request (behavioral part): method, raw_url, path, user_agent,
//     headers (map), request_line.
//   - intel, email, canary_fingerprint, ipv6_leak: ttp.md §4.5's payloads
//     (see each lifter's file); http_fingerprint: kind ("ja4h",
//     "http2_settings", "http3_settings", "ja4_quic"), hash, protocol,
//     client_ip, seen_at, raw.
package ttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// RuleSource returns the rules claiming a source kind. The lead wires it to
// a RuleIndex; lifters still filter by their own ownership, so one shared
// source is safe.
type RuleSource func(kind string) []*Rule

// LifterOptions configures a lifter. Rules and Tag are required; Log
// defaults to slog.Default().
type LifterOptions struct {
	Rules RuleSource
	// Tag supplies release, URL resolver and clock for each Tag call.
	Tag func() TagOptions
	Log *slog.Logger
	// ArtifactsRoot is where the email lifter reaches stored .eml files
	// (DECNET_ARTIFACTS_ROOT); "" means DefaultArtifactsRoot.
	ArtifactsRoot string
}

// DefaultArtifactsRoot is the original's default artifact directory, used
// when LifterOptions.ArtifactsRoot is empty.
const DefaultArtifactsRoot = "/var/lib/decnet/artifacts"

// maxEvidenceString bounds one string copied from a payload into evidence:
// command_text and bodies are attacker-sized, evidence rows are not.
const maxEvidenceString = 4096

// maxEvidenceList bounds a list copied into evidence for the same reason.
const maxEvidenceList = 64

// evidenceAllowlist is ttp.md §1.3's EVIDENCE_SCHEMA: for these kinds only
// the listed keys survive. Other kinds are unchecked.
var evidenceAllowlist = map[string]map[string]bool{
	KindIntel: allowSet("abuseipdb_categories", "abuseipdb_score", "abuse_confidence_score", "greynoise_classification",
		"greynoise_tags", "greynoise_name", "feodo_listed", "feodo_malware_family", "first_seen_feodo",
		"malware_family", "threatfox_threat_types", "threatfox_ioc_types", "threatfox_malware_families",
		"threat_types", "malware_families", "ioc_types", "aggregate_verdict", "bumped_rule_ids"),
	KindEmail: allowSet("body_sha256", "matched_headers", "rcpt_domain_set", "attachment_sha256s", "rcpt_count",
		"matched_kit", "matched_trigger", "matched_url_host", "matched_signals", "matched_subject_kw",
		"matched_body_kw", "encoded_byte_count"),
	KindCanary:          allowSet("metric", "matched_signature"),
	KindHTTPFingerprint: allowSet("kind", "hash", "protocol", "client_ip", "seen_at", "raw", "matched_tool"),
	KindIPv6Leak:        allowSet("addr", "mac_oui", "iid_kind", "vector", "on_iface", "attacker_v4", "observed_at"),
}

func allowSet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// techHit is one technique an intel-style predicate selected: its
// confidence multiplier (≤ 1) and evidence of its own.
type techHit struct {
	mult  float64
	extra map[string]any
}

// firing is a predicate's verdict on one rule and event. A nil firing is
// no match. With only == nil every emit fires at multiplier 1; otherwise
// only emits whose parent technique is a key fire, at that hit's
// multiplier.
type firing struct {
	extra map[string]any
	only  map[string]techHit
	// skipSub drops emits with these sub-technique ids.
	skipSub map[string]bool
}

// predicate evaluates one rule against one event. It returns an error only
// for a broken rule (bad parameter or pattern), never for odd payloads.
type predicate func(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error)

// Lifter is one per-source tagger of lifter-owned rules. It is safe for
// concurrent use.
type Lifter struct {
	name    string
	handles []string
	// owns reports whether a lifter match kind (without "lifter:") is this
	// lifter's.
	owns  func(kind string) bool
	preds map[string]predicate
	o     LifterOptions
	// identityOnly strips attacker_uuid: identity rollup tags hang on the
	// identity alone.
	identityOnly bool
	// finish post-processes evidence per event (email's base evidence).
	finish func(l *Lifter, r *Rule, ev Event, st *evalState, ev2 map[string]any) map[string]any

	mu      sync.Mutex
	regexps map[string]*regexp.Regexp
	// anyRegexps caches patternSetFor per (rule, list); entries of rules gone
	// after a reload are dropped when it fills.
	anyRegexps map[anyKey]*patternSet
	warned     map[string]bool
}

// evalState carries per-event memo (the email body) through one Tag call
// without mutating the shared payload map.
type evalState struct {
	bodyDone bool
	body     string
	bodyOK   bool
}

func newLifter(name string, handles []string, owns func(string) bool, preds map[string]predicate,
	o LifterOptions) *Lifter {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Tag == nil {
		o.Tag = func() TagOptions { return TagOptions{} }
	}
	if o.Rules == nil {
		o.Rules = func(string) []*Rule { return nil }
	}
	if o.ArtifactsRoot == "" {
		o.ArtifactsRoot = DefaultArtifactsRoot
	}
	return &Lifter{name: name, handles: handles, owns: owns, preds: preds, o: o,
		regexps: map[string]*regexp.Regexp{}, anyRegexps: map[anyKey]*patternSet{}, warned: map[string]bool{}}
}

// Name identifies the lifter in logs and spans.
func (l *Lifter) Name() string { return l.name }

// Handles lists the source kinds the composite dispatches to this lifter.
func (l *Lifter) Handles() []string { return slices.Clone(l.handles) }

// Owns reports whether r is this lifter's rule, so the lead can build a
// per-lifter RuleIndex from the same rule pack.
func (l *Lifter) Owns(r *Rule) bool {
	k := r.Lifter()
	return k != "" && l.owns(k)
}

// Tag evaluates the lifter's rules against ev. Per-rule failures are logged
// and skipped, so the error is only ever the context's.
func (l *Lifter) Tag(ctx context.Context, ev Event) ([]model.TTPTag, error) {
	if !slices.Contains(l.handles, ev.SourceKind) {
		return nil, nil
	}
	opts := l.o.Tag()
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if ev.Payload == nil {
		ev.Payload = map[string]any{}
	}
	if l.identityOnly {
		// Identity rollups hang on the identity alone (ttp.md §1.1).
		ev.AttackerUUID = ""
	}
	st := &evalState{}
	var tags []model.TTPTag
	for _, r := range l.o.Rules(ev.SourceKind) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r == nil || !l.Owns(r) || !r.AppliesToKind(ev.SourceKind) || !r.State.Active(opts.Now) {
			continue
		}
		got, err := l.evalRule(r, ev, st, opts)
		if err != nil {
			l.o.Log.Warn("ttp lifter rule failed", "lifter", l.name, "rule_id", r.ID, "source_kind",
				ev.SourceKind, "err", err)
			continue
		}
		tags = append(tags, got...)
	}
	return tags, nil
}

// evalRule runs one rule; a panic on hostile input becomes that rule's
// error instead of the worker's crash.
func (l *Lifter) evalRule(r *Rule, ev Event, st *evalState, opts TagOptions) (tags []model.TTPTag, err error) {
	defer func() {
		if p := recover(); p != nil {
			tags, err = nil, fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	pred, ok := l.preds[r.Lifter()]
	if !ok {
		l.warnOnce(r)
		return nil, nil
	}
	f, err := pred(l, r, ev, st)
	if err != nil || f == nil {
		return nil, err
	}
	for _, e := range r.Emits {
		if e.SubTechniqueID != "" && f.skipSub[e.SubTechniqueID] {
			continue
		}
		mult := 1.0
		var techExtra map[string]any
		if f.only != nil {
			h, ok := f.only[e.TechniqueID]
			if !ok {
				continue
			}
			mult, techExtra = h.mult, h.extra
		}
		evidence := l.evidence(r, ev, st, f.extra, techExtra)
		conf := r.State.Ceiling(roundConf(e.Confidence * mult))
		t, err := NewTag(ev, r, e, conf, evidence, opts)
		if errors.Is(err, ErrNoAnchor) {
			// The worker drops anchorless events; here it is just no tag.
			l.o.Log.Debug("ttp lifter event without anchor", "lifter", l.name, "source_kind", ev.SourceKind)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		tags = append(tags, t)
	}
	return tags, nil
}

func (l *Lifter) warnOnce(r *Rule) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.warned[r.Match.Kind] {
		return
	}
	l.warned[r.Match.Kind] = true
	l.o.Log.Warn("ttp lifter has no predicate for match kind", "lifter", l.name, "rule_id", r.ID, "kind",
		r.Match.Kind)
}

// evidence is the rule's evidence_fields present in the payload, the
// predicate's extras, the per-technique extras, then the lifter's finish
// step, filtered to the kind's allowlist.
func (l *Lifter) evidence(r *Rule, ev Event, st *evalState, extra, techExtra map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range r.EvidenceFields {
		if v, ok := ev.Payload[f]; ok && v != nil {
			out[f] = boundEvidence(v)
		}
	}
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range techExtra {
		out[k] = v
	}
	if l.finish != nil {
		out = l.finish(l, r, ev, st, out)
	}
	if allow, ok := evidenceAllowlist[ev.SourceKind]; ok {
		for k := range out {
			if !allow[k] {
				delete(out, k)
			}
		}
	}
	return out
}

// boundEvidence truncates attacker-sized strings and lists.
func boundEvidence(v any) any {
	switch x := v.(type) {
	case string:
		return clipString(x, maxEvidenceString)
	case []any:
		if len(x) > maxEvidenceList {
			x = x[:maxEvidenceList]
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = boundEvidence(e)
		}
		return out
	case []string:
		if len(x) > maxEvidenceList {
			x = x[:maxEvidenceList]
		}
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = clipString(e, maxEvidenceString)
		}
		return out
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
	}
	return v
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the evidence stays valid UTF-8.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// roundConf keeps confidences like 0.7×0.3 at 0.21 rather than
// 0.21000000000000002, so stored values read as the rules say.
func roundConf(c float64) float64 {
	return math.Round(c*1e6) / 1e6
}

// regexp compiles pattern once per lifter (rules are immutable, patterns
// few). A bad pattern is the rule's error.
func (l *Lifter) regexp(pattern string) (*regexp.Regexp, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if re, ok := l.regexps[pattern]; ok {
		return re, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("compile pattern %q: %w", pattern, err)
	}
	l.regexps[pattern] = re
	return re, nil
}

// regexps compiles a rule's list parameter of patterns.
func (l *Lifter) regexpList(r *Rule, key string) ([]*regexp.Regexp, error) {
	pats := paramStrings(r, key)
	if len(pats) == 0 {
		return nil, fmt.Errorf("rule %s: match.%s is empty", r.ID, key)
	}
	out := make([]*regexp.Regexp, 0, len(pats))
	for _, p := range pats {
		re, err := l.regexp(p)
		if err != nil {
			return nil, err
		}
		out = append(out, re)
	}
	return out, nil
}

// anyKey names one list parameter of one loaded rule.
type anyKey struct {
	r   *Rule
	key string
}

// maxAnyRegexps bounds anyRegexps (a rule pack has a few hundred lists).
const maxAnyRegexps = 4096

// patternSet is a rule's list of patterns compiled for the hot path. Every
// HTTP request meets the path rules, and nearly none match, so the question
// "does any pattern match" is answered first by an Aho–Corasick scan for the
// literals every match must contain (the command engine's prefilter), then
// by one alternation of the patterns; only a hit pays for more.
type patternSet struct {
	any *regexp.Regexp
	// ac holds the literals of every pattern branch; nil when some branch
	// has none to prove, and the alternation then always runs.
	ac *acMatcher
}

// MatchString reports whether any pattern of the set matches s.
func (ps *patternSet) MatchString(s string) bool {
	if ps.ac != nil {
		var buf [1024]byte
		var cand [1]uint64
		ps.ac.scan(appendFolded(buf[:0], s), cand[:])
		if cand[0] == 0 {
			return false
		}
	}
	return ps.any.MatchString(s)
}

// patternSetFor compiles (once per loaded rule) the list parameter key of r
// into a patternSet. Each pattern sits in its own group in the alternation,
// so inline flags stay scoped to it.
func (l *Lifter) patternSetFor(r *Rule, key string) (*patternSet, error) {
	k := anyKey{r, key}
	l.mu.Lock()
	ps, ok := l.anyRegexps[k]
	l.mu.Unlock()
	if ok {
		return ps, nil
	}
	res, err := l.regexpList(r, key) // validates each pattern, with its error
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	var lits []string
	prefilter := true
	for i, re := range res {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString("(?:")
		b.WriteString(re.String())
		b.WriteString(")")
		for _, br := range branches(re.String()) {
			req := requiredLiterals(br)
			if req == nil {
				prefilter = false
			}
			lits = append(lits, req...)
		}
	}
	ps = &patternSet{}
	if ps.any, err = regexp.Compile(b.String()); err != nil {
		return nil, fmt.Errorf("rule %s: match.%s combined: %w", r.ID, key, err)
	}
	if prefilter {
		ps.ac = newACMatcher([][]string{dedupe(lits)})
	}
	l.mu.Lock()
	if len(l.anyRegexps) >= maxAnyRegexps {
		clear(l.anyRegexps)
	}
	l.anyRegexps[k] = ps
	l.mu.Unlock()
	return ps, nil
}

// Lifters builds every lifter over one rule source, in the composite's
// order (ttp.md §3.2, engine excluded), with the default artifacts root.
func Lifters(rules func(kind string) []*Rule, opts func() TagOptions, log *slog.Logger) []Tagger {
	return LiftersWith(LifterOptions{Rules: rules, Tag: opts, Log: log})
}

// LiftersWith is Lifters with every option, for a worker that sets
// ArtifactsRoot.
func LiftersWith(o LifterOptions) []Tagger {
	return []Tagger{
		NewBehavioralLifter(o), NewIntelLifter(o), NewCanaryLifter(o), NewEmailLifter(o),
		NewIdentityLifter(o), NewCredentialLifter(o), NewHTTPFingerprintLifter(o), NewIPv6LeakLifter(o),
		NewC2FingerprintLifter(o),
	}
}

// LifterOwner names the lifter owning r ("" for an engine rule or a
// lifter kind nobody owns), for wiring per-lifter rule indexes.
func LifterOwner(r *Rule) string {
	k := r.Lifter()
	if k == "" {
		return ""
	}
	for _, o := range lifterOwnership {
		if o.owns(k) {
			return o.name
		}
	}
	return ""
}

var lifterOwnership = []struct {
	name string
	owns func(string) bool
}{
	{"behavioral", kindPrefix("behavioral_")},
	{"credential", kindPrefix("credential_")},
	{"identity", kindPrefix("identity_")},
	{"intel", kindPrefix("intel_")},
	{"canary_fingerprint", kindPrefix("canary_")},
	{"email", kindPrefix("email_")},
	{"ipv6_leak", kindExactly("ipv6_link_local_leak")},
	{"c2_fingerprint", kindExactly("c2_fingerprint")},
	{"http_fingerprint", kindPrefix("http_fingerprint_")},
}

func ownerOf(name string) func(string) bool {
	for _, o := range lifterOwnership {
		if o.name == name {
			return o.owns
		}
	}
	panic("ttp: no ownership for lifter " + name)
}

func kindPrefix(p string) func(string) bool {
	return func(k string) bool { return strings.HasPrefix(k, p) }
}

func kindExactly(p string) func(string) bool {
	return func(k string) bool { return k == p }
}

// ---- hostile payload coercion ----

// asNum reads a number from any of the shapes a producer may send. NaN,
// infinities, bools and non-numeric strings are absent.
func asNum(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case json.Number:
		g, err := x.Float64()
		if err != nil {
			return 0, false
		}
		f = g
	case string:
		g, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil {
			return 0, false
		}
		f = g
	default:
		// Any Go integer or float a producer built the payload with.
		switch rv := reflect.ValueOf(v); {
		case !rv.IsValid():
			return 0, false
		case rv.CanInt():
			f = float64(rv.Int())
		case rv.CanUint():
			f = float64(rv.Uint())
		case rv.CanFloat():
			f = rv.Float()
		default:
			return 0, false
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// pnum reads a payload number field.
func pnum(p map[string]any, key string) (float64, bool) { return asNum(p[key]) }

// truth reads a boolean: bool, or a "true"/"false"/"1"/"0" string.
func asBool(v any) (val, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes":
			return true, true
		case "false", "0", "no":
			return false, true
		}
	}
	return false, false
}

// isTrue is asBool(p[key]) == true.
func isTrue(p map[string]any, key string) bool {
	b, ok := asBool(p[key])
	return ok && b
}

// isFalse is an explicit false: absence is not false.
func isFalse(p map[string]any, key string) bool {
	b, ok := asBool(p[key])
	return ok && !b
}

// str reads a string field; anything else is "".
func pStr(p map[string]any, key string) string {
	s, _ := p[key].(string)
	return s
}

// strList reads a list of strings: []string, []any (non-strings skipped)
// or a lone string.
func strList(v any) []string {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	}
	return nil
}

// ---- rule parameters (decoded YAML: int, float64, string, bool, []any, map[string]any) ----

func paramFloat(r *Rule, key string, def float64) float64 {
	if v, ok := r.Match.Params[key]; ok {
		if f, ok := asNum(v); ok {
			return f
		}
	}
	return def
}

func paramBool(r *Rule, key string, def bool) bool {
	if v, ok := r.Match.Params[key]; ok {
		if b, ok := asBool(v); ok {
			return b
		}
	}
	return def
}

func paramString(r *Rule, key, def string) string {
	if s, ok := r.Match.Params[key].(string); ok && s != "" {
		return s
	}
	return def
}

func paramStrings(r *Rule, key string) []string {
	return strList(r.Match.Params[key])
}

// paramStringMap reads a map parameter of string values (value → label).
func paramStringMap(r *Rule, key string) map[string]string {
	out := map[string]string{}
	switch m := r.Match.Params[key].(type) {
	case map[string]any:
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	case map[string]string:
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func ruleErr(format string, args ...any) error { return fmt.Errorf(format, args...) }

// mapList reads a list of objects as JSON decodes it ([]any of maps) or as
// a Go producer builds it; non-object entries are skipped.
func mapList(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []map[string]string:
		out := make([]map[string]any, 0, len(x))
		for _, m := range x {
			c := make(map[string]any, len(m))
			for k, v := range m {
				c[k] = v
			}
			out = append(out, c)
		}
		return out
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}
