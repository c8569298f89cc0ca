package attack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/testenv"
)

// bundle18 is the ATT&CK 18.1 technique subset kept beside the project
// (/work/shared/attack), read in place and never copied in.
var bundle18 = filepath.Join("..", "..", "..", "..", "shared", "attack", "enterprise-attack-18.1-techniques.json")

func load18(t *testing.T) *Catalog {
	t.Helper()
	if _, err := os.Stat(bundle18); err != nil {
		testenv.Missing(t, "ATT&CK 18.1 bundle not found at "+bundle18)
	}
	c, err := Load(bundle18)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoad18NamesURLsAndRelease(t *testing.T) {
	c := load18(t)
	if got := c.Release(); got != "v18.1" {
		t.Errorf("Release = %q, want v18.1", got)
	}
	if c.Major() != "18" || c.Subset() || c.Source() != bundle18 {
		t.Errorf("Major %q Subset %v Source %q", c.Major(), c.Subset(), c.Source())
	}
	tests := []struct{ id, name, url string }{
		{"T1059", "Command and Scripting Interpreter", "https://attack.mitre.org/techniques/T1059"},
		{"T1059.004", "Command and Scripting Interpreter: Unix Shell", "https://attack.mitre.org/techniques/T1059/004"},
		{"T1110.001", "Brute Force: Password Guessing", "https://attack.mitre.org/techniques/T1110/001"},
		{"T1078", "Valid Accounts", "https://attack.mitre.org/techniques/T1078"},
	}
	for _, tt := range tests {
		name, ok := c.TechniqueName(tt.id)
		if !ok || name != tt.name {
			t.Errorf("TechniqueName(%s) = %q, %v; want %q", tt.id, name, ok, tt.name)
		}
		if got := c.URL(tt.id); got != tt.url {
			t.Errorf("URL(%s) = %q, want %q", tt.id, got, tt.url)
		}
	}
	if got := c.STIXID("T1059.004"); got != "attack-pattern--a9d4b653-6915-42af-98b2-5758c4ceee56" {
		t.Errorf("STIXID(T1059.004) = %q", got)
	}
	if name, ok := c.TacticName("TA0006"); !ok || name != "Credential Access" {
		t.Errorf("TacticName(TA0006) = %q, %v", name, ok)
	}
	if name, ok := c.TacticName("credential-access"); !ok || name != "Credential Access" {
		t.Errorf("TacticName(credential-access) = %q, %v", name, ok)
	}
	n := c.Counts()
	if n.Tactics != 14 || n.Techniques < 200 || n.SubTechniques < 400 || n.Groups != 0 {
		t.Errorf("counts = %+v", n)
	}
	if tech, _ := c.Technique("T1059.004"); !tech.SubTechnique || !cmp.Equal(tech.Tactics, []string{"execution"}) {
		t.Errorf("T1059.004 = %+v", tech)
	}
}

func TestLoad18ExcludesRevokedAndDeprecated(t *testing.T) {
	c := load18(t)
	// The subset's README: 835 attack-patterns, 132 revoked, 12 deprecated.
	n := c.Counts()
	if got := n.Techniques + n.SubTechniques; got != 835-132-12 {
		t.Errorf("current techniques = %d, want %d", got, 835-132-12)
	}
	// T1066 "Indicator Removal from Tools" is revoked in 18.1.
	if c.TechniqueExists("T1066") {
		t.Error("revoked T1066 loaded")
	}
	if _, ok := c.TechniqueName("T9999"); ok || c.URL("T9999") != "" || c.STIXID("T9999") != "" {
		t.Error("unknown id resolved")
	}
}

func TestBuiltinAgreesWithThe18Bundle(t *testing.T) {
	c := load18(t)
	b := Builtin()
	if b.Release() != c.Release() || !b.Subset() || b.Source() != BuiltinSource {
		t.Errorf("builtin release %q subset %v source %q", b.Release(), b.Subset(), b.Source())
	}
	for _, bt := range b.Techniques() {
		want, ok := c.Technique(bt.ID)
		if !ok {
			t.Errorf("%s: not a current technique in 18.1", bt.ID)
			continue
		}
		if diff := cmp.Diff(want, bt); diff != "" {
			t.Errorf("%s mismatch (-bundle +builtin):\n%s", bt.ID, diff)
		}
		wn, _ := c.TechniqueName(bt.ID)
		if bn, _ := b.TechniqueName(bt.ID); bn != wn {
			t.Errorf("%s name %q, bundle %q", bt.ID, bn, wn)
		}
		if p, _, sub := strings.Cut(bt.ID, "."); sub && !b.TechniqueExists(p) {
			t.Errorf("%s: parent %s missing", bt.ID, p)
		}
	}
	for _, tac := range c.Tactics() {
		got, ok := b.Tactic(tac.ID)
		if !ok || got != tac {
			t.Errorf("tactic %s: builtin %+v, bundle %+v", tac.ID, got, tac)
		}
	}
}

func TestBuiltinCoversTheRulesTechniquesAndICSTactics(t *testing.T) {
	b := Builtin()
	for _, id := range []string{"T1110.001", "T1059.004", "T1003.008", "T1602.002", "T1027.010", "T1003", "T1602"} {
		if !b.TechniqueExists(id) {
			t.Errorf("builtin lacks %s", id)
		}
	}
	for _, id := range []string{"TA0001", "TA0043", "TA0100", "TA0102", "TA0105", "TA0106"} {
		if !b.TacticExists(id) {
			t.Errorf("builtin lacks tactic %s", id)
		}
	}
	if name, _ := b.TacticName("TA0106"); name != "Impair Process Control" {
		t.Errorf("TA0106 = %q", name)
	}
	if got := b.URL("T1059.004"); got != "https://attack.mitre.org/techniques/T1059/004" {
		t.Errorf("URL = %q", got)
	}
	if b.Counts().Groups != 0 || b.GroupsUsing("T1110") != nil {
		t.Error("builtin claims groups")
	}
}

// miniBundle is a hand-written bundle exercising what the 18.1 subset lacks:
// the collection version, intrusion sets and "uses" relationships.
const miniBundle = `{"type":"bundle","id":"bundle--1","objects":[
 {"type":"relationship","id":"relationship--1","relationship_type":"uses",
  "source_ref":"intrusion-set--b","target_ref":"attack-pattern--t1110"},
 {"type":"relationship","id":"relationship--2","relationship_type":"uses",
  "source_ref":"intrusion-set--a","target_ref":"attack-pattern--t1110"},
 {"type":"relationship","id":"relationship--3","relationship_type":"uses",
  "source_ref":"intrusion-set--a","target_ref":"attack-pattern--t1110-001"},
 {"type":"relationship","id":"relationship--4","relationship_type":"mitigates",
  "source_ref":"course-of-action--x","target_ref":"attack-pattern--t1110"},
 {"type":"relationship","id":"relationship--5","relationship_type":"uses",
  "source_ref":"intrusion-set--old","target_ref":"attack-pattern--t1110"},
 {"type":"relationship","id":"relationship--6","relationship_type":"uses","revoked":true,
  "source_ref":"intrusion-set--c","target_ref":"attack-pattern--t1110"},
 {"type":"x-mitre-collection","id":"x-mitre-collection--1","name":"Enterprise ATT&CK","x_mitre_version":"17.0"},
 {"type":"x-mitre-tactic","id":"x-mitre-tactic--ca","name":"Credential Access","x_mitre_shortname":"credential-access",
  "external_references":[{"source_name":"mitre-attack","external_id":"TA0006","url":"https://attack.mitre.org/tactics/TA0006"}]},
 {"type":"attack-pattern","id":"attack-pattern--t1110","name":"Brute Force","description":"long text",
  "kill_chain_phases":[{"kill_chain_name":"mitre-attack","phase_name":"credential-access"}],
  "external_references":[{"source_name":"mitre-attack","external_id":"T1110","url":"https://attack.mitre.org/techniques/T1110"},
   {"source_name":"other","external_id":"X1"}]},
 {"type":"attack-pattern","id":"attack-pattern--t1110-001","name":"Password Guessing","x_mitre_is_subtechnique":true,
  "external_references":[{"source_name":"mitre-attack","external_id":"T1110.001","url":"https://attack.mitre.org/techniques/T1110/001"}]},
 {"type":"attack-pattern","id":"attack-pattern--old","name":"Old","revoked":true,
  "external_references":[{"source_name":"mitre-attack","external_id":"T1000","url":"https://attack.mitre.org/techniques/T1000"}]},
 {"type":"attack-pattern","id":"attack-pattern--dep","name":"Dep","x_mitre_deprecated":true,
  "external_references":[{"source_name":"mitre-attack","external_id":"T1001","url":"https://attack.mitre.org/techniques/T1001"}]},
 {"type":"intrusion-set","id":"intrusion-set--a","name":"APT Alpha","aliases":["APT Alpha","Alpha Bear"],
  "external_references":[{"source_name":"mitre-attack","external_id":"G0002","url":"https://attack.mitre.org/groups/G0002"}]},
 {"type":"intrusion-set","id":"intrusion-set--b","name":"Beta Team","aliases":["Beta Team"],
  "external_references":[{"source_name":"mitre-attack","external_id":"G0001","url":"https://attack.mitre.org/groups/G0001"}]},
 {"type":"intrusion-set","id":"intrusion-set--c","name":"Gamma","aliases":["Gamma"],
  "external_references":[{"source_name":"mitre-attack","external_id":"G0003","url":"https://attack.mitre.org/groups/G0003"}]},
 {"type":"intrusion-set","id":"intrusion-set--old","name":"Gone","revoked":true,
  "external_references":[{"source_name":"mitre-attack","external_id":"G0009","url":"https://attack.mitre.org/groups/G0009"}]}
]}`

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGroupsUsingIsSortedAndExact(t *testing.T) {
	c, err := Load(writeFile(t, "enterprise-attack.json", miniBundle))
	if err != nil {
		t.Fatal(err)
	}
	if c.Release() != "v17.0" {
		t.Errorf("Release = %q: the collection's version must win", c.Release())
	}
	want := []Group{
		{ID: "G0001", Name: "Beta Team", Aliases: []string{"Beta Team"}, URL: "https://attack.mitre.org/groups/G0001"},
		{ID: "G0002", Name: "APT Alpha", Aliases: []string{"APT Alpha", "Alpha Bear"}, URL: "https://attack.mitre.org/groups/G0002"},
	}
	if diff := cmp.Diff(want, c.GroupsUsing("T1110")); diff != "" {
		t.Errorf("GroupsUsing(T1110) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want[1:], c.GroupsUsing("T1110.001")); diff != "" {
		t.Errorf("GroupsUsing(T1110.001) mismatch (-want +got):\n%s", diff)
	}
	if got := c.GroupsUsing("T1078"); got != nil {
		t.Errorf("GroupsUsing(T1078) = %v", got)
	}
	if c.TechniqueExists("T1000") || c.TechniqueExists("T1001") {
		t.Error("revoked or deprecated technique loaded")
	}
	if n := c.Counts(); n != (Counts{Tactics: 1, Techniques: 1, SubTechniques: 1, Groups: 3, GroupUses: 3}) {
		t.Errorf("counts = %+v", n)
	}
}

func TestReleaseFallbacks(t *testing.T) {
	tests := []struct{ collection, name, spec, want string }{
		{"18.1", "x.json", "3.3.0", "v18.1"},
		{"", "enterprise-attack-18.1.json", "3.3.0", "v18.1"},
		{"", "enterprise-attack-18.1-techniques.json", "", "v18.1"},
		{"", "enterprise-attack.json", "3.3.0", "spec-3.3.0"},
		{"", "enterprise-attack.json", "", "unknown"},
	}
	for _, tt := range tests {
		c := &Catalog{release: releaseOf(tt.collection, tt.name, tt.spec)}
		if got := c.Release(); got != tt.want {
			t.Errorf("releaseOf(%q,%q,%q) = %q, want %q", tt.collection, tt.name, tt.spec, got, tt.want)
		}
	}
	if !versionLess("3.2.0", "3.10.0") || versionLess("3.3.0", "3.2.0") || !versionLess("", "1") {
		t.Error("versionLess")
	}
}

func TestLoadErrorsAreOneLineNamingTheSetting(t *testing.T) {
	tests := []struct{ name, path, want string }{
		{"missing", filepath.Join(t.TempDir(), "nope.json"), "no such file"},
		{"corrupt", writeFile(t, "bad.json", `{"type":"bundle","objects":[{"type":"attack-pattern",`), "invalid JSON"},
		{"not JSON", writeFile(t, "text.json", "hello"), "not a STIX bundle"},
		{"array", writeFile(t, "arr.json", `[1,2]`), "not a STIX bundle"},
		{"no objects", writeFile(t, "empty.json", `{"type":"bundle","id":"bundle--1"}`), "no \"objects\""},
		{"no techniques", writeFile(t, "none.json", `{"type":"bundle","objects":[]}`), "no ATT&CK techniques"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range []string{tt.path, "DECNET_ATTACK_BUNDLE", tt.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}

func TestValidateListsEveryUnknownID(t *testing.T) {
	b := Builtin()
	if err := b.Validate([]string{"T1110", "T1110.001"}, []string{"TA0006", "TA0100"}, nil); err != nil {
		t.Errorf("known ids: %v", err)
	}
	err := b.Validate([]string{"T1110", "T9999", "T1110.999", "T9999"}, []string{"TA0006", "TA9999", "TA0200"}, []string{"TA0200"})
	if err == nil {
		t.Fatal("unknown ids accepted")
	}
	want := "unknown ATT&CK ids in v18.1 (built-in subset): techniques T1110.999, T9999; tactics TA9999"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
}
