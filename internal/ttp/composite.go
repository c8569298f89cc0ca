package ttp

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"

	"github.com/decnet/decnet/internal/model"
)

// Composite dispatches each event to the taggers that claim its source
// kind (ttp.md §3.2) and concatenates their tags. One child's error does
// not stop the others; the errors are joined.
type Composite struct {
	children []Tagger
	byKind   map[string][]Tagger
	log      *slog.Logger

	mu     sync.Mutex
	warned map[string]bool
}

// NewComposite returns a tagger over children, in order.
func NewComposite(log *slog.Logger, children ...Tagger) *Composite {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Composite{children: children, byKind: map[string][]Tagger{}, log: log, warned: map[string]bool{}}
	for _, t := range children {
		for _, k := range t.Handles() {
			c.byKind[k] = append(c.byKind[k], t)
		}
	}
	return c
}

// Name is "composite".
func (c *Composite) Name() string { return "composite" }

// Handles lists every kind some child claims.
func (c *Composite) Handles() []string {
	var out []string
	for k := range c.byKind {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Tag runs the children claiming ev.SourceKind. An unclaimed kind is logged
// once per process and yields nothing.
func (c *Composite) Tag(ctx context.Context, ev Event) ([]model.TTPTag, error) {
	kids := c.byKind[ev.SourceKind]
	if len(kids) == 0 {
		c.mu.Lock()
		first := !c.warned[ev.SourceKind]
		c.warned[ev.SourceKind] = true
		c.mu.Unlock()
		if first {
			c.log.Info("ttp: no tagger claims this source kind", "kind", ev.SourceKind)
		}
		return nil, nil
	}
	var out []model.TTPTag
	var errs []error
	for _, t := range kids {
		tags, err := t.Tag(ctx, ev)
		if err != nil {
			errs = append(errs, err)
		}
		out = append(out, tags...)
	}
	return out, errors.Join(errs...)
}
