package bus

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decnet/decnet/internal/model"
)

// DefaultFetchBatch is the batch size Fetch uses when asked for max <= 0: the
// ingest worker commits this many rows per transaction.
const DefaultFetchBatch = 500

// minPacedFetch is the smallest short fetch that sets a FetchPace: below
// it the stream is a trickle (a few hundred events a second), where fetching
// costs little and waiting would only add latency.
const minPacedFetch = 32

// EventPublisher is the durable side of the bus, for services that emit
// attacker events and want to be tested without a server.
type EventPublisher interface {
	PublishEvent(ctx context.Context, ev model.Event) error
}

var _ EventPublisher = (*Bus)(nil)

// eventEnvelope is Envelope with the payload typed, so an event is encoded and
// decoded in one pass on the hot path.
type eventEnvelope struct {
	V       int          `json:"v"`
	ID      string       `json:"id"`
	Topic   string       `json:"topic"`
	Type    string       `json:"type"`
	TS      float64      `json:"ts"`
	Payload *model.Event `json:"payload"`
}

// encodeEvent returns the wire subject and envelope of ev. The envelope id
// is the event id, so a retried publish is byte-for-byte the same message.
func (b *Bus) encodeEvent(ev *model.Event) (wire string, data []byte, err error) {
	if ev.ID == "" {
		return "", nil, errors.New("bus: event has no id (the dedup and idempotency key)")
	}
	subj, err := EventSubject(ev.Decky, ev.Service)
	if err != nil {
		return "", nil, fmt.Errorf("bus: event %s: %w", ev.ID, err)
	}
	ts := ev.TS
	if ts.IsZero() {
		ts = time.Now()
	}
	data, err = marshalEventEnvelope(subj, epoch(ts), ev)
	if err != nil {
		return "", nil, fmt.Errorf("bus: event %s: encode: %w", ev.ID, err)
	}
	if len(data) > MaxMessageSize {
		return "", nil, fmt.Errorf("bus: event %s: %d bytes exceeds %d", ev.ID, len(data), MaxMessageSize)
	}
	return b.wire(subj), data, nil
}

// eventMsg builds the single-event JetStream message of ev.
func (b *Bus) eventMsg(ev *model.Event) (*nats.Msg, error) {
	wire, data, err := b.encodeEvent(ev)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(wire)
	m.Data = data
	// The server drops a second message with the same id inside the
	// duplicate window, so producer retries never store an event twice.
	m.Header.Set(jetstream.MsgIDHeader, ev.ID)
	return m, nil
}

// PublishEvent stores ev in the EVENTS stream on events.<decky>.<service> and
// waits for the server's ack (at most PublishTimeout). A repeat with the same
// ev.ID inside the duplicate window is acked but stored once.
func (b *Bus) PublishEvent(ctx context.Context, ev model.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bus: publish event %s panicked: %v", ev.ID, r)
		}
	}()
	if b.closed.Load() {
		return ErrClosed
	}
	m, err := b.eventMsg(&ev)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	if _, err := b.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("bus: publish event %s: %w", ev.ID, err)
	}
	return nil
}

// PublishEvents stores evs in the EVENTS stream as batch messages (runs of
// events with one subject, up to the batch bounds) and waits for each ack.
// On error, the events of the batches already acked are stored; publishing
// all of evs again is safe, as the batches repeat with the same ids.
func (b *Bus) PublishEvents(ctx context.Context, evs []model.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bus: publish events panicked: %v", r)
		}
	}()
	if b.closed.Load() {
		return ErrClosed
	}
	var batches []*pendingBatch
	var cur *pendingBatch
	for i := range evs {
		wire, data, err := b.encodeEvent(&evs[i])
		if err != nil {
			return err
		}
		if cur == nil || cur.subject != wire || !cur.fits(len(data)) {
			cur = newPendingBatch(wire, evs[i].ID, len(data))
			batches = append(batches, cur)
		}
		cur.append(data)
	}
	ctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	for _, pb := range batches {
		if _, err := b.js.PublishMsg(ctx, pb.msg()); err != nil {
			return fmt.Errorf("bus: publish batch of %d events from %s: %w", pb.n, pb.id, err)
		}
	}
	return nil
}

// PublishEventAsync queues ev for the EVENTS stream without waiting for its
// ack, for services and other bulk producers. Queued events are sent in
// batch messages (see batch.go). At most AsyncMaxPending events are
// unsettled; when that many are, it blocks up to PublishTimeout, then fails.
// Failures of queued events are reported by FlushAsync.
func (b *Bus) PublishEventAsync(ev model.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bus: publish event %s panicked: %v", ev.ID, r)
		}
	}()
	if b.closed.Load() {
		return ErrClosed
	}
	wire, data, err := b.encodeEvent(&ev)
	if err != nil {
		return err
	}
	return b.batch.add(wire, ev.ID, data)
}

// FlushAsync waits until every PublishEventAsync so far is acked, and reports
// the failures seen since the previous FlushAsync. Failed events may be
// published again: their ids make the retry idempotent.
func (b *Bus) FlushAsync(ctx context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return b.batch.flush(ctx)
}

// EventConsumer is a durable pull consumer on events.>. Several processes may
// use the same durable name; the stream then splits events between them.
type EventConsumer struct {
	b    *Bus
	name string
	cons jetstream.Consumer
	// perMsg is events per message in the last batch seen, ×16 (0 before
	// the first), so a Fetch for max events pulls about that many events,
	// not max batch messages.
	perMsg atomic.Int64
	// shortAt is when (UnixNano) the last Fetch returned at least
	// minPacedFetch events but fewer than asked for (0 otherwise); the next
	// Fetch waits until the bus's FetchPace has passed since.
	shortAt atomic.Int64
}

// noteBatch records one message's event count, weighted equally with the
// history so a change of load shows within a few messages.
func (c *EventConsumer) noteBatch(n int) {
	cur := int64(n) * 16
	if old := c.perMsg.Load(); old > 0 {
		cur = (old + cur) / 2
	}
	c.perMsg.Store(max(16, cur))
}

// messagesFor is how many messages to pull for about events events. Before
// any message is seen it assumes full batches, so a first pull never takes
// far more than asked.
func (c *EventConsumer) messagesFor(events int) int {
	per := c.perMsg.Load()
	if per == 0 {
		per = maxBatchEvents * 16
	}
	return max(1, int(int64(events)*16/per))
}

// EventConsumer creates (or rebinds to) the durable pull consumer named
// durable. Its position and unacked events survive restarts.
//
// Acks are explicit, not "all": with AckAll, acking the last event of one
// instance's batch would also ack the older events another instance of the
// same worker is still committing, and a crash there would lose them. Batch
// acks stay cheap anyway (see EventBatch.Ack).
func (b *Bus) EventConsumer(ctx context.Context, durable string) (*EventConsumer, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	if err := Token(durable); err != nil {
		return nil, fmt.Errorf("bus: invalid durable name: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	cons, err := b.js.CreateOrUpdateConsumer(cctx, b.stream, jetstream.ConsumerConfig{
		Durable:       durable,
		FilterSubject: b.wire(EventsAll),
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       b.opts.AckWait,
		// Unlimited: an event must wait out a database outage, never be
		// dropped after N attempts. Poison messages are terminated instead.
		MaxDeliver:    -1,
		MaxAckPending: DefaultMaxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: durable consumer %s on %s: %w", durable, b.stream, err)
	}
	return &EventConsumer{b: b, name: durable, cons: cons}, nil
}

// EventBatch is the result of one Fetch: the decoded events plus what is
// needed to ack or nak them together.
type EventBatch struct {
	b       *Bus
	msgs    []jetstream.Msg
	events  []model.Event
	pos     []EventPos
	dropped int
	// received counts the messages delivered, kept or terminated.
	received int
}

// Events are the batch's decoded events, in stream order. They are
// read-only: their Fields maps may be shared with the other consumers of
// this Bus.
func (eb *EventBatch) Events() []model.Event { return eb.events }

// Positions are the stream positions of Events, index for index. A
// consumer that persists the last position it applied can recognise a
// redelivered event after a crash between its commit and its ack.
func (eb *EventBatch) Positions() []EventPos { return eb.pos }

// Dropped counts undecodable events in this batch. A message none of whose
// lines decodes was terminated, so the server never redelivers it.
func (eb *EventBatch) Dropped() int { return eb.dropped }

// Ack acks every event of the batch and waits until the server confirms. Each
// event's ack is sent without waiting and only the last one is a round trip:
// the server handles one connection's acks in order, so its reply to the last
// proves all the earlier ones were applied.
func (eb *EventBatch) Ack(ctx context.Context) error {
	n := len(eb.msgs)
	if n == 0 {
		return nil
	}
	for _, m := range eb.msgs[:n-1] {
		if err := m.Ack(); err != nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			return fmt.Errorf("bus: ack: %w", err)
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, eb.b.opts.PublishTimeout)
		defer cancel()
	}
	if err := eb.msgs[n-1].DoubleAck(ctx); err != nil {
		return fmt.Errorf("bus: ack confirmation: %w", err)
	}
	return nil
}

// Nak asks the server to redeliver every event of the batch now, e.g. when
// the database is down. Callers should back off before fetching again.
func (eb *EventBatch) Nak() error {
	var first error
	for _, m := range eb.msgs {
		if err := m.Nak(); err != nil && first == nil && !errors.Is(err, jetstream.ErrMsgAlreadyAckd) {
			first = fmt.Errorf("bus: nak: %w", err)
		}
	}
	return first
}

// Fetch returns about max events (DefaultFetchBatch when max <= 0), never
// more than 2×max, or max+maxBatchEvents-1 when that is larger: it pulls as
// many messages as, at the batch sizes seen so far, hold max events. When
// none is ready it waits up to maxWait for the first, then takes whatever
// else is ready; an empty batch after maxWait is not an error. A Fetch right
// after a short one of minPacedFetch or more events first waits out the
// bus's FetchPace. Cancelling ctx returns promptly, naking anything already
// received.
func (c *EventConsumer) Fetch(ctx context.Context, max int, maxWait time.Duration) (*EventBatch, error) {
	if c.b.closed.Load() {
		return nil, ErrClosed
	}
	if max <= 0 {
		max = DefaultFetchBatch
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.waitPace(ctx); err != nil {
		return nil, err
	}
	eb, err := c.fetch(ctx, max, maxWait)
	if err != nil {
		return nil, err
	}
	// A few events are a trickle, not load: pacing them would only add
	// latency for no CPU worth saving.
	if n := eb.size(); n >= minPacedFetch && n < max {
		c.shortAt.Store(time.Now().UnixNano())
	} else {
		c.shortAt.Store(0)
	}
	return eb, nil
}

// waitPace holds a Fetch that follows a short one until FetchPace has
// passed, so a busy stream is read in batches of about rate × pace events.
// A trickle is not held: a fetch of fewer than minPacedFetch events sets
// no pace.
func (c *EventConsumer) waitPace(ctx context.Context) error {
	at := c.shortAt.Load()
	if at == 0 || c.b.opts.FetchPace <= 0 {
		return nil
	}
	wait := c.b.opts.FetchPace - time.Since(time.Unix(0, at))
	if wait <= 0 {
		return nil
	}
	select {
	case <-time.After(wait): // an unfired After timer is collected (Go 1.23+)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *EventConsumer) fetch(ctx context.Context, max int, maxWait time.Duration) (*EventBatch, error) {
	eb := &EventBatch{b: c.b, events: make([]model.Event, 0, max), pos: make([]EventPos, 0, max)}

	// Under load no-wait pulls fill the batch without waiting. When idle,
	// a long pull for a single message wakes us on the first arrival
	// instead of holding a full batch open until maxWait expires.
	if err := c.pull(ctx, eb, max); err != nil {
		return nil, err
	}
	if eb.size() > 0 || maxWait <= 0 {
		return eb, nil
	}
	mb, err := c.cons.Fetch(1, jetstream.FetchMaxWait(maxWait))
	if err := c.collect(ctx, eb, mb, err); err != nil {
		return nil, err
	}
	if eb.size() == 0 {
		return eb, nil
	}
	if err := c.pull(ctx, eb, max); err != nil {
		return nil, err
	}
	return eb, nil
}

// fullBatchesWithin is how many full batch messages fit in room events (at
// least one, so a fetch always makes progress).
func fullBatchesWithin(room int) int { return max(1, room/maxBatchEvents) }

// pull takes what is ready, without waiting, until eb holds max events or
// the stream has no more. Each pull asks for as many messages as, at the
// batch size last seen, hold the events still wanted, but never more than
// would stay within 2×max were every one a full batch: message sizes vary,
// and a low estimate must not turn into an unbounded batch.
func (c *EventConsumer) pull(ctx context.Context, eb *EventBatch, max int) error {
	for eb.size() < max {
		k := min(c.messagesFor(max-eb.size()), fullBatchesWithin(2*max-eb.size()))
		before := eb.received
		mb, err := c.cons.FetchNoWait(k)
		if err := c.collect(ctx, eb, mb, err); err != nil {
			return err
		}
		if eb.received-before < k {
			return nil
		}
	}
	return nil
}

func (eb *EventBatch) size() int { return len(eb.events) + eb.dropped }

// collect moves the messages of one pull into eb. On ctx cancellation it naks
// what eb holds and leaves a goroutine to nak stragglers of the pull, so
// nothing waits out AckWait.
func (c *EventConsumer) collect(ctx context.Context, eb *EventBatch, mb jetstream.MessageBatch, err error) error {
	if err != nil {
		if eb.size() > 0 {
			return nil
		}
		return fmt.Errorf("bus: fetch from %s: %w", c.name, err)
	}
	ch := mb.Messages()
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				if err := mb.Error(); err != nil && eb.size() == 0 {
					return fmt.Errorf("bus: fetch from %s: %w", c.name, err)
				}
				return nil
			}
			c.add(eb, m)
		case <-ctx.Done():
			eb.Nak()
			go func() {
				for m := range ch {
					m.Nak()
				}
			}()
			return ctx.Err()
		}
	}
}

func (c *EventConsumer) add(eb *EventBatch, m jetstream.Msg) {
	eb.received++
	md, err := m.Metadata()
	if err != nil {
		// Not a JetStream delivery; nothing to ack or to position.
		c.b.log.Warn("bus: dropped a message without stream metadata", "consumer", c.name, "err", err)
		eb.dropped++
		return
	}
	dm := c.b.decoded.decode(m.Data(), md.Sequence.Stream)
	eb.events = append(eb.events, dm.events...)
	eb.pos = append(eb.pos, dm.pos...)
	kept, bad := len(dm.events), dm.bad
	c.noteBatch(kept + bad)
	if bad > 0 {
		c.b.log.Warn("bus: dropped undecodable events", "consumer", c.name, "subject", m.Subject(), "events", bad, "bytes", len(m.Data()))
		eb.dropped += bad
	}
	if kept == 0 {
		// Redelivering a message that can never decode would loop forever.
		// Term (not TermWithReason) so servers before 2.10 honour it too.
		if terr := m.Term(); terr != nil {
			c.b.log.Warn("bus: terminate undecodable event", "consumer", c.name, "err", terr)
		}
		return
	}
	eb.msgs = append(eb.msgs, m)
}

// Pending is how many events this consumer has not finished: not yet
// delivered plus delivered but unacked.
func (c *EventConsumer) Pending(ctx context.Context) (uint64, error) {
	info, err := c.cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s info: %w", c.name, err)
	}
	return info.NumPending + uint64(info.NumAckPending), nil
}

// AckFloor returns the stream sequence up to which the durable consumer
// named durable has acked every event: its worker has finished them. A
// consumer that does not exist yet is ErrNoConsumer.
func (b *Bus) AckFloor(ctx context.Context, durable string) (uint64, error) {
	if b.closed.Load() {
		return 0, ErrClosed
	}
	cons, err := b.js.Consumer(ctx, b.stream, durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return 0, ErrNoConsumer
	}
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s: %w", durable, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("bus: consumer %s info: %w", durable, err)
	}
	return info.AckFloor.Stream, nil
}

// Name is the durable name of the consumer.
func (c *EventConsumer) Name() string { return c.name }
