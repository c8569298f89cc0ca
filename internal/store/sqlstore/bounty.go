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
	var w where
	if q.BountyType != "" {
		w.add("bounty_type = ?", q.BountyType)
	}
	if q.AttackerIP != "" {
		w.add("attacker_ip = ?", q.AttackerIP)
	}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM bounty"+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset := pageArgs(q.Limit, q.Offset)
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+bountyColumns+" FROM bounty"+w.sql()+" ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
		append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out = make([]model.Bounty, 0, min(limit, 64))
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
