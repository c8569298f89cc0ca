// Package components holds the domain-free mechanics shared by decnet's
// clusterers (identities over attackers, campaigns over identities):
// connected components of a similarity graph with a union-find, labelling
// components by their smallest member id so labels do not depend on input
// order, and reconciling the components with the stored soft-merged groups.
// Each clusterer supplies its own edges and rollups.
package components

import (
	"cmp"
	"slices"
)

// UnionFind is a disjoint-set forest with path halving and union by size:
// int32 indices halve its memory against int, which matters at 100 000
// members.
type UnionFind struct {
	parent []int32
	size   []int32
}

// NewUnionFind returns n singleton sets, 0 to n-1.
func NewUnionFind(n int) *UnionFind {
	u := &UnionFind{parent: make([]int32, n), size: make([]int32, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		u.size[i] = 1
	}
	return u
}

// Find returns the root of x's set, halving the path on the way.
func (u *UnionFind) Find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// Union joins the sets of a and b, hanging the smaller under the larger so
// trees stay shallow.
func (u *UnionFind) Union(a, b int32) {
	ra, rb := u.Find(a), u.Find(b)
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
}

// Partition is a clusterer's result: the connected components of its edge
// graph over n members.
type Partition struct {
	// Labels[i] is the cluster label of member i: the smallest ID in its
	// component, so labels do not depend on input order.
	Labels []string
	// Components hold member indices, each sorted by ID, ordered by
	// label.
	Components [][]int
}

// Label turns the sets of uf over n members, member i having ID id(i),
// into a Partition. Walking the members in ID order (the stores and
// callers already supply them so, and then no sort happens) yields each
// component's members sorted and the components in label order without
// sorting either.
func Label(n int, id func(i int) string, uf *UnionFind) Partition {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	byID := func(a, b int) int { return cmp.Compare(id(a), id(b)) }
	if !slices.IsSortedFunc(order, byID) {
		slices.SortFunc(order, byID)
	}
	// Number components in order of first appearance, count their sizes,
	// then carve every member list out of one array.
	slot := make([]int32, n)
	for i := range slot {
		slot[i] = -1
	}
	var sizes []int
	for _, i := range order {
		r := uf.Find(int32(i))
		if slot[r] < 0 {
			slot[r] = int32(len(sizes))
			sizes = append(sizes, 0)
		}
		sizes[slot[r]]++
	}
	flat := make([]int, n)
	p := Partition{Labels: make([]string, n), Components: make([][]int, len(sizes))}
	off := 0
	for c, size := range sizes {
		p.Components[c] = flat[off : off : off+size]
		off += size
	}
	for _, i := range order {
		c := slot[uf.Find(int32(i))]
		p.Components[c] = append(p.Components[c], i)
	}
	for _, members := range p.Components {
		label := id(members[0])
		for _, i := range members {
			p.Labels[i] = label
		}
	}
	return p
}
