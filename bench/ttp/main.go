// Command ttp measures decnet's ATT&CK tagging path: tag inserts per second
// into SQLite (batches of 500, and one tag per transaction as a same-run
// baseline), and the latency from a command event being published to the
// ttp.tagged notification announcing its tag, through the embedded bus and
// the worker of decnet up. It prints Markdown tables.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store/sqlstore"
	"github.com/decnet/decnet/internal/ttp"
	"github.com/decnet/decnet/internal/ttp/attack"
)

func main() {
	app.TuneRuntime()
	tags := flag.Int("tags", 100_000, "tags to insert")
	events := flag.Int("events", 2_000, "command events for the latency run")
	rate := flag.Int("rate", 200, "command events per second in the latency run")
	flag.Parse()
	if err := run(*tags, *events, *rate); err != nil {
		fmt.Fprintln(os.Stderr, "bench ttp:", err)
		os.Exit(1)
	}
}

func run(nTags, nEvents, rate int) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "decnet-bench-ttp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	s, err := sqlstore.Open(ctx, sqlstore.Options{Dialect: sqlstore.DialectSQLite, DSN: filepath.Join(dir, "decnet.db")})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	attackers := make([]string, 100)
	for i := range attackers {
		a, err := s.UpsertAttacker(ctx, model.Attacker{IP: fmt.Sprintf("198.18.0.%d", i+1)})
		if err != nil {
			return err
		}
		attackers[i] = a.UUID
	}
	fmt.Printf("ttp benchmark: %d tags, %d events at %d/s, %s\n\n", nTags, nEvents, rate,
		time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| what | count | seconds | per second |")
	fmt.Println("|---|---:|---:|---:|")
	for _, batch := range []int{500, 1} {
		n := nTags
		if batch == 1 {
			n = min(nTags, 5_000) // the baseline is slow; a sample is enough
		}
		el, err := insertTags(ctx, s, attackers, n, batch, fmt.Sprintf("b%d", batch))
		if err != nil {
			return err
		}
		fmt.Printf("| tag insert, %d per transaction | %d | %.2f | %.0f |\n", batch, n, el.Seconds(), float64(n)/el.Seconds())
	}
	return latency(ctx, s, dir, nEvents, rate)
}

// insertTags stores n distinct tags in batches of batch.
func insertTags(ctx context.Context, s *sqlstore.Store, attackers []string, n, batch int, salt string) (time.Duration, error) {
	ev := json.RawMessage(`{"command_text":"cat /etc/passwd"}`)
	all := make([]model.TTPTag, n)
	for i := range all {
		src := fmt.Sprintf("%s-%d", salt, i)
		all[i] = model.TTPTag{UUID: ttp.TagUUID("command", src, "R0013", 1, "T1083", ""), SourceKind: "command",
			SourceID: src, AttackerUUID: attackers[i%len(attackers)], Tactic: "TA0007", TechniqueID: "T1083",
			Confidence: 0.85, RuleID: "R0013", RuleVersion: 1, Evidence: ev, AttackRelease: "v18.1"}
	}
	start := time.Now()
	for i := 0; i < n; i += batch {
		if _, err := s.InsertTTPTags(ctx, all[i:min(i+batch, n)]); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// latency publishes paced command events and times each until the
// ttp.tagged notification naming its tag.
func latency(ctx context.Context, s *sqlstore.Store, dir string, n, rate int) error {
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(dir, "nats"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer b.Close()
	stack, err := ttp.NewStack(ctx, ttp.StackOptions{States: s, Catalog: attack.Builtin()})
	if err != nil {
		return err
	}
	defer stack.Close()
	w, err := ttp.NewWorker(ttp.WorkerOptions{Tagger: stack.Tagger, Tags: s, Attackers: s, Sources: s, Publisher: b})
	if err != nil {
		return err
	}
	cons, err := b.EventConsumer(ctx, ttp.DurableName)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go w.RunStream(rctx, cons)

	var mu sync.Mutex
	sent := map[string]time.Time{}
	var lat []time.Duration
	done := make(chan struct{})
	sub, err := b.Subscribe(bus.TTPTagged, "", func(env bus.Envelope) {
		now := time.Now()
		var p struct {
			TagUUIDs []string `json:"tag_uuids"`
		}
		if json.Unmarshal(env.Payload, &p) != nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range p.TagUUIDs {
			if t, ok := sent[id]; ok {
				lat = append(lat, now.Sub(t))
				delete(sent, id)
			}
		}
		if len(lat) == n {
			close(done)
		}
	})
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	for i := range n {
		<-tick.C
		e := model.Event{ID: uuid.NewString(), TS: time.Now(), Decky: "decky-01", Service: "ssh", EventType: "command",
			SrcIP: fmt.Sprintf("198.18.0.%d", i%100+1), Fields: map[string]string{"command": "cat /etc/passwd"}}
		mu.Lock()
		sent[ttp.TagUUID("command", e.ID, "R0013", 1, "T1083", "")] = time.Now()
		mu.Unlock()
		if err := b.PublishEvent(ctx, e); err != nil {
			return err
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("only %d of %d events were announced within 30 s", len(lat), n)
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("\n| command event → ttp.tagged | events | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
	fmt.Printf("| embedded bus, SQLite, %d/s | %d | %s | %s | %s | %s |\n", rate, len(lat),
		q(0.50).Round(time.Microsecond), q(0.95).Round(time.Microsecond), q(0.99).Round(time.Microsecond),
		lat[len(lat)-1].Round(time.Microsecond))
	return nil
}
