package ttp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Backfill sources (decnet ttp-backfill --source).
const (
	BackfillCommand = "command"
	BackfillCanary  = "canary"
	BackfillAll     = "all"
)

// BackfillOptions configures Backfill.
type BackfillOptions struct {
	Since time.Time
	// Source is BackfillCommand, BackfillCanary or BackfillAll.
	Source string
	// DryRun tags but stores nothing.
	DryRun    bool
	BatchSize int
	// Progress, when set, is called after each batch with the rows read
	// and the total expected.
	Progress func(done, total int64)
}

// BackfillResult is the summary line of a backfill.
type BackfillResult struct {
	Source   string
	Rows     int64
	Commands int64
	Inserted int64
	DryRun   bool
	Elapsed  time.Duration
}

// String renders the summary line.
func (r BackfillResult) String() string {
	return fmt.Sprintf("source=%s rows=%d commands=%d inserted=%d dry_run=%t elapsed_s=%.2f",
		r.Source, r.Rows, r.Commands, r.Inserted, r.DryRun, r.Elapsed.Seconds())
}

// ErrBadBackfillSource names the accepted sources.
var ErrBadBackfillSource = errors.New("--source must be command, canary or all")

// Backfill tags stored history through the live tagger and stores the tags
// idempotently. Commands come from the logs table with the event id as
// source id, exactly as the live worker tags them, so running it over
// already-tagged history inserts nothing. It never publishes: replaying
// history must not fan out to SIEMs and webhooks again (ttp.md §4.4).
//
// Canary triggers are not stored by this version yet, so that source reads
// nothing and says so in its result.
func Backfill(ctx context.Context, tagger Tagger, tags TagStore, anchors AttackerLookup, src store.CommandLogSource,
	o BackfillOptions) ([]BackfillResult, error) {
	switch o.Source {
	case BackfillCommand, BackfillCanary:
	case BackfillAll, "":
		o.Source = BackfillAll
	default:
		return nil, ErrBadBackfillSource
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	var out []BackfillResult
	if o.Source == BackfillCommand || o.Source == BackfillAll {
		r, err := backfillCommands(ctx, tagger, tags, anchors, src, o)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	if o.Source == BackfillCanary || o.Source == BackfillAll {
		out = append(out, BackfillResult{Source: BackfillCanary, DryRun: o.DryRun})
	}
	return out, nil
}

func backfillCommands(ctx context.Context, tagger Tagger, tags TagStore, anchors AttackerLookup,
	src store.CommandLogSource, o BackfillOptions) (BackfillResult, error) {
	start := time.Now()
	res := BackfillResult{Source: BackfillCommand, DryRun: o.DryRun}
	total, err := src.CountCommandLogs(ctx, o.Since)
	if err != nil {
		return res, err
	}
	uuids := map[string]string{}
	var after int64
	for {
		page, err := src.ListCommandLogs(ctx, o.Since, after, o.BatchSize)
		if err != nil {
			return res, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		res.Rows += int64(len(page))
		var pending []model.TTPTag
		for _, l := range page {
			id, ok := uuids[l.AttackerIP]
			if !ok {
				id, err = anchors.GetAttackerUUIDByIP(ctx, l.AttackerIP)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return res, err
				}
				uuids[l.AttackerIP] = id
			}
			if id == "" {
				continue // no attackers row: nothing to anchor the tags on
			}
			ev, ok := StreamEvent(model.Event{ID: l.EventID, Decky: l.Decky, Service: l.Service, EventType: l.EventType,
				SrcIP: l.AttackerIP, SessionID: l.SessionID, Fields: l.Fields}, id)
			if !ok {
				continue
			}
			res.Commands++
			t, err := tagger.Tag(ctx, ev)
			if err != nil {
				continue
			}
			pending = append(pending, t...)
		}
		if !o.DryRun && len(pending) > 0 {
			ins, err := tags.InsertTTPTags(ctx, pending)
			if err != nil {
				return res, err
			}
			res.Inserted += int64(len(ins))
		}
		if o.Progress != nil {
			o.Progress(res.Rows, total)
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}
