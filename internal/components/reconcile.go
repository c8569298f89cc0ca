package components

import (
	"maps"
	"slices"
)

// MaxMergeHops bounds how far Resolve follows merged_into chains. The store
// takes its own bound from it, so readers and clusterers stop at the same
// group on a corrupt or cyclic chain.
const MaxMergeHops = 8

// Member is one clustered item as Reconcile sees it.
type Member struct {
	// Group is the member's stored group (identity_id, campaign_id); one
	// naming no stored group counts as none.
	Group string
	// Assignable is false for a member that takes part in merging (its
	// group follows its component's winner) but is never assigned a group,
	// such as an identity soft-merged into another; a component of such
	// members alone forms nothing.
	Assignable bool
}

// Assignment gives a member without a group the group of its component.
type Assignment struct {
	// Member indexes the members passed to Reconcile.
	Member int
	Group  string
}

// Merge soft-merges Loser into Winner.
type Merge struct {
	Winner, Loser string
}

// Unmerge resurrects a merged group whose members no longer share a
// component with its winner's.
type Unmerge struct {
	Resurrected, FormerWinner string
}

// Result is what Reconcile decided, plus the state after it that callers
// roll up from.
type Result struct {
	// Formed are the new groups, in component label order.
	Formed []string
	// Assignments are in component label order, then member ID order;
	// members of formed groups included.
	Assignments []Assignment
	// Merges and Unmerges are the changes to merged_into.
	Merges   []Merge
	Unmerges []Unmerge
	// Groups[i] is member i's group afterwards ("" for none): its stored
	// group if that exists, else its assignment.
	Groups []string
	// MergedInto maps every group, stored or formed, to its merged_into
	// afterwards ("" when live).
	MergedInto map[string]string
	// IDs are MergedInto's keys, sorted.
	IDs []string
}

// Reconcile turns a partition of members into the changes that make the
// stored groups follow it, given mergedInto, the merged_into of every
// stored group ("" when live). It is pure; newID names new groups.
//
// Pass 1, per component in label order: when no member has a group, a new
// one is formed and every assignable member assigned to it. Otherwise the
// members' groups are resolved through merged_into (at most MaxMergeHops),
// the smallest id wins, every other live one is soft-merged into it, and
// assignable members without a group are assigned to it. A component with
// no assignable member is skipped.
//
// Pass 2: a merged group whose own members' labels are disjoint from its
// winner's own members' labels (both non-empty) is resurrected.
func Reconcile(members []Member, p Partition, mergedInto map[string]string, newID func() string) Result {
	state := maps.Clone(mergedInto)
	if state == nil {
		state = map[string]string{}
	}
	lit := make([]string, len(members))
	for i := range members {
		if _, ok := state[members[i].Group]; ok {
			lit[i] = members[i].Group
		}
	}
	var r Result
	assign := func(i int, g string) {
		lit[i] = g
		r.Assignments = append(r.Assignments, Assignment{Member: i, Group: g})
	}
	var effs []string
	for _, comp := range p.Components {
		effs = effs[:0]
		live := false
		for _, i := range comp {
			live = live || members[i].Assignable
			if lit[i] != "" {
				effs = append(effs, Resolve(state, lit[i]))
			}
		}
		if !live {
			continue
		}
		if len(effs) == 0 {
			id := newID()
			state[id] = ""
			r.Formed = append(r.Formed, id)
			for _, i := range comp {
				if members[i].Assignable {
					assign(i, id)
				}
			}
			continue
		}
		if len(effs) > 1 {
			slices.Sort(effs)
			effs = slices.Compact(effs)
		}
		winner := effs[0]
		for _, loser := range effs[1:] {
			// A chain longer than MaxMergeHops ends on a merged group;
			// re-pointing it could close a cycle, so it is left alone.
			if state[loser] == "" {
				state[loser] = winner
				r.Merges = append(r.Merges, Merge{Winner: winner, Loser: loser})
			}
		}
		for _, i := range comp {
			if lit[i] == "" && members[i].Assignable {
				assign(i, winner)
			}
		}
	}

	// Only merged groups and their winners need label sets.
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
		r.Unmerges = append(r.Unmerges, Unmerge{Resurrected: id, FormerWinner: winner})
	}
	r.Groups, r.MergedInto, r.IDs = lit, state, ids
	return r
}

// Resolve follows mergedInto from id at most MaxMergeHops times and
// returns where it stopped.
func Resolve(mergedInto map[string]string, id string) string {
	for range MaxMergeHops {
		next := mergedInto[id]
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
