package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var _ store.FleetRepository = (*Store)(nil)

// Sizes of fleet_deckies columns beyond the shared ones (maxDecky for the
// name, maxUUID for the host, maxName for the hostname, maxIP).
const (
	maxDistro    = 64
	maxArchetype = 64
	maxNmapOS    = 32
	maxNetMode   = 16
	maxInterface = 64
	// maxLastError is the original's cap on a stored decky or lifecycle
	// error; longer errors are cut, not rejected.
	maxLastError = 2000
	// maxMediumText is MySQL's MEDIUMTEXT size, the type of service_config.
	maxMediumText = 1<<24 - 1
)

// deckyStates are the values the state column admits, in lifecycle order.
var deckyStates = []string{model.DeckyPending, model.DeckyRunning, model.DeckyDegraded, model.DeckyFailed,
	model.DeckyTornDown}

const fleetColumns = "host_uuid, name, hostname, distro, archetype, nmap_os, seed, ip, net_mode, interface, " +
	"services, service_config, mutate_interval, last_mutated, state, last_error, created_at, updated_at"

// checkDeckyState rejects a state outside deckyStates, naming the valid
// ones; the column's CHECK would only say a constraint failed.
func checkDeckyState(state string) error {
	for _, v := range deckyStates {
		if state == v {
			return nil
		}
	}
	return fmt.Errorf("unknown decky state %q (want pending, running, degraded, failed or torn_down)", state)
}

// deckyArgs are a decky's encoded persona and config columns, from hostname
// through last_mutated in fleetColumns order.
type deckyArgs [12]any

// encodeDecky validates d and encodes the columns it owns. Values that do
// not fit are rejected, not cut: deckies come from an operator's deployment,
// who should hear about it.
func (s *Store) encodeDecky(d model.Decky) (a deckyArgs, err error) {
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{
		{"host uuid", d.HostUUID, maxUUID, true}, {"name", d.Name, maxDecky, true}, {"ip", d.IP, maxIP, true},
		{"hostname", d.Hostname, maxName, false}, {"distro", d.Distro, maxDistro, false},
		{"archetype", d.Archetype, maxArchetype, false}, {"nmap os", d.NmapOS, maxNmapOS, false},
		{"net mode", d.NetMode, maxNetMode, false}, {"interface", d.Interface, maxInterface, false},
	} {
		if (f.required && f.v == "") || len(f.v) > f.max {
			if f.required {
				return a, fmt.Errorf("decky %s must be 1 to %d bytes", f.name, f.max)
			}
			return a, fmt.Errorf("decky %s longer than %d bytes", f.name, f.max)
		}
	}
	if d.MutateInterval < model.MutateIntervalGlobal {
		return a, fmt.Errorf("negative mutate interval %d", d.MutateInterval)
	}
	services, err := jsonArg(nonNil(d.Services))
	if err != nil {
		return a, err
	}
	if len(services) > maxText {
		return a, fmt.Errorf("service list longer than %d bytes", maxText)
	}
	// A nil config is NULL, so it reads back nil rather than empty.
	var config any
	if d.ServiceConfig != nil {
		text, err := jsonArg(d.ServiceConfig)
		if err != nil {
			return a, err
		}
		if len(text) > maxMediumText {
			return a, fmt.Errorf("service config longer than %d bytes", maxMediumText)
		}
		config = text
	}
	return deckyArgs{d.Hostname, d.Distro, nullString(d.Archetype), d.NmapOS, strconv.FormatUint(d.Seed, 10), d.IP,
		d.NetMode, nullString(d.Interface), services, config, d.MutateInterval, s.nullTimeArg(d.LastMutated)}, nil
}

// CreateDeckies inserts ds in one transaction. An empty state means
// pending; created_at and updated_at are the store's clock, whatever ds
// carries. A name or address already used on that host, by a stored decky
// or an earlier one of ds, is store.ErrConflict naming it, and nothing is
// inserted.
func (s *Store) CreateDeckies(ctx context.Context, ds []model.Decky) (err error) {
	defer wrap(&err, "CreateDeckies(%d deckies)", len(ds))
	if len(ds) == 0 {
		return nil
	}
	rows := make([][]any, len(ds))
	for i, d := range ds {
		if d.State == "" {
			d.State = model.DeckyPending
		}
		if err := checkDeckyState(d.State); err != nil {
			return fmt.Errorf("decky %q: %w", d.Name, err)
		}
		a, err := s.encodeDecky(d)
		if err != nil {
			return fmt.Errorf("decky %q: %w", d.Name, err)
		}
		rows[i] = append(append([]any{d.HostUUID, d.Name}, a[:]...), d.State,
			nullString(clip(d.LastError, maxLastError)))
	}
	now := s.d.timeArg(s.now())
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
	st, err := tx.PrepareContext(ctx, "INSERT INTO fleet_deckies ("+fleetColumns+") VALUES "+
		"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	defer st.Close()
	for i, row := range rows {
		_, err = st.ExecContext(ctx, append(row, now, now)...)
		if s.d.isUniqueViolation(err) {
			return deckyConflict(ctx, tx, ds[i])
		}
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// deckyConflict explains a unique violation by d: its name or its address
// is taken on its host. It reads on tx, which still sees the rows the
// violation collided with, and returns an error matching
// store.ErrConflict either way.
func deckyConflict(ctx context.Context, tx *sql.Tx, d model.Decky) error {
	var name string
	err := tx.QueryRowContext(ctx, "SELECT name FROM fleet_deckies WHERE host_uuid = ? AND name = ?",
		d.HostUUID, d.Name).Scan(&name)
	if err == nil {
		return fmt.Errorf("decky %q already exists on host %q: %w", d.Name, d.HostUUID, store.ErrConflict)
	}
	err = tx.QueryRowContext(ctx, "SELECT name FROM fleet_deckies WHERE host_uuid = ? AND ip = ?",
		d.HostUUID, d.IP).Scan(&name)
	if err == nil {
		return fmt.Errorf("address %s of decky %q is already used by decky %q on host %q: %w", d.IP, d.Name, name,
			d.HostUUID, store.ErrConflict)
	}
	return fmt.Errorf("decky %q or its address %s is already used on host %q: %w", d.Name, d.IP, d.HostUUID,
		store.ErrConflict)
}

// UpdateDecky replaces the persona, address, services and config of the
// decky d.HostUUID/d.Name and stamps updated_at. State, last error,
// created_at and last_seen are left alone: they belong to CreateDeckies and
// SetDeckyState, so a mutation cannot undo a concurrent state change. An
// unknown decky is store.ErrNotFound; an address another decky of the host
// uses is store.ErrConflict.
func (s *Store) UpdateDecky(ctx context.Context, d model.Decky) (err error) {
	defer wrap(&err, "UpdateDecky(%q, %q)", d.HostUUID, d.Name)
	a, err := s.encodeDecky(d)
	if err != nil {
		return err
	}
	args := append(a[:], s.d.timeArg(s.now()), d.HostUUID, d.Name)
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "UPDATE fleet_deckies SET hostname = ?, distro = ?, archetype = ?, "+
		"nmap_os = ?, seed = ?, ip = ?, net_mode = ?, interface = ?, services = ?, service_config = ?, "+
		"mutate_interval = ?, last_mutated = ?, updated_at = ? WHERE host_uuid = ? AND name = ?", args...)
	if s.d.isUniqueViolation(err) {
		var other string
		if err := s.db.QueryRowContext(ctx, "SELECT name FROM fleet_deckies WHERE host_uuid = ? AND ip = ?",
			d.HostUUID, d.IP).Scan(&other); err == nil {
			return fmt.Errorf("address %s is already used by decky %q: %w", d.IP, other, store.ErrConflict)
		}
		return fmt.Errorf("address %s is already used: %w", d.IP, store.ErrConflict)
	}
	return notFoundIfNone(res, err)
}

// notFoundIfNone turns an UPDATE or DELETE that matched no row into
// store.ErrNotFound. MySQL is opened with found-rows counting, so an
// unchanged row still counts as matched on both engines.
func notFoundIfNone(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// SetDeckyState records state and lastErr (cut to 2000 bytes; "" clears
// it) and stamps updated_at and last_seen. A state outside the model's five
// is an error naming the valid ones; an unknown decky is store.ErrNotFound.
func (s *Store) SetDeckyState(ctx context.Context, hostUUID, name, state, lastErr string) (err error) {
	defer wrap(&err, "SetDeckyState(%q, %q, %q)", hostUUID, name, state)
	if err := checkDeckyState(state); err != nil {
		return err
	}
	now := s.d.timeArg(s.now())
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "UPDATE fleet_deckies SET state = ?, last_error = ?, updated_at = ?, "+
		"last_seen = ? WHERE host_uuid = ? AND name = ?",
		state, nullString(clip(lastErr, maxLastError)), now, now, hostUUID, name)
	return notFoundIfNone(res, err)
}

// GetDecky returns the decky name of host hostUUID, or store.ErrNotFound.
func (s *Store) GetDecky(ctx context.Context, hostUUID, name string) (d model.Decky, err error) {
	defer wrap(&err, "GetDecky(%q, %q)", hostUUID, name)
	d, err = scanDecky(s.db.QueryRowContext(ctx, "SELECT "+fleetColumns+" FROM fleet_deckies "+
		"WHERE host_uuid = ? AND name = ?", hostUUID, name))
	if errors.Is(err, sql.ErrNoRows) {
		return d, store.ErrNotFound
	}
	return d, err
}

// ListDeckies returns the deckies of host hostUUID ordered by name, or with
// hostUUID "" every host's, ordered by name then host.
func (s *Store) ListDeckies(ctx context.Context, hostUUID string) (out []model.Decky, err error) {
	defer wrap(&err, "ListDeckies(%q)", hostUUID)
	q, args := "SELECT "+fleetColumns+" FROM fleet_deckies ORDER BY name, host_uuid", []any(nil)
	if hostUUID != "" {
		q, args = "SELECT "+fleetColumns+" FROM fleet_deckies WHERE host_uuid = ? ORDER BY name", []any{hostUUID}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDecky(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeleteDecky removes the decky name of host hostUUID, or returns
// store.ErrNotFound.
func (s *Store) DeleteDecky(ctx context.Context, hostUUID, name string) (err error) {
	defer wrap(&err, "DeleteDecky(%q, %q)", hostUUID, name)
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, "DELETE FROM fleet_deckies WHERE host_uuid = ? AND name = ?", hostUUID, name)
	return notFoundIfNone(res, err)
}

// scanDecky reads one row of fleetColumns. A stored empty service list
// reads back as an empty, non-nil slice; a NULL config as a nil map.
func scanDecky(sc interface{ Scan(...any) error }) (d model.Decky, err error) {
	var archetype, iface, lastErr sql.NullString
	var seed string
	err = sc.Scan(&d.HostUUID, &d.Name, &d.Hostname, &d.Distro, &archetype, &d.NmapOS, &seed, &d.IP, &d.NetMode,
		&iface, jsonText{&d.Services}, jsonText{&d.ServiceConfig}, &d.MutateInterval, (*dbTime)(&d.LastMutated),
		&d.State, &lastErr, (*dbTime)(&d.CreatedAt), (*dbTime)(&d.UpdatedAt))
	if err != nil {
		return d, err
	}
	if d.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
		return d, fmt.Errorf("sqlstore: bad stored seed %q of decky %q: %w", seed, d.Name, err)
	}
	d.Archetype, d.Interface, d.LastError = archetype.String, iface.String, lastErr.String
	if d.Services == nil {
		d.Services = []string{}
	}
	return d, nil
}
