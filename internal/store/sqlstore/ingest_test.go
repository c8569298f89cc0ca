package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// t0 carries nanoseconds on purpose: the store keeps microseconds.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// logRec is an SSH login event from ip at ts.
func logRec(id string, ts time.Time, ip string) model.IngestRecord {
	return model.IngestRecord{Log: model.LogEntry{
		EventID: id, Timestamp: ts, Decky: "decky-01", Service: "ssh", EventType: "login_attempt",
		AttackerIP: ip, SessionID: "sess-1", RawLine: `<37>1 - decky-01 ssh - login_attempt [relay@55555 username="root"]`,
		Fields: map[string]string{"username": "root", "src_port": "40022"}, Msg: "login attempt",
	}}
}

func cred(principal, kind, secret string) *model.Credential {
	return &model.Credential{
		Principal: principal, SecretKind: kind, SecretSHA256: fmt.Sprintf("%064x", secret),
		SecretB64: secret, SecretPrintable: secret, Outcome: model.OutcomeFailure,
		Fields: map[string]string{"username": principal},
	}
}

func bounty(typ, payload string) model.Bounty {
	return model.Bounty{BountyType: typ, Payload: json.RawMessage(payload)}
}

func commit(t *testing.T, s *Store, recs ...model.IngestRecord) model.IngestResult {
	t.Helper()
	res, err := s.CommitBatch(t.Context(), recs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func allCredentials(t *testing.T, s *Store) []model.Credential {
	t.Helper()
	out, _, err := s.ListCredentials(t.Context(), store.CredentialQuery{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func allBounties(t *testing.T, s *Store) []model.Bounty {
	t.Helper()
	out, _, err := s.ListBounties(t.Context(), store.BountyQuery{Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countLogs(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.CountLogs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommitBatchStoresTheLogRowAsGiven(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		r := logRec(newID(), t0, "203.0.113.7")
		r.Log.Fields["note"] = "quote \" backslash \\ newline \n tab \t ctl \x01 é 🐝"
		if res := commit(t, s, r); res.LogsInserted != 1 || res.Duplicates != 0 {
			t.Fatalf("result = %+v; want 1 inserted, 0 duplicates", res)
		}
		got, err := s.ListLogs(t.Context(), store.LogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		want := r.Log
		want.Timestamp = t0.Truncate(time.Microsecond)
		if diff := cmp.Diff([]model.LogEntry{want}, got, cmpopts.IgnoreFields(model.LogEntry{}, "ID")); diff != "" {
			t.Errorf("stored log (-want +got):\n%s", diff)
		}
		if got[0].ID <= 0 {
			t.Errorf("ID = %d; want a positive id", got[0].ID)
		}
	})
}

func TestCommitBatchReplayChangesNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var batch []model.IngestRecord
		for i := range 5 {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Second), "198.51.100.9")
			if i%2 == 0 {
				r.Credential = cred("root", "plaintext", "hunter2")
			}
			r.Bounties = []model.Bounty{bounty(model.BountyFingerprint, fmt.Sprintf(`{"n":%d}`, i))}
			batch = append(batch, r)
		}
		first := commit(t, s, batch...)
		if first.LogsInserted != 5 || first.BountiesInserted != 5 || len(first.Credentials) != 1 {
			t.Fatalf("first commit = %+v; want 5 logs, 5 bounties, 1 credential key", first)
		}
		if got := first.Credentials[0].AttemptCount; got != 3 {
			t.Errorf("credential key reported with %d attempts; want the batch's 3", got)
		}
		creds, bounties := allCredentials(t, s), allBounties(t, s)

		replay := commit(t, s, batch...)
		want := model.IngestResult{Duplicates: 5}
		if diff := cmp.Diff(want, replay, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("replay result (-want +got):\n%s", diff)
		}
		if n := countLogs(t, s); n != 5 {
			t.Errorf("CountLogs after replay = %d; want 5", n)
		}
		if diff := cmp.Diff(creds, allCredentials(t, s)); diff != "" {
			t.Errorf("credentials changed by replay (-before +after):\n%s", diff)
		}
		if diff := cmp.Diff(bounties, allBounties(t, s)); diff != "" {
			t.Errorf("bounties changed by replay (-before +after):\n%s", diff)
		}
	})
}

func TestCommitBatchKeepsTheFirstOfRepeatedEventIDsInOneBatch(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		id := newID()
		a := logRec(id, t0, "192.0.2.1")
		again := logRec(id, t0.Add(time.Minute), "192.0.2.1")
		again.Log.Msg = "redelivered copy"
		again.Credential = cred("root", "plaintext", "x")
		again.Bounties = []model.Bounty{bounty(model.BountyFingerprint, `{"k":1}`)}
		b := logRec(newID(), t0, "192.0.2.2")
		res := commit(t, s, a, again, b)
		want := model.IngestResult{LogsInserted: 2, Duplicates: 1}
		if diff := cmp.Diff(want, res, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		logs, err := s.ListLogs(t.Context(), store.LogQuery{AttackerIP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(logs) != 1 || logs[0].Msg != a.Log.Msg {
			t.Errorf("stored logs for the repeated id = %+v; want only the first copy", logs)
		}
		if n := len(allCredentials(t, s)) + len(allBounties(t, s)); n != 0 {
			t.Errorf("the skipped copy wrote %d credential/bounty rows; want 0", n)
		}
	})
}

func TestCommitBatchSkipsStoredIDsAcrossStatementChunks(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		// 700 records span several INSERT chunks and two IN lists (512 +
		// 188 padded to 256), so both the chunking and the padding are
		// exercised on each dialect.
		var old, all []model.IngestRecord
		for i := range 700 {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Millisecond), "192.0.2.10")
			if i%3 == 0 {
				old = append(old, r)
			}
			all = append(all, r)
		}
		commit(t, s, old...)
		res := commit(t, s, all...)
		if res.LogsInserted != 700-len(old) || res.Duplicates != len(old) {
			t.Errorf("result = %+v; want %d inserted, %d duplicates", res, 700-len(old), len(old))
		}
		if n := countLogs(t, s); n != 700 {
			t.Errorf("CountLogs = %d; want 700", n)
		}
	})
}

func TestCommitBatchStoresRecordsWithoutEventIDEveryTime(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		r := logRec("", t0, "192.0.2.3")
		commit(t, s, r, r)
		if res := commit(t, s, r); res.LogsInserted != 1 {
			t.Errorf("result = %+v; want the id-less record inserted again", res)
		}
		if n := countLogs(t, s); n != 3 {
			t.Errorf("CountLogs = %d; want 3", n)
		}
	})
}

// credKey is the part of a stored credential the dedup tests compare.
type credKey struct {
	Principal, PrincipalKey, Kind, Decky string
	Attempts                             int64
}

func TestCredentialsDedupOnTheirKey(t *testing.T) {
	withKey := func(c *model.Credential, key string) *model.Credential { c.PrincipalKey = key; return c }
	withDecky := func(c *model.Credential, d string) *model.Credential { c.DeckyName = d; return c }
	tests := []struct {
		name  string
		creds []*model.Credential
		want  []credKey
	}{{
		name:  "empty principal collapses into one row",
		creds: []*model.Credential{cred("", "plaintext", "s"), cred("", "plaintext", "s")},
		want:  []credKey{{Kind: "plaintext", Decky: "decky-01", Attempts: 2}},
	}, {
		name:  "principal key is derived from the principal, not taken from the caller",
		creds: []*model.Credential{withKey(cred("", "plaintext", "s"), "stray"), cred("", "plaintext", "s")},
		want:  []credKey{{Kind: "plaintext", Decky: "decky-01", Attempts: 2}},
	}, {
		name:  "each secret kind is its own row",
		creds: []*model.Credential{cred("pg", "plaintext", "s"), cred("pg", "postgres_md5_challenge", "s"), cred("pg", "plaintext", "s")},
		want: []credKey{
			{Principal: "pg", PrincipalKey: "pg", Kind: "plaintext", Decky: "decky-01", Attempts: 2},
			{Principal: "pg", PrincipalKey: "pg", Kind: "postgres_md5_challenge", Decky: "decky-01", Attempts: 1},
		},
	}, {
		name:  "missing kind means plaintext",
		creds: []*model.Credential{cred("root", "", "s"), cred("root", "plaintext", "s")},
		want:  []credKey{{Principal: "root", PrincipalKey: "root", Kind: "plaintext", Decky: "decky-01", Attempts: 2}},
	}, {
		name:  "principals differing only in case stay apart",
		creds: []*model.Credential{cred("Root", "plaintext", "s"), cred("root", "plaintext", "s")},
		want: []credKey{
			{Principal: "Root", PrincipalKey: "Root", Kind: "plaintext", Decky: "decky-01", Attempts: 1},
			{Principal: "root", PrincipalKey: "root", Kind: "plaintext", Decky: "decky-01", Attempts: 1},
		},
	}, {
		name:  "another decky is another row",
		creds: []*model.Credential{cred("root", "plaintext", "s"), withDecky(cred("root", "plaintext", "s"), "decky-02")},
		want: []credKey{
			{Principal: "root", PrincipalKey: "root", Kind: "plaintext", Decky: "decky-01", Attempts: 1},
			{Principal: "root", PrincipalKey: "root", Kind: "plaintext", Decky: "decky-02", Attempts: 1},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, s *Store) {
				for i, c := range tt.creds {
					r := logRec(newID(), t0.Add(time.Duration(i)*time.Second), "203.0.113.50")
					r.Credential = c
					commit(t, s, r)
				}
				var got []credKey
				for _, c := range allCredentials(t, s) {
					got = append(got, credKey{c.Principal, c.PrincipalKey, c.SecretKind, c.DeckyName, c.AttemptCount})
				}
				less := func(a, b credKey) bool { return fmt.Sprint(a) < fmt.Sprint(b) }
				if diff := cmp.Diff(tt.want, got, cmpopts.SortSlices(less)); diff != "" {
					t.Errorf("stored credentials (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func TestCredentialAttemptOnANewEventBumpsTheCountAndWidensTheWindow(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		steps := []struct {
			at           time.Time
			outcome      string
			wantAttempts int64
			wantFirst    time.Time
			wantLast     time.Time
			wantOutcome  string
		}{
			{t0, model.OutcomeFailure, 1, t0, t0, model.OutcomeFailure},
			{t0.Add(time.Minute), "", 2, t0, t0.Add(time.Minute), model.OutcomeFailure},
			{t0.Add(2 * time.Minute), model.OutcomeSuccess, 3, t0, t0.Add(2 * time.Minute), model.OutcomeSuccess},
			// A late event older than the first one moves first_seen back
			// and leaves last_seen alone.
			{t0.Add(-time.Hour), "", 4, t0.Add(-time.Hour), t0.Add(2 * time.Minute), model.OutcomeSuccess},
		}
		for i, st := range steps {
			r := logRec(newID(), st.at, "203.0.113.60")
			r.Credential = cred("admin", "plaintext", "admin")
			r.Credential.Outcome = st.outcome
			res := commit(t, s, r)
			if len(res.Credentials) != 1 || res.Credentials[0].AttemptCount != 1 {
				t.Fatalf("step %d: reported %+v; want one key with this batch's single attempt", i, res.Credentials)
			}
			stored := allCredentials(t, s)
			if len(stored) != 1 {
				t.Fatalf("step %d: %d rows stored; want 1", i, len(stored))
			}
			c := stored[0]
			got := []any{c.AttemptCount, c.FirstSeen, c.LastSeen, c.Outcome}
			want := []any{st.wantAttempts, st.wantFirst.Truncate(time.Microsecond), st.wantLast.Truncate(time.Microsecond), st.wantOutcome}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("step %d: stored [attempts first last outcome] (-want +got):\n%s", i, diff)
			}
		}
	})
}

func TestCredentialAttemptsInOneBatchFoldIntoOneUpsert(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var batch []model.IngestRecord
		outcomes := []string{model.OutcomeFailure, "", model.OutcomeSuccess, ""}
		for i, o := range outcomes {
			r := logRec(newID(), t0.Add(time.Duration(3-i)*time.Minute), "203.0.113.61")
			r.Credential = cred("admin", "plaintext", "admin")
			r.Credential.Outcome = o
			batch = append(batch, r)
		}
		other := logRec(newID(), t0, "203.0.113.61")
		other.Credential = cred("admin", "plaintext", "letmein")
		batch = append(batch, other)
		commit(t, s, batch...)
		commit(t, s, batch[:2]...) // a replay adds nothing
		rows := allCredentials(t, s)
		if len(rows) != 2 {
			t.Fatalf("%d rows; want 2", len(rows))
		}
		byPW := map[string]model.Credential{}
		for _, c := range rows {
			byPW[c.SecretPrintable] = c
		}
		c := byPW["admin"]
		got := []any{c.AttemptCount, c.FirstSeen, c.LastSeen, c.Outcome, byPW["letmein"].AttemptCount}
		want := []any{int64(4), t0.Truncate(time.Microsecond), t0.Add(3 * time.Minute).Truncate(time.Microsecond), model.OutcomeSuccess, int64(1)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("[attempts first last outcome other] (-want +got):\n%s", diff)
		}
	})
}

// A batch redelivered after only part of it was stored must refold its
// credential attempts without the stored ones: the folding done before the
// transaction assumes none are stored.
func TestPartlyStoredBatchCountsOnlyItsNewCredentialAttempts(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var batch []model.IngestRecord
		for i := range 5 {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Second), "203.0.113.62")
			r.Credential = cred("root", "plaintext", "toor")
			batch = append(batch, r)
		}
		commit(t, s, batch[1], batch[3])
		res := commit(t, s, batch...)
		if res.LogsInserted != 3 || res.Duplicates != 2 || len(res.Credentials) != 1 || res.Credentials[0].AttemptCount != 3 {
			t.Fatalf("commit of the partly stored batch = %+v; want 3 logs, 2 duplicates, one key with 3 attempts", res)
		}
		rows := allCredentials(t, s)
		if len(rows) != 1 || rows[0].AttemptCount != 5 {
			t.Fatalf("credential rows = %+v; want one row counting 5 attempts", rows)
		}
	})
}

func TestCredentialRowKeepsTheCapturedFields(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		r := logRec(newID(), t0, "203.0.113.70")
		r.Credential = cred("oracle", "plaintext", "tiger")
		res := commit(t, s, r)
		want := *r.Credential
		want.AttackerIP, want.DeckyName, want.Service = "203.0.113.70", "decky-01", "ssh"
		want.PrincipalKey, want.AttemptCount = "oracle", 1
		want.FirstSeen, want.LastSeen = t0.Truncate(time.Microsecond), t0.Truncate(time.Microsecond)
		opts := cmpopts.IgnoreFields(model.Credential{}, "ID")
		reported := res.Credentials[0]
		reported.FirstSeen, reported.LastSeen = reported.FirstSeen.Truncate(time.Microsecond), reported.LastSeen.Truncate(time.Microsecond)
		if diff := cmp.Diff(want, reported, opts); diff != "" {
			t.Errorf("reported credential (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]model.Credential{want}, allCredentials(t, s), opts); diff != "" {
			t.Errorf("stored credential (-want +got):\n%s", diff)
		}
	})
}

func TestBountiesDedupOnTypeAttackerAndPayload(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ua := `{"fingerprint_type":"http_useragent","value":"curl/8.5"}`
		steps := []struct {
			name     string
			ip       string
			bounties []model.Bounty
			want     int
		}{
			{"first sighting", "198.51.100.1", []model.Bounty{bounty(model.BountyFingerprint, ua)}, 1},
			{"same finding in a later event", "198.51.100.1", []model.Bounty{bounty(model.BountyFingerprint, ua)}, 0},
			{"same finding twice in one event", "198.51.100.1", []model.Bounty{bounty(model.BountyIPLeak, ua), bounty(model.BountyIPLeak, ua)}, 1},
			{"another attacker", "198.51.100.2", []model.Bounty{bounty(model.BountyFingerprint, ua)}, 1},
			{"payload bytes differ", "198.51.100.1", []model.Bounty{bounty(model.BountyFingerprint, ua[:len(ua)-1]+" }")}, 1},
		}
		total := 0
		for _, st := range steps {
			r := logRec(newID(), t0, st.ip)
			r.Bounties = st.bounties
			if res := commit(t, s, r); res.BountiesInserted != st.want {
				t.Errorf("%s: BountiesInserted = %d; want %d", st.name, res.BountiesInserted, st.want)
			}
			total += st.want
		}
		got := allBounties(t, s)
		if len(got) != total {
			t.Fatalf("stored %d bounties; want %d", len(got), total)
		}
		b := got[len(got)-1]
		want := model.Bounty{ID: b.ID, Timestamp: t0.Truncate(time.Microsecond), Decky: "decky-01", Service: "ssh",
			AttackerIP: "198.51.100.1", BountyType: model.BountyFingerprint, Payload: json.RawMessage(ua)}
		if diff := cmp.Diff(want, b); diff != "" {
			t.Errorf("oldest bounty (-want +got):\n%s", diff)
		}
	})
}

func TestCommitBatchCutsOversizeAndMalformedAttackerStrings(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		r := logRec(newID(), t0, strings.Repeat("9", 300))
		r.Log.Decky = "decky-\xff\xfe"
		r.Log.Service = strings.Repeat("s", 100)
		r.Log.EventType = strings.Repeat("é", 50) // 100 bytes, cut inside no rune
		r.Log.RawLine = strings.Repeat("x", 100_000)
		r.Credential = cred(strings.Repeat("u", 1000), "plaintext", "p")
		r.Credential.SecretPrintable = strings.Repeat("\x00p", 600)
		res := commit(t, s, r)
		if res.LogsInserted != 1 {
			t.Fatalf("result = %+v; want the record stored", res)
		}
		logs, err := s.ListLogs(t.Context(), store.LogQuery{})
		if err != nil {
			t.Fatal(err)
		}
		l := logs[0]
		got := []int{len(l.AttackerIP), len(l.Service), len(l.EventType), len(l.RawLine)}
		if diff := cmp.Diff([]int{maxIP, maxService, 64, maxText}, got); diff != "" {
			t.Errorf("stored lengths [ip service event_type raw_line] (-want +got):\n%s", diff)
		}
		// A run of invalid bytes becomes one U+FFFD, as strings.ToValidUTF8 does.
		if l.Decky != "decky-\uFFFD" || !utf8.ValidString(l.EventType) {
			t.Errorf("decky = %q, event_type valid = %v; want invalid bytes replaced", l.Decky, utf8.ValidString(l.EventType))
		}
		c := allCredentials(t, s)[0]
		if len(c.Principal) != maxPrincipal || c.PrincipalKey != c.Principal || len(c.SecretPrintable) != maxPrintable {
			t.Errorf("credential lengths principal=%d key=%d printable=%d; want %d, same, %d",
				len(c.Principal), len(c.PrincipalKey), len(c.SecretPrintable), maxPrincipal, maxPrintable)
		}
	})
}

func TestCommitBatchRejectsInvalidBountyJSONAndWritesNothing(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		good := logRec(newID(), t0, "192.0.2.20")
		bad := logRec(newID(), t0, "192.0.2.20")
		bad.Bounties = []model.Bounty{bounty(model.BountyArtifact, `{"kind":`)}
		if _, err := s.CommitBatch(t.Context(), []model.IngestRecord{good, bad}); err == nil {
			t.Fatal("CommitBatch accepted a bounty payload that is not JSON")
		}
		if n := countLogs(t, s); n != 0 {
			t.Errorf("CountLogs = %d; want 0", n)
		}
	})
}

func TestCommitBatchOfNothingIsANoOp(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		res, err := s.CommitBatch(t.Context(), nil)
		if err != nil || !cmp.Equal(res, model.IngestResult{}) {
			t.Errorf("CommitBatch(nil) = %+v, %v; want zero result", res, err)
		}
	})
}

func TestConcurrentCommitsOfOverlappingBatchesStoreEachEventOnce(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		// Three writers commit the same 300 events plus 100 of their own,
		// released together, for several rounds. On MySQL they race on
		// the event-id key and the losers re-run (a writer loses at most
		// once to each other writer, within maxCommitAttempts); on SQLite
		// they queue.
		const writers, rounds = 3, 5
		for round := range rounds {
			var shared []model.IngestRecord
			for i := range 300 {
				r := logRec(newID(), t0.Add(time.Duration(i)*time.Millisecond), "192.0.2.30")
				if i%10 == 0 {
					r.Credential = cred("root", "plaintext", "toor")
					r.Bounties = []model.Bounty{bounty(model.BountyFingerprint, fmt.Sprintf(`{"round":%d}`, round))}
				}
				shared = append(shared, r)
			}
			start := make(chan struct{})
			results := make([]model.IngestResult, writers)
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for w := range writers {
				batch := append([]model.IngestRecord(nil), shared...)
				for range 100 {
					batch = append(batch, logRec(newID(), t0, "192.0.2.31"))
				}
				wg.Go(func() {
					<-start
					results[w], errs[w] = s.CommitBatch(t.Context(), batch)
				})
			}
			close(start)
			wg.Wait()
			inserted, bounties := 0, 0
			for w := range writers {
				if errs[w] != nil {
					t.Fatalf("round %d writer %d: %v", round, w, errs[w])
				}
				inserted += results[w].LogsInserted
				bounties += results[w].BountiesInserted
			}
			if want := 300 + writers*100; inserted != want || bounties != 1 {
				t.Errorf("round %d: %d logs and %d bounties inserted; want %d and 1", round, inserted, bounties, want)
			}
		}
		if want := int64(rounds * (300 + writers*100)); countLogs(t, s) != want {
			t.Errorf("CountLogs = %d; want %d", countLogs(t, s), want)
		}
		creds := allCredentials(t, s)
		if len(creds) != 1 || creds[0].AttemptCount != rounds*30 {
			t.Errorf("credentials = %+v; want one row with %d attempts", creds, rounds*30)
		}
	})
}

func TestPreparedBatchCommitsLikeCommitBatch(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		r := logRec(newID(), t0, "203.0.113.80")
		r.Credential = cred("root", "plaintext", "toor")
		r.Bounties = []model.Bounty{bounty(model.BountyFingerprint, `{"ua":"x"}`)}
		pb, err := s.PrepareBatch([]model.IngestRecord{r, r})
		if err != nil {
			t.Fatal(err)
		}
		if pb.Len() != 1 {
			t.Errorf("Len = %d; want 1 after dropping the in-batch duplicate", pb.Len())
		}
		res, err := s.CommitPrepared(t.Context(), pb)
		if err != nil {
			t.Fatal(err)
		}
		if res.LogsInserted != 1 || res.Duplicates != 1 || res.BountiesInserted != 1 || len(res.Credentials) != 1 {
			t.Errorf("result = %+v", res)
		}
		if _, err := s.CommitPrepared(t.Context(), fakePrepared{}); err == nil {
			t.Error("a batch prepared elsewhere was accepted")
		}
	})
}

func TestPreparedBatchesShareOneTransaction(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		stored := logRec(newID(), t0, "203.0.113.82")
		commit(t, s, stored)
		attempt := func(id string) model.IngestRecord {
			r := logRec(id, t0.Add(time.Second), "203.0.113.82")
			r.Credential = cred("root", "plaintext", "toor")
			return r
		}
		repeated := attempt(newID())
		// The same credential key in both batches, an event id in both
		// batches, and one stored before.
		a, err := s.PrepareBatch([]model.IngestRecord{attempt(newID()), repeated})
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.PrepareBatch([]model.IngestRecord{repeated, attempt(newID()), stored})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.CommitPrepared(t.Context(), a, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.LogsInserted != 3 || res.Duplicates != 2 {
			t.Errorf("result = %+v; want 3 inserted, 2 duplicates", res)
		}
		if len(res.Credentials) != 1 || res.Credentials[0].AttemptCount != 3 {
			t.Errorf("credentials = %+v; want one key with 3 attempts", res.Credentials)
		}
		creds := allCredentials(t, s)
		if len(creds) != 1 || creds[0].AttemptCount != 3 {
			t.Errorf("stored credentials = %+v; want one row with 3 attempts", creds)
		}
		if n := countLogs(t, s); n != 4 {
			t.Errorf("CountLogs = %d; want 4", n)
		}
	})
}

type fakePrepared struct{}

func (fakePrepared) Len() int { return 0 }

func TestRepeatedBountySkipsTheDatabaseOnlyAfterItsBatchCommitted(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		finding := bounty(model.BountyFingerprint, `{"fingerprint_type":"http_useragent","value":"sqlmap/1.7"}`)

		// A batch that fails (credential pointing at a missing attacker row)
		// rolls back: its bounty must not be remembered as stored.
		bad := logRec(newID(), t0, "203.0.113.81")
		bad.Bounties = []model.Bounty{finding}
		bad.Credential = cred("root", "plaintext", "x")
		bad.Credential.AttackerUUID = "no-such-attacker"
		if _, err := s.CommitBatch(t.Context(), []model.IngestRecord{bad}); err == nil {
			t.Fatal("commit with a dangling attacker_uuid succeeded")
		}

		for i, want := range []int{1, 0, 0} {
			r := logRec(newID(), t0.Add(time.Duration(i)*time.Second), "203.0.113.81")
			r.Bounties = []model.Bounty{finding}
			if res := commit(t, s, r); res.BountiesInserted != want {
				t.Errorf("batch %d inserted %d bounties; want %d", i, res.BountiesInserted, want)
			}
		}
		if n := len(allBounties(t, s)); n != 1 {
			t.Errorf("%d bounty rows; want 1", n)
		}
	})
}
