package profiler

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// EventRequest is the event type whose fields.headers feed header signatures.
const EventRequest = "request"

// Command is one entry of attackers.commands.
type Command struct {
	Service   string    `json:"service"`
	Decky     string    `json:"decky"`
	Command   string    `json:"command"`
	Timestamp time.Time `json:"timestamp"`
}

// CommandText returns the command text of an event of the command family:
// the first non-empty of fields command, query, input, line, sql, cmd. ok is
// false for other event types or when all are empty.
func CommandText(eventType string, fields map[string]string) (text string, ok bool) {
	if !commandEvents[eventType] {
		return "", false
	}
	for _, k := range commandTextFields {
		if v := fields[k]; v != "" {
			return v, true
		}
	}
	return "", false
}

// Accumulator folds one attacker IP's events into a Profile. Its fields are
// the persisted state: marshal it with encoding/json after a tick and
// unmarshal it on restart, and folding the remaining events gives the same
// Profile as folding them all in one process. The zero value is ready to use.
// An Accumulator is not safe for concurrent use.
type Accumulator struct {
	IP string `json:"ip"`
	// EventCount, FirstSeen and LastSeen cover every event of the IP,
	// internal decnet-* deckies included (the attackers row's counters).
	EventCount  int              `json:"event_count"`
	FirstSeen   time.Time        `json:"first_seen"`
	LastSeen    time.Time        `json:"last_seen"`
	Timing      TimingState      `json:"timing"`
	Phases      PhaseState       `json:"phases"`
	OS          OSState          `json:"os"`
	Interaction InteractionState `json:"interaction"`
	Traversal   TraversalState   `json:"traversal"`
	// Services are the distinct services of all events (noise included).
	Services []string `json:"services,omitempty"`
	// HeaderTools are header-signature hits, deduped in first-hit order.
	HeaderTools []string `json:"header_tools,omitempty"`
	// Commands are the most recent MaxCommands commands, oldest first.
	Commands        []Command `json:"commands,omitempty"`
	CommandsDropped int       `json:"commands_dropped,omitempty"`
	// Fingerprints are the typed fingerprints of every event, internal
	// ones included: the prober's and the sniffer's describe the attacker.
	Fingerprints FingerprintState `json:"fingerprints"`
}

// Add folds one event. Events should arrive in non-decreasing time order
// (the worker reads logs by id); see TimingState.Add for late events.
//
// [GAP] decided: events on internal decnet-* deckies (the prober's
// fingerprints of the attacker, correlator lines) are decnet's own activity,
// not the attacker's. They count in EventCount/FirstSeen/LastSeen and feed
// the OS/TCP rollup (their purpose), but not timing, classification,
// services, interaction classes, tools, phases, commands or traversal — the
// same reasoning as the original's traversal filter, applied consistently
// (otherwise every probed attacker gains a "prober" service and a bogus
// second service in classify_behavior).
func (a *Accumulator) Add(e model.Event) {
	a.EventCount++
	if a.EventCount == 1 || e.TS.Before(a.FirstSeen) {
		a.FirstSeen = e.TS
	}
	if a.EventCount == 1 || e.TS.After(a.LastSeen) {
		a.LastSeen = e.TS
	}
	a.OS.Add(e.EventType, e.Fields)
	var headers map[string]string
	if h, ok := e.Fields["headers"]; ok && e.EventType == EventRequest {
		headers = ParseHeaders(h)
	}
	a.Fingerprints.Add(e.Service, e.EventType, e.Fields, headers)
	if IsInternalDecky(e.Decky) {
		return
	}
	a.Timing.Add(e.TS)
	a.Phases.Add(e.TS, e.EventType, e.Fields)
	decky, service := clip(e.Decky), clip(e.Service)
	a.Interaction.Add(service, e.EventType)
	a.Traversal.Add(e.TS, decky)
	if service != "" && !slices.Contains(a.Services, service) && len(a.Services) < MaxServices {
		a.Services = append(a.Services, service)
	}
	for _, t := range HeaderTools(headers) {
		if !slices.Contains(a.HeaderTools, t) {
			a.HeaderTools = append(a.HeaderTools, t)
		}
	}
	if text, ok := CommandText(e.EventType, e.Fields); ok {
		text = clean(text, MaxCommandLen)
		if len(a.Commands) >= MaxCommands {
			a.Commands = slices.Delete(a.Commands, 0, len(a.Commands)-MaxCommands+1)
			a.CommandsDropped++
		}
		a.Commands = append(a.Commands, Command{Service: service, Decky: decky, Command: text, Timestamp: e.TS})
	}
}

// Behavior is the attacker_behavior rollup (pipeline.md §3.6 row).
type Behavior struct {
	OSGuess          string            `json:"os_guess,omitempty"`
	HopDistance      *int              `json:"hop_distance,omitempty"`
	TCPFingerprint   map[string]string `json:"tcp_fingerprint"`
	KexOrderRaw      []string          `json:"kex_order_raw"`
	SSHClientBanners []string          `json:"ssh_client_banners"`
	RetransmitCount  int               `json:"retransmit_count"`
	BehaviorClass    BehaviorClass     `json:"behavior_class"`
	Rule             Rule              `json:"rule"`
	BeaconIntervalS  *float64          `json:"beacon_interval_s,omitempty"`
	BeaconJitterPct  *float64          `json:"beacon_jitter_pct,omitempty"`
	ToolGuesses      []string          `json:"tool_guesses"`
	TimingStats      TimingStats       `json:"timing_stats"`
	PhaseSequence    PhaseSequence     `json:"phase_sequence"`
}

// Profile is everything the profiler derives for one IP: the attackers-row
// aggregates of pipeline.md §3.1 this package owns, the behaviour rollup,
// interaction classes and traversal.
type Profile struct {
	IP           string    `json:"ip"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	EventCount   int       `json:"event_count"`
	Services     []string  `json:"services"`
	ServiceCount int       `json:"service_count"`
	// Deckies are the decoy deckies in first-contact order (internal
	// decnet-* excluded, QUIRK 3 fixed); DeckyCount counts them.
	Deckies         []string            `json:"deckies"`
	DeckyCount      int                 `json:"decky_count"`
	IsTraversal     bool                `json:"is_traversal"`
	TraversalPath   string              `json:"traversal_path,omitempty"`
	Traversal       *TraversalDetected  `json:"traversal,omitempty"`
	Commands        []Command           `json:"commands"`
	CommandsDropped int                 `json:"commands_dropped,omitempty"`
	Fingerprints    []model.Fingerprint `json:"fingerprints"`
	Buckets         ServiceBuckets      `json:"buckets"`
	Behavior        Behavior            `json:"behavior"`
}

// Profile renders the current state. It does not modify the Accumulator.
func (a *Accumulator) Profile() Profile {
	services := slices.Clone(a.Services)
	slices.Sort(services)
	if services == nil {
		services = []string{}
	}
	p := Profile{
		IP:              a.IP,
		FirstSeen:       a.FirstSeen,
		LastSeen:        a.LastSeen,
		EventCount:      a.EventCount,
		Services:        services,
		ServiceCount:    len(services),
		Deckies:         a.Traversal.Names(),
		DeckyCount:      a.Traversal.DeckyCount(),
		IsTraversal:     a.Traversal.IsTraversal(),
		TraversalPath:   a.Traversal.Path(),
		Traversal:       a.Traversal.Detected(a.IP),
		Commands:        append([]Command{}, a.Commands...),
		CommandsDropped: a.CommandsDropped,
		Fingerprints:    a.Fingerprints.List(),
		Buckets:         a.Interaction.Buckets(),
	}
	st := a.Timing.Stats()
	class, rule := ClassifyBehavior(st, len(services))
	interval, jitter := BeaconFields(st, class)
	var beaconHits []string
	if st.MeanIATS != nil && st.CV != nil {
		beaconHits = MatchC2(*st.MeanIATS, *st.CV)
	}
	osGuess := a.OS.OSGuess()
	var snap map[string]string
	if a.OS.Snapshot != nil {
		snap = make(map[string]string, len(a.OS.Snapshot))
		for k, v := range a.OS.Snapshot {
			snap[k] = v
		}
	}
	p.Behavior = Behavior{
		OSGuess:          osGuess,
		HopDistance:      a.OS.HopDistance(),
		TCPFingerprint:   snap,
		KexOrderRaw:      slices.Clone(a.OS.KexOrders),
		SSHClientBanners: slices.Clone(a.OS.SSHClientBanners),
		RetransmitCount:  a.OS.Retransmits,
		BehaviorClass:    class,
		Rule:             rule,
		BeaconIntervalS:  interval,
		BeaconJitterPct:  jitter,
		ToolGuesses:      ToolGuesses(beaconHits, a.HeaderTools, osGuess),
		TimingStats:      st,
		PhaseSequence:    a.Phases.Sequence(),
	}
	return p
}

// Analyze is the batch form: the Profile of ip's events, stably sorted by
// time and folded into a fresh Accumulator.
func Analyze(ip string, events []model.Event) Profile {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b model.Event) int { return a.TS.Compare(b.TS) })
	a := Accumulator{IP: ip}
	for _, e := range sorted {
		a.Add(e)
	}
	return a.Profile()
}

// BehaviorRow renders the attacker_behavior row for attackerUUID.
func (p Profile) BehaviorRow(attackerUUID string, now time.Time) (model.AttackerBehavior, error) {
	b := p.Behavior
	tcp, err := json.Marshal(b.TCPFingerprint)
	if err != nil {
		return model.AttackerBehavior{}, err
	}
	timing, err := json.Marshal(b.TimingStats)
	if err != nil {
		return model.AttackerBehavior{}, err
	}
	phases, err := json.Marshal(b.PhaseSequence)
	if err != nil {
		return model.AttackerBehavior{}, err
	}
	return model.AttackerBehavior{
		AttackerUUID:       attackerUUID,
		OSGuess:            b.OSGuess,
		HopDistance:        b.HopDistance,
		TCPFingerprint:     tcp,
		RetransmitCount:    b.RetransmitCount,
		BehaviorClass:      string(b.BehaviorClass),
		BeaconIntervalS:    b.BeaconIntervalS,
		BeaconJitterPct:    b.BeaconJitterPct,
		ToolGuesses:        slices.Clone(b.ToolGuesses),
		KexOrderRaw:        slices.Clone(b.KexOrderRaw),
		SSHClientBanners:   slices.Clone(b.SSHClientBanners),
		InteractedServices: slices.Clone(p.Buckets.Interacted),
		ScannedServices:    slices.Clone(p.Buckets.Scanned),
		TimingStats:        timing,
		PhaseSequence:      phases,
		UpdatedAt:          now,
	}, nil
}
