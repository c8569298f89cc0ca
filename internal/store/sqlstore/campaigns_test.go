package sqlstore

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/campaign"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

const (
	identA = "00000000-0000-4000-8000-00000000ca01"
	identB = "00000000-0000-4000-8000-00000000ca02"
)

// seedHandoff stores two identities of one attacker each, B's active gap
// after A's, and returns the attackers.
func seedHandoff(t *testing.T, s *Store, gap time.Duration) (a, b string) {
	t.Helper()
	a = seedAttacker(t, s, "10.9.0.1", ti0, ti0.Add(time.Hour), 0)
	b = seedAttacker(t, s, "10.9.0.2", ti0.Add(gap), ti0.Add(gap+time.Hour), 0)
	seedIdentity(t, s, identA, "", a)
	seedIdentity(t, s, identB, "", b)
	for id, span := range map[string][2]time.Time{identA: {ti0, ti0.Add(time.Hour)}, identB: {ti0.Add(gap), ti0.Add(gap + time.Hour)}} {
		if _, err := s.DB().ExecContext(t.Context(), "UPDATE attacker_identities SET first_seen_at = ?, last_seen_at = ? "+
			"WHERE uuid = ?", s.nullTimeArg(span[0]), s.nullTimeArg(span[1]), id); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// tagHandoff tags attacker a with persistence then command and control on
// decky-01 at ti0, and b with discovery there gap later.
func tagHandoff(t *testing.T, s *Store, a, b string, gap time.Duration) {
	t.Helper()
	on := func(tag model.TTPTag, tactic string) model.TTPTag {
		tag.DeckyID, tag.Tactic = "decky-01", tactic
		return tag
	}
	insertTags(t, s,
		on(ttpTag("a-persist", a, "", "T1053", "", 0.9, ti0.Add(-time.Minute)), "TA0003"),
		on(ttpTag("a-c2", a, "", "T1105", "", 0.9, ti0), "TA0011"),
		on(ttpTag("b-disc", b, "", "T1082", "", 0.9, ti0.Add(gap)), "TA0007"),
		on(ttpTag("b-more", b, "", "T1083", "", 0.9, ti0.Add(gap+time.Minute)), "TA0007"),
	)
}

// numbered names campaigns in creation order.
func numbered() func() string {
	n := 0
	return func() string {
		n++
		return "00000000-0000-4000-8000-00000000cc0" + string(rune('0'+n))
	}
}

// liveCampaign returns the live campaign an identity belongs to.
func liveCampaign(t *testing.T, s *Store, identity string) string {
	t.Helper()
	id, err := s.GetIdentity(t.Context(), identity)
	if err != nil {
		t.Fatal(err)
	}
	if id.CampaignID == "" {
		t.Fatalf("identity %s has no campaign", identity)
	}
	m, err := s.ResolveCampaigns(t.Context(), []string{id.CampaignID})
	if err != nil {
		t.Fatal(err)
	}
	return m[id.CampaignID]
}

// TestCampaignHandoffOnStoredRows is the acceptance test of the phase
// hand-off on production rows (the original's test_ttp_phase_handoff.py):
// a C2 → discovery hand-off on one decky within the window puts two
// identities in one campaign; outside it, it does not.
func TestCampaignHandoffOnStoredRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		gap  time.Duration
		one  bool
	}{
		{"within the window", 3 * time.Hour, true},
		{"outside the window", 25 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
				ctx := t.Context()
				a, b := seedHandoff(t, s, tc.gap)
				c, err := campaign.NewCampaignClusterer(campaign.Options{Repo: s, NewUUID: numbered()})
				if err != nil {
					t.Fatal(err)
				}
				// Identities get campaigns of their own before any tag,
				// as in production; the tags then merge them (or not).
				res, err := c.RunOnce(ctx)
				if err != nil || res.Formed != 2 {
					t.Fatalf("first tick %+v, %v; want two campaigns formed", res, err)
				}
				tagHandoff(t, s, a, b, tc.gap)
				if res, err = c.RunOnce(ctx); err != nil {
					t.Fatal(err)
				}
				if res.PhaseFailures != 0 {
					t.Errorf("phase failures %d", res.PhaseFailures)
				}
				if res, err = c.RunOnce(ctx); err != nil || res.Formed+res.Assigned+res.Merged+res.Unmerged != 0 {
					t.Errorf("second tick %+v, %v; want no change", res, err)
				}
				ca, cb := liveCampaign(t, s, identA), liveCampaign(t, s, identB)
				if (ca == cb) != tc.one {
					t.Fatalf("campaigns %s and %s; want one campaign: %v", ca, cb, tc.one)
				}
				page, total, err := s.ListCampaigns(ctx, 10, 0)
				if err != nil {
					t.Fatal(err)
				}
				wantLive := 2
				if tc.one {
					wantLive = 1
				}
				if int(total) != wantLive || len(page) != wantLive {
					t.Fatalf("ListCampaigns = %d rows, total %d; want %d", len(page), total, wantLive)
				}
				got, err := s.GetCampaign(ctx, ca)
				if err != nil {
					t.Fatal(err)
				}
				members, n, err := s.ListCampaignIdentities(ctx, ca, 10, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got.IdentityCount != len(members) || int(n) != len(members) || (tc.one && n != 2) {
					t.Errorf("campaign identity_count %d, listed %d of %d", got.IdentityCount, len(members), n)
				}
				if !tc.one {
					return
				}
				if !got.FirstSeenAt.Equal(ti0) || !got.LastSeenAt.Equal(ti0.Add(tc.gap+time.Hour)) {
					t.Errorf("campaign seen %v–%v; want the identities' span", got.FirstSeenAt, got.LastSeenAt)
				}
				// The TTP rollup reads the real campaign tables, and a
				// merged loser's uuid resolves to the winner.
				rollup, err := s.ListTechniquesByCampaign(ctx, ca)
				if err != nil {
					t.Fatal(err)
				}
				var ids []int64
				for _, r := range rollup {
					ids = append(ids, r.IdentityCount)
				}
				if len(rollup) != 4 {
					t.Errorf("ListTechniquesByCampaign = %+v; want the four techniques", rollup)
				}
				for _, id := range []string{"00000000-0000-4000-8000-00000000cc01", "00000000-0000-4000-8000-00000000cc02"} {
					if m, err := s.GetCampaign(ctx, id); err != nil || m.UUID != ca {
						t.Errorf("GetCampaign(%s) = %s, %v; want the winner %s", id, m.UUID, err, ca)
					}
				}
			})
		})
	}
}

func TestListDeckyPhasesByIdentityMatchesPerIdentity(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a, b := seedHandoff(t, s, time.Hour)
		tagHandoff(t, s, a, b, time.Hour)
		// An identity-anchored tag on B's identity, and a tag anchored on
		// both A's identity and B's attacker: it counts for both.
		both := ttpTag("both", b, identA, "T1018", "", 0.9, ti0.Add(2*time.Hour))
		both.DeckyID, both.Tactic = "decky-02", "TA0008"
		own := ttpTag("own", "", identB, "T1021", "", 0.9, ti0.Add(3*time.Hour))
		own.DeckyID, own.Tactic = "decky-03", "TA0008"
		insertTags(t, s, both, own)
		bulk, err := s.ListDeckyPhasesByIdentity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{identA, identB} {
			one, err := s.ListTTPDeckyPhases(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(one, bulk[id]); diff != "" {
				t.Errorf("%s: bulk phases differ from list_ttp_decky_phases (-one +bulk):\n%s", id, diff)
			}
		}
		if len(bulk[identA]) != 3 || len(bulk[identB]) != 4 {
			t.Errorf("bulk = %v", bulk)
		}
	})
}

func TestApplyCampaignPlanAndResolve(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		ctx := t.Context()
		a := seedAttacker(t, s, "10.9.1.1", ti0, ti0, 0)
		seedIdentity(t, s, identA, "", a)
		const c1, c2, c3 = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2",
			"00000000-0000-4000-8000-0000000000c3"
		plan := store.CampaignPlan{Formed: []string{c1, c2, c3},
			Assignments: []store.CampaignAssignment{{IdentityUUID: identA, CampaignUUID: c3}},
			Rollups: []store.CampaignRollup{{UUID: c1, C2Endpoints: []string{"b", "a"}}, {UUID: c2}, {UUID: c3,
				IdentityCount: 1, FirstSeenAt: ti0, LastSeenAt: ti0}}}
		if err := s.ApplyCampaignPlan(ctx, plan); err != nil {
			t.Fatal(err)
		}
		if err := s.ApplyCampaignPlan(ctx, store.CampaignPlan{
			Merges: []store.CampaignMerge{{WinnerUUID: c2, LoserUUID: c3}, {WinnerUUID: c1, LoserUUID: c2}},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ResolveCampaigns(ctx, []string{c3, c2, c1, "unknown"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{c1: c1, c2: c1, c3: c1}, got); diff != "" {
			t.Errorf("ResolveCampaigns (-want +got):\n%s", diff)
		}
		m, err := s.GetCampaign(ctx, c3)
		if err != nil || m.UUID != c1 || !cmp.Equal(m.C2Endpoints, []string{"a", "b"}) {
			t.Errorf("GetCampaign(c3) = %+v, %v; want c1 with its endpoints", m, err)
		}
		if _, err := s.GetCampaign(ctx, "unknown"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCampaign(unknown) = %v; want ErrNotFound", err)
		}
		ids, n, err := s.ListCampaignIdentities(ctx, c1, 10, 0)
		if err != nil || n != 1 || len(ids) != 1 || ids[0].UUID != identA || ids[0].CampaignID != c3 {
			t.Errorf("ListCampaignIdentities(c1) = %+v, %d, %v; want identity A through the merge chain", ids, n, err)
		}
		links, err := s.ListCampaignLinks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{c1: "", c2: c1, c3: c2}, links); diff != "" {
			t.Errorf("links (-want +got):\n%s", diff)
		}
	})
}
