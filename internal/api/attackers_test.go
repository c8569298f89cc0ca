package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
)

// tA is the seeded attackers' first contact.
var tA = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// newIntelEnv starts a server with the attacker, intel and identity
// repositories wired to the test's store, and returns it with a viewer's
// token.
func newIntelEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Intel, o.Identities = st, st, st
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

// seededAttackers are the uuids of the rows seedAttackers stores, by ip.
type seededAttackers map[string]string

// seedAttackers stores three attackers whose sort keys disagree:
//
//	ip             last_seen  events  traversal  deckies  services
//	192.0.2.10     tA+1h      10      no         1        ssh, http   (behaviour, 3 commands)
//	192.0.2.20     tA+3h      5       no         1        http
//	198.51.100.30  tA+2h      50      yes        3        ssh
//
// and, for 192.0.2.10, logs on ssh and smtp (interacted), http and ftp
// (scanned), twelve ip_leak bounties (from smtp), one fingerprint bounty and
// two credentials; 198.51.100.30 has one credential.
func seedAttackers(t *testing.T, e *env) seededAttackers {
	t.Helper()
	st, ctx := e.users.Store, context.Background()
	rows := []model.Attacker{
		{IP: "192.0.2.10", LastSeen: tA.Add(time.Hour), EventCount: 10, DeckyCount: 1, Services: []string{"ssh", "http"},
			Commands: []model.CommandEntry{
				{Service: "ssh", Decky: "decky-01", Command: "uname -a", Timestamp: tA.Add(time.Minute)},
				{Service: "http", Decky: "decky-01", Command: "GET /admin", Timestamp: tA.Add(2 * time.Minute)},
				{Service: "ssh", Decky: "decky-01", Command: "cat /etc/passwd", Timestamp: tA.Add(3 * time.Minute)},
			}},
		{IP: "192.0.2.20", LastSeen: tA.Add(3 * time.Hour), EventCount: 5, DeckyCount: 1, Services: []string{"http"}},
		{IP: "198.51.100.30", LastSeen: tA.Add(2 * time.Hour), EventCount: 50, IsTraversal: true, DeckyCount: 3,
			Services: []string{"ssh"}, TraversalPath: "decky-01 → decky-02 → decky-03"},
	}
	out := seededAttackers{}
	for _, a := range rows {
		a.FirstSeen, a.UpdatedAt, a.ServiceCount = tA, tA, len(a.Services)
		stored, err := st.UpsertAttacker(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		out[a.IP] = stored.UUID
	}
	if err := st.UpsertAttackerBehavior(ctx, model.AttackerBehavior{
		AttackerUUID: out["192.0.2.10"], OSGuess: "linux", BehaviorClass: "interactive", ToolGuesses: []string{"hydra"},
		InteractedServices: []string{"smtp", "ssh"}, ScannedServices: []string{"ftp", "http"}, UpdatedAt: tA,
	}); err != nil {
		t.Fatal(err)
	}

	var recs []model.IngestRecord
	event := func(ip, service, eventType string) model.IngestRecord {
		return model.IngestRecord{Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: tA.Add(time.Duration(len(recs)) * time.Second),
			Decky: "decky-01", Service: service, EventType: eventType, AttackerIP: ip}}
	}
	recs = append(recs, event("192.0.2.10", "http", "port_scan"), event("192.0.2.10", "ftp", "connect"))
	for i, principal := range []string{"root", "admin"} {
		r := event("192.0.2.10", "ssh", "login_attempt")
		r.Credential = &model.Credential{Principal: principal, SecretKind: "plaintext",
			SecretSHA256: fmt.Sprintf("%064x", i), SecretPrintable: "pw" + principal, Outcome: model.OutcomeFailure,
			Fields: map[string]string{"username": principal}}
		recs = append(recs, r)
	}
	r := event("198.51.100.30", "ssh", "login_attempt")
	r.Credential = &model.Credential{Principal: "oracle", SecretKind: "plaintext", SecretSHA256: fmt.Sprintf("%064x", 9),
		SecretPrintable: "oracle", Outcome: model.OutcomeFailure}
	recs = append(recs, r)
	for i := range 12 {
		r := event("192.0.2.10", "smtp", "message")
		r.Bounties = []model.Bounty{{BountyType: model.BountyIPLeak, Payload: json.RawMessage(fmt.Sprintf(`{"leaked_ip":"10.0.0.%d"}`, i))}}
		recs = append(recs, r)
	}
	r = event("192.0.2.10", "ssh", "session")
	r.Bounties = []model.Bounty{{BountyType: model.BountyFingerprint, Payload: json.RawMessage(`{"hassh":"abc"}`)}}
	recs = append(recs, r)
	if _, err := st.CommitBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	return out
}

// list is the page envelope of a list response.
type list struct {
	Total  int64            `json:"total"`
	Limit  int              `json:"limit"`
	Offset int              `json:"offset"`
	Data   []map[string]any `json:"data"`
}

// getList fetches path as a viewer, requires a 200 and decodes the page.
func getList(t *testing.T, e *env, tok, path string) list {
	t.Helper()
	r := e.do(req{method: http.MethodGet, path: path, token: tok})
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	var l list
	if err := json.Unmarshal([]byte(r.raw), &l); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return l
}

// column lists one field of every row.
func (l list) column(key string) []any {
	out := []any{}
	for _, row := range l.Data {
		out = append(out, row[key])
	}
	return out
}

func TestListAttackersSortsFiltersAndPages(t *testing.T) {
	e, tok := newIntelEnv(t)
	seedAttackers(t, e)
	tests := []struct {
		query     string
		want      []any
		wantTotal int64
	}{
		{"", []any{"192.0.2.20", "198.51.100.30", "192.0.2.10"}, 3},
		{"sort_by=recent", []any{"192.0.2.20", "198.51.100.30", "192.0.2.10"}, 3},
		{"sort_by=null&search=undefined&service=NULL", []any{"192.0.2.20", "198.51.100.30", "192.0.2.10"}, 3},
		{"sort_by=active", []any{"198.51.100.30", "192.0.2.10", "192.0.2.20"}, 3},
		{"sort_by=traversals", []any{"198.51.100.30", "192.0.2.20", "192.0.2.10"}, 3},
		{"search=51.100", []any{"198.51.100.30"}, 1},
		{"search=_", []any{}, 0},
		{"search=%25", []any{}, 0},
		{"service=ssh", []any{"198.51.100.30", "192.0.2.10"}, 2},
		{"service=ss", []any{}, 0},
		{"service=http&search=192.0.2.1", []any{"192.0.2.10"}, 1},
		{"limit=1&offset=1", []any{"198.51.100.30"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			l := getList(t, e, tok, "/api/v1/attackers?"+tt.query)
			if diff := cmp.Diff(tt.want, l.column("ip")); diff != "" || l.Total != tt.wantTotal {
				t.Errorf("total %d (want %d); ips (-want +got):\n%s", l.Total, tt.wantTotal, diff)
			}
		})
	}
}

func TestListAttackersRowsCarryTheirBehaviourAndTheEnvelope(t *testing.T) {
	e, tok := newIntelEnv(t)
	ids := seedAttackers(t, e)
	l := getList(t, e, tok, "/api/v1/attackers?limit=2&offset=1&sort_by=active")
	if l.Limit != 2 || l.Offset != 1 || l.Total != 3 || len(l.Data) != 2 {
		t.Fatalf("envelope %+v", l)
	}
	row := l.Data[0]
	if row["uuid"] != ids["192.0.2.10"] || row["event_count"] != float64(10) || row["first_seen"] != "2026-03-01T08:00:00Z" {
		t.Errorf("row %v", row)
	}
	if diff := cmp.Diff([]any{"ssh", "http"}, row["services"]); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	b, ok := row["behavior"].(map[string]any)
	if !ok || b["behavior_class"] != "interactive" || b["os_guess"] != "linux" || b["attacker_uuid"] != ids["192.0.2.10"] {
		t.Errorf("behavior %v", row["behavior"])
	}
	if v, ok := l.Data[1]["behavior"]; !ok || v != nil {
		t.Errorf("attacker without a behaviour row: behavior = %v (present %v), want null", v, ok)
	}
}

func TestListAttackersRefusesBadParameters(t *testing.T) {
	e, tok := newIntelEnv(t)
	tests := []struct{ query, detail string }{
		{"sort_by=oldest", "sort_by must be one of recent, active, traversals"},
		{"limit=0", "limit must be an integer from 1 to 1000"},
		{"limit=1001", "limit must be an integer from 1 to 1000"},
		{"limit=ten", "limit must be an integer from 1 to 1000"},
		{"offset=-1", "offset must be an integer from 0 to 2147483647"},
		{"search=" + strings.Repeat("1", 513), "search must be at most 512 characters"},
	}
	for _, tt := range tests {
		wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/attackers?" + tt.query, token: tok}),
			http.StatusUnprocessableEntity, tt.detail)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/attackers?search=" + strings.Repeat("é", 512), token: tok}); r.status != http.StatusOK {
		t.Errorf("512-character search: %d %s", r.status, r.raw)
	}
}

func TestGetAttackerAddsTheProfilersInteractionClassesAndIPLeaks(t *testing.T) {
	e, tok := newIntelEnv(t)
	ids := seedAttackers(t, e)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + ids["192.0.2.10"], token: tok})
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if r.body["ip"] != "192.0.2.10" || r.body["behavior"].(map[string]any)["behavior_class"] != "interactive" {
		t.Errorf("attacker %v", r.body)
	}
	want := map[string]any{"interacted": []any{"smtp", "ssh"}, "scanned": []any{"ftp", "http"}}
	if diff := cmp.Diff(want, r.body["service_activity"]); diff != "" {
		t.Errorf("service_activity (-want +got):\n%s", diff)
	}
	leaks := r.body["ip_leaks"].([]any)
	if len(leaks) != maxIPLeaks || r.body["ip_leaks_total"] != float64(12) {
		t.Fatalf("%d ip_leaks, total %v; want %d of 12", len(leaks), r.body["ip_leaks_total"], maxIPLeaks)
	}
	newest := leaks[0].(map[string]any)
	if newest["bounty_type"] != model.BountyIPLeak || newest["payload"].(map[string]any)["leaked_ip"] != "10.0.0.11" {
		t.Errorf("newest leak %v", newest)
	}

	r = e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + ids["192.0.2.20"], token: tok})
	if r.status != http.StatusOK || r.body["behavior"] != nil || len(r.body["ip_leaks"].([]any)) != 0 || r.body["ip_leaks_total"] != float64(0) {
		t.Errorf("quiet attacker: %d %s", r.status, r.raw)
	}
	wantEmpty := map[string]any{"interacted": []any{}, "scanned": []any{}}
	if diff := cmp.Diff(wantEmpty, r.body["service_activity"]); diff != "" {
		t.Errorf("quiet attacker service_activity (-want +got):\n%s", diff)
	}
}

func TestAttackerRoutesAnswer404ForAnUnknownUUID(t *testing.T) {
	e, tok := newIntelEnv(t)
	for _, path := range []string{"", "/commands", "/credentials"} {
		wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + uuid.NewString() + path, token: tok}),
			http.StatusNotFound, "Attacker not found")
	}
}

func TestListAttackerCommandsPagesNewestFirst(t *testing.T) {
	e, tok := newIntelEnv(t)
	id := seedAttackers(t, e)["192.0.2.10"]
	tests := []struct {
		query     string
		want      []any
		wantTotal int64
	}{
		{"", []any{"cat /etc/passwd", "GET /admin", "uname -a"}, 3},
		{"service=ssh", []any{"cat /etc/passwd", "uname -a"}, 2},
		{"service=undefined", []any{"cat /etc/passwd", "GET /admin", "uname -a"}, 3},
		{"service=smb", []any{}, 0},
		{"limit=1&offset=1", []any{"GET /admin"}, 3},
		{"offset=5", []any{}, 3},
	}
	for _, tt := range tests {
		l := getList(t, e, tok, "/api/v1/attackers/"+id+"/commands?"+tt.query)
		if diff := cmp.Diff(tt.want, l.column("command")); diff != "" || l.Total != tt.wantTotal {
			t.Errorf("%q: total %d (want %d); commands (-want +got):\n%s", tt.query, l.Total, tt.wantTotal, diff)
		}
	}
	l := getList(t, e, tok, "/api/v1/attackers/"+id+"/commands?limit=200")
	if l.Limit != 200 || l.Data[0]["service"] != "ssh" || l.Data[0]["decky"] != "decky-01" || l.Data[0]["timestamp"] != "2026-03-01T08:03:00Z" {
		t.Errorf("page %+v", l)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + id + "/commands?limit=201", token: tok}),
		http.StatusUnprocessableEntity, "limit must be an integer from 1 to 200")
}

func TestListAttackerCredentialsKeepsTheAttackersRows(t *testing.T) {
	e, tok := newIntelEnv(t)
	ids := seedAttackers(t, e)
	l := getList(t, e, tok, "/api/v1/attackers/"+ids["192.0.2.10"]+"/credentials")
	if diff := cmp.Diff([]any{"admin", "root"}, l.column("principal")); diff != "" || l.Total != 2 {
		t.Errorf("total %d; principals (-want +got):\n%s", l.Total, diff)
	}
	if f, ok := l.Data[0]["fields"].(map[string]any); !ok || f["username"] != "admin" {
		t.Errorf("fields = %v; want a decoded object", l.Data[0]["fields"])
	}
	l = getList(t, e, tok, "/api/v1/attackers/"+ids["198.51.100.30"]+"/credentials?limit=1")
	if diff := cmp.Diff([]any{"oracle"}, l.column("principal")); diff != "" || l.Total != 1 || l.Limit != 1 {
		t.Errorf("total %d limit %d; principals (-want +got):\n%s", l.Total, l.Limit, diff)
	}
}

func TestIntelRoutesNeedAViewerAndTheirRepositories(t *testing.T) {
	paths := []string{"/api/v1/attackers", "/api/v1/attackers/x", "/api/v1/attackers/x/commands",
		"/api/v1/attackers/x/credentials", "/api/v1/credentials", "/api/v1/bounty", "/api/v1/identities",
		"/api/v1/identities/x", "/api/v1/identities/x/observations"}
	e, _ := newIntelEnv(t)
	for _, p := range paths {
		want401(t, e.do(req{method: http.MethodGet, path: p}))
	}

	bare := newEnv(t, nil)
	bare.addUser("viewer", viewerPW, model.RoleViewer, false)
	tok := bare.token("viewer", viewerPW)
	for _, p := range paths {
		r := bare.do(req{method: http.MethodGet, path: p, token: tok})
		if r.status != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(r.body["detail"]), "not available in this process") {
			t.Errorf("%s without its repository: %d %s", p, r.status, r.raw)
		}
	}

	// An admin is a viewer too.
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	admin := e.token("admin", adminPW)
	for _, p := range []string{"/api/v1/attackers", "/api/v1/credentials", "/api/v1/bounty", "/api/v1/identities"} {
		if r := e.do(req{method: http.MethodGet, path: p, token: admin}); r.status != http.StatusOK {
			t.Errorf("%s as admin: %d %s", p, r.status, r.raw)
		}
	}
}

// queryOf builds a query string from pairs, escaping values.
func queryOf(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}
