// Package ttp tags attacker activity with MITRE ATT&CK techniques
// (ttp.md): rules compiled from YAML, the regex engine and the lifters that
// evaluate them, the composite tagger dispatching events to them, and the
// deterministic tag key that makes every replay a no-op.
package ttp

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
)

// Source kinds: what a tagged event is (ttp_tag.source_kind).
const (
	KindCommand         = "command"
	KindIntel           = "intel"
	KindEmail           = "email"
	KindCanary          = "canary_fingerprint"
	KindIdentity        = "identity"
	KindCredential      = "credential"
	KindAuthAttempt     = "auth_attempt"
	KindPayload         = "payload"
	KindSession         = "session"
	KindHTTPRequest     = "http_request"
	KindHTTPFingerprint = "http_fingerprint"
	KindIPv6Leak        = "ipv6_leak"
)

// KnownKinds lists every source kind, in ttp.md §3.1's order.
var KnownKinds = []string{KindCommand, KindIntel, KindEmail, KindCanary, KindIdentity, KindCredential,
	KindAuthAttempt, KindPayload, KindSession, KindHTTPRequest, KindHTTPFingerprint, KindIPv6Leak}

// ConfidenceFloor is the lowest confidence stored: weaker tags are dropped
// at insert.
const ConfidenceFloor = 0.3

// Event is one thing to tag (the original's TaggerEvent). Payload holds the
// source's fields: strings, numbers, booleans, lists and maps as decoded
// from JSON.
type Event struct {
	SourceKind   string
	SourceID     string
	AttackerUUID string
	IdentityUUID string
	SessionID    string
	DeckyID      string
	Payload      map[string]any
}

// Emit is one technique a rule emits when it matches.
type Emit struct {
	TechniqueID    string  `yaml:"technique_id" json:"technique_id"`
	SubTechniqueID string  `yaml:"sub_technique_id" json:"sub_technique_id,omitempty"`
	Tactic         string  `yaml:"tactic" json:"tactic"`
	Confidence     float64 `yaml:"confidence" json:"confidence"`
}

// Match is a rule's match block: Field and Pattern for the regex engine, or
// Kind "lifter:<owner>_<name>" with lifter parameters in Params.
type Match struct {
	Field   string
	Pattern string
	Kind    string
	Params  map[string]any
}

// LifterPrefix starts the match kind of every lifter-owned rule.
const LifterPrefix = "lifter:"

// RuleState is a rule's operational state (ttp.md §2.3). The zero value is
// enabled.
type RuleState struct {
	State         string
	ConfidenceMax *float64
	ExpiresAt     *time.Time
	Reason        string
	SetBy         string
	SetAt         time.Time
}

// Active reports whether the rule may fire at now: not disabled and not
// past its expiry (an expired state of any kind is inactive until it is
// reverted).
func (s RuleState) Active(now time.Time) bool {
	if s.State == model.RuleDisabled {
		return false
	}
	return s.ExpiresAt == nil || now.Before(*s.ExpiresAt)
}

// Ceiling applies a clipped state's confidence_max to base: min(base,
// max). Other states, and a max of 1 or more, leave base unchanged.
func (s RuleState) Ceiling(base float64) float64 {
	if s.State == model.RuleClipped && s.ConfidenceMax != nil && *s.ConfidenceMax < 1 {
		return min(base, *s.ConfidenceMax)
	}
	return base
}

// Rule is a compiled rule. Rules are immutable once compiled: a state
// change or a reload installs a new value.
type Rule struct {
	ID             string
	Version        int
	Name           string
	Description    string
	AppliesTo      []string
	Match          Match
	Emits          []Emit
	EvidenceFields []string
	State          RuleState
	// SourcePath is the file the rule came from ("" when built in code).
	SourcePath string
	// Text is the YAML the rule was parsed from: what the database rule
	// store replicates to other hosts.
	Text string
}

// Lifter returns the match kind without "lifter:" for a lifter-owned rule,
// or "" for an engine rule.
func (r *Rule) Lifter() string {
	k, ok := strings.CutPrefix(r.Match.Kind, LifterPrefix)
	if !ok {
		return ""
	}
	return k
}

// AppliesToKind reports whether the rule claims source kind k.
func (r *Rule) AppliesToKind(k string) bool {
	for _, a := range r.AppliesTo {
		if a == k {
			return true
		}
	}
	return false
}

// Tagger turns events into tags. Handles lists the source kinds it claims.
type Tagger interface {
	Name() string
	Handles() []string
	Tag(ctx context.Context, ev Event) ([]model.TTPTag, error)
}

// tagNamespace is uuid5(NAMESPACE_URL, "decnet:ttp_tag:v1"), the original's
// namespace, so tag keys match across implementations.
var tagNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("decnet:ttp_tag:v1"))

// TagUUID is the deterministic key of a tag: UUIDv5 over exactly these six
// inputs (ttp.md §1.2). Never add time or anything else: replays and
// backfills must produce the same key.
func TagUUID(sourceKind, sourceID, ruleID string, ruleVersion int, techniqueID, subTechniqueID string) string {
	name := strings.Join([]string{sourceKind, sourceID, ruleID, strconv.Itoa(ruleVersion), techniqueID,
		subTechniqueID}, "|")
	return uuid.NewSHA1(tagNamespace, []byte(name)).String()
}

// ErrNoAnchor is returned for a tag with neither an attacker nor an
// identity to hang on.
var ErrNoAnchor = errors.New("ttp tag needs attacker_uuid or identity_uuid: both are empty")

// TagOptions carries what a tag needs beyond its event, rule and emit.
type TagOptions struct {
	// Release is the ATT&CK release of the loaded catalogue ("v18.1").
	Release string
	// URL resolves the attack.mitre.org URL of a technique or
	// sub-technique id; nil leaves mitre_url empty.
	URL func(id string) string
	Now time.Time
}

// NewTag builds the tag of one emit of r matching ev at confidence conf with
// evidence. A tag without an anchor is ErrNoAnchor, checked first.
func NewTag(ev Event, r *Rule, e Emit, conf float64, evidence map[string]any, o TagOptions) (model.TTPTag, error) {
	if ev.AttackerUUID == "" && ev.IdentityUUID == "" {
		return model.TTPTag{}, ErrNoAnchor
	}
	if evidence == nil {
		evidence = map[string]any{}
	}
	raw, err := json.Marshal(evidence)
	if err != nil {
		return model.TTPTag{}, err
	}
	t := model.TTPTag{
		UUID:           TagUUID(ev.SourceKind, ev.SourceID, r.ID, r.Version, e.TechniqueID, e.SubTechniqueID),
		SourceKind:     ev.SourceKind,
		SourceID:       ev.SourceID,
		AttackerUUID:   ev.AttackerUUID,
		IdentityUUID:   ev.IdentityUUID,
		SessionID:      ev.SessionID,
		DeckyID:        ev.DeckyID,
		Tactic:         e.Tactic,
		TechniqueID:    e.TechniqueID,
		SubTechniqueID: e.SubTechniqueID,
		Confidence:     conf,
		RuleID:         r.ID,
		RuleVersion:    r.Version,
		Evidence:       raw,
		AttackRelease:  o.Release,
		CreatedAt:      o.Now.UTC(),
	}
	if o.URL != nil {
		id := e.TechniqueID
		if e.SubTechniqueID != "" {
			id = e.SubTechniqueID
		}
		t.MitreURL = o.URL(id)
	}
	return t, nil
}
