package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/decnet/decnet/internal/store"
)

func stateUpsertSQL(d dialect) string {
	return "INSERT INTO state (`key`, value) VALUES (?, ?)" +
		d.onConflictUpdate("`key`") + "value = " + d.excluded("value")
}

// GetState returns the JSON stored under key, or store.ErrNotFound.
func (s *Store) GetState(ctx context.Context, key string) (v []byte, err error) {
	defer wrap(&err, "GetState(%q)", key)
	var text string
	err = s.db.QueryRowContext(ctx, "SELECT value FROM state WHERE `key` = ?", key).Scan(&text)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return []byte(text), nil
}

// SetState stores value under key, replacing any previous value.
func (s *Store) SetState(ctx context.Context, key string, value []byte) (err error) {
	defer wrap(&err, "SetState(%q)", key)
	if len(key) > maxName {
		return fmt.Errorf("key longer than %d bytes", maxName)
	}
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, s.q.stateUpsert, key, string(value))
	return err
}
