package campaign

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/store"
)

// world is a stored state for Reconcile: identities' campaigns and the
// campaigns' merge links, updated by applying plans as the store would.
type world struct {
	feats []Features
	links map[string]string
	next  int
}

func (w *world) newUUID() string {
	w.next++
	return fmt.Sprintf("c%02d", w.next)
}

func (w *world) tick() store.CampaignPlan {
	p := Reconcile(w.feats, Cluster(w.feats, DefaultHandoffWindow), w.links, w.newUUID)
	for _, id := range p.Formed {
		w.links[id] = ""
	}
	for _, a := range p.Assignments {
		for i := range w.feats {
			if w.feats[i].ID == a.IdentityUUID {
				w.feats[i].CampaignID = a.CampaignUUID
			}
		}
	}
	for _, m := range p.Merges {
		w.links[m.LoserUUID] = m.WinnerUUID
	}
	for _, u := range p.Unmerges {
		w.links[u.ResurrectedUUID] = ""
	}
	return p
}

func TestReconcileFormsAssignsMergesAndUnmerges(t *testing.T) {
	w := &world{links: map[string]string{}, feats: build([]fx{
		{id: "a", windows: [][2]time.Duration{{0, h}}},
		{id: "b", windows: [][2]time.Duration{{2 * h, 5 * h}}},
	}, 0)}
	p := w.tick()
	if diff := cmp.Diff([]string{"c01", "c02"}, p.Formed); diff != "" {
		t.Fatalf("formed (-want +got):\n%s", diff)
	}
	want := []store.CampaignRollup{
		{UUID: "c01", FirstSeenAt: time.Time{}, IdentityCount: 1},
		{UUID: "c02", IdentityCount: 1},
	}
	if diff := cmp.Diff(want, p.Rollups); diff != "" {
		t.Errorf("rollups (-want +got):\n%s", diff)
	}
	if p := w.tick(); !p.Empty() {
		t.Fatalf("steady tick changed %+v", p)
	}

	// A hand-off between a and b: the two campaigns merge into the
	// smaller uuid; members keep their literal campaign (soft merge).
	w.feats[0] = fx{id: "a", c2: []string{"c2"}, tags: []tg{{"d1", "TA0011", 0}}}.features(0)
	w.feats[0].CampaignID = "c01"
	w.feats[1] = fx{id: "b", tags: []tg{{"d1", "TA0007", h}}}.features(0)
	w.feats[1].CampaignID = "c02"
	p = w.tick()
	if diff := cmp.Diff([]store.CampaignMerge{{WinnerUUID: "c01", LoserUUID: "c02"}}, p.Merges); diff != "" {
		t.Fatalf("merges (-want +got):\n%s", diff)
	}
	if len(p.Rollups) != 1 || p.Rollups[0].UUID != "c01" || p.Rollups[0].IdentityCount != 2 ||
		!cmp.Equal(p.Rollups[0].C2Endpoints, []string{"c2"}) {
		t.Errorf("rollups after the merge = %+v; want c01 with both identities and the c2", p.Rollups)
	}

	// A new identity c joining the hand-off is assigned to the winner.
	w.feats = append(w.feats, fx{id: "c", tags: []tg{{"d1", "TA0008", 2 * h}}}.features(0))
	p = w.tick()
	if diff := cmp.Diff([]store.CampaignAssignment{{IdentityUUID: "c", CampaignUUID: "c01"}}, p.Assignments); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}

	// b's tags move out of the window: c02 is resurrected.
	w.feats[1] = fx{id: "b", tags: []tg{{"d1", "TA0007", 90 * h}}}.features(0)
	w.feats[1].CampaignID = "c02"
	p = w.tick()
	if diff := cmp.Diff([]store.CampaignUnmerge{{ResurrectedUUID: "c02", FormerWinnerUUID: "c01"}}, p.Unmerges); diff != "" {
		t.Errorf("unmerges (-want +got):\n%s", diff)
	}
}

func TestReconcileMergedIdentitiesFollowTheirWinner(t *testing.T) {
	// y was soft-merged into x by the identity clusterer: y's campaign
	// merges into x's, y is never assigned, and the count is of live
	// identities only.
	w := &world{links: map[string]string{"c05": "", "c09": ""}, next: 10}
	w.feats = []Features{
		{ID: "x", CampaignID: "c09"},
		{ID: "y", Alias: "x", CampaignID: "c05"},
		{ID: "z", Alias: "gone"},
	}
	for i := range w.feats {
		w.feats[i].Prepare()
	}
	p := w.tick()
	if diff := cmp.Diff([]store.CampaignMerge{{WinnerUUID: "c05", LoserUUID: "c09"}}, p.Merges); diff != "" {
		t.Errorf("merges (-want +got):\n%s", diff)
	}
	if len(p.Formed)+len(p.Assignments) != 0 {
		t.Errorf("formed %v, assigned %v; want none for merged identities", p.Formed, p.Assignments)
	}
	if diff := cmp.Diff([]store.CampaignRollup{{UUID: "c05", IdentityCount: 1}}, p.Rollups); diff != "" {
		t.Errorf("rollups (-want +got):\n%s", diff)
	}
}

func TestReconcileTreatsADanglingCampaignAsNone(t *testing.T) {
	w := &world{links: map[string]string{}}
	w.feats = []Features{{ID: "a", CampaignID: "deleted"}}
	p := w.tick()
	want := []store.CampaignAssignment{{IdentityUUID: "a", CampaignUUID: "c01", Prior: "deleted"}}
	if diff := cmp.Diff(want, p.Assignments); diff != "" {
		t.Errorf("assignments (-want +got):\n%s", diff)
	}
}

// BenchmarkReconcile100k measures a steady tick over 100 000 identities:
// every identity already assigned, so the plan is rollups only.
func BenchmarkReconcile100k(b *testing.B) {
	w := &world{links: map[string]string{}, feats: synthetic(100_000)}
	p := Cluster(w.feats, DefaultHandoffWindow)
	first := Reconcile(w.feats, p, w.links, w.newUUID)
	for _, id := range first.Formed {
		w.links[id] = ""
	}
	index := make(map[string]int, len(w.feats))
	for i := range w.feats {
		index[w.feats[i].ID] = i
	}
	for _, a := range first.Assignments {
		w.feats[index[a.IdentityUUID]].CampaignID = a.CampaignUUID
	}
	b.ReportAllocs()
	for b.Loop() {
		Reconcile(w.feats, p, w.links, w.newUUID)
	}
}
