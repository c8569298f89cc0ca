package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// seedLogs stores six events, one a minute from t0, tagged by msg "e0".."e5".
func seedLogs(t *testing.T, s *Store) {
	t.Helper()
	var recs []model.IngestRecord
	for i := range 6 {
		r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("192.0.2.%d", i%2))
		r.Log.Msg = fmt.Sprintf("e%d", i)
		if i >= 3 {
			r.Log.Decky, r.Log.Service, r.Log.EventType = "decky-02", "http", "request"
		}
		recs = append(recs, r)
	}
	// Store them out of time order: listing must sort by timestamp.
	recs[0], recs[5] = recs[5], recs[0]
	commit(t, s, recs...)
}

func TestListLogsFiltersNewestFirstAndPages(t *testing.T) {
	tests := []struct {
		name string
		q    store.LogQuery
		want []string
	}{
		{"everything newest first", store.LogQuery{}, []string{"e5", "e4", "e3", "e2", "e1", "e0"}},
		{"by decky", store.LogQuery{Decky: "decky-01"}, []string{"e2", "e1", "e0"}},
		{"by service", store.LogQuery{Service: "http"}, []string{"e5", "e4", "e3"}},
		{"by event type", store.LogQuery{EventType: "login_attempt"}, []string{"e2", "e1", "e0"}},
		{"by attacker", store.LogQuery{AttackerIP: "192.0.2.1"}, []string{"e5", "e3", "e1"}},
		{"combined", store.LogQuery{AttackerIP: "192.0.2.0", Service: "http"}, []string{"e4"}},
		{"since and until are inclusive", store.LogQuery{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)},
			[]string{"e3", "e2", "e1"}},
		{"page", store.LogQuery{Limit: 2, Offset: 1}, []string{"e4", "e3"}},
		{"offset past the end", store.LogQuery{Offset: 10}, []string{}},
	}
	eachDialect(t, func(t *testing.T, s *Store) {
		seedLogs(t, s)
		for _, tt := range tests {
			logs, err := s.ListLogs(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, l := range logs {
				got = append(got, l.Msg)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
			}
		}
	})
}

func TestCountLogsAndMaxLogIDTrackInserts(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		if id, err := s.MaxLogID(t.Context()); err != nil || id != 0 {
			t.Errorf("MaxLogID on an empty table = %d, %v; want 0", id, err)
		}
		seedLogs(t, s)
		logs, err := s.ListLogs(t.Context(), store.LogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var top int64
		for _, l := range logs {
			top = max(top, l.ID)
		}
		if id, err := s.MaxLogID(t.Context()); err != nil || id != top {
			t.Errorf("MaxLogID = %d, %v; want %d", id, err, top)
		}
		if n := countLogs(t, s); n != 6 {
			t.Errorf("CountLogs = %d; want 6", n)
		}
	})
}

func TestListCredentialsFiltersByAttackerAndServiceWithTotal(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		for i := range 5 {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("192.0.2.%d", i%2))
			if i == 4 {
				r.Log.Service = "ftp"
			}
			r.Credential = cred(fmt.Sprintf("user%d", i), "plaintext", "pw")
			commit(t, s, r)
		}
		tests := []struct {
			name      string
			q         store.CredentialQuery
			want      []string
			wantTotal int64
		}{
			{"all, most recently seen first", store.CredentialQuery{}, []string{"user4", "user3", "user2", "user1", "user0"}, 5},
			{"by attacker", store.CredentialQuery{AttackerIP: "192.0.2.1"}, []string{"user3", "user1"}, 2},
			{"by service", store.CredentialQuery{Service: "ftp"}, []string{"user4"}, 1},
			{"page keeps the full total", store.CredentialQuery{Limit: 2, Offset: 2}, []string{"user2", "user1"}, 5},
		}
		for _, tt := range tests {
			creds, total, err := s.ListCredentials(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, c := range creds {
				got = append(got, c.Principal)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.wantTotal {
				t.Errorf("%s: total %d (want %d); (-want +got):\n%s", tt.name, total, tt.wantTotal, diff)
			}
		}
	})
}

func TestListBountiesFiltersByTypeAndAttackerWithTotal(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		types := []string{model.BountyFingerprint, model.BountyIPLeak, model.BountyFingerprint, model.BountyArtifact}
		for i, typ := range types {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("192.0.2.%d", i%2))
			r.Bounties = []model.Bounty{bounty(typ, fmt.Sprintf(`{"n":%d}`, i))}
			commit(t, s, r)
		}
		tests := []struct {
			name      string
			q         store.BountyQuery
			want      []string
			wantTotal int64
		}{
			{"all newest first", store.BountyQuery{}, []string{`{"n":3}`, `{"n":2}`, `{"n":1}`, `{"n":0}`}, 4},
			{"by type", store.BountyQuery{BountyType: model.BountyFingerprint}, []string{`{"n":2}`, `{"n":0}`}, 2},
			{"by attacker", store.BountyQuery{AttackerIP: "192.0.2.1"}, []string{`{"n":3}`, `{"n":1}`}, 2},
			{"page keeps the full total", store.BountyQuery{Limit: 1, Offset: 1}, []string{`{"n":2}`}, 4},
		}
		for _, tt := range tests {
			bs, total, err := s.ListBounties(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, b := range bs {
				got = append(got, string(b.Payload))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.wantTotal {
				t.Errorf("%s: total %d (want %d); (-want +got):\n%s", tt.name, total, tt.wantTotal, diff)
			}
		}
	})
}

func TestPageArgsDefaultAndCapTheLimit(t *testing.T) {
	tests := []struct{ limit, offset, wantLimit, wantOffset int }{
		{0, 0, DefaultLimit, 0},
		{-5, -1, DefaultLimit, 0},
		{10, 20, 10, 20},
		{MaxLimit + 1, 0, MaxLimit, 0},
	}
	for _, tt := range tests {
		l, o := pageArgs(tt.limit, tt.offset)
		if l != tt.wantLimit || o != tt.wantOffset {
			t.Errorf("pageArgs(%d, %d) = %d, %d; want %d, %d", tt.limit, tt.offset, l, o, tt.wantLimit, tt.wantOffset)
		}
	}
}
