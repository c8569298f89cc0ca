package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

var _ store.CredentialReuseRepository = (*Store)(nil)

// maxReuseAttempts bounds re-runs of an upsert that lost a race.
const maxReuseAttempts = 8

// errReuseRaced is an update that lost to a concurrent writer of the row.
var errReuseRaced = errors.New("credential_reuse row changed concurrently")

const (
	reuseColumns = "id, secret_sha256, secret_kind, principal, principal_key, targets, deckies, services, " +
		"attacker_ips, attacker_uuids, last_attacker_ip, target_count, attempt_count, confidence, first_seen, " +
		"last_seen, updated_at"

	// reuseGroupKey joins credentials c to a derived table of group keys.
	reuseGroupKey = "c.secret_sha256 = g.secret_sha256 AND c.secret_kind = g.secret_kind AND " +
		"c.principal_key = g.principal_key"

	// reuseCandidates selects the credential rows of every group with at
	// least ? distinct decky:service pairs. The pairs are counted by
	// grouping twice, which both engines run the same way (SQLite has no
	// multi-column COUNT(DISTINCT), and '||' is OR on MySQL). %s is the
	// source of the pairs: the whole table, or the rows of touched groups.
	reuseCandidates = "SELECT c.secret_sha256, c.secret_kind, c.principal_key, c.principal, c.decky_name, " +
		"c.service, c.attacker_ip, c.attacker_uuid, c.attempt_count, c.first_seen, c.last_seen " +
		"FROM credentials c JOIN (" +
		"SELECT secret_sha256, secret_kind, principal_key FROM (" +
		"SELECT c.secret_sha256, c.secret_kind, c.principal_key FROM %s " +
		"GROUP BY c.secret_sha256, c.secret_kind, c.principal_key, c.decky_name, c.service" +
		") p GROUP BY secret_sha256, secret_kind, principal_key HAVING COUNT(*) >= ?" +
		") g ON " + reuseGroupKey

	// reuseTouched is the pair source for FindReuse with a since: the rows of
	// groups with a credential last seen at or after ? (found through
	// ix_credentials_last_seen, then joined back through the secret index).
	reuseTouched = "credentials c JOIN (SELECT DISTINCT secret_sha256, secret_kind, principal_key " +
		"FROM credentials WHERE last_seen >= ?) g ON " + reuseGroupKey
)

// FindReuse computes from credentials every group (secret_sha256,
// secret_kind, principal_key) with at least minTargets distinct decky:service
// targets; a non-zero since keeps only groups with a credential last seen at
// or after it. Groups are complete either way, sorted by key.
func (s *Store) FindReuse(ctx context.Context, minTargets int, since time.Time) (out []model.CredentialReuse, err error) {
	defer wrap(&err, "FindReuse(%d, %s)", minTargets, since.Format(time.RFC3339))
	minTargets = max(minTargets, 1)
	var (
		query string
		args  []any
	)
	if since.IsZero() {
		query = fmt.Sprintf(reuseCandidates, "credentials c")
		args = []any{minTargets}
	} else {
		query = fmt.Sprintf(reuseCandidates, reuseTouched)
		args = []any{s.d.timeArg(since), minTargets}
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	type group struct {
		r                   *model.CredentialReuse
		targets, ips, uuids map[string]struct{}
		deckies, services   map[string]struct{}
		lastIP              string
		lastSeen, firstSeen time.Time
		haveSeen            bool
	}
	type key struct{ sha, kind, pkey string }
	groups := map[key]*group{}
	var order []key
	for rows.Next() {
		var (
			k                  key
			principal, auuid   sql.NullString
			decky, service, ip string
			attempts           int64
			first, last        time.Time
		)
		if err := rows.Scan(&k.sha, &k.kind, &k.pkey, &principal, &decky, &service, &ip, &auuid, &attempts,
			(*dbTime)(&first), (*dbTime)(&last)); err != nil {
			return nil, err
		}
		g := groups[k]
		if g == nil {
			g = &group{
				r:       &model.CredentialReuse{SecretSHA256: k.sha, SecretKind: k.kind, PrincipalKey: k.pkey},
				targets: map[string]struct{}{}, ips: map[string]struct{}{}, uuids: map[string]struct{}{},
				deckies: map[string]struct{}{}, services: map[string]struct{}{},
			}
			groups[k] = g
			order = append(order, k)
		}
		if g.r.Principal == "" && principal.Valid {
			g.r.Principal = principal.String
		}
		g.targets[decky+":"+service] = struct{}{}
		g.deckies[decky] = struct{}{}
		g.services[service] = struct{}{}
		g.ips[ip] = struct{}{}
		if auuid.Valid && auuid.String != "" {
			g.uuids[auuid.String] = struct{}{}
		}
		g.r.AttemptCount += attempts
		// The anchor is the attacker of the most recent credential; ties
		// go to the smaller address so the choice does not depend on row
		// order.
		if !g.haveSeen || last.After(g.lastSeen) || (last.Equal(g.lastSeen) && ip < g.lastIP) {
			g.lastSeen, g.lastIP = last, ip
		}
		if !g.haveSeen || first.Before(g.firstSeen) {
			g.firstSeen = first
		}
		g.haveSeen = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(order, func(a, b key) int {
		return cmpStrings(a.sha, b.sha, a.kind, b.kind, a.pkey, b.pkey)
	})
	out = make([]model.CredentialReuse, 0, len(order))
	for _, k := range order {
		g := groups[k]
		r := g.r
		r.Targets, r.Deckies, r.Services = sortedKeys(g.targets), sortedKeys(g.deckies), sortedKeys(g.services)
		r.AttackerIPs, r.AttackerUUIDs = sortedKeys(g.ips), sortedKeys(g.uuids)
		r.TargetCount = len(r.Targets)
		r.LastAttackerIP, r.FirstSeen, r.LastSeen = g.lastIP, g.firstSeen, g.lastSeen
		out = append(out, *r)
	}
	return out, nil
}

// cmpStrings compares pairs (a0, b0), (a1, b1)… in order.
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sortedUnique returns v sorted without duplicates or empty strings, never
// nil, leaving v alone.
func sortedUnique(v []string) []string {
	out := make([]string, 0, len(v))
	for _, s := range v {
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// reuseRow is a credential_reuse row's encoded list columns.
type reuseRow struct {
	targets, deckies, services, ips, uuids string
}

// normalizeReuse validates r and puts it in its stored form: sorted unique
// lists, target_count their length, times in UTC to the microsecond.
func normalizeReuse(r model.CredentialReuse) (model.CredentialReuse, reuseRow, error) {
	var enc reuseRow
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{
		{"secret sha256", r.SecretSHA256, maxSHA256, true}, {"secret kind", r.SecretKind, maxSecretKind, true},
		{"principal", r.Principal, maxPrincipal, false}, {"principal key", r.PrincipalKey, maxPrincipal, false},
		{"last attacker ip", r.LastAttackerIP, maxIP, false}, {"id", r.ID, maxUUID, false},
	} {
		if f.required && f.v == "" {
			return r, enc, fmt.Errorf("empty reuse %s", f.name)
		}
		if len(f.v) > f.max {
			return r, enc, fmt.Errorf("reuse %s longer than %d bytes", f.name, f.max)
		}
	}
	if r.Principal == "" {
		r.Principal = r.PrincipalKey
	}
	r.Targets, r.Deckies, r.Services = sortedUnique(r.Targets), sortedUnique(r.Deckies), sortedUnique(r.Services)
	r.AttackerIPs, r.AttackerUUIDs = sortedUnique(r.AttackerIPs), sortedUnique(r.AttackerUUIDs)
	r.TargetCount = len(r.Targets)
	if r.Confidence == 0 {
		r.Confidence = 1
	}
	r.FirstSeen = r.FirstSeen.UTC().Truncate(time.Microsecond)
	r.LastSeen = r.LastSeen.UTC().Truncate(time.Microsecond)
	for _, l := range []struct {
		dst *string
		v   []string
	}{{&enc.targets, r.Targets}, {&enc.deckies, r.Deckies}, {&enc.services, r.Services},
		{&enc.ips, r.AttackerIPs}, {&enc.uuids, r.AttackerUUIDs}} {
		text, err := jsonArg(l.v)
		if err != nil {
			return r, enc, err
		}
		if len(text) > maxMediumText {
			return r, enc, fmt.Errorf("reuse list longer than %d bytes", maxMediumText)
		}
		*l.dst = text
	}
	return r, enc, nil
}

// UpsertReuse stores r under its group key (secret_sha256, secret_kind,
// principal_key). Everything is replaced by r's values, attempt_count
// included: the caller recomputes the group from credentials, so storing
// the recomputed total keeps re-runs from inflating it (the original added
// it every tick, QUIRK 9). A row identical to r is not written, so
// updated_at moves only on change.
func (s *Store) UpsertReuse(ctx context.Context, r model.CredentialReuse) (res store.ReuseUpsert, err error) {
	defer wrap(&err, "UpsertReuse(%q, %q, %q)", r.SecretSHA256, r.SecretKind, r.PrincipalKey)
	r, enc, err := normalizeReuse(r)
	if err != nil {
		return res, err
	}
	if r.ID == "" {
		r.ID = uuid.NewString()
	}
	for attempt := 1; ; attempt++ {
		res, err = s.upsertReuseOnce(ctx, r, enc)
		// Another writer inserted or updated the group between the read
		// and the write (on MySQL, writers inserting one new key can also
		// deadlock): re-running, after a jittered pause, reads its row.
		if err == nil || attempt == maxReuseAttempts || ctx.Err() != nil ||
			!(s.d.retryable(err) || errors.Is(err, errReuseRaced)) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Duration(1+rand.IntN(4)) * time.Millisecond):
		}
	}
}

func (s *Store) upsertReuseOnce(ctx context.Context, r model.CredentialReuse, enc reuseRow) (res store.ReuseUpsert, err error) {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer func() {
		if err != nil {
			rollback(tx)
		}
	}()
	// A plain read and an optimistic write, not SELECT … FOR UPDATE: on
	// MySQL two writers locking the gap of one missing key deadlock. A lost
	// insert race is a duplicate-key error, a lost update matches no row;
	// UpsertReuse re-runs either.
	old, err := scanReuse(tx.QueryRowContext(ctx, "SELECT "+reuseColumns+
		", '', '' FROM credential_reuse WHERE secret_sha256 = ? AND secret_kind = ? AND principal_key = ?",
		r.SecretSHA256, r.SecretKind, r.PrincipalKey))
	now := s.d.timeArg(s.now())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, "INSERT INTO credential_reuse ("+reuseColumns+") VALUES "+
			"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			r.ID, r.SecretSHA256, r.SecretKind, nullString(r.Principal), r.PrincipalKey, enc.targets, enc.deckies,
			enc.services, enc.ips, enc.uuids, r.LastAttackerIP, r.TargetCount, r.AttemptCount, r.Confidence,
			s.d.timeArg(r.FirstSeen), s.d.timeArg(r.LastSeen), now)
		if err != nil {
			return res, err
		}
		return store.ReuseUpsert{ID: r.ID, Created: true, Grown: true, Changed: true}, tx.Commit()
	case err != nil:
		return res, err
	}
	res.ID = old.ID
	for _, t := range r.Targets {
		if _, found := slices.BinarySearch(old.Targets, t); !found {
			res.Grown = true
			break
		}
	}
	res.Changed = res.Grown || !sameReuse(old, r)
	if !res.Changed {
		return res, tx.Commit()
	}
	up, err := tx.ExecContext(ctx, "UPDATE credential_reuse SET principal = ?, targets = ?, deckies = ?, services = ?, "+
		"attacker_ips = ?, attacker_uuids = ?, last_attacker_ip = ?, target_count = ?, attempt_count = ?, "+
		"confidence = ?, first_seen = ?, last_seen = ?, updated_at = ? WHERE id = ? AND updated_at = ?",
		nullString(r.Principal), enc.targets, enc.deckies, enc.services, enc.ips, enc.uuids, r.LastAttackerIP,
		r.TargetCount, r.AttemptCount, r.Confidence, s.d.timeArg(r.FirstSeen), s.d.timeArg(r.LastSeen), now, old.ID,
		s.d.timeArg(old.UpdatedAt))
	if err != nil {
		return res, err
	}
	if n, err := up.RowsAffected(); err != nil {
		return res, err
	} else if n == 0 {
		return res, errReuseRaced
	}
	return res, tx.Commit()
}

// sameReuse reports whether the stored row a already holds b's values
// (id and updated_at aside).
func sameReuse(a, b model.CredentialReuse) bool {
	return a.Principal == b.Principal && slices.Equal(a.Targets, b.Targets) && slices.Equal(a.Deckies, b.Deckies) &&
		slices.Equal(a.Services, b.Services) && slices.Equal(a.AttackerIPs, b.AttackerIPs) &&
		slices.Equal(a.AttackerUUIDs, b.AttackerUUIDs) && a.LastAttackerIP == b.LastAttackerIP &&
		a.TargetCount == b.TargetCount && a.AttemptCount == b.AttemptCount && a.Confidence == b.Confidence &&
		a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen)
}

// scanReuse reads reuseColumns followed by secret_printable and secret_b64.
func scanReuse(row interface{ Scan(...any) error }) (r model.CredentialReuse, err error) {
	var principal, printable, b64 sql.NullString
	err = row.Scan(&r.ID, &r.SecretSHA256, &r.SecretKind, &principal, &r.PrincipalKey, jsonText{&r.Targets},
		jsonText{&r.Deckies}, jsonText{&r.Services}, jsonText{&r.AttackerIPs}, jsonText{&r.AttackerUUIDs},
		&r.LastAttackerIP, &r.TargetCount, &r.AttemptCount, &r.Confidence, (*dbTime)(&r.FirstSeen),
		(*dbTime)(&r.LastSeen), (*dbTime)(&r.UpdatedAt), &printable, &b64)
	r.Principal, r.SecretPrintable, r.SecretB64 = principal.String, printable.String, b64.String
	r.Targets, r.Deckies, r.Services = nonNil(r.Targets), nonNil(r.Deckies), nonNil(r.Services)
	r.AttackerIPs, r.AttackerUUIDs = nonNil(r.AttackerIPs), nonNil(r.AttackerUUIDs)
	return r, err
}

// reuseSecretCols adds the printable and base64 secret of the group's first
// credential to a read of credential_reuse r.
const reuseSecretCols = ", (SELECT c.secret_printable FROM credentials c WHERE " + reuseSecretMatch +
	" ORDER BY c.id LIMIT 1), (SELECT c.secret_b64 FROM credentials c WHERE " + reuseSecretMatch +
	" ORDER BY c.id LIMIT 1)"

const reuseSecretMatch = "c.secret_sha256 = r.secret_sha256 AND c.secret_kind = r.secret_kind AND " +
	"c.principal_key = r.principal_key"

// reuseSelect reads reuseColumns of credential_reuse r with the secret.
var reuseSelect = "SELECT r." + strings.ReplaceAll(reuseColumns, ", ", ", r.") + reuseSecretCols +
	" FROM credential_reuse r"

// ListReuse returns the rows matching q, widest reuse first, then most
// recently seen, and the number matching q without paging. Each row carries
// the printable and base64 secret of one credential of its group.
func (s *Store) ListReuse(ctx context.Context, q store.ReuseQuery) (out []model.CredentialReuse, total int64, err error) {
	defer wrap(&err, "ListReuse")
	var w where
	if q.MinTargetCount > 0 {
		w.add("r.target_count >= ?", q.MinTargetCount)
	}
	if q.SecretKind != "" {
		w.add("r.secret_kind = ?", q.SecretKind)
	}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM credential_reuse r"+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := pageArgs(q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx, reuseSelect+w.sql()+
		" ORDER BY r.target_count DESC, r.last_seen DESC, r.id LIMIT ? OFFSET ?", append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.CredentialReuse, 0, min(limit, 64))
	for rows.Next() {
		r, err := scanReuse(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// GetReuse returns the row with that id, or store.ErrNotFound.
func (s *Store) GetReuse(ctx context.Context, id string) (r model.CredentialReuse, err error) {
	defer wrap(&err, "GetReuse(%q)", id)
	r, err = scanReuse(s.db.QueryRowContext(ctx, reuseSelect+" WHERE r.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	return r, err
}
