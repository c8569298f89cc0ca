package sqlstore

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Interface guards: the identity clusterer's and the API's repositories.
var (
	_ store.IdentityClusterRepository = (*Store)(nil)
	_ store.CredentialTupleRepository = (*Store)(nil)
	_ store.IdentityRepository        = (*Store)(nil)
)

const (
	identityColumns = "uuid, schema_version, campaign_id, first_seen_at, last_seen_at, created_at, updated_at, " +
		"confidence, observation_count, ja3_hashes, hassh_hashes, ja4h_hashes, ja4_quic_hashes, http_versions_seen, " +
		"tls_cert_sha256, ipv6_link_local_iids, payload_simhashes, c2_endpoints, kd_digraph_simhash, " +
		"merged_into_uuid, notes"

	// identityRollupColumns are the columns a rollup owns, in
	// IdentityRollup order.
	identityRollupColumns = "first_seen_at, last_seen_at, observation_count, ja3_hashes, hassh_hashes, " +
		"ja4h_hashes, tls_cert_sha256, payload_simhashes, c2_endpoints"

	// identityAttackerColumns are the attackers columns the API shows,
	// listed here rather than shared with attackers.go so each file can
	// grow its own.
	identityAttackerColumns = "a.uuid, a.ip, a.identity_id, a.first_seen, a.last_seen, a.event_count, " +
		"a.service_count, a.decky_count, a.services, a.deckies, a.traversal_path, a.is_traversal, a.bounty_count, " +
		"a.credential_count, a.fingerprints, a.commands, a.country_code, a.asn, a.as_name, a.updated_at"
)

// identityFamily is a recursive CTE naming the identity ? and every
// identity merged into it, directly or through a chain, at most
// store.MaxMergeHops deep. Both SQLite and MariaDB 10.2+/MySQL 8 run it; the
// anchor reads the row rather than the bare argument so the column takes
// the table's type and collation on MySQL.
var identityFamily = "WITH RECURSIVE fam (uuid, depth) AS (" +
	"SELECT uuid, 0 FROM attacker_identities WHERE uuid = ? UNION ALL " +
	"SELECT i.uuid, f.depth + 1 FROM attacker_identities i JOIN fam f ON i.merged_into_uuid = f.uuid " +
	"WHERE f.depth < " + strconv.Itoa(store.MaxMergeHops) + ") "

// ListClusterInputs returns every attacker row, in no particular order,
// with only uuid, ip, identity_id, first/last seen, asn, fingerprints and
// commands filled. It is a plain table scan: ordering 100 000 rows with
// their JSON columns costs the engine more than the caller's sort of ids.
func (s *Store) ListClusterInputs(ctx context.Context) (out []model.Attacker, err error) {
	defer wrap(&err, "ListClusterInputs")
	// Sized up front: growing a slice of 100 000 wide rows by appending
	// copied it several times and cost more than the query.
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM attackers").Scan(&n); err != nil {
		return nil, err
	}
	out = make([]model.Attacker, 0, n+n/8)
	rows, err := s.db.QueryContext(ctx, "SELECT uuid, ip, identity_id, first_seen, last_seen, asn, fingerprints "+
		"FROM attackers")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a        model.Attacker
			identity sql.NullString
			asn      sql.NullInt64
		)
		if err := rows.Scan(&a.UUID, &a.IP, &identity, (*dbTime)(&a.FirstSeen), (*dbTime)(&a.LastSeen), &asn,
			jsonText{&a.Fingerprints}); err != nil {
			return nil, err
		}
		a.IdentityID, a.ASN = identity.String, asn.Int64
		out = append(out, a)
	}
	return out, rows.Err()
}

// ListCredentialTuples maps each attacker ip to the distinct
// (principal_key, secret_sha256) pairs it tried, sorted. It reads the
// credentials table's dedup key, one row per attacker, decky, service and
// secret.
func (s *Store) ListCredentialTuples(ctx context.Context) (out map[string][]store.CredentialTuple, err error) {
	defer wrap(&err, "ListCredentialTuples")
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT attacker_ip, principal_key, secret_sha256 FROM credentials "+
		"ORDER BY attacker_ip, principal_key, secret_sha256")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = map[string][]store.CredentialTuple{}
	for rows.Next() {
		var ip string
		var t store.CredentialTuple
		if err := rows.Scan(&ip, &t.PrincipalKey, &t.SecretSHA256); err != nil {
			return nil, err
		}
		out[ip] = append(out[ip], t)
	}
	return out, rows.Err()
}

// ListIdentityLinks maps every identity uuid to its merged_into_uuid, ""
// for a live identity.
func (s *Store) ListIdentityLinks(ctx context.Context) (out map[string]string, err error) {
	defer wrap(&err, "ListIdentityLinks")
	return s.mergeLinks(ctx, identityTables)
}

// identityTables is where identity plans go: attackers point at
// attacker_identities through identity_id.
var identityTables = newGroupTables("identity", "attacker_identities", identityRollupColumns, "attackers",
	"identity_id", false)

// ApplyIdentityPlan writes p in one transaction (see applyPlan); attackers
// linked keep their updated_at, which tracks their own events.
func (s *Store) ApplyIdentityPlan(ctx context.Context, p store.IdentityPlan) (err error) {
	defer wrap(&err, "ApplyIdentityPlan")
	g := groupPlan{formed: p.Formed, empty: p.Empty(), n: len(p.Rollups), rollup: func(i int) groupRollup {
		r := &p.Rollups[i]
		return groupRollup{uuid: r.UUID, first: r.FirstSeenAt, last: r.LastSeenAt, count: r.ObservationCount,
			lists: [maxRollupLists][]string{r.JA3Hashes, r.HASSHHashes, r.JA4HHashes, r.TLSCertSHA256,
				r.PayloadHashes, r.C2Endpoints}}
	}}
	for _, l := range p.Links {
		g.assign = append(g.assign, [2]string{l.AttackerUUID, l.IdentityUUID})
	}
	for _, m := range p.Merges {
		g.merges = append(g.merges, [2]any{m.WinnerUUID, m.LoserUUID})
	}
	for _, u := range p.Unmerges {
		g.merges = append(g.merges, [2]any{nil, u.ResurrectedUUID})
	}
	return s.applyPlan(ctx, identityTables, g)
}

// scanIdentity reads identityColumns.
func scanIdentity(row interface{ Scan(...any) error }) (m model.Identity, err error) {
	var campaign, merged, notes sql.NullString
	var confidence sql.NullFloat64
	var simhash []byte
	err = row.Scan(&m.UUID, &m.SchemaVersion, &campaign, (*dbTime)(&m.FirstSeenAt), (*dbTime)(&m.LastSeenAt),
		(*dbTime)(&m.CreatedAt), (*dbTime)(&m.UpdatedAt), &confidence, &m.ObservationCount, jsonText{&m.JA3Hashes},
		jsonText{&m.HASSHHashes}, jsonText{&m.JA4HHashes}, jsonText{&m.JA4QUICHashes}, jsonText{&m.HTTPVersionsSeen},
		jsonText{&m.TLSCertSHA256}, jsonText{&m.IPv6LinkLocalIIDs}, jsonText{&m.PayloadSimhashes},
		jsonText{&m.C2Endpoints}, &simhash, &merged, &notes)
	if err != nil {
		return m, err
	}
	m.CampaignID, m.MergedIntoUUID, m.Notes = campaign.String, merged.String, notes.String
	if confidence.Valid {
		m.Confidence = &confidence.Float64
	}
	if len(simhash) > 0 {
		m.KDDigraphSimhash = simhash
	}
	for _, l := range []*[]string{&m.JA3Hashes, &m.HASSHHashes, &m.JA4HHashes, &m.JA4QUICHashes, &m.HTTPVersionsSeen,
		&m.TLSCertSHA256, &m.IPv6LinkLocalIIDs, &m.PayloadSimhashes, &m.C2Endpoints} {
		*l = nonNil(*l)
	}
	return m, nil
}

// ListIdentities returns a page of live (unmerged) identities, most
// recently updated first, and the number of live identities.
func (s *Store) ListIdentities(ctx context.Context, limit, offset int) (out []model.Identity, total int64, err error) {
	defer wrap(&err, "ListIdentities(%d, %d)", limit, offset)
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM attacker_identities WHERE merged_into_uuid IS NULL").
		Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx, "SELECT "+identityColumns+" FROM attacker_identities "+
		"WHERE merged_into_uuid IS NULL ORDER BY updated_at DESC, uuid LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.Identity, 0, min(limit, 64))
	for rows.Next() {
		m, err := scanIdentity(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// GetIdentity returns the identity id resolves to, following
// merged_into_uuid at most store.MaxMergeHops times, or store.ErrNotFound.
func (s *Store) GetIdentity(ctx context.Context, id string) (m model.Identity, err error) {
	defer wrap(&err, "GetIdentity(%q)", id)
	return s.resolveIdentity(ctx, id)
}

func (s *Store) resolveIdentity(ctx context.Context, id string) (model.Identity, error) {
	return followMerges(ctx, s, "SELECT "+identityColumns+" FROM attacker_identities WHERE uuid = ?", id,
		scanIdentity, func(m model.Identity) string { return m.MergedIntoUUID })
}

// ListIdentityObservations returns a page of the attacker rows under the
// identity id resolves to — its own and those of every identity merged
// into it — most recently seen first, and their number. Unknown is
// store.ErrNotFound.
func (s *Store) ListIdentityObservations(ctx context.Context, id string, limit, offset int) (out []model.Attacker, total int64, err error) {
	defer wrap(&err, "ListIdentityObservations(%q)", id)
	canon, err := s.resolveIdentity(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	const under = " FROM attackers a WHERE a.identity_id IN (SELECT uuid FROM fam)"
	if err := s.db.QueryRowContext(ctx, identityFamily+"SELECT COUNT(*)"+under, canon.UUID).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx, identityFamily+"SELECT "+identityAttackerColumns+under+
		" ORDER BY a.last_seen DESC, a.uuid LIMIT ? OFFSET ?", canon.UUID, limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.Attacker, 0, min(limit, 64))
	for rows.Next() {
		var (
			a                               model.Attacker
			identity, path, country, asName sql.NullString
			asn                             sql.NullInt64
		)
		if err := rows.Scan(&a.UUID, &a.IP, &identity, (*dbTime)(&a.FirstSeen), (*dbTime)(&a.LastSeen),
			&a.EventCount, &a.ServiceCount, &a.DeckyCount, jsonText{&a.Services}, jsonText{&a.Deckies}, &path,
			&a.IsTraversal, &a.BountyCount, &a.CredentialCount, jsonText{&a.Fingerprints}, jsonText{&a.Commands},
			&country, &asn, &asName, (*dbTime)(&a.UpdatedAt)); err != nil {
			return nil, 0, err
		}
		a.IdentityID, a.TraversalPath, a.CountryCode, a.ASName = identity.String, path.String, country.String, asName.String
		a.ASN = asn.Int64
		out = append(out, a)
	}
	return out, total, rows.Err()
}
