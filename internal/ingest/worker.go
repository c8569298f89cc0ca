package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/recent"
	"github.com/decnet/decnet/internal/store"
)

// Batch is a set of events fetched from a durable consumer. Ack confirms
// them so they are never redelivered; Nak asks for redelivery.
type Batch interface {
	Events() []model.Event
	Ack(ctx context.Context) error
	Nak() error
}

// Source hands out batches of events: at most max events, waiting at most
// maxWait for the first. A nil batch (or one with no events) means nothing
// arrived in time.
type Source interface {
	Fetch(ctx context.Context, max int, maxWait time.Duration) (Batch, error)
}

// Publisher sends a notification on the bus. Notifications are advisory:
// consumers also poll the database, so a lost one delays, never loses, work.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// Bus topics the worker publishes on.
const (
	topicCredentialCaptured = bus.CredentialCaptured
	topicSystemLog          = bus.SystemLog
)

// Defaults for Options.
const (
	// DefaultBatchSize events per transaction amortises the commit without
	// holding the SQLite write lock for long.
	DefaultBatchSize = 500
	// DefaultGroupBatches is how many fetched batches, already waiting, one
	// transaction may take. Under a backlog a larger transaction costs less
	// per event: a secondary index row lands next to the last one of its
	// attacker, so a transaction dirties about one index page per attacker
	// it touches, however many of that attacker's events it holds.
	DefaultGroupBatches = 8
	// DefaultMaxWait bounds how stale a quiet decoy's events can get.
	DefaultMaxWait = 250 * time.Millisecond
	// DefaultRetryMin is the first pause after a failed commit.
	DefaultRetryMin = 250 * time.Millisecond
	// DefaultRetryMax caps the pause, so a recovered database is noticed
	// within seconds.
	DefaultRetryMax = 5 * time.Second
	// DefaultGrace is how long shutdown waits for the batch in hand.
	DefaultGrace = 5 * time.Second
)

// publishTimeout bounds one notification so a stuck bus cannot stall
// ingestion behind it.
const publishTimeout = 2 * time.Second

// logEvery is the minimum gap between repeated warnings of one kind, so a
// dead bus or database produces a trickle of log lines, not a flood.
const logEvery = 10 * time.Second

// Options configures a Worker. Source and Repo are required.
type Options struct {
	// Source is the durable consumer events come from.
	Source Source
	// Repo commits derived rows; it must skip event ids it already holds.
	Repo store.IngestRepository
	// Publisher receives credential.captured and system.log notifications;
	// nil disables them.
	Publisher Publisher
	// BatchSize is the most events fetched at once, and committed in one
	// transaction while the worker keeps up; with a backlog, up to
	// GroupBatches fetched batches share a transaction.
	BatchSize int
	// GroupBatches caps the batches one transaction takes under a backlog
	// (default DefaultGroupBatches; 1 commits every batch on its own).
	GroupBatches int
	// MaxWait is how long a fetch waits for events before returning short.
	MaxWait time.Duration
	// Derive configures row extraction (trusted proxies, raw-line format).
	Derive DeriveOptions
	// Logger receives rate-limited warnings; nil discards them.
	Logger *slog.Logger
	// Now stamps commits and events that arrive without a timestamp; it is
	// a seam for tests and defaults to time.Now.
	Now func() time.Time
	// RetryMin and RetryMax bound the exponential backoff between attempts
	// to commit a batch while the database is failing.
	RetryMin, RetryMax time.Duration
	// Grace is how long shutdown waits for the batch in hand to commit.
	Grace time.Duration
}

func (o *Options) withDefaults() error {
	if o.Source == nil {
		return errors.New("ingest: options: source is required")
	}
	if o.Repo == nil {
		return errors.New("ingest: options: repository is required")
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.GroupBatches <= 0 {
		o.GroupBatches = DefaultGroupBatches
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultRetryMin
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Worker states reported by Status.
const (
	// StateStarting is a worker whose Run has not begun.
	StateStarting = "starting"
	// StateRunning is a worker fetching and committing normally.
	StateRunning = "running"
	// StatePaused is a worker retrying a failing database or bus; nothing
	// is acknowledged meanwhile, so nothing is lost.
	StatePaused = "paused"
	// StateStopped is a worker whose Run has returned.
	StateStopped = "stopped"
)

// Status is a snapshot of the worker for health checks.
type Status struct {
	// State is StateStarting, StateRunning, StatePaused (retrying a failing
	// database or bus) or StateStopped.
	State string `json:"state"`
	// LastCommit is when a batch last committed.
	LastCommit time.Time `json:"last_commit"`
	// LastError is the most recent fetch or commit failure, kept after
	// recovery so a health check can still say what went wrong.
	LastError string `json:"last_error,omitempty"`
	// Committed counts logs rows written; Duplicates counts redelivered
	// events the repository already held.
	Committed  uint64 `json:"committed"`
	Duplicates uint64 `json:"duplicates"`
	// Dropped counts events discarded before commit because they had no
	// event id, the key that makes redelivery harmless.
	Dropped uint64 `json:"dropped"`
}

// CredentialCapturedPayload is the payload of credential.captured
// notifications, one per credential attempt a batch wrote.
type CredentialCapturedPayload struct {
	SecretSHA256 string `json:"secret_sha256"`
	SecretKind   string `json:"secret_kind"`
	AttackerIP   string `json:"attacker_ip"`
	Decky        string `json:"decky"`
	Service      string `json:"service"`
}

// BatchCommittedPayload is the payload of the system.log batch_committed
// notification sent after each non-empty committed batch.
type BatchCommittedPayload struct {
	Component  string `json:"component"`
	Flushed    int    `json:"flushed"`
	Duplicates int    `json:"duplicates"`
}

// announcedKeys bounds the memory of credential combinations already
// announced on credential.captured (2× this many keys at most).
const announcedKeys = 64 << 10

// Worker moves events from a Source into the database.
type Worker struct {
	o       Options
	running atomic.Bool
	// announced holds recently announced credential combinations.
	announced *recent.Set

	mu sync.Mutex // guards st
	st Status

	// Each limiter is touched by one goroutine only: warnFetch and warnDrop
	// by the fetcher, warnCommit by Run's, warnAck and warnPublish by the
	// acknowledger.
	warnCommit, warnFetch, warnPublish, warnAck, warnDrop rateLimit
}

// New validates o, fills its defaults and returns a worker ready to Run.
func New(o Options) (*Worker, error) {
	if err := o.withDefaults(); err != nil {
		return nil, err
	}
	return &Worker{o: o, st: Status{State: StateStarting}, announced: recent.New(announcedKeys)}, nil
}

// Status returns a snapshot of the worker's state; safe for concurrent use.
func (w *Worker) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.st
}

func (w *Worker) setState(s string) {
	w.mu.Lock()
	w.st.State = s
	w.mu.Unlock()
}

func (w *Worker) setError(s string, err error) {
	w.mu.Lock()
	w.st.State = s
	w.st.LastError = err.Error()
	w.mu.Unlock()
}

// Run ingests until ctx ends. It returns nil after a clean shutdown, and an
// error when shutdown had to hand back a batch it could not commit (the
// batch is nak'd, so it is redelivered, not lost).
func (w *Worker) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("ingest: worker is already running")
	}
	defer w.running.Store(false)
	defer w.setState(StateStopped)

	// drain outlives ctx by the grace period, so the batch in hand when
	// shutdown starts can still be committed and acknowledged.
	drain, cancelDrain := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelDrain()
	stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(w.o.Grace, cancelDrain) })
	defer stopGrace()

	w.setState(StateRunning)
	// Fetching and deriving the next batches overlaps with committing the
	// current ones: the bus and the database then use both cores instead of
	// taking turns. While a commit runs, up to GroupBatches batches queue
	// up for the next one; with the batch being fetched and the ones
	// committing, that stays well under the consumer's max-ack-pending.
	ready := make(chan preparedBatch, w.o.GroupBatches)
	go w.fetchLoop(ctx, ready)
	// Acknowledging and announcing a committed batch runs beside the next
	// commit too; the committed rows are durable, so neither blocks it.
	committed := make(chan committedBatch, 2)
	ackDone := make(chan struct{})
	go func() {
		defer close(ackDone)
		for c := range committed {
			w.acknowledge(drain, c)
		}
	}()
	defer func() {
		close(committed)
		<-ackDone
	}()
	for p := range ready {
		group := takeWaiting(ready, []preparedBatch{p}, w.o.GroupBatches)
		res, err := w.handle(ctx, drain, group)
		if err != nil {
			for rest := range ready {
				w.nak(rest.b)
			}
			return err
		}
		c := committedBatch{res: res}
		for _, g := range group {
			c.bs = append(c.bs, g.b)
			c.announce = c.announce || len(g.recs) > 0
		}
		committed <- c
	}
	return nil
}

// takeWaiting appends to group the batches already waiting in ready, up to
// limit in all, without waiting for more.
func takeWaiting(ready <-chan preparedBatch, group []preparedBatch, limit int) []preparedBatch {
	for len(group) < limit {
		select {
		case p, ok := <-ready:
			if !ok {
				return group
			}
			group = append(group, p)
		default:
			return group
		}
	}
	return group
}

// committedBatch is a group of batches whose rows are durable, waiting for
// their acks.
type committedBatch struct {
	bs       []Batch
	res      model.IngestResult
	announce bool
}

// preparedBatch is a fetched batch with its derived records and, when the
// repository can encode ahead of its transaction, their encoded form.
type preparedBatch struct {
	b    Batch
	recs []model.IngestRecord
	enc  store.PreparedBatch
}

// fetchLoop fetches and derives batches until ctx ends, then closes ready.
// A batch fetched as shutdown starts is still handed over: the committer
// finishes it within the grace period.
func (w *Worker) fetchLoop(ctx context.Context, ready chan<- preparedBatch) {
	defer close(ready)
	backoff := w.o.RetryMin
	for ctx.Err() == nil {
		b, err := w.o.Source.Fetch(ctx, w.o.BatchSize, w.o.MaxWait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.setError(StatePaused, err)
			w.warnFetch.log(&w.o, "ingest: fetching events failed", "err", err)
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, w.o.RetryMax)
			continue
		}
		backoff = w.o.RetryMin
		if b == nil {
			w.setState(StateRunning)
			continue
		}
		p := preparedBatch{b: b, recs: w.deriveAll(b.Events())}
		if bp, ok := w.o.Repo.(store.BatchPreparer); ok && len(p.recs) > 0 {
			// A failure here leaves enc nil; commit then uses CommitBatch,
			// which reports the same error through the retry path.
			p.enc, _ = bp.PrepareBatch(p.recs)
		}
		ready <- p
	}
}

// deriveAll derives the records of a batch, dropping events without an id.
func (w *Worker) deriveAll(events []model.Event) []model.IngestRecord {
	recs := make([]model.IngestRecord, 0, len(events))
	dropped := 0
	for _, ev := range events {
		if ev.ID == "" {
			dropped++
			continue
		}
		if ev.TS.IsZero() {
			ev.TS = w.o.Now().UTC()
		}
		recs = append(recs, w.derive(ev))
	}
	if dropped > 0 {
		w.mu.Lock()
		w.st.Dropped += uint64(dropped)
		w.mu.Unlock()
		w.warnDrop.log(&w.o, "ingest: dropped events without an id", "count", dropped)
	}
	return recs
}

// handle commits a group of batches in one transaction; on failure
// (shutdown while the database is down) it naks them for redelivery.
func (w *Worker) handle(ctx, drain context.Context, group []preparedBatch) (model.IngestResult, error) {
	n := 0
	for _, p := range group {
		n += len(p.recs)
	}
	if n == 0 {
		return model.IngestResult{}, nil
	}
	res, err := w.commit(ctx, drain, group, n)
	if err != nil {
		for _, p := range group {
			w.nak(p.b)
		}
		return res, fmt.Errorf("ingest: %d events not committed before shutdown, handed back for redelivery: %w", n, err)
	}
	return res, nil
}

// acknowledge acks committed batches and publishes their notifications. A
// failed ack only means redelivery, which the repository absorbs as
// duplicates.
func (w *Worker) acknowledge(ctx context.Context, c committedBatch) {
	for _, b := range c.bs {
		if err := b.Ack(ctx); err != nil {
			w.warnAck.log(&w.o, "ingest: ack failed; the batch will be redelivered as duplicates", "err", err)
		}
	}
	if c.announce {
		w.announce(ctx, c.res)
	}
}

func (w *Worker) nak(b Batch) {
	if err := b.Nak(); err != nil {
		w.o.Logger.Warn("ingest: nak failed; the batch will be redelivered after its ack wait", "err", err)
	}
}

// derive is Derive behind a recover: Derive is fuzzed and meant to be
// total, but if a hostile event ever found a panic it must cost that event
// its bounties, not stop ingestion for everyone.
func (w *Worker) derive(ev model.Event) (rec model.IngestRecord) {
	defer func() {
		if r := recover(); r != nil {
			w.o.Logger.Error("ingest: derive panicked; storing the logs row only", "event_id", ev.ID, "panic", r)
			rec = Derive(model.Event{
				ID: ev.ID, TS: ev.TS, Decky: ev.Decky, Service: ev.Service, EventType: ev.EventType,
				SrcIP: ev.SrcIP, SessionID: ev.SessionID, Msg: ev.Msg, Raw: ev.Raw,
			}, DeriveOptions{})
			rec.Log.Fields = ev.Fields
		}
	}()
	return Derive(ev, w.o.Derive)
}

// commit writes the n records of group in one transaction, retrying with
// exponential backoff while the repository fails. It gives up only when ctx
// ends, returning the last error; attempts already in flight run on drain
// so shutdown can finish them.
func (w *Worker) commit(ctx, drain context.Context, group []preparedBatch, n int) (model.IngestResult, error) {
	backoff := w.o.RetryMin
	bp, _ := w.o.Repo.(store.BatchPreparer)
	var encs []store.PreparedBatch
	for _, p := range group {
		if p.enc == nil {
			encs = nil
			break
		}
		encs = append(encs, p.enc)
	}
	var recs []model.IngestRecord
	if encs == nil || bp == nil {
		recs = group[0].recs
		if len(group) > 1 {
			recs = make([]model.IngestRecord, 0, n)
			for _, p := range group {
				recs = append(recs, p.recs...)
			}
		}
	}
	for {
		var res model.IngestResult
		var err error
		if recs == nil {
			res, err = bp.CommitPrepared(drain, encs...)
		} else {
			res, err = w.o.Repo.CommitBatch(drain, recs)
		}
		if err == nil {
			w.mu.Lock()
			w.st.State = StateRunning
			w.st.LastCommit = w.o.Now()
			w.st.Committed += uint64(max(res.LogsInserted, 0))
			w.st.Duplicates += uint64(max(res.Duplicates, 0))
			w.mu.Unlock()
			return res, nil
		}
		w.setError(StatePaused, err)
		w.warnCommit.log(&w.o, "ingest: commit failed, retrying", "err", err, "events", n, "backoff", backoff)
		if ctx.Err() != nil || !sleepCtx(ctx, backoff) {
			return model.IngestResult{}, err
		}
		backoff = min(2*backoff, w.o.RetryMax)
	}
}

// announce publishes the notifications for a committed batch.
func (w *Worker) announce(ctx context.Context, res model.IngestResult) {
	if w.o.Publisher == nil {
		return
	}
	var key []byte
	for _, c := range res.Credentials {
		// credential.captured tells consumers that a (secret, attacker,
		// target) combination exists; another attempt with the same one
		// only bumps attempt_count, which they read from the database.
		key = append(key[:0], c.SecretSHA256...)
		for _, part := range [...]string{c.SecretKind, c.AttackerIP, c.DeckyName, c.Service} {
			key = append(append(key, 0), part...)
		}
		if w.announced.ContainsOrAdd(key) {
			continue
		}
		w.publish(ctx, topicCredentialCaptured, "captured", CredentialCapturedPayload{
			SecretSHA256: c.SecretSHA256,
			SecretKind:   c.SecretKind,
			AttackerIP:   c.AttackerIP,
			Decky:        c.DeckyName,
			Service:      c.Service,
		})
	}
	w.publish(ctx, topicSystemLog, "batch_committed", BatchCommittedPayload{
		Component:  "ingester",
		Flushed:    res.LogsInserted,
		Duplicates: res.Duplicates,
	})
}

func (w *Worker) publish(ctx context.Context, topic, typ string, payload any) {
	pctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if err := w.o.Publisher.Publish(pctx, topic, typ, payload); err != nil {
		w.warnPublish.log(&w.o, "ingest: publish failed", "topic", topic, "err", err)
	}
}

// sleepCtx waits d or until ctx ends; it reports whether the full wait
// elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// rateLimit lets one warning through per logEvery and counts the rest, so
// the next warning that passes says how many were suppressed.
type rateLimit struct {
	last       time.Time
	suppressed int
}

func (r *rateLimit) log(o *Options, msg string, args ...any) {
	now := o.Now()
	if !r.last.IsZero() && now.Sub(r.last) < logEvery {
		r.suppressed++
		return
	}
	if r.suppressed > 0 {
		args = append(args, "suppressed", r.suppressed)
	}
	r.last, r.suppressed = now, 0
	o.Logger.Warn(msg, args...)
}
