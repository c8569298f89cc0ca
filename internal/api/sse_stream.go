package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// streamFrame is the data of every `event: message` frame of GET /stream:
// {"type":"stats"|"histogram"|"logs"|"gap"|"error", …}.
type streamFrame struct {
	Type    string `json:"type"`
	Data    any    `json:"data,omitempty"`
	Message string `json:"message,omitempty"`
}

// streamGap is the data of a "gap" frame: the resume point asked for is no
// longer retained (From > Requested: the events in between are lost to the
// stream and only GET /logs has them) or lies past the stream's end
// (From < Requested, e.g. the bus was reset).
type streamGap struct {
	Requested uint64 `json:"requested_from"`
	From      uint64 `json:"resumed_from"`
}

// tailed is one event the tail delivered, with its stream position.
type tailed struct {
	pos bus.EventPos
	ev  model.Event
}

// logStream is GET /stream, the logs dashboard: the stats and histogram,
// then every new event matching search/start_time/end_time as it reaches
// the bus, rows batched into "logs" frames. Unlike the original, which
// polled the logs table every second, rows come from a tail of the event
// stream, so they arrive before ingestion has stored them, and every logs
// frame carries `id:` (the stream sequence of the last event it accounts
// for): the browser's automatic Last-Event-ID on reconnect, or the
// lastEventId parameter, resumes with exactly the events after it.
// Stats and histogram are re-read from the store every 10 s and shortly
// after a logs frame, at most once per few seconds.
func (s *Server) logStream(w http.ResponseWriter, r *http.Request) error {
	if s.logs == nil {
		return errNoLogStore
	}
	q := r.URL.Query()
	search, err := searchParam(q, "search")
	if err != nil {
		return err
	}
	ls, err := logSearchParams(q, search)
	if err != nil {
		return err
	}
	minutes, err := intParam(queryValue(q, "interval_minutes"), "interval_minutes", defaultHistogramMinutes, 1, maxHistogramMinutes)
	if err != nil {
		return err
	}
	after, err := lastEventID(r)
	if err != nil {
		return err
	}
	release, err := s.acquireStream(r)
	if err != nil {
		return err
	}
	defer release()

	ls.Limit, ls.Offset = 0, 0
	st := &logStreamState{
		s: s, r: r, search: ls, interval: time.Duration(minutes) * time.Minute,
		evs: make(chan tailed, 4*s.sse.batchMax),
	}
	c, err := startSSE(w)
	if err != nil {
		return err
	}
	st.c = c
	err = st.run(r.Context(), after)
	s.streamEnded(r, err)
	return nil
}

// resumePoint is where a reconnecting client left off: after every event
// of message Seq, or, when Partial, after the event at Index of it (a batch
// message whose events were split between frames).
type resumePoint struct {
	Seq     uint64
	Index   int
	Partial bool
}

// frameID is the `id:` of a frame whose last accounted-for event is at p:
// the stream sequence, with ":index" when events of that message remain.
func frameID(p bus.EventPos) string {
	if p.Last() {
		return strconv.FormatUint(p.Seq, 10)
	}
	return strconv.FormatUint(p.Seq, 10) + ":" + strconv.Itoa(p.Index)
}

// lastEventID reads the resume point: the Last-Event-ID header browsers
// send on reconnect, else the lastEventId parameter; 0 or absent means
// "from now".
func lastEventID(r *http.Request) (resumePoint, error) {
	v := r.Header.Get(lastEventIDHeader)
	if v == "" {
		v = queryValue(r.URL.Query(), lastEventIDParam)
	}
	if v == "" {
		return resumePoint{}, nil
	}
	seqText, indexText, partial := strings.Cut(v, ":")
	n, err := strconv.ParseUint(seqText, 10, 64)
	idx := 0
	if err == nil && partial {
		idx, err = strconv.Atoi(indexText)
		if err == nil && (idx < 0 || n == 0) {
			err = errors.New("no such position")
		}
	}
	if err != nil {
		return resumePoint{}, newError(http.StatusUnprocessableEntity,
			"Last-Event-ID / lastEventId must be the id of a frame of this stream: a non-negative integer, or N:I", err)
	}
	return resumePoint{Seq: n, Index: idx, Partial: partial}, nil
}

// logStreamState is one /stream connection.
type logStreamState struct {
	s        *Server
	r        *http.Request
	c        *sseConn
	search   store.LogSearch
	interval time.Duration
	evs      chan tailed

	batch     []model.LogEntry
	lastPos   bus.EventPos // the last event processed, sent or filtered out
	lastFrame time.Time
	lastStats time.Time
	statsDue  time.Time
}

// run streams until the client leaves (nil) or the stream fails.
func (st *logStreamState) run(ctx context.Context, after resumePoint) error {
	cfg := st.s.sse
	// The tail starts before the first stats are read, so no event
	// published after them can fall between the two.
	var tail *bus.Tail
	if st.s.bus != nil {
		start := uint64(0)
		switch {
		case after.Partial:
			start = after.Seq
		case after.Seq > 0:
			start = after.Seq + 1
		}
		var err error
		tail, err = st.s.bus.TailEvents(ctx, start, func(p bus.EventPos, ev model.Event) {
			if after.Partial && p.Seq == after.Seq && p.Index <= after.Index {
				return // sent before the reconnect
			}
			// Blocking here only pauses this client's own ordered
			// consumer; the stream keeps the events for it.
			select {
			case st.evs <- tailed{p, ev}:
			case <-ctx.Done():
			}
		})
		if err != nil {
			return st.interrupted(fmt.Errorf("start tail: %w", err))
		}
		defer tail.Stop()
	}
	if err := st.sendSummary(ctx); err != nil {
		return st.interrupted(err)
	}
	if tail != nil && tail.Start.Moved() {
		// The id makes a reconnect resume after the gap instead of
		// reporting it again.
		if err := st.c.send(sseStreamMessage, strconv.FormatUint(tail.Start.From-1, 10), streamFrame{
			Type: "gap", Data: streamGap{Requested: tail.Start.Requested, From: tail.Start.From},
		}); err != nil {
			return err
		}
	}

	var tailDone <-chan struct{}
	if tail != nil {
		tailDone = tail.Done()
	}
	keep := time.NewTicker(cfg.keepAlive)
	defer keep.Stop()
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	flushArmed := false
	stats := time.NewTimer(cfg.statsEvery)
	defer stats.Stop()
	st.statsDue = time.Now().Add(cfg.statsEvery)

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tailDone:
			if ctx.Err() != nil {
				return nil
			}
			if err := st.flush(stats); err != nil {
				return err
			}
			return st.interrupted(fmt.Errorf("tail ended: %w", tail.Err()))
		case it := <-st.evs:
			st.add(it)
		drain:
			for len(st.batch) < cfg.batchMax {
				select {
				case it := <-st.evs:
					st.add(it)
				default:
					break drain
				}
			}
			if len(st.batch) == 0 {
				continue
			}
			wait := cfg.batchWindow - time.Since(st.lastFrame)
			if len(st.batch) >= cfg.batchMax || wait <= 0 {
				if flushArmed {
					flush.Stop()
					flushArmed = false
				}
				if err := st.flush(stats); err != nil {
					return err
				}
			} else if !flushArmed {
				flush.Reset(wait)
				flushArmed = true
			}
		case <-flush.C:
			flushArmed = false
			if err := st.flush(stats); err != nil {
				return err
			}
		case <-keep.C:
			if err := st.c.keepalive(); err != nil {
				return err
			}
		case <-stats.C:
			if err := st.sendSummary(ctx); err != nil {
				return st.interrupted(err)
			}
			st.statsDue = time.Now().Add(cfg.statsEvery)
			stats.Reset(cfg.statsEvery)
		}
	}
}

// add turns one event into its logs row, as ingestion will store it, and
// keeps it when the search selects it. The row is matched before raw_line
// is filled in for display, as the database holds it.
func (st *logStreamState) add(it tailed) {
	st.lastPos = it.pos
	// Derive's options only shape bounties, never the logs row.
	row := ingest.Derive(it.ev, ingest.DeriveOptions{}).Log
	if !st.search.Match(row) {
		return
	}
	if row.RawLine == "" {
		row.RawLine = renderRawLine(row)
	}
	st.batch = append(st.batch, row)
}

// flush sends the pending rows as one logs frame and brings the next stats
// refresh forward to shortly after it.
func (st *logStreamState) flush(stats *time.Timer) error {
	if len(st.batch) == 0 {
		return nil
	}
	err := st.c.send(sseStreamMessage, frameID(st.lastPos), streamFrame{Type: "logs", Data: st.batch})
	st.batch = st.batch[:0]
	st.lastFrame = time.Now()
	if err != nil {
		return err
	}
	cfg := st.s.sse
	due := st.lastFrame.Add(cfg.statsAfterLogs)
	if gap := st.lastStats.Add(cfg.statsMinGap); gap.After(due) {
		due = gap
	}
	if due.Before(st.statsDue) {
		st.statsDue = due
		stats.Reset(time.Until(due))
	}
	return nil
}

// sendSummary sends the stats and histogram frames, read from the store.
func (st *logStreamState) sendSummary(ctx context.Context) error {
	st.lastStats = time.Now()
	sum, err := st.s.logs.Stats(ctx)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	buckets, err := st.s.logs.LogHistogram(ctx, st.search, st.interval)
	if err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	if err := st.c.send(sseStreamMessage, "", streamFrame{Type: "stats", Data: statsBody{
		TotalLogs: sum.TotalLogs, UniqueAttackers: sum.UniqueAttackers,
		ActiveDeckies: sum.ActiveDeckies, DeployedDeckies: sum.DeployedDeckies,
	}}); err != nil {
		return err
	}
	points := make([]histogramPoint, len(buckets))
	for i, b := range buckets {
		points[i] = histogramPoint{Time: b.Time.UTC().Format(time.RFC3339), Count: b.Count}
	}
	return st.c.send(sseStreamMessage, "", streamFrame{Type: "histogram", Data: points})
}

// interrupted tells the client the stream failed and ends it; the browser
// reconnects on its own and resumes from the last id it saw.
func (st *logStreamState) interrupted(cause error) error {
	if st.r.Context().Err() != nil {
		return nil
	}
	st.s.log.Warn("sse /stream interrupted", "err", cause)
	if err := st.c.send("error", "", streamFrame{Type: "error", Message: sseInterruptedError}); err != nil {
		return err
	}
	return nil
}
