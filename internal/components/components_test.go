package components

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// partitionOf unites the given index pairs over members named ids.
func partitionOf(ids []string, pairs ...[2]int32) Partition {
	uf := NewUnionFind(len(ids))
	for _, p := range pairs {
		uf.Union(p[0], p[1])
	}
	return Label(len(ids), func(i int) string { return ids[i] }, uf)
}

func TestLabelUsesSmallestIDAndLabelOrderWhateverTheInputOrder(t *testing.T) {
	// d-b and c-a are components; input order is not ID order.
	p := partitionOf([]string{"d", "c", "b", "a"}, [2]int32{0, 2}, [2]int32{1, 3})
	want := Partition{Labels: []string{"b", "a", "b", "a"}, Components: [][]int{{3, 1}, {2, 0}}}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
}

// TestUnionFindMatchesNaiveLabels checks random unions against a
// relabel-everything reference.
func TestUnionFindMatchesNaiveLabels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		n := 1 + r.IntN(60)
		uf := NewUnionFind(n)
		naive := make([]int, n)
		for i := range naive {
			naive[i] = i
		}
		for range r.IntN(2 * n) {
			a, b := r.IntN(n), r.IntN(n)
			uf.Union(int32(a), int32(b))
			from, to := naive[b], naive[a]
			for i := range naive {
				if naive[i] == from {
					naive[i] = to
				}
			}
		}
		for a := range n {
			for b := range n {
				if (uf.Find(int32(a)) == uf.Find(int32(b))) != (naive[a] == naive[b]) {
					t.Fatalf("n=%d: %d and %d disagree with the reference", n, a, b)
				}
			}
		}
	}
}

func counter(prefix string) func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("%s%02d", prefix, n) }
}

func TestReconcile(t *testing.T) {
	ids := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		name    string
		members []Member
		pairs   [][2]int32
		merged  map[string]string
		want    Result
	}{{
		name:    "forms one group per component, assigning every member",
		members: []Member{{Assignable: true}, {Assignable: true}, {Assignable: true}, {Assignable: true}},
		pairs:   [][2]int32{{0, 1}},
		want: Result{Formed: []string{"n01", "n02", "n03"},
			Assignments: []Assignment{{0, "n01"}, {1, "n01"}, {2, "n02"}, {3, "n03"}},
			Groups:      []string{"n01", "n01", "n02", "n03"},
			MergedInto:  map[string]string{"n01": "", "n02": "", "n03": ""}, IDs: []string{"n01", "n02", "n03"}},
	}, {
		name: "merges into the smallest id through merged_into; a dangling group counts as none",
		members: []Member{{Group: "g3", Assignable: true}, {Group: "g4", Assignable: true},
			{Group: "gone", Assignable: true}, {Assignable: true}},
		pairs:  [][2]int32{{0, 1}, {1, 2}, {2, 3}},
		merged: map[string]string{"g1": "", "g3": "", "g4": "g1"},
		want: Result{Assignments: []Assignment{{2, "g1"}, {3, "g1"}}, Merges: []Merge{{"g1", "g3"}},
			Groups:     []string{"g3", "g4", "g1", "g1"},
			MergedInto: map[string]string{"g1": "", "g3": "g1", "g4": "g1"}, IDs: []string{"g1", "g3", "g4"}},
	}, {
		name: "unassignable members merge but are never assigned; alone they form nothing",
		members: []Member{{Group: "g2", Assignable: true}, {Group: "g1"}, {Assignable: false},
			{Assignable: false}},
		pairs:  [][2]int32{{0, 1}, {2, 3}},
		merged: map[string]string{"g1": "", "g2": ""},
		want: Result{Merges: []Merge{{"g1", "g2"}}, Groups: []string{"g2", "g1", "", ""},
			MergedInto: map[string]string{"g1": "", "g2": "g1"}, IDs: []string{"g1", "g2"}},
	}, {
		name:    "resurrects a merged group whose members left its winner's component",
		members: []Member{{Group: "g1", Assignable: true}, {Group: "g2", Assignable: true}, {}, {}},
		merged:  map[string]string{"g1": "", "g2": "g1"},
		want: Result{Unmerges: []Unmerge{{"g2", "g1"}}, Groups: []string{"g1", "g2", "", ""},
			MergedInto: map[string]string{"g1": "", "g2": ""}, IDs: []string{"g1", "g2"}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Reconcile(tc.members, partitionOf(ids, tc.pairs...), tc.merged, counter("n"))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReconcileLeavesTheEndOfAnOverlongChainAlone(t *testing.T) {
	// g0 → g1 → … → g9: resolving g9 stops MaxMergeHops later on g1, a
	// merged group; re-pointing it could close a cycle.
	merged := map[string]string{}
	for i := range 10 {
		merged[fmt.Sprintf("g%d", i)] = ""
		if i > 0 {
			merged[fmt.Sprintf("g%d", i)] = fmt.Sprintf("g%d", i-1)
		}
	}
	if got := Resolve(merged, "g9"); got != "g1" {
		t.Fatalf("Resolve(g9) = %s, want g1 after %d hops", got, MaxMergeHops)
	}
	members := []Member{{Group: "g9", Assignable: true}, {Group: "a", Assignable: true}}
	merged["a"] = ""
	got := Reconcile(members, partitionOf([]string{"x", "y"}, [2]int32{0, 1}), merged, counter("n"))
	if len(got.Merges) != 0 {
		t.Errorf("merges = %+v, want none", got.Merges)
	}
}

func TestResolveStopsOnACycle(t *testing.T) {
	if got := Resolve(map[string]string{"a": "b", "b": "a"}, "a"); !slices.Contains([]string{"a", "b"}, got) {
		t.Errorf("Resolve on a cycle = %q", got)
	}
}

func TestJaccard(t *testing.T) {
	for _, tc := range []struct {
		a, b []string
		want float64
	}{{nil, nil, 0}, {[]string{"x"}, nil, 0}, {[]string{"a", "b"}, []string{"b", "c"}, 1.0 / 3}, {[]string{"a"}, []string{"a"}, 1}} {
		if got := Jaccard(tc.a, tc.b); got != tc.want {
			t.Errorf("Jaccard(%v, %v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
