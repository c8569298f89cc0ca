package store

import (
	"context"
	"errors"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// TTPConfidenceFloor is the lowest confidence InsertTTPTags stores; weaker
// tags are dropped. It must equal ttp.ConfidenceFloor (a test checks):
// store cannot import ttp, which sits above it.
const TTPConfidenceFloor = 0.3

// TTP tag scopes, the {scope} of the tag inspector (ttp.md §5): whose tags
// ListTagsByScope reads.
const (
	// ScopeIdentity is an identity's own tags plus those of the attackers
	// linked to it (attackers.identity_id).
	ScopeIdentity = "identity"
	// ScopeAttacker is the tags anchored on one attacker row; identity-only
	// tags are not included.
	ScopeAttacker = "attacker"
	// ScopeSession is the tags of one session id.
	ScopeSession = "session"
)

// ErrInvalidScope is a scope other than the Scope* constants; the API
// answers it with 400.
var ErrInvalidScope = errors.New("invalid ttp scope: want identity, attacker or session")

// ErrNoTTPAnchor is a tag with neither an attacker nor an identity; the
// message names both columns, as the original's ValueError did.
var ErrNoTTPAnchor = errors.New("ttp tag needs attacker_uuid or identity_uuid: both are empty")

// DeckyPhase is one tag of an identity on a decky, in time order: the
// tactic sequence campaign clustering reads.
type DeckyPhase struct {
	DeckyID   string
	Tactic    string
	CreatedAt time.Time
}

// TTPTagRepository stores ATT&CK tags and reads their rollups (ttp.md
// §1.1, §1.5). Rollups group by (technique_id, sub_technique_id): tactic is
// the greatest, count the raw rows, first/last seen and confidence_max the
// extremes; they are ordered by count descending, then technique and
// sub-technique id. An unknown id gives an empty result, not ErrNotFound.
type TTPTagRepository interface {
	// InsertTTPTags stores tags in one transaction and returns the uuids
	// newly inserted, in input order; the worker publishes only those.
	// Tags under TTPConfidenceFloor are dropped, a uuid already stored or
	// repeated in the batch is skipped (the first wins). A tag without an
	// anchor is ErrNoTTPAnchor and a confidence outside [0, 1] an error,
	// both before anything is written; an unknown attacker or identity is
	// ErrNotFound. A zero CreatedAt gets the store's clock.
	InsertTTPTags(ctx context.Context, tags []model.TTPTag) (inserted []string, err error)

	// ListTechniqueRollups is the fleet-wide rollup.
	ListTechniqueRollups(ctx context.Context) ([]model.TechniqueRollup, error)
	// ListTechniquesByIdentity rolls up the identity's tags and those of
	// the attackers linked to it.
	ListTechniquesByIdentity(ctx context.Context, identityUUID string) ([]model.TechniqueRollup, error)
	// ListTechniquesByAttacker rolls up the tags anchored on the attacker;
	// identity-only tags are excluded.
	ListTechniquesByAttacker(ctx context.Context, attackerUUID string) ([]model.TechniqueRollup, error)
	// ListTechniquesBySession rolls up the tags of one session.
	ListTechniquesBySession(ctx context.Context, sessionID string) ([]model.TechniqueRollup, error)
	// ListTechniquesByCampaign rolls up the tags of the campaign's
	// identities and of their attackers, with IdentityCount the distinct
	// identities behind each row.
	ListTechniquesByCampaign(ctx context.Context, campaignUUID string) ([]model.TechniqueRollup, error)

	// ListTagsByScope returns the raw tags of one technique in a scope
	// (Scope*; anything else is ErrInvalidScope), newest first. An empty
	// subTechniqueID matches any; limit is clamped to [1, 1000], 0 meaning
	// 200.
	ListTagsByScope(ctx context.Context, scope, id, techniqueID, subTechniqueID string, limit int) ([]model.TTPTag, error)
	// ListTagsByAttacker returns an attacker's tags newest first, for the
	// STIX export; limit 0 means 2000.
	ListTagsByAttacker(ctx context.Context, attackerUUID string, limit int) ([]model.TTPTag, error)
	// ListTTPDeckyPhases returns the identity-scope tags that name a decky,
	// oldest first.
	ListTTPDeckyPhases(ctx context.Context, identityUUID string) ([]DeckyPhase, error)
	// ListAttackerRollupsForExport maps every attacker with tags to its
	// rollup, in one query for the fleet exports.
	ListAttackerRollupsForExport(ctx context.Context) (map[string][]model.TechniqueRollup, error)
}

// TTPRuleRepository is the database rule store: operators' rule states and
// the rule files' text (ttp.md §1.4, §2.4).
type TTPRuleRepository interface {
	// ListRuleStates maps rule ids to their stored state; a rule without a
	// row is enabled.
	ListRuleStates(ctx context.Context) (map[string]model.TTPRuleState, error)
	// SetRuleState upserts st stamped with set_at from the store's clock
	// and returns the stored row. A state other than the model.Rule*
	// constants, or a confidence_max outside [0, 1], is an error.
	SetRuleState(ctx context.Context, st model.TTPRuleState) (model.TTPRuleState, error)
	// DeleteRuleState reverts a rule to enabled; a rule without a row is
	// not an error.
	DeleteRuleState(ctx context.Context, ruleID string) error

	// UpsertTTPRule stores a rule file's row; a zero UpdatedAt gets the
	// store's clock, which is what ListTTPRulesChangedSince tails.
	UpsertTTPRule(ctx context.Context, r model.TTPRuleRow) error
	// DeleteTTPRule removes a rule's row; a missing row is not an error.
	DeleteTTPRule(ctx context.Context, ruleID string) error
	// ListTTPRules returns every rule row ordered by rule id.
	ListTTPRules(ctx context.Context) ([]model.TTPRuleRow, error)
	// ListTTPRulesChangedSince returns rows updated at or after since,
	// oldest first (then by rule id): rows exactly at since come back
	// again, and the tailer dedupes them by rule id.
	ListTTPRulesChangedSince(ctx context.Context, since time.Time) ([]model.TTPRuleRow, error)
}
