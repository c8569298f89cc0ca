package clustering

import (
	"slices"

	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/store"
)

// MaxRollupList caps each list of an identity rollup, keeping the lowest
// values: a botnet of thousands of addresses still fits its row and an API
// response, and the cut is deterministic.
const MaxRollupList = 10_000

// Reconcile turns a partition of obs into the tick's changes
// (pipeline.md §4), given links, the merged_into_uuid of every stored
// identity ("" when live). It is pure; newUUID names new identities.
//
// Pass 1, per component in label order: when no member has an identity, a
// new one is formed and every member linked to it. Otherwise the members'
// identities are resolved through merged_into (at most
// store.MaxMergeHops), the smallest uuid wins, every other live one is
// soft-merged into it, and members without an identity are linked to it.
// An identity_id naming no stored identity counts as none.
//
// Pass 2: a merged identity whose own members' labels are disjoint from
// its winner's own members' labels (both non-empty) is resurrected.
//
// Finally every live identity gets its rollup over the members resolving
// to it. The passes are components.Reconcile, shared with the campaign
// clusterer; this puts them in identity terms and adds the rollups.
func Reconcile(obs []Observation, p Partition, links map[string]string, newUUID func() string) store.IdentityPlan {
	members := make([]components.Member, len(obs))
	for i := range obs {
		members[i] = components.Member{Group: obs[i].IdentityID, Assignable: true}
	}
	r := components.Reconcile(members, p, links, newUUID)
	plan := store.IdentityPlan{Formed: r.Formed}
	for _, a := range r.Assignments {
		plan.Links = append(plan.Links, store.IdentityLink{AttackerUUID: obs[a.Member].ID, IdentityUUID: a.Group})
	}
	for _, m := range r.Merges {
		plan.Merges = append(plan.Merges, store.IdentityMerge{WinnerUUID: m.Winner, LoserUUID: m.Loser})
	}
	for _, u := range r.Unmerges {
		plan.Unmerges = append(plan.Unmerges,
			store.IdentityUnmerge{ResurrectedUUID: u.Resurrected, FormerWinnerUUID: u.FormerWinner})
	}
	plan.Rollups = rollups(obs, r.Groups, r.MergedInto, r.IDs)
	return plan
}

// rollups returns the rollup of every live identity among ids (the sorted
// keys of state), in that order: members are the observations whose
// identity resolves to it. Members are grouped with a counting sort, and a
// lone member's lists (already sorted and distinct) are used as they are.
func rollups(obs []Observation, lit []string, state map[string]string, ids []string) []store.IdentityRollup {
	slotOf := make(map[string]int32, len(ids))
	for _, id := range ids {
		if state[id] == "" {
			slotOf[id] = int32(len(slotOf))
		}
	}
	slotOfObs := make([]int32, len(obs))
	sizes := make([]int32, len(slotOf)+1)
	for i := range obs {
		slotOfObs[i] = -1
		if lit[i] == "" {
			continue
		}
		if s, ok := slotOf[components.Resolve(state, lit[i])]; ok {
			slotOfObs[i] = s
			sizes[s+1]++
		}
	}
	for s := 1; s < len(sizes); s++ {
		sizes[s] += sizes[s-1]
	}
	members := make([]int32, sizes[len(sizes)-1])
	fill := slices.Clone(sizes)
	for i, s := range slotOfObs {
		if s >= 0 {
			members[fill[s]] = int32(i)
			fill[s]++
		}
	}
	out := make([]store.IdentityRollup, 0, len(slotOf))
	for _, id := range ids {
		s, ok := slotOf[id]
		if !ok {
			continue
		}
		r := store.IdentityRollup{UUID: id}
		group := members[sizes[s]:sizes[s+1]]
		r.ObservationCount = len(group)
		if len(group) == 1 {
			o := &obs[group[0]]
			r.FirstSeenAt, r.LastSeenAt = o.FirstSeen, o.LastSeen
			r.JA3Hashes, r.HASSHHashes, r.JA4HHashes = capList(o.JA3), capList(o.HASSH), capList(o.JA4H)
			r.TLSCertSHA256, r.PayloadHashes, r.C2Endpoints = capList(o.TLSCertSHA256), capList(o.PayloadHashes), capList(o.C2Endpoints)
			out = append(out, r)
			continue
		}
		var ja3, hassh, ja4h, tls, payload, c2s []string
		for _, i := range group {
			o := &obs[i]
			if !o.FirstSeen.IsZero() && (r.FirstSeenAt.IsZero() || o.FirstSeen.Before(r.FirstSeenAt)) {
				r.FirstSeenAt = o.FirstSeen
			}
			if o.LastSeen.After(r.LastSeenAt) {
				r.LastSeenAt = o.LastSeen
			}
			ja3, hassh, ja4h = append(ja3, o.JA3...), append(hassh, o.HASSH...), append(ja4h, o.JA4H...)
			tls, payload, c2s = append(tls, o.TLSCertSHA256...), append(payload, o.PayloadHashes...), append(c2s, o.C2Endpoints...)
		}
		r.JA3Hashes, r.HASSHHashes, r.JA4HHashes = capList(ja3), capList(hassh), capList(ja4h)
		r.TLSCertSHA256, r.PayloadHashes, r.C2Endpoints = capList(tls), capList(payload), capList(c2s)
		out = append(out, r)
	}
	return out
}

// capList is v sorted, distinct and cut to MaxRollupList; nil when empty.
// It sorts v in place, which leaves an observation's own (sorted, distinct)
// lists unchanged.
func capList(v []string) []string {
	v = distinct(v)
	if len(v) == 0 {
		return nil
	}
	return v[:min(len(v), MaxRollupList)]
}
