package clustering

import (
	"maps"
	"slices"

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
// to it.
func Reconcile(obs []Observation, p Partition, links map[string]string, newUUID func() string) store.IdentityPlan {
	state := maps.Clone(links)
	if state == nil {
		state = map[string]string{}
	}
	lit := make([]string, len(obs))
	for i := range obs {
		if _, ok := state[obs[i].IdentityID]; ok {
			lit[i] = obs[i].IdentityID
		}
	}
	var plan store.IdentityPlan
	for _, comp := range p.Components {
		var effs []string
		for _, i := range comp {
			if lit[i] != "" {
				effs = append(effs, resolve(state, lit[i]))
			}
		}
		if len(effs) == 0 {
			id := newUUID()
			state[id] = ""
			plan.Formed = append(plan.Formed, id)
			for _, i := range comp {
				lit[i] = id
				plan.Links = append(plan.Links, store.IdentityLink{AttackerUUID: obs[i].ID, IdentityUUID: id})
			}
			continue
		}
		effs = distinct(effs)
		winner := effs[0]
		for _, loser := range effs[1:] {
			// A chain longer than MaxMergeHops ends on a merged identity;
			// re-pointing it could close a cycle, so it is left alone.
			if state[loser] == "" {
				state[loser] = winner
				plan.Merges = append(plan.Merges, store.IdentityMerge{WinnerUUID: winner, LoserUUID: loser})
			}
		}
		for _, i := range comp {
			if lit[i] == "" {
				lit[i] = winner
				plan.Links = append(plan.Links, store.IdentityLink{AttackerUUID: obs[i].ID, IdentityUUID: winner})
			}
		}
	}

	// Only merged identities and their winners need label sets.
	ids := slices.Sorted(maps.Keys(state))
	labels := map[string]map[string]struct{}{}
	for _, id := range ids {
		if winner := state[id]; winner != "" {
			labels[id], labels[winner] = map[string]struct{}{}, map[string]struct{}{}
		}
	}
	if len(labels) > 0 {
		for i, id := range lit {
			if set, ok := labels[id]; ok {
				set[p.Labels[i]] = struct{}{}
			}
		}
	}
	for _, id := range ids {
		winner := state[id]
		if winner == "" {
			continue
		}
		mine, theirs := labels[id], labels[winner]
		if len(mine) == 0 || len(theirs) == 0 || overlaps(mine, theirs) {
			continue
		}
		state[id] = ""
		plan.Unmerges = append(plan.Unmerges, store.IdentityUnmerge{ResurrectedUUID: id, FormerWinnerUUID: winner})
	}

	plan.Rollups = rollups(obs, lit, state, ids)
	return plan
}

// resolve follows merged_into from id at most store.MaxMergeHops times.
func resolve(state map[string]string, id string) string {
	for range store.MaxMergeHops {
		next := state[id]
		if next == "" {
			break
		}
		id = next
	}
	return id
}

func overlaps(a, b map[string]struct{}) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	for k := range a {
		if _, ok := b[k]; ok {
			return true
		}
	}
	return false
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
		if s, ok := slotOf[resolve(state, lit[i])]; ok {
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
