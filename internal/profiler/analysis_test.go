package profiler

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

func times(secs ...float64) []time.Time {
	out := make([]time.Time, len(secs))
	for i, s := range secs {
		out[i] = at(s)
	}
	return out
}

func f(v float64) *float64 { return &v }

func TestComputeTiming(t *testing.T) {
	tests := []struct {
		name string
		ts   []time.Time
		want TimingStats
	}{
		{"none", nil, TimingStats{}},
		{"one event: IAT fields null", times(5), TimingStats{EventCount: 1}},
		{"two at the same instant: cv null", times(5, 5), TimingStats{
			MeanIATS: f(0), MedianIATS: f(0), StdevIATS: f(0), MinIATS: f(0), MaxIATS: f(0), EventCount: 2}},
		{"one IAT: stdev 0", times(0, 7), TimingStats{
			MeanIATS: f(7), MedianIATS: f(7), StdevIATS: f(0), MinIATS: f(7), MaxIATS: f(7), CV: f(0), EventCount: 2, DurationS: 7}},
		{"population stdev", times(0, 1, 4), TimingStats{
			MeanIATS: f(2), MedianIATS: f(2), StdevIATS: f(1), MinIATS: f(1), MaxIATS: f(3), CV: f(0.5), EventCount: 3, DurationS: 4}},
		{"unsorted input is sorted first", times(4, 0, 1), TimingStats{
			MeanIATS: f(2), MedianIATS: f(2), StdevIATS: f(1), MinIATS: f(1), MaxIATS: f(3), CV: f(0.5), EventCount: 3, DurationS: 4}},
		{"even median and rounding", times(0, 1, 2, 4, 7), TimingStats{
			// IATs 1,1,2,3: mean 1.75, median 1.5, pstdev sqrt(0.6875)=0.829, cv 0.4738
			MeanIATS: f(1.75), MedianIATS: f(1.5), StdevIATS: f(0.829), MinIATS: f(1), MaxIATS: f(3), CV: f(0.4738), EventCount: 5, DurationS: 7}},
		{"cv from unrounded mean and stdev", times(0, 0.0004, 0.0016), TimingStats{
			// IATs 0.0004, 0.0012: mean 0.0008, pstdev 0.0004 → cv 0.5 though
			// the rounded stdev is 0.
			MeanIATS: f(0.001), MedianIATS: f(0.001), StdevIATS: f(0), MinIATS: f(0), MaxIATS: f(0.001), CV: f(0.5), EventCount: 3, DurationS: 0.002}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ComputeTiming(tc.ts)); diff != "" {
				t.Errorf("ComputeTiming mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTimingLateEventNoNegativeIAT(t *testing.T) {
	var s TimingState
	for _, ts := range times(10, 20, 5, 30) {
		s.Add(ts)
	}
	st := s.Stats()
	if st.EventCount != 4 || *st.MeanIATS != 10 || *st.MinIATS != 10 || st.DurationS != 25 {
		t.Errorf("late event: got %+v, want 4 events, mean 10, min 10, duration 25", st)
	}
}

func TestTimingMedianWindowBounded(t *testing.T) {
	var s TimingState
	for i := range MaxIATWindow * 3 {
		s.Add(at(float64(i)))
	}
	if len(s.Recent) != MaxIATWindow {
		t.Fatalf("len(Recent) = %d, want %d", len(s.Recent), MaxIATWindow)
	}
	if st := s.Stats(); st.EventCount != MaxIATWindow*3 || *st.MeanIATS != 1 {
		t.Errorf("stats over all events: got %+v", st)
	}
}

func stats(n int, mean, cv float64) TimingStats {
	return TimingStats{EventCount: n, MeanIATS: &mean, CV: &cv}
}

func TestClassifyBehavior(t *testing.T) {
	tests := []struct {
		name      string
		st        TimingStats
		services  int
		wantClass BehaviorClass
		wantRule  Rule
	}{
		// Rule 1: n<3 or mean null.
		{"r1 n=2", stats(2, 1, 0.1), 1, ClassUnknown, RuleUnknown},
		{"r1 mean null", TimingStats{EventCount: 10}, 3, ClassUnknown, RuleUnknown},
		{"r1 n=0", TimingStats{}, 0, ClassUnknown, RuleUnknown},
		// Rule 2: services≥2 ∧ mean≥10.0 ∧ n≥4.
		{"r2 at edges", stats(4, 10.0, 2), 2, ClassSlowScan, RuleSlowScan},
		{"r2 n=3 falls through", stats(3, 10.0, 0.1), 2, ClassMixed, RuleMixed},
		{"r2 mean 9.999 → r3 (3 services)", stats(4, 9.999, 0.1), 3, ClassScanning, RuleScanning},
		{"r2 one service", stats(4, 10.0, 0.1), 1, ClassBeaconing, RuleBeaconing},
		{"r2 beats r5", stats(10, 60, 0.1), 2, ClassSlowScan, RuleSlowScan},
		// Rule 3: n≥3 ∧ ((services≥3 ∧ mean<10.0) ∨ (services≥2 ∧ mean<2.0)).
		{"r3 three services n=3", stats(3, 9.999, 0.9), 3, ClassScanning, RuleScanning},
		{"r3 two services fast", stats(3, 1.999, 0.9), 2, ClassScanning, RuleScanning},
		{"r3 two services mean 2.0 → mixed", stats(3, 2.0, 0.4), 2, ClassMixed, RuleMixed},
		{"r3 two services mean 2.0 n=6 cv .5 → interactive", stats(6, 2.0, 0.5), 2, ClassInteractive, RuleInteractive},
		{"r3 beats r4", stats(20, 0.5, 0.1), 2, ClassScanning, RuleScanning},
		// Rule 4: services==1 ∧ n≥8 ∧ mean<5.0 ∧ cv<0.6.
		{"r4 at edges", stats(8, 4.999, 0.5999), 1, ClassBruteForce, RuleBruteForce},
		{"r4 n=7 → interactive", stats(7, 1, 0.5), 1, ClassInteractive, RuleInteractive},
		{"r4 mean 5.0 → beaconing", stats(8, 5.0, 0.3), 1, ClassBeaconing, RuleBeaconing},
		{"r4 cv 0.6 → interactive", stats(8, 1, 0.6), 1, ClassInteractive, RuleInteractive},
		{"r4 zero services", stats(8, 1, 0.1), 0, ClassMixed, RuleMixed},
		{"r4 mean 0 cv null → brute_force [GAP]", TimingStats{EventCount: 9, MeanIATS: f(0)}, 1, ClassBruteForce, RuleBruteForce},
		// Rule 5: cv<0.35 ∧ mean≥5.0 ∧ n≥4.
		{"r5 at edges", stats(4, 5.0, 0.3499), 1, ClassBeaconing, RuleBeaconing},
		{"r5 cv 0.35 → mixed", stats(4, 5.0, 0.35), 1, ClassMixed, RuleMixed},
		{"r5 n=3 → mixed", stats(3, 60, 0.1), 1, ClassMixed, RuleMixed},
		{"r5 mean 4.999 n=4 → mixed", stats(4, 4.999, 0.1), 1, ClassMixed, RuleMixed},
		// Rule 6: cv≥0.5 ∧ mean<5.0 ∧ n≥6.
		{"r6 at edges", stats(6, 4.999, 0.5), 1, ClassInteractive, RuleInteractive},
		{"r6 cv 0.4999 → mixed", stats(6, 4.999, 0.4999), 1, ClassMixed, RuleMixed},
		{"r6 n=5 → mixed", stats(5, 1, 2), 1, ClassMixed, RuleMixed},
		{"r6 mean 5.0 → mixed", stats(6, 5.0, 2), 1, ClassMixed, RuleMixed},
		// Rule 7.
		{"r7 slow and irregular", stats(10, 30, 1.5), 1, ClassMixed, RuleMixed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, r := ClassifyBehavior(tc.st, tc.services)
			if c != tc.wantClass || r != tc.wantRule {
				t.Errorf("ClassifyBehavior = (%s, %d), want (%s, %d)", c, r, tc.wantClass, tc.wantRule)
			}
		})
	}
}

func TestBeaconFields(t *testing.T) {
	iv, j := BeaconFields(stats(5, 60.5, 0.1234), ClassBeaconing)
	if iv == nil || *iv != 60.5 || j == nil || *j != 12.34 {
		t.Errorf("BeaconFields beaconing = %v, %v; want 60.5, 12.34", iv, j)
	}
	if iv, j := BeaconFields(stats(5, 60.5, 0.1234), ClassMixed); iv != nil || j != nil {
		t.Errorf("BeaconFields non-beaconing = %v, %v; want nil, nil", iv, j)
	}
}

func TestMatchC2(t *testing.T) {
	tests := []struct {
		name     string
		mean, cv float64
		want     []string
	}{
		{"cobalt centre", 60, 0.20, []string{"cobalt_strike"}},
		{"cobalt interval low edge", 52, 0.20, []string{"cobalt_strike"}},
		{"cobalt interval high edge", 68, 0.20, []string{"cobalt_strike"}},
		{"cobalt below interval", 51.999, 0.20, nil},
		{"cobalt jitter low edge [BUG fixed]", 60, 0.15, []string{"cobalt_strike"}},
		{"cobalt jitter high edge, also sliver", 60, 0.25, []string{"cobalt_strike", "sliver"}},
		{"cobalt jitter out", 60, 0.1499, nil},
		{"sliver only", 70, 0.30, []string{"sliver"}},
		{"sliver edges", 50, 0.38, []string{"sliver"}},
		{"sliver out", 49.999, 0.30, nil},
		{"havoc", 45, 0.10, []string{"havoc"}},
		{"havoc edges", 37, 0.13, []string{"havoc"}},
		{"havoc jitter out", 45, 0.1301, nil},
		{"mythic", 30, 0.15, []string{"mythic"}},
		{"mythic edges", 24, 0.12, []string{"mythic"}},
		{"mythic out", 23.999, 0.15, nil},
		{"nothing", 5, 0.9, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, MatchC2(tc.mean, tc.cv)); diff != "" {
				t.Errorf("MatchC2(%v, %v) mismatch (-want +got):\n%s", tc.mean, tc.cv, diff)
			}
		})
	}
	if got := GuessTool(60, 0.25); got != "" {
		t.Errorf("GuessTool with two matches = %q, want empty", got)
	}
	if got := GuessTool(45, 0.1); got != "havoc" {
		t.Errorf("GuessTool = %q, want havoc", got)
	}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]string
	}{
		{"json", `{"User-Agent":"sqlmap/1.7","X-N":3,"X-Nil":null}`, map[string]string{"user-agent": "sqlmap/1.7", "x-n": "3", "x-nil": ""}},
		{"python repr", `{'User-Agent': 'Nikto/2.5', 'Host': "a'b", 'X-Count': 3, 'Esc': 'it\'s'}`,
			map[string]string{"user-agent": "Nikto/2.5", "host": "a'b", "x-count": "3", "esc": "it's"}},
		{"empty dict", `{}`, map[string]string{}},
		{"json duplicate after lowercasing: last wins", `{"User-Agent":"a","user-agent":"b"}`, map[string]string{"user-agent": "b"}},
		{"json trailing garbage", `{"a":"b"} x`, nil},
		{"repr trailing garbage", `{'a': 'b'} x`, nil},
		{"empty", ``, nil},
		{"garbage", `User-Agent: curl`, nil},
		{"unterminated", `{'a': 'b`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseHeaders(tc.in)); diff != "" {
				t.Errorf("ParseHeaders mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeaderTools(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    []string
	}{
		{"nmap", map[string]string{"user-agent": "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)"}, []string{"nmap"}},
		{"case-insensitive substring", map[string]string{"user-agent": "NIKTO/2.1.6"}, []string{"nikto"}},
		{"curl anchored", map[string]string{"user-agent": "curl/8.4.0"}, []string{"curl"}},
		{"curl not at start", map[string]string{"user-agent": "Mozilla curl/8.4.0"}, nil},
		{"curl anchored, case-insensitive", map[string]string{"user-agent": "CURL/7"}, []string{"curl"}},
		{"python requests", map[string]string{"user-agent": "python-requests/2.31"}, []string{"python_requests"}},
		{"several in table order", map[string]string{"user-agent": "hydra gobuster sqlmap"}, []string{"sqlmap", "gobuster", "hydra"}},
		{"gophish x-mailer", map[string]string{"x-mailer": "gophish"}, []string{"gophish"}},
		{"ua value is a literal, not a pattern", map[string]string{"user-agent": "^curl/.*(["}, nil},
		{"none", map[string]string{"user-agent": "Mozilla/5.0"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, HeaderTools(tc.headers)); diff != "" {
				t.Errorf("HeaderTools mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestToolGuesses(t *testing.T) {
	got := ToolGuesses([]string{"cobalt_strike", "sliver"}, []string{"curl", "nmap", "curl"}, "nmap")
	want := []string{"nmap", "cobalt_strike", "sliver", "curl"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ToolGuesses mismatch (-want +got):\n%s", diff)
	}
	if got := ToolGuesses(nil, nil, "linux"); got == nil || len(got) != 0 {
		t.Errorf("ToolGuesses empty = %#v, want empty non-nil", got)
	}
}

func TestPhaseSequence(t *testing.T) {
	type ev struct {
		s      float64
		typ    string
		fields map[string]string
	}
	tests := []struct {
		name string
		evs  []ev
		want PhaseSequence
	}{
		{"recon then exfil", []ev{
			{0, "connection", nil}, {5, "login_attempt", nil}, {9, "auth", nil},
			{12, "command", nil}, {20, "upload", map[string]string{"bytes": "1048576"}},
			{30, "auth_failure", nil},
		}, PhaseSequence{ReconEndTS: ptr(at(30)), ExfilStartTS: ptr(at(12)), LargePayloadCount: 1}},
		{"latency", []ev{{0, "scan", nil}, {2.5, "banner", nil}, {10, "exec", nil}, {11, "download", nil}},
			PhaseSequence{ReconEndTS: ptr(at(2.5)), ExfilStartTS: ptr(at(10)), ExfilLatencyS: f(7.5)}},
		{"zero latency counts", []ev{{3, "probe", nil}, {3, "query", nil}},
			PhaseSequence{ReconEndTS: ptr(at(3)), ExfilStartTS: ptr(at(3)), ExfilLatencyS: f(0)}},
		{"payload fields", []ev{
			{0, "x", map[string]string{"size": "1048575"}},
			{1, "x", map[string]string{"content_length": "2e6"}},
			{2, "x", map[string]string{"bytes": "junk", "size": "5000000"}},
		}, PhaseSequence{LargePayloadCount: 2}},
		{"no phases", nil, PhaseSequence{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s PhaseState
			for _, e := range tc.evs {
				s.Add(at(e.s), e.typ, e.fields)
			}
			if diff := cmp.Diff(tc.want, s.Sequence()); diff != "" {
				t.Errorf("Sequence mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTTLBucket(t *testing.T) {
	want := map[int]string{0: "", 54: "", 55: "linux", 64: "linux", 70: "linux", 71: "",
		114: "", 115: "windows", 128: "windows", 135: "windows", 136: "",
		234: "", 235: "embedded", 255: "embedded", 256: ""}
	for ttl, w := range want {
		if got := TTLBucket(ttl); got != w {
			t.Errorf("TTLBucket(%d) = %q, want %q", ttl, got, w)
		}
	}
	canon := map[int]int{0: 0, 1: 64, 64: 64, 65: 128, 128: 128, 129: 255, 255: 255, 256: 0}
	for ttl, w := range canon {
		if got := CanonicalInitialTTL(ttl); got != w {
			t.Errorf("CanonicalInitialTTL(%d) = %d, want %d", ttl, got, w)
		}
	}
}

func TestOSRollup(t *testing.T) {
	type ev struct {
		typ string
		f   map[string]string
	}
	syn := EventTCPSynFingerprint
	tests := []struct {
		name    string
		evs     []ev
		wantOS  string
		wantHop *int
	}{
		{"nothing", nil, "", nil},
		{"TTL bucket from modal TTL", []ev{
			{syn, map[string]string{"ttl": "116", "hop_distance": "12"}},
			{syn, map[string]string{"ttl": "52", "hop_distance": "12"}},
			{syn, map[string]string{"ttl": "116"}},
		}, "windows", ptr(12)},
		{"sniffer label beats TTL; unknown ignored", []ev{
			{syn, map[string]string{"os_guess": "unknown", "ttl": "60"}},
			{syn, map[string]string{"os_guess": "unknown", "ttl": "60"}},
			{syn, map[string]string{"os_guess": "Windows 10"}},
		}, "Windows 10", nil},
		{"label mode tie: first seen wins", []ev{
			{syn, map[string]string{"os_guess": "Linux 3.x"}},
			{syn, map[string]string{"os_guess": "nmap"}},
		}, "Linux 3.x", nil},
		{"initial_ttl fallback", []ev{{syn, map[string]string{"initial_ttl": "250"}}}, "embedded", nil},
		{"out-of-bucket TTL: no guess", []ev{{syn, map[string]string{"ttl": "100"}}}, "", nil},
		{"tcpfp hop = canonical − ttl; even median truncates", []ev{
			{EventTCPFPFingerprint, map[string]string{"ttl": "57"}}, // hop 7
			{EventTCPFPFingerprint, map[string]string{"ttl": "54"}}, // hop 10
		}, "linux", ptr(8)},
		{"hop_distance must be > 0", []ev{{syn, map[string]string{"ttl": "64", "hop_distance": "0"}}}, "linux", nil},
		{"odd median", []ev{
			{syn, map[string]string{"hop_distance": "3"}},
			{syn, map[string]string{"hop_distance": "9"}},
			{syn, map[string]string{"hop_distance": "4"}},
		}, "", ptr(4)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s OSState
			for _, e := range tc.evs {
				s.Add(e.typ, e.f)
			}
			if got := s.OSGuess(); got != tc.wantOS {
				t.Errorf("OSGuess = %q, want %q", got, tc.wantOS)
			}
			if diff := cmp.Diff(tc.wantHop, s.HopDistance()); diff != "" {
				t.Errorf("HopDistance mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOSSnapshotAndExtras(t *testing.T) {
	var s OSState
	s.Add(EventTCPSynFingerprint, map[string]string{"window": "64240", "mss": "1460", "ipid_class": "incremental", "isn_class": "random"})
	s.Add(EventTCPSynFingerprint, map[string]string{"window": "29200", "ipid_class": "unknown"})
	s.Add(EventTCPFlowTiming, map[string]string{"retransmits": "3"})
	s.Add(EventTCPFlowTiming, map[string]string{"retransmits": "2"})
	s.Add(EventHASSHFingerprint, map[string]string{"kex_algorithms": "curve25519-sha256"})
	s.Add(EventHASSHFingerprint, map[string]string{"kex_algorithms": "curve25519-sha256"})
	s.Add(EventSSHClientBanner, map[string]string{"ssh_version": "SSH-2.0-libssh2_1.10.0"})
	want := map[string]string{"window": "29200", "ipid_class": "incremental", "isn_class": "random"}
	if diff := cmp.Diff(want, s.Snapshot); diff != "" {
		t.Errorf("Snapshot mismatch (-want +got):\n%s", diff)
	}
	if s.Retransmits != 5 || len(s.KexOrders) != 1 || len(s.SSHClientBanners) != 1 {
		t.Errorf("retransmits %d kex %v banners %v", s.Retransmits, s.KexOrders, s.SSHClientBanners)
	}
}

func TestEventKindAndBuckets(t *testing.T) {
	kinds := map[string]Kind{"command": KindInteraction, "redis_command": KindInteraction, "rcpt_to": KindInteraction,
		"session_recorded": KindInteraction, "startup": KindNoise, "protocol_error": KindNoise,
		"connection": KindScan, "login_attempt": KindScan, "": KindScan}
	for et, want := range kinds {
		if got := EventKind(et); got != want {
			t.Errorf("EventKind(%q) = %v, want %v", et, got, want)
		}
	}
	got := BucketServices([]ServiceEvent{
		{"ssh", "connection"}, {"ssh", "command"}, {"http", "request"}, {"ftp", "startup"},
		{"smtp", "connection"}, {"smtp", "rcpt_to"}, {"redis", "connection"}, {"redis", "protocol_error"},
	})
	want := ServiceBuckets{Scanned: []string{"http", "redis"}, Interacted: []string{"smtp", "ssh"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BucketServices mismatch (-want +got):\n%s", diff)
	}
}

func TestTraversal(t *testing.T) {
	var s TraversalState
	s.Add(at(0), "web1")
	s.Add(at(1), "decnet-prober")
	if s.IsTraversal() || s.Path() != "" || s.Detected("1.2.3.4") != nil {
		t.Fatalf("one decoy decky + internal must not be a traversal: %+v", s)
	}
	s.Add(at(5), "db1")
	s.Add(at(6), "web1")
	s.Add(at(9), "mail1")
	want := &TraversalDetected{AttackerIP: "1.2.3.4", DeckyCount: 3, Deckies: []string{"web1", "db1", "mail1"},
		FirstSeen: at(0), LastSeen: at(9), HopCount: 4, DurationS: 9}
	if diff := cmp.Diff(want, s.Detected("1.2.3.4")); diff != "" {
		t.Errorf("Detected mismatch (-want +got):\n%s", diff)
	}
	if got := s.Path(); got != "web1 → db1 → mail1" {
		t.Errorf("Path = %q", got)
	}
	// A late-arriving earlier event moves its decky to its first-contact place.
	s.Add(at(-1), "mail1")
	if got := s.Path(); got != "mail1 → web1 → db1" {
		t.Errorf("Path after late event = %q", got)
	}
}
