package sqlstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// TestLogSearchMatchAgreesWithSQL runs each search through SearchLogs and
// through store.LogSearch.Match over the same rows (read back from the
// store, as the live stream would see them before storage): the API's live
// log stream filters with Match, so the two must select the same rows.
func TestLogSearchMatchAgreesWithSQL(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		labels := seedSearchLogs(t, s)
		extra := []model.LogEntry{
			{Timestamp: tl.Add(50*time.Minute + 123456789*time.Nanosecond), Decky: "ls-decky-c", Service: "ftp",
				EventType: "Login_Attempt", AttackerIP: "2001:db8::1", RawLine: "USER Anonymous",
				Fields: map[string]string{"username": "", "path": "a b"}, Msg: "MiXeD Case"},
			{Timestamp: tl.Add(55 * time.Minute), Decky: "ls-decky-c", Service: "ssh", EventType: "command",
				AttackerIP: "203.0.113.9", Fields: map[string]string{"cmd": "wget http://x/y.sh"}, Msg: "!%_ literal"},
		}
		for i, e := range extra {
			e.EventID = newID()
			labels[e.EventID] = []string{"r5", "r6"}[i]
			commit(t, s, model.IngestRecord{Log: e})
		}
		all, _, err := s.SearchLogs(context.Background(), store.LogSearch{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(labels) {
			t.Fatalf("stored %d rows, read back %d", len(labels), len(all))
		}
		searches := []struct {
			search       string
			since, until time.Time
		}{
			{search: ""},
			{search: "login"}, {search: "LOGIN"}, {search: "mixed case"}, {search: `"mixed case"`},
			{search: "0%"}, {search: "a_b"}, {search: "!%_"}, {search: "!"}, {search: "%"}, {search: "_"},
			{search: "113.2"}, {search: "2001:db8"}, {search: "anonymous"}, {search: "wget"},
			{search: "decky:ls-decky-c"}, {search: "decky:LS-DECKY-C"}, {search: "decky:ls-decky"},
			{search: "service:ssh"}, {search: "event:login_attempt"}, {search: "event:Login_Attempt"},
			{search: "attacker:203.0.113.1"}, {search: "attacker_ip:2001:db8::1"}, {search: "attacker-ip:Unknown"},
			{search: "username:root"}, {search: "username:"}, {search: "username:ROOT"}, {search: "method:GET"},
			{search: `path:"a b"`}, {search: "1st:x"}, {search: "nosuch:x"}, {search: "cmd:wget"},
			{search: "service:ssh username:admin"}, {search: "ssh login root"}, {search: "decky:"},
			{since: tl.Add(15 * time.Minute)},
			{until: tl.Add(15 * time.Minute)},
			{since: tl.Add(14*time.Minute + 59*time.Second + 500*time.Millisecond)},
			{until: tl.Add(14*time.Minute + 59*time.Second + 500*time.Millisecond)},
			{since: tl.Add(50*time.Minute + 123456*time.Microsecond)},
			{since: tl.Add(50*time.Minute + 123457*time.Microsecond)},
			{until: tl.Add(50*time.Minute + 123456999*time.Nanosecond)},
			{search: "ssh", since: tl.Add(20 * time.Minute), until: tl.Add(55 * time.Minute)},
		}
		for _, c := range searches {
			terms, err := store.ParseLogSearch(c.search)
			if err != nil {
				t.Fatal(err)
			}
			q := store.LogSearch{Terms: terms, Since: c.since, Until: c.until, Limit: 1000}
			rows, _, err := s.SearchLogs(context.Background(), q)
			if err != nil {
				t.Fatalf("SearchLogs(%q): %v", c.search, err)
			}
			var sqlGot, matchGot []string
			for _, r := range rows {
				sqlGot = append(sqlGot, labels[r.EventID])
			}
			for _, r := range all {
				if q.Match(r) {
					matchGot = append(matchGot, labels[r.EventID])
				}
			}
			slices.Sort(sqlGot)
			slices.Sort(matchGot)
			if diff := cmp.Diff(sqlGot, matchGot); diff != "" {
				t.Errorf("search %q since %v until %v: SQL and Match disagree (-sql +match):\n%s",
					c.search, c.since, c.until, diff)
			}
		}
	})
}
