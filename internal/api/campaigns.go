package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var errNoCampaignStore = newError(http.StatusServiceUnavailable, "campaigns are not available in this process", nil)

// campaignDetail is GET /campaigns/{uuid}: the campaign and the number of
// live identities in it now, which the stored identity_count only tracks
// once per clustering tick.
type campaignDetail struct {
	model.Campaign
	IdentityCountLive int64 `json:"identity_count_live"`
}

// identityView is an identity as the API shows it: the stored row plus
// campaign_uuid, the live campaign its campaign_id resolves to through
// campaign merges (null when it has none). campaign_id alone may name a
// campaign merged away since.
type identityView struct {
	model.Identity
	CampaignUUID *string `json:"campaign_uuid"`
}

// identityViews resolves the campaigns of rows in one store call.
func (s *Server) identityViews(ctx context.Context, rows []model.Identity) ([]identityView, error) {
	out := make([]identityView, len(rows))
	var ids []string
	for i, r := range rows {
		out[i].Identity = r
		if r.CampaignID != "" {
			ids = append(ids, r.CampaignID)
		}
	}
	if len(ids) == 0 || s.campaigns == nil {
		return out, nil
	}
	live, err := s.campaigns.ResolveCampaigns(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if c, ok := live[out[i].CampaignID]; ok {
			out[i].CampaignUUID = &c
		}
	}
	return out, nil
}

// listCampaigns is GET /campaigns: a page of live (unmerged) campaigns,
// most recently updated first.
func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) error {
	if s.campaigns == nil {
		return errNoCampaignStore
	}
	pg, err := pagingParams(r.URL.Query(), maxPageSize)
	if err != nil {
		return err
	}
	rows, total, err := s.campaigns.ListCampaigns(r.Context(), pg.limit, pg.offset)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// getCampaign is GET /campaigns/{uuid}: the campaign the uuid resolves to
// through merges, with its live identity count.
func (s *Server) getCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.campaigns == nil {
		return errNoCampaignStore
	}
	ctx := r.Context()
	c, err := s.campaigns.GetCampaign(ctx, r.PathValue("uuid"))
	if err != nil {
		return campaignError(err)
	}
	_, live, err := s.campaigns.ListCampaignIdentities(ctx, c.UUID, 1, 0)
	if err != nil {
		return campaignError(err)
	}
	middleware.WriteJSON(w, http.StatusOK, campaignDetail{Campaign: c, IdentityCountLive: live})
	return nil
}

// listCampaignIdentities is GET /campaigns/{uuid}/identities: a page of
// the live identities in the campaign the uuid resolves to, those of
// campaigns merged into it included.
func (s *Server) listCampaignIdentities(w http.ResponseWriter, r *http.Request) error {
	if s.campaigns == nil {
		return errNoCampaignStore
	}
	pg, err := pagingParams(r.URL.Query(), maxPageSize)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rows, total, err := s.campaigns.ListCampaignIdentities(ctx, r.PathValue("uuid"), pg.limit, pg.offset)
	if err != nil {
		return campaignError(err)
	}
	views, err := s.identityViews(ctx, rows)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(views, total, pg))
	return nil
}

// campaignError turns an unknown campaign into the routes' 404.
func campaignError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return newError(http.StatusNotFound, "Campaign not found", err)
	}
	return err
}
