package bus

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/decnet/decnet/internal/jsonwrite"
)

// EnvelopeVersion is the envelope version this package writes.
const EnvelopeVersion = 1

// Envelope is the wire form of every bus message, {v, id, topic, type, ts,
// payload}, as in the original bus so Python and Go peers interoperate.
type Envelope struct {
	V       int             `json:"v"`
	ID      string          `json:"id"`
	Topic   string          `json:"topic"`
	Type    string          `json:"type"`
	TS      float64         `json:"ts"`
	Payload json.RawMessage `json:"payload"`
}

// Time converts TS (epoch seconds) to a time.Time.
func (e Envelope) Time() time.Time {
	sec := int64(e.TS)
	return time.Unix(sec, int64((e.TS-float64(sec))*1e9)).UTC()
}

// Publisher is the notification side of the bus, for code that only
// publishes and wants to be tested without a server.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

var _ Publisher = (*Bus)(nil)

// newID is the original's uuid4().hex.
func newID() string {
	u := uuid.New()
	return hex.EncodeToString(u[:])
}

// epoch is t as float seconds, the envelope's ts.
func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Publish sends a notification on topic with core NATS (at most once). It
// never panics and never blocks longer than PublishTimeout; failures come
// back as errors so callers may log and carry on.
func (b *Bus) Publish(ctx context.Context, topic, typ string, payload any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bus: publish %s panicked: %v", topic, r)
		}
	}()
	if b.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bus: publish %s: %w", topic, err)
	}
	if err := validSubject(topic); err != nil {
		return err
	}
	raw, err := marshalPayload(payload)
	if err != nil {
		return fmt.Errorf("bus: publish %s: encode payload: %w", topic, err)
	}
	data, err := marshalEnvelope(Envelope{
		V: EnvelopeVersion, ID: newID(), Topic: topic, Type: typ, TS: epoch(time.Now()), Payload: raw,
	})
	if err != nil {
		return fmt.Errorf("bus: publish %s: %w", topic, err)
	}
	if len(data) > MaxMessageSize {
		return fmt.Errorf("bus: publish %s: message of %d bytes exceeds %d", topic, len(data), MaxMessageSize)
	}
	if err := b.nc.Publish(b.wire(topic), data); err != nil {
		return fmt.Errorf("bus: publish %s: %w", topic, err)
	}
	return nil
}

// marshalPayload encodes a notification payload in the form json.Marshal
// gives it inside an envelope: compact, with HTML characters escaped.
func marshalPayload(payload any) (json.RawMessage, error) {
	switch p := payload.(type) {
	case nil:
		return json.RawMessage("{}"), nil
	case json.RawMessage:
		var buf bytes.Buffer
		if err := json.Compact(&buf, p); err != nil {
			return nil, fmt.Errorf("payload is not valid JSON")
		}
		var esc bytes.Buffer
		json.HTMLEscape(&esc, buf.Bytes())
		return esc.Bytes(), nil
	}
	return json.Marshal(payload)
}

// marshalEnvelope is json.Marshal(env), byte for byte, for a payload from
// marshalPayload. Notifications are published per credential a batch
// writes, and json.Marshal's reflection plus its re-validation of the
// payload it has just produced were most of their cost.
func marshalEnvelope(env Envelope) ([]byte, error) {
	// encoding/json switches to exponent form outside this range (and
	// rejects NaN and infinities); epoch seconds never leave it.
	if abs := math.Abs(env.TS); abs != 0 && (abs < 1e-6 || abs >= 1e21) || math.IsNaN(env.TS) {
		return json.Marshal(env)
	}
	b := make([]byte, 0, 96+len(env.ID)+len(env.Topic)+len(env.Type)+len(env.Payload))
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, int64(env.V), 10)
	b = append(b, `,"id":`...)
	b = jsonwrite.AppendString(b, env.ID, true)
	b = append(b, `,"topic":`...)
	b = jsonwrite.AppendString(b, env.Topic, true)
	b = append(b, `,"type":`...)
	b = jsonwrite.AppendString(b, env.Type, true)
	b = append(b, `,"ts":`...)
	b = strconv.AppendFloat(b, env.TS, 'f', -1, 64)
	b = append(b, `,"payload":`...)
	if len(env.Payload) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, env.Payload...)
	}
	return append(b, '}'), nil
}

// Subscription is an active Subscribe or OnControl registration.
type Subscription struct {
	sub *nats.Subscription
}

// Unsubscribe stops delivery; messages already being handled finish.
func (s *Subscription) Unsubscribe() error {
	if err := s.sub.Unsubscribe(); err != nil {
		return fmt.Errorf("bus: unsubscribe %s: %w", s.sub.Subject, err)
	}
	return nil
}

// Subscribe calls fn for every message whose subject matches pattern. With a
// non-empty queue, subscribers sharing that queue name split the messages
// (how a worker scales out). fn runs on the subscription's own goroutine, one
// message at a time; a panic in fn is logged and the next message still comes.
func (b *Bus) Subscribe(pattern, queue string, fn func(Envelope)) (*Subscription, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	if err := validPattern(pattern); err != nil {
		return nil, err
	}
	if queue != "" {
		if err := Token(queue); err != nil {
			return nil, fmt.Errorf("bus: invalid queue group: %w", err)
		}
	}
	handler := func(m *nats.Msg) {
		topic := b.topic(m.Subject)
		defer func() {
			if r := recover(); r != nil {
				b.log.Error("bus: subscriber panicked", "pattern", pattern, "topic", topic, "panic", r, "stack", string(debug.Stack()))
			}
		}()
		env, err := decodeEnvelope(m.Data)
		if err != nil {
			b.log.Warn("bus: dropping undecodable message", "topic", topic, "err", err)
			return
		}
		env.Topic = topic
		fn(env)
	}
	var (
		sub *nats.Subscription
		err error
	)
	if queue == "" {
		sub, err = b.nc.Subscribe(b.wire(pattern), handler)
	} else {
		sub, err = b.nc.QueueSubscribe(b.wire(pattern), queue, handler)
	}
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe %s: %w", pattern, err)
	}
	return &Subscription{sub: sub}, nil
}

// decodeEnvelope parses a message body. Missing fields get defaults and a
// missing id is regenerated, as the original does; the caller sets Topic from
// the subject.
func decodeEnvelope(data []byte) (Envelope, error) {
	var env Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Envelope{}, err
	}
	if env.V == 0 {
		env.V = EnvelopeVersion
	}
	if env.ID == "" {
		env.ID = newID()
	}
	if len(env.Payload) == 0 || string(env.Payload) == "null" {
		env.Payload = json.RawMessage("{}")
	}
	return env, nil
}
