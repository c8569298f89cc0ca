package api

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func newCampaignEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Intel, o.Identities, o.Campaigns = st, st, st, st
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

func TestCampaignRoutesHideMergedAndResolveToTheWinner(t *testing.T) {
	e, tok := newCampaignEnv(t)
	var _ store.CampaignRepository = e.users.Store // the store the app wires must serve these routes
	winnerIdentity, _ := seedIdentities(t, e, seedAttackers(t, e))
	// A second live identity in a campaign merged into the first.
	other := uuid.NewString()
	if err := e.users.ApplyIdentityPlan(context.Background(), store.IdentityPlan{Formed: []string{other},
		Rollups: []store.IdentityRollup{{UUID: other}}}); err != nil {
		t.Fatal(err)
	}
	const c1, c2 = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2"
	ctx := context.Background()
	if err := e.users.ApplyCampaignPlan(ctx, store.CampaignPlan{Formed: []string{c1, c2},
		Assignments: []store.CampaignAssignment{{IdentityUUID: winnerIdentity, CampaignUUID: c1},
			{IdentityUUID: other, CampaignUUID: c2}},
		Rollups: []store.CampaignRollup{{UUID: c1, IdentityCount: 1, C2Endpoints: []string{"c2.example:443"}},
			{UUID: c2, IdentityCount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := e.users.ApplyCampaignPlan(ctx, store.CampaignPlan{
		Merges:  []store.CampaignMerge{{WinnerUUID: c1, LoserUUID: c2}},
		Rollups: []store.CampaignRollup{{UUID: c1, IdentityCount: 2, C2Endpoints: []string{"c2.example:443"}}},
	}); err != nil {
		t.Fatal(err)
	}

	l := getList(t, e, tok, "/api/v1/campaigns")
	if diff := cmp.Diff([]any{c1}, l.column("uuid")); diff != "" || l.Total != 1 || l.Limit != defaultPageSize {
		t.Errorf("total %d; live campaigns (-want +got):\n%s", l.Total, diff)
	}
	for _, id := range []string{c1, c2} {
		r := e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/" + id, token: tok})
		if r.status != http.StatusOK || r.body["uuid"] != c1 || r.body["identity_count_live"] != float64(2) ||
			r.body["identity_count"] != float64(2) {
			t.Errorf("GET /campaigns/%s: %d %s", id, r.status, r.raw)
		}
		if diff := cmp.Diff([]any{"c2.example:443"}, r.body["c2_endpoints"]); diff != "" {
			t.Errorf("c2_endpoints (-want +got):\n%s", diff)
		}
	}
	l = getList(t, e, tok, "/api/v1/campaigns/"+c2+"/identities")
	if l.Total != 2 || len(l.Data) != 2 {
		t.Fatalf("campaign identities %+v", l)
	}
	for _, row := range l.Data {
		if row["campaign_uuid"] != c1 {
			t.Errorf("identity %v: campaign_uuid %v; want the live campaign %s", row["uuid"], row["campaign_uuid"], c1)
		}
	}
	// Identity responses carry the campaign: the stored id and the live
	// one it resolves to.
	r := e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + other, token: tok})
	if r.status != http.StatusOK || r.body["campaign_id"] != c2 || r.body["campaign_uuid"] != c1 {
		t.Errorf("GET /identities/%s: %d %s; want campaign_id %s, campaign_uuid %s", other, r.status, r.raw, c2, c1)
	}
	l = getList(t, e, tok, "/api/v1/identities")
	for _, row := range l.Data {
		if row["campaign_uuid"] != c1 {
			t.Errorf("identity list row %v: campaign_uuid %v", row["uuid"], row["campaign_uuid"])
		}
	}

	unknown := uuid.NewString()
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/" + unknown, token: tok}), http.StatusNotFound, "Campaign not found")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/campaigns/" + unknown + "/identities", token: tok}), http.StatusNotFound, "Campaign not found")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/campaigns?limit=1001", token: tok}), http.StatusUnprocessableEntity, "limit must be an integer from 1 to 1000")
}

func TestCampaignRoutesWithoutAStoreAnswer503(t *testing.T) {
	e := newEnv(t, nil)
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	tok := e.token("viewer", viewerPW)
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/campaigns", token: tok}), http.StatusServiceUnavailable,
		"campaigns are not available in this process")
}
