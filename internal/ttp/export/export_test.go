package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/testenv"
	"github.com/decnet/decnet/internal/ttp/attack"
	"github.com/decnet/decnet/internal/ttp/export/exporttest"
)

var (
	t0  = time.Date(2026, 11, 20, 10, 0, 0, 123_456_789, time.UTC)
	now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
)

// bundle18 is the ATT&CK 18.1 technique subset kept beside the project.
var bundle18 = filepath.Join("..", "..", "..", "..", "shared", "attack", "enterprise-attack-18.1-techniques.json")

func minimal() AttackerExport {
	return AttackerExport{Attacker: model.Attacker{UUID: "0b9e6a0e-3f1c-4a55-9a77-1f2d3c4b5a69", IP: "203.0.113.7"}}
}

func hop(n int) *int { return &n }

func full() AttackerExport {
	in := minimal()
	in.Attacker.FirstSeen, in.Attacker.LastSeen, in.Attacker.EventCount = t0, t0.Add(2*time.Hour), 42
	in.Attacker.DeckyCount = 2
	in.Attacker.CountryCode, in.Attacker.ASN, in.Attacker.ASName = "NL", 64500, "Example Transit"
	in.Attacker.Fingerprints = []model.Fingerprint{
		{Type: "payload_sha256", Value: strings.Repeat("ab", 32), Service: "ssh"},
		{Type: "jarm", Value: "2ad2ad0002ad2ad22c42d42d000000", Service: "https"},
		{Type: "ja3", Value: "e7d705a3286e19ea42f587b344ee6865", Service: "https"},
	}
	in.Attacker.Commands = []model.CommandEntry{
		{Service: "ssh", Decky: "decky-01", Command: "uname -a", Timestamp: t0.Add(time.Minute)},
		{Service: "ssh", Decky: "decky-01", Command: "cat /etc/passwd", Timestamp: t0.Add(2 * time.Minute)},
		{Service: "ssh", Decky: "decky-02", Command: "uname -a", Timestamp: t0.Add(3 * time.Minute)},
		{Service: "ssh", Decky: "decky-02", Command: "  ", Timestamp: t0},
	}
	in.Behavior = &model.AttackerBehavior{AttackerUUID: in.Attacker.UUID, OSGuess: "linux", HopDistance: hop(12),
		ToolGuesses: []string{"hydra"}, KexOrderRaw: []string{"curve25519-sha256"}, TimingStats: json.RawMessage(`{"mean_s":1.5}`)}
	in.Identity = &model.Identity{UUID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a", JA3Hashes: []string{"e7d705a3286e19ea42f587b344ee6865"},
		HASSHHashes: []string{"ec7378c1a92f5a8dde7e8b7a1ddf33d1"}}
	in.Rollups = []model.TechniqueRollup{
		{TechniqueID: "T1110", SubTechniqueID: "T1110.001", Tactic: "TA0006", Count: 3, FirstSeen: t0, LastSeen: t0.Add(time.Hour), ConfidenceMax: 0.9},
		{TechniqueID: "T1059", SubTechniqueID: "T1059.004", Tactic: "TA0002", Count: 2, FirstSeen: t0, LastSeen: t0.Add(time.Hour), ConfidenceMax: 0.7},
		{TechniqueID: "T1082", Tactic: "TA0007", Count: 1, FirstSeen: t0, LastSeen: t0, ConfidenceMax: 0.6},
	}
	in.Tags = []model.TTPTag{
		{UUID: "4fd57b14-c135-544c-97d9-4fabc1051584", SourceKind: "command", SourceID: "c1", AttackerUUID: in.Attacker.UUID, Tactic: "TA0006",
			TechniqueID: "T1110", SubTechniqueID: "T1110.001", Confidence: 0.9, RuleID: "R0001", RuleVersion: 1, CreatedAt: t0},
		{UUID: "9aa491e5-f03b-5d8f-9eb5-161becedcdd6", SourceKind: "command", SourceID: "c2", AttackerUUID: in.Attacker.UUID, Tactic: "TA0007",
			TechniqueID: "T1082", Confidence: 0.6, RuleID: "R0014", RuleVersion: 2, CreatedAt: t0.Add(time.Minute)},
	}
	return in
}

// --- STIX 2.1 validator -------------------------------------------------

// validateSTIX is exporttest.ValidateSTIX, shared with the API's tests so
// every bundle decnet serves meets the same rules.
func validateSTIX(raw []byte) []string { return exporttest.ValidateSTIX(raw) }

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func requireValid(t *testing.T, b Bundle) {
	t.Helper()
	for _, e := range validateSTIX(mustJSON(t, b)) {
		t.Error(e)
	}
}

func types(b Bundle) []string {
	out := make([]string, len(b.Objects))
	for i, o := range b.Objects {
		out[i] = o.Type()
	}
	return out
}

// --- STIX ----------------------------------------------------------------

func TestSTIXMinimalAttackerIsExactlyTheMinimalSet(t *testing.T) {
	b, err := STIXBundle(minimal(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	if diff := cmp.Diff([]string{"identity", "ipv4-addr", "observed-data", "threat-actor"}, types(b)); diff != "" {
		t.Fatalf("objects mismatch (-want +got):\n%s", diff)
	}
	if got := b.Objects[0].ID(); got != "identity--ade09431-1861-567a-a60c-b19ee3d0d6a6" {
		t.Errorf("org id = %s", got)
	}
	if FingerprintExtensionID != "extension-definition--d8390fd8-2f6a-5f04-a091-455029d788b7" {
		t.Errorf("extension id = %s", FingerprintExtensionID)
	}
	actor := b.Objects[3]
	if actor.ID() != "threat-actor--"+uuid.NewSHA1(Namespace, []byte(minimal().Attacker.UUID)).String() ||
		actor["name"] != "DECNET-attacker-0b9e6a0e" {
		t.Errorf("actor = %v", actor)
	}
	if actor["extensions"] != nil || actor["x_decnet_country_code"] != nil {
		t.Errorf("minimal actor carries optional data: %v", actor)
	}
	seen := b.Objects[2]
	if seen["number_observed"] != int64(1) || seen["first_observed"] != "2026-11-26T12:00:00.000Z" {
		t.Errorf("observed-data = %v", seen)
	}
}

func TestSTIXFullAttackerIsValidAndComplete(t *testing.T) {
	in := full()
	b, err := STIXBundle(in, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	count := map[string]int{}
	byID := map[string]Object{}
	for _, o := range b.Objects {
		count[o.Type()]++
		byID[o.ID()] = o
	}
	want := map[string]int{
		"identity": 1, "ipv4-addr": 1, "extension-definition": 1, "threat-actor": 1,
		"attack-pattern": 3, "relationship": 3,
		"sighting":      2 + 2, // one per tag, one per distinct command
		"observed-data": 1 + 2, // the address, one per distinct command
		"process":       2,
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("object counts mismatch (-want +got):\n%s", diff)
	}
	ap := byID["attack-pattern--a9d4b653-6915-42af-98b2-5758c4ceee56"] // MITRE's T1059.004
	if ap == nil {
		t.Fatal("T1059.004 not exported under MITRE's STIX id")
	}
	ref := ap["external_references"].([]map[string]string)[0]
	if ap["name"] != "Unix Shell" || ref["external_id"] != "T1059.004" || ref["url"] != "https://attack.mitre.org/techniques/T1059/004" {
		t.Errorf("attack-pattern = %v", ap)
	}
	actor := byID["threat-actor--"+uuid.NewSHA1(Namespace, []byte(in.Attacker.UUID)).String()]
	if actor["name"] != "DECNET-identity-9f8e7d6c" || actor["x_decnet_asn"] != int64(64500) || actor["x_decnet_country_code"] != "NL" {
		t.Errorf("actor = %v", actor)
	}
	ext := actor["extensions"].(map[string]any)[FingerprintExtensionID].(map[string]any)
	if ext["extension_type"] != "property-extension" ||
		ext["network_behavior"].(map[string]any)["hop_distance"] != 12 ||
		!cmp.Equal(ext["protocol_fingerprints"].(map[string]any)["jarm_hashes"], []string{"2ad2ad0002ad2ad22c42d42d000000"}) {
		t.Errorf("extension = %v", ext)
	}
	for _, o := range b.Objects {
		if o.Type() == "process" && o["command_line"] == "uname -a" {
			return
		}
	}
	t.Error("no process for uname -a")
}

func TestSTIXIdsAreStableAcrossExports(t *testing.T) {
	a, err := STIXBundle(full(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := STIXBundle(full(), nil, now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustJSON(t, a), mustJSON(t, b)) {
		t.Error("re-export of the same data differs")
	}
	m1, _ := STIXBundle(minimal(), nil, now)
	m2, _ := STIXBundle(minimal(), nil, now.Add(time.Hour))
	if m1.ID != m2.ID || !cmp.Equal(ids(m1), ids(m2)) {
		t.Error("ids changed with the export time")
	}
}

func ids(b Bundle) []string {
	out := make([]string, len(b.Objects))
	for i, o := range b.Objects {
		out[i] = o.ID()
	}
	return out
}

func TestSTIXIPv6AndBadInput(t *testing.T) {
	in := minimal()
	in.Attacker.IP = "2001:db8::7"
	b, err := STIXBundle(in, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	if b.Objects[1].Type() != "ipv6-addr" {
		t.Errorf("types = %v", types(b))
	}
	in.Attacker.IP = "not-an-ip"
	if _, err := STIXBundle(in, nil, now); err == nil || !strings.Contains(err.Error(), in.Attacker.UUID) {
		t.Errorf("bad IP: %v", err)
	}
	if _, err := STIXBundle(AttackerExport{}, nil, now); err == nil {
		t.Error("attacker without uuid accepted")
	}
}

func TestSTIXFleetDeduplicatesSharedObjects(t *testing.T) {
	a := full()
	b := full()
	b.Attacker.UUID, b.Attacker.IP, b.Identity, b.Tags = "1c2d3e4f-0000-4000-8000-000000000001", "198.51.100.9", nil, nil
	fleet, err := STIXFleetBundle([]AttackerExport{a, b}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, fleet)
	count := map[string]int{}
	for _, o := range fleet.Objects {
		count[o.Type()]++
	}
	if count["identity"] != 1 || count["attack-pattern"] != 3 || count["threat-actor"] != 2 || count["relationship"] != 6 ||
		count["extension-definition"] != 1 {
		t.Errorf("counts = %v", count)
	}
	again, _ := STIXFleetBundle([]AttackerExport{b, a}, nil, now)
	if again.ID != fleet.ID {
		t.Error("fleet bundle id depends on input order")
	}
	empty, err := STIXFleetBundle(nil, nil, now)
	if err != nil || len(empty.Objects) != 1 {
		t.Errorf("empty fleet = %v, %v", empty, err)
	}
	requireValid(t, empty)
}

func TestSTIXUnknownTechniqueStillResolves(t *testing.T) {
	in := minimal()
	in.Rollups = []model.TechniqueRollup{{TechniqueID: "T1650", Tactic: "TA0042", Count: 1}}
	b, err := STIXBundle(in, attack.Builtin(), now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	for _, o := range b.Objects {
		if o.Type() == "attack-pattern" {
			ref := o["external_references"].([]map[string]string)[0]
			if ref["url"] != "https://attack.mitre.org/techniques/T1650" {
				t.Errorf("fallback pattern = %v", o)
			}
			return
		}
	}
	t.Error("no attack-pattern for a technique outside the built-in subset")
}

func TestSTIXAgreesWithTheLoadedBundle(t *testing.T) {
	if _, err := os.Stat(bundle18); err != nil {
		testenv.Missing(t, "ATT&CK 18.1 bundle not found at "+bundle18)
	}
	cat, err := attack.Load(bundle18)
	if err != nil {
		t.Fatal(err)
	}
	fromBundle, err := STIXBundle(full(), cat, now)
	if err != nil {
		t.Fatal(err)
	}
	fromBuiltin, _ := STIXBundle(full(), nil, now)
	if diff := cmp.Diff(mustJSON(t, fromBuiltin), mustJSON(t, fromBundle)); diff != "" {
		t.Errorf("built-in and loaded catalogues export differently:\n%s", diff)
	}
}

// --- Navigator -----------------------------------------------------------

func TestNavigatorOneRowPerTechniqueWithSubTechniques(t *testing.T) {
	rollups := []model.TechniqueRollup{
		{TechniqueID: "T1059", SubTechniqueID: "T1059.004", Tactic: "TA0002", Count: 2, LastSeen: t0},
		{TechniqueID: "T1110", SubTechniqueID: "T1110.001", Tactic: "TA0006", Count: 3},
		{TechniqueID: "T1110", SubTechniqueID: "T1110.001", Tactic: "TA0006", Count: 4},
		{TechniqueID: "T1078", Tactic: "TA0001", Count: 1},
		{TechniqueID: "T1078", Tactic: "TA0003", Count: 5},
		{TechniqueID: "T1082", Tactic: "TA0040", Count: 1}, // a tactic the technique is not under
	}
	l := Navigator("DECNET TTP coverage — fleet", rollups, nil)
	if l.Versions != (NavigatorVersions{Attack: "18", Navigator: "5.1.0", Layer: "4.5"}) || l.Domain != "enterprise-attack" {
		t.Errorf("versions %+v domain %q", l.Versions, l.Domain)
	}
	got := map[string]NavigatorTechnique{}
	for _, e := range l.Techniques {
		if _, dup := got[e.TechniqueID]; dup {
			t.Errorf("%s repeated", e.TechniqueID)
		}
		got[e.TechniqueID] = e
		if !e.Enabled {
			t.Errorf("%s disabled", e.TechniqueID)
		}
	}
	want := map[string]struct {
		tactic string
		score  int64
	}{
		"T1059.004": {"execution", 2},
		"T1110.001": {"credential-access", 7},
		"T1078":     {"", 6},
		"T1082":     {"", 1},
	}
	if len(got) != len(want) {
		t.Errorf("techniques = %+v", l.Techniques)
	}
	for id, w := range want {
		if e := got[id]; e.Tactic != w.tactic || e.Score != w.score {
			t.Errorf("%s = %+v, want tactic %q score %d", id, e, w.tactic, w.score)
		}
	}
	if l.Gradient == nil || l.Gradient.MaxValue != 7 {
		t.Errorf("gradient = %+v", l.Gradient)
	}
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, l), &m); err != nil {
		t.Fatal(err)
	}
	row := m["techniques"].([]any)[0].(map[string]any)
	for _, k := range []string{"techniqueID", "score", "comment", "enabled"} {
		if _, ok := row[k]; !ok {
			t.Errorf("layer row lacks %q: %v", k, row)
		}
	}
	if empty := Navigator("x", nil, nil); empty.Techniques == nil || empty.Gradient != nil {
		t.Errorf("empty layer = %+v", empty)
	}
}

// --- MISP ----------------------------------------------------------------

// mispCategories carries, from MISP's attribute table, the categories each
// attribute type the exports use may be filed under.
var mispCategories = map[string][]string{
	"ip-src":                  {"Network activity", "Payload delivery", "External analysis"},
	"AS":                      {"Network activity", "Payload delivery", "External analysis"},
	"text":                    {"Other", "Network activity", "Payload delivery", "Artifacts dropped", "Internal reference"},
	"sha256":                  {"Payload delivery", "Artifacts dropped", "Payload installation", "External analysis"},
	"ja3-fingerprint-md5":     {"Network activity", "Payload delivery", "External analysis"},
	"hassh-md5":               {"Network activity", "Payload delivery", "External analysis"},
	"hasshserver-md5":         {"Network activity", "Payload delivery", "External analysis"},
	"jarm-fingerprint":        {"Network activity", "Payload delivery", "External analysis"},
	"x509-fingerprint-sha256": {"Network activity", "Payload delivery", "Artifacts dropped", "External analysis"},
	"user-agent":              {"Network activity", "Payload delivery", "External analysis"},
}

func TestMISPEventShape(t *testing.T) {
	doc := MISPEvent(full(), nil, now)
	ev := doc.Event
	if _, err := uuid.Parse(ev.UUID); err != nil {
		t.Errorf("uuid %q", ev.UUID)
	}
	if ev.Date != "2026-11-20" || ev.Timestamp != fmt.Sprint(t0.Add(2*time.Hour).Unix()) || ev.Orgc.Name != "DECNET" ||
		ev.ThreatLevelID != "2" || ev.Distribution != "0" || ev.Analysis != "1" || !strings.Contains(ev.Info, "203.0.113.7") {
		t.Errorf("event header = %+v", ev)
	}
	types := map[string][]string{}
	for _, a := range ev.Attribute {
		cats, ok := mispCategories[a.Type]
		if !ok {
			t.Errorf("attribute type %q not in MISP's table", a.Type)
		}
		if !contains(cats, a.Category) {
			t.Errorf("%s filed under %q, MISP allows %v", a.Type, a.Category, cats)
		}
		if _, err := uuid.Parse(a.UUID); err != nil || a.Timestamp == "" || a.Distribution != "5" {
			t.Errorf("attribute = %+v", a)
		}
		types[a.Type] = append(types[a.Type], a.Value)
	}
	wantTypes := map[string][]string{
		"ip-src":              {"203.0.113.7"},
		"AS":                  {"64500"},
		"sha256":              {strings.Repeat("ab", 32)},
		"jarm-fingerprint":    {"2ad2ad0002ad2ad22c42d42d000000"},
		"ja3-fingerprint-md5": {"e7d705a3286e19ea42f587b344ee6865"},
		"hassh-md5":           {"ec7378c1a92f5a8dde7e8b7a1ddf33d1"},
		"text":                {"uname -a", "cat /etc/passwd"},
	}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("attributes mismatch (-want +got):\n%s", diff)
	}
	var tags []string
	for _, tg := range ev.Tag {
		tags = append(tags, tg.Name)
	}
	wantTags := []string{
		`misp-galaxy:mitre-attack-pattern="Unix Shell - T1059.004"`,
		`misp-galaxy:mitre-attack-pattern="System Information Discovery - T1082"`,
		`misp-galaxy:mitre-attack-pattern="Password Guessing - T1110.001"`,
	}
	if diff := cmp.Diff(wantTags, tags); diff != "" {
		t.Errorf("tags mismatch (-want +got):\n%s", diff)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(mustJSON(t, doc), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"uuid", "info", "date", "timestamp", "threat_level_id", "analysis", "distribution", "Orgc", "Attribute", "Tag"} {
		if _, ok := m["Event"][k]; !ok {
			t.Errorf("Event lacks %q", k)
		}
	}
	if again := MISPEvent(full(), nil, now.Add(time.Hour)); !cmp.Equal(doc, again) {
		t.Error("re-export differs")
	}
}

func TestMISPMinimalAndFleet(t *testing.T) {
	ev := MISPEvent(minimal(), nil, now).Event
	if len(ev.Attribute) != 1 || ev.Attribute[0].Type != "ip-src" || len(ev.Tag) != 0 || ev.ThreatLevelID != "3" {
		t.Errorf("minimal event = %+v", ev)
	}
	fleet := MISPFleet([]AttackerExport{minimal(), full()}, nil, now)
	var m map[string][]map[string]any
	if err := json.Unmarshal(mustJSON(t, fleet), &m); err != nil {
		t.Fatal(err)
	}
	if len(m["response"]) != 2 || m["response"][0]["Event"] == nil {
		t.Errorf("fleet = %v", m)
	}
	if empty := mustJSON(t, MISPFleet(nil, nil, now)); string(empty) != `{"response":[]}` {
		t.Errorf("empty fleet = %s", empty)
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestValidatorCatchesViolations(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(b Bundle)
		want   string
	}{
		{"timestamp without millis", func(b Bundle) { b.Objects[0]["created"] = "2026-01-01T00:00:00Z" }, "milliseconds"},
		{"dangling ref", func(b Bundle) { b.Objects[3]["created_by_ref"] = "identity--00000000-0000-4000-8000-000000000000" }, "does not resolve"},
		{"bad id", func(b Bundle) { b.Objects[3]["id"] = "threat-actor--nope" }, "id is not"},
		{"spec_version", func(b Bundle) { delete(b.Objects[1], "spec_version") }, "spec_version"},
		{"required", func(b Bundle) { delete(b.Objects[3], "name") }, "missing required name"},
		{"observed nothing", func(b Bundle) { b.Objects[2]["number_observed"] = 0 }, "number_observed"},
		{"SCO id", func(b Bundle) { b.Objects[1]["value"] = "203.0.113.8" }, "deterministic id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := STIXBundle(minimal(), nil, now)
			if err != nil {
				t.Fatal(err)
			}
			tt.mutate(b)
			errs := validateSTIX(mustJSON(t, b))
			if !strings.Contains(strings.Join(errs, "\n"), tt.want) {
				t.Errorf("errors %q lack %q", errs, tt.want)
			}
		})
	}
}
