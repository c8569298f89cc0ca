package campaign

import (
	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/store"
)

// MaxRollupList caps each list of a campaign rollup, keeping the lowest
// values, as identity rollups are capped.
const MaxRollupList = 10_000

// Reconcile turns a partition of feats into the tick's changes
// (pipeline.md §5: the identity reconciliation, one level up), given
// links, the merged_into_uuid of every stored campaign ("" when live). It
// is pure; newUUID names new campaigns.
//
// Pass 1, per component in label order: when no member has a campaign, a
// new one is formed and every live member assigned to it. Otherwise the
// members' campaigns are resolved through merged_into (at most
// store.MaxMergeHops), the smallest uuid wins, every other live one is
// soft-merged into it, and live members without a campaign are assigned
// to it. A campaign_id naming no stored campaign counts as none. A
// soft-merged identity (Alias) is a member for merging — its campaign
// follows its winner's — but is never assigned, and a component of such
// identities alone forms nothing.
//
// Pass 2: a merged campaign whose own members' labels are disjoint from its
// winner's own members' labels (both non-empty) is resurrected.
//
// Finally every live campaign gets its rollup over the live identities
// resolving to it. The passes are components.Reconcile, shared with the
// identity clusterer; soft-merged identities are its unassignable members.
func Reconcile(feats []Features, p Partition, links map[string]string, newUUID func() string) store.CampaignPlan {
	members := make([]components.Member, len(feats))
	for i := range feats {
		members[i] = components.Member{Group: feats[i].CampaignID, Assignable: feats[i].Alias == ""}
	}
	r := components.Reconcile(members, p, links, newUUID)
	plan := store.CampaignPlan{Formed: r.Formed}
	for _, a := range r.Assignments {
		f := &feats[a.Member]
		plan.Assignments = append(plan.Assignments,
			store.CampaignAssignment{IdentityUUID: f.ID, CampaignUUID: a.Group, Prior: f.CampaignID})
	}
	for _, m := range r.Merges {
		plan.Merges = append(plan.Merges, store.CampaignMerge{WinnerUUID: m.Winner, LoserUUID: m.Loser})
	}
	for _, u := range r.Unmerges {
		plan.Unmerges = append(plan.Unmerges,
			store.CampaignUnmerge{ResurrectedUUID: u.Resurrected, FormerWinnerUUID: u.FormerWinner})
	}
	plan.Rollups = rollups(feats, r.Groups, r.MergedInto, r.IDs)
	return plan
}

// rollups returns the rollup of every live campaign among ids (the sorted
// keys of state), in that order, over the live identities resolving to it.
func rollups(feats []Features, lit []string, state map[string]string, ids []string) []store.CampaignRollup {
	byCampaign := map[string][]int{}
	for i := range feats {
		if lit[i] == "" || feats[i].Alias != "" {
			continue
		}
		c := components.Resolve(state, lit[i])
		byCampaign[c] = append(byCampaign[c], i)
	}
	out := make([]store.CampaignRollup, 0, len(ids))
	for _, id := range ids {
		if state[id] != "" {
			continue
		}
		r := store.CampaignRollup{UUID: id}
		var ja3, hassh, tls, payload, c2s []string
		for _, i := range byCampaign[id] {
			f := &feats[i]
			r.IdentityCount++
			if !f.FirstSeen.IsZero() && (r.FirstSeenAt.IsZero() || f.FirstSeen.Before(r.FirstSeenAt)) {
				r.FirstSeenAt = f.FirstSeen
			}
			if f.LastSeen.After(r.LastSeenAt) {
				r.LastSeenAt = f.LastSeen
			}
			ja3, hassh, tls = append(ja3, f.JA3...), append(hassh, f.HASSH...), append(tls, f.TLSCertSHA256...)
			payload, c2s = append(payload, f.PayloadHashes...), append(c2s, f.C2Endpoints...)
		}
		r.JA3Hashes, r.HASSHHashes, r.TLSCertSHA256 = capList(ja3), capList(hassh), capList(tls)
		r.PayloadHashes, r.C2Endpoints = capList(payload), capList(c2s)
		out = append(out, r)
	}
	return out
}

// capList is v sorted, distinct and cut to MaxRollupList; nil when empty.
func capList(v []string) []string {
	v = distinct(v)
	if len(v) == 0 {
		return nil
	}
	return v[:min(len(v), MaxRollupList)]
}
