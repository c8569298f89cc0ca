package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// Interface guards: the campaign clusterer's and the API's repositories.
var (
	_ store.CampaignClusterRepository = (*Store)(nil)
	_ store.CampaignRepository        = (*Store)(nil)
)

const (
	campaignColumns = "uuid, schema_version, first_seen_at, last_seen_at, created_at, updated_at, confidence, " +
		"identity_count, ja3_hashes, hassh_hashes, tls_cert_sha256, payload_simhashes, c2_endpoints, " +
		"merged_into_uuid, notes"

	// campaignRollupColumns are the columns a rollup owns, in
	// CampaignRollup order.
	campaignRollupColumns = "first_seen_at, last_seen_at, identity_count, ja3_hashes, hassh_hashes, " +
		"tls_cert_sha256, payload_simhashes, c2_endpoints"
)

// campaignFamily is a recursive CTE naming the campaign ? and every
// campaign merged into it, at most store.MaxMergeHops deep (see
// identityFamily).
var campaignFamily = "WITH RECURSIVE fam (uuid, depth) AS (" +
	"SELECT uuid, 0 FROM campaigns WHERE uuid = ? UNION ALL " +
	"SELECT c.uuid, f.depth + 1 FROM campaigns c JOIN fam f ON c.merged_into_uuid = f.uuid " +
	"WHERE f.depth < " + strconv.Itoa(store.MaxMergeHops) + ") "

// ListCampaignInputIdentities returns every identity, live and merged, with
// the columns the campaign clusterer reads.
func (s *Store) ListCampaignInputIdentities(ctx context.Context) (out []store.CampaignIdentity, err error) {
	defer wrap(&err, "ListCampaignInputIdentities")
	rows, err := s.db.QueryContext(ctx, "SELECT uuid, merged_into_uuid, campaign_id, first_seen_at, last_seen_at, "+
		"ja3_hashes, hassh_hashes, tls_cert_sha256, payload_simhashes, c2_endpoints, kd_digraph_simhash "+
		"FROM attacker_identities")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c               store.CampaignIdentity
			merged, camp    sql.NullString
			simhash         []byte
			first, lastSeen dbTime
		)
		if err := rows.Scan(&c.UUID, &merged, &camp, &first, &lastSeen, jsonText{&c.JA3Hashes},
			jsonText{&c.HASSHHashes}, jsonText{&c.TLSCertSHA256}, jsonText{&c.PayloadHashes},
			jsonText{&c.C2Endpoints}, &simhash); err != nil {
			return nil, err
		}
		c.MergedIntoUUID, c.CampaignID = merged.String, camp.String
		c.FirstSeenAt, c.LastSeenAt = time.Time(first), time.Time(lastSeen)
		if len(simhash) > 0 {
			c.KDDigraphSimhash = simhash
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListCampaignInputAttackers returns every attacker linked to an identity
// with its seen window, ASN, deckies and tool guesses.
func (s *Store) ListCampaignInputAttackers(ctx context.Context) (out []store.CampaignAttacker, err error) {
	defer wrap(&err, "ListCampaignInputAttackers")
	rows, err := s.db.QueryContext(ctx, "SELECT a.uuid, a.identity_id, a.first_seen, a.last_seen, a.asn, a.deckies, "+
		"b.tool_guesses FROM attackers a LEFT JOIN attacker_behavior b ON b.attacker_uuid = a.uuid "+
		"WHERE a.identity_id IS NOT NULL")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			a   store.CampaignAttacker
			asn sql.NullInt64
		)
		if err := rows.Scan(&a.UUID, &a.IdentityID, (*dbTime)(&a.FirstSeen), (*dbTime)(&a.LastSeen), &asn,
			jsonText{&a.Deckies}, jsonText{&a.ToolGuesses}); err != nil {
			return nil, err
		}
		a.ASN = asn.Int64
		out = append(out, a)
	}
	return out, rows.Err()
}

// ListDeckyPhasesByIdentity maps each identity to the tags naming a decky
// that are anchored on it or on one of its attackers, oldest first (then
// by tag uuid) — ListTTPDeckyPhases for every identity in one query. A tag
// anchored on an identity and on an attacker of another identity counts
// for both, as in the identity scope.
func (s *Store) ListDeckyPhasesByIdentity(ctx context.Context) (out map[string][]store.DeckyPhase, err error) {
	defer wrap(&err, "ListDeckyPhasesByIdentity")
	rows, err := s.db.QueryContext(ctx, "SELECT t.identity_uuid, t.decky_id, t.tactic, t.created_at, t.uuid "+
		"FROM ttp_tag t WHERE t.identity_uuid IS NOT NULL AND t.decky_id IS NOT NULL "+
		"UNION ALL SELECT a.identity_id, t.decky_id, t.tactic, t.created_at, t.uuid FROM ttp_tag t "+
		"JOIN attackers a ON a.uuid = t.attacker_uuid WHERE a.identity_id IS NOT NULL AND t.decky_id IS NOT NULL "+
		"AND (t.identity_uuid IS NULL OR t.identity_uuid <> a.identity_id) ORDER BY 4, 5")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = map[string][]store.DeckyPhase{}
	for rows.Next() {
		var (
			id, tag string
			p       store.DeckyPhase
		)
		if err := rows.Scan(&id, &p.DeckyID, &p.Tactic, (*dbTime)(&p.CreatedAt), &tag); err != nil {
			return nil, err
		}
		out[id] = append(out[id], p)
	}
	return out, rows.Err()
}

// ListCampaignLinks maps every campaign uuid to its merged_into_uuid, ""
// for a live campaign.
func (s *Store) ListCampaignLinks(ctx context.Context) (out map[string]string, err error) {
	defer wrap(&err, "ListCampaignLinks")
	return s.mergeLinks(ctx, campaignTables)
}

// campaignTables is where campaign plans go: identities point at
// campaigns through campaign_id.
var campaignTables = newGroupTables("campaign", "campaigns", campaignRollupColumns, "attacker_identities",
	"campaign_id", true)

// ApplyCampaignPlan writes p in one transaction (see applyPlan); an
// identity assigned a campaign gets a new updated_at.
func (s *Store) ApplyCampaignPlan(ctx context.Context, p store.CampaignPlan) (err error) {
	defer wrap(&err, "ApplyCampaignPlan")
	g := groupPlan{formed: p.Formed, empty: p.Empty(), n: len(p.Rollups), rollup: func(i int) groupRollup {
		r := &p.Rollups[i]
		return groupRollup{uuid: r.UUID, first: r.FirstSeenAt, last: r.LastSeenAt, count: r.IdentityCount,
			lists: [maxRollupLists][]string{r.JA3Hashes, r.HASSHHashes, r.TLSCertSHA256, r.PayloadHashes,
				r.C2Endpoints}}
	}}
	for _, a := range p.Assignments {
		g.assign = append(g.assign, [2]string{a.IdentityUUID, a.CampaignUUID})
	}
	for _, m := range p.Merges {
		g.merges = append(g.merges, [2]any{m.WinnerUUID, m.LoserUUID})
	}
	for _, u := range p.Unmerges {
		g.merges = append(g.merges, [2]any{nil, u.ResurrectedUUID})
	}
	return s.applyPlan(ctx, campaignTables, g)
}

// scanCampaign reads campaignColumns.
func scanCampaign(row interface{ Scan(...any) error }) (m model.Campaign, err error) {
	var merged, notes sql.NullString
	var confidence sql.NullFloat64
	err = row.Scan(&m.UUID, &m.SchemaVersion, (*dbTime)(&m.FirstSeenAt), (*dbTime)(&m.LastSeenAt),
		(*dbTime)(&m.CreatedAt), (*dbTime)(&m.UpdatedAt), &confidence, &m.IdentityCount, jsonText{&m.JA3Hashes},
		jsonText{&m.HASSHHashes}, jsonText{&m.TLSCertSHA256}, jsonText{&m.PayloadHashes}, jsonText{&m.C2Endpoints},
		&merged, &notes)
	if err != nil {
		return m, err
	}
	m.MergedIntoUUID, m.Notes = merged.String, notes.String
	if confidence.Valid {
		m.Confidence = &confidence.Float64
	}
	for _, l := range []*[]string{&m.JA3Hashes, &m.HASSHHashes, &m.TLSCertSHA256, &m.PayloadHashes, &m.C2Endpoints} {
		*l = nonNil(*l)
	}
	return m, nil
}

// ListCampaigns returns a page of live (unmerged) campaigns, most recently
// updated first, and the number of live campaigns.
func (s *Store) ListCampaigns(ctx context.Context, limit, offset int) (out []model.Campaign, total int64, err error) {
	defer wrap(&err, "ListCampaigns(%d, %d)", limit, offset)
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaigns WHERE merged_into_uuid IS NULL").
		Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx, "SELECT "+campaignColumns+" FROM campaigns "+
		"WHERE merged_into_uuid IS NULL ORDER BY updated_at DESC, uuid LIMIT ? OFFSET ?", limit, offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.Campaign, 0, min(limit, 64))
	for rows.Next() {
		m, err := scanCampaign(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, m)
	}
	return out, total, rows.Err()
}

// GetCampaign returns the campaign id resolves to, following
// merged_into_uuid at most store.MaxMergeHops times, or store.ErrNotFound.
func (s *Store) GetCampaign(ctx context.Context, id string) (m model.Campaign, err error) {
	defer wrap(&err, "GetCampaign(%q)", id)
	return followMerges(ctx, s, "SELECT "+campaignColumns+" FROM campaigns WHERE uuid = ?", id, scanCampaign,
		func(m model.Campaign) string { return m.MergedIntoUUID })
}

// ListCampaignIdentities returns a page of the live identities whose
// campaign is the one id resolves to or was merged into it, most recently
// updated first, and their number. Unknown is store.ErrNotFound.
func (s *Store) ListCampaignIdentities(ctx context.Context, id string, limit, offset int) (out []model.Identity, total int64, err error) {
	defer wrap(&err, "ListCampaignIdentities(%q)", id)
	canon, err := s.GetCampaign(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	const under = " FROM attacker_identities WHERE merged_into_uuid IS NULL AND campaign_id IN (SELECT uuid FROM fam)"
	if err := s.db.QueryRowContext(ctx, campaignFamily+"SELECT COUNT(*)"+under, canon.UUID).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx, campaignFamily+"SELECT "+identityColumns+under+
		" ORDER BY updated_at DESC, uuid LIMIT ? OFFSET ?", canon.UUID, limit, offset)
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

// ResolveCampaigns maps each of ids to the live campaign it resolves to,
// one query per merge hop over the ids still unresolved; unknown ids are
// left out.
func (s *Store) ResolveCampaigns(ctx context.Context, ids []string) (out map[string]string, err error) {
	defer wrap(&err, "ResolveCampaigns")
	out = map[string]string{}
	cur := map[string][]string{} // uuid looked up → the ids it stands for
	for _, id := range sortedUnique(ids) {
		cur[id] = append(cur[id], id)
	}
	for hop := 0; len(cur) > 0 && hop <= store.MaxMergeHops; hop++ {
		keys := make([]any, 0, len(cur))
		for k := range cur {
			keys = append(keys, k)
		}
		rows, err := s.db.QueryContext(ctx, "SELECT uuid, merged_into_uuid FROM campaigns WHERE uuid IN ("+
			strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")+")", keys...)
		if err != nil {
			return nil, err
		}
		next := map[string][]string{}
		for rows.Next() {
			var id string
			var into sql.NullString
			if err := rows.Scan(&id, &into); err != nil {
				rows.Close()
				return nil, err
			}
			if into.String == "" || hop == store.MaxMergeHops {
				for _, orig := range cur[id] {
					out[orig] = id
				}
				continue
			}
			// Provisionally the row found; the next hop overwrites it, and
			// a chain pointing at a deleted row ends here.
			for _, orig := range cur[id] {
				out[orig] = id
			}
			next[into.String] = append(next[into.String], cur[id]...)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		cur = next
	}
	return out, nil
}
