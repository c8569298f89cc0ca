package bus

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Fixed topics of pipeline.md §2.1. The names are kept from the original so
// integrations (webhook patterns, SIEM rules) carry over unchanged.
const (
	// AttackerObserved fires on the first sight of an attacker IP.
	AttackerObserved = "attacker.observed"
	// AttackerScored fires for every attacker row the profiler upserts.
	AttackerScored = "attacker.scored"
	// AttackerSessionStarted is declared by the original but has no publisher.
	AttackerSessionStarted = "attacker.session.started"
	// AttackerSessionEnded carries a finished session's commands.
	AttackerSessionEnded = "attacker.session.ended"
	// AttackerFingerprinted carries one active-probe result (type = probe name).
	AttackerFingerprinted = "attacker.fingerprinted"
	// AttackerFingerprintRotated fires when a probe hash changes for an attacker.
	AttackerFingerprintRotated = "attacker.fingerprint_rotated"
	// AttackerIntelEnriched carries threat-intel verdicts for an attacker.
	AttackerIntelEnriched = "attacker.intel.enriched"

	// IdentityFormed fires when attackers are first clustered into an identity.
	IdentityFormed = "identity.formed"
	// IdentityObservationLinked fires when an observation joins an identity.
	IdentityObservationLinked = "identity.observation.linked"
	// IdentityMerged fires when two identities merge (min-uuid winner).
	IdentityMerged = "identity.merged"
	// IdentityUnmerged fires when a soft-merged identity is resurrected.
	IdentityUnmerged = "identity.unmerged"
	// IdentityCampaignAssigned fires when an identity moves to a campaign.
	IdentityCampaignAssigned = "identity.campaign.assigned"

	// CampaignFormed fires when identities are first clustered into a campaign.
	CampaignFormed = "campaign.formed"
	// CampaignIdentityAssigned fires when an identity joins a campaign.
	CampaignIdentityAssigned = "campaign.identity.assigned"
	// CampaignMerged fires when two campaigns merge.
	CampaignMerged = "campaign.merged"
	// CampaignUnmerged fires when a merged campaign is resurrected.
	CampaignUnmerged = "campaign.unmerged"

	// AttributionStateChanged fires on an attribution state-machine transition.
	AttributionStateChanged = "attribution.profile.state_changed"
	// AttributionMultiActorSuspected fires when several primitives flag multi_actor.
	AttributionMultiActorSuspected = "attribution.profile.multi_actor_suspected"

	// CredentialCaptured fires for each credential attempt the ingester writes.
	CredentialCaptured = "credential.captured"
	// CredentialReuseDetected fires when one secret is seen on several targets.
	CredentialReuseDetected = "credential.reuse.detected"

	// TTPTagged fires when the tagger adds ATT&CK tags for an attacker/session.
	TTPTagged = "ttp.tagged"
	// TTPRuleSuppressed is declared by the original for suppressed rule hits.
	TTPRuleSuppressed = "ttp.rule.suppressed"

	// EmailReceived carries the analysis of a mail an attacker sent.
	EmailReceived = "email.received"
	// SMTPProbePending asks the orchestrator to probe an SMTP relay attempt.
	SMTPProbePending = "smtp.probe.pending"

	// SystemLog carries collector lines and ingester batch commits.
	SystemLog = "system.log"
	// SystemBusHealth is the bus's own heartbeat subject.
	SystemBusHealth = "system.bus.health"
	// SystemWebhookSubscriptionsChanged tells the webhook worker to reload.
	SystemWebhookSubscriptionsChanged = "system.webhook.subscriptions_changed"
)

// Wildcard patterns for whole families, for subscribers and webhook filters.
const (
	// EventsAll matches every attacker event subject (the EVENTS stream).
	EventsAll = "events.>"
	// AttackerAll matches every attacker.* notification.
	AttackerAll = "attacker.>"
	// AttackerObservationAll matches every BEHAVE observation.
	AttackerObservationAll = "attacker.observation.>"
	// IdentityAll matches every identity.* notification.
	IdentityAll = "identity.>"
	// CampaignAll matches every campaign.* notification.
	CampaignAll = "campaign.>"
	// AttributionAll matches every attribution.* notification.
	AttributionAll = "attribution.>"
	// CredentialAll matches every credential.* notification.
	CredentialAll = "credential.>"
	// TTPAll matches every ttp.* notification.
	TTPAll = "ttp.>"
	// CanaryAll matches every canary.* notification.
	CanaryAll = "canary.>"
	// DeckyAll matches every decky.* notification.
	DeckyAll = "decky.>"
	// TopologyAll matches every topology.* notification.
	TopologyAll = "topology.>"
	// SystemAll matches every system.* subject.
	SystemAll = "system.>"
	// HealthAll matches the heartbeat of every worker.
	HealthAll = "system.*.health"
)

// NotificationFamilies are the patterns that together cover every
// notification subject: what a subscriber to "all notifications" (the
// webhook dispatcher) listens to. A bare ">" would also match the attacker
// events on events.> and JetStream's own API and ack subjects, which carry
// no envelope and arrive thousands of times a second under load.
var NotificationFamilies = []string{
	AttackerAll, IdentityAll, CampaignAll, AttributionAll, CredentialAll, TTPAll, CanaryAll,
	DeckyAll, TopologyAll, SystemAll, "email.>", "smtp.>", "orchestrator.>",
}

// Envelope types that this package itself publishes or interprets.
const (
	// TypeHealth is the envelope type of heartbeats.
	TypeHealth = "health"
	// TypeControl is the envelope type of control requests.
	TypeControl = "control"
)

// Topology mutation phases (topology.<id>.mutation.<phase>).
const (
	// MutationEnqueued: the mutation is queued behind others.
	MutationEnqueued = "enqueued"
	// MutationApplying: the mutator started applying it.
	MutationApplying = "applying"
	// MutationApplied: the mutation is live.
	MutationApplied = "applied"
	// MutationFailed: the mutation was rolled back; the payload has the reason.
	MutationFailed = "failed"
)

// Orchestrator request kinds (orchestrator.<kind>.<dst_decky_uuid>).
const (
	// OrchestratorTraffic asks for synthetic traffic towards a decky.
	OrchestratorTraffic = "traffic"
	// OrchestratorFile asks for a file to be planted on a decky.
	OrchestratorFile = "file"
	// OrchestratorEmail asks for a mail to be delivered to a decky.
	OrchestratorEmail = "email"
)

// ErrInvalidToken is wrapped by every error about a subject token, so callers
// can tell a bad name from a transport failure with errors.Is.
var ErrInvalidToken = errors.New("invalid subject token")

// Token reports whether s may be used as one subject token: non-empty, with no
// '.', '*', '>' or whitespace, any of which would change the subject's shape.
func Token(s string) error {
	if s == "" {
		return fmt.Errorf("bus: %w: empty", ErrInvalidToken)
	}
	for _, r := range s {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) {
			return fmt.Errorf("bus: %w %q: contains %q", ErrInvalidToken, s, r)
		}
	}
	return nil
}

// leaf checks a dotted leaf (observation primitive, event sub-type): dots are
// allowed between tokens, but every token must itself be valid.
func leaf(s string) error {
	if s == "" {
		return fmt.Errorf("bus: %w: empty", ErrInvalidToken)
	}
	for _, t := range strings.Split(s, ".") {
		if err := Token(t); err != nil {
			return fmt.Errorf("bus: invalid leaf %q: %w", s, err)
		}
	}
	return nil
}

// validSubject checks a publish subject: dotted, each token valid.
func validSubject(s string) error {
	if err := leaf(s); err != nil {
		return fmt.Errorf("bus: invalid subject %q: %w", s, err)
	}
	return nil
}

// validPattern checks a subscription pattern: like a subject, but '*' may be a
// whole token and '>' may be the whole last token.
func validPattern(p string) error {
	toks := strings.Split(p, ".")
	for i, t := range toks {
		if t == "*" || (t == ">" && i == len(toks)-1) {
			continue
		}
		if err := Token(t); err != nil {
			return fmt.Errorf("bus: invalid pattern %q: %w", p, err)
		}
	}
	return nil
}

// Matches reports whether subject matches pattern with NATS wildcard semantics
// (pipeline.md §2): '*' is exactly one non-empty token, '>' (last token only)
// one or more trailing tokens, anything else must be equal token by token.
func Matches(pattern, subject string) bool {
	if pattern == "" || subject == "" {
		return false
	}
	pt := strings.Split(pattern, ".")
	st := strings.Split(subject, ".")
	for _, t := range st {
		if t == "" {
			return false
		}
	}
	for i, p := range pt {
		if p == ">" {
			// A '>' that is not last is invalid in NATS, so it matches nothing.
			return i == len(pt)-1 && len(st) > i
		}
		if i >= len(st) {
			return false
		}
		if p == "*" {
			continue
		}
		if p != st[i] {
			return false
		}
	}
	return len(pt) == len(st)
}

func join(tokens ...string) (string, error) {
	for _, t := range tokens {
		if err := Token(t); err != nil {
			return "", err
		}
	}
	return strings.Join(tokens, "."), nil
}

// EventSubject is events.<decky>.<service>, the JetStream subject of a
// service's attacker events.
func EventSubject(decky, service string) (string, error) {
	s, err := join(decky, service)
	if err != nil {
		return "", err
	}
	return "events." + s, nil
}

// HealthSubject is system.<worker>.health, a worker's heartbeat subject.
func HealthSubject(worker string) (string, error) {
	if err := Token(worker); err != nil {
		return "", err
	}
	return "system." + worker + ".health", nil
}

// ControlSubject is system.<worker>.control, where stop/start requests arrive.
func ControlSubject(worker string) (string, error) {
	if err := Token(worker); err != nil {
		return "", err
	}
	return "system." + worker + ".control", nil
}

// AttackerObservation is attacker.observation.<primitive>; the primitive is a
// leaf and may contain dots.
func AttackerObservation(primitive string) (string, error) {
	if err := leaf(primitive); err != nil {
		return "", err
	}
	return "attacker.observation." + primitive, nil
}

// TTPRuleFired is ttp.rule.fired.<technique>. The technique is one token, so a
// dotted sub-technique id (T1110.001) is rejected, as in the original.
func TTPRuleFired(technique string) (string, error) {
	if err := Token(technique); err != nil {
		return "", err
	}
	return "ttp.rule.fired." + technique, nil
}

// TTPRuleReloaded is ttp.rule.reloaded.<rule_id>.
func TTPRuleReloaded(ruleID string) (string, error) {
	if err := Token(ruleID); err != nil {
		return "", err
	}
	return "ttp.rule.reloaded." + ruleID, nil
}

// TTPRuleState is ttp.rule.state.<rule_id>.
func TTPRuleState(ruleID string) (string, error) {
	if err := Token(ruleID); err != nil {
		return "", err
	}
	return "ttp.rule.state." + ruleID, nil
}

// DeckyState is decky.<host_uuid>:<name>.state, the fleet state of a decky on
// one host (the original joins the two with a colon inside one token).
func DeckyState(hostUUID, name string) (string, error) {
	if _, err := join(hostUUID, name); err != nil {
		return "", err
	}
	return "decky." + hostUUID + ":" + name + ".state", nil
}

func deckySubject(name, kind string) (string, error) {
	if err := Token(name); err != nil {
		return "", err
	}
	return "decky." + name + "." + kind, nil
}

// DeckyTraffic is decky.<name>.traffic (sniffer fingerprints).
func DeckyTraffic(name string) (string, error) { return deckySubject(name, "traffic") }

// DeckyMutation is decky.<name>.mutation (service set changed by the mutator).
func DeckyMutation(name string) (string, error) { return deckySubject(name, "mutation") }

// DeckyLifecycle is decky.<name>.lifecycle (deploy/teardown progress).
func DeckyLifecycle(name string) (string, error) { return deckySubject(name, "lifecycle") }

// DeckyServiceAdded is decky.<name>.service_added.
func DeckyServiceAdded(name string) (string, error) { return deckySubject(name, "service_added") }

// DeckyServiceRemoved is decky.<name>.service_removed.
func DeckyServiceRemoved(name string) (string, error) { return deckySubject(name, "service_removed") }

// DeckyServiceConfigChanged is decky.<name>.service_config_changed.
func DeckyServiceConfigChanged(name string) (string, error) {
	return deckySubject(name, "service_config_changed")
}

// DeckyMutateRequest is decky.<id>.mutate_request.
func DeckyMutateRequest(id string) (string, error) { return deckySubject(id, "mutate_request") }

// TopologyStatus is topology.<id>.status.
func TopologyStatus(id string) (string, error) {
	if err := Token(id); err != nil {
		return "", err
	}
	return "topology." + id + ".status", nil
}

// TopologyMutation is topology.<id>.mutation.<phase>, phase one of the
// Mutation* constants.
func TopologyMutation(id, phase string) (string, error) {
	switch phase {
	case MutationEnqueued, MutationApplying, MutationApplied, MutationFailed:
	default:
		return "", fmt.Errorf("bus: unknown topology mutation phase %q", phase)
	}
	if err := Token(id); err != nil {
		return "", err
	}
	return "topology." + id + ".mutation." + phase, nil
}

// Orchestrator is orchestrator.<kind>.<dst_decky_uuid>, kind one of the
// Orchestrator* constants.
func Orchestrator(kind, dstDeckyUUID string) (string, error) {
	switch kind {
	case OrchestratorTraffic, OrchestratorFile, OrchestratorEmail:
	default:
		return "", fmt.Errorf("bus: unknown orchestrator kind %q", kind)
	}
	if err := Token(dstDeckyUUID); err != nil {
		return "", err
	}
	return "orchestrator." + kind + "." + dstDeckyUUID, nil
}

func canarySubject(token, kind string) (string, error) {
	if err := Token(token); err != nil {
		return "", err
	}
	return "canary." + token + "." + kind, nil
}

// CanaryPlaced is canary.<token>.placed.
func CanaryPlaced(token string) (string, error) { return canarySubject(token, "placed") }

// CanaryTriggered is canary.<token>.triggered.
func CanaryTriggered(token string) (string, error) { return canarySubject(token, "triggered") }

// CanaryRevoked is canary.<token>.revoked.
func CanaryRevoked(token string) (string, error) { return canarySubject(token, "revoked") }
