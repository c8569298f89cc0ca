package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// attempt is one credential attempt from ip at t0+sec.
func attemptRec(ip string, sec int, service, user, secret, outcome string) model.IngestRecord {
	r := logRec(newID(), t0.Add(time.Duration(sec)*time.Second), ip)
	r.Log.Service = service
	r.Credential = &model.Credential{Principal: user, SecretKind: "password", SecretSHA256: fmt.Sprintf("%064x", secret),
		SecretPrintable: secret, Outcome: outcome, Fields: map[string]string{}}
	return r
}

func TestAuthAggregateSummarisesBruteForceSprayingAndSuccess(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		const ip = "198.51.100.71"
		var recs []model.IngestRecord
		for i, pw := range []string{"a", "b", "c", "d", "e", "f"} {
			recs = append(recs, attemptRec(ip, i, "ssh", "root", pw, model.OutcomeFailure))
		}
		for i, user := range []string{"admin", "oracle", "git"} { // one secret, three more accounts
			recs = append(recs, attemptRec(ip, 10+i, "telnet", user, "f", model.OutcomeFailure))
		}
		recs = append(recs, attemptRec(ip, 20, "ssh", "pi", "raspberry", model.OutcomeSuccess))
		commit(t, s, recs...)

		got, err := s.AuthAggregate(t.Context(), ip)
		if err != nil {
			t.Fatal(err)
		}
		want := store.AuthAggregate{Attempts: 10, FailCount: 9, Username: "root", PasswordCount: 6, AccountCount: 4,
			SharedPasswordHash: fmt.Sprintf("%064x", "f"), Result: "success", PriorBrute: true,
			Successes: []store.LoginPair{{Username: "pi", Password: "raspberry"}}, Service: "ssh"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("aggregate (-want +got):\n%s", diff)
		}
		none, err := s.AuthAggregate(t.Context(), "198.51.100.72")
		if err != nil || none.Attempts != 0 {
			t.Errorf("address without credentials: %+v, %v", none, err)
		}
	})
}

func TestIdentitySprayCountsAccountsAcrossTheIdentitysAttackers(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ips := []string{"198.51.100.73", "198.51.100.74"}
		var uuids []string
		for _, ip := range ips {
			a, err := s.UpsertAttacker(t.Context(), model.Attacker{IP: ip})
			if err != nil {
				t.Fatal(err)
			}
			uuids = append(uuids, a.UUID)
		}
		id := "6f1c1d2e-0000-4000-8000-000000000071"
		now := s.d.timeArg(time.Now())
		if _, err := s.db.ExecContext(t.Context(), "INSERT INTO attacker_identities (uuid, created_at, updated_at, "+
			"observation_count) VALUES (?, ?, ?, 2)", id, now, now); err != nil {
			t.Fatal(err)
		}
		for _, u := range uuids {
			if _, err := s.db.ExecContext(t.Context(), "UPDATE attackers SET identity_id = ? WHERE uuid = ?", id, u); err != nil {
				t.Fatal(err)
			}
		}
		commit(t, s, attemptRec(ips[0], 0, "ssh", "root", "Summer2026!", model.OutcomeFailure),
			attemptRec(ips[0], 1, "ssh", "admin", "Summer2026!", model.OutcomeFailure),
			attemptRec(ips[1], 2, "ssh", "deploy", "Summer2026!", model.OutcomeFailure),
			attemptRec(ips[1], 3, "ssh", "root", "other", model.OutcomeFailure))
		got, err := s.IdentitySpray(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		want := store.IdentitySpray{SharedPasswordHash: fmt.Sprintf("%064x", "Summer2026!"), AccountCount: 3, AttackerCount: 2}
		if got != want {
			t.Errorf("spray = %+v, want %+v", got, want)
		}
		if empty, err := s.IdentitySpray(t.Context(), "no-such-identity"); err != nil || empty.AccountCount != 0 {
			t.Errorf("unknown identity: %+v, %v", empty, err)
		}
	})
}

func TestListCommandLogsPagesCommandEventsSince(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		const ip = "198.51.100.75"
		var recs []model.IngestRecord
		for i := range 5 {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Hour), ip)
			r.Log.EventType, r.Log.Fields = "command", map[string]string{"command": fmt.Sprint("cmd", i)}
			recs = append(recs, r)
		}
		recs = append(recs, logRec(newID(), t0.Add(3*time.Hour), ip)) // a login, not a command
		commit(t, s, recs...)
		since := t0.Add(time.Hour)
		n, err := s.CountCommandLogs(t.Context(), since)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		after := int64(0)
		for {
			page, err := s.ListCommandLogs(t.Context(), since, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				if e.AttackerIP == ip {
					got = append(got, e.Fields["command"])
				}
			}
			after = page[len(page)-1].ID
		}
		if diff := cmp.Diff([]string{"cmd1", "cmd2", "cmd3", "cmd4"}, got); diff != "" || n < 4 {
			t.Errorf("count %d; commands (-want +got):\n%s", n, diff)
		}
	})
}
