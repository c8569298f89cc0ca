package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIDocumentMatchesTheRoutes fails when a registered route is
// missing from docs/api/openapi.yaml or the document names a route the
// server does not have, and checks each operation's declared access.
func TestOpenAPIDocumentMatchesTheRoutes(t *testing.T) {
	e := newEnv(t, nil)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/openapi.json"})
	if r.status != http.StatusOK || r.body["openapi"] != "3.1.0" {
		t.Fatalf("openapi.json: %d %.200s", r.status, r.raw)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Access   string `json:"x-decnet-access"`
			Security []any  `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.raw), &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			documented[strings.ToUpper(method)+" "+path] = op.Access
			if (op.Access == "public") != (len(op.Security) == 0) {
				t.Errorf("%s %s: access %s but security %v", method, path, op.Access, op.Security)
			}
		}
	}
	registered := map[string]bool{}
	for _, rt := range e.s.Routes() {
		registered[rt.Pattern()] = true
		access, ok := documented[rt.Pattern()]
		switch {
		case !ok:
			t.Errorf("route %s is missing from docs/api/openapi.yaml", rt.Pattern())
		case access != rt.Access.String():
			t.Errorf("route %s: the document says %s, the server %s", rt.Pattern(), access, rt.Access)
		}
	}
	var extra []string
	for p := range documented {
		if !registered[p] {
			extra = append(extra, p)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		t.Errorf("docs/api/openapi.yaml names routes the server does not have: %v", extra)
	}
}
