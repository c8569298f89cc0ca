package api

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
)

func TestArtifactsAndTranscriptsAreServedSafelyToAdmins(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Attackers, o.Logs, o.ArtifactsDir = st, st, dir
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	e.addUser("admin", adminPW, model.RoleAdmin, false)
	viewer, admin := e.token("viewer", viewerPW), e.token("admin", adminPW)

	const ip, sid = "203.0.113.61", "0b9c2e0e-6a4e-4f55-9d4b-2f0f3c7e6a11"
	ssh := filepath.Join(dir, "web-01", "ssh")
	if err := os.MkdirAll(filepath.Join(ssh, "transcripts"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ssh, "1f2e3d_x.sh"), []byte("#!/bin/sh\n<script>alert(1)</script>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cast := `{"version":2,"width":80,"height":24}` + "\n" + `[0.1,"o","$ "]` + "\n" + `[0.5,"i","id\r"]` + "\n" + `[0.6,"o","uid=0(root)"]` + "\n"
	if err := os.WriteFile(filepath.Join(ssh, "transcripts", sid+".cast"), []byte(cast), 0o600); err != nil {
		t.Fatal(err)
	}
	// Outside the artifacts directory, reachable only through a link.
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("not for download"), 0o600)
	os.Symlink(secret, filepath.Join(ssh, "escape"))

	st := e.users.Store
	a, err := st.UpsertAttacker(context.Background(), model.Attacker{IP: ip})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(typ string, f map[string]string) model.IngestRecord {
		return model.IngestRecord{Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: time.Now(), Decky: "web-01",
			Service: "ssh", EventType: typ, AttackerIP: ip, Fields: f}}
	}
	if _, err := st.CommitBatch(context.Background(), []model.IngestRecord{
		rec("file_captured", map[string]string{"stored_as": "1f2e3d_x.sh", "sha256": "ab"}),
		rec("session_recorded", map[string]string{"sid": sid, "transcript": sid + ".cast", "truncated": "false"}),
	}); err != nil {
		t.Fatal(err)
	}

	r := e.do(req{method: http.MethodGet, path: "/api/v1/attackers/" + a.UUID + "/artifacts", token: viewer})
	if r.status != 200 || r.body["total"] != float64(1) {
		t.Fatalf("artifacts list: %d %s", r.status, r.raw)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/artifacts/web-01/1f2e3d_x.sh", token: viewer}),
		http.StatusForbidden, "Insufficient permissions")
	r = e.do(req{method: http.MethodGet, path: "/api/v1/artifacts/web-01/1f2e3d_x.sh?service=ssh", token: admin})
	if r.status != 200 || r.header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") || r.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(r.raw, "<script>") {
		t.Fatalf("download: %d %v %q", r.status, r.header, r.raw)
	}
	for _, path := range []string{"/api/v1/artifacts/web-01/escape", "/api/v1/artifacts/web-01/nothing"} {
		if r := e.do(req{method: http.MethodGet, path: path, token: admin}); r.status != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
	for _, path := range []string{"/api/v1/artifacts/web-01/..%2F..%2Fetc%2Fpasswd", "/api/v1/artifacts/Web_01/x",
		"/api/v1/artifacts/web-01/x?service=../../etc"} {
		if r := e.do(req{method: http.MethodGet, path: path, token: admin}); r.status != http.StatusBadRequest &&
			r.status != http.StatusNotFound {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}

	r = e.do(req{method: http.MethodGet, path: "/api/v1/transcripts/web-01/" + sid + "?offset=1&limit=1", token: admin})
	events, _ := r.body["events"].([]any)
	if r.status != 200 || r.body["total"] != float64(3) || len(events) != 1 || r.body["has_more"] != true ||
		r.body["header"].(map[string]any)["version"] != float64(2) {
		t.Fatalf("transcript: %d %s", r.status, r.raw)
	}
	if ev := events[0].([]any); ev[1] != "i" || ev[2] != "id\r" {
		t.Errorf("second event = %v", ev)
	}
	wantStatus(t, e.do(req{method: http.MethodGet, path: "/api/v1/transcripts/web-01/" + uuid.NewString(), token: admin}),
		http.StatusNotFound, "Transcript not found")
}
