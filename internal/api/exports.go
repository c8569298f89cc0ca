package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/export"
)

// Bounds of the identity and campaign exports. Each member attacker costs
// two queries (its tags and its rollup) and carries up to 2 000 tag
// sightings, so the caps keep the worst export near a thousand queries and
// a bundle an analyst's tools still import in one piece. The members left
// out are the least recently seen; the bundle's intrusion-set and campaign
// (x_decnet_attackers_total/_exported, x_decnet_identities_total/_exported)
// and the MISP event's info say how many were left out.
const (
	// maxIdentityExportAttackers bounds the member attackers of one
	// identity export, most recently seen first.
	maxIdentityExportAttackers = 250
	// maxCampaignExportIdentities bounds the identities of one campaign
	// export, most recently updated first.
	maxCampaignExportIdentities = 100
	// maxCampaignExportAttackers bounds the attackers of one campaign
	// export, shared evenly among its identities so one large identity
	// cannot crowd out the others.
	maxCampaignExportAttackers = 500
)

// memberExports gathers what the exports need about each attacker, the
// behaviours of all of them in one query.
func (s *Server) memberExports(ctx context.Context, rows []model.Attacker) ([]export.AttackerExport, error) {
	uuids := make([]string, len(rows))
	for i, a := range rows {
		uuids[i] = a.UUID
	}
	bs, err := s.attackers.ListAttackerBehaviors(ctx, uuids)
	if err != nil {
		return nil, err
	}
	out := make([]export.AttackerExport, len(rows))
	for i, a := range rows {
		in := export.AttackerExport{Attacker: a}
		if b, ok := bs[a.UUID]; ok {
			in.Behavior = &b
		}
		if in.Tags, err = s.ttp.ListTagsByAttacker(ctx, a.UUID, 0); err != nil {
			return nil, err
		}
		if in.Rollups, err = s.ttp.ListTechniquesByAttacker(ctx, a.UUID); err != nil {
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}

// identityExport gathers an identity's export with at most limit members.
func (s *Server) identityExport(ctx context.Context, ident model.Identity, limit int) (export.IdentityExport, error) {
	out := export.IdentityExport{Identity: ident}
	rows, total, err := s.identities.ListIdentityObservations(ctx, ident.UUID, limit, 0)
	if err != nil {
		return out, err
	}
	out.MemberTotal = total
	if out.Members, err = s.memberExports(ctx, rows); err != nil {
		return out, err
	}
	out.Rollups, err = s.ttp.ListTechniquesByIdentity(ctx, ident.UUID)
	return out, err
}

// exportIdentity serves GET /identities/{uuid}/export/{stix,misp}: the
// identity the uuid resolves to, with up to maxIdentityExportAttackers
// members, as a download.
func (s *Server) exportIdentity(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.identities == nil {
			return errNoIdentityStore
		}
		if s.ttp == nil || s.attackers == nil {
			return errNoTTPStore
		}
		ctx := r.Context()
		ident, err := s.identities.GetIdentity(ctx, r.PathValue("uuid"))
		if err != nil {
			return identityError(err)
		}
		in, err := s.identityExport(ctx, ident, maxIdentityExportAttackers)
		if err != nil {
			return identityError(err)
		}
		name := fmt.Sprintf("decnet-identity-%s.%s.json", shortID(ident.UUID), format)
		if format == "stix" {
			b, err := export.STIXIdentityBundle(in, s.catalog(), s.now())
			if err != nil {
				return err
			}
			return download(w, name, b)
		}
		return download(w, name, export.MISPIdentityEvent(in, s.catalog(), s.now()))
	}
}

// exportCampaign serves GET /campaigns/{uuid}/export/{stix,misp}: the
// campaign the uuid resolves to, with up to maxCampaignExportIdentities
// identities and maxCampaignExportAttackers attackers, as a download.
func (s *Server) exportCampaign(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.campaigns == nil {
			return errNoCampaignStore
		}
		if s.identities == nil {
			return errNoIdentityStore
		}
		if s.ttp == nil || s.attackers == nil {
			return errNoTTPStore
		}
		ctx := r.Context()
		c, err := s.campaigns.GetCampaign(ctx, r.PathValue("uuid"))
		if err != nil {
			return campaignError(err)
		}
		idents, total, err := s.campaigns.ListCampaignIdentities(ctx, c.UUID, maxCampaignExportIdentities, 0)
		if err != nil {
			return campaignError(err)
		}
		in := export.CampaignExport{Campaign: c, IdentityTotal: total, Identities: make([]export.IdentityExport, 0, len(idents))}
		per := campaignMemberLimit(len(idents))
		for _, ident := range idents {
			ie, err := s.identityExport(ctx, ident, per)
			if err != nil {
				return err
			}
			in.Identities = append(in.Identities, ie)
		}
		if in.Rollups, err = s.ttp.ListTechniquesByCampaign(ctx, c.UUID); err != nil {
			return err
		}
		name := fmt.Sprintf("decnet-campaign-%s.%s.json", shortID(c.UUID), format)
		if format == "stix" {
			b, err := export.STIXCampaignBundle(in, s.catalog(), s.now())
			if err != nil {
				return err
			}
			return download(w, name, b)
		}
		return download(w, name, export.MISPCampaignEvent(in, s.catalog(), s.now()))
	}
}

// campaignMemberLimit is how many attackers each of n identities brings to
// a campaign export: an even share of maxCampaignExportAttackers, at
// least one (an identity with no address would say nothing), at most
// maxIdentityExportAttackers.
func campaignMemberLimit(n int) int {
	if n <= 0 {
		return maxIdentityExportAttackers
	}
	return min(max(maxCampaignExportAttackers/n, 1), maxIdentityExportAttackers)
}

// navigatorCampaign is GET /ttp/export/navigator/campaign/{uuid}: the
// layer of the campaign the uuid resolves to. Unlike the identity layer,
// an unknown campaign is a 404, since the layer is named after the live
// campaign, which must be looked up anyway.
func (s *Server) navigatorCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.campaigns == nil {
		return errNoCampaignStore
	}
	if s.ttp == nil {
		return errNoTTPStore
	}
	ctx := r.Context()
	c, err := s.campaigns.GetCampaign(ctx, r.PathValue("uuid"))
	if err != nil {
		return campaignError(err)
	}
	rows, err := s.ttp.ListTechniquesByCampaign(ctx, c.UUID)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, export.Navigator("DECNET TTP coverage — campaign "+c.UUID, rows, s.catalog()))
	return nil
}
