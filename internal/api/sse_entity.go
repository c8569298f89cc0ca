package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
)

// Bounds of the entity streams.
const (
	// identitySnapshotSize is how many identities (and campaigns) the
	// first frame of /identities/events (/campaigns/events) lists, as in
	// the original.
	identitySnapshotSize = 50
)

// entityStream defines one bus-backed SSE stream (api_db.md §5): which
// notifications it forwards, how each is named, and the snapshot it starts
// with. A new stream (campaigns, when they exist) is one more entity
// definition and one route.
type entityStream struct {
	// patterns are the bus subjects listened to.
	patterns []string
	// keep decides whether a notification belongs to this stream; nil
	// keeps everything the patterns match.
	keep func(bus.Envelope) bool
	// name maps a topic to the frame's event name.
	name func(topic string) string
	// snapshot is the data of the first frame, event "snapshot".
	snapshot any
}

// entityFrame is the data of a live frame: the notification as the bus
// carried it.
type entityFrame struct {
	Topic   string          `json:"topic"`
	Type    string          `json:"type"`
	TS      float64         `json:"ts"`
	Payload json.RawMessage `json:"payload"`
}

// droppedFrame is the data of a "dropped" frame: notifications this client
// was too slow to take since the last one, so its view may be stale until
// it reloads the snapshot.
type droppedFrame struct {
	Dropped int64 `json:"dropped"`
}

// envQueue is a client's bounded queue between the bus and its connection.
// push never blocks: the bus delivers a subject's notifications to every
// subscriber on one goroutine, so one slow browser must not stall anyone.
type envQueue struct {
	ch      chan bus.Envelope
	dropped atomic.Int64
}

func newEnvQueue(n int) *envQueue { return &envQueue{ch: make(chan bus.Envelope, n)} }

// push queues env, or counts it dropped when the queue is full.
func (q *envQueue) push(env bus.Envelope) {
	select {
	case q.ch <- env:
	default:
		q.dropped.Add(1)
	}
}

// takeDropped returns and resets the drop count.
func (q *envQueue) takeDropped() int64 { return q.dropped.Swap(0) }

// entityRoute serves a bus-backed stream defined per request by open,
// which may refuse it (404, 503) before anything is sent. Subscriptions
// start before the snapshot is read, so nothing that happens after the
// snapshot is missed (a frame may repeat what the snapshot shows). Without
// a bus, or if subscribing fails, the client gets the snapshot and then
// keep-alives only, as in the original.
func (s *Server) entityRoute(open func(r *http.Request) (entityStream, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		def, err := open(r)
		if err != nil {
			return err
		}
		release, err := s.acquireStream(r)
		if err != nil {
			return err
		}
		defer release()
		c, err := startSSE(w)
		if err != nil {
			return err
		}
		ctx := r.Context()
		q := newEnvQueue(s.sse.queueLen)
		unsubscribe := s.subscribeAll(def, q)
		defer unsubscribe()
		err = s.runEntityStream(ctx, c, def, q)
		if n := q.takeDropped(); n > 0 {
			s.log.Info("sse stream dropped notifications for a slow client", "path", r.URL.Path, "dropped", n)
		}
		s.streamEnded(r, err)
		return nil
	}
}

// subscribeAll subscribes q to def's patterns; on any failure it leaves
// none behind and the stream carries on without live frames.
func (s *Server) subscribeAll(def entityStream, q *envQueue) (unsubscribe func()) {
	var subs []*bus.Subscription
	unsubscribe = func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
		subs = nil
	}
	if s.bus == nil {
		return unsubscribe
	}
	for _, p := range def.patterns {
		sub, err := s.bus.Subscribe(p, "", func(env bus.Envelope) {
			if def.keep == nil || def.keep(env) {
				q.push(env)
			}
		})
		if err != nil {
			s.log.Warn("sse: bus subscription failed; the stream sends keep-alives only", "pattern", p, "err", err)
			unsubscribe()
			return unsubscribe
		}
		subs = append(subs, sub)
	}
	return unsubscribe
}

func (s *Server) runEntityStream(ctx context.Context, c *sseConn, def entityStream, q *envQueue) error {
	if err := c.send("snapshot", "", def.snapshot); err != nil {
		return err
	}
	keep := time.NewTicker(s.sse.keepAlive)
	defer keep.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-keep.C:
			if err := c.keepalive(); err != nil {
				return err
			}
		case env := <-q.ch:
			for {
				if err := c.send(def.name(env.Topic), "", entityFrame{
					Topic: env.Topic, Type: env.Type, TS: env.TS, Payload: env.Payload,
				}); err != nil {
					return err
				}
				select {
				case env = <-q.ch:
					continue
				default:
				}
				break
			}
			if n := q.takeDropped(); n > 0 {
				if err := c.send("dropped", "", droppedFrame{Dropped: n}); err != nil {
					return err
				}
			}
		}
	}
}

// trimTopic names frames by the topic without its family prefix:
// identity.merged → merged.
func trimTopic(prefix string) func(string) string {
	return func(topic string) string { return strings.TrimPrefix(topic, prefix) }
}

// anchorPayload is what the attacker stream reads of a notification to
// tell whose it is. Notifications sent before the profiler has named the
// attacker (session.ended, credential.captured) carry only its address.
type anchorPayload struct {
	AttackerUUID *string `json:"attacker_uuid"`
	AttackerIP   string  `json:"attacker_ip"`
}

// attackerEvents is GET /attackers/{uuid}/events: the attacker with its
// behaviour, then every attacker.*, credential.* and ttp.tagged
// notification about it (payload attacker_uuid, or attacker_ip for those
// sent before the attacker had a uuid), named by topic. A missing attacker
// is a 404 once the caller is authenticated.
func (s *Server) attackerEvents(r *http.Request) (entityStream, error) {
	a, err := s.attackerOf(r)
	if err != nil {
		return entityStream{}, err
	}
	views, err := s.withBehaviors(r.Context(), []model.Attacker{a})
	if err != nil {
		return entityStream{}, err
	}
	uuid, ip := a.UUID, a.IP
	return entityStream{
		patterns: []string{bus.AttackerAll, bus.CredentialAll, bus.TTPTagged},
		keep: func(env bus.Envelope) bool {
			var p anchorPayload
			if json.Unmarshal(env.Payload, &p) != nil {
				return false
			}
			if p.AttackerUUID != nil && *p.AttackerUUID != "" {
				return *p.AttackerUUID == uuid
			}
			return ip != "" && p.AttackerIP == ip
		},
		name: func(topic string) string { return topic },
		snapshot: struct {
			AttackerUUID string       `json:"attacker_uuid"`
			Attacker     attackerView `json:"attacker"`
		}{uuid, views[0]},
	}, nil
}

// identityEvents is GET /identities/events: the first 50 identities, then
// every identity.<x> notification as event <x> (formed,
// observation.linked, merged, unmerged, campaign.assigned).
func (s *Server) identityEvents(r *http.Request) (entityStream, error) {
	if s.identities == nil {
		return entityStream{}, errNoIdentityStore
	}
	rows, _, err := s.identities.ListIdentities(r.Context(), identitySnapshotSize, 0)
	if err != nil {
		return entityStream{}, err
	}
	if rows == nil {
		rows = []model.Identity{}
	}
	return entityStream{
		patterns: []string{bus.IdentityAll},
		name:     trimTopic("identity."),
		snapshot: struct {
			Identities []model.Identity `json:"identities"`
		}{rows},
	}, nil
}

// campaignEvents is GET /campaigns/events: the first 50 live campaigns,
// then every campaign.<x> notification as event <x> (formed,
// identity.assigned, merged, unmerged).
func (s *Server) campaignEvents(r *http.Request) (entityStream, error) {
	if s.campaigns == nil {
		return entityStream{}, errNoCampaignStore
	}
	rows, _, err := s.campaigns.ListCampaigns(r.Context(), identitySnapshotSize, 0)
	if err != nil {
		return entityStream{}, err
	}
	if rows == nil {
		rows = []model.Campaign{}
	}
	return entityStream{
		patterns: []string{bus.CampaignAll},
		name:     trimTopic("campaign."),
		snapshot: struct {
			Campaigns []model.Campaign `json:"campaigns"`
		}{rows},
	}, nil
}

// ttpEvents is GET /ttp/events: the fleet technique rollup, then the TTP
// worker's notifications: ttp.tagged as event "tagged" and
// ttp.rule.fired.<technique> as event "rule.fired" (the technique is in
// the payload, so one listener covers all).
func (s *Server) ttpEvents(r *http.Request) (entityStream, error) {
	if s.ttp == nil {
		return entityStream{}, errNoTTPStore
	}
	rows, err := s.ttp.ListTechniqueRollups(r.Context())
	if err != nil {
		return entityStream{}, err
	}
	return entityStream{
		patterns: []string{bus.TTPTagged, "ttp.rule.fired.*"},
		name: func(topic string) string {
			if strings.HasPrefix(topic, "ttp.rule.fired.") {
				return "rule.fired"
			}
			return strings.TrimPrefix(topic, "ttp.")
		},
		snapshot: struct {
			Techniques []techniqueRow `json:"techniques"`
		}{s.techniqueRows(rows, false)},
	}, nil
}
