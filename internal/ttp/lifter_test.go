package ttp

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

var lifterNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ltRule(id, kind string, applies []string, params map[string]any, emits ...Emit) *Rule {
	return &Rule{ID: id, Version: 1, Name: id, AppliesTo: applies,
		Match: Match{Kind: LifterPrefix + kind, Params: params}, Emits: emits}
}

func ltEmit(tactic, tech, sub string, conf float64) Emit {
	return Emit{Tactic: tactic, TechniqueID: tech, SubTechniqueID: sub, Confidence: conf}
}

// testLifterOpts builds options over rules with a log captured in buf.
func ltOpts(buf *bytes.Buffer, rules ...*Rule) LifterOptions {
	return LifterOptions{
		Rules: lifterRuleSource(rules),
		Tag:   func() TagOptions { return TagOptions{Release: "v18.1", Now: lifterNow} },
		Log:   slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func ltTag(t *testing.T, l Tagger, kind string, p map[string]any) []model.TTPTag {
	t.Helper()
	tags, err := l.Tag(context.Background(), Event{SourceKind: kind, SourceID: "s1", AttackerUUID: "a1",
		Payload: p})
	if err != nil {
		t.Fatal(err)
	}
	return tags
}

func ltConf(tags []model.TTPTag) map[string]float64 {
	out := map[string]float64{}
	for _, x := range tags {
		id := x.TechniqueID
		if x.SubTechniqueID != "" {
			id = x.SubTechniqueID
		}
		out[id] = x.Confidence
	}
	return out
}

func ltEvidence(t *testing.T, tag model.TTPTag) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(tag.Evidence, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLifterRuleStateGatesAndCeiling(t *testing.T) {
	past, future := lifterNow.Add(-time.Hour), lifterNow.Add(time.Hour)
	half := 0.5
	tests := []struct {
		name  string
		state RuleState
		want  []float64
	}{
		{"enabled", RuleState{}, []float64{0.85}},
		{"disabled", RuleState{State: model.RuleDisabled}, nil},
		{"expired", RuleState{State: model.RuleClipped, ConfidenceMax: &half, ExpiresAt: &past}, nil},
		{"clipped", RuleState{State: model.RuleClipped, ConfidenceMax: &half, ExpiresAt: &future}, []float64{0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ltRule("R0001", "credential_generic_brute", []string{KindAuthAttempt},
				map[string]any{"fail_threshold": 5}, ltEmit("TA0006", "T1110", "", 0.85))
			r.State = tt.state
			var buf bytes.Buffer
			var got []float64
			for _, x := range ltTag(t, NewCredentialLifter(ltOpts(&buf, r)), KindAuthAttempt,
				map[string]any{"fail_count": 9}) {
				got = append(got, x.Confidence)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("confidences = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLifterMultiEmitGivesDistinctTags(t *testing.T) {
	r := ltRule("R0081", "behavioral_ssh_tunnelling", []string{KindSession}, map[string]any{"min_forwards": 1},
		ltEmit("TA0011", "T1090", "", 0.85), ltEmit("TA0011", "T1572", "", 0.8))
	r.EvidenceFields = []string{"forward_requests"}
	var buf bytes.Buffer
	tags := ltTag(t, NewBehavioralLifter(ltOpts(&buf, r)), KindSession,
		map[string]any{"forward_requests": json.Number("2"), "forward_targets": []any{"10.0.0.5:3389", 7}})
	if len(tags) != 2 || tags[0].UUID == tags[1].UUID {
		t.Fatalf("tags = %+v", tags)
	}
	ev := ltEvidence(t, tags[0])
	if ev["forward_requests"] != 2.0 || !slices.Equal(ev["forward_targets"].([]any), []any{"10.0.0.5:3389"}) {
		t.Errorf("evidence = %v", ev)
	}
}

// TestAbuseIPDBScoreScalesConfidence pins §3.4's worked example: score 30
// on a 0.7 emit is a 0.21 tag, which the lifter returns and the store
// drops (ConfidenceFloor).
func TestAbuseIPDBScoreScalesConfidence(t *testing.T) {
	r := ltRule("R0054", "intel_abuseipdb", []string{KindIntel}, nil,
		ltEmit("TA0006", "T1110", "", 0.7), ltEmit("TA0040", "T1496", "", 0.6), ltEmit("TA0001", "T1566", "", 0.7))
	var buf bytes.Buffer
	l := NewIntelLifter(ltOpts(&buf, r))
	got := ltConf(ltTag(t, l, KindIntel, map[string]any{"abuseipdb_score": 30, "abuseipdb_categories": []any{18.0}}))
	if len(got) != 1 || got["T1110"] != 0.21 || got["T1110"] >= ConfidenceFloor {
		t.Errorf("score 30: %v, want T1110 at 0.21", got)
	}
	// Category 11 adds phishing only at a score of 80 or more.
	got = ltConf(ltTag(t, l, KindIntel, map[string]any{"abuseipdb_score": "79", "categories": []int{11}}))
	if _, ok := got["T1566"]; ok || math.Abs(got["T1496"]-0.474) > 1e-9 {
		t.Errorf("cat 11 at 79: %v", got)
	}
	tags := ltTag(t, l, KindIntel, map[string]any{"abuseipdb_score": 80, "abuseipdb_categories": []any{11, 18}})
	got = ltConf(tags)
	if got["T1566"] != 0.56 || got["T1496"] != 0.48 || got["T1110"] != 0.56 {
		t.Errorf("cat 11 at 80: %v", got)
	}
	for _, x := range tags {
		ev := ltEvidence(t, x)
		cats := ev["abuseipdb_categories"].([]any)
		want := []any{11.0}
		if x.TechniqueID == "T1110" {
			want = []any{18.0}
		}
		if !slices.Equal(cats, want) || ev["abuse_confidence_score"] != 80.0 {
			t.Errorf("%s evidence = %v", x.TechniqueID, ev)
		}
	}
}

func TestGreyNoiseBareMaliciousIsHalfAndYieldsToTags(t *testing.T) {
	r := ltRule("R0055", "intel_greynoise", []string{KindIntel}, nil,
		ltEmit("TA0043", "T1595", "T1595.002", 0.7), ltEmit("TA0011", "T1071", "", 0.7), ltEmit("TA0006", "T1110", "", 0.7),
		ltEmit("TA0042", "T1588", "", 0.7))
	var buf bytes.Buffer
	l := NewIntelLifter(ltOpts(&buf, r))
	tests := []struct {
		p    map[string]any
		want map[string]float64
	}{
		{map[string]any{"greynoise_classification": "malicious"}, map[string]float64{"T1071": 0.35}},
		{map[string]any{"greynoise_classification": "malicious", "greynoise_tags": []any{"Cobalt Strike"}},
			map[string]float64{"T1071": 0.7, "T1588": 0.7}},
		{map[string]any{"greynoise_classification": "malicious", "greynoise_tags": []string{"ssh-bruteforcer"}},
			map[string]float64{"T1071": 0.35, "T1110": 0.7}},
		{map[string]any{"greynoise_classification": "scanner", "greynoise_tags": "Web Crawler"},
			map[string]float64{"T1595.002": 0.7}},
		{map[string]any{"greynoise_classification": "benign"}, map[string]float64{}},
	}
	for i, tt := range tests {
		if got := ltConf(ltTag(t, l, KindIntel, tt.p)); !ltMapsEqual(got, tt.want) {
			t.Errorf("%d: %v, want %v", i, got, tt.want)
		}
	}
}

func ltMapsEqual(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A decision technique the rule does not emit is dropped (the audited
// cascade behaviour), never emitted under another emit.
func TestIntelDecisionMissingFromEmitsIsDropped(t *testing.T) {
	r := ltRule("R0057", "intel_threatfox", []string{KindIntel}, nil, ltEmit("TA0011", "T1071", "", 0.8))
	var buf bytes.Buffer
	tags := ltTag(t, NewIntelLifter(ltOpts(&buf, r)), KindIntel,
		map[string]any{"threat_type": "payload_delivery", "threatfox_ioc_types": []any{"url"}})
	if len(tags) != 0 {
		t.Errorf("tags = %+v", tags)
	}
}

// TestEvidenceAllowlistFiltersInsteadOfRaising covers the original's latent
// bug: R0033 on an email carrying body_text produced keys outside the email
// evidence contract, raising TypeError and losing the event.
func TestEvidenceAllowlistFiltersInsteadOfRaising(t *testing.T) {
	rules := loadLifterRules(t)
	var buf bytes.Buffer
	o := ltOpts(&buf, rules...)
	body := "Pay 0.5 BTC to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2 to decrypt your files."
	tags := ltTag(t, NewBehavioralLifter(o), KindEmail, map[string]any{"body_text": body, "subject": "hi",
		"rcpt_domains": []any{"Decnet.TEST", "decnet.test"}})
	if len(tags) != 1 || tags[0].RuleID != "R0033" {
		t.Fatalf("tags = %+v", tags)
	}
	ev := ltEvidence(t, tags[0])
	for k := range ev {
		if !evidenceAllowlist[KindEmail][k] {
			t.Errorf("email evidence key %q outside the allowlist", k)
		}
	}
	if !slices.Equal(ev["matched_body_kw"].([]any), []any{"btc", "decrypt"}) || strings.Contains(string(tags[0].Evidence), body) {
		t.Errorf("evidence = %v", ev)
	}
	// The email lifter's base evidence: domains only, lowercased and unique.
	tags = ltTag(t, NewEmailLifter(o), KindEmail, map[string]any{"dkim_signed": false, "rcpt_count": "3",
		"rcpt_domains": []any{"Decnet.TEST", "decnet.test", 4}, "body_text": body})
	if len(tags) != 1 || tags[0].RuleID != "R0045" {
		t.Fatalf("email tags = %+v", tags)
	}
	ev = ltEvidence(t, tags[0])
	if !slices.Equal(ev["rcpt_domain_set"].([]any), []any{"decnet.test"}) || ev["rcpt_count"] != 3.0 ||
		!slices.Equal(ev["matched_signals"].([]any), []any{"dkim_unsigned"}) || len(ev["body_sha256"].(string)) != 64 {
		t.Errorf("email evidence = %v", ev)
	}
	// Canary evidence is exactly {metric, matched_signature}.
	tags = ltTag(t, NewCanaryLifter(o), KindCanary, map[string]any{"navigator_webdriver": "true", "ua_signature": "x"})
	if len(tags) != 1 || string(tags[0].Evidence) != `{"matched_signature":"navigator.webdriver_true","metric":"navigator_webdriver"}` {
		t.Errorf("canary tags = %+v", tags)
	}
}

func TestLifterToleratesABrokenRule(t *testing.T) {
	bad := ltRule("R0040", "behavioral_tftp_router_config", []string{KindSession},
		map[string]any{"patterns": []any{"(unclosed"}}, ltEmit("TA0009", "T1602", "T1602.002", 0.9))
	unknown := ltRule("R0098", "behavioral_no_such_predicate", []string{KindSession}, nil,
		ltEmit("TA0009", "T1602", "", 0.9))
	good := ltRule("R0039", "behavioral_llmnr_poisoning", []string{KindSession}, nil,
		ltEmit("TA0009", "T1557", "T1557.001", 0.9))
	var buf bytes.Buffer
	tags := ltTag(t, NewBehavioralLifter(ltOpts(&buf, bad, unknown, good)), KindSession,
		map[string]any{"tftp_filename": "r1-confg", "llmnr_poisoned": true})
	if len(tags) != 1 || tags[0].RuleID != "R0039" {
		t.Errorf("tags = %+v", tags)
	}
	for _, want := range []string{"rule_id=R0040", "no predicate"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestLifterAnchors(t *testing.T) {
	r := ltRule("R0003", "identity_password_spraying", []string{KindIdentity}, nil, ltEmit("TA0006", "T1110", "T1110.003", 0.9))
	var buf bytes.Buffer
	l := NewIdentityLifter(ltOpts(&buf, r))
	p := map[string]any{"shared_password_hash": "ab", "account_count": 4, "attacker_count": 2}
	tags, err := l.Tag(context.Background(), Event{SourceKind: KindIdentity, SourceID: "identity:i1",
		AttackerUUID: "a1", IdentityUUID: "i1", Payload: p})
	if err != nil || len(tags) != 1 || tags[0].AttackerUUID != "" || tags[0].IdentityUUID != "i1" {
		t.Errorf("identity tags = %+v, %v", tags, err)
	}
	tags, err = l.Tag(context.Background(), Event{SourceKind: KindIdentity, SourceID: "identity:", AttackerUUID: "a1",
		Payload: p})
	if err != nil || len(tags) != 0 {
		t.Errorf("anchorless identity: %+v, %v", tags, err)
	}
	if strings.Contains(buf.String(), "level=WARN") {
		t.Errorf("anchorless event logged a warning:\n%s", buf.String())
	}
}

func TestDefaultCredentialsAcceptGoTypedPayloads(t *testing.T) {
	r := ltRule("R0006", "credential_default_credentials", []string{KindAuthAttempt},
		map[string]any{"pairs": []any{map[string]any{"username": "root", "password": ""}, "pi:raspberry"}},
		ltEmit("TA0001", "T1078", "T1078.001", 0.9))
	var buf bytes.Buffer
	l := NewCredentialLifter(ltOpts(&buf, r))
	for _, succ := range []any{
		[]map[string]string{{"username": "pi", "password": "raspberry"}},
		[]map[string]any{{"username": "root", "password": ""}},
		[]any{map[string]any{"username": "pi", "password": "raspberry"}},
	} {
		if tags := ltTag(t, l, KindAuthAttempt, map[string]any{"successes": succ}); len(tags) != 1 {
			t.Errorf("successes %v: %d tags", succ, len(tags))
		}
	}
}

func TestC2FingerprintCatalogue(t *testing.T) {
	r := ltRule("R0030", "c2_fingerprint", []string{KindSession}, nil,
		ltEmit("TA0011", "T1071", "", 0.85), ltEmit("TA0011", "T1071", "T1071.001", 0.9))
	var buf bytes.Buffer
	l := NewC2FingerprintLifter(ltOpts(&buf, r))
	tags := ltTag(t, l, KindSession, map[string]any{"jarm_hashes": []any{
		"2ad2ad0002ad2ad00041d2ad2ad41da5207249a18099be84ef3c8811adc883",
		" 07D14D16D21D21D07C42D41D00041D24A458A375EEF0C576D23A7BAB9A9FB1 "}})
	if got := ltConf(tags); got["T1071"] != 0.85 || got["T1071.001"] != 0.9 {
		t.Errorf("cobalt strike: %v", got)
	}
	if ev := ltEvidence(t, tags[0]); ev["matched_tool"] != "cobalt_strike" || ev["matched_kind"] != "jarm" {
		t.Errorf("evidence = %v", ev)
	}
	tags = ltTag(t, l, KindSession, map[string]any{"jarm_hashes": "2ad2ad0002ad2ad00041d2ad2ad41da5207249a18099be84ef3c8811adc883"})
	if got := ltConf(tags); math.Abs(got["T1071"]-0.595) > 1e-9 || math.Abs(got["T1071.001"]-0.63) > 1e-9 {
		t.Errorf("sliver (stock Go stack, ×0.7): %v", got)
	}
}

func TestEmbeddedLifterData(t *testing.T) {
	c2, intel, err := lifterData()
	if err != nil {
		t.Fatal(err)
	}
	if len(c2["jarm"]) == 0 || len(intel) != len(intelProviders) {
		t.Errorf("c2 kinds %d, intel providers %d", len(c2), len(intel))
	}
	techs, err := LifterDataTechniques()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"T1046", "T1056", "T1071", "T1078", "T1090", "T1105", "T1110", "T1190", "T1496",
		"T1566", "T1588", "T1595"} {
		if !slices.Contains(techs, want) {
			t.Errorf("mapping techniques lack %s: %v", want, techs)
		}
	}
	// AbuseIPDB 4, 10 and 12 stay deliberately unmapped.
	for _, id := range []string{"cat_4", "cat_10", "cat_12"} {
		if _, ok := intel["abuseipdb"].byID[id]; ok {
			t.Errorf("abuseipdb %s is mapped", id)
		}
	}
}

func TestLiftersRoster(t *testing.T) {
	ls := Lifters(nil, nil, nil)
	seen := map[string]bool{}
	for _, l := range ls {
		if seen[l.Name()] || len(l.Handles()) == 0 {
			t.Errorf("lifter %q duplicated or handles nothing", l.Name())
		}
		seen[l.Name()] = true
		tags, err := l.Tag(context.Background(), Event{SourceKind: l.Handles()[0], SourceID: "x", AttackerUUID: "a"})
		if err != nil || len(tags) != 0 {
			t.Errorf("%s with no rules: %v, %v", l.Name(), tags, err)
		}
	}
	if len(ls) != 9 {
		t.Errorf("%d lifters, want 9", len(ls))
	}
	for kind, want := range map[string]string{"lifter:behavioral_beaconing": "behavioral",
		"lifter:ipv6_link_local_leak": "ipv6_leak", "lifter:ipv6_link_local_leakx": "",
		"lifter:c2_fingerprint": "c2_fingerprint", "lifter:http_fingerprint_match": "http_fingerprint",
		"lifter:intel_aggregate_bump": "intel", "": ""} {
		if got := LifterOwner(&Rule{Match: Match{Kind: kind}}); got != want {
			t.Errorf("LifterOwner(%q) = %q, want %q", kind, got, want)
		}
	}
}

// TestLiftersNeverPanicOnHostilePayloads feeds every shipped lifter rule
// payloads whose fields hold every JSON-ish type; a predicate panic would
// be recovered and logged, so the log must stay free of "panic".
func TestLiftersNeverPanicOnHostilePayloads(t *testing.T) {
	rules := loadLifterRules(t)
	var buf bytes.Buffer
	o := ltOpts(&buf, rules...)
	o.ArtifactsRoot = t.TempDir()
	lifters := LiftersWith(o)
	fields := map[string]bool{}
	for _, l := range readLifterCorpus(t, filepath.Join("..", "..", "rules", "ttp", "testdata", "lifters.jsonl")) {
		for k := range l.Payload {
			fields[k] = true
		}
	}
	values := []any{nil, 0, -1, 1e308, math.NaN(), math.Inf(1), json.Number("9"), json.Number("x"), "", "true",
		"1e9", strings.Repeat("A", 70000), true, []any{}, []any{nil, 1, "a", []any{}, map[string]any{}},
		[]string{"a"}, []int{1}, map[string]any{"a": []any{1}}, []map[string]any{{"username": 1}}, struct{}{}}
	for _, v := range values {
		p := map[string]any{}
		for f := range fields {
			p[f] = v
		}
		for _, kind := range KnownKinds {
			for _, l := range lifters {
				if _, err := l.Tag(context.Background(), Event{SourceKind: kind, SourceID: "h", AttackerUUID: "a",
					Payload: p}); err != nil {
					t.Fatalf("%s on %s: %v", l.Name(), kind, err)
				}
			}
		}
	}
	if strings.Contains(buf.String(), "panic") {
		t.Errorf("a predicate panicked:\n%.2000s", buf.String())
	}
}

const testEML = "From: a@example.org\r\nTo: b@decnet.test\r\nSubject: x\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=\"B1\"\r\n\r\n--B1\r\n" +
	"Content-Type: multipart/alternative; boundary=\"B2\"\r\n\r\n--B2\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n<p>html only</p>\r\n--B2\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
	"UGxlYXNlIHRyYW5zZmVyIHRoZSBmdW5kcyB0b2RheS4=\r\n--B2--\r\n--B1--\r\n"

const testHTMLEML = "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html\r\n\r\n" +
	"<html><body><b>Please</b> <i>transfer</i> &amp; keep it confidential</body></html>\r\n"

func TestEmailDiskReach(t *testing.T) {
	root := t.TempDir()
	stored := "2026-06-01T10:00:00Z_0123456789ab_msg.eml"
	if err := os.MkdirAll(filepath.Join(root, "mail-01", "smtp"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(root, "mail-01", "smtp", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(stored, testEML)
	htmlStored := "2026-06-01T10:00:01Z_0123456789ab_msg.eml"
	write(htmlStored, testHTMLEML)
	outside := filepath.Join(t.TempDir(), "secret.eml")
	if err := os.WriteFile(outside, []byte(testHTMLEML), 0o644); err != nil {
		t.Fatal(err)
	}
	linked := "2026-06-01T10:00:02Z_0123456789ab_msg.eml"
	if err := os.Symlink(outside, filepath.Join(root, "mail-01", "smtp", linked)); err != nil {
		t.Fatal(err)
	}
	r := ltRule("R0047", "email_bec_pattern", []string{KindEmail}, map[string]any{
		"subject_keywords": []any{"urgent"}, "body_keywords": []any{"transfer"}}, ltEmit("TA0001", "T1566", "T1566.003", 0.85))
	var buf bytes.Buffer
	o := ltOpts(&buf, r)
	o.ArtifactsRoot = root
	l := NewEmailLifter(o)
	tests := []struct {
		name string
		p    map[string]any
		fire bool
	}{
		{"plain part from disk", map[string]any{"decky_id": "mail-01", "stored_as": stored}, true},
		{"html fallback", map[string]any{"decky_id": "mail-01", "stored_as": htmlStored}, true},
		{"inline body wins", map[string]any{"decky_id": "mail-01", "stored_as": stored, "body_text": "hello"}, false},
		{"traversal in decky", map[string]any{"decky_id": "../mail-01", "stored_as": stored}, false},
		{"bad stored_as", map[string]any{"decky_id": "mail-01", "stored_as": "../../etc/passwd"}, false},
		{"symlink out of root", map[string]any{"decky_id": "mail-01", "stored_as": linked}, false},
		{"missing file", map[string]any{"decky_id": "mail-02", "stored_as": stored}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.p["subject"] = "URGENT request"
			tags := ltTag(t, l, KindEmail, tt.p)
			if (len(tags) == 1) != tt.fire {
				t.Fatalf("tags = %+v, want fire=%v", tags, tt.fire)
			}
			if _, ok := tt.p["body_text"]; ok != (tt.name == "inline body wins") {
				t.Error("the lifter wrote into the shared payload")
			}
			if tt.fire {
				ev := ltEvidence(t, tags[0])
				if ev["body_sha256"] == "" || !slices.Equal(ev["matched_headers"].([]any), []any{"Subject"}) {
					t.Errorf("evidence = %v", ev)
				}
			}
		})
	}
}

func TestIPv6LeakEvidence(t *testing.T) {
	r := ltRule("R0059", "ipv6_link_local_leak", []string{KindIPv6Leak}, nil, ltEmit("TA0011", "T1090", "", 0.85))
	var buf bytes.Buffer
	tags := ltTag(t, NewIPv6LeakLifter(ltOpts(&buf, r)), KindIPv6Leak, map[string]any{
		"addr": "fe80::1%eth0", "iid_kind": "bogus", "vector": "passive_ndp", "attacker_ip": "203.0.113.9",
		"secret": "x"})
	if len(tags) != 1 {
		t.Fatalf("tags = %+v", tags)
	}
	want := `{"addr":"fe80::1","attacker_v4":"203.0.113.9","iid_kind":"unknown","vector":"passive_ndp"}`
	if string(tags[0].Evidence) != want {
		t.Errorf("evidence = %s, want %s", tags[0].Evidence, want)
	}
}

// FuzzEmailBodyExtraction drives the .eml walker and the base64 scan with
// attacker-shaped messages: neither may panic or hang.
func FuzzEmailBodyExtraction(f *testing.F) {
	f.Add([]byte(testEML))
	f.Add([]byte(testHTMLEML))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n--x"))
	r := ltRule("R0048", "email_encoded_payload", []string{KindEmail}, map[string]any{"min_bytes": 16},
		ltEmit("TA0005", "T1027", "", 0.9))
	l := NewEmailLifter(LifterOptions{Rules: lifterRuleSource([]*Rule{r}), Log: slog.New(slog.DiscardHandler)})
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 1<<16 {
			return
		}
		msg, err := mail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			return
		}
		plain, htm := mimeText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
		body := plain + htmlText(htm)
		if _, err := l.Tag(context.Background(), Event{SourceKind: KindEmail, SourceID: "f", AttackerUUID: "a",
			Payload: map[string]any{"body_text": body}}); err != nil {
			t.Fatal(err)
		}
	})
}
