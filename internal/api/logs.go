package api

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/syslog"
)

// Bounds of GET /logs/histogram (api_db.md §3.2).
const (
	defaultHistogramMinutes = 15
	// maxHistogramMinutes is one week: a wider bucket draws a single bar
	// for most ranges the dashboard shows.
	maxHistogramMinutes = 7 * 24 * 60
)

var errNoLogStore = newError(http.StatusServiceUnavailable, "logs are not available in this process", nil)

// histogramPoint is one bar of GET /logs/histogram. Time is RFC 3339 in UTC
// ("2026-03-01T12:15:00Z"), where the original wrote a naive
// "YYYY-MM-DD HH:MM:SS" that clients had to know was UTC.
type histogramPoint struct {
	Time  string `json:"time"`
	Count int64  `json:"count"`
}

// statsBody is GET /stats.
type statsBody struct {
	TotalLogs       int64 `json:"total_logs"`
	UniqueAttackers int64 `json:"unique_attackers"`
	ActiveDeckies   int64 `json:"active_deckies"`
	DeployedDeckies int64 `json:"deployed_deckies"`
}

// listLogs is GET /logs: a page of log rows matching search and the
// start_time/end_time range, newest first. fields is a JSON object (the
// original sent it as a JSON-encoded string), and raw_line is never empty:
// events published natively, stored without one, get it rendered as the
// RFC 5424 line the service would have written.
func (s *Server) listLogs(w http.ResponseWriter, r *http.Request) error {
	if s.logs == nil {
		return errNoLogStore
	}
	q := r.URL.Query()
	pg, search, err := pageAndSearch(q)
	if err != nil {
		return err
	}
	ls, err := logSearchParams(q, search)
	if err != nil {
		return err
	}
	ls.Limit, ls.Offset = pg.limit, pg.offset
	rows, total, err := s.logs.SearchLogs(r.Context(), ls)
	if err != nil {
		return err
	}
	for i := range rows {
		if rows[i].RawLine == "" {
			rows[i].RawLine = renderRawLine(rows[i])
		}
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// logHistogram is GET /logs/histogram: the number of log rows matching
// search and the range per interval_minutes (default 15), oldest first;
// intervals without rows are absent.
func (s *Server) logHistogram(w http.ResponseWriter, r *http.Request) error {
	if s.logs == nil {
		return errNoLogStore
	}
	q := r.URL.Query()
	search, err := searchParam(q, "search")
	if err != nil {
		return err
	}
	minutes, err := intParam(queryValue(q, "interval_minutes"), "interval_minutes", defaultHistogramMinutes, 1, maxHistogramMinutes)
	if err != nil {
		return err
	}
	ls, err := logSearchParams(q, search)
	if err != nil {
		return err
	}
	buckets, err := s.logs.LogHistogram(r.Context(), ls, time.Duration(minutes)*time.Minute)
	if err != nil {
		return err
	}
	out := make([]histogramPoint, len(buckets))
	for i, b := range buckets {
		out[i] = histogramPoint{Time: b.Time.UTC().Format(time.RFC3339), Count: b.Count}
	}
	middleware.WriteJSON(w, http.StatusOK, out)
	return nil
}

// stats is GET /stats: log and distinct attacker counts, and the fleet's
// active (running or degraded) and deployed deckies, read from the
// database rather than, as the original did, a state file on disk.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	if s.logs == nil {
		return errNoLogStore
	}
	st, err := s.logs.Stats(r.Context())
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, statsBody{
		TotalLogs: st.TotalLogs, UniqueAttackers: st.UniqueAttackers,
		ActiveDeckies: st.ActiveDeckies, DeployedDeckies: st.DeployedDeckies,
	})
	return nil
}

// logSearchParams parses search into terms and reads start_time and
// end_time (RFC 3339, inclusive); a bad one is a 422 naming it.
func logSearchParams(q url.Values, search string) (store.LogSearch, error) {
	terms, err := store.ParseLogSearch(search)
	if errors.Is(err, store.ErrBadLogSearch) {
		return store.LogSearch{}, newError(http.StatusUnprocessableEntity, err.Error(), err)
	}
	if err != nil {
		return store.LogSearch{}, err
	}
	ls := store.LogSearch{Terms: terms}
	if ls.Since, err = timeParam(q, "start_time"); err != nil {
		return ls, err
	}
	if ls.Until, err = timeParam(q, "end_time"); err != nil {
		return ls, err
	}
	return ls, nil
}

// timeParam reads an optional RFC 3339 time parameter; absent is the zero
// time, anything unparsable a 422 naming the parameter.
func timeParam(q url.Values, name string) (time.Time, error) {
	v := queryValue(q, name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, newError(http.StatusUnprocessableEntity, name+" must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z", err)
	}
	return t, nil
}

// renderRawLine is the RFC 5424 line a service writes for e, for rows
// stored without one. The row keeps no port or destination of its own, so
// those come from its fields when present.
func renderRawLine(e model.LogEntry) string {
	return syslog.Format(model.Event{
		ID: e.EventID, TS: e.Timestamp, Decky: e.Decky, Service: e.Service, EventType: e.EventType,
		SrcIP: e.AttackerIP, SessionID: e.SessionID, Fields: e.Fields, Msg: e.Msg,
	}, syslog.SeverityInfo)
}
