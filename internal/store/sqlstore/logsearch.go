package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var _ store.LogSearchRepository = (*Store)(nil)

// logTextColumns are the columns a free-text term searches.
var logTextColumns = []string{"raw_line", "decky", "service", "attacker_ip", "msg", "event_type"}

// logSearchWhere builds the conditions of q: its time range, then one per
// term. Column names come from the store package's constants and JSON paths
// from field keys of [A-Za-z0-9_], checked again here; every value is an
// argument.
func (s *Store) logSearchWhere(q store.LogSearch) (where, error) {
	var w where
	if !q.Since.IsZero() {
		w.add("timestamp >= ?", s.d.timeArg(q.Since))
	}
	if !q.Until.IsZero() {
		w.add("timestamp <= ?", s.d.timeArg(q.Until))
	}
	for _, t := range q.Terms {
		switch t.Kind {
		case store.LogTermText:
			w.addContains(t.Value, logTextColumns...)
		case store.LogTermColumn:
			switch t.Key {
			case store.LogColumnDecky, store.LogColumnService, store.LogColumnEventType, store.LogColumnAttackerIP:
				w.add(t.Key+" = ?", t.Value)
			default:
				return w, fmt.Errorf("log search on unknown column %q", t.Key)
			}
		case store.LogTermField:
			if t.Key == "" || store.SanitizeLogFieldKey(t.Key) != t.Key {
				return w, fmt.Errorf("log search on invalid field key %q", t.Key)
			}
			w.addArgs(s.jsonFieldExpr()+" = ?", `$."`+t.Key+`"`, t.Value)
		default:
			return w, fmt.Errorf("log search term of unknown kind %d", t.Kind)
		}
	}
	return w, nil
}

// jsonFieldExpr is the text of the string at a JSON path (the one
// argument) of logs.fields, NULL when absent. The path is quoted ($."key")
// so keys that are not identifiers (a leading digit) are valid on both
// engines.
func (s *Store) jsonFieldExpr() string {
	if s.d.name() == DialectMySQL {
		return "JSON_UNQUOTE(JSON_EXTRACT(fields, ?))"
	}
	return "json_extract(fields, ?)"
}

// SearchLogs returns a page of the log rows matching q, newest first
// (timestamp, then id), and the number matching without paging. Range
// conditions walk ix_logs_timestamp and attacker terms ix_logs_attacker_ip;
// free text and field terms filter the rows visited.
func (s *Store) SearchLogs(ctx context.Context, q store.LogSearch) (out []model.LogEntry, total int64, err error) {
	defer wrap(&err, "SearchLogs(%d terms)", len(q.Terms))
	w, err := s.logSearchWhere(q)
	if err != nil {
		return nil, 0, err
	}
	if len(w.conds) == 0 {
		total, err = s.unfilteredLogTotal(ctx)
	} else {
		err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM logs"+w.sql(), w.args...).Scan(&total)
	}
	if err != nil {
		return nil, 0, err
	}
	limit, offset := pageArgs(q.Limit, q.Offset)
	if total <= int64(offset) {
		return []model.LogEntry{}, total, nil
	}
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+logColumns+" FROM logs"+w.sql()+" ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out, err = scanLogs(rows, min(limit, 64))
	return out, total, err
}

// bucketExpr is floor(unix(timestamp)/n)*n, whole seconds since the Unix
// epoch, for n a positive integer written by the caller. MySQL's
// UNIX_TIMESTAMP would read the DATETIME in the session time zone, which
// the store does not set; TIMESTAMPDIFF from the epoch does not depend on
// it. SQLite's timestamps are UTC text that unixepoch parses into an
// integer (twice as fast as CAST(strftime('%s', …)), which the histogram
// calls once per row), and '/' on two integers divides as integers.
func (s *Store) bucketExpr(n string) string {
	if s.d.name() == DialectMySQL {
		return "(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', timestamp) DIV " + n + ") * " + n
	}
	return "(unixepoch(timestamp) / " + n + ") * " + n
}

// LogHistogram counts the log rows matching q (paging ignored) per
// interval: bucket floor(unix/N)*N for N the interval in seconds, computed
// by the database, oldest first. Empty buckets are absent. An interval
// under a second, or not whole seconds, is an error.
func (s *Store) LogHistogram(ctx context.Context, q store.LogSearch, interval time.Duration) (out []store.HistogramBucket, err error) {
	defer wrap(&err, "LogHistogram(%s)", interval)
	if interval < time.Second || interval%time.Second != 0 {
		return nil, fmt.Errorf("interval must be whole seconds, at least one")
	}
	w, err := s.logSearchWhere(q)
	if err != nil {
		return nil, err
	}
	// The seconds are an integer computed here, never caller text; writing
	// them into the statement keeps the grouped expression free of
	// placeholders.
	bucket := s.bucketExpr(strconv.FormatInt(int64(interval/time.Second), 10))
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+bucket+" AS bucket, COUNT(*) FROM logs"+w.sql()+" GROUP BY bucket ORDER BY bucket", w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []store.HistogramBucket{}
	for rows.Next() {
		var sec, count int64
		if err := rows.Scan(&sec, &count); err != nil {
			return nil, err
		}
		out = append(out, store.HistogramBucket{Time: time.Unix(sec, 0).UTC(), Count: count})
	}
	return out, rows.Err()
}

// statsQuery reads the four counters in one statement, so they come from
// one snapshot and one round trip. The distinct count walks
// ix_logs_attacker_ip and the decky counts ix_fleet_deckies_state.
const statsQuery = `SELECT
	(SELECT COUNT(*) FROM logs),
	(SELECT COUNT(DISTINCT attacker_ip) FROM logs WHERE attacker_ip NOT IN (?, '')),
	(SELECT COUNT(*) FROM fleet_deckies WHERE state IN (?, ?)),
	(SELECT COUNT(*) FROM fleet_deckies)`

// Stats returns the dashboard summary. Unlike the original, which counted
// fleet deckies from its on-disk state file, the decky counts come from
// fleet_deckies: active are those running or degraded, deployed every row.
func (s *Store) Stats(ctx context.Context) (st store.Stats, err error) {
	defer wrap(&err, "Stats")
	err = s.db.QueryRowContext(ctx, statsQuery, model.UnknownIP, model.DeckyRunning, model.DeckyDegraded).
		Scan(&st.TotalLogs, &st.UniqueAttackers, &st.ActiveDeckies, &st.DeployedDeckies)
	return st, err
}

// logTotalTTL is how long the unfiltered logs total is reused: counting
// every row is a full scan of an index that grows with the table, while
// each page of the live log view needs the total.
const logTotalTTL = 2 * time.Second

// logTotal is the cached unfiltered row count of logs.
type logTotal struct {
	mu sync.Mutex
	n  int64
	at time.Time
}

// unfilteredLogTotal counts the logs rows, reusing a count younger than
// logTotalTTL; rows committed since then show in the next count.
func (s *Store) unfilteredLogTotal(ctx context.Context) (int64, error) {
	now := s.now()
	s.logTotal.mu.Lock()
	defer s.logTotal.mu.Unlock()
	if !s.logTotal.at.IsZero() && now.Sub(s.logTotal.at) < logTotalTTL {
		return s.logTotal.n, nil
	}
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM logs").Scan(&n); err != nil {
		return 0, err
	}
	s.logTotal.n, s.logTotal.at = n, now
	return n, nil
}
