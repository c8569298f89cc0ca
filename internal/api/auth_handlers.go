package api

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/decnet/decnet/internal/api/middleware"
	"github.com/decnet/decnet/internal/auth"
	"github.com/decnet/decnet/internal/store"
)

type loginRequest struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

type loginResponse struct {
	AccessToken        string `json:"access_token"`
	TokenType          string `json:"token_type"`
	MustChangePassword bool   `json:"must_change_password"`
}

type changePasswordRequest struct {
	OldPassword *string `json:"old_password"`
	NewPassword *string `json:"new_password"`
}

type messageResponse struct {
	Message string `json:"message"`
}

// login exchanges a username and password for an access token. Attempts are
// limited per peer address and per username, successes included.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if err := allow(s.loginByIP, clientIP(r)); err != nil {
		return err
	}
	var req loginRequest
	decodeErr := decodeJSON(r, &req)
	// An unreadable body still counts, against one shared "" bucket, so
	// garbage cannot be used to dodge the per-username limit.
	username := ""
	if decodeErr == nil && req.Username != nil {
		username = *req.Username
	}
	if err := allow(s.loginByUser, username); err != nil {
		return err
	}
	if decodeErr != nil {
		return decodeErr
	}
	if req.Username == nil {
		return missingField("username")
	}
	if req.Password == nil {
		return missingField("password")
	}
	password := *req.Password
	if len(password) > auth.MaxPasswordBytes {
		return newError(http.StatusUnprocessableEntity,
			fmt.Sprintf("Password must be at most %d bytes", auth.MaxPasswordBytes), nil)
	}

	u, err := s.users.GetUserByUsername(r.Context(), username)
	if errors.Is(err, store.ErrNotFound) {
		s.hasher.CheckDummy(password)
		return s.badLogin(r, "unknown user")
	}
	if err != nil {
		return fmt.Errorf("login: look up user: %w", err)
	}
	if !s.hasher.CheckPassword(u.PasswordHash, password) {
		return s.badLogin(r, "wrong password")
	}
	tok, _, err := s.tokens.Issue(u.UUID)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "login",
		slog.String("user_uuid", u.UUID), slog.String("remote", clientIP(r)),
		slog.String("request_id", middleware.RequestIDFrom(r.Context())))
	middleware.WriteJSON(w, http.StatusOK, loginResponse{
		AccessToken:        tok,
		TokenType:          "bearer",
		MustChangePassword: u.MustChangePassword,
	})
	return nil
}

// badLogin logs a failed login for auditing and returns the single answer for
// an unknown user and a wrong password. The username is kept out of the log:
// people type passwords into that field.
func (s *Server) badLogin(r *http.Request, reason string) error {
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "login failed",
		slog.String("reason", reason), slog.String("remote", clientIP(r)),
		slog.String("request_id", middleware.RequestIDFrom(r.Context())))
	return newError(http.StatusUnauthorized, detailBadLogin, errors.New(reason)).
		withHeader("WWW-Authenticate", "Bearer")
}

// logout denylists the caller's token until it expires; other tokens of the
// same user stay valid.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p, ok := principalFrom(r.Context())
	if !ok {
		return errors.New("logout: no principal on an authenticated route")
	}
	if err := s.users.RevokeToken(r.Context(), p.claims.JTI, p.user.UUID, p.claims.ExpiresAt); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Logged out"})
	return nil
}

// changePasswordHandler replaces the caller's password, clears a pending
// forced change and invalidates every token the user holds, the current one
// included, so a stolen session does not survive the change.
func (s *Server) changePasswordHandler(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, ok := principalFrom(ctx)
	if !ok {
		return errors.New("change password: no principal on an authenticated route")
	}
	if err := allow(s.changePassword, p.user.UUID); err != nil {
		return err
	}
	var req changePasswordRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.OldPassword == nil {
		return missingField("old_password")
	}
	if req.NewPassword == nil {
		return missingField("new_password")
	}
	if len(*req.OldPassword) > auth.MaxPasswordBytes {
		return newError(http.StatusUnprocessableEntity,
			fmt.Sprintf("Old password must be at most %d bytes", auth.MaxPasswordBytes), nil)
	}
	if err := auth.ValidatePassword(*req.NewPassword); err != nil {
		return newError(http.StatusUnprocessableEntity, policyDetail(err), err)
	}
	if !s.hasher.CheckPassword(p.user.PasswordHash, *req.OldPassword) {
		return newError(http.StatusUnauthorized, detailBadOldPassword, errors.New("wrong old password")).
			withHeader("WWW-Authenticate", "Bearer")
	}
	hash, err := s.hasher.HashPassword(*req.NewPassword)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	if err := s.users.UpdateUserPassword(ctx, p.user.UUID, hash, false, s.now()); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	// The cutoff only bites tokens issued in an earlier second; denylisting
	// the current token makes sure it dies even if it was minted in this one.
	if err := s.users.RevokeToken(ctx, p.claims.JTI, p.user.UUID, p.claims.ExpiresAt); err != nil {
		return fmt.Errorf("change password: revoke current token: %w", err)
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "password changed",
		slog.String("user_uuid", p.user.UUID),
		slog.String("request_id", middleware.RequestIDFrom(ctx)))
	middleware.WriteJSON(w, http.StatusOK, messageResponse{Message: "Password updated successfully"})
	return nil
}

// policyDetail turns a policy violation into the client-facing message.
func policyDetail(err error) string {
	switch {
	case errors.Is(err, auth.ErrPasswordTooShort):
		return fmt.Sprintf("New password must be at least %d characters", auth.MinPasswordChars)
	case errors.Is(err, auth.ErrPasswordTooLong):
		return fmt.Sprintf("New password must be at most %d bytes (UTF-8)", auth.MaxPasswordBytes)
	}
	return "New password does not meet the password policy"
}

// allow records an attempt against l and turns a refusal into a 429 with
// Retry-After in whole seconds.
func allow(l *auth.Limiter, key string) error {
	ok, retry := l.Allow(key)
	if ok {
		return nil
	}
	secs := int(math.Ceil(retry.Seconds()))
	return newError(http.StatusTooManyRequests,
		fmt.Sprintf("Rate limit exceeded: %d per %s", l.Limit(), windowText(l.Window())),
		errors.New("attempt limit reached")).
		withHeader("Retry-After", strconv.Itoa(max(secs, 1)))
}

// windowText renders a window the way people say it: "1 minute", "5 minutes".
func windowText(d time.Duration) string {
	if d%time.Minute == 0 {
		m := int(d / time.Minute)
		if m == 1 {
			return "1 minute"
		}
		return strconv.Itoa(m) + " minutes"
	}
	return d.String()
}
