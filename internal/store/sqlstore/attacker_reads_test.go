package sqlstore

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// seedAttackers stores four attackers whose sort keys disagree, so each
// order gives a different sequence:
//
//	ip            last_seen  events  traversal  deckies  services
//	192.0.2.1     t0+1h      10      no         1        ssh
//	192.0.2.2     t0+4h      5       no         1        http
//	198.51.100.3  t0+2h      50      yes        2        ssh, ssh-alt
//	198.51.100.4  t0+3h      20      yes        3        "ssh" (quoted)
func seedAttackers(t *testing.T, s *Store) map[string]model.Attacker {
	t.Helper()
	rows := []struct {
		ip        string
		lastSeen  time.Duration
		events    int64
		traversal bool
		deckies   int
		services  []string
	}{
		{"192.0.2.1", time.Hour, 10, false, 1, []string{"ssh"}},
		{"192.0.2.2", 4 * time.Hour, 5, false, 1, []string{"http"}},
		{"198.51.100.3", 2 * time.Hour, 50, true, 2, []string{"ssh-alt", "ssh"}},
		{"198.51.100.4", 3 * time.Hour, 20, true, 3, []string{`"ssh"`}},
	}
	out := map[string]model.Attacker{}
	for _, r := range rows {
		a, err := s.UpsertAttacker(t.Context(), model.Attacker{
			IP: r.ip, FirstSeen: t0, LastSeen: t0.Add(r.lastSeen), EventCount: r.events, IsTraversal: r.traversal,
			DeckyCount: r.deckies, Services: r.services, ServiceCount: len(r.services), UpdatedAt: t0,
		})
		if err != nil {
			t.Fatal(err)
		}
		out[r.ip] = a
	}
	return out
}

func TestListAttackersSortsFiltersAndPages(t *testing.T) {
	tests := []struct {
		name      string
		q         store.AttackerQuery
		want      []string
		wantTotal int64
	}{
		{"recent by default", store.AttackerQuery{},
			[]string{"192.0.2.2", "198.51.100.4", "198.51.100.3", "192.0.2.1"}, 4},
		{"active", store.AttackerQuery{Sort: store.AttackerSortActive},
			[]string{"198.51.100.3", "198.51.100.4", "192.0.2.1", "192.0.2.2"}, 4},
		{"traversals", store.AttackerQuery{Sort: store.AttackerSortTraversals},
			[]string{"198.51.100.4", "198.51.100.3", "192.0.2.2", "192.0.2.1"}, 4},
		{"ip substring", store.AttackerQuery{Search: "51.100"}, []string{"198.51.100.4", "198.51.100.3"}, 2},
		{"underscore is literal", store.AttackerQuery{Search: "_"}, []string{}, 0},
		{"percent is literal", store.AttackerQuery{Search: "%"}, []string{}, 0},
		{"escape character is literal", store.AttackerQuery{Search: "!"}, []string{}, 0},
		{"service is an exact member", store.AttackerQuery{Service: "ssh"}, []string{"198.51.100.3", "192.0.2.1"}, 2},
		{"service prefix does not match", store.AttackerQuery{Service: "ss"}, []string{}, 0},
		{"service is case-sensitive", store.AttackerQuery{Service: "SSH"}, []string{}, 0},
		{"separator is not an element", store.AttackerQuery{Service: ","}, []string{}, 0},
		{"service with quotes matches only itself", store.AttackerQuery{Service: `"ssh"`}, []string{"198.51.100.4"}, 1},
		{"search and service", store.AttackerQuery{Search: "192.", Service: "ssh"}, []string{"192.0.2.1"}, 1},
		{"page keeps the full total", store.AttackerQuery{Limit: 2, Offset: 1, Sort: store.AttackerSortActive},
			[]string{"198.51.100.4", "192.0.2.1"}, 4},
	}
	eachDialect(t, func(t *testing.T, s *Store) {
		seeded := seedAttackers(t, s)
		for _, tt := range tests {
			rows, total, err := s.ListAttackers(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, a := range rows {
				got = append(got, a.IP)
				if diff := cmp.Diff(seeded[a.IP], a); diff != "" {
					t.Errorf("%s: row %s (-stored +listed):\n%s", tt.name, a.IP, diff)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != tt.wantTotal {
				t.Errorf("%s: total %d (want %d); (-want +got):\n%s", tt.name, total, tt.wantTotal, diff)
			}
		}
		if _, _, err := s.ListAttackers(t.Context(), store.AttackerQuery{Sort: store.AttackerSort(99)}); err == nil {
			t.Error("unknown sort: want an error")
		}
	})
}

func TestListAttackerBehaviorsReadsOnlyTheNamedRowsThatExist(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		seeded := seedAttackers(t, s)
		withB, other, without := seeded["192.0.2.1"].UUID, seeded["192.0.2.2"].UUID, seeded["198.51.100.3"].UUID
		hop := 9
		b := model.AttackerBehavior{AttackerUUID: withB, OSGuess: "linux", HopDistance: &hop, BehaviorClass: "scanning",
			ToolGuesses: []string{"nmap"}, TimingStats: json.RawMessage(`{"n":1}`), UpdatedAt: t0}
		for _, bb := range []model.AttackerBehavior{b, {AttackerUUID: other, UpdatedAt: t0}} {
			if err := s.UpsertAttackerBehavior(t.Context(), bb); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListAttackerBehaviors(t.Context(), []string{withB, without, "no-such-uuid"})
		if err != nil {
			t.Fatal(err)
		}
		single, err := s.GetAttackerBehavior(t.Context(), withB)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]model.AttackerBehavior{withB: single}, got); diff != "" {
			t.Errorf("behaviours (-want +got):\n%s", diff)
		}
		if got, err := s.ListAttackerBehaviors(t.Context(), nil); err != nil || len(got) != 0 {
			t.Errorf("no uuids: %v, %v; want an empty map", got, err)
		}
	})
}

func TestSearchCredentialsMatchesLiterallyAndIgnoringCase(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		principals := []string{"root", "a_dmin", "Oracle", "admin%"}
		for i, p := range principals {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("192.0.2.%d", i%2))
			if i == 3 {
				r.Log.Service, r.Log.Decky = "ftp", "decky-09"
			}
			r.Credential = cred(p, "plaintext", fmt.Sprintf("pw%d", i))
			commit(t, s, r)
		}
		tests := []struct {
			name      string
			q         store.CredentialSearch
			want      []string
			wantTotal int64
		}{
			{"no search lists all", store.CredentialSearch{}, []string{"admin%", "Oracle", "a_dmin", "root"}, 4},
			{"underscore is literal", store.CredentialSearch{Search: "_"}, []string{"a_dmin"}, 1},
			{"percent is literal", store.CredentialSearch{Search: "%"}, []string{"admin%"}, 1},
			{"case is ignored", store.CredentialSearch{Search: "ORACLE"}, []string{"Oracle"}, 1},
			{"secret_printable is searched", store.CredentialSearch{Search: "pw2"}, []string{"Oracle"}, 1},
			{"decky is searched", store.CredentialSearch{Search: "decky-09"}, []string{"admin%"}, 1},
			{"with filters", store.CredentialSearch{CredentialQuery: store.CredentialQuery{AttackerIP: "192.0.2.0"}, Search: "OO"},
				[]string{"root"}, 1},
			{"page", store.CredentialSearch{CredentialQuery: store.CredentialQuery{Limit: 1, Offset: 1, Service: "ssh"}},
				[]string{"a_dmin"}, 3},
		}
		for _, tt := range tests {
			creds, total, err := s.SearchCredentials(t.Context(), tt.q)
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

func TestListAttackerCredentialsMatchesByUUIDOrIP(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		for i, ip := range []string{"192.0.2.1", "192.0.2.1", "192.0.2.2", "192.0.2.3"} {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), ip)
			r.Credential = cred(fmt.Sprintf("user%d", i), "plaintext", "pw")
			commit(t, s, r)
		}
		// The profiler has backfilled the uuid of user2's row only; user0
		// and user1 match on the ip alone.
		a, err := s.UpsertAttacker(t.Context(), model.Attacker{IP: "192.0.2.1", UpdatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB().ExecContext(t.Context(), "UPDATE credentials SET attacker_uuid = ? WHERE principal = ?",
			a.UUID, "user2"); err != nil {
			t.Fatal(err)
		}
		creds, total, err := s.ListAttackerCredentials(t.Context(), a.UUID, a.IP, 2, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, c := range creds {
			got = append(got, c.Principal)
		}
		if diff := cmp.Diff([]string{"user2", "user1"}, got); diff != "" || total != 3 {
			t.Errorf("total %d (want 3); (-want +got):\n%s", total, diff)
		}
	})
}

func TestSearchBountiesMatchesPayloadAndColumnsLiterally(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		payloads := []struct{ typ, payload string }{
			{model.BountyIPLeak, `{"leaked_ip":"10.0.0.5"}`},
			{model.BountyFingerprint, `{"ja3":"ABC_def"}`},
			{model.BountyFingerprint, `{"ja3":"abcxdef"}`},
		}
		for i, p := range payloads {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("192.0.2.%d", i))
			r.Bounties = []model.Bounty{bounty(p.typ, p.payload)}
			commit(t, s, r)
		}
		tests := []struct {
			name      string
			q         store.BountySearch
			want      []string
			wantTotal int64
		}{
			{"all newest first", store.BountySearch{}, []string{`{"ja3":"abcxdef"}`, `{"ja3":"ABC_def"}`, `{"leaked_ip":"10.0.0.5"}`}, 3},
			{"underscore is literal, case ignored", store.BountySearch{Search: "abc_"}, []string{`{"ja3":"ABC_def"}`}, 1},
			{"attacker ip is searched", store.BountySearch{Search: "192.0.2.0"}, []string{`{"leaked_ip":"10.0.0.5"}`}, 1},
			{"type filter with search", store.BountySearch{BountyQuery: store.BountyQuery{BountyType: model.BountyFingerprint}, Search: "def"},
				[]string{`{"ja3":"abcxdef"}`, `{"ja3":"ABC_def"}`}, 2},
			{"page", store.BountySearch{BountyQuery: store.BountyQuery{Limit: 1, Offset: 2}}, []string{`{"leaked_ip":"10.0.0.5"}`}, 3},
		}
		for _, tt := range tests {
			bs, total, err := s.SearchBounties(t.Context(), tt.q)
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
