package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Paging bounds of list routes.
const (
	defaultPageSize = 50
	maxPageSize     = 1000
)

// reuseList is a page of credential-reuse findings.
type reuseList struct {
	Data  []model.CredentialReuse `json:"data"`
	Total int64                   `json:"total"`
}

var errNoReuseStore = newError(http.StatusServiceUnavailable, "credential reuse findings are not available in this process", nil)

// listCredentialReuse is GET /credential-reuse: findings with at least
// min_target_count (default and minimum 2) targets, most targets first.
func (s *Server) listCredentialReuse(w http.ResponseWriter, r *http.Request) error {
	if s.reuse == nil {
		return errNoReuseStore
	}
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit", defaultPageSize, 1, maxPageSize)
	if err != nil {
		return err
	}
	offset, err := intParam(q.Get("offset"), "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	minTargets, err := intParam(q.Get("min_target_count"), "min_target_count", 2, 2, 1<<20)
	if err != nil {
		return err
	}
	rows, total, err := s.reuse.ListReuse(r.Context(), store.ReuseQuery{
		Limit: limit, Offset: offset, MinTargetCount: minTargets, SecretKind: q.Get("secret_kind"),
	})
	if err != nil {
		return err
	}
	if rows == nil {
		rows = []model.CredentialReuse{}
	}
	middleware.WriteJSON(w, http.StatusOK, reuseList{Data: rows, Total: total})
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
