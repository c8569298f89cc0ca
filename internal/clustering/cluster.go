package clustering

import (
	"cmp"
	"slices"
)

// Partition is the result of Cluster: the connected components of the
// edge graph.
type Partition struct {
	// Labels[i] is the cluster label of obs[i]: the smallest ID in its
	// component, so labels do not depend on input order.
	Labels []string
	// Components hold indices into obs, each sorted by ID, ordered by
	// label.
	Components [][]int
}

// Cluster returns the connected components of obs under Edge without
// comparing every pair. Weak tiers cannot reach EdgeThreshold, so only
// pairs sharing a high-tier key can be linked, and obs are blocked on
// those keys:
//   - a shared JA3, HASSH or JA4H value always makes an edge, so its
//     holders are united directly;
//   - a shared payload hash or C2 endpoint makes an edge unless the pair's
//     fingerprints fully disagree. Two observations without a shared
//     fingerprint value (those are united already) disagree exactly when
//     some slot is filled on both sides, so within a block members are
//     grouped by which slots they fill: a member filling none links to
//     every other, and two groups filling disjoint slots link completely.
//
// The cost is linear in the number of keys held.
func Cluster(obs []Observation) Partition {
	n := len(obs)
	uf := newUnionFind(n)
	masks := make([]uint8, n)
	byValue := [3]map[string]int32{make(map[string]int32, n), make(map[string]int32, n/4), make(map[string]int32, n/4)}
	blocks := map[string][]int32{}
	for i := range obs {
		o := &obs[i]
		masks[i] = fpMask(o)
		for s, vals := range [3][]string{o.JA3, o.HASSH, o.JA4H} {
			for _, v := range vals {
				if first, ok := byValue[s][v]; ok {
					uf.union(int32(i), first)
				} else {
					byValue[s][v] = int32(i)
				}
			}
		}
		// Payloads and endpoints share one key space through a prefix
		// that no value of the other kind can produce.
		for _, v := range o.PayloadHashes {
			k := "p\x00" + v
			blocks[k] = append(blocks[k], int32(i))
		}
		for _, v := range o.C2Endpoints {
			k := "c\x00" + v
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	for _, members := range blocks {
		if len(members) > 1 {
			uniteBlock(uf, masks, members)
		}
	}
	return partition(obs, uf)
}

// uniteBlock unites the members of one payload/C2 block that have an edge
// (see Cluster).
func uniteBlock(uf *unionFind, masks []uint8, members []int32) {
	var present [8]bool
	for _, m := range members {
		if masks[m] == 0 {
			// Without fingerprints it never vetoes: it links to all.
			for _, o := range members {
				uf.union(m, o)
			}
			return
		}
		present[masks[m]] = true
	}
	// Slot groups filling disjoint slots link completely; find which
	// groups end up together.
	var groupOf [8]uint8
	for m := range groupOf {
		groupOf[m] = uint8(m)
	}
	find := func(m uint8) uint8 {
		for groupOf[m] != m {
			m = groupOf[m]
		}
		return m
	}
	var linked [8]bool
	for a := uint8(1); a < 8; a++ {
		for b := a + 1; b < 8; b++ {
			if present[a] && present[b] && a&b == 0 {
				linked[a], linked[b] = true, true
				groupOf[find(b)] = find(a)
			}
		}
	}
	anchor := [8]int32{-1, -1, -1, -1, -1, -1, -1, -1}
	for _, m := range members {
		if !linked[masks[m]] {
			continue
		}
		g := find(masks[m])
		if anchor[g] < 0 {
			anchor[g] = m
		} else {
			uf.union(m, anchor[g])
		}
	}
}

// partition labels each observation with its component's smallest ID.
// Walking the observations in ID order (the store already returns them so)
// yields each component's members sorted and the components in label
// order without sorting either.
func partition(obs []Observation, uf *unionFind) Partition {
	n := len(obs)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	byID := func(a, b int) int { return cmp.Compare(obs[a].ID, obs[b].ID) }
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
		r := uf.find(int32(i))
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
		c := slot[uf.find(int32(i))]
		p.Components[c] = append(p.Components[c], i)
	}
	for _, members := range p.Components {
		label := obs[members[0]].ID
		for _, i := range members {
			p.Labels[i] = label
		}
	}
	return p
}

// unionFind is a disjoint-set forest with path halving and union by size.
type unionFind struct {
	parent []int32
	size   []int32
}

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int32, n), size: make([]int32, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		u.size[i] = 1
	}
	return u
}

func (u *unionFind) find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) union(a, b int32) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
}
