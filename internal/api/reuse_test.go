package api

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// seedReuse stores one password tried on two deckies and the finding the
// correlator would make of it, and returns the finding's id.
func seedReuse(t *testing.T, e *env) string {
	t.Helper()
	st := e.users.Store
	ctx := context.Background()
	var recs []model.IngestRecord
	for i, decky := range []string{"decky-01", "decky-02"} {
		recs = append(recs, model.IngestRecord{
			Log: model.LogEntry{EventID: fmt.Sprintf("0190b6a0-0000-7000-8000-00000000000%d", i), Timestamp: time.Date(2026, 3, 1, 11, 0, i, 0, time.UTC),
				Decky: decky, Service: "ssh", EventType: "auth_attempt", AttackerIP: "203.0.113.9"},
			Credential: &model.Credential{
				Principal: "root", SecretKind: "plaintext", SecretSHA256: fmt.Sprintf("%064x", 7),
				SecretB64: base64.StdEncoding.EncodeToString([]byte("toor")), SecretPrintable: "toor",
				Outcome: model.OutcomeFailure,
			},
		})
	}
	if _, err := st.CommitBatch(ctx, recs); err != nil {
		t.Fatal(err)
	}
	groups, err := st.FindReuse(ctx, 2, time.Time{})
	if err != nil || len(groups) != 1 {
		t.Fatalf("FindReuse = %v, %v", groups, err)
	}
	up, err := st.UpsertReuse(ctx, groups[0])
	if err != nil {
		t.Fatal(err)
	}
	return up.ID
}

func TestCredentialReuseRoutesListAndGetFindings(t *testing.T) {
	e := newEnv(t, nil)
	e.s.reuse = e.users.Store
	e.addUser("viewer", adminPW, model.RoleViewer, false)
	tok := e.token("viewer", adminPW)
	id := seedReuse(t, e)

	r := e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse", token: tok})
	if r.status != http.StatusOK || r.body["total"] != float64(1) || r.body["limit"] != float64(defaultPageSize) || r.body["offset"] != float64(0) {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	row := r.body["data"].([]any)[0].(map[string]any)
	if row["id"] != id || row["target_count"] != float64(2) || row["secret_printable"] != "toor" || row["principal"] != "root" {
		t.Errorf("finding %v", row)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse?min_target_count=3", token: tok}); r.body["total"] != float64(0) {
		t.Errorf("min_target_count=3: %s", r.raw)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse?limit=5&offset=1&min_target_count=null&secret_kind=undefined", token: tok}); r.body["total"] != float64(1) ||
		len(r.body["data"].([]any)) != 0 || r.body["limit"] != float64(5) || r.body["offset"] != float64(1) {
		t.Errorf("second page with absent filters: %s", r.raw)
	}
	if r := e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse/" + id, token: tok}); r.status != http.StatusOK || r.body["attempt_count"] != float64(2) {
		t.Errorf("get: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse/nope", token: tok}), http.StatusNotFound, "credential_reuse not found")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse?limit=0", token: tok}), http.StatusUnprocessableEntity, "limit must be an integer from 1 to 1000")
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse?min_target_count=1", token: tok}), http.StatusUnprocessableEntity, "min_target_count must be an integer from 2 to 1048576")
	want401(t, e.do(req{method: http.MethodGet, path: "/api/v1/credential-reuse"}))
}
