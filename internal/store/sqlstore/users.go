package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

const (
	userColumns = "uuid, username, password_hash, role, must_change_password, tokens_valid_from"

	revokeInsertBody = " revoked_tokens (jti, user_uuid, expires_at, revoked_at) VALUES (?, ?, ?, ?)"
)

// GetUserByUsername returns the account named username, or
// store.ErrNotFound.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (u model.User, err error) {
	defer wrap(&err, "GetUserByUsername(%q)", username)
	return s.getUser(ctx, "username", username)
}

// GetUserByUUID returns the account with that uuid, or store.ErrNotFound.
func (s *Store) GetUserByUUID(ctx context.Context, id string) (u model.User, err error) {
	defer wrap(&err, "GetUserByUUID(%q)", id)
	return s.getUser(ctx, "uuid", id)
}

// getUser reads one account by a unique column named by the callers'
// constants.
func (s *Store) getUser(ctx context.Context, col, val string) (model.User, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+userColumns+" FROM users WHERE "+col+" = ?", val)
	u, err := scanUser(row)
	if errors.Is(err, sql.ErrNoRows) {
		return u, store.ErrNotFound
	}
	return u, err
}

func scanUser(sc interface{ Scan(...any) error }) (u model.User, err error) {
	err = sc.Scan(&u.UUID, &u.Username, &u.PasswordHash, &u.Role, &u.MustChangePassword,
		(*dbTime)(&u.TokensValidFrom))
	return u, err
}

// CreateUser inserts u. A taken username or uuid is store.ErrConflict; an
// empty role means viewer. Values that do not fit their columns are
// rejected, not cut: they come from an operator, who should hear about it.
func (s *Store) CreateUser(ctx context.Context, u model.User) (err error) {
	defer wrap(&err, "CreateUser(%q)", u.Username)
	if u.Role == "" {
		u.Role = model.RoleViewer
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"uuid", u.UUID, maxUUID}, {"username", u.Username, maxName}, {"password hash", u.PasswordHash, maxName}, {"role", u.Role, maxRole}} {
		if f.v == "" || len(f.v) > f.max {
			return fmt.Errorf("%s must be 1 to %d bytes", f.name, f.max)
		}
	}
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, "INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		u.UUID, u.Username, u.PasswordHash, u.Role, u.MustChangePassword, s.nullTimeArg(u.TokensValidFrom))
	if s.d.isUniqueViolation(err) {
		return store.ErrConflict
	}
	return err
}

// UpdateUserPassword sets the hash and must-change flag and moves
// tokens_valid_from to validFrom. An unknown uuid is store.ErrNotFound.
func (s *Store) UpdateUserPassword(ctx context.Context, id, hash string, mustChange bool, validFrom time.Time) (err error) {
	defer wrap(&err, "UpdateUserPassword(%q)", id)
	if hash == "" || len(hash) > maxName {
		return fmt.Errorf("password hash must be 1 to %d bytes", maxName)
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx,
		"UPDATE users SET password_hash = ?, must_change_password = ?, tokens_valid_from = ? WHERE uuid = ?",
		hash, mustChange, s.nullTimeArg(validFrom), id)
	if err != nil {
		return err
	}
	// MySQL is opened with found-rows counting, so an unchanged row still
	// counts as matched and 0 means no such user on both engines.
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// ListUsers returns every account ordered by username.
func (s *Store) ListUsers(ctx context.Context) (out []model.User, err error) {
	defer wrap(&err, "ListUsers")
	rows, err := s.db.QueryContext(ctx, "SELECT "+userColumns+" FROM users ORDER BY username")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// RevokeToken denylists jti until expiresAt, first pruning entries whose
// token has expired anyway, in one transaction. Revoking a jti twice keeps
// the first entry and is not an error.
func (s *Store) RevokeToken(ctx context.Context, jti, userUUID string, expiresAt time.Time) (err error) {
	defer wrap(&err, "RevokeToken(%q)", jti)
	if jti == "" || len(jti) > maxJTI {
		return fmt.Errorf("jti must be 1 to %d bytes", maxJTI)
	}
	now := s.now()
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	if _, err = tx.ExecContext(ctx, "DELETE FROM revoked_tokens WHERE expires_at < ?", s.d.timeArg(now)); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, s.q.revokeInsert, jti, clip(userUUID, maxUUID), s.d.timeArg(expiresAt),
		s.d.timeArg(now)); err != nil {
		return err
	}
	return tx.Commit()
}

// IsTokenRevoked reports whether jti is on the denylist.
func (s *Store) IsTokenRevoked(ctx context.Context, jti string) (revoked bool, err error) {
	defer wrap(&err, "IsTokenRevoked(%q)", jti)
	var n int
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM revoked_tokens WHERE jti = ?", jti).Scan(&n)
	return n > 0, err
}

// DeleteUser removes one account, or returns store.ErrNotFound.
func (s *Store) DeleteUser(ctx context.Context, id string) (err error) {
	defer wrap(&err, "DeleteUser(%q)", id)
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE uuid = ?", id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}

// SetUserRole changes an account's role and moves tokens_valid_from to
// validFrom, so tokens issued under the old role die. A role other than
// admin or viewer is an error; an unknown uuid store.ErrNotFound.
func (s *Store) SetUserRole(ctx context.Context, id, role string, validFrom time.Time) (err error) {
	defer wrap(&err, "SetUserRole(%q)", id)
	if role != model.RoleAdmin && role != model.RoleViewer {
		return fmt.Errorf("role %q is neither admin nor viewer", role)
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "UPDATE users SET role = ?, tokens_valid_from = ? WHERE uuid = ?",
		role, s.nullTimeArg(validFrom), id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return store.ErrNotFound
	}
	return err
}
