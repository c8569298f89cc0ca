package ttp

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/flatjson"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Names the worker uses on the bus.
const (
	// QueueGroup spreads notifications over every ttp worker sharing a
	// NATS server, so each is tagged once.
	QueueGroup = "ttp"
	// DurableName is the worker's consumer on events.>, shared the same way.
	DurableName = "ttp"
)

// Subscriptions are the notification patterns the worker tags (ttp.md §4.2,
// with attacker.scored carrying the per-attacker aggregates our profiler
// produces).
var Subscriptions = []string{
	bus.AttackerSessionEnded, bus.AttackerScored, bus.AttackerIntelEnriched, bus.AttackerFingerprinted,
	bus.IdentityFormed, bus.IdentityMerged, bus.CredentialReuseDetected, bus.EmailReceived, bus.CanaryAll,
}

// DefaultAnchorWait is how long apart an unknown source address is looked
// up again before its event is dropped: the profiler writes attackers rows
// about a second behind the stream, so most resolve on the first retry.
// The waits add up to 15.75 s, well inside the stream's 30 s ack wait, so a
// batch waiting for the profiler is not redelivered meanwhile.
var DefaultAnchorWait = []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second,
	2 * time.Second, 4 * time.Second, 8 * time.Second}

// TagStore stores tags; store.TTPTagRepository implements it.
type TagStore interface {
	InsertTTPTags(ctx context.Context, tags []model.TTPTag) ([]string, error)
}

// AttackerLookup resolves a source address to its attackers row.
type AttackerLookup interface {
	GetAttackerUUIDByIP(ctx context.Context, ip string) (string, error)
}

// Sources are the reads the worker builds aggregate events from.
type Sources interface {
	AuthAggregate(ctx context.Context, ip string) (store.AuthAggregate, error)
	IdentitySpray(ctx context.Context, identityUUID string) (store.IdentitySpray, error)
	GetAttackerBehavior(ctx context.Context, attackerUUID string) (model.AttackerBehavior, error)
	GetAttackerByUUID(ctx context.Context, uuid string) (model.Attacker, error)
}

// Publisher sends notifications; *bus.Bus implements it.
type Publisher interface {
	Publish(ctx context.Context, topic, typ string, payload any) error
}

// WorkerOptions configures NewWorker. Tagger, Tags and Attackers are
// required.
type WorkerOptions struct {
	Tagger    Tagger
	Tags      TagStore
	Attackers AttackerLookup
	// Sources feeds the auth_attempt, identity and behaviour events; nil
	// tags only what the notifications and events carry.
	Sources Sources
	// Publisher receives ttp.tagged and ttp.rule.fired.<T>; nil publishes
	// nothing (the backfill's mode).
	Publisher  Publisher
	AnchorWait []time.Duration
	Logger     *slog.Logger
}

// Worker tags what the bus carries and stores the tags (ttp.md §4).
type Worker struct {
	o   WorkerOptions
	log *slog.Logger

	mu      sync.Mutex
	anchors map[string]string // ip → attacker uuid, bounded
}

// maxAnchorCache bounds the remembered ip → uuid lookups.
const maxAnchorCache = 100_000

// NewWorker checks o and fills its defaults.
func NewWorker(o WorkerOptions) (*Worker, error) {
	if o.Tagger == nil || o.Tags == nil || o.Attackers == nil {
		return nil, errors.New("ttp: worker needs a tagger, a tag store and an attacker lookup")
	}
	if o.AnchorWait == nil {
		o.AnchorWait = DefaultAnchorWait
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{o: o, log: o.Logger, anchors: map[string]string{}}, nil
}

// Process tags evs, stores the tags and, when a publisher is set,
// announces the rows that were new. It returns the uuids newly stored. An
// event whose tagger fails is logged and skipped; a store failure is
// returned.
func (w *Worker) Process(ctx context.Context, evs []Event) ([]string, error) {
	var tags []model.TTPTag
	for _, ev := range evs {
		t, err := w.o.Tagger.Tag(ctx, ev)
		if err != nil {
			w.log.Warn("ttp: tagging failed for one event", "kind", ev.SourceKind, "source_id", ev.SourceID, "err", err)
		}
		tags = append(tags, t...)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	inserted, err := w.o.Tags.InsertTTPTags(ctx, tags)
	if err != nil {
		return nil, err
	}
	if len(inserted) > 0 {
		w.announce(ctx, tags, inserted)
	}
	return inserted, nil
}

// taggedPayload is ttp.tagged.
type taggedPayload struct {
	AttackerUUID       string   `json:"attacker_uuid,omitempty"`
	IdentityUUID       string   `json:"identity_uuid,omitempty"`
	SessionID          string   `json:"session_id,omitempty"`
	TagUUIDs           []string `json:"tag_uuids"`
	TechniquesAdded    []string `json:"techniques_added"`
	SubTechniquesAdded []string `json:"sub_techniques_added"`
}

// firedPayload is ttp.rule.fired.<technique>.
type firedPayload struct {
	TechniqueID     string   `json:"technique_id"`
	SubTechniqueIDs []string `json:"sub_technique_ids"`
	TagUUIDs        []string `json:"tag_uuids"`
	AttackerUUID    string   `json:"attacker_uuid,omitempty"`
	IdentityUUID    string   `json:"identity_uuid,omitempty"`
	SessionID       string   `json:"session_id,omitempty"`
}

// announce publishes ttp.tagged per anchor and ttp.rule.fired per
// technique, listing only the newly inserted tags (the original listed
// every emitted one). A bus error is logged, never fatal.
func (w *Worker) announce(ctx context.Context, tags []model.TTPTag, inserted []string) {
	if w.o.Publisher == nil {
		return
	}
	isNew := make(map[string]bool, len(inserted))
	for _, id := range inserted {
		isNew[id] = true
	}
	type anchor struct{ attacker, identity, session string }
	byAnchor := map[anchor][]model.TTPTag{}
	var order []anchor
	for _, t := range tags {
		if !isNew[t.UUID] {
			continue
		}
		delete(isNew, t.UUID) // a tag emitted twice in one batch counts once
		a := anchor{t.AttackerUUID, t.IdentityUUID, t.SessionID}
		if _, ok := byAnchor[a]; !ok {
			order = append(order, a)
		}
		byAnchor[a] = append(byAnchor[a], t)
	}
	for _, a := range order {
		group := byAnchor[a]
		p := taggedPayload{AttackerUUID: a.attacker, IdentityUUID: a.identity, SessionID: a.session}
		fired := map[string]*firedPayload{}
		for _, t := range group {
			p.TagUUIDs = append(p.TagUUIDs, t.UUID)
			p.TechniquesAdded = appendUnique(p.TechniquesAdded, t.TechniqueID)
			if t.SubTechniqueID != "" {
				p.SubTechniquesAdded = appendUnique(p.SubTechniquesAdded, t.SubTechniqueID)
			}
			f := fired[t.TechniqueID]
			if f == nil {
				f = &firedPayload{TechniqueID: t.TechniqueID, AttackerUUID: a.attacker, IdentityUUID: a.identity,
					SessionID: a.session, SubTechniqueIDs: []string{}}
				fired[t.TechniqueID] = f
			}
			f.TagUUIDs = append(f.TagUUIDs, t.UUID)
			if t.SubTechniqueID != "" {
				f.SubTechniqueIDs = appendUnique(f.SubTechniqueIDs, t.SubTechniqueID)
			}
		}
		slices.Sort(p.TechniquesAdded)
		slices.Sort(p.SubTechniquesAdded)
		if p.SubTechniquesAdded == nil {
			p.SubTechniquesAdded = []string{}
		}
		w.publish(ctx, bus.TTPTagged, "tagged", p)
		for _, tid := range p.TechniquesAdded {
			topic, err := bus.TTPRuleFired(tid)
			if err != nil {
				w.log.Warn("ttp: no rule.fired subject for technique", "technique", tid, "err", err)
				continue
			}
			w.publish(ctx, topic, "rule.fired", fired[tid])
		}
	}
}

func (w *Worker) publish(ctx context.Context, topic, typ string, payload any) {
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := w.o.Publisher.Publish(pctx, topic, typ, payload); err != nil {
		w.log.Warn("ttp: publish failed", "topic", topic, "err", err)
	}
}

func appendUnique(xs []string, v string) []string {
	if slices.Contains(xs, v) {
		return xs
	}
	return append(xs, v)
}

// Resolve returns the attacker uuid of ip, waiting out the profiler for
// the configured delays. ok is false for an empty or "Unknown" address, an
// address still unknown after the last wait, or repeated lookup failures.
func (w *Worker) Resolve(ctx context.Context, ip string) (string, bool) {
	id, ok := w.resolveAll(ctx, []string{ip})[ip]
	return id, ok
}

// resolveAll resolves several addresses, sharing the waits: a batch of
// events from many new addresses waits at most the sum of AnchorWait once,
// not once per address. Addresses that never resolve are absent from the
// result; each is logged once.
func (w *Worker) resolveAll(ctx context.Context, ips []string) map[string]string {
	out := make(map[string]string, len(ips))
	var pending []string
	w.mu.Lock()
	for _, ip := range ips {
		if ip == "" || ip == model.UnknownIP {
			continue
		}
		if id, ok := w.anchors[ip]; ok {
			out[ip] = id
		} else if !slices.Contains(pending, ip) {
			pending = append(pending, ip)
		}
	}
	w.mu.Unlock()
	lastErr := map[string]error{}
	for attempt := 0; len(pending) > 0; attempt++ {
		var still []string
		for _, ip := range pending {
			id, err := w.o.Attackers.GetAttackerUUIDByIP(ctx, ip)
			if err != nil {
				lastErr[ip] = err
				still = append(still, ip)
				continue
			}
			out[ip] = id
			w.mu.Lock()
			if len(w.anchors) >= maxAnchorCache {
				clear(w.anchors)
			}
			w.anchors[ip] = id
			w.mu.Unlock()
		}
		pending = still
		if len(pending) == 0 || attempt >= len(w.o.AnchorWait) {
			break
		}
		t := time.NewTimer(w.o.AnchorWait[attempt])
		select {
		case <-ctx.Done():
			t.Stop()
			return out
		case <-t.C:
		}
	}
	for _, ip := range pending {
		if errors.Is(lastErr[ip], store.ErrNotFound) {
			w.log.Info("ttp: dropping events: no attacker row for their address yet (is the profiler running?)", "ip", ip)
		} else {
			w.log.Warn("ttp: dropping events: attacker lookup failed", "ip", ip, "err", lastErr[ip])
		}
	}
	return out
}

// commandEventTypes are the event types whose text is an attacker command
// (pipeline.md §3.1).
var commandEventTypes = map[string]bool{"command": true, "exec": true, "query": true, "input": true,
	"shell_input": true, "execute": true, "run": true, "sql_query": true, "redis_command": true}

var commandTextFields = []string{"command", "query", "input", "line", "sql", "cmd"}

// maxFieldText caps attacker text put into a payload.
const maxFieldText = 64 << 10

// StreamEvent maps one stream event to the tagger event it is, or ok false
// for event types the tagger has no rule for. attackerUUID is the anchor.
//
// Producer contracts: command-family events → command {command_text,
// service, user}; HTTP request events → http_request {method, raw_url, path,
// user_agent, headers, request_line}; SSH port-forward requests → session
// {forward_requests: 1, forward_targets, direction}. The source id is the event id,
// the same one a backfill over the logs table uses.
func StreamEvent(e model.Event, attackerUUID string) (Event, bool) {
	base := Event{SourceID: e.ID, AttackerUUID: attackerUUID, SessionID: e.SessionID, DeckyID: e.Decky}
	f := e.Fields
	switch {
	case commandEventTypes[e.EventType]:
		for _, k := range commandTextFields {
			if v := f[k]; v != "" {
				base.SourceKind = KindCommand
				base.Payload = map[string]any{"command_text": clipText(v), "service": e.Service}
				if u := f["user"]; u != "" {
					base.Payload["user"] = u
				}
				return base, true
			}
		}
	case e.EventType == "request" && (e.Service == "http" || e.Service == "https"):
		base.SourceKind = KindHTTPRequest
		raw := f["path"]
		if q := f["query"]; q != "" && !strings.Contains(raw, "?") {
			raw += "?" + q
		}
		headers := parseHeaderMap(f["headers"])
		base.Payload = map[string]any{
			"method": f["method"], "raw_url": clipText(raw), "path": f["path"], "user_agent": headerValue(headers, "user-agent"),
			"headers": headers, "request_line": clipText(f["method"] + " " + raw),
		}
		if b := f["body"]; b != "" {
			base.Payload["body_preview"] = clipText(b)
		}
		return base, true
	case e.EventType == "port_forward_request":
		// Local forwards (ssh -L, direct-tcpip) name where they lead;
		// remote ones (ssh -R, tcpip-forward) what they would open here.
		target := f["dest_host"] + ":" + f["dest_port"]
		if f["dest_host"] == "" {
			target = f["bind_addr"] + ":" + f["bind_port"]
		}
		base.SourceKind = KindSession
		base.Payload = map[string]any{"forward_requests": 1, "forward_targets": []any{target},
			"direction": f["direction"], "service": e.Service}
		return base, true
	}
	return Event{}, false
}

func clipText(s string) string {
	if len(s) > maxFieldText {
		return s[:maxFieldText]
	}
	return s
}

// parseHeaderMap decodes the services' JSON header object; anything else
// yields an empty map. The HTTP decoy writes a flat object of strings for
// every request, so that shape is read by flatjson (encoding/json into
// map[string]any was a visible share of the decoy's per-request cost);
// anything else goes to encoding/json, and FuzzParseHeaderMap pins that
// both agree.
func parseHeaderMap(raw string) map[string]any {
	out := make(map[string]any, flatjson.SizeHint(raw))
	if flatjson.Visit(raw, func(k, v string) { out[k] = v }) {
		return out
	}
	clear(out)
	if raw == "" {
		return out
	}
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) == nil && m != nil {
		return m
	}
	return out
}

func headerValue(h map[string]any, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// HandleStreamBatch tags a batch of stream events: it resolves the
// distinct source addresses together, maps the events and processes them.
func (w *Worker) HandleStreamBatch(ctx context.Context, evs []model.Event) error {
	// Map first, anchor after: the mapping (header parsing included) runs
	// once per event, and only taggable events' addresses are looked up.
	var mapped []Event
	var ips []string
	for _, e := range evs {
		if ev, ok := StreamEvent(e, ""); ok {
			mapped = append(mapped, ev)
			ips = append(ips, e.SrcIP)
		}
	}
	if len(mapped) == 0 {
		return nil
	}
	anchors := w.resolveAll(ctx, ips)
	out := mapped[:0]
	for i, ev := range mapped {
		if id, ok := anchors[ips[i]]; ok {
			ev.AttackerUUID = id
			out = append(out, ev)
		}
	}
	_, err := w.Process(ctx, out)
	return err
}

// NotificationEvents maps one notification to the tagger events it
// carries (ttp.md §4.2–4.3, with this project's producer contracts; see
// lifters.go). ok is false when the notification has no anchor and none can
// be resolved; it is then dropped.
func (w *Worker) NotificationEvents(ctx context.Context, env bus.Envelope) ([]Event, bool) {
	var p map[string]any
	if err := json.Unmarshal(env.Payload, &p); err != nil || p == nil {
		w.log.Debug("ttp: undecodable notification", "topic", env.Topic)
		return nil, false
	}
	str := func(k string) string { s, _ := p[k].(string); return s }
	base := Event{AttackerUUID: str("attacker_uuid"), IdentityUUID: str("identity_uuid"),
		SessionID: str("session_id"), DeckyID: cmp.Or(str("decky_id"), str("decky"))}
	topic := env.Topic
	if base.AttackerUUID == "" && base.IdentityUUID == "" {
		if !strings.HasPrefix(topic, "identity.") {
			ip := cmp.Or(str("attacker_ip"), str("src_ip"))
			id, ok := w.Resolve(ctx, ip)
			if !ok {
				return nil, false
			}
			base.AttackerUUID = id
		}
	}
	switch {
	case topic == bus.AttackerSessionEnded:
		return w.sessionEvents(base, p), true
	case topic == bus.AttackerScored:
		return w.scoredEvents(ctx, base, str("attacker_ip")), true
	case topic == bus.AttackerIntelEnriched:
		ev := base
		ev.SourceKind, ev.SourceID, ev.Payload = KindIntel, "intel:"+base.AttackerUUID, p
		return []Event{ev}, true
	case topic == bus.AttackerFingerprinted && env.Type == KindIPv6Leak:
		ev := base
		ev.SourceKind, ev.SourceID, ev.Payload = KindIPv6Leak, "ipv6:"+base.AttackerUUID+":"+str("addr"), p
		return []Event{ev}, true
	case topic == bus.IdentityFormed || topic == bus.IdentityMerged:
		return w.identityEvents(ctx, cmp.Or(str("identity_uuid"), str("winner_uuid"))), true
	case topic == bus.CredentialReuseDetected:
		ev := base
		target, _ := p["target_count"].(float64)
		ev.SourceKind, ev.SourceID = KindCredential, "reuse:"+str("id")
		ev.Payload = map[string]any{"credential_hash": str("secret_sha256"), "reuse_count": int(target) - 1,
			"target_count": int(target), "secret_kind": str("secret_kind"), "services": p["services"],
			"deckies": p["deckies"]}
		return []Event{ev}, true
	case topic == bus.EmailReceived:
		ev := base
		ev.SourceKind, ev.SourceID, ev.Payload = KindEmail, cmp.Or(str("source_id"), str("stored_as")), p
		return []Event{ev}, ev.SourceID != ""
	case strings.HasPrefix(topic, "canary.") && strings.HasSuffix(topic, ".triggered"):
		ev := base
		ev.SourceKind = KindCanary
		ev.SourceID = "canary:" + cmp.Or(str("trigger_id"), str("token_id"))
		ev.Payload = p
		return []Event{ev}, true
	}
	return nil, false
}

// sessionEvents is the session-level event of a finished shell session:
// the whole command list for behavioural rules (the commands themselves
// are tagged one by one from the event stream).
func (w *Worker) sessionEvents(base Event, p map[string]any) []Event {
	cmds, _ := p["commands"].([]any)
	var texts []string
	var downloads []any
	for _, c := range cmds {
		switch v := c.(type) {
		case string:
			texts = append(texts, v)
		case map[string]any:
			if s, ok := v["command_text"].(string); ok {
				texts = append(texts, s)
			}
		}
	}
	for _, t := range texts {
		for _, field := range strings.Fields(t) {
			if u, err := url.Parse(field); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
				downloads = append(downloads, field)
			}
		}
	}
	ev := base
	ev.SourceKind = KindSession
	ev.SourceID = cmp.Or(base.SessionID, "session:"+base.AttackerUUID)
	list := make([]any, len(texts))
	for i, t := range texts {
		list[i] = t
	}
	ev.Payload = map[string]any{"command_text": clipText(strings.Join(texts, "\n")), "commands": list,
		"downloads": downloads, "service": p["service"]}
	return []Event{ev}
}

// scoredEvents are the per-attacker aggregates refreshed on
// attacker.scored: its credential attempts (auth_attempt), its beaconing
// profile and its client fingerprints. Their source ids name the
// attacker, so each rule tags an attacker once per version however often
// the aggregates are rebuilt.
func (w *Worker) scoredEvents(ctx context.Context, base Event, ip string) []Event {
	if w.o.Sources == nil {
		return nil
	}
	var out []Event
	if ip != "" {
		agg, err := w.o.Sources.AuthAggregate(ctx, ip)
		if err != nil {
			w.log.Warn("ttp: reading credential aggregates failed", "ip", ip, "err", err)
		} else if agg.Attempts > 0 {
			ev := base
			ev.SourceKind, ev.SourceID = KindAuthAttempt, "auth:"+base.AttackerUUID
			succ := make([]any, len(agg.Successes))
			for i, s := range agg.Successes {
				succ[i] = map[string]any{"username": s.Username, "password": s.Password}
			}
			ev.Payload = map[string]any{"username": agg.Username, "fail_count": agg.FailCount,
				"password_count": agg.PasswordCount, "account_count": agg.AccountCount,
				"shared_password_hash": agg.SharedPasswordHash, "result": agg.Result, "prior_brute": agg.PriorBrute,
				"successes": succ, "service": agg.Service}
			out = append(out, ev)
		}
	}
	if b, err := w.o.Sources.GetAttackerBehavior(ctx, base.AttackerUUID); err == nil && b.BeaconIntervalS != nil {
		ev := base
		ev.SourceKind, ev.SourceID = KindSession, "behavior:"+base.AttackerUUID
		ev.Payload = map[string]any{"beacon_interval_s": *b.BeaconIntervalS, "behavior_class": b.BehaviorClass}
		if b.BeaconJitterPct != nil {
			ev.Payload["beacon_jitter_pct"] = *b.BeaconJitterPct
		}
		out = append(out, ev)
	}
	if a, err := w.o.Sources.GetAttackerByUUID(ctx, base.AttackerUUID); err == nil {
		lists := map[string][]any{}
		for _, f := range a.Fingerprints {
			switch f.Type {
			case "jarm":
				lists["jarm_hashes"] = append(lists["jarm_hashes"], f.Value)
			case "hassh", "hassh_server":
				lists["hassh_hashes"] = append(lists["hassh_hashes"], f.Value)
			case "ja3":
				lists["ja3_hashes"] = append(lists["ja3_hashes"], f.Value)
			}
		}
		if len(lists) > 0 {
			ev := base
			ev.SourceKind, ev.SourceID = KindSession, "fingerprints:"+base.AttackerUUID
			ev.Payload = map[string]any{}
			for k, v := range lists {
				ev.Payload[k] = v
			}
			out = append(out, ev)
		}
	}
	return out
}

// identityEvents is the identity-level credential aggregate: one shared
// secret tried against many accounts by the identity's attackers.
func (w *Worker) identityEvents(ctx context.Context, identityUUID string) []Event {
	if w.o.Sources == nil || identityUUID == "" {
		return nil
	}
	s, err := w.o.Sources.IdentitySpray(ctx, identityUUID)
	if err != nil {
		w.log.Warn("ttp: reading identity credentials failed", "identity", identityUUID, "err", err)
		return nil
	}
	if s.AccountCount == 0 {
		return nil
	}
	return []Event{{SourceKind: KindIdentity, SourceID: "identity:" + identityUUID, IdentityUUID: identityUUID,
		Payload: map[string]any{"shared_password_hash": s.SharedPasswordHash, "account_count": s.AccountCount,
			"attacker_count": s.AttackerCount}}}
}

// HandleNotification tags one notification. A store failure is logged: the
// notification is not redelivered (ttp-backfill recovers commands).
func (w *Worker) HandleNotification(ctx context.Context, env bus.Envelope) {
	evs, ok := w.NotificationEvents(ctx, env)
	if !ok || len(evs) == 0 {
		return
	}
	if _, err := w.Process(ctx, evs); err != nil {
		w.log.Warn("ttp: storing tags failed", "topic", env.Topic, "err", err)
	}
}

// Subscriber is the part of *bus.Bus the notification side needs.
type Subscriber interface {
	Subscribe(pattern, queue string, fn func(bus.Envelope)) (*bus.Subscription, error)
}

// EventSource is the durable consumer the stream side reads;
// *bus.EventConsumer implements it.
type EventSource interface {
	Fetch(ctx context.Context, max int, maxWait time.Duration) (*bus.EventBatch, error)
}

// notificationQueue bounds notifications waiting to be tagged; beyond it
// the oldest wait in NATS's own buffer.
const notificationQueue = 4096

// RunNotifications subscribes to Subscriptions in QueueGroup and tags each
// notification until ctx ends. Anchor waits happen on the worker's own
// goroutines, never in the NATS callback.
func (w *Worker) RunNotifications(ctx context.Context, b Subscriber, workers int) error {
	queue := make(chan bus.Envelope, notificationQueue)
	var subs []*bus.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	for _, pat := range Subscriptions {
		s, err := b.Subscribe(pat, QueueGroup, func(env bus.Envelope) {
			select {
			case queue <- env:
			case <-ctx.Done():
			}
		})
		if err != nil {
			return err
		}
		subs = append(subs, s)
	}
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case env := <-queue:
					w.HandleNotification(ctx, env)
				}
			}
		})
	}
	wg.Wait()
	return nil
}

// RunStream tags the event stream through src until ctx ends. A batch is
// acked once its tags are stored; a store failure naks it for redelivery
// (tag keys make the retry a no-op for what was stored).
func (w *Worker) RunStream(ctx context.Context, src EventSource) {
	backoff := time.Duration(0)
	for ctx.Err() == nil {
		if backoff > 0 {
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		eb, err := src.Fetch(ctx, 500, time.Second)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("ttp: fetch failed; retrying", "err", err)
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			continue
		}
		if err := w.HandleStreamBatch(ctx, eb.Events()); err != nil {
			if ctx.Err() != nil {
				eb.Nak()
				return
			}
			w.log.Warn("ttp: storing tags failed; the events will be redelivered", "err", err)
			eb.Nak()
			backoff = min(max(2*backoff, 100*time.Millisecond), 10*time.Second)
			continue
		}
		backoff = 0
		if err := eb.Ack(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("ttp: ack failed; the events will be redelivered and tagged again as no-ops", "err", err)
		}
	}
}
