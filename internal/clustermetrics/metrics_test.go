package clustermetrics

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	for _, tc := range []struct {
		name        string
		truth, pred []string
		want        Scores
	}{
		{"identical up to names", []string{"a", "a", "b", "c"}, []string{"x", "x", "y", "z"}, Scores{1, 1, 1, 1}},
		{"all singletons", []string{"a", "b", "c"}, []string{"x", "y", "z"}, Scores{1, 1, 1, 1}},
		// scikit-learn: adjusted_rand_score([0,0,1,1],[0,0,0,0]) = 0,
		// homogeneity 0, completeness 1.
		{"everything merged", []string{"a", "a", "b", "b"}, []string{"x", "x", "x", "x"}, Scores{0, 0, 1, 1}},
		// A false merge of two singletons loses singleton recall.
		{"false merge", []string{"a", "b", "c", "c"}, []string{"x", "x", "y", "y"}, Scores{4.0 / 7, 0.6666666666666666, 1, 0}},
		// adjusted_rand_score([0,0,1,1],[0,0,1,2]) = 0.5714…
		{"split", []string{"a", "a", "b", "b"}, []string{"x", "x", "y", "z"}, Scores{4.0 / 7, 1, 0.6666666666666666, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Score(tc.truth, tc.pred)
			for _, f := range []struct {
				name      string
				got, want float64
			}{{"ARI", got.ARI, tc.want.ARI}, {"homogeneity", got.Homogeneity, tc.want.Homogeneity},
				{"completeness", got.Completeness, tc.want.Completeness},
				{"singleton recall", got.SingletonRecall, tc.want.SingletonRecall}} {
				if math.Abs(f.got-f.want) > 1e-9 {
					t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
				}
			}
		})
	}
}
