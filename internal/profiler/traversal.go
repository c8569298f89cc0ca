package profiler

import (
	"slices"
	"strings"
	"time"
)

// MinTraversalDeckies is engine.traversals' default: an IP that touched at
// least this many distinct deckies is a traversal.
const MinTraversalDeckies = 2

// InternalDeckyPrefix marks decnet's own infrastructure (prober, correlator):
// events there are not attacker movement.
const InternalDeckyPrefix = "decnet-"

// TraversalPathSep joins attackers.traversal_path.
const TraversalPathSep = " → "

// IsInternalDecky reports whether decky is decnet infrastructure.
func IsInternalDecky(decky string) bool { return strings.HasPrefix(decky, InternalDeckyPrefix) }

// TraversalState is the incremental traversal state over decoy (non-internal)
// events: distinct deckies in first-contact order and the hop span.
type TraversalState struct {
	// Deckies are the distinct decoy deckies with their first contact,
	// kept sorted by first contact (ties: order of arrival).
	Deckies []DeckyContact `json:"deckies,omitempty"`
	// HopCount counts decoy events (a hop is one event, as in the original).
	HopCount  int       `json:"hop_count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// DeckiesDropped counts distinct deckies not remembered past MaxDeckies.
	DeckiesDropped int `json:"deckies_dropped,omitempty"`
}

// DeckyContact is one decky and the time the IP first touched it.
type DeckyContact struct {
	Decky string    `json:"decky"`
	First time.Time `json:"first"`
}

// Add folds one event.
//
// First contact is by event time, not arrival: a late-arriving earlier event
// moves its decky ahead of deckies first contacted after it, so the path is
// the time-sorted one whatever the arrival order.
func (s *TraversalState) Add(ts time.Time, decky string) {
	if decky == "" || decky == "-" || IsInternalDecky(decky) {
		return
	}
	s.HopCount++
	if s.HopCount == 1 || ts.Before(s.FirstSeen) {
		s.FirstSeen = ts
	}
	if s.HopCount == 1 || ts.After(s.LastSeen) {
		s.LastSeen = ts
	}
	i := slices.IndexFunc(s.Deckies, func(c DeckyContact) bool { return c.Decky == decky })
	switch {
	case i >= 0 && !ts.Before(s.Deckies[i].First):
		return
	case i >= 0:
		s.Deckies[i].First = ts
	case len(s.Deckies) >= MaxDeckies:
		s.DeckiesDropped++
		return
	default:
		s.Deckies = append(s.Deckies, DeckyContact{Decky: decky, First: ts})
	}
	slices.SortStableFunc(s.Deckies, func(a, b DeckyContact) int { return a.First.Compare(b.First) })
}

// Names returns the distinct decoy deckies in first-contact order.
func (s *TraversalState) Names() []string {
	out := make([]string, len(s.Deckies))
	for i, c := range s.Deckies {
		out[i] = c.Decky
	}
	return out
}

// DeckyCount is the number of distinct decoy deckies. [QUIRK 3 fixed] the
// original's decky_count included decnet-* while traversal excluded them;
// here both exclude internal deckies.
func (s *TraversalState) DeckyCount() int { return len(s.Deckies) + s.DeckiesDropped }

// IsTraversal reports ≥ MinTraversalDeckies distinct decoy deckies.
func (s *TraversalState) IsTraversal() bool { return s.DeckyCount() >= MinTraversalDeckies }

// Path is traversal_path "d1 → d2 → …" in first-contact order, or "" when
// the IP is not a traversal.
func (s *TraversalState) Path() string {
	if !s.IsTraversal() {
		return ""
	}
	return strings.Join(s.Names(), TraversalPathSep)
}

// TraversalDetected is the payload of the traversal_detected event for SIEMs
// (pipeline.md §3.8, traversal_syslog_lines).
type TraversalDetected struct {
	AttackerIP string    `json:"attacker_ip"`
	DeckyCount int       `json:"decky_count"`
	Deckies    []string  `json:"deckies"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	HopCount   int       `json:"hop_count"`
	DurationS  float64   `json:"duration_s"`
}

// Detected returns the traversal_detected payload, or nil when the IP is not
// a traversal.
func (s *TraversalState) Detected(ip string) *TraversalDetected {
	if !s.IsTraversal() {
		return nil
	}
	return &TraversalDetected{
		AttackerIP: ip,
		DeckyCount: s.DeckyCount(),
		Deckies:    s.Names(),
		FirstSeen:  s.FirstSeen,
		LastSeen:   s.LastSeen,
		HopCount:   s.HopCount,
		DurationS:  round(s.LastSeen.Sub(s.FirstSeen).Seconds(), 3),
	}
}
