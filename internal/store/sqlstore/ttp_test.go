package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp"
)

// eachTTPStore runs fn per dialect with an empty store whose clock is c,
// set to ti0. openStore empties the TTP tables and attackers of the shared
// MySQL database; identities are removed here.
func eachTTPStore(t *testing.T, c *clock, fn func(t *testing.T, s *Store)) {
	eachDialectWith(t, Options{Now: c.Now}, func(t *testing.T, s *Store) {
		c.Set(ti0)
		if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM attacker_identities"); err != nil {
			t.Fatal(err)
		}
		fn(t, s)
	})
}

// ttpTag is a command tag of rule R0014 v1 on source src, keyed as the
// tagger keys it.
func ttpTag(src, attacker, identity, technique, sub string, conf float64, at time.Time) model.TTPTag {
	return model.TTPTag{
		UUID:       ttp.TagUUID(ttp.KindCommand, src, "R0014", 1, technique, sub),
		SourceKind: ttp.KindCommand, SourceID: src, AttackerUUID: attacker, IdentityUUID: identity,
		Tactic: "TA0007", TechniqueID: technique, SubTechniqueID: sub, Confidence: conf, RuleID: "R0014",
		RuleVersion: 1, Evidence: json.RawMessage(`{"matched_tokens":["id"]}`), AttackRelease: "v18.1",
		CreatedAt: at,
	}
}

func insertTags(t *testing.T, s *Store, tags ...model.TTPTag) []string {
	t.Helper()
	got, err := s.InsertTTPTags(t.Context(), tags)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// seedIdentity forms identity id in campaign (none when ""), linking
// members to it.
func seedIdentity(t *testing.T, s *Store, id, campaign string, members ...string) {
	t.Helper()
	p := store.IdentityPlan{Formed: []string{id}, Rollups: []store.IdentityRollup{{UUID: id}}}
	for _, m := range members {
		p.Links = append(p.Links, store.IdentityLink{AttackerUUID: m, IdentityUUID: id})
	}
	applyPlan(t, s, p)
	if campaign != "" {
		if _, err := s.DB().ExecContext(t.Context(), "UPDATE attacker_identities SET campaign_id = ? WHERE uuid = ?",
			campaign, id); err != nil {
			t.Fatal(err)
		}
	}
}

func countTags(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM ttp_tag").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func listScope(t *testing.T, s *Store, scope, id, technique, sub string, limit int) []model.TTPTag {
	t.Helper()
	got, err := s.ListTagsByScope(t.Context(), scope, id, technique, sub, limit)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func tagUUIDs(tags []model.TTPTag) []string {
	out := []string{}
	for _, t := range tags {
		out = append(out, t.UUID)
	}
	return out
}

func TestTTPConfidenceFloorMatchesTagger(t *testing.T) {
	if store.TTPConfidenceFloor != ttp.ConfidenceFloor {
		t.Errorf("store.TTPConfidenceFloor = %v; ttp.ConfidenceFloor = %v", store.TTPConfidenceFloor, ttp.ConfidenceFloor)
	}
}

func TestTTPTagChecksRejectRawSQL(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.0.1", ti0, ti0, 0)
		insert := "INSERT INTO ttp_tag (" + ttpTagColumns + ") VALUES " + newTTPTagInsert(s.d).group
		row := func(uuid string, attacker any, conf float64) []any {
			return []any{uuid, "command", "c1", attacker, nil, nil, nil, "TA0007", "T1083", nil, conf, "R0014", 1,
				"{}", "v18.1", nil, s.d.timeArg(ti0)}
		}
		for _, tc := range []struct {
			name, constraint string
			args             []any
		}{
			{"no anchor", "ttp_tag_has_anchor", row("00000000-0000-4000-8000-0000000000a1", nil, 0.5)},
			{"confidence above 1", "ttp_tag_confidence_range", row("00000000-0000-4000-8000-0000000000a2", a, 1.5)},
			{"negative confidence", "ttp_tag_confidence_range", row("00000000-0000-4000-8000-0000000000a3", a, -0.1)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.DB().ExecContext(t.Context(), insert, tc.args...)
				if err == nil || !strings.Contains(err.Error(), tc.constraint) {
					t.Errorf("raw insert: err = %v; want a %s violation", err, tc.constraint)
				}
			})
		}
		if _, err := s.DB().ExecContext(t.Context(), insert, row("00000000-0000-4000-8000-0000000000a4", a, 1)...); err != nil {
			t.Errorf("valid raw insert: %v", err)
		}
	})
}

func TestInsertTTPTagsRejectsAnchorlessTagBeforeWriting(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.1.1", ti0, ti0, 0)
		for _, conf := range []float64{0.9, 0.1} { // below the floor too: checked first
			_, err := s.InsertTTPTags(t.Context(), []model.TTPTag{
				ttpTag("c1", a, "", "T1083", "", 0.9, ti0),
				ttpTag("c2", "", "", "T1083", "", conf, ti0),
			})
			if !errors.Is(err, store.ErrNoTTPAnchor) {
				t.Fatalf("confidence %v: err = %v; want ErrNoTTPAnchor", conf, err)
			}
			for _, field := range []string{"attacker_uuid", "identity_uuid"} {
				if !strings.Contains(err.Error(), field) {
					t.Errorf("error %q does not name %s", err, field)
				}
			}
		}
		if n := countTags(t, s); n != 0 {
			t.Errorf("%d rows stored after a rejected batch; want 0", n)
		}
	})
}

func TestInsertTTPTagsConfidenceRangeAndFloor(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.2.1", ti0, ti0, 0)
		for _, conf := range []float64{-0.1, 1.0001, math.NaN(), math.Inf(1)} {
			if _, err := s.InsertTTPTags(t.Context(), []model.TTPTag{ttpTag("c", a, "", "T1083", "", conf, ti0)}); err == nil {
				t.Errorf("confidence %v accepted", conf)
			}
		}
		kept := []model.TTPTag{ttpTag("c1", a, "", "T1083", "", 0.3, ti0), ttpTag("c2", a, "", "T1083", "", 1, ti0)}
		dropped := []model.TTPTag{ttpTag("c3", a, "", "T1083", "", 0.29, ti0), ttpTag("c4", a, "", "T1083", "", 0, ti0)}
		got := insertTags(t, s, dropped[0], kept[0], dropped[1], kept[1])
		if diff := cmp.Diff([]string{kept[0].UUID, kept[1].UUID}, got); diff != "" {
			t.Errorf("inserted (-want +got):\n%s", diff)
		}
		if got := insertTags(t, s, dropped...); len(got) != 0 {
			t.Errorf("a batch under the floor inserted %v", got)
		}
		if n := countTags(t, s); n != 2 {
			t.Errorf("%d rows stored; want 2", n)
		}
	})
}

func TestInsertTTPTagsIsIdempotentAndFirstWins(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.3.1", ti0, ti0, 0)
		batch := []model.TTPTag{
			ttpTag("c1", a, "", "T1083", "", 0.8, ti0),
			ttpTag("c1", a, "", "T1548", "T1548.001", 0.8, ti0),
			ttpTag("c2", a, "", "T1083", "", 0.8, ti0),
		}
		if diff := cmp.Diff(tagUUIDs(batch), insertTags(t, s, batch...)); diff != "" {
			t.Errorf("first insert (-want +got):\n%s", diff)
		}
		if got := insertTags(t, s, batch...); len(got) != 0 {
			t.Errorf("replay inserted %v; want none", got)
		}

		first := ttpTag("c9", a, "", "T1059", "T1059.004", 0.8, ti0)
		first.Evidence = json.RawMessage(`{"n":1}`)
		second := first
		second.Evidence = json.RawMessage(`{"n":2}`)
		fresh := ttpTag("c10", a, "", "T1059", "", 0.8, ti0)
		got := insertTags(t, s, withUUID(second, batch[0].UUID), first, fresh, second)
		if diff := cmp.Diff([]string{first.UUID, fresh.UUID}, got); diff != "" {
			t.Errorf("mixed batch inserted (-want +got):\n%s", diff)
		}
		stored := listScope(t, s, store.ScopeAttacker, a, "T1059", "T1059.004", 0)
		if len(stored) != 1 || string(stored[0].Evidence) != `{"n":1}` {
			t.Errorf("duplicate in a batch stored %+v; want the first tag's evidence", stored)
		}
		if n := countTags(t, s); n != 5 {
			t.Errorf("%d rows stored; want 5", n)
		}
	})
}

// withUUID returns tag keyed as id.
func withUUID(tag model.TTPTag, id string) model.TTPTag {
	tag.UUID = id
	return tag
}

func TestInsertTTPTagsRoundTripsEveryColumn(t *testing.T) {
	c := &clock{}
	eachTTPStore(t, c, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.4.1", ti0, ti0, 0)
		seedIdentity(t, s, "00000000-0000-4000-8000-000000000741", "", a)
		full := ttpTag("c1", a, "00000000-0000-4000-8000-000000000741", "T1548", "T1548.001", 0.85, t0)
		full.SessionID, full.DeckyID, full.MitreURL = "sess-1", "decky-01", "https://attack.mitre.org/techniques/T1548/001/"
		// Key order, spacing and escapes are kept as given.
		full.Evidence = json.RawMessage(`{"z": 1, "a":[1,2,{"b":null}],"é":"x\u00e9\"","uid":"0"}`)
		bare := ttpTag("c2", a, "", "T1083", "", 0.5, time.Time{})
		bare.Evidence = nil
		insertTags(t, s, full, bare)

		wantFull := full
		wantFull.CreatedAt = ti0
		wantBare := bare
		wantBare.Evidence, wantBare.CreatedAt = json.RawMessage(`{}`), ti0 // the store's clock
		got := listScope(t, s, store.ScopeAttacker, a, "T1548", "", 0)
		got = append(got, listScope(t, s, store.ScopeAttacker, a, "T1083", "", 0)...)
		if diff := cmp.Diff([]model.TTPTag{wantFull, wantBare}, got); diff != "" {
			t.Errorf("stored tags (-want +got):\n%s", diff)
		}

		for name, ev := range map[string]string{"list": `[1]`, "string": `"x"`, "invalid": `{"a":`, "null": `null`} {
			tag := ttpTag("bad-"+name, a, "", "T1083", "", 0.5, ti0)
			tag.Evidence = json.RawMessage(ev)
			if _, err := s.InsertTTPTags(t.Context(), []model.TTPTag{tag}); err == nil {
				t.Errorf("evidence %s accepted", ev)
			}
		}
	})
}

func TestInsertTTPTagsUnknownAnchorIsNotFound(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.5.1", ti0, ti0, 0)
		for _, tag := range []model.TTPTag{
			ttpTag("c1", "00000000-0000-4000-8000-000000000751", "", "T1083", "", 0.8, ti0),
			ttpTag("c2", a, "00000000-0000-4000-8000-000000000752", "T1083", "", 0.8, ti0),
		} {
			ok := ttpTag("c0", a, "", "T1083", "", 0.8, ti0)
			if _, err := s.InsertTTPTags(t.Context(), []model.TTPTag{ok, tag}); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("tag on %q/%q: err = %v; want ErrNotFound", tag.AttackerUUID, tag.IdentityUUID, err)
			}
		}
		if n := countTags(t, s); n != 0 {
			t.Errorf("%d rows stored after rejected batches; want 0", n)
		}
	})
}

func TestTechniqueRollupsByScope(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		const ident = "00000000-0000-4000-8000-000000000761"
		a1 := seedAttacker(t, s, "10.7.6.1", ti0, ti0, 0)
		a2 := seedAttacker(t, s, "10.7.6.2", ti0, ti0, 0)
		seedIdentity(t, s, ident, "", a1)
		at := func(m int) time.Time { return ti0.Add(time.Duration(m) * time.Minute) }
		withTactic := func(tag model.TTPTag, tactic, session string) model.TTPTag {
			tag.Tactic, tag.SessionID = tactic, session
			return tag
		}
		insertTags(t, s,
			withTactic(ttpTag("c1", a1, "", "T1083", "", 0.6, at(1)), "TA0007", "s1"),
			withTactic(ttpTag("c2", a1, "", "T1083", "", 0.9, at(3)), "TA0009", "s1"),
			withTactic(ttpTag("c3", a1, "", "T1548", "T1548.001", 0.5, at(2)), "TA0004", "s2"),
			ttpTag("i1", "", ident, "T1083", "", 0.7, at(0)), // identity-only
			ttpTag("i2", "", ident, "T1059", "", 0.4, at(5)),
			ttpTag("c4", a2, "", "T1059", "", 0.8, at(4)),
		)
		roll := func(tech, sub, tactic string, n int64, first, last int, conf float64) model.TechniqueRollup {
			return model.TechniqueRollup{TechniqueID: tech, SubTechniqueID: sub, Tactic: tactic, Count: n,
				FirstSeen: at(first), LastSeen: at(last), ConfidenceMax: conf}
		}
		ctx := t.Context()
		for _, tc := range []struct {
			name string
			get  func() ([]model.TechniqueRollup, error)
			want []model.TechniqueRollup
		}{
			{"fleet", func() ([]model.TechniqueRollup, error) { return s.ListTechniqueRollups(ctx) }, []model.TechniqueRollup{
				roll("T1083", "", "TA0009", 3, 0, 3, 0.9), roll("T1059", "", "TA0007", 2, 4, 5, 0.8),
				roll("T1548", "T1548.001", "TA0004", 1, 2, 2, 0.5)}},
			{"identity projects its attackers", func() ([]model.TechniqueRollup, error) {
				return s.ListTechniquesByIdentity(ctx, ident)
			}, []model.TechniqueRollup{
				roll("T1083", "", "TA0009", 3, 0, 3, 0.9), roll("T1059", "", "TA0007", 1, 5, 5, 0.4),
				roll("T1548", "T1548.001", "TA0004", 1, 2, 2, 0.5)}},
			{"attacker excludes identity-only tags", func() ([]model.TechniqueRollup, error) {
				return s.ListTechniquesByAttacker(ctx, a1)
			}, []model.TechniqueRollup{
				roll("T1083", "", "TA0009", 2, 1, 3, 0.9), roll("T1548", "T1548.001", "TA0004", 1, 2, 2, 0.5)}},
			{"session", func() ([]model.TechniqueRollup, error) { return s.ListTechniquesBySession(ctx, "s1") },
				[]model.TechniqueRollup{roll("T1083", "", "TA0009", 2, 1, 3, 0.9)}},
			{"unknown identity", func() ([]model.TechniqueRollup, error) {
				return s.ListTechniquesByIdentity(ctx, "00000000-0000-4000-8000-000000000769")
			}, []model.TechniqueRollup{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.get()
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}

		exp, err := s.ListAttackerRollupsForExport(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantExp := map[string][]model.TechniqueRollup{
			a1: {roll("T1083", "", "TA0009", 2, 1, 3, 0.9), roll("T1548", "T1548.001", "TA0004", 1, 2, 2, 0.5)},
			a2: {roll("T1059", "", "TA0007", 1, 4, 4, 0.8)},
		}
		if diff := cmp.Diff(wantExp, exp); diff != "" {
			t.Errorf("ListAttackerRollupsForExport (-want +got):\n%s", diff)
		}

		byAttacker, err := s.ListTagsByAttacker(ctx, a1, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{ttpTag("c2", "", "", "T1083", "", 0, ti0).UUID,
			ttpTag("c3", "", "", "T1548", "T1548.001", 0, ti0).UUID, ttpTag("c1", "", "", "T1083", "", 0, ti0).UUID}
		if diff := cmp.Diff(want, tagUUIDs(byAttacker)); diff != "" {
			t.Errorf("ListTagsByAttacker, newest first (-want +got):\n%s", diff)
		}
	})
}

func TestListTechniquesByCampaignCountsAttackerAnchoredTags(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		const (
			campaign = "00000000-0000-4000-8000-0000000007c0"
			other    = "00000000-0000-4000-8000-0000000007c1"
			i1       = "00000000-0000-4000-8000-000000000771"
			i2       = "00000000-0000-4000-8000-000000000772"
			i3       = "00000000-0000-4000-8000-000000000773"
		)
		a1 := seedAttacker(t, s, "10.7.7.1", ti0, ti0, 0)
		a2 := seedAttacker(t, s, "10.7.7.2", ti0, ti0, 0)
		a3 := seedAttacker(t, s, "10.7.7.3", ti0, ti0, 0)
		if err := s.ApplyCampaignPlan(t.Context(), store.CampaignPlan{Formed: []string{campaign, other},
			Rollups: []store.CampaignRollup{{UUID: campaign}, {UUID: other}}}); err != nil {
			t.Fatal(err)
		}
		seedIdentity(t, s, i1, campaign, a1)
		seedIdentity(t, s, i2, campaign, a2)
		seedIdentity(t, s, i3, other, a3)
		at := func(m int) time.Time { return ti0.Add(time.Duration(m) * time.Minute) }
		insertTags(t, s,
			ttpTag("i1", "", i1, "T1083", "", 0.7, at(0)), // identity-only
			ttpTag("c1", a1, i1, "T1083", "", 0.6, at(1)), // both anchors: one identity
			ttpTag("c2", a2, "", "T1083", "", 0.9, at(2)), // attacker only: the original's GAP
			ttpTag("c3", a2, "", "T1059", "", 0.5, at(3)),
			ttpTag("c4", a3, "", "T1083", "", 1.0, at(4)), // other campaign
			ttpTag("i3", "", i3, "T1059", "", 1.0, at(5)),
		)
		got, err := s.ListTechniquesByCampaign(t.Context(), campaign)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.TechniqueRollup{
			{TechniqueID: "T1083", Tactic: "TA0007", Count: 3, FirstSeen: at(0), LastSeen: at(2), ConfidenceMax: 0.9,
				IdentityCount: 2},
			{TechniqueID: "T1059", Tactic: "TA0007", Count: 1, FirstSeen: at(3), LastSeen: at(3), ConfidenceMax: 0.5,
				IdentityCount: 1},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ListTechniquesByCampaign (-want +got):\n%s", diff)
		}
		none, err := s.ListTechniquesByCampaign(t.Context(), "00000000-0000-4000-8000-0000000007cf")
		if err != nil || len(none) != 0 {
			t.Errorf("unknown campaign = %v, %v; want empty", none, err)
		}
	})
}

func TestListTagsByScope(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		const ident = "00000000-0000-4000-8000-000000000781"
		a := seedAttacker(t, s, "10.7.8.1", ti0, ti0, 0)
		seedIdentity(t, s, ident, "", a)
		at := func(m int) time.Time { return ti0.Add(time.Duration(m) * time.Minute) }
		sess := func(tag model.TTPTag) model.TTPTag { tag.SessionID = "s1"; return tag }
		tags := []model.TTPTag{
			sess(ttpTag("c1", a, "", "T1548", "T1548.001", 0.8, at(1))),
			sess(ttpTag("c2", a, "", "T1548", "T1548.003", 0.8, at(3))),
			ttpTag("c3", a, "", "T1548", "", 0.8, at(2)),
			ttpTag("i1", "", ident, "T1548", "T1548.001", 0.8, at(2)), // same instant as c3
			ttpTag("c4", a, "", "T1083", "", 0.8, at(9)),
		}
		insertTags(t, s, tags...)
		u := tagUUIDs(tags)
		// Ties on created_at go by uuid.
		tied := []string{u[2], u[3]}
		if tied[0] > tied[1] {
			tied[0], tied[1] = tied[1], tied[0]
		}
		for _, tc := range []struct {
			name, scope, id, sub string
			limit                int
			want                 []string
		}{
			{"identity, any sub", store.ScopeIdentity, ident, "", 0, []string{u[1], tied[0], tied[1], u[0]}},
			{"identity, one sub", store.ScopeIdentity, ident, "T1548.001", 0, []string{u[3], u[0]}},
			{"attacker excludes identity-only", store.ScopeAttacker, a, "", 0, []string{u[1], u[2], u[0]}},
			{"session", store.ScopeSession, "s1", "", 0, []string{u[1], u[0]}},
			{"limit", store.ScopeIdentity, ident, "", 2, []string{u[1], tied[0]}},
			{"negative limit clamps to 1", store.ScopeIdentity, ident, "", -5, []string{u[1]}},
			{"unknown id", store.ScopeAttacker, "00000000-0000-4000-8000-000000000789", "", 0, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got := listScope(t, s, tc.scope, tc.id, "T1548", tc.sub, tc.limit)
				if diff := cmp.Diff(tc.want, tagUUIDs(got)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			})
		}
		if _, err := s.ListTagsByScope(t.Context(), "campaign", ident, "T1548", "", 0); !errors.Is(err, store.ErrInvalidScope) {
			t.Errorf("bad scope: err = %v; want ErrInvalidScope", err)
		}

		phases, err := s.ListTTPDeckyPhases(t.Context(), ident)
		if err != nil {
			t.Fatal(err)
		}
		if len(phases) != 0 {
			t.Errorf("ListTTPDeckyPhases without deckies = %v; want none", phases)
		}
	})
}

func TestListTagsByScopeLimitIsClamped(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.9.1", ti0, ti0, 0)
		tags := make([]model.TTPTag, 1001)
		for i := range tags {
			tags[i] = ttpTag(fmt.Sprintf("c%d", i), a, "", "T1083", "", 0.8, ti0.Add(time.Duration(i)*time.Second))
		}
		// 1001 rows cross several insert chunks on both dialects.
		if got := insertTags(t, s, tags...); len(got) != len(tags) {
			t.Fatalf("inserted %d; want %d", len(got), len(tags))
		}
		for _, tc := range []struct{ limit, want int }{{0, 200}, {5000, 1000}, {1000, 1000}, {7, 7}} {
			if got := listScope(t, s, store.ScopeAttacker, a, "T1083", "", tc.limit); len(got) != tc.want {
				t.Errorf("limit %d returned %d rows; want %d", tc.limit, len(got), tc.want)
			}
		}
		if got := insertTags(t, s, tags...); len(got) != 0 {
			t.Errorf("replay of 1001 inserted %d", len(got))
		}
	})
}

func TestDeletingAnAnchorCascadesToItsTags(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		const ident = "00000000-0000-4000-8000-000000000791"
		a := seedAttacker(t, s, "10.7.10.1", ti0, ti0, 0)
		b := seedAttacker(t, s, "10.7.10.2", ti0, ti0, 0)
		seedIdentity(t, s, ident, "", a)
		insertTags(t, s,
			ttpTag("c1", a, "", "T1083", "", 0.8, ti0),
			ttpTag("c2", a, ident, "T1083", "", 0.8, ti0),
			ttpTag("i1", "", ident, "T1083", "", 0.8, ti0),
			ttpTag("c3", b, "", "T1083", "", 0.8, ti0),
		)
		ctx := t.Context()
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM attackers WHERE uuid = ?", a); err != nil {
			t.Fatal(err)
		}
		if n := countTags(t, s); n != 2 {
			t.Errorf("after deleting the attacker: %d tags; want 2 (identity-only and the other attacker's)", n)
		}
		if _, err := s.DB().ExecContext(ctx, "DELETE FROM attacker_identities WHERE uuid = ?", ident); err != nil {
			t.Fatal(err)
		}
		if n := countTags(t, s); n != 1 {
			t.Errorf("after deleting the identity: %d tags; want 1", n)
		}
	})
}

func TestListTTPDeckyPhases(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		const ident = "00000000-0000-4000-8000-0000000007a1"
		a := seedAttacker(t, s, "10.7.11.1", ti0, ti0, 0)
		b := seedAttacker(t, s, "10.7.11.2", ti0, ti0, 0)
		seedIdentity(t, s, ident, "", a)
		at := func(m int) time.Time { return ti0.Add(time.Duration(m) * time.Minute) }
		on := func(tag model.TTPTag, decky, tactic string) model.TTPTag {
			tag.DeckyID, tag.Tactic = decky, tactic
			return tag
		}
		insertTags(t, s,
			on(ttpTag("c1", a, "", "T1083", "", 0.8, at(2)), "decky-02", "TA0007"),
			on(ttpTag("c2", a, "", "T1548", "", 0.8, at(1)), "decky-01", "TA0004"),
			on(ttpTag("i1", "", ident, "T1059", "", 0.8, at(3)), "decky-03", "TA0002"),
			ttpTag("c3", a, "", "T1059", "", 0.8, at(0)),                           // no decky
			on(ttpTag("c4", b, "", "T1059", "", 0.8, at(0)), "decky-09", "TA0002"), // not the identity's
		)
		got, err := s.ListTTPDeckyPhases(t.Context(), ident)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.DeckyPhase{
			{DeckyID: "decky-01", Tactic: "TA0004", CreatedAt: at(1)},
			{DeckyID: "decky-02", Tactic: "TA0007", CreatedAt: at(2)},
			{DeckyID: "decky-03", Tactic: "TA0002", CreatedAt: at(3)},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}

func TestRuleStateRoundTrip(t *testing.T) {
	c := &clock{}
	eachTTPStore(t, c, func(t *testing.T, s *Store) {
		ctx := t.Context()
		ceiling := 0.5
		expires := t0.Add(24 * time.Hour)
		clipped, err := s.SetRuleState(ctx, model.TTPRuleState{RuleID: "R0014", State: model.RuleClipped,
			ConfidenceMax: &ceiling, ExpiresAt: &expires, Reason: "noisy on build hosts", SetBy: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		wantExpires := expires.Truncate(time.Microsecond)
		want := model.TTPRuleState{RuleID: "R0014", State: model.RuleClipped, ConfidenceMax: &ceiling,
			ExpiresAt: &wantExpires, Reason: "noisy on build hosts", SetBy: "admin", SetAt: ti0}
		if diff := cmp.Diff(want, clipped); diff != "" {
			t.Errorf("SetRuleState returned (-want +got):\n%s", diff)
		}
		c.Set(ti0.Add(time.Minute))
		disabled, err := s.SetRuleState(ctx, model.TTPRuleState{RuleID: "R0015", State: model.RuleDisabled})
		if err != nil {
			t.Fatal(err)
		}
		states, err := s.ListRuleStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantDisabled := model.TTPRuleState{RuleID: "R0015", State: model.RuleDisabled, SetAt: ti0.Add(time.Minute)}
		if diff := cmp.Diff(map[string]model.TTPRuleState{"R0014": want, "R0015": wantDisabled}, states); diff != "" {
			t.Errorf("ListRuleStates (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantDisabled, disabled); diff != "" {
			t.Errorf("SetRuleState returned (-want +got):\n%s", diff)
		}

		// An upsert replaces every column, clearing the ones left empty.
		if _, err := s.SetRuleState(ctx, model.TTPRuleState{RuleID: "R0014", State: model.RuleEnabled}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []model.TTPRuleState{
			{RuleID: "R0014", State: "paused"},
			{RuleID: "R0014", State: ""},
			{RuleID: "", State: model.RuleDisabled},
			{RuleID: "R0014", State: model.RuleClipped, ConfidenceMax: new(1.5)},
		} {
			if _, err := s.SetRuleState(ctx, bad); err == nil {
				t.Errorf("SetRuleState(%+v) accepted", bad)
			}
		}
		if err := s.DeleteRuleState(ctx, "R0015"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRuleState(ctx, "R9999"); err != nil {
			t.Errorf("deleting a missing state: %v", err)
		}
		states, err = s.ListRuleStates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		wantEnabled := model.TTPRuleState{RuleID: "R0014", State: model.RuleEnabled, SetAt: ti0.Add(time.Minute)}
		if diff := cmp.Diff(map[string]model.TTPRuleState{"R0014": wantEnabled}, states); diff != "" {
			t.Errorf("after reset and delete (-want +got):\n%s", diff)
		}

		if _, err := s.DB().ExecContext(ctx, "INSERT INTO ttp_rule_state (rule_id, state, set_at) VALUES (?, ?, ?)",
			"R0016", "paused", s.d.timeArg(ti0)); err == nil {
			t.Errorf("raw insert of an invalid state accepted")
		}
	})
}

func TestTTPRuleRowsAndChangedSince(t *testing.T) {
	c := &clock{}
	eachTTPStore(t, c, func(t *testing.T, s *Store) {
		ctx := t.Context()
		row := func(id string, v int) model.TTPRuleRow {
			return model.TTPRuleRow{RuleID: id, RuleVersion: v, SourcePath: "./rules/ttp/" + id + ".yaml",
				YAMLContent: "rule_id: " + id + "\nrule_version: " + fmt.Sprint(v) + "\n", UpdatedBy: "filesystem"}
		}
		stamped := func(r model.TTPRuleRow, at time.Time) model.TTPRuleRow { r.UpdatedAt = at; return r }
		upsert := func(r model.TTPRuleRow) {
			t.Helper()
			if err := s.UpsertTTPRule(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		changed := func(since time.Time) []model.TTPRuleRow {
			t.Helper()
			got, err := s.ListTTPRulesChangedSince(ctx, since)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		t1, t2 := ti0.Add(time.Second), ti0.Add(2*time.Second)
		upsert(row("R0002", 1)) // the store's clock: ti0
		c.Set(t1)
		upsert(row("R0001", 1))
		explicit := stamped(row("R0003", 1), t1)
		explicit.UpdatedBy = "git"
		upsert(explicit)

		all, err := s.ListTTPRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.TTPRuleRow{stamped(row("R0001", 1), t1), stamped(row("R0002", 1), ti0), explicit}
		if diff := cmp.Diff(want, all); diff != "" {
			t.Errorf("ListTTPRules (-want +got):\n%s", diff)
		}
		// Rows at the watermark come back; the tailer dedupes them.
		if diff := cmp.Diff([]model.TTPRuleRow{stamped(row("R0001", 1), t1), explicit}, changed(t1)); diff != "" {
			t.Errorf("changed since t1 (-want +got):\n%s", diff)
		}
		c.Set(t2)
		upsert(row("R0002", 2))
		if diff := cmp.Diff([]model.TTPRuleRow{stamped(row("R0002", 2), t2)}, changed(t1.Add(time.Microsecond))); diff != "" {
			t.Errorf("changed after an update (-want +got):\n%s", diff)
		}
		if err := s.DeleteTTPRule(ctx, "R0002"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteTTPRule(ctx, "R0002"); err != nil {
			t.Errorf("deleting a missing rule: %v", err)
		}
		if got := changed(ti0); len(got) != 2 {
			t.Errorf("after delete: %d rows; want 2", len(got))
		}
		if err := s.UpsertTTPRule(ctx, model.TTPRuleRow{}); err == nil {
			t.Errorf("empty rule_id accepted")
		}
	})
}

func TestInsertTTPTagsConcurrentWritersReportEachTagOnce(t *testing.T) {
	eachTTPStore(t, &clock{}, func(t *testing.T, s *Store) {
		a := seedAttacker(t, s, "10.7.13.1", ti0, ti0, 0)
		tags := make([]model.TTPTag, 300)
		for i := range tags {
			tags[i] = ttpTag(fmt.Sprintf("c%d", i), a, "", "T1083", "", 0.8, ti0)
		}
		const writers = 4
		results := make([][]string, writers)
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for w := range writers {
			// Each writer sends the batch rotated, so they collide at
			// different points.
			batch := append(slices.Clone(tags[w*50:]), tags[:w*50]...)
			wg.Go(func() { results[w], errs[w] = s.InsertTTPTags(t.Context(), batch) })
		}
		wg.Wait()
		seen := map[string]int{}
		for w := range writers {
			if errs[w] != nil {
				t.Fatalf("writer %d: %v", w, errs[w])
			}
			for _, id := range results[w] {
				seen[id]++
			}
		}
		for _, tag := range tags {
			if seen[tag.UUID] != 1 {
				t.Errorf("tag %s reported inserted %d times; want once", tag.UUID, seen[tag.UUID])
			}
		}
		if n := countTags(t, s); n != len(tags) {
			t.Errorf("%d rows stored; want %d", n, len(tags))
		}
	})
}
