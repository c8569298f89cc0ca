package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// IdentityReader is what the identities routes read: live identities,
// merge-resolved lookups and the attacker rows under an identity.
// sqlstore.Store implements it (see store.IdentityRepository).
type IdentityReader interface {
	ListIdentities(ctx context.Context, limit, offset int) ([]model.Identity, int64, error)
	GetIdentity(ctx context.Context, uuid string) (model.Identity, error)
	ListIdentityObservations(ctx context.Context, uuid string, limit, offset int) ([]model.Attacker, int64, error)
}

var (
	errNoIntelStore    = newError(http.StatusServiceUnavailable, "credentials and bounty are not available in this process", nil)
	errNoIdentityStore = newError(http.StatusServiceUnavailable, "identities are not available in this process", nil)
)

// identityDetail is GET /identities/{uuid}: the identity and the number of
// attacker rows under it now, which the stored observation_count only
// tracks once per clustering tick.
type identityDetail struct {
	identityView
	ObservationCountLive int64 `json:"observation_count_live"`
}

// listCredentials is GET /credentials: a page of credential rows, most
// recently seen first, filtered by service, attacker ip and a search.
func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	if s.intel == nil {
		return errNoIntelStore
	}
	q := r.URL.Query()
	pg, search, err := pageAndSearch(q)
	if err != nil {
		return err
	}
	rows, total, err := s.intel.SearchCredentials(r.Context(), store.CredentialSearch{
		CredentialQuery: store.CredentialQuery{
			Limit: pg.limit, Offset: pg.offset, Service: queryValue(q, "service"), AttackerIP: queryValue(q, "attacker_ip"),
		},
		Search: search,
	})
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// listBounty is GET /bounty: a page of bounty rows, newest first, filtered
// by type and a search.
func (s *Server) listBounty(w http.ResponseWriter, r *http.Request) error {
	if s.intel == nil {
		return errNoIntelStore
	}
	q := r.URL.Query()
	pg, search, err := pageAndSearch(q)
	if err != nil {
		return err
	}
	rows, total, err := s.intel.SearchBounties(r.Context(), store.BountySearch{
		BountyQuery: store.BountyQuery{Limit: pg.limit, Offset: pg.offset, BountyType: queryValue(q, "bounty_type")},
		Search:      search,
	})
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// listIdentities is GET /identities: a page of live (unmerged) identities,
// most recently updated first.
func (s *Server) listIdentities(w http.ResponseWriter, r *http.Request) error {
	if s.identities == nil {
		return errNoIdentityStore
	}
	pg, err := pagingParams(r.URL.Query(), maxPageSize)
	if err != nil {
		return err
	}
	rows, total, err := s.identities.ListIdentities(r.Context(), pg.limit, pg.offset)
	if err != nil {
		return err
	}
	views, err := s.identityViews(r.Context(), rows)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(views, total, pg))
	return nil
}

// getIdentity is GET /identities/{uuid}: the identity the uuid resolves to
// through merges, with its live observation count.
func (s *Server) getIdentity(w http.ResponseWriter, r *http.Request) error {
	if s.identities == nil {
		return errNoIdentityStore
	}
	ctx := r.Context()
	id, err := s.identities.GetIdentity(ctx, r.PathValue("uuid"))
	if err != nil {
		return identityError(err)
	}
	_, live, err := s.identities.ListIdentityObservations(ctx, id.UUID, 1, 0)
	if err != nil {
		return identityError(err)
	}
	views, err := s.identityViews(ctx, []model.Identity{id})
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, identityDetail{identityView: views[0], ObservationCountLive: live})
	return nil
}

// listIdentityObservations is GET /identities/{uuid}/observations: a page
// of the attacker rows under the identity the uuid resolves to.
func (s *Server) listIdentityObservations(w http.ResponseWriter, r *http.Request) error {
	if s.identities == nil {
		return errNoIdentityStore
	}
	pg, err := pagingParams(r.URL.Query(), maxPageSize)
	if err != nil {
		return err
	}
	rows, total, err := s.identities.ListIdentityObservations(r.Context(), r.PathValue("uuid"), pg.limit, pg.offset)
	if err != nil {
		return identityError(err)
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// identityError turns an unknown identity into the routes' 404.
func identityError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, "Identity not found", err)
	}
	return err
}
