package bus

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// DefaultHeartbeatInterval is the original's heartbeat period.
const DefaultHeartbeatInterval = 30 * time.Second

// Control actions carried on system.<worker>.control.
const (
	// ControlStop asks the worker to shut down.
	ControlStop = "stop"
	// ControlStart asks a process hosting a stopped worker to run it
	// again (OnControlActions); a worker subscribed with OnControl ignores
	// it.
	ControlStart = "start"
)

// Control is the payload of a system.<worker>.control message.
type Control struct {
	Action      string  `json:"action"`
	RequestedBy string  `json:"requested_by"`
	TS          float64 `json:"ts"`
}

// RunHeartbeat publishes system.<worker>.health {worker, ts, …extra} (type
// "health") now and every interval (DefaultHeartbeatInterval when <= 0) until
// ctx is done. extra may be nil; its JSON object fields are merged in and win
// over worker/ts, as in the original's {worker, ts, **extra}.
func (b *Bus) RunHeartbeat(ctx context.Context, worker string, interval time.Duration, extra func() any) {
	subj, err := HealthSubject(worker)
	if err != nil {
		b.log.Error("bus: heartbeat not started", "worker", worker, "err", err)
		return
	}
	if interval <= 0 {
		interval = DefaultHeartbeatInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := b.Publish(ctx, subj, TypeHealth, b.healthPayload(worker, extra)); err != nil && ctx.Err() == nil {
			b.log.Debug("bus: heartbeat publish failed", "worker", worker, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (b *Bus) healthPayload(worker string, extra func() any) (p map[string]any) {
	p = map[string]any{"worker": worker, "ts": epoch(time.Now())}
	if extra == nil {
		return p
	}
	defer func() {
		if r := recover(); r != nil {
			b.log.Error("bus: heartbeat extra panicked", "worker", worker, "panic", r)
		}
	}()
	raw, err := json.Marshal(extra())
	if err != nil {
		b.log.Warn("bus: heartbeat extra not encodable", "worker", worker, "err", err)
		return p
	}
	var fields map[string]any
	if json.Unmarshal(raw, &fields) != nil {
		// Not an object: keep it rather than lose it.
		p["extra"] = json.RawMessage(raw)
		return p
	}
	for k, v := range fields {
		p[k] = v
	}
	return p
}

// OnControl subscribes to system.<worker>.control and calls stop (once) on a
// "stop" request. Every instance of the worker receives it: no queue group.
func (b *Bus) OnControl(worker string, stop func()) (*Subscription, error) {
	var once sync.Once
	return b.OnControlActions(worker, func() { once.Do(stop) }, nil)
}

// OnControlActions subscribes to system.<worker>.control and calls stop or
// start for each request; start may be nil (the request is then ignored).
// Both run on the subscription's goroutine, one request at a time.
func (b *Bus) OnControlActions(worker string, stop, start func()) (*Subscription, error) {
	subj, err := ControlSubject(worker)
	if err != nil {
		return nil, err
	}
	return b.Subscribe(subj, "", func(e Envelope) {
		var c Control
		if err := json.Unmarshal(e.Payload, &c); err != nil {
			b.log.Warn("bus: undecodable control request", "worker", worker, "err", err)
			return
		}
		switch {
		case c.Action == ControlStop:
			b.log.Info("bus: stop requested", "worker", worker, "requested_by", c.RequestedBy)
			stop()
		case c.Action == ControlStart && start != nil:
			b.log.Info("bus: start requested", "worker", worker, "requested_by", c.RequestedBy)
			start()
		case c.Action == ControlStart:
			b.log.Debug("bus: start request ignored by a running worker", "worker", worker, "requested_by", c.RequestedBy)
		default:
			b.log.Warn("bus: unknown control action", "worker", worker, "action", c.Action)
		}
	})
}
