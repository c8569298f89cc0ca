package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// principal is the authenticated caller of a request.
type principal struct {
	user   model.User
	claims auth.Claims
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the caller stored by serveRoute. Only routes with an
// access level above AccessPublic have one.
func principalFrom(ctx context.Context) (principal, bool) {
	p, ok := ctx.Value(principalKey{}).(principal)
	return p, ok
}

// authenticate checks the bearer token and loads its user from the store,
// reusing what it loaded for the same token within principalTTL. Role and
// must-change state come from the user row, never the token.
func (s *Server) authenticate(r *http.Request, access Access) (principal, error) {
	ctx := r.Context()
	raw, ok := bearerToken(r)
	if !ok {
		// Browsers' EventSource cannot send headers, so the streaming
		// routes also take a single-use ticket (sse.go); a JWT in the
		// query string is never accepted.
		if t := r.URL.Query().Get(ticketQueryParam); t != "" && acceptsTicket(r) {
			return s.redeemTicket(r, t, access)
		}
		return principal{}, unauthorized(errors.New("missing bearer token"))
	}
	if p, ok := s.principals.get(raw); ok {
		if err := authorize(p.user, access); err != nil {
			return principal{}, err
		}
		return p, nil
	}
	c, err := s.tokens.Verify(raw)
	if err != nil {
		return principal{}, unauthorized(err)
	}
	u, err := s.users.GetUserByUUID(ctx, c.UUID)
	if errors.Is(err, store.ErrNotFound) {
		return principal{}, unauthorized(fmt.Errorf("token for unknown user %s", c.UUID))
	}
	if err != nil {
		return principal{}, fmt.Errorf("authenticate: load user: %w", err)
	}
	// Tokens carry whole seconds, so the cutoff is compared at that grain.
	if !u.TokensValidFrom.IsZero() && c.IssuedAt.Unix() < u.TokensValidFrom.Unix() {
		return principal{}, unauthorized(errors.New("token issued before the user's revocation cutoff"))
	}
	revoked, err := s.users.IsTokenRevoked(ctx, c.JTI)
	if err != nil {
		return principal{}, fmt.Errorf("authenticate: denylist: %w", err)
	}
	if revoked {
		return principal{}, unauthorized(errors.New("token revoked"))
	}
	p := principal{user: u, claims: c}
	s.principals.put(raw, p)
	if err := authorize(u, access); err != nil {
		return principal{}, err
	}
	return p, nil
}

// authorize decides whether u may use a route requiring access: a pending
// password change blocks everything but AccessAuthenticated routes, then the
// role must be high enough.
func authorize(u model.User, access Access) error {
	if access <= AccessAuthenticated {
		return nil
	}
	if u.MustChangePassword {
		return newError(http.StatusForbidden, detailMustChange, nil)
	}
	return requireRole(u, access)
}

// requireRole refuses users whose role is below access. Unknown roles get
// nothing beyond AccessAuthenticated.
func requireRole(u model.User, access Access) error {
	ok := false
	switch access {
	case AccessPublic, AccessAuthenticated:
		ok = true
	case AccessViewer:
		ok = u.Role == model.RoleViewer || u.Role == model.RoleAdmin
	case AccessAdmin:
		ok = u.Role == model.RoleAdmin
	}
	if !ok {
		return newError(http.StatusForbidden, detailForbidden, fmt.Errorf("role %q below %s", u.Role, access))
	}
	return nil
}

// bearerToken extracts the token from "Authorization: Bearer <jwt>". The
// scheme is case-insensitive (RFC 9110); query-string tokens are not
// accepted because they end up in logs and browser history.
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
