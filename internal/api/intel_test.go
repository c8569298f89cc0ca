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

func TestListCredentialsFiltersSearchesAndPages(t *testing.T) {
	e, tok := newIntelEnv(t)
	seedAttackers(t, e)
	tests := []struct {
		query     string
		want      []any
		wantTotal int64
	}{
		{"", []any{"oracle", "admin", "root"}, 3},
		{queryOf("attacker_ip", "192.0.2.10"), []any{"admin", "root"}, 2},
		{queryOf("attacker_ip", "null", "service", "undefined", "search", "NULL"), []any{"oracle", "admin", "root"}, 3},
		{queryOf("service", "ssh", "search", "ADM"), []any{"admin"}, 1},
		{queryOf("search", "pwroot"), []any{"root"}, 1},
		{queryOf("search", "_"), []any{}, 0},
		{queryOf("service", "ftp"), []any{}, 0},
		{queryOf("limit", "1", "offset", "2"), []any{"root"}, 3},
	}
	for _, tt := range tests {
		l := getList(t, e, tok, "/api/v1/credentials?"+tt.query)
		if diff := cmp.Diff(tt.want, l.column("principal")); diff != "" || l.Total != tt.wantTotal {
			t.Errorf("%q: total %d (want %d); principals (-want +got):\n%s", tt.query, l.Total, tt.wantTotal, diff)
		}
	}
	l := getList(t, e, tok, "/api/v1/credentials?limit=2&offset=1")
	if l.Limit != 2 || l.Offset != 1 {
		t.Errorf("envelope %+v", l)
	}
	if f, ok := l.Data[0]["fields"].(map[string]any); !ok || f["username"] != "admin" {
		t.Errorf("fields = %v; want a decoded object", l.Data[0]["fields"])
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/credentials?offset=x", token: tok}),
		http.StatusUnprocessableEntity, "offset must be an integer from 0 to 2147483647")
}

func TestListBountyFiltersSearchesAndDecodesPayloads(t *testing.T) {
	e, tok := newIntelEnv(t)
	seedAttackers(t, e)
	l := getList(t, e, tok, "/api/v1/bounty")
	if l.Total != 13 || len(l.Data) != 13 || l.Limit != defaultPageSize {
		t.Fatalf("total %d, %d rows, limit %d; want 13, 13, %d", l.Total, len(l.Data), l.Limit, defaultPageSize)
	}
	newest := l.Data[0]
	if newest["bounty_type"] != model.BountyFingerprint || newest["payload"].(map[string]any)["hassh"] != "abc" ||
		newest["attacker_ip"] != "192.0.2.10" || newest["service"] != "ssh" {
		t.Errorf("newest bounty %v", newest)
	}
	tests := []struct {
		query     string
		wantTotal int64
	}{
		{queryOf("bounty_type", model.BountyIPLeak), 12},
		{queryOf("bounty_type", "undefined"), 13},
		{queryOf("search", "HASSH"), 1},
		{queryOf("search", "10.0.0.1"), 3}, // 10.0.0.1, .10, .11
		{queryOf("search", "_ip"), 12},     // "leaked_ip": the underscore is literal
		{queryOf("search", "0_0"), 0},      // as a wildcard it would match "10.0.0.x"
		{queryOf("bounty_type", model.BountyFingerprint, "search", "leaked"), 0},
	}
	for _, tt := range tests {
		if l := getList(t, e, tok, "/api/v1/bounty?"+tt.query); l.Total != tt.wantTotal || int64(len(l.Data)) != tt.wantTotal {
			t.Errorf("%q: total %d, %d rows; want %d", tt.query, l.Total, len(l.Data), tt.wantTotal)
		}
	}
	l = getList(t, e, tok, "/api/v1/bounty?limit=5&offset=10")
	if l.Total != 13 || len(l.Data) != 3 || l.Limit != 5 || l.Offset != 10 {
		t.Errorf("last page: %+v", l)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/bounty?limit=1001", token: tok}),
		http.StatusUnprocessableEntity, "limit must be an integer from 1 to 1000")
}

// seedIdentities links the seeded attackers to two identities, the second
// merged into the first: winner holds 192.0.2.10 and 192.0.2.20, loser
// 198.51.100.30.
func seedIdentities(t *testing.T, e *env, ids seededAttackers) (winner, loser string) {
	t.Helper()
	winner, loser = uuid.NewString(), uuid.NewString()
	plan := store.IdentityPlan{
		Formed: []string{winner, loser},
		Links: []store.IdentityLink{
			{AttackerUUID: ids["192.0.2.10"], IdentityUUID: winner},
			{AttackerUUID: ids["192.0.2.20"], IdentityUUID: winner},
			{AttackerUUID: ids["198.51.100.30"], IdentityUUID: loser},
		},
		Rollups: []store.IdentityRollup{
			{UUID: winner, ObservationCount: 2, FirstSeenAt: tA, JA3Hashes: []string{"ja3-a"}},
			{UUID: loser, ObservationCount: 1, FirstSeenAt: tA},
		},
	}
	if err := e.users.ApplyIdentityPlan(context.Background(), plan); err != nil {
		t.Fatal(err)
	}
	if err := e.users.ApplyIdentityPlan(context.Background(), store.IdentityPlan{
		Merges: []store.IdentityMerge{{WinnerUUID: winner, LoserUUID: loser}},
	}); err != nil {
		t.Fatal(err)
	}
	return winner, loser
}

func TestIdentityRoutesHideMergedAndResolveToTheWinner(t *testing.T) {
	e, tok := newIntelEnv(t)
	var _ IdentityReader = e.users.Store // the store the app wires must serve these routes
	winner, loser := seedIdentities(t, e, seedAttackers(t, e))

	l := getList(t, e, tok, "/api/v1/identities")
	if diff := cmp.Diff([]any{winner}, l.column("uuid")); diff != "" || l.Total != 1 || l.Limit != defaultPageSize {
		t.Errorf("total %d; live identities (-want +got):\n%s", l.Total, diff)
	}
	if l := getList(t, e, tok, "/api/v1/identities?offset=1"); len(l.Data) != 0 || l.Total != 1 || l.Offset != 1 {
		t.Errorf("second page %+v", l)
	}

	for _, id := range []string{winner, loser} {
		r := e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + id, token: tok})
		if r.status != http.StatusOK || r.body["uuid"] != winner || r.body["observation_count_live"] != float64(3) {
			t.Errorf("GET /identities/%s: %d %s", id, r.status, r.raw)
		}
		if diff := cmp.Diff([]any{"ja3-a"}, r.body["ja3_hashes"]); diff != "" {
			t.Errorf("ja3_hashes (-want +got):\n%s", diff)
		}
	}

	l = getList(t, e, tok, "/api/v1/identities/"+loser+"/observations")
	if diff := cmp.Diff([]any{"192.0.2.20", "198.51.100.30", "192.0.2.10"}, l.column("ip")); diff != "" || l.Total != 3 {
		t.Errorf("total %d; observations (-want +got):\n%s", l.Total, diff)
	}
	if l := getList(t, e, tok, "/api/v1/identities/"+winner+"/observations?limit=1&offset=2"); l.Total != 3 || len(l.Data) != 1 || l.Limit != 1 {
		t.Errorf("observations page %+v", l)
	}

	unknown := uuid.NewString()
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + unknown, token: tok}), http.StatusNotFound, "Identity not found")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/identities/" + unknown + "/observations", token: tok}), http.StatusNotFound, "Identity not found")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/identities?limit=0", token: tok}), http.StatusUnprocessableEntity, "limit must be an integer from 1 to 1000")
}
