package profiler

import (
	"strconv"
	"strings"
	"time"
)

// LargePayloadBytes is the original's threshold for large_payload_count.
const LargePayloadBytes = 1 << 20 // 1 048 576

// Event-type families of pipeline.md §3.5.
var (
	reconEvents = set("scan", "connection", "banner", "probe", "login_attempt", "auth", "auth_failure")
	exfilEvents = set("download", "upload", "file_transfer", "data_exfil", "command", "exec", "query", "shell_input")
	// payloadSizeFields are read in this order; any of them ≥ LargePayloadBytes counts.
	payloadSizeFields = []string{"bytes", "size", "content_length"}
)

// PhaseSequence is phase_sequence (pipeline.md §3.5).
type PhaseSequence struct {
	ReconEndTS        *time.Time `json:"recon_end_ts"`
	ExfilStartTS      *time.Time `json:"exfil_start_ts"`
	ExfilLatencyS     *float64   `json:"exfil_latency_s"`
	LargePayloadCount int        `json:"large_payload_count"`
}

// PhaseState is the incremental state behind PhaseSequence: the last recon
// timestamp, the first exfil timestamp and the large-payload count are all
// order-independent folds.
type PhaseState struct {
	ReconEnd          time.Time `json:"recon_end"`
	ExfilStart        time.Time `json:"exfil_start"`
	LargePayloadCount int       `json:"large_payload_count"`
}

// Add folds one event.
func (s *PhaseState) Add(ts time.Time, eventType string, fields map[string]string) {
	if reconEvents[eventType] && (s.ReconEnd.IsZero() || ts.After(s.ReconEnd)) {
		s.ReconEnd = ts
	}
	if exfilEvents[eventType] && (s.ExfilStart.IsZero() || ts.Before(s.ExfilStart)) {
		s.ExfilStart = ts
	}
	if isLargePayload(fields) {
		s.LargePayloadCount++
	}
}

// Sequence renders phase_sequence. exfil_latency_s = exfil_start − recon_end
// (3 dp) when both exist and it is ≥ 0, else null.
func (s *PhaseState) Sequence() PhaseSequence {
	ps := PhaseSequence{LargePayloadCount: s.LargePayloadCount}
	if !s.ReconEnd.IsZero() {
		ps.ReconEndTS = ptr(s.ReconEnd)
	}
	if !s.ExfilStart.IsZero() {
		ps.ExfilStartTS = ptr(s.ExfilStart)
	}
	if ps.ReconEndTS != nil && ps.ExfilStartTS != nil {
		if d := s.ExfilStart.Sub(s.ReconEnd).Seconds(); d >= 0 {
			ps.ExfilLatencyS = ptr(round(d, 3))
		}
	}
	return ps
}

func isLargePayload(fields map[string]string) bool {
	for _, k := range payloadSizeFields {
		v, ok := fields[k]
		if !ok {
			continue
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= LargePayloadBytes {
			return true
		}
	}
	return false
}

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
