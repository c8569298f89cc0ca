package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// priorBruteFailures is how many failures before the first success make a
// login "after brute force" (R0005).
const priorBruteFailures = 5

// maxSuccessPairs caps the successful logins an aggregate lists.
const maxSuccessPairs = 50

// AuthAggregate summarises ip's credential attempts from the credentials
// table. An address without credentials has Attempts 0.
func (s *Store) AuthAggregate(ctx context.Context, ip string) (out store.AuthAggregate, err error) {
	defer wrap(&err, "AuthAggregate(%q)", ip)
	var fails, attempts sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT SUM(attempt_count), SUM(CASE WHEN outcome = ? THEN 0 ELSE attempt_count END) "+
		"FROM credentials WHERE attacker_ip = ?", model.OutcomeSuccess, ip).Scan(&attempts, &fails); err != nil {
		return out, err
	}
	out.Attempts, out.FailCount, out.Result = attempts.Int64, fails.Int64, "failure"
	if out.Attempts == 0 {
		return out, nil
	}
	row := s.db.QueryRowContext(ctx, "SELECT principal_key, COUNT(DISTINCT secret_sha256) FROM credentials "+
		"WHERE attacker_ip = ? GROUP BY principal_key ORDER BY SUM(attempt_count) DESC, principal_key LIMIT 1", ip)
	if err := row.Scan(&out.Username, &out.PasswordCount); err != nil {
		return out, err
	}
	row = s.db.QueryRowContext(ctx, "SELECT secret_sha256, COUNT(DISTINCT principal_key) FROM credentials "+
		"WHERE attacker_ip = ? GROUP BY secret_sha256 ORDER BY COUNT(DISTINCT principal_key) DESC, secret_sha256 LIMIT 1", ip)
	if err := row.Scan(&out.SharedPasswordHash, &out.AccountCount); err != nil {
		return out, err
	}
	if err := s.db.QueryRowContext(ctx, "SELECT service FROM credentials WHERE attacker_ip = ? GROUP BY service "+
		"ORDER BY SUM(attempt_count) DESC, service LIMIT 1", ip).Scan(&out.Service); err != nil {
		return out, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT principal_key, COALESCE(secret_printable, ''), first_seen FROM credentials "+
		"WHERE attacker_ip = ? AND outcome = ? ORDER BY first_seen LIMIT ?", ip, model.OutcomeSuccess, maxSuccessPairs)
	if err != nil {
		return out, err
	}
	var firstSuccess dbTime
	for rows.Next() {
		var p store.LoginPair
		var seen dbTime
		if err := rows.Scan(&p.Username, &p.Password, &seen); err != nil {
			rows.Close()
			return out, err
		}
		if len(out.Successes) == 0 {
			firstSuccess = seen
		}
		out.Successes = append(out.Successes, p)
	}
	if err := rows.Close(); err != nil {
		return out, err
	}
	if len(out.Successes) == 0 {
		return out, nil
	}
	out.Result = "success"
	// Failures first seen before the first success: attempts of a
	// credential row all fall in its seen window, so a row counts when
	// its window started earlier.
	var before sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT SUM(attempt_count) FROM credentials WHERE attacker_ip = ? AND "+
		"(outcome IS NULL OR outcome <> ?) AND first_seen < ?", ip, model.OutcomeSuccess,
		s.d.timeArg(time.Time(firstSuccess))).Scan(&before); err != nil {
		return out, err
	}
	out.PriorBrute = before.Int64 >= priorBruteFailures
	return out, nil
}

// IdentitySpray finds the secret tried against the most distinct accounts
// by the attackers of an identity (and of identities merged into it).
func (s *Store) IdentitySpray(ctx context.Context, identityUUID string) (out store.IdentitySpray, err error) {
	defer wrap(&err, "IdentitySpray(%q)", identityUUID)
	err = s.db.QueryRowContext(ctx, "SELECT c.secret_sha256, COUNT(DISTINCT c.principal_key), COUNT(DISTINCT c.attacker_ip) "+
		"FROM credentials c JOIN attackers a ON a.ip = c.attacker_ip "+
		"WHERE a.identity_id = ? OR a.identity_id IN (SELECT uuid FROM attacker_identities WHERE merged_into_uuid = ?) "+
		"GROUP BY c.secret_sha256 ORDER BY COUNT(DISTINCT c.principal_key) DESC, c.secret_sha256 LIMIT 1",
		identityUUID, identityUUID).Scan(&out.SharedPasswordHash, &out.AccountCount, &out.AttackerCount)
	if errors.Is(err, sql.ErrNoRows) {
		return store.IdentitySpray{}, nil
	}
	return out, err
}

// commandTypesIn is the IN list of store.CommandEventTypes.
var commandTypesIn = "event_type IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(store.CommandEventTypes)), ", ") + ")"

func commandTypeArgs() []any {
	args := make([]any, len(store.CommandEventTypes))
	for i, t := range store.CommandEventTypes {
		args[i] = t
	}
	return args
}

// CountCommandLogs counts command-family logs rows at or after since.
func (s *Store) CountCommandLogs(ctx context.Context, since time.Time) (n int64, err error) {
	defer wrap(&err, "CountCommandLogs")
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM logs WHERE timestamp >= ? AND "+commandTypesIn,
		append([]any{s.d.timeArg(since)}, commandTypeArgs()...)...).Scan(&n)
	return n, err
}

// ListCommandLogs returns up to limit command-family logs rows at or after
// since with an id above afterID, in id order (keyset paging).
func (s *Store) ListCommandLogs(ctx context.Context, since time.Time, afterID int64, limit int) (_ []model.LogEntry, err error) {
	defer wrap(&err, "ListCommandLogs")
	args := append([]any{afterID, s.d.timeArg(since)}, commandTypeArgs()...)
	rows, err := s.db.QueryContext(ctx, "SELECT "+logColumns+" FROM logs WHERE id > ? AND timestamp >= ? AND "+
		commandTypesIn+" ORDER BY id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanLogs(rows, min(limit, 1024))
}
