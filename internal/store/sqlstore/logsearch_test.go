package sqlstore

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// tl is 10:00 on the day the log-search rows are stored.
var tl = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// seedSearchLogs stores four rows and returns the label (r1–r4) of each
// event id:
//
//	label  timestamp      decky       service  event          ip           fields
//	r1     10:14:59.5     ls-decky-a  ssh      login_attempt  203.0.113.1  username=root
//	r2     10:15:00       ls-decky-a  http     request        203.0.113.2  method=GET path=/admin
//	r3     10:29:00       ls-decky-b  ssh      login_attempt  203.0.113.1  username=admin
//	r4     10:45:01       ls-decky-b  smtp     message        Unknown      1st=x
//
// r1's raw_line holds "50% done", r2's msg "a_b" and r3's msg "axb", for the
// LIKE wildcards.
func seedSearchLogs(t *testing.T, s *Store) map[string]string {
	t.Helper()
	rows := []struct {
		label string
		log   model.LogEntry
	}{
		{"r1", model.LogEntry{Timestamp: tl.Add(14*time.Minute + 59*time.Second + 500*time.Millisecond), Decky: "ls-decky-a",
			Service: "ssh", EventType: "login_attempt", AttackerIP: "203.0.113.1", RawLine: "<38>1 ssh login 50% done",
			Fields: map[string]string{"username": "root"}, Msg: "Login Attempt"}},
		{"r2", model.LogEntry{Timestamp: tl.Add(15 * time.Minute), Decky: "ls-decky-a", Service: "http", EventType: "request",
			AttackerIP: "203.0.113.2", RawLine: "GET /admin", Fields: map[string]string{"method": "GET", "path": "/admin"}, Msg: "a_b"}},
		{"r3", model.LogEntry{Timestamp: tl.Add(29 * time.Minute), Decky: "ls-decky-b", Service: "ssh", EventType: "login_attempt",
			AttackerIP: "203.0.113.1", Fields: map[string]string{"username": "admin"}, Msg: "axb"}},
		{"r4", model.LogEntry{Timestamp: tl.Add(45*time.Minute + time.Second), Decky: "ls-decky-b", Service: "smtp",
			EventType: "message", AttackerIP: model.UnknownIP, Fields: map[string]string{"1st": "x"}}},
	}
	labels := map[string]string{}
	for _, r := range rows {
		r.log.EventID = newID()
		labels[r.log.EventID] = r.label
		commit(t, s, model.IngestRecord{Log: r.log})
	}
	return labels
}

func TestSearchLogsMatchesEachTermKind(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		labels := seedSearchLogs(t, s)
		all := []string{"r4", "r3", "r2", "r1"}
		tests := []struct {
			name      string
			search    string
			since     time.Time
			until     time.Time
			limit     int
			offset    int
			want      []string
			wantTotal int64
		}{
			{name: "everything newest first", want: all, wantTotal: 4},
			{name: "text ignores case, covers event_type and msg", search: "LOGIN", want: []string{"r3", "r1"}, wantTotal: 2},
			{name: "percent is literal", search: "0%", want: []string{"r1"}, wantTotal: 1},
			{name: "underscore is literal", search: "a_b", want: []string{"r2"}, wantTotal: 1},
			{name: "text on attacker ip", search: "113.2", want: []string{"r2"}, wantTotal: 1},
			{name: "quoted phrase", search: `"GET /admin"`, want: []string{"r2"}, wantTotal: 1},
			{name: "decky column", search: "decky:ls-decky-b", want: []string{"r4", "r3"}, wantTotal: 2},
			{name: "decky column is exact", search: "decky:ls-decky", want: []string{}},
			{name: "event column", search: "event:login_attempt", want: []string{"r3", "r1"}, wantTotal: 2},
			{name: "attacker column", search: "attacker-ip:203.0.113.1", want: []string{"r3", "r1"}, wantTotal: 2},
			{name: "JSON field", search: "username:admin", want: []string{"r3"}, wantTotal: 1},
			{name: "JSON field is exact and case-sensitive", search: "method:get", want: []string{}},
			{name: "JSON field key with a leading digit", search: "1st:x", want: []string{"r4"}, wantTotal: 1},
			{name: "JSON field absent", search: "nosuch:x", want: []string{}},
			{name: "terms are AND-ed", search: "service:ssh username:root", want: []string{"r1"}, wantTotal: 1},
			{name: "value is data, not SQL", search: `username:"root' OR '1'='1"`, want: []string{}},
			{name: "time range is inclusive", since: tl.Add(15 * time.Minute), until: tl.Add(29 * time.Minute),
				want: []string{"r3", "r2"}, wantTotal: 2},
			{name: "range and term", search: "service:ssh", since: tl.Add(15 * time.Minute), want: []string{"r3"}, wantTotal: 1},
			{name: "page", limit: 2, offset: 1, want: []string{"r3", "r2"}, wantTotal: 4},
			{name: "offset past the end", offset: 10, want: []string{}, wantTotal: 4},
		}
		for _, tt := range tests {
			terms, err := store.ParseLogSearch(tt.search)
			if err != nil {
				t.Fatal(err)
			}
			rows, total, err := s.SearchLogs(t.Context(), store.LogSearch{
				Terms: terms, Since: tt.since, Until: tt.until, Limit: tt.limit, Offset: tt.offset,
			})
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			got := []string{}
			for _, r := range rows {
				got = append(got, labels[r.EventID])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.wantTotal {
				t.Errorf("%s: total %d (want %d); rows (-want +got):\n%s", tt.name, total, tt.wantTotal, diff)
			}
		}
	})
}

func TestSearchLogsReturnsWholeRows(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		seedSearchLogs(t, s)
		rows, _, err := s.SearchLogs(t.Context(), store.LogSearch{Terms: []store.LogTerm{
			{Kind: store.LogTermField, Key: "path", Value: "/admin"},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows))
		}
		r := rows[0]
		r.ID, r.EventID = 0, ""
		want := model.LogEntry{Timestamp: tl.Add(15 * time.Minute), Decky: "ls-decky-a", Service: "http", EventType: "request",
			AttackerIP: "203.0.113.2", RawLine: "GET /admin", Fields: map[string]string{"method": "GET", "path": "/admin"}, Msg: "a_b"}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("row mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestSearchLogsRefusesMalformedTerms(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		for _, term := range []store.LogTerm{
			{Kind: store.LogTermColumn, Key: "raw_line; DROP TABLE logs", Value: "x"},
			{Kind: store.LogTermField, Key: `a"]') OR 1=1 --`, Value: "x"},
			{Kind: store.LogTermField, Value: "x"},
			{Kind: store.LogTermKind(99), Value: "x"},
		} {
			if _, _, err := s.SearchLogs(t.Context(), store.LogSearch{Terms: []store.LogTerm{term}}); err == nil {
				t.Errorf("SearchLogs accepted %+v", term)
			}
			if _, err := s.LogHistogram(t.Context(), store.LogSearch{Terms: []store.LogTerm{term}}, time.Minute); err == nil {
				t.Errorf("LogHistogram accepted %+v", term)
			}
		}
	})
}

func TestLogHistogramBucketsAcrossIntervalBoundaries(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		seedSearchLogs(t, s)
		b := func(offset time.Duration, n int64) store.HistogramBucket {
			return store.HistogramBucket{Time: tl.Add(offset), Count: n}
		}
		tests := []struct {
			name     string
			q        store.LogSearch
			interval time.Duration
			want     []store.HistogramBucket
		}{
			// r1 at 10:14:59.5 falls before the 10:15 boundary, r2 on it.
			{"15 minutes", store.LogSearch{}, 15 * time.Minute,
				[]store.HistogramBucket{b(0, 1), b(15*time.Minute, 2), b(45*time.Minute, 1)}},
			{"one hour", store.LogSearch{}, time.Hour, []store.HistogramBucket{b(0, 4)}},
			{"one second", store.LogSearch{}, time.Second, []store.HistogramBucket{
				b(14*time.Minute+59*time.Second, 1), b(15*time.Minute, 1), b(29*time.Minute, 1), b(45*time.Minute+time.Second, 1)}},
			{"with a term", store.LogSearch{Terms: []store.LogTerm{{Kind: store.LogTermColumn, Key: store.LogColumnService, Value: "ssh"}}},
				15 * time.Minute, []store.HistogramBucket{b(0, 1), b(15*time.Minute, 1)}},
			{"with a range; paging ignored", store.LogSearch{Since: tl.Add(15 * time.Minute), Limit: 1, Offset: 3}, 15 * time.Minute,
				[]store.HistogramBucket{b(15*time.Minute, 2), b(45*time.Minute, 1)}},
			{"nothing matches", store.LogSearch{Until: tl}, time.Minute, []store.HistogramBucket{}},
		}
		for _, tt := range tests {
			got, err := s.LogHistogram(t.Context(), tt.q, tt.interval)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
		for _, bad := range []time.Duration{0, -time.Minute, 500 * time.Millisecond, 1500 * time.Millisecond} {
			if _, err := s.LogHistogram(t.Context(), store.LogSearch{}, bad); err == nil {
				t.Errorf("interval %s accepted", bad)
			}
		}
	})
}

func TestStatsCountsLogsAttackersAndFleet(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		st, err := s.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(store.Stats{}, st); diff != "" {
			t.Errorf("empty store mismatch (-want +got):\n%s", diff)
		}

		seedSearchLogs(t, s)
		// An empty address counts no more than Unknown does.
		r := logRec(newID(), tl, "")
		commit(t, s, r)
		var ds []model.Decky
		for i, state := range []string{model.DeckyRunning, model.DeckyDegraded, model.DeckyFailed, model.DeckyPending, model.DeckyRunning} {
			d := sampleDecky("stats-host", "stats-decky-"+string(rune('a'+i)), "127.88.0."+string(rune('1'+i)))
			d.State = state
			ds = append(ds, d)
		}
		if err := s.CreateDeckies(t.Context(), ds); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDeckyState(t.Context(), "stats-host", "stats-decky-e", model.DeckyTornDown, ""); err != nil {
			t.Fatal(err)
		}
		st, err = s.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := store.Stats{TotalLogs: 5, UniqueAttackers: 2, ActiveDeckies: 2, DeployedDeckies: 5}
		if diff := cmp.Diff(want, st); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

func TestUnfilteredLogTotalIsReusedForTwoSeconds(t *testing.T) {
	clk := &clock{t: tl}
	eachDialectWith(t, Options{Now: clk.Now}, func(t *testing.T, s *Store) {
		clk.Set(tl)
		seedSearchLogs(t, s)
		total := func(q store.LogSearch) int64 {
			t.Helper()
			_, n, err := s.SearchLogs(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := total(store.LogSearch{}); n != 4 {
			t.Fatalf("total = %d, want 4", n)
		}
		commit(t, s, model.IngestRecord{Log: model.LogEntry{EventID: newID(), Timestamp: tl, Decky: "ls-decky-a",
			Service: "ssh", EventType: "command", AttackerIP: "203.0.113.9"}})
		if n := total(store.LogSearch{Limit: 1, Offset: 1}); n != 4 {
			t.Fatalf("within the TTL: total = %d, want the reused 4", n)
		}
		ssh, err := store.ParseLogSearch("service:ssh")
		if err != nil {
			t.Fatal(err)
		}
		if n := total(store.LogSearch{Terms: ssh}); n != 3 {
			t.Fatalf("a filtered total is always counted: %d, want 3", n)
		}
		clk.Set(tl.Add(logTotalTTL))
		if n := total(store.LogSearch{}); n != 5 {
			t.Fatalf("after the TTL: total = %d, want 5", n)
		}
	})
}
