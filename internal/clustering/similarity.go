package clustering

import "github.com/decnet/decnet/internal/components"

// Tier weights and the edge threshold of pipeline.md §4. The weak tiers
// together reach WeightMedium+WeightLow+WeightVeryLow = 0.85, below
// EdgeThreshold, so an edge exists exactly when the high tier is 1: Cluster
// relies on that to look only at pairs sharing a high-tier key
// (TestWeakTiersCannotMakeAnEdge pins it).
const (
	// WeightHigh weighs shared client fingerprints, payloads and C2.
	WeightHigh = 1.0
	// WeightMedium weighs shared commands per kill-chain phase.
	WeightMedium = 0.6
	// WeightLow weighs shared credential tuples (a wordlist).
	WeightLow = 0.2
	// WeightVeryLow weighs a shared origin AS.
	WeightVeryLow = 0.05
	// EdgeThreshold is the combined score at or above which two
	// observations are the same identity.
	EdgeThreshold = 1.0
)

// High is the high tier, 0 or 1, checked in the spec's order: a shared JA3,
// HASSH or JA4H value is 1; fingerprints that fully disagree (some slot
// filled on both sides, and every slot filled on both sides disjoint) veto
// with 0; otherwise a shared payload hash or C2 endpoint is 1. JA4H (HTTP
// client fingerprint) is decnet's addition to the original's JA3/HASSH.
func High(a, b *Observation) float64 {
	if intersects(a.JA3, b.JA3) || intersects(a.HASSH, b.HASSH) || intersects(a.JA4H, b.JA4H) {
		return 1
	}
	// No slot intersects, so any slot filled on both sides disagrees.
	if fpMask(a)&fpMask(b) != 0 {
		return 0
	}
	if intersects(a.PayloadHashes, b.PayloadHashes) || intersects(a.C2Endpoints, b.C2Endpoints) {
		return 1
	}
	return 0
}

// Medium is the best Jaccard similarity of the command sets of a UKC phase
// both sides ran commands in; 0 when they share no phase.
func Medium(a, b *Observation) float64 {
	best := 0.0
	for phase, ca := range a.CommandsByPhase {
		if cb, ok := b.CommandsByPhase[phase]; ok {
			best = max(best, components.Jaccard(ca, cb))
		}
	}
	return best
}

// Low is the Jaccard similarity of the credential tuple sets; 0 when either
// is empty.
func Low(a, b *Observation) float64 {
	if len(a.Credentials) == 0 || len(b.Credentials) == 0 {
		return 0
	}
	inter, i, j := 0, 0, 0
	for i < len(a.Credentials) && j < len(b.Credentials) {
		switch c := compareTuples(a.Credentials[i], b.Credentials[j]); {
		case c == 0:
			inter++
			i++
			j++
		case c < 0:
			i++
		default:
			j++
		}
	}
	return float64(inter) / float64(len(a.Credentials)+len(b.Credentials)-inter)
}

// VeryLow is 1 when both ASNs are known and equal.
func VeryLow(a, b *Observation) float64 {
	if a.ASN != 0 && a.ASN == b.ASN {
		return 1
	}
	return 0
}

// Combined is the weighted sum of the four tiers. It never reads a
// timestamp, so shifting every time leaves it unchanged.
func Combined(a, b *Observation) float64 {
	return WeightHigh*High(a, b) + WeightMedium*Medium(a, b) + WeightLow*Low(a, b) + WeightVeryLow*VeryLow(a, b)
}

// Edge reports whether a and b are linked: Combined at or above
// EdgeThreshold.
func Edge(a, b *Observation) bool { return Combined(a, b) >= EdgeThreshold }

// Fingerprint slot bits of fpMask.
const (
	slotJA3 = 1 << iota
	slotHASSH
	slotJA4H
)

// fpMask has a bit set for each non-empty fingerprint slot.
func fpMask(o *Observation) uint8 {
	var m uint8
	if len(o.JA3) > 0 {
		m |= slotJA3
	}
	if len(o.HASSH) > 0 {
		m |= slotHASSH
	}
	if len(o.JA4H) > 0 {
		m |= slotJA4H
	}
	return m
}

// intersects reports whether two sorted lists share a value.
func intersects(a, b []string) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return true
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return false
}
