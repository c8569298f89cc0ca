package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// EnsureAdmin makes sure an admin account named username exists. When it has
// to create one and password is empty, it generates a strong password, sets
// must_change_password and returns the password so the caller can print it
// once; a given password (from DECNET_ADMIN_PASSWORD) is used as is, without a
// forced change. An existing account is left alone, except that while it
// still has must_change_password set, a given password replaces its hash, so
// an operator who lost the generated one can recover by setting the variable.
func EnsureAdmin(ctx context.Context, users store.UserRepository, username, password string, h *Hasher) (generated string, err error) {
	if username == "" {
		return "", errors.New("ensure admin: empty username")
	}
	if password != "" {
		if err := ValidatePassword(password); err != nil {
			return "", fmt.Errorf("invalid DECNET_ADMIN_PASSWORD: %w", err)
		}
	}

	u, err := users.GetUserByUsername(ctx, username)
	switch {
	case err == nil:
		return "", resyncAdmin(ctx, users, u, password, h)
	case !errors.Is(err, store.ErrNotFound):
		return "", fmt.Errorf("ensure admin: look up %q: %w", username, err)
	}

	mustChange := false
	if password == "" {
		password = generatePassword()
		generated = password
		mustChange = true
	}
	hash, err := h.HashPassword(password)
	if err != nil {
		return "", fmt.Errorf("ensure admin: %w", err)
	}
	err = users.CreateUser(ctx, model.User{
		UUID:               uuid.NewString(),
		Username:           username,
		PasswordHash:       hash,
		Role:               model.RoleAdmin,
		MustChangePassword: mustChange,
	})
	if errors.Is(err, store.ErrConflict) {
		// Another process created it between our lookup and insert; its
		// password wins and ours was never usable, so there is nothing to print.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("ensure admin: create %q: %w", username, err)
	}
	return generated, nil
}

func resyncAdmin(ctx context.Context, users store.UserRepository, u model.User, password string, h *Hasher) error {
	if !u.MustChangePassword || password == "" || h.CheckPassword(u.PasswordHash, password) {
		return nil
	}
	hash, err := h.HashPassword(password)
	if err != nil {
		return fmt.Errorf("ensure admin: %w", err)
	}
	// The flag stays set: the account has still never had a password chosen
	// through the dashboard. Moving the cutoff kills tokens minted for the
	// old password.
	if err := users.UpdateUserPassword(ctx, u.UUID, hash, true, time.Now()); err != nil {
		return fmt.Errorf("ensure admin: re-sync %q: %w", u.Username, err)
	}
	return nil
}
