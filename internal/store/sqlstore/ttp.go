package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Interface guards for the TTP repositories.
var (
	_ store.TTPTagRepository  = (*Store)(nil)
	_ store.TTPRuleRepository = (*Store)(nil)
)

// Sizes of the TTP columns, in bytes; the MySQL DDL declares the same.
// ATT&CK ids are short (TA0001, T1548.001); the rest leave room for
// source ids built from event ids and indexes.
const (
	maxSourceKind  = 32
	maxSourceID    = 255
	maxAttackID    = 16
	maxRuleID      = 64
	maxRelease     = 16
	maxMitreURL    = 512
	maxSourcePath  = 1024
	maxRuleSetBy   = 255
	maxRuleVersion = 1<<31 - 1
)

// Limits of the TTP reads.
const (
	// ttpScopeLimit and ttpScopeMaxLimit are the inspector's page: the
	// API's default and cap (ttp.md §5).
	ttpScopeLimit    = 200
	ttpScopeMaxLimit = 1000
	// ttpExportLimit is the STIX export's default, the original's; its cap
	// keeps one attacker's bundle bounded.
	ttpExportLimit    = 2000
	ttpExportMaxLimit = 10000
	// ttpBackfillPage and ttpBackfillMaxPage bound a backfill page: rows
	// carry every command of an attacker.
	ttpBackfillPage    = 500
	ttpBackfillMaxPage = 5000
	// ttpLookupChunk bounds the ids of one IN list.
	ttpLookupChunk = 512
	// maxTTPInsertAttempts bounds re-runs of an insert that lost a race.
	maxTTPInsertAttempts = 5
)

// errTTPRaced is an insert that stored fewer rows than it checked were
// missing: a concurrent writer inserted one of them, or deleted an anchor,
// after the check. Re-running sees the committed change.
var errTTPRaced = errors.New("ttp_tag rows changed concurrently")

const ttpTagColumns = "uuid, source_kind, source_id, attacker_uuid, identity_uuid, session_id, decky_id, tactic, " +
	"technique_id, sub_technique_id, confidence, rule_id, rule_version, evidence, attack_release, mitre_url, created_at"

// ttpTagSelect reads ttpTagColumns of ttp_tag t.
const ttpTagSelect = "SELECT t.uuid, t.source_kind, t.source_id, t.attacker_uuid, t.identity_uuid, t.session_id, " +
	"t.decky_id, t.tactic, t.technique_id, t.sub_technique_id, t.confidence, t.rule_id, t.rule_version, t.evidence, " +
	"t.attack_release, t.mitre_url, t.created_at FROM ttp_tag t"

// ttpTagCols is the number of ttpTagColumns.
const ttpTagCols = 17

// ttpTagInsert is, per dialect, the multi-row insert that skips stored
// uuids: ON CONFLICT DO NOTHING on SQLite, INSERT IGNORE on MySQL.
var ttpTagInsert = map[string]*multiRow{
	DialectSQLite: newTTPTagInsert(sqliteDialect{}),
	DialectMySQL:  newTTPTagInsert(mysqlDialect{}),
}

func newTTPTagInsert(d dialect) *multiRow {
	return newMultiRow(d.insertIgnoreVerb()+" ttp_tag ("+ttpTagColumns+") VALUES ", d.insertIgnoreTail(), ttpTagCols)
}

// Existence lookups of InsertTTPTags.
var (
	ttpTagLookup      = newInList("SELECT uuid FROM ttp_tag WHERE uuid IN (", ")")
	ttpAttackerLookup = newInList("SELECT uuid FROM attackers WHERE uuid IN (", ")")
	ttpIdentityLookup = newInList("SELECT uuid FROM attacker_identities WHERE uuid IN (", ")")
)

// checkTTPAnchor and checkTTPConfidence are the checks made on every tag
// before the floor drops any: the CHECK constraints, repeated for servers
// that ignore them (MySQL before 8.0.16).
func checkTTPAnchor(t *model.TTPTag) error {
	if t.AttackerUUID == "" && t.IdentityUUID == "" {
		return store.ErrNoTTPAnchor
	}
	return nil
}

func checkTTPConfidence(t *model.TTPTag) error {
	// Written so that NaN fails too.
	if !(t.Confidence >= 0 && t.Confidence <= 1) {
		return fmt.Errorf("confidence %v outside [0, 1]", t.Confidence)
	}
	return nil
}

// ttpTagArgs validates the rest of t and returns its insert arguments.
// Values too long for their column are errors, not cut: a cut id would
// store a different key.
func (s *Store) ttpTagArgs(t *model.TTPTag) ([]any, error) {
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{
		{"uuid", t.UUID, maxUUID, true}, {"source_kind", t.SourceKind, maxSourceKind, true},
		{"source_id", t.SourceID, maxSourceID, false}, {"attacker_uuid", t.AttackerUUID, maxUUID, false},
		{"identity_uuid", t.IdentityUUID, maxUUID, false}, {"session_id", t.SessionID, maxSessionID, false},
		{"decky_id", t.DeckyID, maxDecky, false}, {"tactic", t.Tactic, maxAttackID, true},
		{"technique_id", t.TechniqueID, maxAttackID, true}, {"sub_technique_id", t.SubTechniqueID, maxAttackID, false},
		{"rule_id", t.RuleID, maxRuleID, true}, {"attack_release", t.AttackRelease, maxRelease, false},
		{"mitre_url", t.MitreURL, maxMitreURL, false},
	} {
		if f.required && f.v == "" {
			return nil, fmt.Errorf("empty %s", f.name)
		}
		if len(f.v) > f.max {
			return nil, fmt.Errorf("%s longer than %d bytes", f.name, f.max)
		}
	}
	if t.RuleVersion < 0 || t.RuleVersion > maxRuleVersion {
		return nil, fmt.Errorf("rule_version %d out of range", t.RuleVersion)
	}
	evidence, err := rawJSONArg(t.Evidence, "{}")
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if e := bytes.TrimSpace([]byte(evidence)); len(e) == 0 || e[0] != '{' {
		return nil, errors.New("evidence is not a JSON object")
	}
	if len(evidence) > maxMediumText {
		return nil, fmt.Errorf("evidence longer than %d bytes", maxMediumText)
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	return []any{t.UUID, t.SourceKind, t.SourceID, nullString(t.AttackerUUID), nullString(t.IdentityUUID),
		nullString(t.SessionID), nullString(t.DeckyID), t.Tactic, t.TechniqueID, nullString(t.SubTechniqueID),
		t.Confidence, t.RuleID, t.RuleVersion, evidence, t.AttackRelease, nullString(t.MitreURL),
		s.d.timeArg(created)}, nil
}

// InsertTTPTags stores tags in one transaction and returns the uuids it
// newly inserted, in input order. Every tag is checked for an anchor
// (store.ErrNoTTPAnchor) and a confidence in [0, 1] before anything else;
// tags under store.TTPConfidenceFloor are then dropped, and a uuid repeated
// in the batch keeps its first tag. Stored uuids are skipped, so a replay
// returns nothing. An attacker or identity that does not exist is
// store.ErrNotFound and nothing is written.
func (s *Store) InsertTTPTags(ctx context.Context, tags []model.TTPTag) (inserted []string, err error) {
	defer wrap(&err, "InsertTTPTags(%d tags)", len(tags))
	for i := range tags {
		if err := checkTTPAnchor(&tags[i]); err != nil {
			return nil, fmt.Errorf("tag %q: %w", tags[i].UUID, err)
		}
		if err := checkTTPConfidence(&tags[i]); err != nil {
			return nil, fmt.Errorf("tag %q: %w", tags[i].UUID, err)
		}
	}
	seen := make(map[string]bool, len(tags))
	keep := make([]*model.TTPTag, 0, len(tags))
	rows := make([][]any, 0, len(tags))
	for i := range tags {
		t := &tags[i]
		if t.Confidence < store.TTPConfidenceFloor || seen[t.UUID] {
			continue
		}
		args, err := s.ttpTagArgs(t)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", t.UUID, err)
		}
		seen[t.UUID] = true
		keep = append(keep, t)
		rows = append(rows, args)
	}
	if len(keep) == 0 {
		return nil, nil
	}
	for attempt := 1; ; attempt++ {
		inserted, err = s.insertTTPTagsOnce(ctx, keep, rows)
		// On MySQL a concurrent writer can commit one of our uuids (or
		// delete an anchor) between the check and the insert, which
		// INSERT IGNORE then skips; a re-run reads what it committed.
		if err == nil || attempt == maxTTPInsertAttempts || ctx.Err() != nil ||
			!(s.d.retryable(err) || errors.Is(err, errTTPRaced)) {
			return inserted, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond):
		}
	}
}

func (s *Store) insertTTPTagsOnce(ctx context.Context, tags []*model.TTPTag, rows [][]any) (inserted []string, err error) {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	ids := make([]string, len(tags))
	for i, t := range tags {
		ids[i] = t.UUID
	}
	stored, err := lookupKeys(ctx, tx, ttpTagLookup, ids)
	if err != nil {
		return nil, err
	}
	var (
		fresh                 [][]any
		attackers, identities []string
		wantA, wantI          = map[string]bool{}, map[string]bool{}
	)
	for i, t := range tags {
		if stored[t.UUID] {
			continue
		}
		inserted = append(inserted, t.UUID)
		fresh = append(fresh, rows[i])
		if t.AttackerUUID != "" && !wantA[t.AttackerUUID] {
			wantA[t.AttackerUUID] = true
			attackers = append(attackers, t.AttackerUUID)
		}
		if t.IdentityUUID != "" && !wantI[t.IdentityUUID] {
			wantI[t.IdentityUUID] = true
			identities = append(identities, t.IdentityUUID)
		}
	}
	if len(fresh) == 0 {
		return nil, tx.Commit()
	}
	// The foreign keys, checked here because INSERT IGNORE on MySQL turns
	// a violation into a skipped row and a warning.
	for _, c := range []struct {
		what string
		q    *multiRow
		ids  []string
	}{{"attacker", ttpAttackerLookup, attackers}, {"identity", ttpIdentityLookup, identities}} {
		found, err := lookupKeys(ctx, tx, c.q, c.ids)
		if err != nil {
			return nil, err
		}
		for _, id := range c.ids {
			if !found[id] {
				return nil, fmt.Errorf("%s %q: %w", c.what, id, store.ErrNotFound)
			}
		}
	}
	q := ttpTagInsert[s.d.name()]
	var n int64
	for _, size := range chunks(len(fresh), s.d.maxInsertRows()) {
		args := make([]any, 0, size*ttpTagCols)
		for _, r := range fresh[:size] {
			args = append(args, r...)
		}
		res, err := tx.ExecContext(ctx, q.sql(size), args...)
		if err != nil {
			return nil, err
		}
		got, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		n += got
		fresh = fresh[size:]
	}
	if n != int64(len(inserted)) {
		return nil, errTTPRaced
	}
	return inserted, tx.Commit()
}

// lookupKeys returns which of keys q's IN list finds, in chunks of at most
// ttpLookupChunk.
func lookupKeys(ctx context.Context, tx *sql.Tx, q *multiRow, keys []string) (map[string]bool, error) {
	found := make(map[string]bool, len(keys))
	for _, n := range chunks(len(keys), ttpLookupChunk) {
		args := make([]any, n)
		for i, k := range keys[:n] {
			args[i] = k
		}
		keys = keys[n:]
		rows, err := tx.QueryContext(ctx, q.sql(n), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				rows.Close()
				return nil, err
			}
			found[k] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// scanTTPTag reads one row selected by ttpTagSelect.
func scanTTPTag(r rowScanner) (t model.TTPTag, err error) {
	var attacker, identity, session, decky, sub, url sql.NullString
	var evidence rawJSON
	err = r.Scan(&t.UUID, &t.SourceKind, &t.SourceID, &attacker, &identity, &session, &decky, &t.Tactic,
		&t.TechniqueID, &sub, &t.Confidence, &t.RuleID, &t.RuleVersion, &evidence, &t.AttackRelease, &url,
		(*dbTime)(&t.CreatedAt))
	t.AttackerUUID, t.IdentityUUID, t.SessionID, t.DeckyID = attacker.String, identity.String, session.String, decky.String
	t.SubTechniqueID, t.MitreURL = sub.String, url.String
	t.Evidence = json.RawMessage(evidence)
	return t, err
}

// Rollup fragments: the aggregate columns over ttp_tag t, and the grouping
// with the rollup order (sub_technique_id NULL sorts first on both
// engines).
const (
	ttpRollupSelect = "SELECT t.technique_id, t.sub_technique_id, MAX(t.tactic), COUNT(*), MIN(t.created_at), " +
		"MAX(t.created_at), MAX(t.confidence)"
	ttpRollupGroup = " GROUP BY t.technique_id, t.sub_technique_id ORDER BY COUNT(*) DESC, t.technique_id, " +
		"t.sub_technique_id"
)

// ttpScopeFilter returns the condition on ttp_tag t selecting a scope's
// tags and its arguments. The identity scope projects the identity's
// attackers (attackers.identity_id), as the original did.
func ttpScopeFilter(scope, id string) (string, []any, error) {
	switch scope {
	case store.ScopeIdentity:
		return "(t.identity_uuid = ? OR t.attacker_uuid IN (SELECT uuid FROM attackers WHERE identity_id = ?))",
			[]any{id, id}, nil
	case store.ScopeAttacker:
		return "t.attacker_uuid = ?", []any{id}, nil
	case store.ScopeSession:
		return "t.session_id = ?", []any{id}, nil
	}
	return "", nil, fmt.Errorf("scope %q: %w", scope, store.ErrInvalidScope)
}

// scanRollup reads ttpRollupSelect's columns, then extra.
func scanRollup(r rowScanner, extra ...any) (m model.TechniqueRollup, err error) {
	var sub sql.NullString
	err = r.Scan(append([]any{&m.TechniqueID, &sub, &m.Tactic, &m.Count, (*dbTime)(&m.FirstSeen),
		(*dbTime)(&m.LastSeen), &m.ConfidenceMax}, extra...)...)
	m.SubTechniqueID = sub.String
	return m, err
}

// listRollups runs a rollup query whose rows are ttpRollupSelect's columns.
func (s *Store) listRollups(ctx context.Context, query string, args ...any) ([]model.TechniqueRollup, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.TechniqueRollup{}
	for rows.Next() {
		m, err := scanRollup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) listScopeRollups(ctx context.Context, scope, id string) ([]model.TechniqueRollup, error) {
	cond, args, err := ttpScopeFilter(scope, id)
	if err != nil {
		return nil, err
	}
	return s.listRollups(ctx, ttpRollupSelect+" FROM ttp_tag t WHERE "+cond+ttpRollupGroup, args...)
}

// ListTechniqueRollups is the fleet-wide rollup of every tag.
func (s *Store) ListTechniqueRollups(ctx context.Context) (out []model.TechniqueRollup, err error) {
	defer wrap(&err, "ListTechniqueRollups")
	return s.listRollups(ctx, ttpRollupSelect+" FROM ttp_tag t"+ttpRollupGroup)
}

// ListTechniquesByIdentity rolls up the identity's own tags and those
// anchored on attackers linked to it.
func (s *Store) ListTechniquesByIdentity(ctx context.Context, identityUUID string) (out []model.TechniqueRollup, err error) {
	defer wrap(&err, "ListTechniquesByIdentity(%q)", identityUUID)
	return s.listScopeRollups(ctx, store.ScopeIdentity, identityUUID)
}

// ListTechniquesByAttacker rolls up the tags anchored on the attacker; an
// identity-only tag is not the attacker's.
func (s *Store) ListTechniquesByAttacker(ctx context.Context, attackerUUID string) (out []model.TechniqueRollup, err error) {
	defer wrap(&err, "ListTechniquesByAttacker(%q)", attackerUUID)
	return s.listScopeRollups(ctx, store.ScopeAttacker, attackerUUID)
}

// ListTechniquesBySession rolls up the tags of one session.
func (s *Store) ListTechniquesBySession(ctx context.Context, sessionID string) (out []model.TechniqueRollup, err error) {
	defer wrap(&err, "ListTechniquesBySession(%q)", sessionID)
	return s.listScopeRollups(ctx, store.ScopeSession, sessionID)
}

// ttpCampaignRollup rolls up the tags of a campaign: those whose identity
// is one of the campaign's, and those whose attacker is linked to one (the
// original joined on the tag's identity only, so attacker-anchored tags
// never counted: its GAP). The campaign's identities are those whose
// campaign_id is the campaign or one merged into it (campaignFamily). The
// identity a tag counts for is its own when that is the campaign's, else
// its attacker's. Argument: the live campaign id.
var ttpCampaignRollup = campaignFamily + ", ci (uuid) AS (SELECT uuid FROM attacker_identities " +
	"WHERE campaign_id IN (SELECT uuid FROM fam)) " + ttpRollupSelect +
	", COUNT(DISTINCT COALESCE(ti.uuid, ai.uuid)) FROM ttp_tag t " +
	"LEFT JOIN ci ti ON ti.uuid = t.identity_uuid " +
	"LEFT JOIN attackers a ON a.uuid = t.attacker_uuid " +
	"LEFT JOIN ci ai ON ai.uuid = a.identity_id " +
	"WHERE t.identity_uuid IN (SELECT uuid FROM ci) " +
	"OR t.attacker_uuid IN (SELECT a2.uuid FROM attackers a2 WHERE a2.identity_id IN (SELECT uuid FROM ci))" +
	ttpRollupGroup

// ListTechniquesByCampaign rolls up the tags of the campaign's identities
// and of the attackers linked to them; IdentityCount is the number of the
// campaign's identities behind each row. A merged campaign's uuid reads
// the campaign it was merged into; an unknown one gives no rows.
func (s *Store) ListTechniquesByCampaign(ctx context.Context, campaignUUID string) (out []model.TechniqueRollup, err error) {
	defer wrap(&err, "ListTechniquesByCampaign(%q)", campaignUUID)
	live, err := s.ResolveCampaigns(ctx, []string{campaignUUID})
	if err != nil {
		return nil, err
	}
	if live[campaignUUID] == "" {
		return []model.TechniqueRollup{}, nil
	}
	rows, err := s.db.QueryContext(ctx, ttpCampaignRollup, live[campaignUUID])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []model.TechniqueRollup{}
	for rows.Next() {
		var identities int64
		m, err := scanRollup(rows, &identities)
		if err != nil {
			return nil, err
		}
		m.IdentityCount = identities
		out = append(out, m)
	}
	return out, rows.Err()
}

// listTags runs a tag query of ttpTagSelect's columns.
func (s *Store) listTags(ctx context.Context, query string, args ...any) ([]model.TTPTag, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.TTPTag{}
	for rows.Next() {
		t, err := scanTTPTag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ListTagsByScope returns the tags of technique techniqueID in a scope
// (store.Scope*; anything else is store.ErrInvalidScope), newest first,
// then by uuid. An empty subTechniqueID matches any sub-technique, or none.
// limit 0 means 200; others are clamped to [1, 1000].
func (s *Store) ListTagsByScope(ctx context.Context, scope, id, techniqueID, subTechniqueID string, limit int) (out []model.TTPTag, err error) {
	defer wrap(&err, "ListTagsByScope(%q, %q, %q)", scope, id, techniqueID)
	cond, args, err := ttpScopeFilter(scope, id)
	if err != nil {
		return nil, err
	}
	query := ttpTagSelect + " WHERE " + cond + " AND t.technique_id = ?"
	args = append(args, techniqueID)
	if subTechniqueID != "" {
		query += " AND t.sub_technique_id = ?"
		args = append(args, subTechniqueID)
	}
	if limit == 0 {
		limit = ttpScopeLimit
	}
	limit = min(max(limit, 1), ttpScopeMaxLimit)
	return s.listTags(ctx, query+" ORDER BY t.created_at DESC, t.uuid LIMIT ?", append(args, limit)...)
}

// ListTagsByAttacker returns the tags anchored on an attacker, newest
// first, for the STIX export. limit 0 or less means 2000; it is capped at
// 10 000.
func (s *Store) ListTagsByAttacker(ctx context.Context, attackerUUID string, limit int) (out []model.TTPTag, err error) {
	defer wrap(&err, "ListTagsByAttacker(%q)", attackerUUID)
	if limit <= 0 {
		limit = ttpExportLimit
	}
	limit = min(limit, ttpExportMaxLimit)
	return s.listTags(ctx, ttpTagSelect+" WHERE t.attacker_uuid = ? ORDER BY t.created_at DESC, t.uuid LIMIT ?",
		attackerUUID, limit)
}

// ListTTPDeckyPhases returns, oldest first, the decky and tactic of every
// identity-scope tag that names a decky: the kill-chain steps campaign
// clustering compares.
func (s *Store) ListTTPDeckyPhases(ctx context.Context, identityUUID string) (out []store.DeckyPhase, err error) {
	defer wrap(&err, "ListTTPDeckyPhases(%q)", identityUUID)
	cond, args, err := ttpScopeFilter(store.ScopeIdentity, identityUUID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT t.decky_id, t.tactic, t.created_at FROM ttp_tag t WHERE "+cond+
		" AND t.decky_id IS NOT NULL ORDER BY t.created_at, t.uuid", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []store.DeckyPhase{}
	for rows.Next() {
		var p store.DeckyPhase
		if err := rows.Scan(&p.DeckyID, &p.Tactic, (*dbTime)(&p.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ListAttackerRollupsForExport maps every attacker with tags to its
// rollup, in rollup order, in one query for the fleet exports.
func (s *Store) ListAttackerRollupsForExport(ctx context.Context) (out map[string][]model.TechniqueRollup, err error) {
	defer wrap(&err, "ListAttackerRollupsForExport")
	rows, err := s.db.QueryContext(ctx, "SELECT t.attacker_uuid, t.technique_id, t.sub_technique_id, MAX(t.tactic), "+
		"COUNT(*), MIN(t.created_at), MAX(t.created_at), MAX(t.confidence) FROM ttp_tag t "+
		"WHERE t.attacker_uuid IS NOT NULL GROUP BY t.attacker_uuid, t.technique_id, t.sub_technique_id "+
		"ORDER BY t.attacker_uuid, COUNT(*) DESC, t.technique_id, t.sub_technique_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = map[string][]model.TechniqueRollup{}
	for rows.Next() {
		var (
			attacker string
			m        model.TechniqueRollup
			sub      sql.NullString
		)
		if err := rows.Scan(&attacker, &m.TechniqueID, &sub, &m.Tactic, &m.Count, (*dbTime)(&m.FirstSeen),
			(*dbTime)(&m.LastSeen), &m.ConfidenceMax); err != nil {
			return nil, err
		}
		m.SubTechniqueID = sub.String
		out[attacker] = append(out[attacker], m)
	}
	return out, rows.Err()
}

const ruleStateColumns = "rule_id, state, confidence_max, expires_at, reason, set_by, set_at"

// checkRuleState rejects a state other than the model.Rule* constants.
func checkRuleState(state string) error {
	switch state {
	case model.RuleEnabled, model.RuleDisabled, model.RuleClipped:
		return nil
	}
	return fmt.Errorf("invalid rule state %q (want %s, %s or %s)", state, model.RuleEnabled, model.RuleDisabled,
		model.RuleClipped)
}

// ListRuleStates maps rule ids to their stored states. A stored state other
// than the model.Rule* constants is an error, as in the original.
func (s *Store) ListRuleStates(ctx context.Context) (out map[string]model.TTPRuleState, err error) {
	defer wrap(&err, "ListRuleStates")
	rows, err := s.db.QueryContext(ctx, "SELECT "+ruleStateColumns+" FROM ttp_rule_state")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = map[string]model.TTPRuleState{}
	for rows.Next() {
		var (
			st         model.TTPRuleState
			confMax    sql.NullFloat64
			expires    dbTime
			reason, by sql.NullString
		)
		if err := rows.Scan(&st.RuleID, &st.State, &confMax, &expires, &reason, &by, (*dbTime)(&st.SetAt)); err != nil {
			return nil, err
		}
		if err := checkRuleState(st.State); err != nil {
			return nil, fmt.Errorf("rule %q: %w", st.RuleID, err)
		}
		if confMax.Valid {
			st.ConfidenceMax = &confMax.Float64
		}
		if t := time.Time(expires); !t.IsZero() {
			st.ExpiresAt = &t
		}
		st.Reason, st.SetBy = reason.String, by.String
		out[st.RuleID] = st
	}
	return out, rows.Err()
}

func ruleStateUpsertSQL(d dialect) string {
	set := ""
	for i, c := range []string{"state", "confidence_max", "expires_at", "reason", "set_by", "set_at"} {
		if i > 0 {
			set += ", "
		}
		set += c + " = " + d.excluded(c)
	}
	return "INSERT INTO ttp_rule_state (" + ruleStateColumns + ") VALUES (?, ?, ?, ?, ?, ?, ?)" +
		d.onConflictUpdate("rule_id") + set
}

// SetRuleState upserts st, stamped with set_at from the store's clock, and
// returns it as stored (times in UTC to the microsecond). A state other
// than the model.Rule* constants, or a confidence_max outside [0, 1], is
// an error.
func (s *Store) SetRuleState(ctx context.Context, st model.TTPRuleState) (out model.TTPRuleState, err error) {
	defer wrap(&err, "SetRuleState(%q)", st.RuleID)
	if st.RuleID == "" || len(st.RuleID) > maxRuleID {
		return out, fmt.Errorf("rule_id must be 1 to %d bytes", maxRuleID)
	}
	if err := checkRuleState(st.State); err != nil {
		return out, err
	}
	if c := st.ConfidenceMax; c != nil {
		if !(*c >= 0 && *c <= 1) {
			return out, fmt.Errorf("confidence_max %v outside [0, 1]", *c)
		}
		v := *c
		st.ConfidenceMax = &v
	}
	if len(st.Reason) > maxText {
		return out, fmt.Errorf("reason longer than %d bytes", maxText)
	}
	if len(st.SetBy) > maxRuleSetBy {
		return out, fmt.Errorf("set_by longer than %d bytes", maxRuleSetBy)
	}
	var expires any
	if st.ExpiresAt != nil {
		t := st.ExpiresAt.UTC().Truncate(time.Microsecond)
		st.ExpiresAt, expires = &t, s.d.timeArg(t)
	}
	st.SetAt = s.now().UTC().Truncate(time.Microsecond)
	var confMax any
	if st.ConfidenceMax != nil {
		confMax = *st.ConfidenceMax
	}
	unlock := s.lockWrites()
	_, err = s.db.ExecContext(ctx, ruleStateUpsertSQL(s.d), st.RuleID, st.State, confMax, expires,
		nullString(st.Reason), nullString(st.SetBy), s.d.timeArg(st.SetAt))
	unlock()
	if err != nil {
		return out, err
	}
	return st, nil
}

// DeleteRuleState removes a rule's state row, reverting it to enabled; a
// rule without one is not an error.
func (s *Store) DeleteRuleState(ctx context.Context, ruleID string) (err error) {
	defer wrap(&err, "DeleteRuleState(%q)", ruleID)
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, "DELETE FROM ttp_rule_state WHERE rule_id = ?", ruleID)
	return err
}

const ttpRuleColumns = "rule_id, rule_version, source_path, yaml_content, updated_at, updated_by"

func ttpRuleUpsertSQL(d dialect) string {
	set := ""
	for i, c := range []string{"rule_version", "source_path", "yaml_content", "updated_at", "updated_by"} {
		if i > 0 {
			set += ", "
		}
		set += c + " = " + d.excluded(c)
	}
	return "INSERT INTO ttp_rule (" + ttpRuleColumns + ") VALUES (?, ?, ?, ?, ?, ?)" +
		d.onConflictUpdate("rule_id") + set
}

// UpsertTTPRule inserts or replaces a rule file's row. A zero UpdatedAt
// gets the store's clock: workers tail the table by updated_at.
func (s *Store) UpsertTTPRule(ctx context.Context, r model.TTPRuleRow) (err error) {
	defer wrap(&err, "UpsertTTPRule(%q)", r.RuleID)
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"rule_id", r.RuleID, maxRuleID}, {"source_path", r.SourcePath, maxSourcePath},
		{"yaml_content", r.YAMLContent, maxMediumText}, {"updated_by", r.UpdatedBy, maxRuleSetBy},
	} {
		if len(f.v) > f.max {
			return fmt.Errorf("%s longer than %d bytes", f.name, f.max)
		}
	}
	if r.RuleID == "" {
		return errors.New("empty rule_id")
	}
	if r.RuleVersion < 0 || r.RuleVersion > maxRuleVersion {
		return fmt.Errorf("rule_version %d out of range", r.RuleVersion)
	}
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, ttpRuleUpsertSQL(s.d), r.RuleID, r.RuleVersion, r.SourcePath, r.YAMLContent,
		s.d.timeArg(r.UpdatedAt), r.UpdatedBy)
	return err
}

// DeleteTTPRule removes a rule file's row; a missing row is not an error,
// so a sync can replay deletions.
func (s *Store) DeleteTTPRule(ctx context.Context, ruleID string) (err error) {
	defer wrap(&err, "DeleteTTPRule(%q)", ruleID)
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, "DELETE FROM ttp_rule WHERE rule_id = ?", ruleID)
	return err
}

func (s *Store) listTTPRules(ctx context.Context, query string, args ...any) ([]model.TTPRuleRow, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.TTPRuleRow{}
	for rows.Next() {
		var r model.TTPRuleRow
		if err := rows.Scan(&r.RuleID, &r.RuleVersion, &r.SourcePath, &r.YAMLContent, (*dbTime)(&r.UpdatedAt),
			&r.UpdatedBy); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ListTTPRules returns every rule row ordered by rule id.
func (s *Store) ListTTPRules(ctx context.Context) (out []model.TTPRuleRow, err error) {
	defer wrap(&err, "ListTTPRules")
	return s.listTTPRules(ctx, "SELECT "+ttpRuleColumns+" FROM ttp_rule ORDER BY rule_id")
}

// ListTTPRulesChangedSince returns the rows updated at or after since,
// oldest first, then by rule id. Rows exactly at since are returned again
// on the next poll; the tailer dedupes them by rule id (the original's
// BUG-13 fix).
func (s *Store) ListTTPRulesChangedSince(ctx context.Context, since time.Time) (out []model.TTPRuleRow, err error) {
	defer wrap(&err, "ListTTPRulesChangedSince(%s)", since.UTC().Format(time.RFC3339Nano))
	return s.listTTPRules(ctx, "SELECT "+ttpRuleColumns+" FROM ttp_rule WHERE updated_at >= ? "+
		"ORDER BY updated_at, rule_id", s.d.timeArg(since))
}
