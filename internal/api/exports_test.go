package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/ttp/export/exporttest"
)

// seededGroups are the identities and campaign seedGroups stores.
type seededGroups struct {
	attackers      seededAttackers
	pair, single   string // identities: 192.0.2.10 + 192.0.2.20, and 198.51.100.30
	campaign       string
	mergedCampaign string // merged into campaign
}

// seedGroups stores seedAttackers' three attackers under two live
// identities, both in one campaign (reachable through a merged one too),
// and ATT&CK tags on one attacker of each identity.
func seedGroups(t *testing.T, e *env) seededGroups {
	t.Helper()
	ctx, st := context.Background(), e.users.Store
	g := seededGroups{attackers: seedAttackers(t, e), pair: uuid.NewString(), single: uuid.NewString(),
		campaign: uuid.NewString(), mergedCampaign: uuid.NewString()}
	if err := st.ApplyIdentityPlan(ctx, store.IdentityPlan{
		Formed: []string{g.pair, g.single},
		Links: []store.IdentityLink{
			{AttackerUUID: g.attackers["192.0.2.10"], IdentityUUID: g.pair},
			{AttackerUUID: g.attackers["192.0.2.20"], IdentityUUID: g.pair},
			{AttackerUUID: g.attackers["198.51.100.30"], IdentityUUID: g.single},
		},
		Rollups: []store.IdentityRollup{
			{UUID: g.pair, ObservationCount: 2, FirstSeenAt: tA, LastSeenAt: tA.Add(3 * time.Hour), JA3Hashes: []string{"ja3-a"}},
			{UUID: g.single, ObservationCount: 1, FirstSeenAt: tA, LastSeenAt: tA.Add(2 * time.Hour)},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyCampaignPlan(ctx, store.CampaignPlan{Formed: []string{g.campaign, g.mergedCampaign},
		Assignments: []store.CampaignAssignment{{IdentityUUID: g.pair, CampaignUUID: g.campaign},
			{IdentityUUID: g.single, CampaignUUID: g.mergedCampaign}},
		Rollups: []store.CampaignRollup{{UUID: g.campaign, IdentityCount: 1}, {UUID: g.mergedCampaign, IdentityCount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := st.ApplyCampaignPlan(ctx, store.CampaignPlan{
		Merges: []store.CampaignMerge{{WinnerUUID: g.campaign, LoserUUID: g.mergedCampaign}},
		Rollups: []store.CampaignRollup{{UUID: g.campaign, IdentityCount: 2, FirstSeenAt: tA, LastSeenAt: tA.Add(3 * time.Hour),
			C2Endpoints: []string{"c2.example:443"}}},
	}); err != nil {
		t.Fatal(err)
	}
	tag := func(attacker, identity, source, rule, tech, sub, tactic string) model.TTPTag {
		ev, _ := json.Marshal(map[string]string{"command_text": "cat /etc/passwd"})
		return model.TTPTag{UUID: ttp.TagUUID("command", source, rule, 1, tech, sub), SourceKind: "command", SourceID: source,
			AttackerUUID: attacker, IdentityUUID: identity, Tactic: tactic, TechniqueID: tech, SubTechniqueID: sub,
			Confidence: 0.9, RuleID: rule, RuleVersion: 1, Evidence: ev, AttackRelease: "v18.1", CreatedAt: tA.Add(time.Minute)}
	}
	if _, err := st.InsertTTPTags(ctx, []model.TTPTag{
		tag(g.attackers["192.0.2.10"], g.pair, "g1", "R0013", "T1083", "", "TA0007"),
		tag(g.attackers["192.0.2.10"], g.pair, "g2", "R0015", "T1548", "T1548.001", "TA0004"),
		tag(g.attackers["198.51.100.30"], g.single, "g3", "R0013", "T1083", "", "TA0007"),
	}); err != nil {
		t.Fatal(err)
	}
	return g
}

// newExportEnv starts a server with every store the group exports read
// and returns it with a viewer's token.
func newExportEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Intel, o.Identities, o.Campaigns, o.TTP = st, st, st, st, st
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

// bundleOf checks r is a valid STIX 2.1 bundle downloaded as filename and
// returns its objects by type.
func bundleOf(t *testing.T, r response, filename string) map[string][]map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %.300s", r.status, r.raw)
	}
	if got, want := r.header.Get("Content-Disposition"), `attachment; filename="`+filename+`"`; got != want {
		t.Errorf("Content-Disposition %q; want %q", got, want)
	}
	for _, msg := range exporttest.ValidateSTIX([]byte(r.raw)) {
		t.Error(msg)
	}
	var b struct {
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal([]byte(r.raw), &b); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for _, o := range b.Objects {
		out[o["type"].(string)] = append(out[o["type"].(string)], o)
	}
	return out
}

// attributions lists the target of every attributed-to relationship from
// source.
func attributions(objs map[string][]map[string]any, source string) []string {
	var out []string
	for _, r := range objs["relationship"] {
		if r["relationship_type"] == "attributed-to" && r["source_ref"] == source {
			out = append(out, r["target_ref"].(string))
		}
	}
	return out
}

func TestIdentityExportsMergeTheMembersUnderAnIntrusionSet(t *testing.T) {
	e, viewer := newExportEnv(t)
	g := seedGroups(t, e)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + g.pair + "/export/stix", token: viewer})
	objs := bundleOf(t, r, "decnet-identity-"+g.pair[:8]+".stix.json")
	if len(objs["intrusion-set"]) != 1 || len(objs["threat-actor"]) != 2 || len(objs["identity"]) != 1 {
		t.Fatalf("objects: intrusion-sets %d, threat-actors %d, identities %d", len(objs["intrusion-set"]),
			len(objs["threat-actor"]), len(objs["identity"]))
	}
	set := objs["intrusion-set"][0]
	if set["x_decnet_identity_uuid"] != g.pair || set["x_decnet_attackers_total"] != float64(2) {
		t.Errorf("intrusion-set %v", set)
	}
	want := map[string]bool{}
	for _, a := range objs["threat-actor"] {
		want[a["id"].(string)] = true
	}
	got := map[string]bool{}
	for _, id := range attributions(objs, set["id"].(string)) {
		got[id] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("intrusion-set attributed-to (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.raw, "T1548.001") || !strings.Contains(r.raw, `"uses"`) {
		t.Error("bundle lacks the identity's techniques")
	}

	r = e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + g.pair + "/export/misp", token: viewer})
	if r.status != http.StatusOK || r.header.Get("Content-Disposition") != `attachment; filename="decnet-identity-`+g.pair[:8]+`.misp.json"` {
		t.Fatalf("misp: %d %v", r.status, r.header)
	}
	ev, _ := r.body["Event"].(map[string]any)
	if ev == nil || !strings.Contains(r.raw, "192.0.2.10") || !strings.Contains(r.raw, "192.0.2.20") ||
		!strings.Contains(r.raw, `Setuid and Setgid - T1548.001`) {
		t.Errorf("misp event: %.500s", r.raw)
	}
}

func TestCampaignExportsAttributeTheCampaignToItsIdentities(t *testing.T) {
	e, viewer := newExportEnv(t)
	g := seedGroups(t, e)
	// The merged campaign's uuid resolves to the live one.
	r := e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/" + g.mergedCampaign + "/export/stix", token: viewer})
	objs := bundleOf(t, r, "decnet-campaign-"+g.campaign[:8]+".stix.json")
	if len(objs["campaign"]) != 1 || len(objs["intrusion-set"]) != 2 || len(objs["threat-actor"]) != 3 {
		t.Fatalf("objects: campaigns %d, intrusion-sets %d, threat-actors %d", len(objs["campaign"]),
			len(objs["intrusion-set"]), len(objs["threat-actor"]))
	}
	c := objs["campaign"][0]
	if c["x_decnet_campaign_uuid"] != g.campaign || c["x_decnet_identities_total"] != float64(2) {
		t.Errorf("campaign %v", c)
	}
	var sets []string
	for _, s := range objs["intrusion-set"] {
		sets = append(sets, s["id"].(string))
	}
	if diff := cmp.Diff(sets, attributions(objs, c["id"].(string))); diff != "" {
		t.Errorf("campaign attributed-to (-intrusion-sets +got):\n%s", diff)
	}

	r = e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/" + g.campaign + "/export/misp", token: viewer})
	if r.status != http.StatusOK || r.header.Get("Content-Disposition") != `attachment; filename="decnet-campaign-`+g.campaign[:8]+`.misp.json"` {
		t.Fatalf("misp: %d %v", r.status, r.header)
	}
	for _, ip := range []string{"192.0.2.10", "192.0.2.20", "198.51.100.30"} {
		if !strings.Contains(r.raw, `"value":"`+ip+`"`) {
			t.Errorf("campaign event lacks %s", ip)
		}
	}

	r = e.do(req{method: http.MethodGet, path: "/api/v1/ttp/export/navigator/campaign/" + g.mergedCampaign, token: viewer})
	techs, _ := r.body["techniques"].([]any)
	if r.status != http.StatusOK || r.body["name"] != "DECNET TTP coverage — campaign "+g.campaign || len(techs) != 2 {
		t.Errorf("navigator: %d %s", r.status, r.raw)
	}
}

func TestGroupExportsOfUnknownUUIDsAre404AndNeedAToken(t *testing.T) {
	e, viewer := newExportEnv(t)
	seedGroups(t, e)
	unknown := uuid.NewString()
	for _, tt := range []struct{ path, detail string }{
		{"/api/v1/identities/" + unknown + "/export/stix", "Identity not found"},
		{"/api/v1/identities/" + unknown + "/export/misp", "Identity not found"},
		{"/api/v1/campaigns/" + unknown + "/export/stix", "Campaign not found"},
		{"/api/v1/campaigns/" + unknown + "/export/misp", "Campaign not found"},
		{"/api/v1/ttp/export/navigator/campaign/" + unknown, "Campaign not found"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			wantStatus(t, e.do(req{method: http.MethodGet, path: tt.path, token: viewer}), http.StatusNotFound, tt.detail)
			want401(t, e.do(req{method: http.MethodGet, path: tt.path}))
		})
	}
}

func TestGroupExportsWithoutTheirStoresAnswer503(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	tok := e.token("viewer", viewerPW)
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/identities/x/export/stix", token: tok}),
		http.StatusServiceUnavailable, "identities are not available in this process")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/x/export/misp", token: tok}),
		http.StatusServiceUnavailable, "campaigns are not available in this process")
}

func TestCampaignMemberLimitSharesTheAttackerBudget(t *testing.T) {
	for _, tt := range []struct{ identities, want int }{
		{0, maxIdentityExportAttackers},
		{1, maxIdentityExportAttackers},
		{2, maxIdentityExportAttackers},
		{4, maxCampaignExportAttackers / 4},
		{maxCampaignExportIdentities, maxCampaignExportAttackers / maxCampaignExportIdentities},
		{10 * maxCampaignExportAttackers, 1},
	} {
		if got := campaignMemberLimit(tt.identities); got != tt.want {
			t.Errorf("campaignMemberLimit(%d) = %d; want %d", tt.identities, got, tt.want)
		}
	}
}
