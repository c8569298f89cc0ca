package campaign

import (
	"math/bits"
	"time"

	"github.com/decnet/decnet/internal/components"
)

// Edge weights, the threshold and the hand-off parameters of pipeline.md
// §5. Without a hand-off, an edge needs shared infrastructure or a
// keystroke match: temporal and cohort together reach only
// WeightTemporal+WeightCohort = 0.5. Cluster relies on that to look only at
// pairs sharing a hand-off decky, an infrastructure element or a keystroke
// band (TestOnlyBlockedPairsCanMakeAnEdge pins it).
const (
	// WeightHandoff weighs a C2/persistence → discovery/lateral-movement
	// hand-off on one decky; alone it reaches the threshold.
	WeightHandoff = 1.0
	// WeightSharedInfra weighs the Jaccard of payloads and C2 endpoints.
	WeightSharedInfra = 1.0
	// WeightTemporal weighs overlapping session windows.
	WeightTemporal = 0.4
	// WeightCohort weighs shared ASNs, tools and deckies.
	WeightCohort = 0.1
	// WeightKeystroke weighs close keystroke simhash centroids.
	WeightKeystroke = 0.6
	// CampaignEdgeThreshold is the combined weight at or above which two
	// identities belong to one campaign.
	CampaignEdgeThreshold = 1.0
	// DefaultHandoffWindow is how long after the out side's last tag on a
	// decky the in side's first tag may come.
	DefaultHandoffWindow = 24 * time.Hour
	// KDHammingMax is the keystroke distance at which the weight reaches
	// 0; by pigeonhole a closer pair agrees on one of eight 8-bit bands.
	KDHammingMax = 8
)

// Hand-off phases: an actor ending on a decky in one of HandoffOutPhases
// hands it over to one starting there in one of HandoffInPhases.
var (
	HandoffOutPhases = map[Phase]bool{CommandAndControl: true, Persistence: true}
	HandoffInPhases  = map[Phase]bool{Discovery: true, LateralMovement: true}
)

// PhaseHandoffWeight is 1 when either side handed a decky to the other
// within window, else 0.
func PhaseHandoffWeight(a, b *Features, window time.Duration) float64 {
	if handoff(a, b, window) || handoff(b, a, window) {
		return 1
	}
	return 0
}

// handoff reports whether out's last phase on some decky is an out phase,
// in's first phase there an in phase, and in's first tag came 0 to window
// after out's last.
func handoff(out, in *Features, window time.Duration) bool {
	small, large := out.LastPhase, in.FirstPhase
	if len(large) < len(small) {
		small, large = large, small
	}
	for d := range small {
		if _, ok := large[d]; !ok {
			continue
		}
		if !HandoffOutPhases[out.LastPhase[d]] || !HandoffInPhases[in.FirstPhase[d]] {
			continue
		}
		t0, ok0 := out.LastSeenOn[d]
		t1, ok1 := in.FirstSeenOn[d]
		if !ok0 || !ok1 {
			continue
		}
		if gap := t1.Sub(t0); gap >= 0 && gap <= window {
			return true
		}
	}
	return false
}

// SharedInfraWeight is the Jaccard of the two sides' payload and C2 sets
// together; 0 when both are empty. Deckies are left out on purpose: every
// attacker touches them.
func SharedInfraWeight(a, b *Features) float64 { return components.Jaccard(a.infra, b.infra) }

// TemporalOverlapWeight is the total pairwise overlap of the two sides'
// session windows over the shorter side's total session time, capped at
// 1; 0 when either has none. The original divided by the first side's
// total, so the weight of (a, b) and (b, a) differed and the partition
// depended on input order (QUIRK 12); the shorter total is the larger of
// the two directions, as the hand-off takes the better direction.
func TemporalOverlapWeight(a, b *Features) float64 {
	ta, tb := total(a.SessionWindows), total(b.SessionWindows)
	if ta <= 0 || tb <= 0 {
		return 0
	}
	var overlap time.Duration
	for _, wa := range a.SessionWindows {
		for _, wb := range b.SessionWindows {
			if !wb.Start.Before(wa.End) {
				break // sorted by start: no later b window overlaps wa
			}
			start, end := wa.Start, wa.End
			if wb.Start.After(start) {
				start = wb.Start
			}
			if wb.End.Before(end) {
				end = wb.End
			}
			if end.After(start) {
				overlap += end.Sub(start)
			}
		}
	}
	return min(1, float64(overlap)/float64(min(ta, tb)))
}

func total(ws []Window) time.Duration {
	var t time.Duration
	for _, w := range ws {
		t += w.End.Sub(w.Start)
	}
	return t
}

// CohortWeight is the Jaccard of the tagged ASN, tool and decky sets.
func CohortWeight(a, b *Features) float64 { return components.Jaccard(a.cohort, b.cohort) }

// KeystrokeWeight is 1 − d/8 for a Hamming distance d < 8 between the two
// keystroke centroids, else 0; 0 when either is unknown.
func KeystrokeWeight(a, b *Features) float64 {
	if !a.HasKD || !b.HasKD {
		return 0
	}
	d := bits.OnesCount64(a.KDSimhash ^ b.KDSimhash)
	if d >= KDHammingMax {
		return 0
	}
	return 1 - float64(d)/KDHammingMax
}

// CombinedCampaignWeight is the weighted sum of the five weights. Every
// weight compares the two sides relative to each other, so shifting all
// times by the same amount leaves it unchanged.
func CombinedCampaignWeight(a, b *Features, window time.Duration) float64 {
	return WeightHandoff*PhaseHandoffWeight(a, b, window) + WeightSharedInfra*SharedInfraWeight(a, b) +
		WeightTemporal*TemporalOverlapWeight(a, b) + WeightCohort*CohortWeight(a, b) +
		WeightKeystroke*KeystrokeWeight(a, b)
}

// Edge reports whether a and b belong to one campaign: the combined
// weight at or above CampaignEdgeThreshold.
func Edge(a, b *Features, window time.Duration) bool {
	return CombinedCampaignWeight(a, b, window) >= CampaignEdgeThreshold
}
