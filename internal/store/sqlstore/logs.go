package sqlstore

import (
	"context"
	"database/sql"
	"strings"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Page sizes for the List methods.
const (
	// DefaultLimit is the page size used when a query's Limit is zero or
	// negative (the API's default).
	DefaultLimit = 50
	// MaxLimit caps a query's Limit, as the API does, so no caller can
	// pull a whole table in one page.
	MaxLimit = 1000
)

// pageArgs normalises a limit/offset pair.
func pageArgs(limit, offset int) (int, int) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		limit = MaxLimit
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// where accumulates "col = ?" conditions; column text comes only from
// constants at the call sites, values only as arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, arg)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

const logColumns = "id, event_id, timestamp, decky, service, event_type, attacker_ip, session_id, raw_line, fields, msg"

// ListLogs returns log rows matching q, newest first.
func (s *Store) ListLogs(ctx context.Context, q store.LogQuery) (_ []model.LogEntry, err error) {
	defer wrap(&err, "ListLogs")
	var w where
	if q.Decky != "" {
		w.add("decky = ?", q.Decky)
	}
	if q.Service != "" {
		w.add("service = ?", q.Service)
	}
	if q.EventType != "" {
		w.add("event_type = ?", q.EventType)
	}
	if q.AttackerIP != "" {
		w.add("attacker_ip = ?", q.AttackerIP)
	}
	if !q.Since.IsZero() {
		w.add("timestamp >= ?", s.d.timeArg(q.Since))
	}
	if !q.Until.IsZero() {
		w.add("timestamp <= ?", s.d.timeArg(q.Until))
	}
	limit, offset := pageArgs(q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+logColumns+" FROM logs"+w.sql()+" ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanLogs(rows, min(limit, 64))
}

// scanLogs reads rows selected as logColumns.
func scanLogs(rows *sql.Rows, capacity int) ([]model.LogEntry, error) {
	out := make([]model.LogEntry, 0, capacity)
	for rows.Next() {
		var e model.LogEntry
		var eventID, session, msg sql.NullString
		if err := rows.Scan(&e.ID, &eventID, (*dbTime)(&e.Timestamp), &e.Decky, &e.Service, &e.EventType,
			&e.AttackerIP, &session, &e.RawLine, jsonText{&e.Fields}, &msg); err != nil {
			return nil, err
		}
		e.EventID, e.SessionID, e.Msg = eventID.String, session.String, msg.String
		if e.Fields == nil {
			e.Fields = map[string]string{}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// CountLogs returns the number of stored log rows.
func (s *Store) CountLogs(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "CountLogs")
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM logs").Scan(&n)
	return n, err
}

// MaxLogID returns the highest log id, 0 when the table is empty; the
// dashboard stream starts after it.
func (s *Store) MaxLogID(ctx context.Context) (id int64, err error) {
	defer wrap(&err, "MaxLogID")
	err = s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM logs").Scan(&id)
	return id, err
}
