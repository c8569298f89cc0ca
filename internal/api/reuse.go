package api

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/store"
)

// Bounds of list routes' query parameters (api_db.md §3.2).
const (
	defaultPageSize = 50
	maxPageSize     = 1000
	// maxOffset is the original's bound, a signed 32-bit integer.
	maxOffset = math.MaxInt32
	// maxSearchLen caps free-text searches, in characters; each is a
	// substring scan, so a longer one only costs the database more.
	maxSearchLen = 512
)

// page is the standard list envelope, {"data", "total", "limit", "offset"}.
type page[T any] struct {
	Data   []T   `json:"data"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// newPage wraps a page of rows; nil data encodes as [].
func newPage[T any](data []T, total int64, p paging) page[T] {
	if data == nil {
		data = []T{}
	}
	return page[T]{Data: data, Total: total, Limit: p.limit, Offset: p.offset}
}

// paging is a validated limit and offset.
type paging struct{ limit, offset int }

// pagingParams reads limit (default 50, 1 to maxLimit) and offset.
func pagingParams(q url.Values, maxLimit int) (paging, error) {
	limit, err := intParam(queryValue(q, "limit"), "limit", defaultPageSize, 1, maxLimit)
	if err != nil {
		return paging{}, err
	}
	offset, err := intParam(queryValue(q, "offset"), "offset", 0, 0, maxOffset)
	if err != nil {
		return paging{}, err
	}
	return paging{limit: limit, offset: offset}, nil
}

// pageAndSearch reads the limit, offset and search parameters every
// searchable list takes.
func pageAndSearch(q url.Values) (paging, string, error) {
	pg, err := pagingParams(q, maxPageSize)
	if err != nil {
		return pg, "", err
	}
	search, err := searchParam(q, "search")
	return pg, search, err
}

// queryValue returns a query parameter, with the values browser clients
// send for an unset field ("null", "NULL", "undefined") read as absent, as
// the original's list routes do (api_db.md §3).
func queryValue(q url.Values, name string) string {
	switch v := q.Get(name); v {
	case "null", "NULL", "undefined":
		return ""
	default:
		return v
	}
}

// searchParam returns a free-text search parameter of at most maxSearchLen
// characters; a longer one is a 422.
func searchParam(q url.Values, name string) (string, error) {
	v := queryValue(q, name)
	if utf8.RuneCountInString(v) > maxSearchLen {
		return "", newError(http.StatusUnprocessableEntity,
			name+" must be at most "+strconv.Itoa(maxSearchLen)+" characters", nil)
	}
	return v, nil
}

var errNoReuseStore = newError(http.StatusServiceUnavailable, "credential reuse findings are not available in this process", nil)

// listCredentialReuse is GET /credential-reuse: findings with at least
// min_target_count (default and minimum 2) targets, most targets first.
func (s *Server) listCredentialReuse(w http.ResponseWriter, r *http.Request) error {
	if s.reuse == nil {
		return errNoReuseStore
	}
	q := r.URL.Query()
	pg, err := pagingParams(q, maxPageSize)
	if err != nil {
		return err
	}
	minTargets, err := intParam(queryValue(q, "min_target_count"), "min_target_count", 2, 2, 1<<20)
	if err != nil {
		return err
	}
	rows, total, err := s.reuse.ListReuse(r.Context(), store.ReuseQuery{
		Limit: pg.limit, Offset: pg.offset, MinTargetCount: minTargets, SecretKind: queryValue(q, "secret_kind"),
	})
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// getCredentialReuse is GET /credential-reuse/{id}.
func (s *Server) getCredentialReuse(w http.ResponseWriter, r *http.Request) error {
	if s.reuse == nil {
		return errNoReuseStore
	}
	row, err := s.reuse.GetReuse(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, "credential_reuse not found", err)
	}
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, row)
	return nil
}

// intParam parses an optional integer query parameter within [min, max];
// anything else is a 422 naming the parameter and the range.
func intParam(v, name string, def, min, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, newError(http.StatusUnprocessableEntity,
			name+" must be an integer from "+strconv.Itoa(min)+" to "+strconv.Itoa(max), err)
	}
	return n, nil
}
