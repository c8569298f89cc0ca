package profiler

import "slices"

// Kind is the interaction class of one event type (pipeline.md §3.7).
type Kind int

// Event kinds.
const (
	KindScan        Kind = iota // anything not listed below
	KindInteraction             // the attacker did something with the service
	KindNoise                   // service housekeeping; not attacker activity
)

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case KindInteraction:
		return "interaction"
	case KindNoise:
		return "noise"
	}
	return "scan"
}

// CommandEventTypes is the command family: events whose text is an attacker
// command (attackers.commands, pipeline.md §3.1).
var CommandEventTypes = []string{"command", "exec", "query", "input", "shell_input", "execute", "run", "sql_query", "redis_command"}

// commandTextFields are read in order; the first non-empty is the command.
var commandTextFields = []string{"command", "query", "input", "line", "sql", "cmd"}

var (
	commandEvents     = set(CommandEventTypes...)
	interactionEvents = set(append(slices.Clone(CommandEventTypes),
		"ldap_search", "mail_from", "rcpt_to", "rcpt_denied", "message_accepted",
		"file_captured", "upload", "download_attempt", "retr", "publish", "subscribe", "session_recorded")...)
	noiseEvents = set("startup", "shutdown", "config_error", "parse_error",
		"unknown_packet", "unknown_opcode", "unknown_command", "protocol_error")
)

// EventKind classifies an event type: INTERACTION_EVENT_TYPES, NOISE, or scan.
func EventKind(eventType string) Kind {
	switch {
	case interactionEvents[eventType]:
		return KindInteraction
	case noiseEvents[eventType]:
		return KindNoise
	}
	return KindScan
}

// ServiceBuckets is bucket_services: services with any interaction event are
// Interacted; services with scan events only are Scanned; noise-only services
// are dropped. Both lists are sorted.
type ServiceBuckets struct {
	Scanned    []string `json:"scanned"`
	Interacted []string `json:"interacted"`
}

// BucketServices is the batch form of bucket_services over (service, event
// type) pairs taken from events.
func BucketServices(events []ServiceEvent) ServiceBuckets {
	var s InteractionState
	for _, e := range events {
		s.Add(e.Service, e.EventType)
	}
	return s.Buckets()
}

// ServiceEvent is the (service, event type) pair BucketServices needs.
type ServiceEvent struct{ Service, EventType string }

// InteractionState is the incremental state: the strongest kind seen per
// service (interaction > scan; noise records nothing).
type InteractionState struct {
	// Services maps a service to true once it had an interaction event and
	// false while it has only scan events.
	Services map[string]bool `json:"services,omitempty"`
}

// Add folds one event.
func (s *InteractionState) Add(service, eventType string) {
	k := EventKind(eventType)
	if k == KindNoise || service == "" {
		return
	}
	if s.Services == nil {
		s.Services = map[string]bool{}
	}
	old, seen := s.Services[service]
	if !seen && len(s.Services) >= MaxServices {
		return
	}
	s.Services[service] = old || k == KindInteraction
}

// Buckets renders the sorted scanned/interacted lists.
func (s *InteractionState) Buckets() ServiceBuckets {
	b := ServiceBuckets{Scanned: []string{}, Interacted: []string{}}
	for svc, inter := range s.Services {
		if inter {
			b.Interacted = append(b.Interacted, svc)
		} else {
			b.Scanned = append(b.Scanned, svc)
		}
	}
	slices.Sort(b.Scanned)
	slices.Sort(b.Interacted)
	return b
}
