// Package profiler holds the pure analysis functions of decnet's attacker
// profiler (pipeline.md §3): timing statistics, classify_behavior, C2 beacon
// and header tool signatures, the kill-chain phase sequence, the OS/TCP
// rollup, interaction classes and traversal detection.
//
// Nothing here does I/O. Every analysis is a fold over an attacker's events:
// an Accumulator takes events one at a time and its Profile is the result.
// Analyze is the batch form and is defined as that fold over the sorted
// slice, so the two cannot drift. The Accumulator's state is plain exported
// data that round-trips through JSON, so a worker can persist it next to the
// attackers row and resume after a restart without resetting first_seen or
// event_count (the original's QUIRK 4, fixed). All state is bounded by the
// Max* constants below, whatever the attacker sends.
package profiler

// Bounds on the Accumulator's state. Each cap keeps an attacker that sends
// millions of events from growing one row without limit.
const (
	// MaxIATWindow is how many of the most recent inter-arrival times are
	// kept for the median. Mean, stdev, min, max and cv are exact over all
	// events (running sums); only median_iat_s is over this window
	// (a deliberate divergence: the original kept every event in memory).
	MaxIATWindow = 1024
	// MaxCommands caps the stored command list; the oldest are dropped
	// first and CommandsDropped counts them.
	MaxCommands = 500
	// MaxCommandLen truncates one stored command's text (bytes).
	MaxCommandLen = 4096
	// MaxDeckies caps the distinct deckies remembered for the traversal
	// path; a fleet larger than this is not a realistic single decoy net.
	MaxDeckies = 256
	// MaxServices caps the distinct services tracked for interaction classes.
	MaxServices = 256
	// MaxDistinctLabels caps each small "distinct values" list: sniffer OS
	// labels, SSH client banners, KEX orders.
	MaxDistinctLabels = 32
	// MaxLabelLen truncates one stored label (bytes).
	MaxLabelLen = 256
	// MaxTTL bounds TTL and hop values: both are 8-bit on the wire.
	MaxTTL = 255
)
