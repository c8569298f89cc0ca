package profiler

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Worker defaults.
const (
	// DefaultFlushInterval is how long folded events wait before their
	// attackers rows are written; one write then covers every event of a
	// burst.
	DefaultFlushInterval = time.Second
	// DefaultFetchBatch is how many events one fetch takes.
	DefaultFetchBatch = 500
	// DefaultMaxPending flushes early when this many events are folded
	// but unwritten, bounding redelivery after a crash.
	DefaultMaxPending = 20_000
	// DefaultMaxResident bounds the addresses whose state stays in
	// memory between flushes; colder ones are reloaded from the database.
	DefaultMaxResident = 20_000
	// DefaultMaxResidentBytes bounds the same by size (measured as the
	// stored state's JSON): an address's command list alone may reach
	// MaxCommands × MaxCommandLen, so a count alone does not bound memory.
	DefaultMaxResidentBytes = 256 << 20
	// recountFor is how long after an address's last event its counts are
	// re-read while the ingester lags behind the profiler.
	recountFor = 5 * time.Minute
	// publishTimeout bounds one notification.
	publishTimeout = 2 * time.Second
	// maxBackoff caps the pause after a failed fetch or flush.
	maxBackoff = 10 * time.Second
)

// CorrelatorDecky and CorrelatorService name the traversal_detected events
// the worker emits (the original's decnet-correlator lines). Filed under the
// attacker's address like the prober's, they come back on the stream and
// count as internal events: event_count then matches the address's logs
// rows, and the decky prefix keeps them out of everything else.
const (
	CorrelatorDecky   = "decnet-correlator"
	CorrelatorService = "correlator"
	EventTraversal    = "traversal_detected"
)

// DurableName is the profiler's durable consumer on events.>.
const DurableName = "profiler"

// EventSource is the durable consumer the worker reads; *bus.EventConsumer
// implements it.
type EventSource interface {
	Fetch(ctx context.Context, max int, maxWait time.Duration) (*bus.EventBatch, error)
}

// Publisher sends notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// Enrichment is what an optional GeoIP/ASN lookup knows about an address.
type Enrichment struct {
	CountryCode   string
	CountrySource string
	ASN           int64
	ASName        string
	BGPPrefix     string
	ASNSource     string
}

// WorkerOptions configures NewWorker. Source and Repo are required.
type WorkerOptions struct {
	Source EventSource
	Repo   store.ProfilerRepository
	// Publisher receives attacker.observed and attacker.scored; nil
	// publishes nothing.
	Publisher Publisher
	// Emit sends the traversal_detected events (to the bus and the event
	// log file); nil emits none.
	Emit func(model.Event)
	// Enrich looks an address up in the operator's GeoIP/ASN databases;
	// nil leaves those columns empty.
	Enrich func(ip string) Enrichment
	// IngestFloor reports the stream sequence up to which the ingester has
	// committed events. Bounty and credential counts come from the rows
	// the ingester writes, so an address flushed ahead of it is recounted
	// on later flushes until the ingester catches up. nil: counts are as
	// of each flush.
	IngestFloor   func(ctx context.Context) (uint64, error)
	FlushInterval time.Duration
	FetchBatch    int
	MaxPending    int
	MaxResident   int
	// MaxResidentBytes bounds the resident state by its stored size.
	MaxResidentBytes int
	Logger           *slog.Logger
	Now              func() time.Time
}

// Worker is the profiler worker: it folds every event into its source
// address's Accumulator and keeps the attackers and attacker_behavior rows
// current. It is not safe for concurrent use, and one per deployment must
// run at a time (the app holds a bus lease for it): two would split an
// address's events and overwrite each other's state.
type Worker struct {
	o   WorkerOptions
	log *slog.Logger
	ips map[string]*entry
	// bytes is the sum of the resident entries' sizes.
	bytes int
	stat  WorkerStats
}

// WorkerStats counts what the worker did, for health reports and tests.
type WorkerStats struct {
	Events      uint64 `json:"events"`
	Skipped     uint64 `json:"skipped"`
	Flushes     uint64 `json:"flushes"`
	RowsWritten uint64 `json:"rows_written"`
	Failures    uint64 `json:"failures"`
}

// persisted is an address's state as stored in profiler_state.
type persisted struct {
	Acc Accumulator `json:"acc"`
	// First is the address's first event, for attacker.observed.
	First firstSight `json:"first"`
	// TraversalReported is the decky count of the last traversal_detected
	// event, so each newly reached decky is reported once.
	TraversalReported int `json:"traversal_reported,omitempty"`
}

type firstSight struct {
	Decky     string    `json:"decky"`
	Service   string    `json:"service"`
	EventType string    `json:"event_type"`
	TS        time.Time `json:"ts"`
}

// entry is one resident address.
type entry struct {
	st persisted
	// last is the stream ordinal (bus.EventPos.Ordinal) of the newest
	// event folded in: a redelivered event is at or below it.
	last uint64
	// dirty marks state not yet written; recountUntil keeps re-writing
	// the row while the ingester lags.
	dirty        bool
	recountUntil time.Time
	touched      time.Time
	// size is the length of the state's JSON when last stored or loaded.
	size   int
	scored scoredPayload
}

// scoredPayload is attacker.scored.
type scoredPayload struct {
	AttackerIP      string `json:"attacker_ip"`
	AttackerUUID    string `json:"attacker_uuid"`
	EventCount      int    `json:"event_count"`
	ServiceCount    int    `json:"service_count"`
	DeckyCount      int    `json:"decky_count"`
	BountyCount     int64  `json:"bounty_count"`
	CredentialCount int64  `json:"credential_count"`
	IsTraversal     bool   `json:"is_traversal"`
	BehaviorClass   string `json:"behavior_class"`
}

// observedPayload is attacker.observed.
type observedPayload struct {
	AttackerIP   string    `json:"attacker_ip"`
	AttackerUUID string    `json:"attacker_uuid"`
	Decky        string    `json:"decky"`
	Service      string    `json:"service"`
	EventType    string    `json:"event_type"`
	FirstSeen    time.Time `json:"first_seen"`
}

// NewWorker returns a worker with o's defaults filled in.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Source == nil || o.Repo == nil {
		return nil, errors.New("profiler: worker needs an event source and a repository")
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.FetchBatch <= 0 {
		o.FetchBatch = DefaultFetchBatch
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.MaxResident <= 0 {
		o.MaxResident = DefaultMaxResident
	}
	if o.MaxResidentBytes <= 0 {
		o.MaxResidentBytes = DefaultMaxResidentBytes
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Worker{o: o, log: o.Logger, ips: make(map[string]*entry)}, nil
}

// Stats returns the worker's counters. Call it from the Run goroutine or
// after Run returned.
func (w *Worker) Stats() WorkerStats { return w.stat }

// Run folds and flushes until ctx ends, then writes what it holds and acks
// it. Events are acked only after the rows covering them are committed, so
// a crash redelivers them, and the per-address sequence in profiler_state
// keeps a redelivered event from counting twice.
//
// Run starts from the stored state: when it runs again after losing its
// lease to another process, that process may have written newer state.
func (w *Worker) Run(ctx context.Context) {
	w.ips, w.bytes = make(map[string]*entry), 0
	var pending []*bus.EventBatch
	pendingN := 0
	lastFlush := w.o.Now()
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			sleep(ctx, backoff)
		}
		wait := max(w.o.FlushInterval-w.o.Now().Sub(lastFlush), 10*time.Millisecond)
		eb, err := w.o.Source.Fetch(ctx, w.o.FetchBatch, wait)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("profiler: fetch failed; retrying", "err", err)
			backoff = nextBackoff(backoff)
			continue
		}
		if err := w.fold(ctx, eb); err != nil {
			w.log.Warn("profiler: loading attacker state failed; the events will be redelivered", "err", err)
			w.stat.Failures++
			eb.Nak()
			backoff = nextBackoff(backoff)
			continue
		}
		pending = append(pending, eb)
		pendingN += len(eb.Events())
		if w.o.Now().Sub(lastFlush) < w.o.FlushInterval && pendingN < w.o.MaxPending {
			continue
		}
		lastFlush = w.o.Now()
		if err := w.flush(ctx); err != nil {
			if ctx.Err() != nil {
				break
			}
			w.log.Warn("profiler: writing attacker rows failed; the events will be redelivered", "err", err)
			w.stat.Failures++
			w.abandon(pending)
			pending, pendingN = nil, 0
			backoff = nextBackoff(backoff)
			continue
		}
		backoff = 0
		ackAll(ctx, w.log, pending)
		pending, pendingN = nil, 0
	}
	// Write what is folded before stopping, on a context of its own: the
	// run's is already cancelled.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := w.flush(sctx); err != nil {
		w.log.Warn("profiler: final write failed; the events will be redelivered", "err", err)
		w.abandon(pending)
		return
	}
	ackAll(sctx, w.log, pending)
}

// abandon naks batches whose folded state was not written and forgets that
// state, which the next sight of each address reloads from the database.
func (w *Worker) abandon(pending []*bus.EventBatch) {
	for _, eb := range pending {
		eb.Nak()
	}
	for ip, e := range w.ips {
		if e.dirty {
			w.bytes -= e.size
			delete(w.ips, ip)
		}
	}
}

func ackAll(ctx context.Context, log *slog.Logger, batches []*bus.EventBatch) {
	for _, eb := range batches {
		if err := eb.Ack(ctx); err != nil {
			// The rows are written; a redelivery is skipped by sequence.
			log.Warn("profiler: ack failed; the events will be redelivered and skipped", "err", err)
		}
	}
}

// AttackerIP is the address an event is filed under, as the ingester files
// its rows: the source address, or the probed host for prober events that
// carry none. ok is false for events without an attacker.
func AttackerIP(e model.Event) (ip string, ok bool) {
	ip = e.SrcIP
	if (ip == "" || ip == model.UnknownIP) && e.Service == "prober" {
		ip = e.Fields["target_ip"]
	}
	if ip == "" || ip == model.UnknownIP || len(ip) > 64 {
		return "", false
	}
	return ip, true
}

// fold loads the state of the batch's new addresses, then folds every event
// not already folded.
func (w *Worker) fold(ctx context.Context, eb *bus.EventBatch) error {
	evs, pos := eb.Events(), eb.Positions()
	var missing []string
	for _, e := range evs {
		if ip, ok := AttackerIP(e); ok && w.ips[ip] == nil && !slices.Contains(missing, ip) {
			missing = append(missing, ip)
		}
	}
	if len(missing) > 0 {
		states, err := w.o.Repo.LoadProfileStates(ctx, missing)
		if err != nil {
			return err
		}
		for _, ip := range missing {
			e := &entry{st: persisted{Acc: Accumulator{IP: ip}}}
			if s, ok := states[ip]; ok {
				if err := json.Unmarshal(s.State, &e.st); err != nil {
					// A state this version cannot read is rebuilt from
					// here on rather than blocking the address forever.
					w.log.Warn("profiler: stored state unreadable; starting this address afresh", "ip", ip, "err", err)
					e.st = persisted{Acc: Accumulator{IP: ip}}
				}
				e.last, e.size = s.LastSeq, len(s.State)
			}
			w.ips[ip] = e
			w.bytes += e.size
		}
	}
	now := w.o.Now()
	for i, ev := range evs {
		ip, ok := AttackerIP(ev)
		if !ok {
			w.stat.Skipped++
			continue
		}
		e := w.ips[ip]
		ord := pos[i].Ordinal()
		if ord != 0 && ord <= e.last {
			w.stat.Skipped++
			continue
		}
		if e.st.Acc.EventCount == 0 {
			e.st.First = firstSight{Decky: clip(ev.Decky), Service: clip(ev.Service), EventType: clip(ev.EventType), TS: ev.TS}
		}
		e.st.Acc.Add(ev)
		e.last = max(e.last, ord)
		e.dirty, e.touched = true, now
		w.stat.Events++
	}
	return nil
}

// flushItem is one dirty address of a flush.
type flushItem struct {
	ip        string
	e         *entry
	p         Profile
	traversal *TraversalDetected
}

// flush writes every dirty address, then publishes what changed.
func (w *Worker) flush(ctx context.Context) error {
	var items []flushItem
	now := w.o.Now()
	for _, ip := range slices.Sorted(maps.Keys(w.ips)) {
		e := w.ips[ip]
		if !e.dirty {
			continue
		}
		p := e.st.Acc.Profile()
		var trav *TraversalDetected
		if p.Traversal != nil && p.DeckyCount > e.st.TraversalReported {
			trav = p.Traversal
		}
		items = append(items, flushItem{ip: ip, e: e, p: p, traversal: trav})
	}
	if len(items) == 0 {
		w.evict()
		return nil
	}
	writes := make([]store.ProfileWrite, len(items))
	for i, it := range items {
		st := it.e.st
		if it.traversal != nil {
			st.TraversalReported = it.p.DeckyCount
		}
		raw, err := json.Marshal(st)
		if err != nil {
			return err
		}
		w.bytes += len(raw) - it.e.size
		it.e.size = len(raw)
		beh, err := it.p.BehaviorRow("", now)
		if err != nil {
			return err
		}
		writes[i] = store.ProfileWrite{
			Attacker: w.attackerRow(it.p, now),
			Behavior: beh,
			State:    store.ProfileState{State: raw, LastSeq: it.e.last},
		}
	}
	saved, err := w.o.Repo.SaveProfiles(ctx, writes)
	if err != nil {
		return err
	}
	w.stat.Flushes++
	w.stat.RowsWritten += uint64(len(saved))
	floor, floorKnown := w.ingestFloor(ctx)
	for i, it := range items {
		e, s := it.e, saved[i]
		e.dirty = false
		if it.traversal != nil {
			e.st.TraversalReported = it.p.DeckyCount
			w.emitTraversal(it.traversal, now)
		}
		if floorKnown && floor < bus.OrdinalSeq(e.last) && now.Sub(e.touched) < recountFor {
			e.dirty = true // counts may miss rows the ingester has yet to write
		}
		if s.Created {
			w.publish(ctx, bus.AttackerObserved, "observed", observedPayload{
				AttackerIP: it.ip, AttackerUUID: s.UUID, Decky: e.st.First.Decky, Service: e.st.First.Service,
				EventType: e.st.First.EventType, FirstSeen: e.st.First.TS.UTC(),
			})
		}
		sc := scoredPayload{
			AttackerIP: it.ip, AttackerUUID: s.UUID, EventCount: it.p.EventCount, ServiceCount: it.p.ServiceCount,
			DeckyCount: it.p.DeckyCount, BountyCount: s.BountyCount, CredentialCount: s.CredentialCount,
			IsTraversal: it.p.IsTraversal, BehaviorClass: string(it.p.Behavior.BehaviorClass),
		}
		if sc != e.scored {
			e.scored = sc
			w.publish(ctx, bus.AttackerScored, "scored", sc)
		}
	}
	w.evict()
	return nil
}

// attackerRow renders the attackers row of p.
func (w *Worker) attackerRow(p Profile, now time.Time) model.Attacker {
	cmds := make([]model.CommandEntry, len(p.Commands))
	for i, c := range p.Commands {
		cmds[i] = model.CommandEntry(c)
	}
	a := model.Attacker{
		IP: p.IP, FirstSeen: p.FirstSeen, LastSeen: p.LastSeen, EventCount: int64(p.EventCount),
		ServiceCount: p.ServiceCount, DeckyCount: p.DeckyCount, Services: p.Services, Deckies: p.Deckies,
		TraversalPath: p.TraversalPath, IsTraversal: p.IsTraversal, Fingerprints: p.Fingerprints,
		Commands: cmds, UpdatedAt: now,
	}
	if w.o.Enrich != nil {
		en := w.o.Enrich(p.IP)
		a.CountryCode, a.CountrySource, a.ASN, a.ASName = en.CountryCode, en.CountrySource, en.ASN, en.ASName
		a.BGPPrefix, a.ASNSource = en.BGPPrefix, en.ASNSource
	}
	return a
}

// ingestFloor asks how far the ingester got; unknown when it is not
// configured, has no consumer, or cannot be asked.
func (w *Worker) ingestFloor(ctx context.Context) (uint64, bool) {
	if w.o.IngestFloor == nil {
		return 0, false
	}
	f, err := w.o.IngestFloor(ctx)
	if err != nil {
		if !errors.Is(err, bus.ErrNoConsumer) {
			w.log.Debug("profiler: ingest progress unknown", "err", err)
		}
		return 0, false
	}
	return f, true
}

func (w *Worker) publish(ctx context.Context, topic, typ string, payload any) {
	if w.o.Publisher == nil {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	if err := w.o.Publisher.Publish(pctx, topic, typ, payload); err != nil {
		w.log.Warn("profiler: publish failed", "topic", topic, "err", err)
	}
}

// emitTraversal sends a traversal_detected event: the SIEM-facing line of
// pipeline.md §3.8, through the event stream (so it is stored and written
// to the event log file like every event).
func (w *Worker) emitTraversal(t *TraversalDetected, now time.Time) {
	if w.o.Emit == nil {
		return
	}
	w.o.Emit(model.Event{
		TS: now.UTC(), SrcIP: t.AttackerIP, EventType: EventTraversal,
		Fields: map[string]string{
			"attacker_ip": t.AttackerIP,
			"decky_count": strconv.Itoa(t.DeckyCount),
			"deckies":     strings.Join(t.Deckies, ","),
			"path":        strings.Join(t.Deckies, TraversalPathSep),
			"first_seen":  t.FirstSeen.UTC().Format(time.RFC3339Nano),
			"last_seen":   t.LastSeen.UTC().Format(time.RFC3339Nano),
			"hop_count":   strconv.Itoa(t.HopCount),
			"duration_s":  strconv.FormatFloat(t.DurationS, 'f', -1, 64),
		},
		Msg: "traversal: " + t.AttackerIP + " reached " + strconv.Itoa(t.DeckyCount) + " deckies",
	})
}

// evict forgets the least recently touched clean addresses while more
// than MaxResident are resident or they take more than MaxResidentBytes;
// their state is in the database.
func (w *Worker) evict() {
	if len(w.ips) <= w.o.MaxResident && w.bytes <= w.o.MaxResidentBytes {
		return
	}
	type cand struct {
		ip string
		t  time.Time
	}
	var cs []cand
	for ip, e := range w.ips {
		if !e.dirty {
			cs = append(cs, cand{ip, e.touched})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return a.t.Compare(b.t) })
	for _, c := range cs {
		if len(w.ips) <= w.o.MaxResident && w.bytes <= w.o.MaxResidentBytes {
			return
		}
		w.bytes -= w.ips[c.ip].size
		delete(w.ips, c.ip)
	}
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 100 * time.Millisecond
	}
	return min(2*d, maxBackoff)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
