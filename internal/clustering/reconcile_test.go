package clustering

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/store"
)

// world is an in-memory stand-in for the tables a plan touches, so
// successive ticks can be reconciled without a database.
type world struct {
	obs   []Observation
	links map[string]string
	next  int
}

func (w *world) newUUID() string {
	w.next++
	return fmt.Sprintf("id-%03d", w.next)
}

// tick clusters and reconciles, applies the plan to w and returns it.
func (w *world) tick() store.IdentityPlan {
	plan := Reconcile(w.obs, Cluster(w.obs), w.links, w.newUUID)
	if w.links == nil {
		w.links = map[string]string{}
	}
	for _, id := range plan.Formed {
		w.links[id] = ""
	}
	index := make(map[string]int, len(w.obs))
	for i := range w.obs {
		index[w.obs[i].ID] = i
	}
	for _, l := range plan.Links {
		w.obs[index[l.AttackerUUID]].IdentityID = l.IdentityUUID
	}
	for _, m := range plan.Merges {
		w.links[m.LoserUUID] = m.WinnerUUID
	}
	for _, u := range plan.Unmerges {
		w.links[u.ResurrectedUUID] = ""
	}
	return plan
}

func (w *world) set(id string, f func(*Observation)) {
	for i := range w.obs {
		if w.obs[i].ID == id {
			f(&w.obs[i])
		}
	}
}

func TestReconcileFormsLinksAndRollsUp(t *testing.T) {
	w := &world{obs: observations(
		spec{id: "a1", fps: []string{"ja3=j", "tls_cert_sha256=cert", "c2_endpoint=evil:1"}},
		spec{id: "a2", fps: []string{"ja3=j", "hassh=h", "payload_sha256=p"}},
		spec{id: "b1"},
	)}
	w.set("a2", func(o *Observation) { o.FirstSeen, o.LastSeen = t0.Add(-time.Hour), t0.Add(5*time.Hour) })
	got := w.tick()
	want := store.IdentityPlan{
		Formed: []string{"id-001", "id-002"},
		Links: []store.IdentityLink{{AttackerUUID: "a1", IdentityUUID: "id-001"},
			{AttackerUUID: "a2", IdentityUUID: "id-001"}, {AttackerUUID: "b1", IdentityUUID: "id-002"}},
		Rollups: []store.IdentityRollup{
			{UUID: "id-001", FirstSeenAt: t0.Add(-time.Hour), LastSeenAt: t0.Add(5 * time.Hour), ObservationCount: 2,
				JA3Hashes: []string{"j"}, HASSHHashes: []string{"h"}, TLSCertSHA256: []string{"cert"},
				PayloadHashes: []string{"p"}, C2Endpoints: []string{"evil:1"}},
			{UUID: "id-002", FirstSeenAt: t0, LastSeenAt: t0.Add(time.Hour), ObservationCount: 1},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("first tick (-want +got):\n%s", diff)
	}
	// Nothing changed: no structural change, the same rollups.
	again := w.tick()
	if !again.Empty() {
		t.Errorf("second tick = %+v, want no changes", again)
	}
	if diff := cmp.Diff(want.Rollups, again.Rollups); diff != "" {
		t.Errorf("second tick rollups (-want +got):\n%s", diff)
	}

	// A newcomer with the same JA3 is linked to the existing identity, and
	// the rollup follows it (QUIRK 10: counts and seen times stay true).
	w.obs = append(w.obs, spec{id: "a3", fps: []string{"ja3=j"}}.observation())
	w.set("a3", func(o *Observation) { o.LastSeen = t0.Add(9 * time.Hour) })
	got = w.tick()
	if diff := cmp.Diff([]store.IdentityLink{{AttackerUUID: "a3", IdentityUUID: "id-001"}}, got.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
	if r := got.Rollups[0]; r.ObservationCount != 3 || !r.LastSeenAt.Equal(t0.Add(9*time.Hour)) || len(got.Formed) != 0 {
		t.Errorf("rollup after link = %+v (formed %v), want 3 members last seen at +9h", r, got.Formed)
	}
}

func TestReconcileSoftMergePicksMinUUID(t *testing.T) {
	w := &world{
		obs: observations(spec{id: "x1", fps: []string{"hassh=h"}}, spec{id: "x2", fps: []string{"hassh=h"}},
			spec{id: "x3", fps: []string{"hassh=h"}}, spec{id: "x4", fps: []string{"hassh=h"}}),
		links: map[string]string{"id-b": "", "id-a": "", "id-c": "id-a"},
	}
	w.obs[0].IdentityID = "id-b"
	w.obs[1].IdentityID = "id-c" // resolves to id-a through the merge
	w.obs[2].IdentityID = "id-gone"
	got := w.tick()
	want := store.IdentityPlan{
		Links: []store.IdentityLink{{AttackerUUID: "x3", IdentityUUID: "id-a"},
			{AttackerUUID: "x4", IdentityUUID: "id-a"}},
		Merges: []store.IdentityMerge{{WinnerUUID: "id-a", LoserUUID: "id-b"}},
		Rollups: []store.IdentityRollup{{UUID: "id-a", FirstSeenAt: t0, LastSeenAt: t0.Add(time.Hour),
			ObservationCount: 4, HASSHHashes: []string{"h"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("merge tick (-want +got):\n%s", diff)
	}
	// Members are never re-pointed: x1 still names id-b.
	if w.obs[0].IdentityID != "id-b" {
		t.Errorf("x1 identity = %q, want id-b kept (soft merge)", w.obs[0].IdentityID)
	}
	if again := w.tick(); !again.Empty() {
		t.Errorf("tick after merge = %+v, want no changes", again)
	}
}

func TestReconcileUnmergeResurrects(t *testing.T) {
	w := &world{obs: observations(spec{id: "p1", fps: []string{"ja3=shared"}}, spec{id: "q1", fps: []string{"ja3=shared"}})}
	w.tick() // both in id-001
	// Simulate a past merge: q1 had its own identity, merged into p1's.
	w.links["id-900"] = "id-001"
	w.set("q1", func(o *Observation) { o.IdentityID = "id-900" })
	if plan := w.tick(); len(plan.Unmerges) != 0 {
		t.Fatalf("still linked: unmerges %+v, want none", plan.Unmerges)
	}
	// The shared fingerprint goes away: q1 no longer clusters with p1.
	w.set("q1", func(o *Observation) { o.JA3 = []string{"own"} })
	got := w.tick()
	if diff := cmp.Diff([]store.IdentityUnmerge{{ResurrectedUUID: "id-900", FormerWinnerUUID: "id-001"}},
		got.Unmerges); diff != "" {
		t.Fatalf("unmerges (-want +got):\n%s", diff)
	}
	counts := map[string]int{}
	for _, r := range got.Rollups {
		counts[r.UUID] = r.ObservationCount
	}
	if diff := cmp.Diff(map[string]int{"id-001": 1, "id-900": 1}, counts); diff != "" {
		t.Errorf("rollup counts (-want +got):\n%s", diff)
	}
	if again := w.tick(); !again.Empty() {
		t.Errorf("tick after unmerge = %+v, want no changes", again)
	}
}

func TestReconcileMergedMembersCountOnWinner(t *testing.T) {
	w := &world{
		obs: observations(spec{id: "a", fps: []string{"ja3=j"}}, spec{id: "b", fps: []string{"ja3=j"}},
			spec{id: "c", fps: []string{"ja3=j"}}),
		links: map[string]string{"id-1": "", "id-2": "id-1", "id-3": "id-2"},
	}
	w.obs[0].IdentityID, w.obs[1].IdentityID, w.obs[2].IdentityID = "id-1", "id-2", "id-3"
	got := w.tick()
	if !got.Empty() || len(got.Rollups) != 1 || got.Rollups[0].ObservationCount != 3 {
		t.Errorf("plan = %+v; want no changes and id-1 counting all 3 members", got)
	}
}

// BenchmarkReconcile100k measures a steady tick: every observation already
// linked, so the plan is rollups only.
func BenchmarkReconcile100k(b *testing.B) {
	w := &world{obs: synthetic(100_000)}
	w.tick()
	p := Cluster(w.obs)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Reconcile(w.obs, p, w.links, w.newUUID)
	}
}
