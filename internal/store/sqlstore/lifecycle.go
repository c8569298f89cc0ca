package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var _ store.LifecycleRepository = (*Store)(nil)

const lifecycleColumns = "id, decky_name, host_uuid, operation, status, error, started_at, updated_at, completed_at"

// maxLifecycleIDs bounds one GetLifecycles call; the API asks for at most
// 200, and a bound keeps the IN list within every engine's parameter limit.
const maxLifecycleIDs = 1000

// checkLifecycle rejects an operation or status outside the model's
// constants, naming the valid ones; the column CHECKs would only say a
// constraint failed (and older MySQL servers ignore them).
func checkLifecycle(op, status string) error {
	switch op {
	case "", model.LifecycleDeploy, model.LifecycleMutate, model.LifecycleTeardown, model.LifecycleService:
	default:
		return fmt.Errorf("unknown lifecycle operation %q (want deploy, mutate, teardown or service)", op)
	}
	switch status {
	case "", model.LifecyclePending, model.LifecycleRunning, model.LifecycleSucceeded, model.LifecycleFailed:
	default:
		return fmt.Errorf("unknown lifecycle status %q (want pending, running, succeeded or failed)", status)
	}
	return nil
}

// CreateLifecycle inserts l as pending with started_at and updated_at from
// the store's clock; an empty ID gets a fresh UUID. It returns the stored
// row.
func (s *Store) CreateLifecycle(ctx context.Context, l model.Lifecycle) (_ model.Lifecycle, err error) {
	defer wrap(&err, "CreateLifecycle(%q, %q)", l.DeckyName, l.Operation)
	if l.ID == "" {
		l.ID = uuid.NewString()
	}
	if l.Operation == "" {
		return l, errors.New("lifecycle operation is required")
	}
	if err := checkLifecycle(l.Operation, ""); err != nil {
		return l, err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"id", l.ID, maxUUID}, {"decky name", l.DeckyName, maxDecky}, {"host uuid", l.HostUUID, maxUUID}} {
		if f.v == "" || len(f.v) > f.max {
			return l, fmt.Errorf("lifecycle %s must be 1 to %d bytes", f.name, f.max)
		}
	}
	now := s.now().UTC()
	unlock := s.lockWrites()
	_, err = s.db.ExecContext(ctx, "INSERT INTO decky_lifecycle ("+lifecycleColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		l.ID, l.DeckyName, l.HostUUID, l.Operation, model.LifecyclePending, nil, s.d.timeArg(now), s.d.timeArg(now), nil)
	unlock()
	if s.d.isUniqueViolation(err) {
		return l, fmt.Errorf("lifecycle id %q is already used: %w", l.ID, store.ErrConflict)
	}
	if err != nil {
		return l, err
	}
	return s.getLifecycle(ctx, l.ID)
}

func (s *Store) getLifecycle(ctx context.Context, id string) (model.Lifecycle, error) {
	l, err := scanLifecycle(s.db.QueryRowContext(ctx, "SELECT "+lifecycleColumns+" FROM decky_lifecycle WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, store.ErrNotFound
	}
	return l, err
}

// GetLifecycles returns the rows with ids, in the order asked and each
// once; unknown ids are left out.
func (s *Store) GetLifecycles(ctx context.Context, ids []string) (out []model.Lifecycle, err error) {
	defer wrap(&err, "GetLifecycles(%d ids)", len(ids))
	seen := make(map[string]bool, len(ids))
	uniq := make([]any, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return []model.Lifecycle{}, nil
	}
	if len(uniq) > maxLifecycleIDs {
		return nil, fmt.Errorf("more than %d lifecycle ids", maxLifecycleIDs)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+lifecycleColumns+" FROM decky_lifecycle WHERE id IN (?"+
		strings.Repeat(", ?", len(uniq)-1)+")", uniq...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := make(map[string]model.Lifecycle, len(uniq))
	for rows.Next() {
		l, err := scanLifecycle(rows)
		if err != nil {
			return nil, err
		}
		byID[l.ID] = l
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out = make([]model.Lifecycle, 0, len(byID))
	for _, id := range uniq {
		if l, ok := byID[id.(string)]; ok {
			out = append(out, l)
		}
	}
	return out, nil
}

// MarkLifecycle moves row id to status with errText and returns it. The
// UPDATE only matches a row that is not terminal, so two writers racing to
// finish a row cannot overwrite each other's outcome: the loser gets
// store.ErrConflict.
func (s *Store) MarkLifecycle(ctx context.Context, id, status, errText string) (_ model.Lifecycle, err error) {
	defer wrap(&err, "MarkLifecycle(%q, %q)", id, status)
	if status == "" || status == model.LifecyclePending {
		return model.Lifecycle{}, fmt.Errorf("a lifecycle row cannot be marked %q", status)
	}
	if err := checkLifecycle("", status); err != nil {
		return model.Lifecycle{}, err
	}
	now := s.d.timeArg(s.now())
	var completed any
	if status == model.LifecycleSucceeded || status == model.LifecycleFailed {
		completed = now
	}
	unlock := s.lockWrites()
	res, err := s.db.ExecContext(ctx, "UPDATE decky_lifecycle SET status = ?, error = ?, updated_at = ?, "+
		"completed_at = ? WHERE id = ? AND status IN (?, ?)",
		status, nullString(clip(errText, maxLastError)), now, completed, id,
		model.LifecyclePending, model.LifecycleRunning)
	unlock()
	if err != nil {
		return model.Lifecycle{}, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return model.Lifecycle{}, err
	} else if n == 0 {
		l, err := s.getLifecycle(ctx, id)
		if err != nil {
			return l, err
		}
		return l, fmt.Errorf("lifecycle %s is already %s: %w", id, l.Status, store.ErrConflict)
	}
	return s.getLifecycle(ctx, id)
}

// OpenLifecycles returns the pending and running rows of host hostUUID,
// oldest first.
func (s *Store) OpenLifecycles(ctx context.Context, hostUUID string) (out []model.Lifecycle, err error) {
	defer wrap(&err, "OpenLifecycles(%q)", hostUUID)
	rows, err := s.db.QueryContext(ctx, "SELECT "+lifecycleColumns+" FROM decky_lifecycle "+
		"WHERE host_uuid = ? AND status IN (?, ?) ORDER BY started_at, id",
		hostUUID, model.LifecyclePending, model.LifecycleRunning)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLifecycle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// scanLifecycle reads one row of lifecycleColumns.
func scanLifecycle(sc interface{ Scan(...any) error }) (l model.Lifecycle, err error) {
	var errText sql.NullString
	err = sc.Scan(&l.ID, &l.DeckyName, &l.HostUUID, &l.Operation, &l.Status, &errText, (*dbTime)(&l.StartedAt),
		(*dbTime)(&l.UpdatedAt), (*dbTime)(&l.CompletedAt))
	l.Error = errText.String
	return l, err
}
