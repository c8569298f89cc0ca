// Package clustermetrics scores a clustering against a ground truth: the
// adjusted Rand index, homogeneity, completeness and singleton recall the
// original's fixture contract bounds (pipeline.md §4–5,
// tests/clustering/metrics.py). The identity and campaign clusterers' tests
// share it.
package clustermetrics

import "math"

// Scores are the four quality measures; each is 1 for a perfect match.
type Scores struct {
	// ARI is the adjusted Rand index: pair agreement corrected for chance.
	ARI float64
	// Homogeneity is 1 when every predicted cluster holds one true class.
	Homogeneity float64
	// Completeness is 1 when every true class sits in one predicted
	// cluster.
	Completeness float64
	// SingletonRecall is the share of true singletons left alone by the
	// prediction; 1 when the truth has none.
	SingletonRecall float64
}

// Perfect reports whether every score is 1 (within rounding).
func (s Scores) Perfect() bool {
	const eps = 1e-9
	return math.Abs(s.ARI-1) < eps && math.Abs(s.Homogeneity-1) < eps && math.Abs(s.Completeness-1) < eps &&
		math.Abs(s.SingletonRecall-1) < eps
}

// Score compares predicted labels with true labels, item by item; the two
// slices must have the same length.
func Score(truth, pred []string) Scores {
	n := len(truth)
	if n != len(pred) {
		panic("clustermetrics: truth and prediction differ in length")
	}
	if n == 0 {
		return Scores{ARI: 1, Homogeneity: 1, Completeness: 1, SingletonRecall: 1}
	}
	type cell struct{ t, p string }
	joint := map[cell]int{}
	ct, cp := map[string]int{}, map[string]int{}
	for i := range truth {
		joint[cell{truth[i], pred[i]}]++
		ct[truth[i]]++
		cp[pred[i]]++
	}
	s := Scores{ARI: ari(n, joint, ct, cp)}
	hC, hK := entropy(n, ct), entropy(n, cp)
	var hCgivenK, hKgivenC float64
	for c, nij := range joint {
		f := float64(nij)
		hCgivenK -= f / float64(n) * math.Log(f/float64(cp[c.p]))
		hKgivenC -= f / float64(n) * math.Log(f/float64(ct[c.t]))
	}
	s.Homogeneity, s.Completeness = 1, 1
	if hC > 0 {
		s.Homogeneity = 1 - hCgivenK/hC
	}
	if hK > 0 {
		s.Completeness = 1 - hKgivenC/hK
	}
	singles, kept := 0, 0
	for i := range truth {
		if ct[truth[i]] == 1 {
			singles++
			if cp[pred[i]] == 1 {
				kept++
			}
		}
	}
	s.SingletonRecall = 1
	if singles > 0 {
		s.SingletonRecall = float64(kept) / float64(singles)
	}
	return s
}

func comb2(x int) float64 { return float64(x) * float64(x-1) / 2 }

func ari[C comparable](n int, joint map[C]int, ct, cp map[string]int) float64 {
	var index, a, b float64
	for _, nij := range joint {
		index += comb2(nij)
	}
	for _, v := range ct {
		a += comb2(v)
	}
	for _, v := range cp {
		b += comb2(v)
	}
	expected := a * b / comb2(n)
	maxIndex := (a + b) / 2
	if maxIndex == expected {
		// Both partitions all singletons (or one cluster): they agree
		// exactly when the pair counts match, as scikit-learn scores it.
		if a == b {
			return 1
		}
		return 0
	}
	return (index - expected) / (maxIndex - expected)
}

func entropy(n int, counts map[string]int) float64 {
	var h float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		h -= p * math.Log(p)
	}
	return h
}
