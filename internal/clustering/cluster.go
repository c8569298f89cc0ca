package clustering

import "github.com/decnet/decnet/internal/components"

// Partition is the result of Cluster: the connected components of the
// edge graph; Labels and Components index obs.
type Partition = components.Partition

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
	uf := components.NewUnionFind(n)
	masks := make([]uint8, n)
	byValue := [3]map[string]int32{make(map[string]int32, n), make(map[string]int32, n/4), make(map[string]int32, n/4)}
	blocks := map[string][]int32{}
	for i := range obs {
		o := &obs[i]
		masks[i] = fpMask(o)
		for s, vals := range [3][]string{o.JA3, o.HASSH, o.JA4H} {
			for _, v := range vals {
				if first, ok := byValue[s][v]; ok {
					uf.Union(int32(i), first)
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
func uniteBlock(uf *components.UnionFind, masks []uint8, members []int32) {
	var present [8]bool
	for _, m := range members {
		if masks[m] == 0 {
			// Without fingerprints it never vetoes: it links to all.
			for _, o := range members {
				uf.Union(m, o)
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
			uf.Union(m, anchor[g])
		}
	}
}

// partition labels each observation with its component's smallest ID.
func partition(obs []Observation, uf *components.UnionFind) Partition {
	return components.Label(len(obs), func(i int) string { return obs[i].ID }, uf)
}
