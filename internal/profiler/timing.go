package profiler

import (
	"math"
	"slices"
	"time"
)

// TimingStats is timing_stats of pipeline.md §3.2, computed over all events of
// one IP. IAT fields are nil with fewer than 2 events or no valid IAT; CV is
// nil when the mean is 0.
type TimingStats struct {
	MeanIATS   *float64 `json:"mean_iat_s"`
	MedianIATS *float64 `json:"median_iat_s"`
	StdevIATS  *float64 `json:"stdev_iat_s"`
	MinIATS    *float64 `json:"min_iat_s"`
	MaxIATS    *float64 `json:"max_iat_s"`
	CV         *float64 `json:"cv"`
	EventCount int      `json:"event_count"`
	DurationS  float64  `json:"duration_s"`
}

// TimingState is the incremental state behind TimingStats. IATs are folded
// with Welford's algorithm, so mean and population stdev are exact without
// keeping every timestamp.
type TimingState struct {
	Events int       `json:"events"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// IATCount, IATMean, IATM2, IATMin and IATMax summarise every valid IAT.
	IATCount int     `json:"iat_count"`
	IATMean  float64 `json:"iat_mean"`
	IATM2    float64 `json:"iat_m2"`
	IATMin   float64 `json:"iat_min"`
	IATMax   float64 `json:"iat_max"`
	// Recent holds the last MaxIATWindow IATs, oldest first, for the median.
	Recent []float64 `json:"recent,omitempty"`
}

// Add folds one event timestamp. Events are expected in non-decreasing time
// order; an event older than the latest one still counts (and can lower
// First) but yields no IAT, as the original drops negative IATs.
func (s *TimingState) Add(ts time.Time) {
	s.Events++
	if s.Events == 1 {
		s.First, s.Last = ts, ts
		return
	}
	if ts.Before(s.First) {
		s.First = ts
	}
	if ts.Before(s.Last) {
		return
	}
	iat := ts.Sub(s.Last).Seconds()
	s.Last = ts
	s.IATCount++
	if s.IATCount == 1 {
		s.IATMin, s.IATMax = iat, iat
	} else {
		s.IATMin = min(s.IATMin, iat)
		s.IATMax = max(s.IATMax, iat)
	}
	d := iat - s.IATMean
	s.IATMean += d / float64(s.IATCount)
	s.IATM2 += d * (iat - s.IATMean)
	if len(s.Recent) >= MaxIATWindow {
		s.Recent = slices.Delete(s.Recent, 0, len(s.Recent)-MaxIATWindow+1)
	}
	s.Recent = append(s.Recent, iat)
}

// Stats renders the state as timing_stats: IAT fields rounded to 3 decimal
// places, cv to 4.
func (s *TimingState) Stats() TimingStats {
	st := TimingStats{EventCount: s.Events}
	if s.Events > 0 {
		st.DurationS = round(s.Last.Sub(s.First).Seconds(), 3)
	}
	if s.Events < 2 || s.IATCount == 0 {
		return st
	}
	mean := s.IATMean
	stdev := 0.0
	if s.IATCount > 1 {
		stdev = math.Sqrt(max(s.IATM2, 0) / float64(s.IATCount))
	}
	st.MeanIATS = ptr(round(mean, 3))
	st.MedianIATS = ptr(round(median(s.Recent), 3))
	st.StdevIATS = ptr(round(stdev, 3))
	st.MinIATS = ptr(round(s.IATMin, 3))
	st.MaxIATS = ptr(round(s.IATMax, 3))
	if mean != 0 {
		st.CV = ptr(round(stdev/mean, 4))
	}
	return st
}

// ComputeTiming is the batch form: timing_stats over the given timestamps,
// sorted first as the original does.
func ComputeTiming(ts []time.Time) TimingStats {
	sorted := slices.Clone(ts)
	slices.SortStableFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	var s TimingState
	for _, t := range sorted {
		s.Add(t)
	}
	return s.Stats()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// round rounds half away from zero to dp decimal places.
func round(x float64, dp int) float64 {
	p := math.Pow(10, float64(dp))
	return math.Round(x*p) / p
}

func ptr[T any](v T) *T { return &v }
