package sqlstore

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// ti0 is t0 at the stored precision.
var ti0 = t0.Truncate(time.Microsecond)

// eachIdentityStore runs fn per dialect with an empty store whose clock is
// c, set to ti0. The shared MySQL database is emptied of attackers by
// openStore; the identities are removed here.
func eachIdentityStore(t *testing.T, c *clock, fn func(t *testing.T, s *Store)) {
	eachDialectWith(t, Options{Now: c.Now}, func(t *testing.T, s *Store) {
		c.Set(ti0)
		if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM attacker_identities"); err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
}

// seedAttacker stores an attacker row and returns its uuid.
func seedAttacker(t *testing.T, s *Store, ip string, first, last time.Time, asn int64, fps ...model.Fingerprint) string {
	t.Helper()
	a, err := s.UpsertAttacker(t.Context(), model.Attacker{IP: ip, FirstSeen: first, LastSeen: last, ASN: asn,
		Fingerprints: fps, Commands: []model.CommandEntry{{Service: "ssh", Decky: "decky-01", Command: "id",
			Timestamp: first}}})
	if err != nil {
		t.Fatal(err)
	}
	return a.UUID
}

func applyPlan(t *testing.T, s *Store, p store.IdentityPlan) {
	t.Helper()
	if err := s.ApplyIdentityPlan(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

func getIdentity(t *testing.T, s *Store, id string) model.Identity {
	t.Helper()
	m, err := s.GetIdentity(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// identityIDs returns the uuids of attackers as ListIdentityObservations
// pages them.
func observationIPs(t *testing.T, s *Store, id string) ([]string, int64) {
	t.Helper()
	rows, total, err := s.ListIdentityObservations(t.Context(), id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ips []string
	for _, a := range rows {
		ips = append(ips, a.IP)
	}
	return ips, total
}

const (
	idA = "00000000-0000-4000-8000-00000000000a"
	idB = "00000000-0000-4000-8000-00000000000b"
)

func TestListClusterInputsAndCredentialTuples(t *testing.T) {
	eachIdentityStore(t, &clock{t: t0}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u1 := seedAttacker(t, s, "10.0.0.1", t0, t0.Add(time.Hour), 64500,
			model.Fingerprint{Type: "ja3", Value: "j1"}, model.Fingerprint{Type: "hassh", Value: "h1"})
		u2 := seedAttacker(t, s, "10.0.0.2", t0, t0, 0)
		got, err := s.ListClusterInputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.Attacker{
			{UUID: u1, IP: "10.0.0.1", FirstSeen: t0.Truncate(time.Microsecond),
				LastSeen: t0.Add(time.Hour).Truncate(time.Microsecond), ASN: 64500,
				Fingerprints: []model.Fingerprint{{Type: "ja3", Value: "j1"}, {Type: "hassh", Value: "h1"}}},
			{UUID: u2, IP: "10.0.0.2", FirstSeen: t0.Truncate(time.Microsecond), LastSeen: t0.Truncate(time.Microsecond),
				Fingerprints: []model.Fingerprint{}},
		} // commands are not read: they cannot change the partition
		sortByUUID := cmpopts.SortSlices(func(a, b model.Attacker) bool { return a.UUID < b.UUID })
		if diff := cmp.Diff(want, got, sortByUUID, cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
			t.Errorf("ListClusterInputs (-want +got):\n%s", diff)
		}

		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "root", "toor")
		attempt(t, s, t0, "10.0.0.1", "decky-02", "ssh", "root", "toor")
		attempt(t, s, t0, "10.0.0.1", "decky-01", "ssh", "admin", "admin")
		attempt(t, s, t0, "10.0.0.2", "decky-01", "ftp", "", "x")
		tuples, err := s.ListCredentialTuples(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sha := func(v string) string { return fmt.Sprintf("%064x", v) }
		wantTuples := map[string][]store.CredentialTuple{
			"10.0.0.1": {{PrincipalKey: "admin", SecretSHA256: sha("admin")}, {PrincipalKey: "root", SecretSHA256: sha("toor")}},
			"10.0.0.2": {{PrincipalKey: "", SecretSHA256: sha("x")}},
		}
		if diff := cmp.Diff(wantTuples, tuples); diff != "" {
			t.Errorf("ListCredentialTuples (-want +got):\n%s", diff)
		}
	})
}

func TestApplyIdentityPlanFormsAndKeepsRollupsTrue(t *testing.T) {
	c := &clock{t: ti0}
	eachIdentityStore(t, c, func(t *testing.T, s *Store) {
		ctx := t.Context()
		u1 := seedAttacker(t, s, "10.0.0.1", ti0, ti0.Add(time.Hour), 0)
		u2 := seedAttacker(t, s, "10.0.0.2", ti0.Add(-time.Hour), ti0, 0)
		rollup := store.IdentityRollup{UUID: idA, FirstSeenAt: ti0.Add(-time.Hour), LastSeenAt: ti0.Add(time.Hour),
			ObservationCount: 2, JA3Hashes: []string{"j1", "j2"}, HASSHHashes: []string{"h"},
			PayloadHashes: []string{"p"}, C2Endpoints: []string{"evil:4444"}}
		created := ti0.Add(time.Minute)
		c.Set(created)
		applyPlan(t, s, store.IdentityPlan{
			Formed: []string{idA},
			Links: []store.IdentityLink{{AttackerUUID: u1, IdentityUUID: idA},
				{AttackerUUID: u2, IdentityUUID: idA}},
			Rollups: []store.IdentityRollup{rollup},
		})
		want := model.Identity{UUID: idA, SchemaVersion: 1, FirstSeenAt: ti0.Add(-time.Hour), LastSeenAt: ti0.Add(time.Hour),
			CreatedAt: created, UpdatedAt: created, ObservationCount: 2, JA3Hashes: []string{"j1", "j2"},
			HASSHHashes: []string{"h"}, JA4HHashes: []string{}, JA4QUICHashes: []string{}, HTTPVersionsSeen: []string{},
			TLSCertSHA256: []string{}, IPv6LinkLocalIIDs: []string{}, PayloadSimhashes: []string{"p"},
			C2Endpoints: []string{"evil:4444"}}
		if diff := cmp.Diff(want, getIdentity(t, s, idA)); diff != "" {
			t.Errorf("GetIdentity (-want +got):\n%s", diff)
		}
		links, err := s.ListIdentityLinks(ctx)
		if err != nil || !cmp.Equal(links, map[string]string{idA: ""}) {
			t.Errorf("ListIdentityLinks = %v, %v; want %s live", links, err, idA)
		}
		inputs, err := s.ListClusterInputs(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range inputs {
			if a.IdentityID != idA {
				t.Errorf("attacker %s identity_id = %q, want %s", a.IP, a.IdentityID, idA)
			}
		}

		// The same rollup again writes nothing: updated_at stays.
		c.Set(ti0.Add(time.Hour))
		applyPlan(t, s, store.IdentityPlan{Rollups: []store.IdentityRollup{rollup}})
		if got := getIdentity(t, s, idA).UpdatedAt; !got.Equal(created) {
			t.Errorf("updated_at after an unchanged rollup = %v, want %v", got, created)
		}
		// A changed one is written (QUIRK 10: counts and seen times move).
		rollup.ObservationCount, rollup.LastSeenAt, rollup.HASSHHashes = 3, ti0.Add(2*time.Hour), nil
		applyPlan(t, s, store.IdentityPlan{Rollups: []store.IdentityRollup{rollup}})
		got := getIdentity(t, s, idA)
		if got.ObservationCount != 3 || !got.LastSeenAt.Equal(ti0.Add(2*time.Hour)) || len(got.HASSHHashes) != 0 ||
			!got.UpdatedAt.Equal(ti0.Add(time.Hour)) || !got.CreatedAt.Equal(created) {
			t.Errorf("after a changed rollup: %+v; want 3 members, last seen +2h, no hassh, updated at +1h", got)
		}
	})
}

func TestIdentityMergeUnmergeAndReads(t *testing.T) {
	c := &clock{t: ti0}
	eachIdentityStore(t, c, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a1 := seedAttacker(t, s, "10.0.0.1", ti0, ti0.Add(time.Hour), 0)
		b1 := seedAttacker(t, s, "10.0.0.2", ti0, ti0.Add(2*time.Hour), 0)
		seedAttacker(t, s, "10.0.0.3", ti0, ti0, 0) // no identity
		applyPlan(t, s, store.IdentityPlan{
			Formed: []string{idB, idA},
			Links: []store.IdentityLink{{AttackerUUID: a1, IdentityUUID: idA},
				{AttackerUUID: b1, IdentityUUID: idB}},
			Rollups: []store.IdentityRollup{{UUID: idA, ObservationCount: 1}, {UUID: idB, ObservationCount: 1}},
		})
		// B is updated later, so it lists first.
		c.Set(ti0.Add(time.Minute))
		applyPlan(t, s, store.IdentityPlan{Rollups: []store.IdentityRollup{{UUID: idB, ObservationCount: 1,
			JA3Hashes: []string{"j"}}}})
		page, total, err := s.ListIdentities(ctx, 0, 0)
		if err != nil || total != 2 || len(page) != 2 || page[0].UUID != idB || page[1].UUID != idA {
			t.Fatalf("ListIdentities = %d rows (%v), total %d, %v; want B then A", len(page), page, total, err)
		}

		c.Set(ti0.Add(2 * time.Minute))
		applyPlan(t, s, store.IdentityPlan{
			Merges:  []store.IdentityMerge{{WinnerUUID: idA, LoserUUID: idB}},
			Rollups: []store.IdentityRollup{{UUID: idA, ObservationCount: 2}},
		})
		if got := getIdentity(t, s, idB); got.UUID != idA || got.ObservationCount != 2 || got.MergedIntoUUID != "" {
			t.Errorf("GetIdentity(loser) = %+v; want the winner with 2 members", got)
		}
		page, total, err = s.ListIdentities(ctx, 10, 0)
		if err != nil || total != 1 || len(page) != 1 || page[0].UUID != idA {
			t.Errorf("ListIdentities after merge = %v, %d, %v; want A only", page, total, err)
		}
		for _, id := range []string{idA, idB} {
			ips, total := observationIPs(t, s, id)
			if diff := cmp.Diff([]string{"10.0.0.2", "10.0.0.1"}, ips); diff != "" || total != 2 {
				t.Errorf("ListIdentityObservations(%s) total %d (-want +got):\n%s", id, total, diff)
			}
		}
		if rows, total, err := s.ListIdentityObservations(ctx, idA, 1, 1); err != nil || total != 2 ||
			len(rows) != 1 || rows[0].UUID != a1 || rows[0].IdentityID != idA {
			t.Errorf("ListIdentityObservations page 2 = %+v, %d, %v; want a1 of 2", rows, total, err)
		}

		applyPlan(t, s, store.IdentityPlan{
			Unmerges: []store.IdentityUnmerge{{ResurrectedUUID: idB, FormerWinnerUUID: idA}},
			Rollups:  []store.IdentityRollup{{UUID: idA, ObservationCount: 1}, {UUID: idB, ObservationCount: 1}},
		})
		if got := getIdentity(t, s, idB); got.UUID != idB || got.MergedIntoUUID != "" {
			t.Errorf("GetIdentity(resurrected) = %+v; want itself, unmerged", got)
		}
		if ips, total := observationIPs(t, s, idA); !cmp.Equal(ips, []string{"10.0.0.1"}) || total != 1 {
			t.Errorf("ListIdentityObservations(A) after unmerge = %v, %d; want 10.0.0.1 only", ips, total)
		}

		if _, err := s.GetIdentity(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetIdentity(unknown) = %v, want ErrNotFound", err)
		}
		if _, _, err := s.ListIdentityObservations(ctx, "nope", 0, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ListIdentityObservations(unknown) = %v, want ErrNotFound", err)
		}
	})
}

func TestGetIdentityStopsAfterMaxHops(t *testing.T) {
	eachIdentityStore(t, &clock{t: ti0}, func(t *testing.T, s *Store) {
		// A chain of 11 identities: id-00 ← id-01 ← … ← id-10.
		var ids []string
		for i := range 11 {
			ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
		}
		var rollups []store.IdentityRollup
		var merges []store.IdentityMerge
		for i, id := range ids {
			rollups = append(rollups, store.IdentityRollup{UUID: id})
			if i > 0 {
				merges = append(merges, store.IdentityMerge{WinnerUUID: ids[i-1], LoserUUID: id})
			}
		}
		applyPlan(t, s, store.IdentityPlan{Formed: ids, Merges: merges, Rollups: rollups})
		if got := getIdentity(t, s, ids[10]); got.UUID != ids[10-store.MaxMergeHops] {
			t.Errorf("GetIdentity(end of chain) = %s, want %s (%d hops)", got.UUID, ids[10-store.MaxMergeHops], store.MaxMergeHops)
		}
		if got := getIdentity(t, s, ids[3]); got.UUID != ids[0] {
			t.Errorf("GetIdentity(3 hops) = %s, want %s", got.UUID, ids[0])
		}
	})
}

func TestApplyIdentityPlanIsAtomic(t *testing.T) {
	eachIdentityStore(t, &clock{t: ti0}, func(t *testing.T, s *Store) {
		u := seedAttacker(t, s, "10.0.0.1", ti0, ti0, 0)
		// The merge names a winner that does not exist: the foreign key
		// fails, and the identity formed earlier in the plan is undone.
		err := s.ApplyIdentityPlan(t.Context(), store.IdentityPlan{
			Formed:  []string{idA},
			Links:   []store.IdentityLink{{AttackerUUID: u, IdentityUUID: idA}},
			Merges:  []store.IdentityMerge{{WinnerUUID: "missing", LoserUUID: idA}},
			Rollups: []store.IdentityRollup{{UUID: idA, ObservationCount: 1}},
		})
		if err == nil {
			t.Fatal("ApplyIdentityPlan with a dangling merge succeeded")
		}
		links, err := s.ListIdentityLinks(t.Context())
		if err != nil || len(links) != 0 {
			t.Errorf("identities after a failed plan = %v, %v; want none", links, err)
		}
		inputs, err := s.ListClusterInputs(t.Context())
		if err != nil || len(inputs) != 1 || inputs[0].IdentityID != "" {
			t.Errorf("attacker after a failed plan = %+v, %v; want no identity", inputs, err)
		}
	})
}
