package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var _ store.WebhookRepository = (*Store)(nil)

// Sizes of webhook_subscriptions columns.
const (
	// maxWebhookName is in characters, as the API validates it.
	maxWebhookName   = 64
	maxWebhookSecret = 256
	// maxWebhookError is the cap on a stored delivery error; longer errors
	// are cut, not rejected.
	maxWebhookError = 1000
)

const webhookColumns = "uuid, name, url, secret, topic_patterns, enabled, consecutive_failures, last_success_at, " +
	"last_failure_at, last_error, auto_disabled_at, created_at, updated_at"

// encodeWebhook validates the columns an operator owns and returns name,
// url, secret and the encoded topic list. Values that do not fit are
// rejected, not cut.
func encodeWebhook(w model.WebhookSubscription) (topics string, err error) {
	if n := utf8.RuneCountInString(w.Name); n < 1 || n > maxWebhookName || !utf8.ValidString(w.Name) {
		return "", fmt.Errorf("webhook name must be 1 to %d characters of valid UTF-8", maxWebhookName)
	}
	if w.URL == "" || len(w.URL) > maxText {
		return "", fmt.Errorf("webhook url must be 1 to %d bytes", maxText)
	}
	if w.Secret == "" || len(w.Secret) > maxWebhookSecret {
		return "", fmt.Errorf("webhook secret must be 1 to %d bytes", maxWebhookSecret)
	}
	topics, err = jsonArg(nonNil(w.Topics))
	if err != nil {
		return "", err
	}
	if len(topics) > maxText {
		return "", fmt.Errorf("webhook topic list longer than %d bytes", maxText)
	}
	return topics, nil
}

// CreateWebhook inserts w stamped with the store's clock (an empty UUID
// gets a fresh one; the bookkeeping columns are stored as w carries them)
// and returns the stored row. A taken name is store.ErrConflict.
func (s *Store) CreateWebhook(ctx context.Context, w model.WebhookSubscription) (_ model.WebhookSubscription,
	err error) {
	defer wrap(&err, "CreateWebhook(%q)", w.Name)
	if w.UUID == "" {
		w.UUID = uuid.NewString()
	}
	if len(w.UUID) > maxUUID {
		return w, fmt.Errorf("webhook uuid longer than %d bytes", maxUUID)
	}
	topics, err := encodeWebhook(w)
	if err != nil {
		return w, err
	}
	now := s.d.timeArg(s.now())
	unlock := s.lockWrites()
	_, err = s.db.ExecContext(ctx, "INSERT INTO webhook_subscriptions ("+webhookColumns+") VALUES "+
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		w.UUID, w.Name, w.URL, w.Secret, topics, w.Enabled, w.ConsecutiveFailures, s.nullTimeArg(w.LastSuccessAt),
		s.nullTimeArg(w.LastFailureAt), nullString(clip(w.LastError, maxWebhookError)),
		s.nullTimeArg(w.AutoDisabledAt), now, now)
	unlock()
	if s.d.isUniqueViolation(err) {
		return w, webhookConflict(w)
	}
	if err != nil {
		return w, err
	}
	return s.GetWebhook(ctx, w.UUID)
}

// webhookConflict is the error for a unique violation by w: the primary
// key is the caller's or a fresh uuid, so it is the name.
func webhookConflict(w model.WebhookSubscription) error {
	return fmt.Errorf("webhook name %q is already used: %w", w.Name, store.ErrConflict)
}

// GetWebhook returns one subscription, or store.ErrNotFound.
func (s *Store) GetWebhook(ctx context.Context, id string) (w model.WebhookSubscription, err error) {
	defer wrap(&err, "GetWebhook(%q)", id)
	w, err = scanWebhook(s.db.QueryRowContext(ctx, "SELECT "+webhookColumns+" FROM webhook_subscriptions "+
		"WHERE uuid = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, store.ErrNotFound
	}
	return w, err
}

// ListWebhooks returns subscriptions ordered by name; enabledOnly keeps the
// enabled ones.
func (s *Store) ListWebhooks(ctx context.Context, enabledOnly bool) (out []model.WebhookSubscription, err error) {
	defer wrap(&err, "ListWebhooks(%t)", enabledOnly)
	q := "SELECT " + webhookColumns + " FROM webhook_subscriptions ORDER BY name"
	if enabledOnly {
		q = "SELECT " + webhookColumns + " FROM webhook_subscriptions WHERE enabled = ? ORDER BY name"
	}
	var args []any
	if enabledOnly {
		args = []any{true}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWebhook replaces name, url, secret, topics and enabled of w.UUID,
// stamps updated_at and returns the stored row. The bookkeeping columns
// belong to RecordWebhookResult and DisableWebhook, except that turning a
// disabled subscription back on clears its failure count, last error and
// auto_disabled_at, so the breaker starts over. Unknown is
// store.ErrNotFound; a taken name store.ErrConflict.
func (s *Store) UpdateWebhook(ctx context.Context, w model.WebhookSubscription) (_ model.WebhookSubscription,
	err error) {
	defer wrap(&err, "UpdateWebhook(%q)", w.UUID)
	topics, err := encodeWebhook(w)
	if err != nil {
		return w, err
	}
	// The re-enable CASEs come before enabled is assigned: MySQL evaluates
	// SET left to right over the updated row, SQLite over the old one.
	unlock := s.lockWrites()
	res, err := s.db.ExecContext(ctx, "UPDATE webhook_subscriptions SET "+
		"consecutive_failures = CASE WHEN ? AND NOT enabled THEN 0 ELSE consecutive_failures END, "+
		"last_error = CASE WHEN ? AND NOT enabled THEN NULL ELSE last_error END, "+
		"auto_disabled_at = CASE WHEN ? AND NOT enabled THEN NULL ELSE auto_disabled_at END, "+
		"name = ?, url = ?, secret = ?, topic_patterns = ?, enabled = ?, updated_at = ? WHERE uuid = ?",
		w.Enabled, w.Enabled, w.Enabled, w.Name, w.URL, w.Secret, topics, w.Enabled, s.d.timeArg(s.now()), w.UUID)
	unlock()
	if s.d.isUniqueViolation(err) {
		return w, webhookConflict(w)
	}
	if err := notFoundIfNone(res, err); err != nil {
		return w, err
	}
	return s.GetWebhook(ctx, w.UUID)
}

// DeleteWebhook removes one subscription, or returns store.ErrNotFound.
func (s *Store) DeleteWebhook(ctx context.Context, id string) (err error) {
	defer wrap(&err, "DeleteWebhook(%q)", id)
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "DELETE FROM webhook_subscriptions WHERE uuid = ?", id)
	return notFoundIfNone(res, err)
}

// RecordWebhookResult books one event's outcome and returns the new
// consecutive failure count, or store.ErrNotFound. A success zeroes the
// count, stamps last_success_at and clears last_error; a failure adds one,
// stamps last_failure_at and stores errMsg cut to 1000 bytes.
func (s *Store) RecordWebhookResult(ctx context.Context, id string, success bool, errMsg string) (n int, err error) {
	defer wrap(&err, "RecordWebhookResult(%q, %t)", id, success)
	now := s.d.timeArg(s.now())
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	var res sql.Result
	if success {
		res, err = tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET consecutive_failures = 0, "+
			"last_success_at = ?, last_error = NULL WHERE uuid = ?", now, id)
	} else {
		if errMsg == "" {
			errMsg = "delivery failed"
		}
		res, err = tx.ExecContext(ctx, "UPDATE webhook_subscriptions SET consecutive_failures = "+
			"consecutive_failures + 1, last_failure_at = ?, last_error = ? WHERE uuid = ?",
			now, clip(errMsg, maxWebhookError), id)
	}
	if err = notFoundIfNone(res, err); err != nil {
		return 0, err
	}
	if err = tx.QueryRowContext(ctx, "SELECT consecutive_failures FROM webhook_subscriptions WHERE uuid = ?",
		id).Scan(&n); err != nil {
		return 0, err
	}
	return n, tx.Commit()
}

// DisableWebhook sets enabled=false and stamps updated_at; auto (the
// circuit breaker) also stamps auto_disabled_at. Unknown is
// store.ErrNotFound.
func (s *Store) DisableWebhook(ctx context.Context, id string, auto bool) (err error) {
	defer wrap(&err, "DisableWebhook(%q, %t)", id, auto)
	now := s.d.timeArg(s.now())
	var autoAt any
	if auto {
		autoAt = now
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "UPDATE webhook_subscriptions SET enabled = ?, "+
		"auto_disabled_at = COALESCE(?, auto_disabled_at), updated_at = ? WHERE uuid = ?", false, autoAt, now, id)
	return notFoundIfNone(res, err)
}

// scanWebhook reads one row of webhookColumns; a stored empty topic list
// reads back as an empty, non-nil slice.
func scanWebhook(sc interface{ Scan(...any) error }) (w model.WebhookSubscription, err error) {
	var lastErr sql.NullString
	err = sc.Scan(&w.UUID, &w.Name, &w.URL, &w.Secret, jsonText{&w.Topics}, &w.Enabled, &w.ConsecutiveFailures,
		(*dbTime)(&w.LastSuccessAt), (*dbTime)(&w.LastFailureAt), &lastErr, (*dbTime)(&w.AutoDisabledAt),
		(*dbTime)(&w.CreatedAt), (*dbTime)(&w.UpdatedAt))
	if err != nil {
		return w, err
	}
	w.LastError = lastErr.String
	if w.Topics == nil {
		w.Topics = []string{}
	}
	return w, nil
}
