package sqlstore

import (
	"context"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

const bountyColumns = "id, timestamp, decky, service, attacker_ip, bounty_type, payload"

// ListBounties returns bounty rows matching q, newest first, and the number
// of rows matching q without paging.
func (s *Store) ListBounties(ctx context.Context, q store.BountyQuery) (out []model.Bounty, total int64, err error) {
	defer wrap(&err, "ListBounties")
	return s.listBounties(ctx, bountyWhere(q), q.Limit, q.Offset)
}

// SearchBounties is ListBounties with a literal, case-insensitive substring
// search over decky, service, attacker_ip and the payload text.
func (s *Store) SearchBounties(ctx context.Context, q store.BountySearch) (out []model.Bounty, total int64, err error) {
	defer wrap(&err, "SearchBounties")
	w := bountyWhere(q.BountyQuery)
	w.addContains(q.Search, "decky", "service", "attacker_ip", "payload")
	return s.listBounties(ctx, w, q.Limit, q.Offset)
}

// bountyWhere holds the exact-match filters of q.
func bountyWhere(q store.BountyQuery) where {
	var w where
	if q.BountyType != "" {
		w.add("bounty_type = ?", q.BountyType)
	}
	if q.AttackerIP != "" {
		w.add("attacker_ip = ?", q.AttackerIP)
	}
	return w
}

// listBounties returns a page of the rows matching w, newest first, and the
// number matching.
func (s *Store) listBounties(ctx context.Context, w where, limit, offset int) ([]model.Bounty, int64, error) {
	var total int64
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM bounty"+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = pageArgs(limit, offset)
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+bountyColumns+" FROM bounty"+w.sql()+" ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := make([]model.Bounty, 0, min(limit, 64))
	for rows.Next() {
		var b model.Bounty
		if err := rows.Scan(&b.ID, (*dbTime)(&b.Timestamp), &b.Decky, &b.Service, &b.AttackerIP, &b.BountyType,
			(*rawJSON)(&b.Payload)); err != nil {
			return nil, 0, err
		}
		out = append(out, b)
	}
	return out, total, rows.Err()
}
