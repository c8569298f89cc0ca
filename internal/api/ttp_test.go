package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp"
)

// memRules is a rule catalogue over a fixed rule list whose states live in
// the test's SQL store, as the app's adapter keeps them.
type memRules struct {
	st    store.TTPRuleRepository
	mu    sync.Mutex
	rules []RuleRow
}

func (m *memRules) Catalogue() []RuleRow {
	m.mu.Lock()
	defer m.mu.Unlock()
	states, _ := m.st.ListRuleStates(context.Background())
	out := append([]RuleRow{}, m.rules...)
	for i := range out {
		if st, ok := states[out[i].RuleID]; ok {
			out[i].State, out[i].ConfidenceMax = st.State, st.ConfidenceMax
		}
	}
	return out
}

func (m *memRules) known(id string) bool {
	for _, r := range m.rules {
		if r.RuleID == id {
			return true
		}
	}
	return false
}

func (m *memRules) SetState(ctx context.Context, st model.TTPRuleState) (model.TTPRuleState, error) {
	if !m.known(st.RuleID) {
		return st, store.ErrNotFound
	}
	return m.st.SetRuleState(ctx, st)
}

func (m *memRules) ClearState(ctx context.Context, id, _ string) error {
	if !m.known(id) {
		return store.ErrNotFound
	}
	return m.st.DeleteRuleState(ctx, id)
}

// newTTPEnv starts a server with the TTP routes wired to the test's store
// and returns it with a viewer's and an admin's token.
func newTTPEnv(t *testing.T) (*env, string, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Intel, o.Identities, o.TTP = st, st, st, st
		o.TTPRules = &memRules{st: st, rules: []RuleRow{
			{RuleID: "R0013", RuleVersion: 1, Name: "etc_passwd_read", State: model.RuleEnabled},
			{RuleID: "R0015", RuleVersion: 1, Name: "suid_search", State: model.RuleEnabled},
			{RuleID: "R9999", Error: "rules/ttp/R9999.yaml: pattern does not compile"},
		}}
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	return e, e.token("viewer", viewerPW), e.token("admin", adminPW)
}

// seedTags stores an attacker with three tags: two of T1548 (one with the
// .001 sub-technique) in session s1 and one T1083.
func seedTags(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	st := e.users.Store
	a, err := st.UpsertAttacker(ctx, model.Attacker{IP: "203.0.113.90", FirstSeen: tA, LastSeen: tA})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(source, rule, tech, sub, tactic string, at time.Time) model.TTPTag {
		ev, _ := json.Marshal(map[string]string{"command_text": "find / -perm -4000 " + source})
		return model.TTPTag{UUID: ttp.TagUUID("command", source, rule, 1, tech, sub), SourceKind: "command",
			SourceID: source, AttackerUUID: a.UUID, SessionID: "s1", Tactic: tactic, TechniqueID: tech,
			SubTechniqueID: sub, Confidence: 0.95, RuleID: rule, RuleVersion: 1, Evidence: ev,
			AttackRelease: "v18.1", CreatedAt: at}
	}
	if _, err := st.InsertTTPTags(ctx, []model.TTPTag{
		mk("c1", "R0015", "T1548", "T1548.001", "TA0004", tA),
		mk("c2", "R0015", "T1548", "", "TA0004", tA.Add(time.Minute)),
		mk("c3", "R0013", "T1083", "", "TA0007", tA.Add(2*time.Minute)),
	}); err != nil {
		t.Fatal(err)
	}
	return a.UUID
}

func TestTTPRollupsCarryCatalogueNames(t *testing.T) {
	e, viewer, _ := newTTPEnv(t)
	id := seedTags(t, e)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/ttp/by-attacker/" + id, token: viewer})
	if r.status != http.StatusOK || len(r.list) != 3 {
		t.Fatalf("by-attacker: %d %s", r.status, r.raw)
	}
	var sub map[string]any
	for _, row := range r.list {
		m := row.(map[string]any)
		if m["sub_technique_id"] == "T1548.001" {
			sub = m
		}
	}
	if sub == nil || sub["sub_technique_name"] != "Abuse Elevation Control Mechanism: Setuid and Setgid" ||
		sub["technique_name"] != "Abuse Elevation Control Mechanism" ||
		sub["mitre_url"] != "https://attack.mitre.org/techniques/T1548/001" || sub["confidence_max"] != 0.95 {
		t.Errorf("sub-technique row %v", sub)
	}
	for _, path := range []string{"/api/v1/ttp/techniques", "/api/v1/ttp/by-session/s1"} {
		if r := e.do(req{method: http.MethodGet, path: path, token: viewer}); r.status != 200 || len(r.list) != 3 {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	for _, path := range []string{"/api/v1/ttp/by-identity/nope", "/api/v1/ttp/by-campaign/nope", "/api/v1/ttp/by-attacker/nope"} {
		if r := e.do(req{method: http.MethodGet, path: path, token: viewer}); r.status != 200 || r.raw != "[]\n" && r.raw != "[]" {
			t.Errorf("%s: %d %q, want an empty list", path, r.status, r.raw)
		}
	}
	want401(t, e.do(req{method: http.MethodGet, path: "/api/v1/ttp/techniques"}))
}

func TestTTPInspectorListsTheTagsBehindARow(t *testing.T) {
	e, viewer, _ := newTTPEnv(t)
	id := seedTags(t, e)
	base := "/api/v1/ttp/tags/by-attacker/" + id + "/T1548"
	r := e.do(req{method: http.MethodGet, path: base, token: viewer})
	if r.status != http.StatusOK || len(r.list) != 2 {
		t.Fatalf("inspector: %d %s", r.status, r.raw)
	}
	newest := r.list[0].(map[string]any)
	ev, _ := newest["evidence"].(map[string]any)
	if newest["source_id"] != "c2" || newest["rule_id"] != "R0015" || newest["rule_version"] != float64(1) ||
		ev["command_text"] != "find / -perm -4000 c2" || newest["technique_name"] != "Abuse Elevation Control Mechanism" {
		t.Errorf("newest tag %v", newest)
	}
	r = e.do(req{method: http.MethodGet, path: base + "?sub_technique_id=T1548.001", token: viewer})
	if len(r.list) != 1 || r.list[0].(map[string]any)["source_id"] != "c1" {
		t.Errorf("sub filter: %s", r.raw)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/ttp/tags/by-session/empty/T1548", token: viewer}); r.status != 200 || len(r.list) != 0 {
		t.Errorf("empty scope: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/ttp/tags/by-planet/" + id + "/T1548", token: viewer}),
		http.StatusBadRequest, "scope must be by-identity, by-attacker or by-session")
	wantStatus(t, e.do(req{method: http.MethodGet, path: base + "?limit=1001", token: viewer}),
		http.StatusBadRequest, "limit must be an integer from 1 to 1000")
	want401(t, e.do(req{method: http.MethodGet, path: base}))
}

func TestRuleStateIsPersistedAppliedAndAdminOnly(t *testing.T) {
	e, viewer, admin := newTTPEnv(t)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/ttp/rules", token: viewer})
	if r.status != 200 || len(r.list) != 3 || r.list[2].(map[string]any)["error"] == nil {
		t.Fatalf("catalogue: %d %s", r.status, r.raw)
	}
	body := map[string]any{"state": "clipped", "confidence_max": 0.5, "reason": "noisy on our build hosts"}
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/ttp/rules/R0013/state", token: viewer, body: body}),
		http.StatusForbidden, "")
	r = e.do(req{method: http.MethodPost, path: "/api/v1/ttp/rules/R0013/state", token: admin, body: body})
	if r.status != 200 || r.body["state"] != "clipped" || r.body["set_by"] != "admin" || r.body["set_at"] == nil {
		t.Fatalf("set state: %d %s", r.status, r.raw)
	}
	r = e.do(req{method: http.MethodGet, path: "/api/v1/ttp/rules", token: viewer})
	if row := r.list[0].(map[string]any); row["state"] != "clipped" || row["confidence_max"] != 0.5 {
		t.Errorf("catalogue after clipping: %v", row)
	}
	for _, bad := range []string{`{"state":"paused"}`, `{"state":"clipped"}`, `{"state":"clipped","confidence_max":2}`, `not json`} {
		wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/ttp/rules/R0013/state", token: admin, body: bad}),
			http.StatusBadRequest, "")
	}
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/api/v1/ttp/rules/R4242/state", token: admin, body: body}),
		http.StatusNotFound, "Rule not found")
	if r := e.do(req{method: http.MethodDelete, path: "/api/v1/ttp/rules/R0013/state", token: admin}); r.status != 200 || r.body["state"] != "enabled" {
		t.Fatalf("clear state: %d %s", r.status, r.raw)
	}
	r = e.do(req{method: http.MethodGet, path: "/api/v1/ttp/rules", token: viewer})
	if row := r.list[0].(map[string]any); row["state"] != "enabled" {
		t.Errorf("catalogue after clearing: %v", row)
	}
}

func TestExportsAreAttachmentsWithTheAttackersTechniques(t *testing.T) {
	e, viewer, _ := newTTPEnv(t)
	id := seedTags(t, e)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + id + "/export/stix", token: viewer})
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="decnet-attacker-`+id[:8]) ||
		r.body["type"] != "bundle" {
		t.Fatalf("stix: %d %v %s", r.status, r.header, r.raw[:min(len(r.raw), 300)])
	}
	if !strings.Contains(r.raw, `"attack-pattern"`) || !strings.Contains(r.raw, "T1548.001") {
		t.Errorf("bundle lacks the tagged techniques")
	}
	r = e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + id + "/export/misp", token: viewer})
	if r.status != 200 || r.body["Event"] == nil {
		t.Errorf("misp: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/attackers/nope/export/stix", token: viewer}),
		http.StatusNotFound, "Attacker not found")
	r = e.do(req{method: http.MethodGet, path: "/api/v1/attackers/export/stix", token: viewer})
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Disposition"), "decnet-fleet-") {
		t.Errorf("fleet stix: %d %v", r.status, r.header)
	}
	r = e.do(req{method: http.MethodGet, path: "/api/v1/ttp/export/navigator", token: viewer})
	techs, _ := r.body["techniques"].([]any)
	if r.status != 200 || r.body["domain"] != "enterprise-attack" || len(techs) != 3 {
		t.Errorf("navigator: %d %s", r.status, r.raw)
	}
}

// TestFleetExportPagesPastTheStorePageCap pins that the fleet export holds
// every attacker up to maxFleetExport, not only the store's first page
// (sqlstore caps a page at 1000 rows).
func TestFleetExportPagesPastTheStorePageCap(t *testing.T) {
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.TTP = st, st
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	viewer := e.token("viewer", viewerPW)
	const n = maxPageSize + 5
	for i := range n {
		ip := fmt.Sprintf("198.18.%d.%d", i/250, i%250+1)
		if _, err := e.users.Store.UpsertAttacker(context.Background(), model.Attacker{IP: ip}); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do(req{method: http.MethodGet, path: "/api/v1/attackers/export/stix", token: viewer})
	if r.status != 200 {
		t.Fatalf("fleet stix: %d %s", r.status, r.raw)
	}
	if got := strings.Count(r.raw, `"type":"ipv4-addr"`); got != n {
		t.Errorf("fleet bundle holds %d attacker addresses, want %d", got, n)
	}
}
