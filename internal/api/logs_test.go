package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/syslog"
)

// tLog is 08:00 on the day the API's log rows are stored.
var tLog = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// newLogsEnv starts a server with the log routes wired to the test's store
// and returns it with a viewer's token.
func newLogsEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) { o.Logs = o.Users.(sqlUsers).Store })
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

// nativeLog is the row seedLogs stores without a raw line, as the ingest
// worker does for events published natively.
var nativeLog = model.LogEntry{
	Timestamp: tLog.Add(70 * time.Minute), Decky: "decky-02", Service: "http", EventType: "request",
	AttackerIP: "198.51.100.7", SessionID: "s-9", Fields: map[string]string{"path": "/admin", "method": "GET"}, Msg: "GET /admin",
}

// seedLogs stores three rows:
//
//	time   decky     service  event          ip            raw_line
//	08:05  decky-01  ssh      login_attempt  192.0.2.1     <38>1 … username="root"
//	08:20  decky-01  ssh      login_attempt  192.0.2.2     <38>1 … username="admin"
//	09:10  decky-02  http     request        198.51.100.7  (none: nativeLog)
//
// and the fleet: one running, one degraded, one failed decky.
func seedLogs(t *testing.T, e *env) {
	t.Helper()
	st := e.users.Store
	ssh := func(at time.Duration, ip, user string) model.IngestRecord {
		return model.IngestRecord{Log: model.LogEntry{EventID: uuid.NewString(), Timestamp: tLog.Add(at), Decky: "decky-01",
			Service: "ssh", EventType: "login_attempt", AttackerIP: ip,
			RawLine: `<38>1 - decky-01 ssh - login_attempt [relay@55555 username="` + user + `"]`,
			Fields:  map[string]string{"username": user}}}
	}
	native := nativeLog
	native.EventID = uuid.NewString()
	if _, err := st.CommitBatch(t.Context(), []model.IngestRecord{
		ssh(5*time.Minute, "192.0.2.1", "root"), ssh(20*time.Minute, "192.0.2.2", "admin"), {Log: native},
	}); err != nil {
		t.Fatal(err)
	}
	var ds []model.Decky
	for i, state := range []string{model.DeckyRunning, model.DeckyDegraded, model.DeckyFailed} {
		ds = append(ds, model.Decky{Name: "api-decky-" + string(rune('a'+i)), HostUUID: "local", Hostname: "h", Distro: "debian",
			NmapOS: "linux", IP: "127.99.0." + string(rune('1'+i)), NetMode: model.NetLoopback, Services: []string{"ssh"}, State: state})
	}
	if err := st.CreateDeckies(t.Context(), ds); err != nil {
		t.Fatal(err)
	}
}

func TestListLogsSearchesAndPages(t *testing.T) {
	e, tok := newLogsEnv(t)
	seedLogs(t, e)
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "/api/v1/logs?" + v.Encode()
	}
	tests := []struct {
		path      string
		wantIPs   []any
		wantTotal int64
		wantLimit int
	}{
		{q(), []any{"198.51.100.7", "192.0.2.2", "192.0.2.1"}, 3, 50},
		{q("search", "null", "start_time", "undefined"), []any{"198.51.100.7", "192.0.2.2", "192.0.2.1"}, 3, 50},
		{q("search", "service:ssh username:root"), []any{"192.0.2.1"}, 1, 50},
		{q("search", `"GET /admin"`), []any{"198.51.100.7"}, 1, 50},
		{q("search", "LOGIN_attempt decky:decky-01"), []any{"192.0.2.2", "192.0.2.1"}, 2, 50},
		{q("start_time", "2026-03-01T08:20:00Z", "end_time", "2026-03-01T10:10:00+01:00"), []any{"198.51.100.7", "192.0.2.2"}, 2, 50},
		{q("limit", "1", "offset", "1"), []any{"192.0.2.2"}, 3, 1},
		{q("limit", "1000", "offset", "5"), []any{}, 3, 1000},
	}
	for _, tt := range tests {
		l := getList(t, e, tok, tt.path)
		if diff := cmp.Diff(tt.wantIPs, l.column("attacker_ip")); diff != "" || l.Total != tt.wantTotal || l.Limit != tt.wantLimit {
			t.Errorf("%s: total %d (want %d), limit %d (want %d); ips (-want +got):\n%s",
				tt.path, l.Total, tt.wantTotal, l.Limit, tt.wantLimit, diff)
		}
	}
}

func TestListLogsRowShape(t *testing.T) {
	e, tok := newLogsEnv(t)
	seedLogs(t, e)
	l := getList(t, e, tok, "/api/v1/logs")
	if len(l.Data) != 3 || l.Offset != 0 {
		t.Fatalf("page %+v", l)
	}
	native, stored := l.Data[0], l.Data[2]

	// fields is an object, not the original's JSON string.
	if diff := cmp.Diff(map[string]any{"path": "/admin", "method": "GET"}, native["fields"]); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	want := nativeLog
	want.EventID = native["event_id"].(string)
	if got := native["raw_line"]; got != syslog.Format(model.Event{
		ID: want.EventID, TS: want.Timestamp, Decky: want.Decky, Service: want.Service, EventType: want.EventType,
		SrcIP: want.AttackerIP, SessionID: want.SessionID, Fields: want.Fields, Msg: want.Msg,
	}, syslog.SeverityInfo) {
		t.Errorf("rendered raw_line = %q", got)
	}
	if raw, _ := native["raw_line"].(string); !strings.HasPrefix(raw, "<134>1 2026-03-01T09:10:00") ||
		!strings.Contains(raw, ` decky-02 http - request [relay@55555 src_ip="198.51.100.7" session_id="s-9" method="GET" path="/admin"] GET /admin`) {
		t.Errorf("rendered raw_line = %q", raw)
	}
	if got := stored["raw_line"]; got != `<38>1 - decky-01 ssh - login_attempt [relay@55555 username="root"]` {
		t.Errorf("stored raw_line = %q", got)
	}
	for _, k := range []string{"id", "event_id", "timestamp", "decky", "service", "event_type", "attacker_ip", "raw_line", "fields", "msg"} {
		if _, ok := stored[k]; !ok {
			t.Errorf("row lacks %q: %v", k, stored)
		}
	}
	if stored["timestamp"] != "2026-03-01T08:05:00Z" {
		t.Errorf("timestamp = %v", stored["timestamp"])
	}
}

func TestLogHistogramBucketsInRFC3339(t *testing.T) {
	e, tok := newLogsEnv(t)
	seedLogs(t, e)
	tests := []struct {
		query string
		want  []any
	}{
		{"", []any{
			map[string]any{"time": "2026-03-01T08:00:00Z", "count": 1.0},
			map[string]any{"time": "2026-03-01T08:15:00Z", "count": 1.0},
			map[string]any{"time": "2026-03-01T09:00:00Z", "count": 1.0},
		}},
		{"?interval_minutes=60", []any{
			map[string]any{"time": "2026-03-01T08:00:00Z", "count": 2.0},
			map[string]any{"time": "2026-03-01T09:00:00Z", "count": 1.0},
		}},
		{"?interval_minutes=10080&search=service:ssh", []any{
			// Buckets start at multiples of the interval since the Unix
			// epoch, a Thursday.
			map[string]any{"time": "2026-02-26T00:00:00Z", "count": 2.0},
		}},
		{"?start_time=2026-03-01T08:10:00Z&end_time=2026-03-01T09:00:00Z", []any{
			map[string]any{"time": "2026-03-01T08:15:00Z", "count": 1.0},
		}},
		{"?search=nothing-matches", []any{}},
	}
	for _, tt := range tests {
		r := e.do(req{method: http.MethodGet, path: "/api/v1/logs/histogram" + tt.query, token: tok})
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.query, r.status, r.raw)
		}
		if diff := cmp.Diff(tt.want, r.list); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestStatsCountsLogsAttackersAndFleet(t *testing.T) {
	e, tok := newLogsEnv(t)
	r := e.do(req{method: http.MethodGet, path: "/api/v1/stats", token: tok})
	want := map[string]any{"total_logs": 0.0, "unique_attackers": 0.0, "active_deckies": 0.0, "deployed_deckies": 0.0}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Fatalf("empty: %d, mismatch (-want +got):\n%s", r.status, diff)
	}
	seedLogs(t, e)
	// Rows written by other workers show once the cached answer expires.
	if r = e.do(req{method: http.MethodGet, path: "/api/v1/stats", token: tok}); r.body["total_logs"] != 0.0 {
		t.Fatalf("within the cache TTL: %s, want the cached empty stats", r.raw)
	}
	e.clk.Advance(routeCacheTTL["GET /api/v1/stats"])
	r = e.do(req{method: http.MethodGet, path: "/api/v1/stats", token: tok})
	want = map[string]any{"total_logs": 3.0, "unique_attackers": 3.0, "active_deckies": 2.0, "deployed_deckies": 3.0}
	if diff := cmp.Diff(want, r.body); r.status != http.StatusOK || diff != "" {
		t.Fatalf("%d, mismatch (-want +got):\n%s", r.status, diff)
	}
}

func TestLogRoutesRejectBadParameters(t *testing.T) {
	e, tok := newLogsEnv(t)
	tests := []struct {
		path       string
		wantDetail string
	}{
		{"/api/v1/logs?limit=0", "limit must be an integer from 1 to 1000"},
		{"/api/v1/logs?limit=1001", "limit must be an integer from 1 to 1000"},
		{"/api/v1/logs?offset=-1", "offset must be an integer from 0 to 2147483647"},
		{"/api/v1/logs?start_time=yesterday", "start_time must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z"},
		{"/api/v1/logs?end_time=2026-03-01", "end_time must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z"},
		{"/api/v1/logs?end_time=2026-03-01T12:00:00", "end_time must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z"},
		{"/api/v1/logs?search=" + strings.Repeat("x", 513), "search must be at most 512 characters"},
		{"/api/v1/logs?search=" + url.QueryEscape(strings.Repeat("a ", 17)), "invalid log search: search must have at most 16 terms"},
		{"/api/v1/logs/histogram?interval_minutes=0", "interval_minutes must be an integer from 1 to 10080"},
		{"/api/v1/logs/histogram?interval_minutes=10081", "interval_minutes must be an integer from 1 to 10080"},
		{"/api/v1/logs/histogram?interval_minutes=1.5", "interval_minutes must be an integer from 1 to 10080"},
		{"/api/v1/logs/histogram?start_time=1700000000", "start_time must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z"},
		{"/api/v1/logs/histogram?search=" + url.QueryEscape(strings.Repeat("a:b ", 17)), "invalid log search: search must have at most 16 terms"},
	}
	for _, tt := range tests {
		r := e.do(req{method: http.MethodGet, path: tt.path, token: tok})
		if r.status != http.StatusUnprocessableEntity || r.body["detail"] != tt.wantDetail {
			t.Errorf("%.60s: %d %s, want 422 %q", tt.path, r.status, r.raw, tt.wantDetail)
		}
	}
}

func TestLogRoutesNeedATokenAndAStore(t *testing.T) {
	e, tok := newLogsEnv(t)
	bare := newEnv(t, nil)
	bare.addUser("viewer", viewerPW, model.RoleViewer, false)
	bareTok := bare.token("viewer", viewerPW)
	for _, path := range []string{"/api/v1/logs", "/api/v1/logs/histogram", "/api/v1/stats"} {
		want401(t, e.do(req{method: http.MethodGet, path: path}))
		want401(t, e.do(req{method: http.MethodGet, path: path, token: tok + "x"}))
		r := bare.do(req{method: http.MethodGet, path: path, token: bareTok})
		wantStatus(t, r, http.StatusServiceUnavailable, "logs are not available in this process")
	}
}

// TestLogSearchValueIsData pins that a search value shaped like SQL is
// matched literally, never executed.
func TestLogSearchValueIsData(t *testing.T) {
	e, tok := newLogsEnv(t)
	seedLogs(t, e)
	for _, search := range []string{`username:"root' OR '1'='1"`, `') OR 1=1 --`, `x%' OR '1'='1`, `a.b"]'):1`} {
		l := getList(t, e, tok, "/api/v1/logs?search="+url.QueryEscape(search))
		if l.Total != 0 || len(l.Data) != 0 {
			raw, _ := json.Marshal(l)
			t.Errorf("search %q matched: %s", search, raw)
		}
	}
}
