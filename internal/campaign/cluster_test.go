package campaign

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/clustermetrics"
	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const h = time.Hour

// tg is one tag of a fixture identity: tactic on decky at t0+at.
type tg struct {
	decky, tactic string
	at            time.Duration
}

// fx is a compact fixture identity, projected through FromIdentityRow so
// the scenarios exercise the production adapter.
type fx struct {
	id, truth   string
	payload, c2 []string
	kd          string // 16 hex characters, "" for none
	asn         int64
	tools       []string
	deckies     []string
	windows     [][2]time.Duration
	tags        []tg
}

func (f fx) features(shift time.Duration) Features {
	id := store.CampaignIdentity{UUID: f.id, PayloadHashes: f.payload, C2Endpoints: f.c2}
	if f.kd != "" {
		id.KDDigraphSimhash = []byte(f.kd)
	}
	var attackers []store.CampaignAttacker
	for i, w := range f.windows {
		a := store.CampaignAttacker{UUID: f.id + "-a" + strconv.Itoa(i), IdentityID: f.id, ASN: f.asn,
			ToolGuesses: f.tools, Deckies: f.deckies,
			FirstSeen: t0.Add(w[0] + shift), LastSeen: t0.Add(w[1] + shift)}
		attackers = append(attackers, a)
	}
	if len(attackers) == 0 && (f.asn != 0 || len(f.tools)+len(f.deckies) > 0) {
		attackers = append(attackers, store.CampaignAttacker{UUID: f.id + "-a", IdentityID: f.id, ASN: f.asn,
			ToolGuesses: f.tools, Deckies: f.deckies})
	}
	var phases []store.DeckyPhase
	for _, t := range f.tags {
		phases = append(phases, store.DeckyPhase{DeckyID: t.decky, Tactic: t.tactic, CreatedAt: t0.Add(t.at + shift)})
	}
	slices.SortStableFunc(phases, func(a, b store.DeckyPhase) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return FromIdentityRow(id, attackers, phases)
}

func build(fxs []fx, shift time.Duration) []Features {
	out := make([]Features, len(fxs))
	for i, f := range fxs {
		out[i] = f.features(shift)
	}
	return out
}

// groups renders a partition as sorted groups of IDs.
func groups(feats []Features, p Partition) [][]string {
	var out [][]string
	for _, c := range p.Components {
		var g []string
		for _, i := range c {
			g = append(g, feats[i].ID)
		}
		out = append(out, g)
	}
	return out
}

// bruteForce is the original's O(n²) clustering, the reference Cluster
// must agree with.
func bruteForce(feats []Features, window time.Duration) Partition {
	uf := components.NewUnionFind(len(feats))
	index := map[string]int32{}
	for i := range feats {
		index[feats[i].ID] = int32(i)
	}
	for i := range feats {
		if j, ok := index[feats[i].Alias]; ok && feats[i].Alias != "" {
			uf.Union(int32(i), j)
		}
		for j := i + 1; j < len(feats); j++ {
			if Edge(&feats[i], &feats[j], window) {
				uf.Union(int32(i), int32(j))
			}
		}
	}
	return partition(feats, uf)
}

func TestOnlyBlockedPairsCanMakeAnEdge(t *testing.T) {
	// Cluster scores only pairs sharing a hand-off decky, an
	// infrastructure element or a keystroke band; that is exact only while
	// temporal and cohort at their maximum stay below the threshold, and
	// a hand-off alone reaches it.
	if weak := WeightTemporal + WeightCohort; weak >= CampaignEdgeThreshold {
		t.Fatalf("temporal+cohort = %v reaches the threshold %v", weak, CampaignEdgeThreshold)
	}
	if WeightHandoff < CampaignEdgeThreshold {
		t.Fatalf("hand-off %v alone is below the threshold", WeightHandoff)
	}
}

func TestWeights(t *testing.T) {
	kd := func(v uint64) string { return fmt.Sprintf("%016x", v) }
	full := [][2]time.Duration{{0, 10 * h}}
	for _, tc := range []struct {
		name                                  string
		a, b                                  fx
		handoff, infra, temporal, cohort, key float64
		edge                                  bool
	}{
		{name: "nothing", a: fx{id: "a"}, b: fx{id: "b"}},
		{name: "c2 then discovery within the window", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0007", 23 * h}}}, handoff: 1, cohort: 1, edge: true},
		{name: "persistence then lateral movement, reversed order", a: fx{id: "a", tags: []tg{{"d1", "TA0008", 2 * h}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0003", h}}}, handoff: 1, cohort: 1, edge: true},
		{name: "exactly at the window", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0007", 24 * h}}}, handoff: 1, cohort: 1, edge: true},
		{name: "outside the window", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0007", 25 * h}}}, cohort: 1},
		{name: "discovery before the c2", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 2 * h}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0007", h}}}, cohort: 1},
		{name: "other deckies", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}}},
			b: fx{id: "b", tags: []tg{{"d2", "TA0007", h}}}},
		{name: "c2 not the last phase", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}, {"d1", "TA0009", h}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0007", 2 * h}}}, cohort: 1},
		{name: "discovery not the first phase", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}}},
			b: fx{id: "b", tags: []tg{{"d1", "TA0001", h}, {"d1", "TA0007", 2 * h}}}, cohort: 1},
		{name: "unmapped tactics are skipped", a: fx{id: "a", tags: []tg{{"d1", "TA0011", 0}, {"d1", "TA9999", h}}},
			b: fx{id: "b", tags: []tg{{"d1", "TAxxxx", h}, {"d1", "TA0007", 2 * h}}}, handoff: 1, cohort: 1, edge: true},
		{name: "identical infrastructure", a: fx{id: "a", payload: []string{"p"}, c2: []string{"c"}},
			b: fx{id: "b", payload: []string{"p"}, c2: []string{"c"}}, infra: 1, edge: true},
		{name: "half the infrastructure", a: fx{id: "a", payload: []string{"p"}, c2: []string{"c"}},
			b: fx{id: "b", c2: []string{"c"}}, infra: 0.5},
		{name: "a payload digest never matches an endpoint", a: fx{id: "a", payload: []string{"x"}},
			b: fx{id: "b", c2: []string{"x"}}},
		{name: "half the infrastructure, full overlap and cohort", a: fx{id: "a", c2: []string{"c", "d"}, asn: 1, windows: full},
			b: fx{id: "b", c2: []string{"c"}, asn: 1, windows: full}, infra: 0.5, temporal: 1, cohort: 1, edge: true},
		{name: "keystroke alone", a: fx{id: "a", kd: kd(0)}, b: fx{id: "b", kd: kd(0)}, key: 1},
		{name: "keystroke and full overlap", a: fx{id: "a", kd: kd(0), windows: full}, b: fx{id: "b", kd: kd(0), windows: full},
			key: 1, temporal: 1, edge: true},
		{name: "keystroke distance 2", a: fx{id: "a", kd: kd(0)}, b: fx{id: "b", kd: kd(3)}, key: 0.75},
		{name: "keystroke distance 8", a: fx{id: "a", kd: kd(0)}, b: fx{id: "b", kd: kd(0xff)}},
		{name: "cohort alone", a: fx{id: "a", asn: 7, tools: []string{"hydra"}, deckies: []string{"d1"}},
			b: fx{id: "b", asn: 7, tools: []string{"hydra"}, deckies: []string{"d1"}}, cohort: 1},
		{name: "cohort and full overlap stay under", a: fx{id: "a", asn: 7, windows: full}, b: fx{id: "b", asn: 7, windows: full},
			temporal: 1, cohort: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a.features(0), tc.b.features(0)
			for _, dir := range [][2]*Features{{&a, &b}, {&b, &a}} {
				x, y := dir[0], dir[1]
				got := [5]float64{PhaseHandoffWeight(x, y, DefaultHandoffWindow), SharedInfraWeight(x, y),
					TemporalOverlapWeight(x, y), CohortWeight(x, y), KeystrokeWeight(x, y)}
				if want := [5]float64{tc.handoff, tc.infra, tc.temporal, tc.cohort, tc.key}; got != want {
					t.Errorf("%s→%s (handoff, infra, temporal, cohort, keystroke) = %v, want %v", x.ID, y.ID, got, want)
				}
				if Edge(x, y, DefaultHandoffWindow) != tc.edge {
					t.Errorf("%s→%s Edge = %v, want %v", x.ID, y.ID, !tc.edge, tc.edge)
				}
			}
		})
	}
}

// TestTemporalOverlapIsSymmetric pins QUIRK 12: the original divided the
// overlap by the first side's session time, so (a, b) and (b, a) differed.
func TestTemporalOverlapIsSymmetric(t *testing.T) {
	a := fx{id: "a", windows: [][2]time.Duration{{0, 10 * h}}}.features(0)
	b := fx{id: "b", windows: [][2]time.Duration{{8 * h, 9 * h}, {20 * h, 22 * h}}}.features(0)
	ab, ba := TemporalOverlapWeight(&a, &b), TemporalOverlapWeight(&b, &a)
	// One hour of overlap over b's three (the shorter total); the
	// original gave 0.1 one way and 1/3 the other.
	if math.Abs(ab-1.0/3) > 1e-12 || ab != ba {
		t.Errorf("temporal (a,b) = %v, (b,a) = %v; want 1/3 both ways", ab, ba)
	}
}

// scenarios model the original's fixture set (pipeline.md §4–5, F1–F7):
// each identity carries its true campaign.
var scenarios = []struct {
	name string
	fxs  []fx
}{
	{
		name: "F1 shared_wordlist: the same ASN, tools, deckies and hours never merge",
		fxs: func() []fx {
			var out []fx
			for i := range 4 {
				out = append(out, fx{id: fmt.Sprintf("w%d", i), truth: fmt.Sprintf("w%d", i), asn: 4134,
					tools: []string{"hydra"}, deckies: []string{"d1", "d2"}, windows: [][2]time.Duration{{0, 5 * h}},
					tags: []tg{{"d1", "TA0006", h}, {"d1", "TA0007", 2 * h}}})
			}
			return out
		}(),
	},
	{
		name: "F2 vpn_hopping: one kit through many exits is one campaign",
		fxs: []fx{
			{id: "v1", truth: "vpn", payload: []string{"kit"}, c2: []string{"c2.example:443"}, asn: 9009,
				windows: [][2]time.Duration{{0, h}}},
			{id: "v2", truth: "vpn", payload: []string{"kit"}, c2: []string{"c2.example:443"}, asn: 60068,
				windows: [][2]time.Duration{{30 * h, 31 * h}}},
			{id: "v3", truth: "vpn", payload: []string{"kit"}, c2: []string{"c2.example:443"}, asn: 212238,
				windows: [][2]time.Duration{{90 * h, 92 * h}}},
			{id: "x1", truth: "x1", payload: []string{"other"}, c2: []string{"elsewhere:80"}, asn: 9009,
				windows: [][2]time.Duration{{0, h}}},
		},
	},
	{
		name: "F3 lone_wolf: one actor among noise on the same decky",
		fxs: []fx{
			{id: "wolf", truth: "wolf", tags: []tg{{"d1", "TA0011", 0}, {"d1", "TA0009", h}}},
			{id: "n1", truth: "n1", tags: []tg{{"d1", "TA0007", 2 * h}}},
			{id: "n2", truth: "n2", tags: []tg{{"d1", "TA0007", 3 * h}}},
			{id: "n3", truth: "n3", tags: []tg{{"d1", "TA0008", 4 * h}}},
		},
	},
	{
		name: "F4 paused_campaign: a partner returning within the window joins; later does not",
		fxs: []fx{
			{id: "a", truth: "ab", tags: []tg{{"d2", "TA0001", -h}, {"d2", "TA0003", 0}}},
			{id: "b", truth: "ab", tags: []tg{{"d2", "TA0007", 20 * h}, {"d2", "TA0009", 21 * h}}},
			{id: "c", truth: "c", tags: []tg{{"d3", "TA0003", 0}}},
			{id: "d", truth: "d", tags: []tg{{"d3", "TA0008", 30 * h}}},
			{id: "e", truth: "e", tags: []tg{{"d2", "TA0007", -2 * h}}},
		},
	},
	{
		name: "F5 multi_operator: a chain of hand-offs folds into one campaign",
		fxs: []fx{
			{id: "op1", truth: "ops", c2: []string{"c2-a", "c2-b", "c2-c"}, tags: []tg{{"d1", "TA0011", 0}}},
			{id: "op2", truth: "ops", tags: []tg{{"d1", "TA0007", 2 * h}, {"d4", "TA0003", 5 * h}}},
			{id: "op3", truth: "ops", tags: []tg{{"d4", "TA0008", 6 * h}}},
			{id: "op4", truth: "op4", c2: []string{"c2-a"}},
		},
	},
	{
		name: "F6 noise_floor: scanners sharing everything but infrastructure stay apart",
		fxs: func() []fx {
			var out []fx
			for i := range 12 {
				f := fx{id: fmt.Sprintf("s%02d", i), truth: fmt.Sprintf("s%02d", i), asn: 14061,
					tools: []string{"masscan", "zgrab"}, deckies: []string{"d1", "d2", "d3"},
					windows: [][2]time.Duration{{0, 48 * h}}, tags: []tg{{"d1", "TA0043", time.Duration(i) * h}}}
				if i < 8 {
					f.kd = fmt.Sprintf("%016x", uint64(0xff)<<(8*i)) // 16 bits from every other
				}
				out = append(out, f)
			}
			return out
		}(),
	},
	{
		name: "F7 slow_burn: one typist over weeks with partly shared kit",
		fxs: []fx{
			{id: "s1", truth: "burn", kd: "00000000000000f0", c2: []string{"x"}, payload: []string{"p1"},
				windows: [][2]time.Duration{{0, 2 * h}}},
			{id: "s2", truth: "burn", kd: "00000000000000f1", c2: []string{"x"}, windows: [][2]time.Duration{{200 * h, 201 * h}}},
			{id: "s3", truth: "burn", kd: "00000000000000f1", c2: []string{"x"}, payload: []string{"p3"},
				windows: [][2]time.Duration{{500 * h, 503 * h}}},
			{id: "t", truth: "t", kd: "00000000000000f3", windows: [][2]time.Duration{{0, 2 * h}}},
		},
	},
}

func truthOf(fxs []fx, feats []Features) []string {
	byID := map[string]string{}
	for _, f := range fxs {
		byID[f.id] = f.truth
	}
	out := make([]string, len(feats))
	for i, f := range feats {
		out[i] = byID[f.ID]
	}
	return out
}

func TestClusterScenariosScorePerfectly(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			feats := build(sc.fxs, 0)
			p := Cluster(feats, DefaultHandoffWindow)
			s := clustermetrics.Score(truthOf(sc.fxs, feats), p.Labels)
			if !s.Perfect() {
				t.Errorf("scores %+v, want all 1; partition %v", s, groups(feats, p))
			}
			if diff := cmp.Diff(groups(feats, bruteForce(feats, DefaultHandoffWindow)), groups(feats, p)); diff != "" {
				t.Errorf("Cluster disagrees with the pairwise reference (-ref +got):\n%s", diff)
			}
		})
	}
}

func TestClusterPartitionIsInvariantUnderATimeShift(t *testing.T) {
	for _, sc := range scenarios {
		want := groups(build(sc.fxs, 0), Cluster(build(sc.fxs, 0), DefaultHandoffWindow))
		for _, shift := range []time.Duration{-3 * 365 * 24 * h, 17*h + 13*time.Second, 400 * 24 * h} {
			feats := build(sc.fxs, shift)
			slices.Reverse(feats)
			if diff := cmp.Diff(want, groups(feats, Cluster(feats, DefaultHandoffWindow))); diff != "" {
				t.Errorf("%s shifted by %v (-want +got):\n%s", sc.name, shift, diff)
			}
		}
	}
}

// TestClusterMatchesPairwise compares Cluster with the O(n²) reference on
// random identities drawn from tiny key spaces, so hand-off runs, infra
// blocks, keystroke bands and chains are frequent.
func TestClusterMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tactics := []string{"TA0011", "TA0003", "TA0007", "TA0008", "TA0002", "TA0001"}
	pick := func(prefix string, n, max int) []string {
		var v []string
		for range rng.IntN(max + 1) {
			v = append(v, fmt.Sprintf("%s%d", prefix, rng.IntN(n)))
		}
		return v
	}
	for round := range 300 {
		feats := make([]Features, 2+rng.IntN(40))
		bases := []uint64{0, ^uint64(0), 0x0f0f0f0f0f0f0f0f}
		for i := range feats {
			var phases []store.DeckyPhase
			for range rng.IntN(4) {
				phases = append(phases, store.DeckyPhase{DeckyID: fmt.Sprintf("d%d", rng.IntN(3)),
					Tactic: tactics[rng.IntN(len(tactics))], CreatedAt: t0.Add(time.Duration(rng.IntN(60)) * h)})
			}
			slices.SortStableFunc(phases, func(a, b store.DeckyPhase) int { return a.CreatedAt.Compare(b.CreatedAt) })
			id := store.CampaignIdentity{UUID: fmt.Sprintf("i%03d", i), PayloadHashes: pick("p", 5, 2),
				C2Endpoints: pick("c", 5, 1)}
			if rng.IntN(3) == 0 {
				v := bases[rng.IntN(len(bases))]
				for range rng.IntN(10) {
					v ^= 1 << rng.IntN(64)
				}
				id.KDDigraphSimhash = []byte(fmt.Sprintf("%016x", v))
			}
			var attackers []store.CampaignAttacker
			for range rng.IntN(3) {
				s := t0.Add(time.Duration(rng.IntN(48)) * h)
				attackers = append(attackers, store.CampaignAttacker{IdentityID: id.UUID, FirstSeen: s,
					LastSeen: s.Add(time.Duration(rng.IntN(10)) * h), ASN: int64(rng.IntN(2)),
					Deckies: pick("d", 3, 2), ToolGuesses: pick("t", 2, 1)})
			}
			feats[i] = FromIdentityRow(id, attackers, phases)
			if i > 0 && rng.IntN(10) == 0 {
				feats[i] = Features{ID: feats[i].ID, Alias: feats[rng.IntN(i)].ID}
			}
		}
		window := time.Duration(1+rng.IntN(30)) * h
		if diff := cmp.Diff(groups(feats, bruteForce(feats, window)), groups(feats, Cluster(feats, window))); diff != "" {
			t.Fatalf("round %d: Cluster disagrees with the pairwise reference (-ref +got):\n%s", round, diff)
		}
	}
}

func TestClusterLabelsAreMinimumIDs(t *testing.T) {
	feats := build([]fx{{id: "z", c2: []string{"c"}}, {id: "m", c2: []string{"c"}}, {id: "q"}}, 0)
	if diff := cmp.Diff([]string{"m", "m", "q"}, Cluster(feats, DefaultHandoffWindow).Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := Cluster(nil, DefaultHandoffWindow); len(got.Components) != 0 {
		t.Errorf("Cluster(nil) = %+v, want empty", got)
	}
}

// syntheticInput is one identity of the synthetic population as the store
// holds it.
type syntheticInput struct {
	id        store.CampaignIdentity
	attackers []store.CampaignAttacker
	phases    []store.DeckyPhase
}

// syntheticInputs builds n identities with a realistic mix: most carry a
// few tags over 100 deckies and a month, some hand deckies over, one in 20
// belongs to a small crew sharing a kit, a third have keystroke centroids,
// everyone has a session in one of five big ASNs.
func syntheticInputs(n int) []syntheticInput {
	rng := rand.New(rand.NewPCG(42, 7))
	tactics := []string{"TA0011", "TA0003", "TA0007", "TA0008", "TA0002", "TA0006", "TA0001", "TA0043"}
	out := make([]syntheticInput, n)
	for i := range out {
		id := store.CampaignIdentity{UUID: fmt.Sprintf("%08x-0000-4000-8000-%012d", rng.Uint32(), i)}
		if rng.IntN(20) == 0 {
			crew := rng.IntN(n/10 + 1)
			id.PayloadHashes = []string{fmt.Sprintf("kit-%d", crew)}
			id.C2Endpoints = []string{fmt.Sprintf("c2-%d.example:443", crew)}
		}
		if rng.IntN(3) == 0 {
			id.KDDigraphSimhash = []byte(fmt.Sprintf("%016x", rng.Uint64()))
		}
		var phases []store.DeckyPhase
		start := t0.Add(time.Duration(rng.IntN(30*24)) * h)
		for k := range 1 + rng.IntN(6) {
			phases = append(phases, store.DeckyPhase{DeckyID: fmt.Sprintf("decky-%02d", rng.IntN(100)),
				Tactic: tactics[rng.IntN(len(tactics))], CreatedAt: start.Add(time.Duration(k) * 10 * time.Minute)})
		}
		id.FirstSeenAt, id.LastSeenAt = start, start.Add(time.Hour)
		attackers := []store.CampaignAttacker{{UUID: fmt.Sprintf("a-%d", i), IdentityID: id.UUID, FirstSeen: start,
			LastSeen: start.Add(time.Hour), ASN: int64(4134 + rng.IntN(5)), ToolGuesses: []string{"hydra"},
			Deckies: []string{phases[0].DeckyID}}}
		out[i] = syntheticInput{id, attackers, phases}
	}
	return out
}

// synthetic projects syntheticInputs(n), sorted by ID as the worker sorts.
func synthetic(n int) []Features {
	in := syntheticInputs(n)
	feats := make([]Features, n)
	for i, s := range in {
		feats[i] = FromIdentityRow(s.id, s.attackers, s.phases)
	}
	slices.SortFunc(feats, func(a, b Features) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return feats
}

func TestSyntheticBlockedMatchesPairwise(t *testing.T) {
	if testing.Short() {
		t.Skip("O(n²) reference")
	}
	feats := synthetic(2000)
	if diff := cmp.Diff(groups(feats, bruteForce(feats, DefaultHandoffWindow)),
		groups(feats, Cluster(feats, DefaultHandoffWindow))); diff != "" {
		t.Fatalf("Cluster disagrees with the pairwise reference (-ref +got):\n%s", diff)
	}
}

func BenchmarkCluster10k(b *testing.B) {
	feats := synthetic(10_000)
	b.ResetTimer()
	for b.Loop() {
		Cluster(feats, DefaultHandoffWindow)
	}
}

func BenchmarkCluster100k(b *testing.B) {
	feats := synthetic(100_000)
	b.ResetTimer()
	for b.Loop() {
		Cluster(feats, DefaultHandoffWindow)
	}
}

// BenchmarkClusterPairwise10k is the original's O(n²) pair loop over the
// same identities: the same-run baseline of docs/benchmarks.md.
func BenchmarkClusterPairwise10k(b *testing.B) {
	feats := synthetic(10_000)
	b.ResetTimer()
	for b.Loop() {
		bruteForce(feats, DefaultHandoffWindow)
	}
}

// TestFromIdentityRowFillsEveryFeature pins QUIRK 2: the original's
// production adapter left payloads, C2 endpoints, cohorts and session
// windows empty (and phases too, until list_ttp_decky_phases), so only
// synthetic fixtures could link identities.
func TestFromIdentityRowFillsEveryFeature(t *testing.T) {
	id := store.CampaignIdentity{UUID: "i1", CampaignID: "c1", FirstSeenAt: t0, LastSeenAt: t0.Add(5 * h),
		PayloadHashes: []string{"p2", "p1"}, C2Endpoints: []string{"evil.example:4444"},
		JA3Hashes: []string{"j"}, KDDigraphSimhash: []byte{0, 0, 0, 0, 0, 0, 1, 2}}
	attackers := []store.CampaignAttacker{
		{UUID: "a1", IdentityID: "i1", FirstSeen: t0, LastSeen: t0.Add(h), ASN: 64500, Deckies: []string{"d2"},
			ToolGuesses: []string{"hydra"}},
		{UUID: "a2", IdentityID: "i1", FirstSeen: t0.Add(3 * h), LastSeen: t0.Add(5 * h), ToolGuesses: []string{"nmap"}},
	}
	phases := []store.DeckyPhase{
		{DeckyID: "d1", Tactic: "TA0001", CreatedAt: t0},
		{DeckyID: "d1", Tactic: "TA9999", CreatedAt: t0.Add(h)},
		{DeckyID: "d1", Tactic: "TA0011", CreatedAt: t0.Add(2 * h)},
		{DeckyID: "d3", Tactic: "TA0007", CreatedAt: t0.Add(3 * h)},
	}
	got := FromIdentityRow(id, attackers, phases)
	want := Features{ID: "i1", CampaignID: "c1", FirstSeen: t0, LastSeen: t0.Add(5 * h),
		ASNCohort: []string{"64500"}, ToolingCohort: []string{"hydra", "nmap"},
		PayloadHashes: []string{"p1", "p2"}, C2Endpoints: []string{"evil.example:4444"},
		KDSimhash: 0x0102, HasKD: true, DeckySet: []string{"d1", "d2", "d3"},
		SessionWindows: []Window{{t0, t0.Add(h)}, {t0.Add(3 * h), t0.Add(5 * h)}},
		FirstPhase:     map[string]Phase{"d1": Delivery, "d3": Discovery},
		LastPhase:      map[string]Phase{"d1": CommandAndControl, "d3": Discovery},
		FirstSeenOn:    map[string]time.Time{"d1": t0, "d3": t0.Add(3 * h)},
		LastSeenOn:     map[string]time.Time{"d1": t0.Add(2 * h), "d3": t0.Add(3 * h)},
		JA3:            []string{"j"},
	}
	want.Prepare()
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(Features{})); diff != "" {
		t.Errorf("FromIdentityRow (-want +got):\n%s", diff)
	}
	if hex, ok := parseSimhash([]byte("0000000000000102")); !ok || hex != 0x0102 {
		t.Errorf("hex centroid = %x, %v", hex, ok)
	}
}
