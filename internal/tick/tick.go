// Package tick runs the ticks of decnet's periodic workers (correlators,
// clusterers): now, on every bus wake-up, and on a poll fallback, but never
// more often than a minimum interval, so a storm of notifications costs one
// run.
package tick

import (
	"context"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/bus"
)

// Subscriber is the subscribing side of the bus; *bus.Bus implements it.
type Subscriber interface {
	Subscribe(pattern, queue string, fn func(bus.Envelope)) (*bus.Subscription, error)
}

// Wake subscribes to topics and returns a channel that receives a value
// (coalesced, never blocking the bus) whenever one is published, and the
// function that unsubscribes.
func Wake(b Subscriber, topics ...string) (<-chan struct{}, func(), error) {
	ch := make(chan struct{}, 1)
	notify := func(bus.Envelope) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	var subs []*bus.Subscription
	stop := func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}
	for _, topic := range topics {
		s, err := b.Subscribe(topic, "", notify)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("subscribe to %s: %w", topic, err)
		}
		subs = append(subs, s)
	}
	return ch, stop, nil
}

// Run calls run now, on every value from wake and every poll interval, at
// most once per minInterval (a wake-up sooner is deferred, not dropped),
// until ctx ends. wake may be nil; now is the clock minInterval is measured
// with (nil: time.Now).
func Run(ctx context.Context, wake <-chan struct{}, poll, minInterval time.Duration, now func() time.Time, run func()) {
	if now == nil {
		now = time.Now
	}
	ticker := time.NewTicker(poll)
	defer ticker.Stop()
	var (
		last    time.Time
		delay   *time.Timer
		delayed <-chan time.Time
	)
	defer func() {
		if delay != nil {
			delay.Stop()
		}
	}()
	do := func() {
		last = now()
		run()
	}
	do()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-wake:
			if wait := minInterval - now().Sub(last); wait > 0 {
				if delayed == nil {
					delay = time.NewTimer(wait)
					delayed = delay.C
				}
				continue
			}
		case <-delayed:
			delayed = nil
		}
		do()
	}
}
