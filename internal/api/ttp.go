package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/ttp/attack"
	"github.com/decnet/decnet/internal/ttp/export"
)

// TTPRules is the rule catalogue the /ttp/rules routes show and change: the
// loaded rules with their live state, and the files that failed to load.
type TTPRules interface {
	Catalogue() []RuleRow
	// SetState stores and applies st; ClearState reverts a rule to enabled.
	// An unknown rule is store.ErrNotFound.
	SetState(ctx context.Context, st model.TTPRuleState) (model.TTPRuleState, error)
	ClearState(ctx context.Context, ruleID, by string) error
}

// RuleRow is one row of GET /ttp/rules: a rule with its state, or a file
// that failed to load (Error set, the rest as far as known).
type RuleRow struct {
	RuleID        string     `json:"rule_id"`
	RuleVersion   int        `json:"rule_version"`
	Name          string     `json:"name"`
	Description   string     `json:"description"`
	AppliesTo     []string   `json:"applies_to"`
	Techniques    []string   `json:"techniques"`
	State         string     `json:"state"`
	ConfidenceMax *float64   `json:"confidence_max"`
	ExpiresAt     *time.Time `json:"expires_at"`
	Reason        string     `json:"reason,omitempty"`
	SetBy         string     `json:"set_by,omitempty"`
	SetAt         *time.Time `json:"set_at"`
	Source        string     `json:"source,omitempty"`
	Error         string     `json:"error,omitempty"`
}

var (
	errNoTTPStore   = newError(http.StatusServiceUnavailable, "ATT&CK tags are not available in this process", nil)
	errNoRuleSource = newError(http.StatusServiceUnavailable, "the TTP rule catalogue is not available in this process", nil)
)

// techniqueRow is a rollup row with the catalogue's names (ttp.md §5.1:
// TechniqueRollupRow, IdentityTechniqueRow, CampaignTechniqueRow).
type techniqueRow struct {
	TechniqueID      string    `json:"technique_id"`
	TechniqueName    *string   `json:"technique_name"`
	SubTechniqueID   *string   `json:"sub_technique_id"`
	SubTechniqueName *string   `json:"sub_technique_name"`
	Tactic           string    `json:"tactic"`
	Count            int64     `json:"count"`
	FirstSeen        time.Time `json:"first_seen"`
	LastSeen         time.Time `json:"last_seen"`
	ConfidenceMax    float64   `json:"confidence_max"`
	IdentityCount    *int64    `json:"identity_count,omitempty"`
	MitreURL         *string   `json:"mitre_url"`
}

// tagDetail is TTPTagDetailRow: a stored tag with the catalogue's names.
type tagDetail struct {
	model.TTPTag
	TechniqueName    *string `json:"technique_name"`
	SubTechniqueName *string `json:"sub_technique_name"`
}

func (s *Server) catalog() *attack.Catalog {
	if s.attackCatalog != nil {
		return s.attackCatalog
	}
	return attack.Builtin()
}

func optional(v string, ok bool) *string {
	if !ok || v == "" {
		return nil
	}
	return &v
}

func (s *Server) techniqueRows(rollups []model.TechniqueRollup, campaign bool) []techniqueRow {
	cat := s.catalog()
	out := make([]techniqueRow, len(rollups))
	for i, r := range rollups {
		row := techniqueRow{TechniqueID: r.TechniqueID, Tactic: r.Tactic, Count: r.Count, FirstSeen: r.FirstSeen,
			LastSeen: r.LastSeen, ConfidenceMax: r.ConfidenceMax}
		row.TechniqueName = optional(cat.TechniqueName(r.TechniqueID))
		id := r.TechniqueID
		if r.SubTechniqueID != "" {
			row.SubTechniqueID = &rollups[i].SubTechniqueID
			row.SubTechniqueName = optional(cat.TechniqueName(r.SubTechniqueID))
			id = r.SubTechniqueID
		}
		row.MitreURL = optional(cat.URL(id), true)
		if campaign {
			n := r.IdentityCount
			row.IdentityCount = &n
		}
		out[i] = row
	}
	return out
}

// listTechniques is GET /ttp/techniques: the fleet-wide rollup.
func (s *Server) listTechniques(w http.ResponseWriter, r *http.Request) error {
	return s.rollup(w, r, func(ctx context.Context) ([]model.TechniqueRollup, error) {
		return s.ttp.ListTechniqueRollups(ctx)
	}, false)
}

// ttpByScope serves GET /ttp/by-{identity,attacker,session,campaign}/{id}:
// an unknown id is an empty list, as in the original.
func (s *Server) ttpByScope(scope string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		id := r.PathValue("id")
		return s.rollup(w, r, func(ctx context.Context) ([]model.TechniqueRollup, error) {
			switch scope {
			case store.ScopeIdentity:
				return s.ttp.ListTechniquesByIdentity(ctx, id)
			case store.ScopeAttacker:
				return s.ttp.ListTechniquesByAttacker(ctx, id)
			case store.ScopeSession:
				return s.ttp.ListTechniquesBySession(ctx, id)
			}
			return s.ttp.ListTechniquesByCampaign(ctx, id)
		}, scope == "campaign")
	}
}

func (s *Server) rollup(w http.ResponseWriter, r *http.Request, read func(context.Context) ([]model.TechniqueRollup, error),
	campaign bool) error {
	if s.ttp == nil {
		return errNoTTPStore
	}
	rows, err := read(r.Context())
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, s.techniqueRows(rows, campaign))
	return nil
}

// listTagsByScope is GET /ttp/tags/{scope}/{uuid}/{technique_id} with scope
// by-identity, by-attacker or by-session: the raw tags behind one rollup
// row, newest first (the TTP inspector). Any other scope is a 400.
func (s *Server) listTagsByScope(w http.ResponseWriter, r *http.Request) error {
	if s.ttp == nil {
		return errNoTTPStore
	}
	scope, ok := strings.CutPrefix(r.PathValue("scope"), "by-")
	if !ok || (scope != store.ScopeIdentity && scope != store.ScopeAttacker && scope != store.ScopeSession) {
		return newError(http.StatusBadRequest, "scope must be by-identity, by-attacker or by-session", nil)
	}
	q := r.URL.Query()
	limit, err := intParam(queryValue(q, "limit"), "limit", 200, 1, 1000)
	if err != nil {
		return newError(http.StatusBadRequest, "limit must be an integer from 1 to 1000", nil)
	}
	tags, err := s.ttp.ListTagsByScope(r.Context(), scope, r.PathValue("uuid"), r.PathValue("technique_id"),
		queryValue(q, "sub_technique_id"), limit)
	if errors.Is(err, store.ErrInvalidScope) {
		return newError(http.StatusBadRequest, err.Error(), nil)
	}
	if err != nil {
		return err
	}
	cat := s.catalog()
	out := make([]tagDetail, len(tags))
	for i, t := range tags {
		out[i] = tagDetail{TTPTag: t, TechniqueName: optional(cat.TechniqueName(t.TechniqueID))}
		if t.SubTechniqueID != "" {
			out[i].SubTechniqueName = optional(cat.TechniqueName(t.SubTechniqueID))
		}
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

// techniqueGroups is GET /ttp/techniques/{technique_id}/groups: the
// intrusion sets the loaded catalogue says use the technique.
func (s *Server) techniqueGroups(w http.ResponseWriter, r *http.Request) error {
	cat := s.catalog()
	id := r.PathValue("technique_id")
	if !cat.TechniqueExists(id) {
		return newError(http.StatusNotFound, "Technique not found in the loaded ATT&CK catalogue", nil)
	}
	groups := cat.GroupsUsing(id)
	if groups == nil {
		groups = []attack.Group{}
	}
	middleware.WriteJSON(w, http.StatusOK, groups)
	return nil
}

// listRules is GET /ttp/rules: every loaded rule with its live state, then
// the files that failed to load as error rows.
func (s *Server) listRules(w http.ResponseWriter, _ *http.Request) error {
	if s.ttpRules == nil {
		return errNoRuleSource
	}
	rows := s.ttpRules.Catalogue()
	if rows == nil {
		rows = []RuleRow{}
	}
	middleware.WriteJSON(w, http.StatusOK, rows)
	return nil
}

// ruleStateRequest is the body of POST /ttp/rules/{rule_id}/state.
type ruleStateRequest struct {
	State         string     `json:"state"`
	ConfidenceMax *float64   `json:"confidence_max"`
	ExpiresAt     *time.Time `json:"expires_at"`
	Reason        string     `json:"reason"`
}

// setRuleState is POST /ttp/rules/{rule_id}/state (admin): persisted and
// applied at once (the original only echoed it).
func (s *Server) setRuleState(w http.ResponseWriter, r *http.Request) error {
	if s.ttpRules == nil {
		return errNoRuleSource
	}
	var req ruleStateRequest
	if err := decodeJSON(r, &req); err != nil {
		return newError(http.StatusBadRequest, "Bad Request: the body must be {state, confidence_max?, expires_at?, reason?}", err)
	}
	switch req.State {
	case model.RuleEnabled, model.RuleDisabled, model.RuleClipped:
	default:
		return newError(http.StatusBadRequest, "state must be enabled, disabled or clipped", nil)
	}
	if req.ConfidenceMax != nil && (*req.ConfidenceMax < 0 || *req.ConfidenceMax > 1) {
		return newError(http.StatusBadRequest, "confidence_max must be between 0 and 1", nil)
	}
	if req.State == model.RuleClipped && req.ConfidenceMax == nil {
		return newError(http.StatusBadRequest, "a clipped rule needs confidence_max", nil)
	}
	if len(req.Reason) > 512 {
		return newError(http.StatusBadRequest, "reason must be at most 512 characters", nil)
	}
	st, err := s.ttpRules.SetState(r.Context(), model.TTPRuleState{RuleID: r.PathValue("rule_id"), State: req.State,
		ConfidenceMax: req.ConfidenceMax, ExpiresAt: req.ExpiresAt, Reason: req.Reason, SetBy: callerName(r)})
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, "Rule not found", err)
	}
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, st)
	return nil
}

// clearRuleState is DELETE /ttp/rules/{rule_id}/state (admin): the rule is
// enabled again.
func (s *Server) clearRuleState(w http.ResponseWriter, r *http.Request) error {
	if s.ttpRules == nil {
		return errNoRuleSource
	}
	id := r.PathValue("rule_id")
	err := s.ttpRules.ClearState(r.Context(), id, callerName(r))
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, "Rule not found", err)
	}
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, model.TTPRuleState{RuleID: id, State: model.RuleEnabled,
		SetBy: callerName(r), SetAt: s.now().UTC()})
	return nil
}

// navigatorFleet is GET /ttp/export/navigator.
func (s *Server) navigatorFleet(w http.ResponseWriter, r *http.Request) error {
	if s.ttp == nil {
		return errNoTTPStore
	}
	rows, err := s.ttp.ListTechniqueRollups(r.Context())
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, export.Navigator("DECNET TTP coverage — fleet", rows, s.catalog()))
	return nil
}

// navigatorIdentity is GET /ttp/export/navigator/identity/{uuid}.
func (s *Server) navigatorIdentity(w http.ResponseWriter, r *http.Request) error {
	if s.ttp == nil {
		return errNoTTPStore
	}
	id := r.PathValue("uuid")
	rows, err := s.ttp.ListTechniquesByIdentity(r.Context(), id)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, export.Navigator("DECNET TTP coverage — identity "+id, rows, s.catalog()))
	return nil
}

// attackerExport gathers what the STIX and MISP exports of one attacker
// need.
func (s *Server) attackerExport(ctx context.Context, a model.Attacker) (export.AttackerExport, error) {
	out := export.AttackerExport{Attacker: a}
	bs, err := s.attackers.ListAttackerBehaviors(ctx, []string{a.UUID})
	if err != nil {
		return out, err
	}
	if b, ok := bs[a.UUID]; ok {
		out.Behavior = &b
	}
	if a.IdentityID != "" && s.identities != nil {
		if id, err := s.identities.GetIdentity(ctx, a.IdentityID); err == nil {
			out.Identity = &id
		} else if !errors.Is(err, store.ErrNotFound) {
			return out, err
		}
	}
	if out.Tags, err = s.ttp.ListTagsByAttacker(ctx, a.UUID, 0); err != nil {
		return out, err
	}
	out.Rollups, err = s.ttp.ListTechniquesByAttacker(ctx, a.UUID)
	return out, err
}

// exportAttacker serves GET /attackers/{uuid}/export/{stix,misp}: a
// download, never rendered inline.
func (s *Server) exportAttacker(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.ttp == nil {
			return errNoTTPStore
		}
		a, err := s.attackerOf(r)
		if err != nil {
			return err
		}
		in, err := s.attackerExport(r.Context(), a)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("decnet-attacker-%s.%s.json", shortID(a.UUID), format)
		if format == "stix" {
			b, err := export.STIXBundle(in, s.catalog(), s.now())
			if err != nil {
				return err
			}
			return download(w, name, b)
		}
		return download(w, name, export.MISPEvent(in, s.catalog(), s.now()))
	}
}

// maxFleetExport bounds the attackers of one fleet export.
const maxFleetExport = 5000

// exportFleet serves GET /attackers/export/{stix,misp}: every attacker
// (up to maxFleetExport, most recent first) in one bundle.
func (s *Server) exportFleet(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.ttp == nil || s.attackers == nil {
			return errNoTTPStore
		}
		ctx := r.Context()
		// The store caps a page (sqlstore.MaxLimit), so the export pages
		// through the attackers rather than asking for all at once.
		var ins []export.AttackerExport
		for len(ins) < maxFleetExport {
			want := min(maxPageSize, maxFleetExport-len(ins))
			rows, _, err := s.attackers.ListAttackers(ctx, store.AttackerQuery{
				Limit: want, Offset: len(ins), Sort: store.AttackerSortRecent,
			})
			if err != nil {
				return err
			}
			for _, a := range rows {
				in, err := s.attackerExport(ctx, a)
				if err != nil {
					return err
				}
				ins = append(ins, in)
			}
			if len(rows) < want {
				break
			}
		}
		name := fmt.Sprintf("decnet-fleet-%s.%s.json", s.now().UTC().Format("20060102T150405Z"), format)
		if format == "stix" {
			b, err := export.STIXFleetBundle(ins, s.catalog(), s.now())
			if err != nil {
				return err
			}
			return download(w, name, b)
		}
		return download(w, name, export.MISPFleet(ins, s.catalog(), s.now()))
	}
}

// callerName is the username of the authenticated caller.
func callerName(r *http.Request) string {
	p, _ := principalFrom(r.Context())
	return p.user.Username
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// download writes v as a JSON attachment named name.
func download(w http.ResponseWriter, name string, v any) error {
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	middleware.WriteJSON(w, http.StatusOK, v)
	return nil
}
