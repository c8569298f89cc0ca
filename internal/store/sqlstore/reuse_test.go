package sqlstore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// attempt commits one credential attempt of secret by principal from ip on
// decky:service at ts.
func attempt(t *testing.T, s *Store, ts time.Time, ip, decky, service, principal, secret string) {
	t.Helper()
	r := logRec(newID(), ts, ip)
	r.Log.Decky, r.Log.Service = decky, service
	r.Credential = cred(principal, "plaintext", secret)
	commit(t, s, r)
}

func findReuse(t *testing.T, s *Store, since time.Time) []model.CredentialReuse {
	t.Helper()
	out, err := s.FindReuse(t.Context(), 2, since)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFindReuseNeedsTwoDistinctTargets(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		// Repeats on one decky:service, from two addresses, are one target.
		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "root", "hunter2")
		attempt(t, s, t0.Add(time.Second), "10.0.0.1", "decky-01", "ssh", "root", "hunter2")
		attempt(t, s, t0.Add(2*time.Second), "10.0.0.2", "decky-01", "ssh", "root", "hunter2")
		if got := findReuse(t, s, time.Time{}); len(got) != 0 {
			t.Fatalf("one target: FindReuse = %+v, want none", got)
		}
		// Another service of the same decky is a second target.
		attempt(t, s, t0.Add(3*time.Second), "10.0.0.3", "decky-01", "ftp", "root", "hunter2")
		got := findReuse(t, s, time.Time{})
		want := []model.CredentialReuse{{
			SecretSHA256: cred("", "", "hunter2").SecretSHA256, SecretKind: "plaintext",
			Principal: "root", PrincipalKey: "root",
			Targets: []string{"decky-01:ftp", "decky-01:ssh"}, TargetCount: 2,
			Deckies: []string{"decky-01"}, Services: []string{"ftp", "ssh"},
			AttackerIPs: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, AttackerUUIDs: []string{},
			LastAttackerIP: "10.0.0.3", AttemptCount: 4,
			FirstSeen: t0.Truncate(time.Microsecond), LastSeen: t0.Add(3 * time.Second).Truncate(time.Microsecond),
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("FindReuse (-want +got):\n%s", diff)
		}
		// A higher threshold hides it.
		if got, err := s.FindReuse(t.Context(), 3, time.Time{}); err != nil || len(got) != 0 {
			t.Errorf("FindReuse(3) = %+v, %v; want none", got, err)
		}
	})
}

func TestFindReuseGroupsByPrincipalAndSince(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		for i, d := range []string{"decky-01", "decky-02"} {
			ts := t0.Add(time.Duration(i) * time.Second)
			attempt(t, s, ts, "10.0.0.1", d, "ssh", "root", "toor")
			attempt(t, s, ts, "10.0.0.1", d, "ssh", "admin", "toor")
			attempt(t, s, ts, "10.0.0.1", d, "ssh", "", "toor")
		}
		// Only one target for admin/letmein: below the threshold.
		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "admin", "letmein")
		got := findReuse(t, s, time.Time{})
		var keys []string
		for _, r := range got {
			keys = append(keys, r.PrincipalKey+"/"+r.Principal)
			if r.TargetCount != 2 || r.AttemptCount != 2 {
				t.Errorf("group %q: targets %d attempts %d, want 2 and 2", r.PrincipalKey, r.TargetCount, r.AttemptCount)
			}
		}
		if diff := cmp.Diff([]string{"/", "admin/admin", "root/root"}, keys); diff != "" {
			t.Errorf("groups (-want +got):\n%s", diff)
		}

		// since keeps the groups touched since, complete.
		late := t0.Add(time.Hour)
		attempt(t, s, late, "10.0.0.9", "decky-01", "ssh", "root", "toor")
		got = findReuse(t, s, t0.Add(time.Minute))
		if len(got) != 1 || got[0].PrincipalKey != "root" || got[0].AttemptCount != 3 ||
			got[0].LastAttackerIP != "10.0.0.9" || !got[0].FirstSeen.Equal(t0.Truncate(time.Microsecond)) {
			t.Errorf("FindReuse(since) = %+v; want the root group only, whole", got)
		}
		if got := findReuse(t, s, late.Add(time.Second)); len(got) != 0 {
			t.Errorf("FindReuse(after everything) = %+v, want none", got)
		}
	})
}

func TestUpsertReuseReplacesCountsAndReportsGrowth(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "root", "hunter2")
		attempt(t, s, t0, "10.0.0.1", "decky-02", "ssh", "root", "hunter2")
		g := findReuse(t, s, time.Time{})[0]

		res, err := s.UpsertReuse(ctx, g)
		if err != nil || !res.Created || !res.Grown || !res.Changed || res.ID == "" {
			t.Fatalf("first UpsertReuse = %+v, %v; want created", res, err)
		}
		id := res.ID
		// QUIRK 9: recomputing and storing the same group, twice, leaves the
		// true total.
		for range 2 {
			res, err = s.UpsertReuse(ctx, findReuse(t, s, time.Time{})[0])
			if err != nil || res != (store.ReuseUpsert{ID: id}) {
				t.Fatalf("repeat UpsertReuse = %+v, %v; want unchanged", res, err)
			}
		}
		got, err := s.GetReuse(ctx, id)
		if err != nil || got.AttemptCount != 2 || got.TargetCount != 2 || got.Confidence != 1 {
			t.Fatalf("GetReuse = %+v, %v; want 2 attempts on 2 targets", got, err)
		}
		if got.SecretPrintable != "hunter2" || got.SecretB64 != "hunter2" {
			t.Errorf("GetReuse secret = %q/%q, want hunter2", got.SecretPrintable, got.SecretB64)
		}

		// More attempts on known targets: changed, not grown, replaced.
		attempt(t, s, t0.Add(time.Minute), "10.0.0.2", "decky-01", "ssh", "root", "hunter2")
		res, err = s.UpsertReuse(ctx, findReuse(t, s, time.Time{})[0])
		if err != nil || res != (store.ReuseUpsert{ID: id, Changed: true}) {
			t.Fatalf("UpsertReuse after attempt = %+v, %v; want changed only", res, err)
		}
		// A new target grows it.
		attempt(t, s, t0.Add(2*time.Minute), "10.0.0.2", "decky-03", "http", "root", "hunter2")
		res, err = s.UpsertReuse(ctx, findReuse(t, s, time.Time{})[0])
		if err != nil || res != (store.ReuseUpsert{ID: id, Grown: true, Changed: true}) {
			t.Fatalf("UpsertReuse after new target = %+v, %v; want grown", res, err)
		}
		got, err = s.GetReuse(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want := model.CredentialReuse{
			ID: id, SecretSHA256: g.SecretSHA256, SecretKind: "plaintext", Principal: "root", PrincipalKey: "root",
			Targets: []string{"decky-01:ssh", "decky-02:ssh", "decky-03:http"}, TargetCount: 3,
			Deckies: []string{"decky-01", "decky-02", "decky-03"}, Services: []string{"http", "ssh"},
			AttackerIPs: []string{"10.0.0.1", "10.0.0.2"}, AttackerUUIDs: []string{}, LastAttackerIP: "10.0.0.2",
			AttemptCount: 4, Confidence: 1, FirstSeen: t0.Truncate(time.Microsecond),
			LastSeen: t0.Add(2 * time.Minute).Truncate(time.Microsecond), SecretPrintable: "hunter2", SecretB64: "hunter2",
		}
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(model.CredentialReuse{}, "UpdatedAt")); diff != "" {
			t.Errorf("GetReuse (-want +got):\n%s", diff)
		}
		if _, err := s.GetReuse(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetReuse(unknown) = %v, want ErrNotFound", err)
		}
		if _, err := s.UpsertReuse(ctx, model.CredentialReuse{SecretKind: "plaintext"}); err == nil {
			t.Error("UpsertReuse without a secret hash succeeded")
		}
	})
}

func TestListReuseOrdersAndFilters(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		for i, d := range []string{"decky-01", "decky-02", "decky-03"} {
			attempt(t, s, t0.Add(time.Duration(i)*time.Second), "10.0.0.1", d, "ssh", "root", "wide")
		}
		for i, d := range []string{"decky-01", "decky-02"} {
			attempt(t, s, t0.Add(time.Duration(i)*time.Second), "10.0.0.1", d, "ssh", "root", "narrow")
			attempt(t, s, t0.Add(time.Hour), "10.0.0.1", d, "ssh", "admin", "narrow")
		}
		for _, g := range findReuse(t, s, time.Time{}) {
			if _, err := s.UpsertReuse(ctx, g); err != nil {
				t.Fatal(err)
			}
		}
		rows, total, err := s.ListReuse(ctx, store.ReuseQuery{})
		if err != nil || total != 3 || len(rows) != 3 {
			t.Fatalf("ListReuse = %d rows, total %d, %v; want 3", len(rows), total, err)
		}
		var order []string
		for _, r := range rows {
			order = append(order, r.SecretPrintable+"/"+r.PrincipalKey)
		}
		if diff := cmp.Diff([]string{"wide/root", "narrow/admin", "narrow/root"}, order); diff != "" {
			t.Errorf("order (-want +got):\n%s", diff)
		}
		rows, total, err = s.ListReuse(ctx, store.ReuseQuery{MinTargetCount: 3, SecretKind: "plaintext"})
		if err != nil || total != 1 || len(rows) != 1 || rows[0].SecretPrintable != "wide" {
			t.Errorf("ListReuse(min 3) = %+v, %d, %v; want wide only", rows, total, err)
		}
		if _, total, _ := s.ListReuse(ctx, store.ReuseQuery{SecretKind: "ntlm"}); total != 0 {
			t.Errorf("ListReuse(ntlm) total = %d, want 0", total)
		}
	})
}

func TestUpsertReuseConcurrentCreatesOneRow(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "root", "race")
		attempt(t, s, t0, "10.0.0.1", "decky-02", "ssh", "root", "race")
		const writers = 8
		// upsertAll stores the group's current state from writers at once
		// and returns how many reported creation and growth.
		upsertAll := func() (created, grown int) {
			g := findReuse(t, s, time.Time{})[0]
			results := make(chan store.ReuseUpsert, writers)
			errs := make(chan error, writers)
			var wg sync.WaitGroup
			for range writers {
				wg.Go(func() {
					res, err := s.UpsertReuse(t.Context(), g)
					results <- res
					errs <- err
				})
			}
			wg.Wait()
			close(results)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			ids := map[string]bool{}
			for res := range results {
				if res.Created {
					created++
				}
				if res.Grown && !res.Created {
					grown++
				}
				ids[res.ID] = true
			}
			if len(ids) != 1 {
				t.Errorf("ids %v, want one", ids)
			}
			return created, grown
		}
		if created, grown := upsertAll(); created != 1 || grown != 0 {
			t.Errorf("new group, %d writers: %d created, %d grown; want 1 and 0", writers, created, grown)
		}
		attempt(t, s, t0, "10.0.0.1", "decky-03", "ssh", "root", "race")
		if created, grown := upsertAll(); created != 0 || grown != 1 {
			t.Errorf("grown group, %d writers: %d created, %d grown; want 0 and 1", writers, created, grown)
		}
	})
}
