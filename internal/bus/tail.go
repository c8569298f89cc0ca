package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/decnet/decnet/internal/model"
)

// Bounds of a tail's ordered consumer.
const (
	// tailInactiveThreshold is how long the server keeps a tail's consumer
	// once nobody pulls from it: a tail that died without Stop (a killed
	// API process) stops costing the server memory after this long, while
	// a live tail always has a pull outstanding.
	tailInactiveThreshold = 30 * time.Second
	// tailResetAttempts bounds how often the ordered consumer tries to
	// recreate itself after losing the server (about 25 s of backoff), so a
	// lasting outage ends the tail with an error instead of hanging it.
	tailResetAttempts = 5
	// tailPullMaxMessages is how many events the client buffers ahead of a
	// slow reader: beyond that it stops pulling, so a slow tail costs the
	// server nothing and the process at most this many events.
	tailPullMaxMessages = 256
)

// TailStart says where a tail begins. Requested is the sequence asked for
// (0 = only new events); From is the first sequence the tail delivers. They
// differ when the request is no longer retained (From is then the oldest
// retained event) or lies beyond the stream's end (From is the next event).
type TailStart struct {
	Requested uint64
	From      uint64
}

// Moved reports whether a resume request could not start where asked.
func (s TailStart) Moved() bool { return s.Requested != 0 && s.Requested != s.From }

// Tail is a live, read-only view of the EVENTS stream from one position:
// an ordered, ephemeral consumer that leaves no durable state behind, for
// readers such as the API's SSE streams that must never take events away
// from the workers' durable consumers.
type Tail struct {
	// Start is where the tail begins delivering.
	Start TailStart

	done chan struct{}
	stop func()
	once sync.Once
	// ended is set when the tail's owner ended it (Stop or its context),
	// so an iterator closed for any other reason is reported as a failure.
	ended atomic.Bool
	mu    sync.Mutex
	err   error
}

// Done is closed when the tail has ended: Stop, its context ended, the bus
// closed, or the consumer could not be kept alive (see Err).
func (t *Tail) Done() <-chan struct{} { return t.done }

// Err is why the tail ended: nil for Stop or the end of its context, else
// the bus failure. It is meaningful once Done is closed.
func (t *Tail) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Stop ends the tail and waits until fn is no longer running.
func (t *Tail) Stop() {
	t.once.Do(t.stop)
	<-t.done
}

func (t *Tail) fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

// TailEvents starts delivering the events of the EVENTS stream to fn, in
// stream order with their positions, beginning at the message with stream
// sequence startSeq, or with the first
// event published after the call when startSeq is 0. It returns once the
// consumer exists, so an event published after TailEvents returns is always
// delivered. fn runs on the tail's own goroutine, one event at a time, and
// may block: the tail then stops pulling (per-reader back-pressure; the
// stream keeps every event) instead of dropping any. Undecodable messages
// are skipped. The tail ends with ctx, Stop or a bus failure (Done, Err).
func (b *Bus) TailEvents(ctx context.Context, startSeq uint64, fn func(pos EventPos, ev model.Event)) (*Tail, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	start, err := b.tailStart(ctx, startSeq)
	if err != nil {
		return nil, err
	}
	// An explicit start sequence, even for "new events only", so that an
	// ordered-consumer reset before the first delivery resumes from the
	// same point rather than from whatever is new by then.
	cctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	cons, err := b.js.OrderedConsumer(cctx, b.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{b.wire(EventsAll)},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start.From,
		InactiveThreshold: tailInactiveThreshold,
		MaxResetAttempts:  tailResetAttempts,
	})
	if err != nil {
		return nil, fmt.Errorf("bus: tail of %s: %w", b.stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(tailPullMaxMessages))
	if err != nil {
		return nil, fmt.Errorf("bus: tail of %s: %w", b.stream, err)
	}
	t := &Tail{Start: start, done: make(chan struct{})}
	stopped := make(chan struct{})
	t.stop = func() { close(stopped) }

	// The watcher turns every way a tail can end into stopping the
	// iterator, which is what unblocks Next.
	go func() {
		select {
		case <-ctx.Done():
			t.ended.Store(true)
		case <-stopped:
			t.ended.Store(true)
		case <-t.done:
			return
		case <-b.connGone:
			t.fail(ErrClosed)
		}
		it.Stop()
	}()
	go func() {
		defer close(t.done)
		defer b.deleteTailConsumer(cons)
		for {
			m, err := it.Next()
			if err != nil {
				switch {
				case t.ended.Load():
				case errors.Is(err, jetstream.ErrMsgIteratorClosed) || b.closed.Load():
					// Closing the bus drains the connection, which closes
					// the iterator before connGone fires.
					t.fail(ErrClosed)
				default:
					t.fail(fmt.Errorf("bus: tail of %s: %w", b.stream, err))
				}
				it.Stop()
				return
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			decodeMessage(m.Data(), md.Sequence.Stream, func(p EventPos, ev model.Event, ok bool) {
				if !ok {
					b.log.Warn("bus: tail skipped an undecodable event", "subject", m.Subject(), "seq", p.Seq, "index", p.Index)
					return
				}
				fn(p, ev)
			})
		}
	}()
	return t, nil
}

// tailStart resolves startSeq against what the stream holds now: 0 is the
// next sequence, and a position no longer retained (or past the end, e.g.
// from before the stream was recreated) moves to the nearest valid one.
func (b *Bus) tailStart(ctx context.Context, startSeq uint64) (TailStart, error) {
	first, last, err := b.EventBounds(ctx)
	if err != nil {
		return TailStart{}, err
	}
	next := last + 1
	s := TailStart{Requested: startSeq, From: startSeq}
	switch {
	case startSeq == 0 || startSeq > next:
		s.From = next
	case startSeq < first:
		s.From = first
	}
	return s, nil
}

// EventBounds returns the first and last sequence the EVENTS stream holds
// now; first is last+1 when it holds nothing.
func (b *Bus) EventBounds(ctx context.Context) (first, last uint64, err error) {
	if b.closed.Load() {
		return 0, 0, ErrClosed
	}
	cctx, cancel := context.WithTimeout(ctx, b.opts.PublishTimeout)
	defer cancel()
	st, err := b.js.Stream(cctx, b.stream)
	if err != nil {
		return 0, 0, fmt.Errorf("bus: stream %s: %w", b.stream, err)
	}
	info, err := st.Info(cctx)
	if err != nil {
		return 0, 0, fmt.Errorf("bus: stream %s info: %w", b.stream, err)
	}
	first, last = info.State.FirstSeq, info.State.LastSeq
	if first == 0 || info.State.Msgs == 0 {
		// A new stream reports 0/0, a purged one last+1/last.
		first = last + 1
	}
	return first, last, nil
}

// deleteTailConsumer removes a finished tail's consumer now rather than
// after tailInactiveThreshold; failing that, the threshold still applies.
func (b *Bus) deleteTailConsumer(cons jetstream.Consumer) {
	if b.closed.Load() {
		return
	}
	info := cons.CachedInfo()
	if info == nil || info.Name == "" {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), b.opts.PublishTimeout)
		defer cancel()
		_ = b.js.DeleteConsumer(ctx, b.stream, info.Name)
	}()
}
