package export

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

// twoMemberIdentity is an identity with two attackers: full() and a second
// address that shares the T1110.001 technique.
func twoMemberIdentity() IdentityExport {
	a := full()
	b := minimal()
	b.Attacker.UUID, b.Attacker.IP = "1c2d3e4f-0000-4000-8000-000000000001", "198.51.100.9"
	b.Attacker.FirstSeen, b.Attacker.LastSeen = t0.Add(-time.Hour), t0.Add(5*time.Hour)
	b.Rollups = []model.TechniqueRollup{{TechniqueID: "T1110", SubTechniqueID: "T1110.001", Tactic: "TA0006", Count: 1,
		FirstSeen: t0.Add(-time.Hour), LastSeen: t0}}
	conf := 0.8
	ident := *a.Identity
	ident.FirstSeenAt, ident.LastSeenAt, ident.Confidence, ident.ObservationCount = t0.Add(-time.Hour), t0.Add(5*time.Hour), &conf, 3
	ident.C2Endpoints = []string{"c2.example:443"}
	return IdentityExport{Identity: ident, Members: []AttackerExport{a, b}, MemberTotal: 3,
		Rollups: append(append([]model.TechniqueRollup(nil), a.Rollups...), b.Rollups...)}
}

// byType indexes a bundle's objects by type.
func byType(b Bundle) map[string][]Object {
	out := map[string][]Object{}
	for _, o := range b.Objects {
		out[o.Type()] = append(out[o.Type()], o)
	}
	return out
}

// rels lists "type source→target" for every relationship of a bundle whose
// type is typ.
func rels(b Bundle, typ string) []string {
	var out []string
	for _, o := range b.Objects {
		if o.Type() == "relationship" && o["relationship_type"] == typ {
			out = append(out, o["source_ref"].(string)+"→"+o["target_ref"].(string))
		}
	}
	return out
}

func TestSTIXIdentityBundleMergesMembersUnderAnIntrusionSet(t *testing.T) {
	in := twoMemberIdentity()
	b, err := STIXIdentityBundle(in, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	objs := byType(b)
	if len(objs["identity"]) != 1 || len(objs["extension-definition"]) != 1 || len(objs["threat-actor"]) != 2 ||
		len(objs["attack-pattern"]) != 3 || len(objs["intrusion-set"]) != 1 {
		t.Fatalf("object counts: %v", types(b))
	}
	set := objs["intrusion-set"][0]
	setID := IntrusionSetID(in.Identity.UUID)
	if set.ID() != setID || set["name"] != "DECNET-identity-9f8e7d6c" || set["confidence"] != 80 ||
		set["first_seen"] != stixTime(t0.Add(-time.Hour)) || set["last_seen"] != stixTime(t0.Add(5*time.Hour)) ||
		set["x_decnet_attackers_total"] != int64(3) || set["x_decnet_attackers_exported"] != 2 {
		t.Errorf("intrusion-set = %v", set)
	}
	if !strings.Contains(set["description"].(string), "3 attacker addresses, 2 in this export") {
		t.Errorf("description %q does not say the export was capped", set["description"])
	}
	ext := set["extensions"].(map[string]any)[FingerprintExtensionID].(map[string]any)
	if diff := cmp.Diff([]string{"c2.example:443"}, ext["protocol_fingerprints"].(map[string]any)["c2_endpoints"]); diff != "" {
		t.Errorf("identity fingerprints (-want +got):\n%s", diff)
	}
	for _, a := range objs["threat-actor"] {
		if a["name"] != "DECNET-identity-9f8e7d6c" {
			t.Errorf("member actor %v not named after the identity", a["name"])
		}
	}
	wantAttributed := []string{
		setID + "→" + ThreatActorID(in.Members[0].Attacker.UUID),
		setID + "→" + ThreatActorID(in.Members[1].Attacker.UUID),
	}
	if diff := cmp.Diff(wantAttributed, rels(b, "attributed-to")); diff != "" {
		t.Errorf("attributed-to (-want +got):\n%s", diff)
	}
	var setUses int
	for _, r := range rels(b, "uses") {
		if strings.HasPrefix(r, setID+"→") {
			setUses++
		}
	}
	if setUses != 3 {
		t.Errorf("intrusion-set uses %d techniques; want 3: %v", setUses, rels(b, "uses"))
	}
	again, err := STIXIdentityBundle(twoMemberIdentity(), nil, now.Add(time.Hour))
	if err != nil || !cmp.Equal(b, again) {
		t.Error("re-export differs")
	}
	if _, err := STIXIdentityBundle(IdentityExport{}, nil, now); err == nil {
		t.Error("identity without uuid accepted")
	}
	bad := twoMemberIdentity()
	bad.Members[1].Attacker.IP = "nope"
	if _, err := STIXIdentityBundle(bad, nil, now); err == nil {
		t.Error("member without an IP accepted")
	}
}

func TestSTIXIdentityBundleWithoutMembers(t *testing.T) {
	b, err := STIXIdentityBundle(IdentityExport{Identity: model.Identity{UUID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"}}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	if diff := cmp.Diff([]string{"identity", "intrusion-set"}, types(b)); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestSTIXCampaignBundleAttributesTheCampaignToItsIdentities(t *testing.T) {
	first := twoMemberIdentity()
	second := IdentityExport{Identity: model.Identity{UUID: "2a3b4c5d-0000-4000-8000-000000000002", FirstSeenAt: t0, LastSeenAt: t0},
		MemberTotal: 1}
	m := minimal()
	m.Attacker.UUID, m.Attacker.IP = "3c4d5e6f-0000-4000-8000-000000000003", "2001:db8::7"
	m.Tags = []model.TTPTag{{UUID: "7aa491e5-f03b-5d8f-9eb5-161becedcdd7", TechniqueID: "T1082", Tactic: "TA0007", CreatedAt: t0}}
	second.Members = []AttackerExport{m}
	conf := 0.5
	in := CampaignExport{
		Campaign: model.Campaign{UUID: "c0ffee00-0000-4000-8000-0000000000c1", Confidence: &conf,
			C2Endpoints: []string{"c2.example:443"}},
		Rollups: []model.TechniqueRollup{
			{TechniqueID: "T1110", SubTechniqueID: "T1110.001", Tactic: "TA0006", Count: 4, IdentityCount: 1, FirstSeen: t0, LastSeen: t0},
			{TechniqueID: "T1082", Tactic: "TA0007", Count: 2, IdentityCount: 2, FirstSeen: t0, LastSeen: t0},
		},
		Identities:    []IdentityExport{first, second},
		IdentityTotal: 2,
	}
	b, err := STIXCampaignBundle(in, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	requireValid(t, b)
	objs := byType(b)
	if len(objs["campaign"]) != 1 || len(objs["intrusion-set"]) != 2 || len(objs["threat-actor"]) != 3 ||
		len(objs["identity"]) != 1 || len(objs["attack-pattern"]) != 3 {
		t.Fatalf("object counts: %v", types(b))
	}
	c := objs["campaign"][0]
	campID := CampaignID(in.Campaign.UUID)
	// The campaign has no stored window: it spans its identities.
	if c.ID() != campID || c["name"] != "DECNET-campaign-c0ffee00" || c["confidence"] != 50 ||
		c["first_seen"] != stixTime(t0.Add(-time.Hour)) || c["last_seen"] != stixTime(t0.Add(5*time.Hour)) ||
		c["x_decnet_identities_exported"] != 2 {
		t.Errorf("campaign = %v", c)
	}
	var attributed, uses []string
	for _, r := range rels(b, "attributed-to") {
		if strings.HasPrefix(r, campID+"→") {
			attributed = append(attributed, r)
		}
	}
	for _, r := range rels(b, "uses") {
		if strings.HasPrefix(r, campID+"→") {
			uses = append(uses, r)
		}
	}
	want := []string{campID + "→" + IntrusionSetID(first.Identity.UUID), campID + "→" + IntrusionSetID(second.Identity.UUID)}
	if diff := cmp.Diff(want, attributed); diff != "" {
		t.Errorf("campaign attributed-to (-want +got):\n%s", diff)
	}
	if len(uses) != 2 {
		t.Errorf("campaign uses %v; want its 2 rollup techniques", uses)
	}
	if _, err := STIXCampaignBundle(CampaignExport{}, nil, now); err == nil {
		t.Error("campaign without uuid accepted")
	}
}

func TestValidatorRejectsTheReverseAttribution(t *testing.T) {
	b, err := STIXIdentityBundle(twoMemberIdentity(), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range b.Objects {
		if o["relationship_type"] == "attributed-to" {
			o["source_ref"], o["target_ref"] = o["target_ref"], o["source_ref"]
		}
	}
	if errs := strings.Join(validateSTIX(mustJSON(t, b)), "\n"); !strings.Contains(errs, "attributed-to threat-actor → intrusion-set") {
		t.Errorf("reverse attribution passed: %q", errs)
	}
}

func TestMISPIdentityAndCampaignEvents(t *testing.T) {
	in := twoMemberIdentity()
	ev := MISPIdentityEvent(in, nil, now).Event
	if ev.Info != "DECNET honeypot: identity 9f8e7d6c (2 of 3 attacker addresses)" || ev.Date != "2026-11-20" ||
		ev.Timestamp != fmt.Sprint(t0.Add(5*time.Hour).Unix()) || ev.ThreatLevelID != MISPThreatMedium {
		t.Errorf("identity event header = %+v", ev)
	}
	var ips []string
	for _, a := range ev.Attribute {
		if a.Type == "ip-src" {
			ips = append(ips, a.Value)
		}
		cats, ok := mispCategories[a.Type]
		if !ok || !contains(cats, a.Category) {
			t.Errorf("attribute %s filed under %q", a.Type, a.Category)
		}
	}
	if diff := cmp.Diff([]string{"203.0.113.7", "198.51.100.9"}, ips); diff != "" {
		t.Errorf("member addresses (-want +got):\n%s", diff)
	}
	if len(ev.Tag) != 3 {
		t.Errorf("tags = %v", ev.Tag)
	}
	if again := MISPIdentityEvent(twoMemberIdentity(), nil, now.Add(time.Hour)); !cmp.Equal(ev, again.Event) {
		t.Error("re-export differs")
	}

	cm := CampaignExport{Campaign: model.Campaign{UUID: "c0ffee00-0000-4000-8000-0000000000c1"},
		Identities: []IdentityExport{in, {Identity: model.Identity{UUID: "2a3b4c5d-0000-4000-8000-000000000002"}}}, IdentityTotal: 2,
		Rollups: []model.TechniqueRollup{{TechniqueID: "T1046", Tactic: "TA0007", Count: 1}}}
	cev := MISPCampaignEvent(cm, nil, now).Event
	if cev.Info != "DECNET honeypot: campaign c0ffee00 (2 identities)" || cev.UUID == ev.UUID || len(cev.Tag) != 4 {
		t.Errorf("campaign event = %+v", cev)
	}
	empty := MISPCampaignEvent(CampaignExport{Campaign: model.Campaign{UUID: "c0ffee00-0000-4000-8000-0000000000c2"}}, nil, now).Event
	if empty.Date != "2026-11-26" || len(empty.Attribute) != 0 || empty.ThreatLevelID != MISPThreatLow ||
		empty.Info != "DECNET honeypot: campaign c0ffee00 (0 identities)" {
		t.Errorf("empty campaign event = %+v", empty)
	}
}
