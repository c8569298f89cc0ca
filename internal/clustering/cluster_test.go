package clustering

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/clustermetrics"
	"github.com/decnet/decnet/internal/components"
	"github.com/decnet/decnet/internal/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// spec is a compact attacker for fixtures: fingerprints as "type=value",
// commands, credentials as "user:passhash", an ASN.
type spec struct {
	id    string
	fps   []string
	cmds  []string
	creds []string
	asn   int64
}

func (s spec) observation() Observation {
	a := model.Attacker{UUID: s.id, IP: "ip-" + s.id, ASN: s.asn, FirstSeen: t0, LastSeen: t0.Add(time.Hour)}
	for _, f := range s.fps {
		typ, val, _ := strings.Cut(f, "=")
		a.Fingerprints = append(a.Fingerprints, model.Fingerprint{Type: typ, Value: val})
	}
	for _, c := range s.cmds {
		a.Commands = append(a.Commands, model.CommandEntry{Service: "ssh", Command: c, Timestamp: t0})
	}
	var creds []CredentialTuple
	for _, c := range s.creds {
		u, p, _ := strings.Cut(c, ":")
		creds = append(creds, CredentialTuple{Username: u, PasswordSHA256: p})
	}
	return FromAttacker(a, creds)
}

func observations(specs ...spec) []Observation {
	out := make([]Observation, len(specs))
	for i, s := range specs {
		out[i] = s.observation()
	}
	return out
}

// groups renders a partition as sorted groups of IDs.
func groups(obs []Observation, p Partition) [][]string {
	var out [][]string
	for _, c := range p.Components {
		var g []string
		for _, i := range c {
			g = append(g, obs[i].ID)
		}
		out = append(out, g)
	}
	return out
}

// bruteForce is the original's O(n²) clustering, the reference Cluster
// must agree with.
func bruteForce(obs []Observation) [][]string {
	uf := components.NewUnionFind(len(obs))
	for i := range obs {
		for j := i + 1; j < len(obs); j++ {
			if Edge(&obs[i], &obs[j]) {
				uf.Union(int32(i), int32(j))
			}
		}
	}
	return groups(obs, partition(obs, uf))
}

func TestWeakTiersCannotMakeAnEdge(t *testing.T) {
	// Cluster only looks at pairs sharing a high-tier key; that is exact
	// only while the weak tiers at their maximum stay below the threshold
	// and the high tier alone reaches it.
	if weak := WeightMedium + WeightLow + WeightVeryLow; weak >= EdgeThreshold {
		t.Fatalf("medium+low+very_low = %v reaches EdgeThreshold %v", weak, EdgeThreshold)
	}
	if WeightHigh < EdgeThreshold {
		t.Fatalf("high tier %v alone is below EdgeThreshold %v", WeightHigh, EdgeThreshold)
	}
	// And concretely: identical commands, credentials and ASN, no high key.
	a := spec{id: "a", cmds: []string{"uname -a", "id"}, creds: []string{"root:x"}, asn: 64500}.observation()
	b := a
	b.ID = "b"
	if got := Combined(&a, &b); math.Abs(got-0.85) > 1e-9 || Edge(&a, &b) {
		t.Errorf("Combined of weak-only twins = %v, edge %v; want 0.85, no edge", got, Edge(&a, &b))
	}
}

func TestFromAttackerReadsTypedFingerprints(t *testing.T) {
	a := model.Attacker{UUID: "u1", IdentityID: "i1", ASN: 64500, FirstSeen: t0, LastSeen: t0.Add(time.Minute),
		Fingerprints: []model.Fingerprint{
			{Type: "ja3", Value: "j2"}, {Type: "ja3", Value: "j1"}, {Type: "ja3", Value: "j1"},
			{Type: "hassh", Value: "h-client"}, {Type: "hassh_server", Value: "h-server"},
			{Type: "ja4h", Value: "ge11nn"}, {Type: "ja4", Value: "ignored"}, {Type: "jarm", Value: "ignored"},
			{Type: "tls_cert_sha256", Value: "cert"}, {Type: "payload_sha256", Value: "p1"},
			{Type: "c2_endpoint", Value: "evil.example:4444"}, {Type: "ja3", Value: " "},
		},
		Commands: []model.CommandEntry{{Command: "id"}, {Command: "uname -a"}, {Command: "id"}, {Command: ""}},
	}
	got := FromAttacker(a, []CredentialTuple{{"root", "b"}, {"admin", "a"}, {"root", "b"}})
	want := Observation{
		ID: "u1", JA3: []string{"j1", "j2"}, HASSH: []string{"h-client", "h-server"}, JA4H: []string{"ge11nn"},
		ASN: 64500, PayloadHashes: []string{"p1"}, C2Endpoints: []string{"evil.example:4444"},
		Credentials:     []CredentialTuple{{"admin", "a"}, {"root", "b"}},
		CommandsByPhase: map[string][]string{PhaseExecution: {"id", "uname -a"}},
		TLSCertSHA256:   []string{"cert"}, IdentityID: "i1", FirstSeen: t0, LastSeen: t0.Add(time.Minute),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromAttacker (-want +got):\n%s", diff)
	}
}

func TestTiers(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		a, b                       spec
		high, medium, low, veryLow float64
		edge                       bool
	}{
		{name: "nothing shared", a: spec{}, b: spec{}},
		{name: "same ja3", a: spec{fps: []string{"ja3=x"}}, b: spec{fps: []string{"ja3=x", "hassh=other"}}, high: 1, edge: true},
		{name: "same hassh", a: spec{fps: []string{"hassh=h"}}, b: spec{fps: []string{"hassh=h"}}, high: 1, edge: true},
		{name: "client hassh meets server hassh", a: spec{fps: []string{"hassh=h"}}, b: spec{fps: []string{"hassh_server=h"}}, high: 1, edge: true},
		{name: "same ja4h", a: spec{fps: []string{"ja4h=q"}}, b: spec{fps: []string{"ja4h=q"}}, high: 1, edge: true},
		{name: "shared ja3 beats differing hassh", a: spec{fps: []string{"ja3=x", "hassh=h1"}}, b: spec{fps: []string{"ja3=x", "hassh=h2"}}, high: 1, edge: true},
		{name: "payload, no fingerprints", a: spec{fps: []string{"payload_sha256=p"}}, b: spec{fps: []string{"payload_sha256=p"}}, high: 1, edge: true},
		{name: "c2, one side fingerprinted", a: spec{fps: []string{"c2_endpoint=c", "ja3=x"}}, b: spec{fps: []string{"c2_endpoint=c"}}, high: 1, edge: true},
		{name: "payload, fingerprints in different slots", a: spec{fps: []string{"payload_sha256=p", "ja3=x"}}, b: spec{fps: []string{"payload_sha256=p", "hassh=h"}}, high: 1, edge: true},
		{name: "payload vetoed by distinct ja3", a: spec{fps: []string{"payload_sha256=p", "ja3=x"}}, b: spec{fps: []string{"payload_sha256=p", "ja3=y"}}},
		{name: "c2 vetoed by distinct ja3 and hassh", a: spec{fps: []string{"c2_endpoint=c", "ja3=x", "hassh=h1"}}, b: spec{fps: []string{"c2_endpoint=c", "ja3=y", "hassh=h2"}}},
		{name: "veto when one comparable slot disagrees", a: spec{fps: []string{"c2_endpoint=c", "ja3=x", "hassh=h1"}}, b: spec{fps: []string{"c2_endpoint=c", "hassh=h2"}}},
		{name: "identical commands", a: spec{cmds: []string{"id", "w"}}, b: spec{cmds: []string{"w", "id"}}, medium: 1},
		{name: "half the commands", a: spec{cmds: []string{"id", "w"}}, b: spec{cmds: []string{"id", "ls"}}, medium: 1.0 / 3},
		{name: "same wordlist", a: spec{creds: []string{"root:a", "admin:b"}}, b: spec{creds: []string{"root:a", "admin:b"}}, low: 1},
		{name: "credentials one side only", a: spec{creds: []string{"root:a"}}, b: spec{}},
		{name: "same asn", a: spec{asn: 64500}, b: spec{asn: 64500}, veryLow: 1},
		{name: "unknown asn", a: spec{asn: 0}, b: spec{asn: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := tc.a.observation(), tc.b.observation()
			got := [4]float64{High(&a, &b), Medium(&a, &b), Low(&a, &b), VeryLow(&a, &b)}
			if want := [4]float64{tc.high, tc.medium, tc.low, tc.veryLow}; got != want {
				t.Errorf("tiers (high, medium, low, very_low) = %v, want %v", got, want)
			}
			if Edge(&a, &b) != tc.edge || Edge(&b, &a) != tc.edge {
				t.Errorf("Edge = %v/%v, want %v both ways", Edge(&a, &b), Edge(&b, &a), tc.edge)
			}
		})
	}
}

// scenarios are the fixture contract of pipeline.md §4 and multi-actor
// fixtures modelled on the original's campaigns (F1, F2, F3, F5), each with
// its expected partition.
var scenarios = []struct {
	name  string
	specs []spec
	want  [][]string
}{
	{
		name: "F1 shared_wordlist: a wordlist and an ASN alone never merge",
		specs: []spec{
			{id: "a1", fps: []string{"ja3=ja3-a"}, creds: []string{"root:123456", "admin:admin"}, asn: 4134},
			{id: "b1", fps: []string{"ja3=ja3-b"}, creds: []string{"root:123456", "admin:admin"}, asn: 4134},
			{id: "c1", creds: []string{"root:123456", "admin:admin"}, asn: 4134, cmds: []string{"uname -a"}},
			{id: "d1", creds: []string{"root:123456", "admin:admin"}, asn: 4134, cmds: []string{"uname -a"}},
		},
		want: [][]string{{"a1"}, {"b1"}, {"c1"}, {"d1"}},
	},
	{
		name:  "ASN alone does not merge",
		specs: []spec{{id: "a", asn: 64500}, {id: "b", asn: 64500}, {id: "c", asn: 64500}},
		want:  [][]string{{"a"}, {"b"}, {"c"}},
	},
	{
		name: "shared C2 and payload with distinct JA3 and HASSH stays two identities",
		specs: []spec{
			{id: "a", fps: []string{"ja3=j1", "hassh=h1", "c2_endpoint=evil:4444", "payload_sha256=p"}},
			{id: "b", fps: []string{"ja3=j2", "hassh=h2", "c2_endpoint=evil:4444", "payload_sha256=p"}},
		},
		want: [][]string{{"a"}, {"b"}},
	},
	{
		name:  "same JA3 merges",
		specs: []spec{{id: "a", fps: []string{"ja3=j"}, asn: 1}, {id: "b", fps: []string{"ja3=j"}, asn: 2}},
		want:  [][]string{{"a", "b"}},
	},
	{
		name:  "same HASSH merges",
		specs: []spec{{id: "a", fps: []string{"hassh=h", "ja3=j1"}}, {id: "b", fps: []string{"hassh=h", "ja3=j2"}}},
		want:  [][]string{{"a", "b"}},
	},
	{
		name: "F2 vpn_hopping: one client through many exits is one identity",
		specs: []spec{
			{id: "v1", fps: []string{"ja3=vpn-ja3", "hassh=vpn-hassh"}, asn: 9009},
			{id: "v2", fps: []string{"hassh=vpn-hassh"}, asn: 60068},
			{id: "v3", fps: []string{"ja3=vpn-ja3"}, asn: 212238},
			{id: "v4", fps: []string{"ja4h=vpn-ja4h", "ja3=vpn-ja3"}, asn: 16276},
		},
		want: [][]string{{"v1", "v2", "v3", "v4"}},
	},
	{
		name: "F3 lone_wolf: one actor among unrelated noise",
		specs: []spec{
			{id: "w1", fps: []string{"hassh=wolf", "payload_sha256=implant"}, cmds: []string{"wget x"}},
			{id: "w2", fps: []string{"payload_sha256=implant"}},
			{id: "w3", fps: []string{"hassh=wolf"}, asn: 3},
			{id: "n1", fps: []string{"hassh=noise1"}, creds: []string{"root:root"}},
			{id: "n2", fps: []string{"hassh=noise2"}, creds: []string{"root:root"}},
			{id: "n3", creds: []string{"root:root"}},
		},
		want: [][]string{{"n1"}, {"n2"}, {"n3"}, {"w1", "w2", "w3"}},
	},
	{
		name: "F5 multi_operator: two operators share infrastructure, not tooling",
		specs: []spec{
			{id: "o1a", fps: []string{"ja3=op1", "hassh=op1-ssh", "c2_endpoint=shared-c2", "payload_sha256=kit"}},
			{id: "o1b", fps: []string{"ja3=op1", "c2_endpoint=shared-c2"}},
			{id: "o2a", fps: []string{"ja3=op2", "hassh=op2-ssh", "c2_endpoint=shared-c2", "payload_sha256=kit"}},
			{id: "o2b", fps: []string{"hassh=op2-ssh", "payload_sha256=kit"}},
		},
		want: [][]string{{"o1a", "o1b"}, {"o2a", "o2b"}},
	},
	{
		name: "a fingerprintless member of a payload block links everyone in it",
		specs: []spec{
			{id: "a", fps: []string{"ja3=j1", "payload_sha256=kit"}},
			{id: "b", fps: []string{"ja3=j2", "payload_sha256=kit"}},
			{id: "c", fps: []string{"payload_sha256=kit"}},
		},
		want: [][]string{{"a", "b", "c"}},
	},
	{
		name: "payload block members filling disjoint slots link",
		specs: []spec{
			{id: "a", fps: []string{"ja3=j1", "payload_sha256=kit"}},
			{id: "b", fps: []string{"ja3=j2", "payload_sha256=kit"}},
			{id: "c", fps: []string{"hassh=h", "payload_sha256=kit"}},
			{id: "d", fps: []string{"ja3=j3", "hassh=h3", "payload_sha256=kit"}},
		},
		want: [][]string{{"a", "b", "c"}, {"d"}},
	},
}

func TestClusterScenarios(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			obs := observations(sc.specs...)
			got := groups(obs, Cluster(obs))
			if diff := cmp.Diff(sc.want, got); diff != "" {
				t.Errorf("partition (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(bruteForce(obs), got); diff != "" {
				t.Errorf("Cluster disagrees with the pairwise reference (-ref +got):\n%s", diff)
			}
			// The fixture contract's bounds (pipeline.md §4): every
			// quality score is 1 against the expected partition.
			truth := map[string]string{}
			for _, g := range sc.want {
				for _, id := range g {
					truth[id] = g[0]
				}
			}
			var want, pred []string
			p := Cluster(obs)
			for i, o := range obs {
				want, pred = append(want, truth[o.ID]), append(pred, p.Labels[i])
			}
			if s := clustermetrics.Score(want, pred); !s.Perfect() {
				t.Errorf("scores %+v, want all 1", s)
			}
		})
	}
}

func TestClusterIgnoresTimeAndOrder(t *testing.T) {
	for _, sc := range scenarios {
		obs := observations(sc.specs...)
		want := groups(obs, Cluster(obs))
		shifted := slices.Clone(obs)
		for i := range shifted {
			shifted[i].FirstSeen = shifted[i].FirstSeen.Add(-400 * 24 * time.Hour)
			shifted[i].LastSeen = shifted[i].LastSeen.Add(time.Duration(i) * 97 * time.Hour)
		}
		slices.Reverse(shifted)
		if diff := cmp.Diff(want, groups(shifted, Cluster(shifted))); diff != "" {
			t.Errorf("%s: shifted and reordered partition (-want +got):\n%s", sc.name, diff)
		}
	}
}

// TestClusterMatchesPairwise compares Cluster with the O(n²) reference on
// random observations drawn from tiny key spaces, so blocks, vetoes and
// chains are frequent.
func TestClusterMatchesPairwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(prefix string, n, max int) []string {
		var v []string
		for range rng.IntN(max + 1) {
			v = append(v, fmt.Sprintf("%s%d", prefix, rng.IntN(n)))
		}
		return distinct(v)
	}
	for round := range 300 {
		obs := make([]Observation, 2+rng.IntN(40))
		for i := range obs {
			obs[i] = Observation{ID: fmt.Sprintf("o%03d", i), JA3: pick("j", 12, 1), HASSH: pick("h", 12, 1),
				JA4H: pick("q", 8, 1), PayloadHashes: pick("p", 4, 2), C2Endpoints: pick("c", 4, 1),
				ASN: int64(rng.IntN(3))}
		}
		if diff := cmp.Diff(bruteForce(obs), groups(obs, Cluster(obs))); diff != "" {
			t.Fatalf("round %d: Cluster disagrees with the pairwise reference (-ref +got):\n%s", round, diff)
		}
	}
}

func TestClusterLabelsAreMinimumIDs(t *testing.T) {
	obs := observations(spec{id: "z", fps: []string{"ja3=j"}}, spec{id: "m", fps: []string{"ja3=j"}}, spec{id: "q"})
	p := Cluster(obs)
	if diff := cmp.Diff([]string{"m", "m", "q"}, p.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if got := Cluster(nil); len(got.Components) != 0 || len(got.Labels) != 0 {
		t.Errorf("Cluster(nil) = %+v, want empty", got)
	}
}

// synthetic builds n observations with a realistic mix: most attackers are
// singletons with their own fingerprints; botnets share a HASSH; droppers
// share payloads and C2 endpoints (some with distinct JA3s, so vetoes
// fire); nearly everyone sits in a few big ASNs and tries one wordlist.
func synthetic(n int) []Observation {
	rng := rand.New(rand.NewPCG(42, 7))
	wordlist := []CredentialTuple{{"root", "123456"}, {"admin", "admin"}, {"root", "root"}, {"ubnt", "ubnt"}}
	asns := []int64{4134, 4837, 14061, 16509, 14618, 0}
	obs := make([]Observation, n)
	for i := range obs {
		o := Observation{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), i),
			ASN: asns[rng.IntN(len(asns))], Credentials: wordlist,
			CommandsByPhase: map[string][]string{PhaseExecution: {"uname -a"}},
			FirstSeen:       t0, LastSeen: t0.Add(time.Duration(i) * time.Second)}
		switch r := rng.IntN(100); {
		case r < 70: // singleton scanner with its own client
			o.JA3 = []string{fmt.Sprintf("ja3-%d", i)}
			if rng.IntN(2) == 0 {
				o.HASSH = []string{fmt.Sprintf("hassh-%d", i)}
			}
		case r < 85: // one of 50 botnets sharing a HASSH
			o.HASSH = []string{fmt.Sprintf("bot-%d", rng.IntN(50))}
		case r < 95: // dropper fetching one of 200 payloads from 40 C2s
			o.PayloadHashes = []string{fmt.Sprintf("payload-%d", rng.IntN(200))}
			o.C2Endpoints = []string{fmt.Sprintf("c2-%d:443", rng.IntN(40))}
			if rng.IntN(2) == 0 {
				o.JA3 = []string{fmt.Sprintf("ja3-%d", i)}
			}
		default: // nothing but an address
		}
		obs[i] = o
	}
	return obs
}

func benchmarkCluster(b *testing.B, n int) {
	obs := synthetic(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Cluster(obs)
	}
}

func BenchmarkCluster10k(b *testing.B)  { benchmarkCluster(b, 10_000) }
func BenchmarkCluster100k(b *testing.B) { benchmarkCluster(b, 100_000) }

// BenchmarkClusterPairwise10k is the baseline: the original's O(n²) pair
// loop over the same 10 000 observations as BenchmarkCluster10k.
func BenchmarkClusterPairwise10k(b *testing.B) {
	obs := synthetic(10_000)
	b.ResetTimer()
	for b.Loop() {
		bruteForce(obs)
	}
}
