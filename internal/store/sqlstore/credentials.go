package sqlstore

import (
	"context"
	"database/sql"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

const (
	credentialInsertHead = "INSERT INTO credentials (attacker_ip, attacker_uuid, decky_name, service, principal, " +
		"principal_key, secret_kind, secret_sha256, secret_b64, secret_printable, outcome, fields, " +
		"first_seen, last_seen, attempt_count) VALUES "
	credentialInsertCols = 15
	// Positions in a credential insert row that aggregation updates.
	credArgOutcome, credArgFirstSeen, credArgLastSeen, credArgAttempts = 10, 12, 13, 14

	// credentialDedupCols is the unique key uq_credentials_dedup.
	credentialDedupCols = "attacker_ip, decky_name, service, secret_kind, secret_sha256, principal_key"

	credentialColumns = "id, attacker_ip, attacker_uuid, decky_name, service, principal, principal_key, " +
		"secret_kind, secret_sha256, secret_b64, secret_printable, outcome, fields, first_seen, last_seen, " +
		"attempt_count"
)

// credentialBumpSet is the update applied when an attempt hits an existing
// dedup key: count it, widen the seen window (events can arrive out of
// order), keep the newest known outcome, and keep an attacker uuid once set.
func credentialBumpSet(d dialect) string {
	return "attempt_count = attempt_count + " + d.excluded("attempt_count") + ", " +
		"first_seen = " + d.least("first_seen", d.excluded("first_seen")) + ", " +
		"last_seen = " + d.greatest("last_seen", d.excluded("last_seen")) + ", " +
		"outcome = COALESCE(" + d.excluded("outcome") + ", outcome), " +
		"attacker_uuid = COALESCE(attacker_uuid, " + d.excluded("attacker_uuid") + ")"
}

// ListCredentials returns credential rows matching q, most recently seen
// first, and the number of rows matching q without paging.
func (s *Store) ListCredentials(ctx context.Context, q store.CredentialQuery) (out []model.Credential, total int64, err error) {
	defer wrap(&err, "ListCredentials")
	return s.listCredentials(ctx, credentialWhere(q), q.Limit, q.Offset)
}

// SearchCredentials is ListCredentials with a literal, case-insensitive
// substring search over decky_name, service, principal and
// secret_printable.
func (s *Store) SearchCredentials(ctx context.Context, q store.CredentialSearch) (out []model.Credential, total int64, err error) {
	defer wrap(&err, "SearchCredentials")
	w := credentialWhere(q.CredentialQuery)
	w.addContains(q.Search, "decky_name", "service", "principal", "secret_printable")
	return s.listCredentials(ctx, w, q.Limit, q.Offset)
}

// ListAttackerCredentials returns the credential rows of one attacker,
// matched by attacker_uuid or by ip since the profiler backfills the uuid
// after ingest wrote the row, most recently seen first, and their number.
func (s *Store) ListAttackerCredentials(ctx context.Context, attackerUUID, ip string, limit, offset int) (out []model.Credential, total int64, err error) {
	defer wrap(&err, "ListAttackerCredentials(%q)", attackerUUID)
	var w where
	w.addArgs("(attacker_uuid = ? OR attacker_ip = ?)", attackerUUID, ip)
	return s.listCredentials(ctx, w, limit, offset)
}

// credentialWhere holds the exact-match filters of q.
func credentialWhere(q store.CredentialQuery) where {
	var w where
	if q.AttackerIP != "" {
		w.add("attacker_ip = ?", q.AttackerIP)
	}
	if q.Service != "" {
		w.add("service = ?", q.Service)
	}
	return w
}

// listCredentials returns a page of the rows matching w, most recently seen
// first, and the number matching.
func (s *Store) listCredentials(ctx context.Context, w where, limit, offset int) ([]model.Credential, int64, error) {
	var total int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM credentials"+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+credentialColumns+" FROM credentials"+w.sql()+" ORDER BY last_seen DESC, id DESC LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]model.Credential, 0, min(limit, 64))
	for rows.Next() {
		var c model.Credential
		var uuid, principal, b64, printable, outcome sql.NullString
		if err := rows.Scan(&c.ID, &c.AttackerIP, &uuid, &c.DeckyName, &c.Service, &principal, &c.PrincipalKey,
			&c.SecretKind, &c.SecretSHA256, &b64, &printable, &outcome, jsonText{&c.Fields},
			(*dbTime)(&c.FirstSeen), (*dbTime)(&c.LastSeen), &c.AttemptCount); err != nil {
			return nil, 0, err
		}
		c.AttackerUUID, c.Principal, c.SecretB64 = uuid.String, principal.String, b64.String
		c.SecretPrintable, c.Outcome = printable.String, outcome.String
		if c.Fields == nil {
			c.Fields = map[string]string{}
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}
