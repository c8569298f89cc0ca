package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/store"
)

// Bounds of the profiler's writes.
const (
	// maxProfileState caps one address's state document; the profiler
	// bounds its aggregates well below this, so a larger one is a bug.
	maxProfileState = 8 << 20
	// profileLoadChunk bounds the addresses of one IN list.
	profileLoadChunk = 500
	// maxProfileAttempts bounds re-runs of a flush that lost a deadlock.
	maxProfileAttempts = 5
)

func profileStateUpsertSQL(d dialect) string {
	return "INSERT INTO profiler_state (ip, state, last_seq, updated_at) VALUES (?, ?, ?, ?)" +
		d.onConflictUpdate("ip") + "state = " + d.excluded("state") + ", last_seq = " + d.excluded("last_seq") +
		", updated_at = " + d.excluded("updated_at")
}

// LoadProfileStates returns the stored profiler state of each of ips that
// has one.
func (s *Store) LoadProfileStates(ctx context.Context, ips []string) (out map[string]store.ProfileState, err error) {
	defer wrap(&err, "LoadProfileStates(%d addresses)", len(ips))
	out = make(map[string]store.ProfileState, len(ips))
	for start := 0; start < len(ips); start += profileLoadChunk {
		chunk := ips[start:min(start+profileLoadChunk, len(ips))]
		args := make([]any, len(chunk))
		for i, ip := range chunk {
			args[i] = ip
		}
		rows, err := s.db.QueryContext(ctx, "SELECT ip, state, last_seq FROM profiler_state WHERE ip IN ("+
			strings.Repeat("?, ", len(chunk)-1)+"?)", args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var ip, state string
			var seq uint64
			if err := rows.Scan(&ip, &state, &seq); err != nil {
				rows.Close()
				return nil, err
			}
			out[ip] = store.ProfileState{State: []byte(state), LastSeq: seq}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SaveProfiles writes a profiler flush in one transaction: per address the
// attackers row with its bounty and credential counts, the behaviour row,
// the state, and the uuid backfill of its credentials. A lost deadlock re-
// runs the whole flush.
func (s *Store) SaveProfiles(ctx context.Context, ws []store.ProfileWrite) (out []store.ProfileSaved, err error) {
	defer wrap(&err, "SaveProfiles(%d addresses)", len(ws))
	for i := range ws {
		if len(ws[i].State.State) > maxProfileState {
			return nil, fmt.Errorf("profiler state of %s is %d bytes, over the %d-byte cap",
				ws[i].Attacker.IP, len(ws[i].State.State), maxProfileState)
		}
	}
	for attempt := 1; ; attempt++ {
		out, err = s.saveProfilesOnce(ctx, ws)
		if err == nil || attempt == maxProfileAttempts || ctx.Err() != nil || !s.d.retryable(err) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(8)) * time.Millisecond):
		}
	}
}

func (s *Store) saveProfilesOnce(ctx context.Context, ws []store.ProfileWrite) (out []store.ProfileSaved, err error) {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	now := s.now()
	out = make([]store.ProfileSaved, 0, len(ws))
	for _, w := range ws {
		a := w.Attacker
		saved := store.ProfileSaved{IP: a.IP}
		err := tx.QueryRowContext(ctx, "SELECT uuid FROM attackers WHERE ip = ?", a.IP).Scan(&saved.UUID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			saved.UUID, saved.Created = uuid.NewString(), true
		case err != nil:
			return nil, err
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM bounty WHERE attacker_ip = ?", a.IP).
			Scan(&saved.BountyCount); err != nil {
			return nil, err
		}
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM credentials WHERE attacker_ip = ?", a.IP).
			Scan(&saved.CredentialCount); err != nil {
			return nil, err
		}
		a.BountyCount, a.CredentialCount = saved.BountyCount, saved.CredentialCount
		if a.UpdatedAt.IsZero() {
			a.UpdatedAt = now
		}
		args, err := s.attackerArgs(saved.UUID, a)
		if err != nil {
			return nil, fmt.Errorf("attacker %s: %w", a.IP, err)
		}
		if _, err := tx.ExecContext(ctx, s.q.attackerUpsert, args...); err != nil {
			return nil, err
		}
		b := w.Behavior
		b.AttackerUUID = saved.UUID
		if b.UpdatedAt.IsZero() {
			b.UpdatedAt = now
		}
		if args, err = s.behaviorArgs(b); err != nil {
			return nil, fmt.Errorf("behaviour of %s: %w", a.IP, err)
		}
		if _, err := tx.ExecContext(ctx, s.q.behaviorUpsert, args...); err != nil {
			return nil, err
		}
		state := w.State.State
		if len(state) == 0 {
			state = []byte("{}")
		}
		if _, err := tx.ExecContext(ctx, s.q.profileStateUpsert, a.IP, string(state), w.State.LastSeq,
			s.d.timeArg(now)); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE credentials SET attacker_uuid = ? WHERE attacker_ip = ? "+
			"AND attacker_uuid IS NULL", saved.UUID, a.IP); err != nil {
			return nil, err
		}
		out = append(out, saved)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}
