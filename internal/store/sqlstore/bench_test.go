package sqlstore

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
)

// benchBatchSize matches the ingest worker's batches.
const benchBatchSize = 500

// benchSources draws attacker addresses and deckies the way honeypot
// traffic spreads: Zipf-skewed, a few brute-forcers and crawlers sending most
// events and a long tail of scanners sending a few each.
type benchSources struct {
	rng          *rand.Rand
	ips, deckies *rand.Zipf
}

func newBenchSources(seed uint64, uniform bool) *benchSources {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	s := &benchSources{rng: rng}
	if !uniform {
		s.ips = rand.NewZipf(rng, 1.1, 1, 9999)
		s.deckies = rand.NewZipf(rng, 1.1, 1, 99)
	}
	return s
}

func (s *benchSources) ip() string {
	n := uint64(s.rng.IntN(1000))
	if s.ips != nil {
		n = s.ips.Uint64()
	}
	return fmt.Sprintf("203.0.%d.%d", n/250, n%250)
}

func (s *benchSources) decky() string {
	n := uint64(s.rng.IntN(20))
	if s.deckies != nil {
		n = s.deckies.Uint64()
	}
	return fmt.Sprintf("decky-%02d", n)
}

// benchBatch builds a batch shaped like honeypot traffic: a mix of SSH,
// HTTP, FTP and Telnet events, ~10% carrying a credential (drawn from a small
// dictionary, so repeats bump an existing row) and ~20% a bounty (user agents
// that mostly repeat, so many are ignored).
func benchBatch(src *benchSources, ts time.Time) []model.IngestRecord {
	rng := src.rng
	services := []string{"ssh", "http", "ftp", "telnet"}
	types := []string{"connect", "login_attempt", "command", "request", "disconnect"}
	users := []string{"root", "admin", "ubuntu", "oracle", "test", "user", "pi", ""}
	passwords := []string{"123456", "password", "admin", "root", "qwerty", "letmein", "P@ssw0rd"}
	agents := []string{"curl/8.5.0", "Mozilla/5.0 zgrab/0.x", "python-requests/2.31", "Nuclei", "masscan/1.3"}
	recs := make([]model.IngestRecord, benchBatchSize)
	for i := range recs {
		ip := src.ip()
		svc := services[rng.IntN(len(services))]
		typ := types[rng.IntN(len(types))]
		decky := src.decky()
		at := ts.Add(time.Duration(i) * time.Millisecond)
		fields := map[string]string{"src_ip": ip, "src_port": fmt.Sprint(1024 + rng.IntN(60000)), "dst_port": "22"}
		if typ == "command" {
			fields["command"] = "cat /etc/passwd; uname -a"
		}
		r := model.IngestRecord{Log: model.LogEntry{
			EventID: uuid.Must(uuid.NewV7()).String(), Timestamp: at, Decky: decky, Service: svc, EventType: typ,
			AttackerIP: ip, SessionID: fmt.Sprintf("%s-%d", decky, rng.IntN(1000)),
			RawLine: fmt.Sprintf(`<37>1 %s %s %s - %s [relay@55555 src_ip="%s" src_port="%s"] %s event`,
				at.Format(time.RFC3339Nano), decky, svc, typ, ip, fields["src_port"], typ),
			Fields: fields, Msg: typ + " from " + ip,
		}}
		switch p := rng.IntN(10); {
		case p == 0:
			user, pw := users[rng.IntN(len(users))], passwords[rng.IntN(len(passwords))]
			r.Credential = &model.Credential{
				Principal: user, SecretKind: "plaintext", SecretSHA256: fmt.Sprintf("%064x", pw),
				SecretB64: pw, SecretPrintable: pw, Outcome: model.OutcomeFailure,
				Fields: map[string]string{"username": user, "method": "password"},
			}
		case p <= 2:
			payload, _ := json.Marshal(map[string]any{
				"fingerprint_type": "http_useragent", "value": agents[rng.IntN(len(agents))],
				"category": "scanner", "method": "GET", "path": "/",
			})
			r.Bounties = []model.Bounty{{BountyType: model.BountyFingerprint, Payload: payload}}
		}
		recs[i] = r
	}
	return recs
}

// BenchmarkCommitBatch commits 500-record batches into a growing table and
// reports committed log rows per second. The skewed variant models real
// traffic; the uniform one spreads every batch over 1 000 attackers and 20
// deckies, the worst case for index locality.
func BenchmarkCommitBatch(b *testing.B) {
	for _, d := range allDialects {
		for _, spread := range []string{"skewed", "uniform"} {
			b.Run(d+"/"+spread, func(b *testing.B) { benchCommit(b, d, spread == "uniform") })
		}
	}
}

func benchCommit(b *testing.B, d string, uniform bool) {
	s := openStore(b, d, Options{})
	src := newBenchSources(1, uniform)
	ts := t0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := benchBatch(src, ts)
		ts = ts.Add(time.Second)
		b.StartTimer()
		res, err := s.CommitBatch(b.Context(), batch)
		if err != nil {
			b.Fatal(err)
		}
		if res.LogsInserted != benchBatchSize {
			b.Fatalf("inserted %d of %d", res.LogsInserted, benchBatchSize)
		}
	}
	b.ReportMetric(float64(b.N*benchBatchSize)/b.Elapsed().Seconds(), "rows/s")
}
