package bus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Asynchronous event publishes are batched. One JetStream message per event
// costs the server a store write, and every durable consumer a delivery, a
// decode of the message metadata and an ack; at tens of thousands of events
// a second that was most of the spine's CPU (docs/benchmarks.md, HTTP
// decoy). PublishEventAsync therefore queues events, and one flusher sends
// them as batch messages: the envelopes of up to maxBatchEvents events of
// one subject, one JSON document per line. A single-event batch is
// byte-for-byte the message PublishEvent sends, so idle traffic looks as it
// always did and every consumer reads both.
const (
	// maxBatchEvents bounds the events of one batch message; it must stay
	// below 1<<positionIndexBits so positions stay ordered.
	// 64 left the server's per-message work (store write, three
	// deliveries and acks) at about a tenth of the HTTP decoy's CPU; 256
	// measured 5-10% less CPU per request in the same runs
	// (docs/benchmarks.md). A consumer's Fetch may end up to one message
	// past its max, so larger would make batches lumpier for no gain.
	maxBatchEvents = 256
	// maxBatchBytes bounds a batch message's body, well inside
	// MaxMessageSize so one more event never tips it over.
	maxBatchBytes = 128 << 10
	// batchLinger is how long the flusher lets a busy queue fill before
	// sending. Idle traffic is sent at once; only when the previous round
	// carried several events (the producer is outrunning single sends) does
	// a round wait, trading at most this much latency for batches of about
	// rate × batchLinger events.
	batchLinger = time.Millisecond
	// batchAttempts is how often one batch is sent before its events are
	// counted as failed; retries reuse the message id, so a batch the
	// server stored but whose ack was lost is not stored twice.
	batchAttempts = 3
)

// pendingBatch is one batch message being filled or waiting to be sent.
type pendingBatch struct {
	subject string // wire subject
	id      string // first event's id, then the count: the dedup key
	data    []byte
	n       int
}

// fits reports whether an event of size bytes can join pb.
func (pb *pendingBatch) fits(size int) bool {
	return pb.n < maxBatchEvents && len(pb.data)+1+size <= maxBatchBytes
}

// append adds one encoded event to pb.
func (pb *pendingBatch) append(data []byte) {
	if pb.n > 0 {
		pb.data = append(pb.data, '\n')
	}
	pb.data = append(pb.data, data...)
	pb.n++
}

func newPendingBatch(subject, id string, size int) *pendingBatch {
	return &pendingBatch{subject: subject, id: id, data: make([]byte, 0, max(4<<10, 2*size))}
}

// batcher queues asynchronous event publishes and sends them in batches.
type batcher struct {
	b     *Bus
	limit int // events queued (accepted, not yet settled) before publishers wait

	mu       sync.Mutex
	open     map[string]*pendingBatch
	sealed   []*pendingBatch
	accepted uint64 // events accepted so far
	settled  uint64 // events acked or given up on
	changed  chan struct{}
	closing  bool
	failed   int
	firstErr error

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newBatcher(b *Bus, limit int) *batcher {
	q := &batcher{
		b: b, limit: limit,
		open:    make(map[string]*pendingBatch),
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	go q.run()
	return q
}

// notifyLocked wakes everyone waiting for the queue to move. q.mu is held.
func (q *batcher) notifyLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// add queues one encoded event. It waits up to the publish timeout while
// limit events are unsettled, so a stalled server slows producers down
// instead of growing memory without bound.
func (q *batcher) add(subject, id string, data []byte) error {
	var timer *time.Timer
	q.mu.Lock()
	for !q.closing && q.accepted-q.settled >= uint64(q.limit) {
		ch := q.changed
		q.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(q.b.opts.PublishTimeout)
			defer timer.Stop()
		}
		select {
		case <-ch:
		case <-timer.C:
			return fmt.Errorf("bus: publish event %s: %d events still unacked after %s", id, q.limit, q.b.opts.PublishTimeout)
		}
		q.mu.Lock()
	}
	if q.closing {
		q.mu.Unlock()
		return ErrClosed
	}
	pb := q.open[subject]
	if pb != nil && !pb.fits(len(data)) {
		q.sealed = append(q.sealed, pb)
		pb = nil
	}
	if pb == nil {
		pb = newPendingBatch(subject, id, len(data))
		q.open[subject] = pb
	}
	pb.append(data)
	q.accepted++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// take removes every queued batch, sealed ones first so each subject's
// events keep their order.
func (q *batcher) take() []*pendingBatch {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.sealed
	q.sealed = nil
	for subj, pb := range q.open {
		out = append(out, pb)
		delete(q.open, subj)
	}
	return out
}

// run is the flusher: it sends rounds of batches until stopped, then sends
// what is left.
func (q *batcher) run() {
	defer close(q.done)
	busy := false
	for {
		select {
		case <-q.wake:
		case <-q.stop:
			for round := q.take(); len(round) > 0; round = q.take() {
				q.send(round)
			}
			return
		}
		if busy {
			select {
			case <-time.After(batchLinger):
			case <-q.stop:
			}
		}
		round := q.take()
		events := 0
		for _, pb := range round {
			events += pb.n
		}
		busy = events > 1
		if len(round) > 0 {
			q.send(round)
		}
	}
}

// send publishes one round without waiting between messages, then waits for
// every ack, retrying failed batches.
func (q *batcher) send(round []*pendingBatch) {
	futures := make([]jetstream.PubAckFuture, len(round))
	for i, pb := range round {
		// A full async window (impossible with one round in flight) or a
		// closed connection leaves the future nil; the retry path reports it.
		futures[i], _ = q.b.js.PublishMsgAsync(pb.msg())
	}
	for i, pb := range round {
		var err error
		if f := futures[i]; f != nil {
			select {
			case <-f.Ok():
			case err = <-f.Err():
			}
		} else {
			err = errors.New("not sent")
		}
		if err != nil {
			err = q.retry(pb, err)
		}
		q.settle(pb, err)
	}
}

// retry sends pb synchronously until it is acked or batchAttempts is used up.
func (q *batcher) retry(pb *pendingBatch, err error) error {
	for attempt := 2; attempt <= batchAttempts && err != nil; attempt++ {
		if errors.Is(err, nats.ErrConnectionClosed) {
			break
		}
		ctx, cancel := context.WithTimeout(context.Background(), q.b.opts.PublishTimeout)
		_, err = q.b.js.PublishMsg(ctx, pb.msg())
		cancel()
	}
	return err
}

// msg is the JetStream message of pb.
func (pb *pendingBatch) msg() *nats.Msg {
	m := nats.NewMsg(pb.subject)
	m.Data = pb.data
	id := pb.id
	if pb.n > 1 {
		id += "+" + strconv.Itoa(pb.n)
	}
	m.Header.Set(jetstream.MsgIDHeader, id)
	return m
}

// settle records the outcome of one batch.
func (q *batcher) settle(pb *pendingBatch, err error) {
	q.mu.Lock()
	q.settled += uint64(pb.n)
	if err != nil {
		q.failed += pb.n
		if q.firstErr == nil {
			q.firstErr = fmt.Errorf("batch of %d events from %s: %w", pb.n, pb.id, err)
		}
	}
	q.notifyLocked()
	q.mu.Unlock()
	if err != nil {
		q.b.log.Warn("bus: events not stored after retries", "events", pb.n, "subject", pb.subject, "err", err)
	}
}

// flush waits until every event accepted before the call is settled and
// returns the failures since the previous flush.
func (q *batcher) flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.accepted
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	for {
		q.mu.Lock()
		if q.settled >= target {
			n, first := q.failed, q.firstErr
			q.failed, q.firstErr = 0, nil
			q.mu.Unlock()
			if n > 0 {
				return fmt.Errorf("bus: %d async event publishes failed, first: %w", n, first)
			}
			return nil
		}
		ch, left := q.changed, q.accepted-q.settled
		q.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("bus: flush: %d events still unacked: %w", left, ctx.Err())
		}
	}
}

// close stops accepting events and sends what is queued, waiting at most
// wait for the server's acks.
func (q *batcher) close(wait time.Duration) {
	q.mu.Lock()
	if q.closing {
		q.mu.Unlock()
		return
	}
	q.closing = true
	q.notifyLocked()
	q.mu.Unlock()
	close(q.stop)
	select {
	case <-q.done:
	case <-time.After(wait):
		q.b.log.Warn("bus: closing with event batches still unacked")
	}
}
