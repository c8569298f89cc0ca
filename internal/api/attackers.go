package api

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Bounds of the attacker routes (api_db.md §3.3).
const (
	// maxCommandPage caps a page of an attacker's commands, as the
	// original does.
	maxCommandPage = 200
	// maxIPLeaks is how many ip_leak bounties the attacker detail embeds;
	// ip_leaks_total gives the full count.
	maxIPLeaks = 10
)

var errNoAttackerStore = newError(http.StatusServiceUnavailable, "attacker intelligence is not available in this process", nil)

// attackerSorts maps sort_by values to store orders.
var attackerSorts = map[string]store.AttackerSort{
	"recent":     store.AttackerSortRecent,
	"active":     store.AttackerSortActive,
	"traversals": store.AttackerSortTraversals,
}

// attackerView is an attacker row with its behaviour profile, null when the
// profiler has not written one.
type attackerView struct {
	model.Attacker
	Behavior *model.AttackerBehavior `json:"behavior"`
}

// serviceActivity splits the services an attacker touched by interaction
// class (pipeline.md §3.7), as the profiler stored them.
type serviceActivity struct {
	Interacted []string `json:"interacted"`
	Scanned    []string `json:"scanned"`
}

// attackerDetail is GET /attackers/{uuid}.
type attackerDetail struct {
	attackerView
	ServiceActivity serviceActivity `json:"service_activity"`
	IPLeaks         []model.Bounty  `json:"ip_leaks"`
	IPLeaksTotal    int64           `json:"ip_leaks_total"`
}

// listAttackers is GET /attackers: a page of attackers filtered by an ip
// substring and a service, in sort_by order, each with its behaviour.
func (s *Server) listAttackers(w http.ResponseWriter, r *http.Request) error {
	if s.attackers == nil {
		return errNoAttackerStore
	}
	q := r.URL.Query()
	pg, search, err := pageAndSearch(q)
	if err != nil {
		return err
	}
	order := store.AttackerSortRecent
	if v := queryValue(q, "sort_by"); v != "" {
		var ok bool
		if order, ok = attackerSorts[v]; !ok {
			return newError(http.StatusUnprocessableEntity, "sort_by must be one of recent, active, traversals", nil)
		}
	}
	rows, total, err := s.attackers.ListAttackers(r.Context(), store.AttackerQuery{
		Limit: pg.limit, Offset: pg.offset, Search: search, Service: queryValue(q, "service"), Sort: order,
	})
	if err != nil {
		return err
	}
	views, err := s.withBehaviors(r.Context(), rows)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(views, total, pg))
	return nil
}

// withBehaviors pairs each attacker with its behaviour, read in one query.
func (s *Server) withBehaviors(ctx context.Context, rows []model.Attacker) ([]attackerView, error) {
	ids := make([]string, len(rows))
	for i, a := range rows {
		ids[i] = a.UUID
	}
	behaviors, err := s.attackers.ListAttackerBehaviors(ctx, ids)
	if err != nil {
		return nil, err
	}
	views := make([]attackerView, len(rows))
	for i, a := range rows {
		views[i].Attacker = a
		if b, ok := behaviors[a.UUID]; ok {
			views[i].Behavior = &b
		}
	}
	return views, nil
}

// getAttacker is GET /attackers/{uuid}: the attacker, its behaviour, the
// services it interacted with or only scanned, and its newest IP leaks.
func (s *Server) getAttacker(w http.ResponseWriter, r *http.Request) error {
	a, err := s.attackerOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	views, err := s.withBehaviors(ctx, []model.Attacker{a})
	if err != nil {
		return err
	}
	activity := serviceActivity{Interacted: []string{}, Scanned: []string{}}
	if b := views[0].Behavior; b != nil {
		activity = serviceActivity{Interacted: b.InteractedServices, Scanned: b.ScannedServices}
	}
	leaks, leaksTotal, err := s.attackers.ListBounties(ctx, store.BountyQuery{
		Limit: maxIPLeaks, BountyType: model.BountyIPLeak, AttackerIP: a.IP,
	})
	if err != nil {
		return err
	}
	if leaks == nil {
		leaks = []model.Bounty{}
	}
	middleware.WriteJSON(w, http.StatusOK, attackerDetail{
		attackerView: views[0], ServiceActivity: activity, IPLeaks: leaks, IPLeaksTotal: leaksTotal,
	})
	return nil
}

// listAttackerCommands is GET /attackers/{uuid}/commands: a page of the
// commands stored on the attacker row, newest first, optionally of one
// service.
func (s *Server) listAttackerCommands(w http.ResponseWriter, r *http.Request) error {
	if s.attackers == nil {
		return errNoAttackerStore
	}
	q := r.URL.Query()
	pg, err := pagingParams(q, maxCommandPage)
	if err != nil {
		return err
	}
	a, err := s.attackerOf(r)
	if err != nil {
		return err
	}
	cmds := a.Commands
	if service := queryValue(q, "service"); service != "" {
		cmds = slices.DeleteFunc(cmds, func(c model.CommandEntry) bool { return c.Service != service })
	}
	slices.SortStableFunc(cmds, func(x, y model.CommandEntry) int { return y.Timestamp.Compare(x.Timestamp) })
	total := len(cmds)
	lo, hi := min(pg.offset, total), min(pg.offset+pg.limit, total)
	middleware.WriteJSON(w, http.StatusOK, newPage(cmds[lo:hi], int64(total), pg))
	return nil
}

// listAttackerCredentials is GET /attackers/{uuid}/credentials: a page of
// the credential rows the attacker left, most recently seen first.
func (s *Server) listAttackerCredentials(w http.ResponseWriter, r *http.Request) error {
	if s.attackers == nil {
		return errNoAttackerStore
	}
	pg, err := pagingParams(r.URL.Query(), maxPageSize)
	if err != nil {
		return err
	}
	a, err := s.attackerOf(r)
	if err != nil {
		return err
	}
	rows, total, err := s.attackers.ListAttackerCredentials(r.Context(), a.UUID, a.IP, pg.limit, pg.offset)
	if err != nil {
		return err
	}
	middleware.WriteJSON(w, http.StatusOK, newPage(rows, total, pg))
	return nil
}

// attackerOf reads the attacker named by the {uuid} path value; an unknown
// one is the 404 every attacker route answers.
func (s *Server) attackerOf(r *http.Request) (model.Attacker, error) {
	if s.attackers == nil {
		return model.Attacker{}, errNoAttackerStore
	}
	a, err := s.attackers.GetAttackerByUUID(r.Context(), r.PathValue("uuid"))
	if errors.Is(err, store.ErrNotFound) {
		return a, newError(http.StatusNotFound, "Attacker not found", err)
	}
	return a, err
}
