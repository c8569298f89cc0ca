package profiler

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Event types the OS/TCP rollup reads (pipeline.md §3.6).
const (
	EventTCPSynFingerprint = "tcp_syn_fingerprint" // sniffer
	EventTCPFlowTiming     = "tcp_flow_timing"     // sniffer
	EventHASSHFingerprint  = "hassh_fingerprint"   // prober
	EventSSHClientBanner   = "ssh_client_banner"   // sniffer
	EventTCPFPFingerprint  = "tcpfp_fingerprint"   // prober
)

// Canonical initial TTLs and the stage-3 TTL buckets.
const (
	InitialTTLLinux    = 64
	InitialTTLWindows  = 128
	InitialTTLEmbedded = 255
)

// TTLBucket is stage 3 of the os_guess chain: 55–70 linux, 115–135 windows,
// 235–255 embedded, anything else "" (no guess).
func TTLBucket(ttl int) string {
	switch {
	case ttl >= 55 && ttl <= 70:
		return "linux"
	case ttl >= 115 && ttl <= 135:
		return "windows"
	case ttl >= 235 && ttl <= 255:
		return "embedded"
	}
	return ""
}

// CanonicalInitialTTL is the smallest canonical initial TTL (64, 128, 255)
// ≥ ttl; 0 when ttl is outside 1..255.
func CanonicalInitialTTL(ttl int) int {
	switch {
	case ttl < 1 || ttl > MaxTTL:
		return 0
	case ttl <= InitialTTLLinux:
		return InitialTTLLinux
	case ttl <= InitialTTLWindows:
		return InitialTTLWindows
	}
	return InitialTTLEmbedded
}

// Counted is one distinct value with its count; slices of Counted keep
// first-seen order so a mode tie resolves like Python's statistics.mode: of
// the values sharing the top count, the one seen first wins.
type Counted struct {
	Value string `json:"v"`
	Count int    `json:"n"`
}

// OSState is the incremental state of the OS/TCP rollup.
type OSState struct {
	// Labels are the sniffer's p0f-lite os_guess labels, "unknown" skipped.
	Labels []Counted `json:"labels,omitempty"`
	// TTLs are observed TTL values (1..255) by first sight.
	TTLs []Counted `json:"ttls,omitempty"`
	// Hops is a histogram of hop distances indexed by value (0..255).
	Hops map[int]int `json:"hops,omitempty"`
	// Snapshot is the latest TCP SYN snapshot; keys as in tcp_fingerprint.
	Snapshot map[string]string `json:"snapshot"`
	// Retransmits is Σ tcp_flow_timing.retransmits.
	Retransmits int `json:"retransmits"`
	// KexOrders are distinct hassh kex_algorithms, first-seen order.
	KexOrders []string `json:"kex_orders,omitempty"`
	// SSHClientBanners are distinct ssh_version values, first-seen order.
	SSHClientBanners []string `json:"ssh_client_banners,omitempty"`
}

// snapshotKeys are the tcp_syn_fingerprint fields kept in the latest
// snapshot; ipid_class/isn_class keep their last non-"unknown" value.
var snapshotKeys = []string{"window", "wscale", "mss", "options_sig", "has_sack", "has_timestamps", "tos", "dscp", "ecn"}

// tcpfpSnapshotKeys maps prober tcpfp fields to snapshot keys.
var tcpfpSnapshotKeys = [][2]string{
	{"window_size", "window"}, {"window_scale", "wscale"}, {"mss", "mss"}, {"options_order", "options_sig"},
}

// Add folds one event; events of other types are ignored.
func (s *OSState) Add(eventType string, f map[string]string) {
	switch eventType {
	case EventTCPSynFingerprint:
		if l := strings.TrimSpace(f["os_guess"]); l != "" && l != "unknown" {
			s.Labels = addCounted(s.Labels, clip(l))
		}
		ttlStr := f["ttl"]
		if ttlStr == "" {
			ttlStr = f["initial_ttl"]
		}
		if ttl, ok := atoiRange(ttlStr, 1, MaxTTL); ok {
			s.TTLs = addCounted(s.TTLs, strconv.Itoa(ttl))
		}
		if hop, ok := atoiRange(f["hop_distance"], 1, MaxTTL); ok {
			s.addHop(hop)
		}
		snap := map[string]string{}
		for _, k := range snapshotKeys {
			if v, ok := f[k]; ok {
				snap[k] = clip(v)
			}
		}
		for _, k := range []string{"ipid_class", "isn_class"} {
			if v := f[k]; v != "" && v != "unknown" {
				snap[k] = clip(v)
			} else if old, ok := s.Snapshot[k]; ok {
				snap[k] = old
			}
		}
		s.Snapshot = snap
	case EventTCPFPFingerprint:
		if ttl, ok := atoiRange(f["ttl"], 1, MaxTTL); ok {
			s.TTLs = addCounted(s.TTLs, strconv.Itoa(ttl))
			s.addHop(CanonicalInitialTTL(ttl) - ttl)
		}
		snap := map[string]string{"context": "synack"}
		for _, kv := range tcpfpSnapshotKeys {
			if v, ok := f[kv[0]]; ok {
				snap[kv[1]] = clip(v)
			}
		}
		snap["has_sack"] = strconv.FormatBool(f["sack_ok"] == "1")
		snap["has_timestamps"] = strconv.FormatBool(f["timestamp"] == "1")
		s.Snapshot = snap
	case EventTCPFlowTiming:
		if n, ok := atoiRange(f["retransmits"], 0, 1<<30); ok && s.Retransmits <= 1<<40 {
			s.Retransmits += n
		}
	case EventHASSHFingerprint:
		s.KexOrders = addDistinct(s.KexOrders, f["kex_algorithms"])
	case EventSSHClientBanner:
		s.SSHClientBanners = addDistinct(s.SSHClientBanners, f["ssh_version"])
	}
}

func (s *OSState) addHop(h int) {
	if h < 0 || h > MaxTTL {
		return
	}
	if s.Hops == nil {
		s.Hops = map[int]int{}
	}
	s.Hops[h]++
}

// OSGuess returns os_guess from stage 2 (modal sniffer label) then stage 3
// (TTL bucket of the modal TTL); "" when neither yields one. Stage 1, the
// p0f provider match, is not ported here (it needs the vendored p0f DB).
func (s *OSState) OSGuess() string {
	if l := mode(s.Labels); l != "" {
		return l
	}
	if t := mode(s.TTLs); t != "" {
		ttl, _ := strconv.Atoi(t)
		return TTLBucket(ttl)
	}
	return ""
}

// ModalTTL returns the most frequent TTL (first seen wins a tie), or 0.
func (s *OSState) ModalTTL() int {
	ttl, _ := strconv.Atoi(mode(s.TTLs))
	return ttl
}

// HopDistance is int(median(hops)), or nil with no hop observed.
func (s *OSState) HopDistance() *int {
	n := 0
	for _, c := range s.Hops {
		n += c
	}
	if n == 0 {
		return nil
	}
	lo, hi := -1, -1
	seen := 0
	for h := 0; h <= MaxTTL; h++ {
		c := s.Hops[h]
		if c == 0 {
			continue
		}
		// positions (0-based) covered: seen .. seen+c-1
		if lo < 0 && seen+c > (n-1)/2 {
			lo = h
		}
		if hi < 0 && seen+c > n/2 {
			hi = h
		}
		seen += c
	}
	return ptr((lo + hi) / 2)
}

func mode(cs []Counted) string {
	best, bestN := "", 0
	for _, c := range cs {
		if c.Count > bestN {
			best, bestN = c.Value, c.Count
		}
	}
	return best
}

func addCounted(cs []Counted, v string) []Counted {
	for i := range cs {
		if cs[i].Value == v {
			cs[i].Count++
			return cs
		}
	}
	if len(cs) >= MaxDistinctLabels {
		return cs
	}
	return append(cs, Counted{Value: v, Count: 1})
}

func addDistinct(xs []string, v string) []string {
	v = clip(strings.TrimSpace(v))
	if v == "" || len(xs) >= MaxDistinctLabels {
		return xs
	}
	for _, x := range xs {
		if x == v {
			return xs
		}
	}
	return append(xs, v)
}

func atoiRange(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		if f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64); ferr == nil && f == float64(int64(f)) {
			n, err = int(f), nil
		}
	}
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// clip is clean(s, MaxLabelLen).
func clip(s string) string { return clean(s, MaxLabelLen) }

// clean makes an attacker-influenced string safe to keep in persisted state:
// invalid UTF-8 becomes U+FFFD (so the state round-trips through JSON
// unchanged) and the result is cut to at most n bytes on a rune boundary.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
