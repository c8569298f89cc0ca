package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Interface guards for the API's read repositories.
var (
	_ store.AttackerReadRepository = (*Store)(nil)
	_ store.IntelRepository        = (*Store)(nil)
)

// likeEscape is the escape clause of every LIKE built by addContains. '!'
// rather than the usual backslash, which MySQL string literals would
// themselves treat as an escape.
const likeEscape = " ESCAPE '!'"

// likeEscaper makes a search string literal inside a LIKE pattern.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// containsPattern is the LIKE pattern matching any text that contains s
// literally.
func containsPattern(s string) string { return "%" + likeEscaper.Replace(s) + "%" }

// addArgs adds a condition taking several arguments.
func (w *where) addArgs(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// addContains keeps rows where any of cols (constants at the call sites)
// contains search, literally and ignoring case; an empty search adds
// nothing. Both sides are lowered because MySQL's binary collation compares
// case-sensitively while SQLite's LIKE folds ASCII.
func (w *where) addContains(search string, cols ...string) {
	if search == "" || len(cols) == 0 {
		return
	}
	pat := containsPattern(search)
	ors := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		ors[i] = "LOWER(" + c + ") LIKE LOWER(?)" + likeEscape
		args[i] = pat
	}
	w.addArgs("("+strings.Join(ors, " OR ")+")", args...)
}

// addListMember keeps rows whose col, a JSON list of strings written by
// json.Marshal (no spaces), has v as an element. v encoded the same way
// occurs in the text exactly at an element when it follows '[' or ',' and
// is followed by ',' or ']': an unescaped quote after either only opens an
// element, and a JSON string ends where its encoding does. INSTR is literal
// and, on SQLite and MySQL's binary collation alike, case-sensitive.
func (w *where) addListMember(col, v string) error {
	enc, err := jsonArg(v)
	if err != nil {
		return err
	}
	in := "INSTR(" + col + ", ?) > 0"
	w.addArgs("("+in+" OR "+in+" OR "+in+" OR "+in+")", "["+enc+",", "["+enc+"]", ","+enc+",", ","+enc+"]")
	return nil
}

// attackerOrder maps each sort to its ORDER BY; uuid breaks ties so paging
// is stable.
var attackerOrder = map[store.AttackerSort]string{
	store.AttackerSortRecent:     " ORDER BY last_seen DESC, uuid",
	store.AttackerSortActive:     " ORDER BY event_count DESC, last_seen DESC, uuid",
	store.AttackerSortTraversals: " ORDER BY is_traversal DESC, decky_count DESC, last_seen DESC, uuid",
}

// ListAttackers returns a page of attacker rows matching q in q.Sort's
// order, and the number matching without paging.
func (s *Store) ListAttackers(ctx context.Context, q store.AttackerQuery) (out []model.Attacker, total int64, err error) {
	defer wrap(&err, "ListAttackers")
	order, ok := attackerOrder[q.Sort]
	if !ok {
		return nil, 0, fmt.Errorf("unknown attacker sort %d", q.Sort)
	}
	var w where
	w.addContains(q.Search, "ip")
	if q.Service != "" {
		if err := w.addListMember("services", q.Service); err != nil {
			return nil, 0, err
		}
	}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM attackers"+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := pageArgs(q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, "SELECT "+attackerColumns+" FROM attackers"+w.sql()+order+" LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.Attacker, 0, min(limit, 64))
	for rows.Next() {
		a, err := scanAttacker(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, a)
	}
	return out, total, rows.Err()
}

// ListAttackerBehaviors returns the behaviour rows of the attackers named,
// in one query, keyed by attacker uuid. Attackers without a behaviour row
// are absent from the map.
func (s *Store) ListAttackerBehaviors(ctx context.Context, attackerUUIDs []string) (out map[string]model.AttackerBehavior, err error) {
	defer wrap(&err, "ListAttackerBehaviors(%d uuids)", len(attackerUUIDs))
	out = make(map[string]model.AttackerBehavior, len(attackerUUIDs))
	if len(attackerUUIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(attackerUUIDs))
	for i, id := range attackerUUIDs {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+behaviorColumns+" FROM attacker_behavior WHERE attacker_uuid IN ("+
		strings.TrimSuffix(strings.Repeat("?,", len(args)), ",")+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		b, err := scanBehavior(rows)
		if err != nil {
			return nil, err
		}
		out[b.AttackerUUID] = b
	}
	return out, rows.Err()
}

// scanBehavior reads one row selected as behaviorColumns, as
// GetAttackerBehavior returns it.
func scanBehavior(r rowScanner) (b model.AttackerBehavior, err error) {
	var os, class sql.NullString
	var hop sql.NullInt64
	var interval, jitter sql.NullFloat64
	err = r.Scan(&b.AttackerUUID, &os, &hop, (*rawJSON)(&b.TCPFingerprint), jsonText{&b.KexOrderRaw},
		jsonText{&b.SSHClientBanners}, jsonText{&b.InteractedServices}, jsonText{&b.ScannedServices}, &b.RetransmitCount, &class, &interval, &jitter, jsonText{&b.ToolGuesses},
		(*rawJSON)(&b.TimingStats), (*rawJSON)(&b.PhaseSequence), (*dbTime)(&b.UpdatedAt))
	if err != nil {
		return b, err
	}
	b.OSGuess, b.BehaviorClass = os.String, class.String
	if hop.Valid {
		h := int(hop.Int64)
		b.HopDistance = &h
	}
	if interval.Valid {
		b.BeaconIntervalS = &interval.Float64
	}
	if jitter.Valid {
		b.BeaconJitterPct = &jitter.Float64
	}
	b.ToolGuesses, b.KexOrderRaw, b.SSHClientBanners = nonNil(b.ToolGuesses), nonNil(b.KexOrderRaw),
		nonNil(b.SSHClientBanners)
	b.InteractedServices, b.ScannedServices = nonNil(b.InteractedServices), nonNil(b.ScannedServices)
	return b, nil
}
