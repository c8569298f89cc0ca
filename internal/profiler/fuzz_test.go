package profiler

import (
	"encoding/binary"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/google/go-cmp/cmp"
)

// maxFuzzInput caps the fuzz input so one case stays fast.
const maxFuzzInput = 1 << 14

var (
	fuzzDeckies  = []string{"web1", "db1", "decnet-prober", "mail1", "", "-"}
	fuzzServices = []string{"ssh", "http", "smtp", "mysql", "", "redis"}
	fuzzTypes    = []string{"connection", "login_attempt", "command", "request", "startup", "rcpt_to", "exec",
		EventTCPSynFingerprint, EventTCPFPFingerprint, EventTCPFlowTiming, EventHASSHFingerprint,
		EventSSHClientBanner, "upload", "scan", "auth", "query"}
	fuzzKeys = []string{"command", "headers", "ttl", "initial_ttl", "hop_distance", "os_guess", "retransmits",
		"bytes", "size", "content_length", "window", "ipid_class", "kex_algorithms", "ssh_version", "cmd"}
)

// decodeEvents turns bytes into a time-sorted event sequence: 6-byte records
// (delta-ms uint16, decky, service, type, key) each followed by a
// length-prefixed value taken from the input.
func decodeEvents(data []byte) []model.Event {
	var evs []model.Event
	ts := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for len(data) >= 7 {
		ts = ts.Add(time.Duration(binary.BigEndian.Uint16(data)) * time.Millisecond * 37)
		e := model.Event{
			TS:        ts,
			Decky:     fuzzDeckies[int(data[2])%len(fuzzDeckies)],
			Service:   fuzzServices[int(data[3])%len(fuzzServices)],
			EventType: fuzzTypes[int(data[4])%len(fuzzTypes)],
		}
		key := fuzzKeys[int(data[5])%len(fuzzKeys)]
		n := min(int(data[6]), len(data)-7)
		e.Fields = map[string]string{key: string(data[7 : 7+n])}
		if data[2]&0x80 != 0 { // attacker-chosen decky names
			e.Decky = string(data[7 : 7+n])
		}
		evs = append(evs, e)
		data = data[7+n:]
	}
	return evs
}

func FuzzAnalyze(f *testing.F) {
	f.Add([]byte{0, 10, 0, 0, 2, 0, 3, 'l', 's', ' '})
	f.Add([]byte{0, 1, 0, 1, 3, 1, 24, '{', '\'', 'u', 's', 'e', 'r', '-', 'a', 'g', 'e', 'n', 't', '\'', ':', ' ', '\'', 'c', 'u', 'r', 'l', '/', '7', '\'', '}'})
	f.Add([]byte{3, 0, 0, 0, 7, 2, 2, '6', '4', 3, 0, 1, 0, 7, 2, 3, '1', '2', '8'})
	f.Add([]byte{0xff, 0xff, 0x81, 2, 8, 4, 2, 'x', 'y', 0, 0, 0x82, 2, 0, 0, 1, 'z'})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		evs := decodeEvents(data)
		want := Analyze("ip", evs)
		if want.EventCount != len(evs) {
			t.Fatalf("event_count %d, want %d", want.EventCount, len(evs))
		}
		a := &Accumulator{IP: "ip"}
		for i, e := range evs {
			a.Add(e)
			if i == len(evs)/2 {
				a = restart(t, a)
			}
		}
		if diff := cmp.Diff(want, a.Profile()); diff != "" {
			t.Fatalf("restart mismatch (-want +got):\n%s", diff)
		}
		checkBounds(t, a)
	})
}

func checkBounds(t *testing.T, a *Accumulator) {
	t.Helper()
	switch {
	case len(a.Timing.Recent) > MaxIATWindow,
		len(a.Commands) > MaxCommands,
		len(a.Traversal.Deckies) > MaxDeckies,
		len(a.Services) > MaxServices,
		len(a.Interaction.Services) > MaxServices,
		len(a.OS.Labels) > MaxDistinctLabels,
		len(a.OS.TTLs) > MaxDistinctLabels,
		len(a.OS.KexOrders) > MaxDistinctLabels,
		len(a.OS.SSHClientBanners) > MaxDistinctLabels,
		len(a.OS.Hops) > MaxTTL+1,
		len(a.HeaderTools) > len(HeaderSignatures):
		t.Fatalf("state over its bounds: %+v", a)
	}
	for _, c := range a.Commands {
		if len(c.Command) > MaxCommandLen {
			t.Fatalf("command of %d bytes", len(c.Command))
		}
	}
	for _, l := range a.OS.Labels {
		if len(l.Value) > MaxLabelLen {
			t.Fatalf("label of %d bytes", len(l.Value))
		}
	}
}

// FuzzParseHeaders also pins that the flat fast path reads a JSON object
// exactly as the general decoder does.
func FuzzParseHeaders(f *testing.F) {
	for _, s := range []string{`{"User-Agent":"sqlmap"}`, `{'User-Agent': 'it\'s', 'n': 3}`, `{`, `{'a':}`, `[1]`, `{"A":"1","a":"2"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > maxFuzzInput {
			return
		}
		got := ParseHeaders(s)
		if want, ok := parseJSONObject(strings.TrimSpace(s)); ok && !maps.Equal(got, want) {
			t.Fatalf("ParseHeaders(%q) = %v, the general decoder %v", s, got, want)
		}
		for k := range got {
			_ = HeaderTools(map[string]string{k: s})
		}
	})
}
