package campaign

import (
	"slices"
	"sort"
	"time"

	"github.com/decnet/decnet/internal/components"
)

// Partition is the result of Cluster: the connected components of the
// edge graph over identities; Labels and Components index feats.
type Partition = components.Partition

// Cluster returns the connected components of feats under Edge (with the
// hand-off window) without comparing every pair. Without a hand-off an
// edge needs shared infrastructure or a keystroke match (see the weight
// constants), so only three kinds of pairs can be linked:
//   - hand-offs: per decky, identities whose last phase there is an out
//     phase are indexed by that time and those whose first phase is an in
//     phase by theirs; each out identity binary-searches the in identities
//     inside its window, a contiguous run it is linked to as a whole.
//     Every such pair is an edge, so runs are united without visiting
//     their pairs;
//   - identities sharing a payload hash or C2 endpoint (a block per
//     element), whose pairs are scored in full;
//   - identities with close keystroke centroids (see uniteKeystrokes).
//
// Pairs already in one component are skipped. A soft-merged identity
// (Alias set) joins its winner's component.
func Cluster(feats []Features, window time.Duration) Partition {
	n := len(feats)
	uf := components.NewUnionFind(n)
	index := make(map[string]int32, n)
	for i := range feats {
		index[feats[i].ID] = int32(i)
	}
	for i := range feats {
		if j, ok := index[feats[i].Alias]; ok && feats[i].Alias != "" {
			uf.Union(int32(i), j)
		}
	}
	uniteHandoffs(feats, uf, window)

	try := func(a, b int32) {
		if uf.Find(a) != uf.Find(b) && Edge(&feats[a], &feats[b], window) {
			uf.Union(a, b)
		}
	}
	blocks := map[string][]int32{}
	for i := range feats {
		for _, k := range feats[i].infra {
			blocks[k] = append(blocks[k], int32(i))
		}
	}
	for _, members := range blocks {
		for x := range members {
			for _, b := range members[x+1:] {
				try(members[x], b)
			}
		}
	}
	uniteKeystrokes(feats, try)
	return partition(feats, uf)
}

// kdBands is how many 16-bit bands uniteKeystrokes cuts a 64-bit centroid
// into.
const kdBands = 4

// uniteKeystrokes calls try on every pair of identities whose keystroke
// centroids are closer than KDHammingMax (and on a few farther ones),
// without comparing all pairs: a distance of at most 7 spread over four
// 16-bit bands leaves some band at most one bit apart (were every band two
// or more apart, the distance would be 8 or more). Each centroid is indexed
// under its four band values and looks up, per band, its own value and the
// 16 values one bit away — 68 lookups into buckets that hold n/65 536
// identities on average, where eight exact 8-bit bands would compare
// n²/64 pairs.
func uniteKeystrokes(feats []Features, try func(a, b int32)) {
	index := map[uint32][]int32{}
	band := func(v uint64, b int) uint32 { return uint32(b)<<16 | uint32(v>>(16*b)&0xffff) }
	for i := range feats {
		if feats[i].HasKD {
			for b := range kdBands {
				k := band(feats[i].KDSimhash, b)
				index[k] = append(index[k], int32(i))
			}
		}
	}
	for i := range feats {
		if !feats[i].HasKD {
			continue
		}
		for b := range kdBands {
			k := band(feats[i].KDSimhash, b)
			for flip := -1; flip < 16; flip++ {
				key := k
				if flip >= 0 {
					key ^= 1 << flip
				}
				for _, j := range index[key] {
					if j > int32(i) && KeystrokeWeight(&feats[i], &feats[j]) > 0 {
						try(int32(i), j)
					}
				}
			}
		}
	}
}

// stamp is one identity's time on a decky in the hand-off index.
type stamp struct {
	at time.Time
	i  int32
}

// uniteHandoffs unites every hand-off pair (see Cluster) in
// O(k log k) for k indexed stamps.
func uniteHandoffs(feats []Features, uf *components.UnionFind, window time.Duration) {
	outs, ins := map[string][]stamp{}, map[string][]stamp{}
	for i := range feats {
		f := &feats[i]
		for d, p := range f.LastPhase {
			if t, ok := f.LastSeenOn[d]; ok && HandoffOutPhases[p] {
				outs[d] = append(outs[d], stamp{t, int32(i)})
			}
		}
		for d, p := range f.FirstPhase {
			if t, ok := f.FirstSeenOn[d]; ok && HandoffInPhases[p] {
				ins[d] = append(ins[d], stamp{t, int32(i)})
			}
		}
	}
	for d, out := range outs {
		in := ins[d]
		if len(in) == 0 {
			continue
		}
		slices.SortFunc(in, func(a, b stamp) int { return a.at.Compare(b.at) })
		// cover[g] counts the runs spanning the gap between in[g] and
		// in[g+1] (a difference array): each covered gap is one union.
		cover := make([]int32, len(in))
		for _, o := range out {
			// in[lo:hi+1] are the stamps with o.at ≤ at ≤ o.at+window.
			lo := sort.Search(len(in), func(k int) bool { return !in[k].at.Before(o.at) })
			end := o.at.Add(window)
			hi := sort.Search(len(in), func(k int) bool { return in[k].at.After(end) }) - 1
			if lo > hi {
				continue
			}
			uf.Union(o.i, in[lo].i)
			if lo < hi {
				cover[lo]++
				cover[hi]--
			}
		}
		var run int32
		for g := 0; g+1 < len(in); g++ {
			run += cover[g]
			if run > 0 {
				uf.Union(in[g].i, in[g+1].i)
			}
		}
	}
}

// partition labels each identity with its component's smallest ID.
func partition(feats []Features, uf *components.UnionFind) Partition {
	return components.Label(len(feats), func(i int) string { return feats[i].ID }, uf)
}
