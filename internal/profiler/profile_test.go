package profiler

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/decnet/decnet/internal/model"
	"github.com/google/go-cmp/cmp"
)

func ev(s float64, decky, service, typ string, kv ...string) model.Event {
	e := model.Event{TS: at(s), Decky: decky, Service: service, EventType: typ, SrcIP: "203.0.113.7"}
	if len(kv) > 0 {
		e.Fields = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			e.Fields[kv[i]] = kv[i+1]
		}
	}
	return e
}

// TestAnalyzeGolden pins whole profiles for the attacker shapes the spec and
// issue 4's acceptance describe.
func TestAnalyzeGolden(t *testing.T) {
	t.Run("ssh brute force then commands", func(t *testing.T) {
		var evs []model.Event
		for i := range 10 {
			evs = append(evs, ev(float64(i), "web1", "ssh", "login_attempt", "username", "root"))
		}
		p := Analyze("203.0.113.7", evs)
		if p.Behavior.BehaviorClass != ClassBruteForce || p.Behavior.Rule != RuleBruteForce {
			t.Errorf("class = %s/%d, want brute_force/4", p.Behavior.BehaviorClass, p.Behavior.Rule)
		}
		// Interactive shell afterwards: bursty typing.
		for i, s := range []float64{10, 10.4, 13, 13.2, 19, 19.1, 19.3} {
			evs = append(evs, ev(s, "web1", "ssh", "command", "command", fmt.Sprintf("cmd%d", i)))
		}
		p = Analyze("203.0.113.7", evs)
		want := Profile{
			IP: "203.0.113.7", FirstSeen: at(0), LastSeen: at(19.3), EventCount: 17,
			Services: []string{"ssh"}, ServiceCount: 1, Deckies: []string{"web1"}, DeckyCount: 1,
			Commands: []Command{
				{"ssh", "web1", "cmd0", at(10)}, {"ssh", "web1", "cmd1", at(10.4)}, {"ssh", "web1", "cmd2", at(13)},
				{"ssh", "web1", "cmd3", at(13.2)}, {"ssh", "web1", "cmd4", at(19)}, {"ssh", "web1", "cmd5", at(19.1)},
				{"ssh", "web1", "cmd6", at(19.3)},
			},
			Fingerprints: []model.Fingerprint{},
			Buckets:      ServiceBuckets{Scanned: []string{}, Interacted: []string{"ssh"}},
			Behavior: Behavior{
				BehaviorClass: ClassInteractive, Rule: RuleInteractive, ToolGuesses: []string{},
				// IATs: nine 1s, then 1, 0.4, 2.6, 0.2, 5.8, 0.1, 0.2
				TimingStats: TimingStats{MeanIATS: f(1.206), MedianIATS: f(1), StdevIATS: f(1.308), MinIATS: f(0.1),
					MaxIATS: f(5.8), CV: f(1.0843), EventCount: 17, DurationS: 19.3},
				PhaseSequence: PhaseSequence{ReconEndTS: ptr(at(9)), ExfilStartTS: ptr(at(10)), ExfilLatencyS: f(1)},
			},
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Errorf("Analyze mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("cobalt strike beacon", func(t *testing.T) {
		evs := []model.Event{ev(0, "web1", "http", "request")}
		s := 0.0
		for _, iat := range []float64{48, 72, 48, 72} {
			s += iat
			evs = append(evs, ev(s, "web1", "http", "request"))
		}
		p := Analyze("198.51.100.1", evs)
		b := p.Behavior
		if b.BehaviorClass != ClassBeaconing || *b.BeaconIntervalS != 60 || *b.BeaconJitterPct != 20 {
			t.Errorf("got class %s interval %v jitter %v, want beaconing 60 20", b.BehaviorClass, b.BeaconIntervalS, b.BeaconJitterPct)
		}
		if diff := cmp.Diff([]string{"cobalt_strike"}, b.ToolGuesses); diff != "" {
			t.Errorf("ToolGuesses mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("nmap scan across deckies is a traversal", func(t *testing.T) {
		evs := []model.Event{
			ev(0, "web1", "http", "request", "headers", `{'User-Agent': 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)'}`),
			ev(0.2, "web1", "ssh", "connection"),
			ev(0.3, "decnet-prober", "prober", EventTCPFPFingerprint, "ttl", "58", "window_size", "1024"),
			ev(0.5, "db1", "mysql", "connection"),
			ev(0.6, "db1", "mysql", "startup"),
			ev(0.9, "web1", "ftp", "banner"),
			ev(1.0, "web1", "http", "status", "headers", `{"User-Agent":"curl/8"}`), // not a request: ignored
			ev(1.1, "db1", "mysql", EventTCPSynFingerprint, "ttl", "58", "hop_distance", "6", "window", "1024", "os_guess", "nmap"),
		}
		p := Analyze("192.0.2.9", evs)
		if p.Behavior.BehaviorClass != ClassScanning {
			t.Errorf("class = %s, want scanning", p.Behavior.BehaviorClass)
		}
		if diff := cmp.Diff([]string{"nmap"}, p.Behavior.ToolGuesses); diff != "" {
			t.Errorf("ToolGuesses mismatch (-want +got):\n%s", diff)
		}
		if p.Behavior.OSGuess != "nmap" || *p.Behavior.HopDistance != 6 {
			t.Errorf("os %q hop %v, want nmap 6 (hops 6 and 64−58=6)", p.Behavior.OSGuess, p.Behavior.HopDistance)
		}
		if !p.IsTraversal || p.TraversalPath != "web1 → db1" || p.DeckyCount != 2 {
			t.Errorf("traversal %v %q count %d; want true, web1 → db1, 2 (decnet-prober excluded)", p.IsTraversal, p.TraversalPath, p.DeckyCount)
		}
		if p.Traversal == nil || p.Traversal.HopCount != 7 {
			t.Errorf("Traversal = %+v, want 7 decoy hops", p.Traversal)
		}
		// [GAP] decided: the prober event counts as an event and feeds the
		// OS rollup, but is not a service, a hop or a timing sample.
		if p.EventCount != 8 || p.Behavior.TimingStats.EventCount != 7 || p.ServiceCount != 4 || !p.FirstSeen.Equal(at(0)) {
			t.Errorf("event_count %d timing n %d services %v", p.EventCount, p.Behavior.TimingStats.EventCount, p.Services)
		}
		want := ServiceBuckets{Scanned: []string{"ftp", "http", "mysql", "ssh"}, Interacted: []string{}}
		if diff := cmp.Diff(want, p.Buckets); diff != "" {
			t.Errorf("Buckets mismatch (-want +got):\n%s", diff)
		}
		row, err := p.BehaviorRow("u-1", at(100))
		if err != nil || row.OSGuess != "nmap" || row.BehaviorClass != "scanning" || string(row.TCPFingerprint) != `{"window":"1024"}` {
			t.Errorf("BehaviorRow = %+v, %v", row, err)
		}
	})
}

// mixedStream is a deterministic stream touching every analysis.
func mixedStream(n int) []model.Event {
	deckies := []string{"web1", "db1", "decnet-prober", "mail1"}
	services := []string{"ssh", "http", "smtp", "mysql"}
	types := []string{"connection", "login_attempt", "command", "request", "startup", "rcpt_to",
		EventTCPSynFingerprint, EventTCPFPFingerprint, EventTCPFlowTiming, "upload", "scan"}
	var evs []model.Event
	s, x := 0.0, uint32(7)
	for i := range n {
		x = x*1664525 + 1013904223
		s += float64(x%9000) / 1000
		typ := types[int(x>>8)%len(types)]
		e := ev(s, deckies[int(x>>12)%len(deckies)], services[int(x>>16)%len(services)], typ,
			"command", fmt.Sprintf("c%d", i), "ttl", fmt.Sprint(50+x%80), "hop_distance", fmt.Sprint(x%20),
			"retransmits", "1", "bytes", fmt.Sprint(x%3*1048576), "os_guess", []string{"unknown", "Linux 2.6"}[x>>20&1],
			"headers", []string{`{"User-Agent":"sqlmap/1"}`, `{'user-agent': 'curl/7'}`}[x>>21&1])
		evs = append(evs, e)
	}
	return evs
}

func foldAll(ip string, evs []model.Event) *Accumulator {
	a := &Accumulator{IP: ip}
	for _, e := range evs {
		a.Add(e)
	}
	return a
}

// restart simulates a worker restart: persist, reload, continue.
func restart(t testing.TB, a *Accumulator) *Accumulator {
	t.Helper()
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var r Accumulator
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestIncrementalEqualsBatch pins that folding one event at a time equals the
// batch Analyze, and that a restart with persisted state at any point gives
// the same profile (QUIRK 4 fixed: first_seen and event_count survive).
func TestIncrementalEqualsBatch(t *testing.T) {
	evs := mixedStream(120)
	want := Analyze("ip", evs)
	if diff := cmp.Diff(want, foldAll("ip", evs).Profile()); diff != "" {
		t.Fatalf("fold vs Analyze mismatch (-want +got):\n%s", diff)
	}
	for k := 0; k <= len(evs); k++ {
		a := restart(t, foldAll("ip", evs[:k]))
		for _, e := range evs[k:] {
			a.Add(e)
		}
		if diff := cmp.Diff(want, a.Profile()); diff != "" {
			t.Fatalf("restart at %d mismatch (-want +got):\n%s", k, diff)
		}
	}
	// Restart after every single event.
	a := &Accumulator{IP: "ip"}
	for _, e := range evs {
		a.Add(e)
		a = restart(t, a)
	}
	if diff := cmp.Diff(want, a.Profile()); diff != "" {
		t.Fatalf("restart after each event mismatch (-want +got):\n%s", diff)
	}
}

func TestRestartKeepsFirstSeenAndCount(t *testing.T) {
	a := restart(t, foldAll("ip", []model.Event{ev(0, "web1", "ssh", "connection"), ev(5, "web1", "ssh", "connection")}))
	a.Add(ev(100, "db1", "ssh", "connection"))
	p := a.Profile()
	if !p.FirstSeen.Equal(at(0)) || p.EventCount != 3 || p.TraversalPath != "web1 → db1" {
		t.Errorf("after restart: first_seen %v count %d path %q; want %v 3 web1 → db1", p.FirstSeen, p.EventCount, p.TraversalPath, at(0))
	}
}

func TestStateBounded(t *testing.T) {
	a := &Accumulator{IP: "ip"}
	for i := range MaxCommands + 50 {
		a.Add(ev(float64(i), fmt.Sprintf("d%d", i), fmt.Sprintf("s%d", i), "command",
			"command", string(make([]byte, MaxCommandLen+10)), "os_guess", fmt.Sprint(i)))
		a.Add(ev(float64(i), "web1", "ssh", EventSSHClientBanner, "ssh_version", fmt.Sprint(i)))
	}
	p := a.Profile()
	if len(p.Commands) != MaxCommands || p.CommandsDropped != 50 || p.Commands[0].Timestamp != at(50) {
		t.Errorf("commands: len %d dropped %d first %v", len(p.Commands), p.CommandsDropped, p.Commands[0].Timestamp)
	}
	if len(p.Commands[0].Command) != MaxCommandLen {
		t.Errorf("command len %d, want %d", len(p.Commands[0].Command), MaxCommandLen)
	}
	if len(a.Traversal.Deckies) != MaxDeckies || p.DeckyCount != MaxCommands+51 {
		t.Errorf("deckies stored %d count %d", len(a.Traversal.Deckies), p.DeckyCount)
	}
	if len(a.Services) > MaxServices || len(a.Interaction.Services) > MaxServices {
		t.Errorf("services %d / %d over cap", len(a.Services), len(a.Interaction.Services))
	}
	if len(a.OS.SSHClientBanners) != MaxDistinctLabels {
		t.Errorf("banners %d", len(a.OS.SSHClientBanners))
	}
}
