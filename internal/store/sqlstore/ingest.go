package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

const (
	logInsertPrefix = " logs (event_id, timestamp, decky, service, event_type, attacker_ip, " +
		"session_id, raw_line, fields, msg) VALUES "
	logInsertCols = 10

	eventIDLookupPrefix = "SELECT event_id FROM logs WHERE event_id IN ("
	// eventIDLookupBeforePrefix finds the ids of a batch stored before the
	// batch's own insert: its first parameter is the highest id back then.
	eventIDLookupBeforePrefix = "SELECT event_id FROM logs WHERE id <= ? AND event_id IN ("
	eventIDLookupSuffix       = ")"
	maxLogIDQuery             = "SELECT COALESCE(MAX(id), 0) FROM logs"
	// maxLookupIDs bounds one IN list; lists are padded up to a power of
	// two so a handful of statement texts cover every batch size.
	maxLookupIDs = 512

	bountyInsertHead = " bounty (timestamp, decky, service, attacker_ip, bounty_type, payload, payload_sha256) VALUES "
	bountyInsertCols = 7

	// maxCommitAttempts bounds re-runs of a batch after a retryable error.
	maxCommitAttempts = 3

	defaultSecretKind = "plaintext"
)

// preparedRecord is one IngestRecord encoded for the database: strings cut
// to their columns, JSON encoded, hashes computed. Preparing happens before
// the write lock is taken, so the lock covers only database work.
type preparedRecord struct {
	eventID string
	logArgs [logInsertCols]any
	cred    *model.Credential
	credArg *[credentialInsertCols]any
	bounty  [][bountyInsertCols]any
}

// preparedBatch is a batch minus the records repeating an earlier event id
// of the same batch. creds holds its credential attempts already folded by
// dedup key, computed before the write lock: it is right whenever none of
// the batch's event ids is stored yet, which is every batch but a
// redelivered one.
type preparedBatch struct {
	recs        []preparedRecord
	ids         []string
	inBatchDups int
	creds       foldedCredentials
}

// CommitBatch writes the logs rows, credential upserts and bounty rows of
// recs in one transaction. Records whose event id is already stored, or
// repeats one earlier in recs, are skipped whole: no log row, no
// attempt_count bump, no bounty. Bounties dedup on (type, attacker_ip,
// payload hash) through a unique key. On MySQL a deadlock or a lost race on
// an event id re-runs the transaction, which then skips what the winner
// wrote.
func (s *Store) CommitBatch(ctx context.Context, recs []model.IngestRecord) (res model.IngestResult, err error) {
	defer wrap(&err, "CommitBatch(%d records)", len(recs))
	b, err := s.prepareBatch(recs)
	if err != nil {
		return res, err
	}
	return s.commitBatch(ctx, b)
}

// PrepareBatch encodes recs for CommitPrepared without touching the
// database, so it can run while another batch commits.
func (s *Store) PrepareBatch(recs []model.IngestRecord) (_ store.PreparedBatch, err error) {
	defer wrap(&err, "PrepareBatch(%d records)", len(recs))
	b, err := s.prepareBatch(recs)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// CommitPrepared commits batches from PrepareBatch in one transaction, with
// CommitBatch's semantics for their records taken together.
func (s *Store) CommitPrepared(ctx context.Context, pbs ...store.PreparedBatch) (res model.IngestResult, err error) {
	bs := make([]*preparedBatch, 0, len(pbs))
	for _, pb := range pbs {
		b, ok := pb.(*preparedBatch)
		if !ok {
			return res, fmt.Errorf("sqlstore: CommitPrepared: batch of type %T was not prepared by this store", pb)
		}
		bs = append(bs, b)
	}
	b := mergePrepared(bs)
	defer wrap(&err, "CommitPrepared(%d records)", b.Len())
	return s.commitBatch(ctx, b)
}

// mergePrepared joins prepared batches into one, dropping records whose
// event id an earlier batch holds, and refolds their credential attempts
// across the batches: a key repeated in several batches is one upsert row.
func mergePrepared(bs []*preparedBatch) *preparedBatch {
	switch len(bs) {
	case 0:
		return &preparedBatch{}
	case 1:
		return bs[0]
	}
	n := 0
	for _, b := range bs {
		n += len(b.recs)
	}
	m := &preparedBatch{recs: make([]preparedRecord, 0, n), ids: make([]string, 0, n)}
	seen := make(map[string]struct{}, n)
	for _, b := range bs {
		m.inBatchDups += b.inBatchDups
		for _, r := range b.recs {
			if r.eventID != "" {
				if _, dup := seen[r.eventID]; dup {
					m.inBatchDups++
					continue
				}
				seen[r.eventID] = struct{}{}
				m.ids = append(m.ids, r.eventID)
			}
			m.recs = append(m.recs, r)
		}
	}
	m.creds = foldCredentials(m.recs)
	return m
}

func (s *Store) commitBatch(ctx context.Context, b *preparedBatch) (res model.IngestResult, err error) {
	if len(b.recs) == 0 {
		res.Duplicates = b.inBatchDups
		return res, nil
	}
	if err := s.prepareIngest(ctx); err != nil {
		return res, err
	}
	for attempt := 1; ; attempt++ {
		res, err = s.commitPrepared(ctx, b)
		if err == nil {
			s.bounties.remember(b.recs)
		}
		if err == nil || attempt == maxCommitAttempts || !s.d.retryable(err) || ctx.Err() != nil {
			return res, err
		}
		s.log.Warn("retrying ingest batch", "attempt", attempt, "err", err)
	}
}

// prepareIngest caches every statement a batch can use, once: each
// multi-row size is a power of two, so there are a few dozen at most.
func (s *Store) prepareIngest(ctx context.Context) error {
	if s.ingestReady.Load() {
		return nil
	}
	var qs []string
	for n := 1; n <= s.d.maxInsertRows(); n <<= 1 {
		qs = append(qs, s.q.logInsert.sql(n), s.q.bountyInsert.sql(n), s.q.credential.sql(n))
	}
	for n := 1; n <= maxLookupIDs; n <<= 1 {
		qs = append(qs, s.q.eventIDLookup.sql(n), s.q.eventIDLookupBefore.sql(n))
	}
	if err := s.prepare(ctx, qs...); err != nil {
		return fmt.Errorf("prepare ingest statements: %w", err)
	}
	s.ingestReady.Store(true)
	return nil
}

// Len is the number of records left after in-batch duplicates.
func (b *preparedBatch) Len() int { return len(b.recs) }

func (s *Store) prepareBatch(recs []model.IngestRecord) (*preparedBatch, error) {
	b := &preparedBatch{
		recs: make([]preparedRecord, 0, len(recs)),
		ids:  make([]string, 0, len(recs)),
	}
	seen := make(map[string]struct{}, len(recs))
	var buf []byte
	for i := range recs {
		r := &recs[i]
		id := clip(r.Log.EventID, maxEventID)
		if id != "" {
			if _, dup := seen[id]; dup {
				b.inBatchDups++
				continue
			}
			seen[id] = struct{}{}
			b.ids = append(b.ids, id)
		}
		p, err := s.prepareRecord(r, id, &buf)
		if err != nil {
			return b, fmt.Errorf("record %d (event %q): %w", i, id, err)
		}
		b.recs = append(b.recs, p)
	}
	b.creds = foldCredentials(b.recs)
	return b, nil
}

func (s *Store) prepareRecord(r *model.IngestRecord, id string, buf *[]byte) (preparedRecord, error) {
	l := &r.Log
	ts := l.Timestamp
	if ts.IsZero() {
		ts = s.now()
	}
	decky, service, ip := clip(l.Decky, maxDecky), clip(l.Service, maxService), clip(l.AttackerIP, maxIP)
	*buf = appendFieldsJSON((*buf)[:0], l.Fields)
	fields := string(*buf)
	p := preparedRecord{
		eventID: id,
		logArgs: [logInsertCols]any{
			nullString(id), s.d.timeArg(ts), decky, service, clip(l.EventType, maxEventType), ip,
			nullString(clip(l.SessionID, maxSessionID)), clip(l.RawLine, maxText), fields,
			nullString(clip(l.Msg, maxText)),
		},
	}
	if r.Credential != nil {
		p.cred = normaliseCredential(r.Credential, ts, decky, service, ip)
		c := p.cred
		// A derived credential carries its event's fields: equal maps
		// encode to the same text, so the log row's copy is reused.
		credFields := fields
		if !maps.Equal(c.Fields, l.Fields) {
			*buf = appendFieldsJSON((*buf)[:0], c.Fields)
			credFields = string(*buf)
		}
		p.credArg = &[credentialInsertCols]any{
			c.AttackerIP, nullString(c.AttackerUUID), c.DeckyName, c.Service, nullString(c.Principal),
			c.PrincipalKey, c.SecretKind, c.SecretSHA256, nullString(c.SecretB64), nullString(c.SecretPrintable),
			nullString(c.Outcome), credFields, s.d.timeArg(c.FirstSeen), s.d.timeArg(c.LastSeen), int64(1),
		}
	}
	for j := range r.Bounties {
		bt := &r.Bounties[j]
		payload := []byte(bt.Payload)
		if len(payload) == 0 {
			payload = []byte("{}")
		}
		sum := sha256.Sum256(payload)
		var sumHex [2 * sha256.Size]byte
		hex.Encode(sumHex[:], sum[:])
		typ, bip := clip(bt.BountyType, maxBountyType), orDefault(clip(bt.AttackerIP, maxIP), ip)
		// A finding already committed (a scanner repeating itself) is
		// dropped here, before validation and encoding: the cache only
		// holds keys whose rows exist. The key is built on the stack, so a
		// dropped finding allocates nothing.
		var key [maxBountyKey]byte
		if s.bounties.seen(appendBountyKey(key[:0], typ, bip, sumHex[:])) {
			continue
		}
		text, err := rawJSONArg(payload, "{}")
		if err != nil {
			return p, fmt.Errorf("bounty %d payload: %w", j, err)
		}
		bts := bt.Timestamp
		if bts.IsZero() {
			bts = ts
		}
		p.bounty = append(p.bounty, [bountyInsertCols]any{
			s.d.timeArg(bts), orDefault(clip(bt.Decky, maxDecky), decky),
			orDefault(clip(bt.Service, maxService), service), bip, typ, text, string(sumHex[:]),
		})
	}
	return p, nil
}

// normaliseCredential returns c as it is stored: location fields missing
// from c come from the log row, seen times from the event time, and
// PrincipalKey is derived from Principal, so an absent principal is always
// the same dedup key whatever the caller put in PrincipalKey.
func normaliseCredential(c *model.Credential, ts time.Time, decky, service, ip string) *model.Credential {
	n := *c
	n.ID, n.AttemptCount = 0, 0
	n.AttackerIP = orDefault(clip(c.AttackerIP, maxIP), ip)
	n.AttackerUUID = clip(c.AttackerUUID, maxUUID)
	n.DeckyName = orDefault(clip(c.DeckyName, maxDecky), decky)
	n.Service = orDefault(clip(c.Service, maxService), service)
	n.Principal = clip(c.Principal, maxPrincipal)
	n.PrincipalKey = n.Principal
	n.SecretKind = orDefault(clip(c.SecretKind, maxSecretKind), defaultSecretKind)
	n.SecretSHA256 = clip(c.SecretSHA256, maxSHA256)
	n.SecretB64 = clip(c.SecretB64, maxSecretB64)
	n.SecretPrintable = clip(c.SecretPrintable, maxPrintable)
	n.Outcome = clip(c.Outcome, maxOutcome)
	if n.FirstSeen.IsZero() {
		n.FirstSeen = ts
	}
	if n.LastSeen.IsZero() {
		n.LastSeen = ts
	}
	if n.Fields == nil {
		n.Fields = map[string]string{}
	}
	return &n
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// commitPrepared runs one attempt of a batch in one transaction.
func (s *Store) commitPrepared(ctx context.Context, b *preparedBatch) (res model.IngestResult, err error) {
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
	keep, err := s.insertNewLogs(ctx, tx, b)
	if err != nil {
		return res, err
	}
	res.Duplicates = b.inBatchDups + len(b.recs) - len(keep)
	res.LogsInserted = len(keep)
	creds := b.creds
	if len(keep) < len(b.recs) {
		creds = foldCredentials(keep)
	}
	if err := s.upsertCredentials(ctx, tx, creds.rows); err != nil {
		return res, fmt.Errorf("upsert credentials: %w", err)
	}
	res.Credentials = creds.out
	if res.BountiesInserted, err = s.insertBounties(ctx, tx, keep); err != nil {
		return res, fmt.Errorf("insert bounties: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	return res, nil
}

// insertNewLogs inserts the logs rows of b whose event id is not stored yet
// and returns their records, the ones whose credentials and bounties count.
//
// Where the logs insert skips stored ids by itself (SQLite), it inserts
// first and looks ids up only when rows were skipped: redelivery is rare,
// and the lookup of every id cost a twentieth of the commit. Rows stored
// before the insert are told from the batch's own by their id, which an
// AUTOINCREMENT key never reuses. Elsewhere (MySQL) it looks up first, so a
// lost race fails the insert and the retry re-reads.
func (s *Store) insertNewLogs(ctx context.Context, tx *sql.Tx, b *preparedBatch) ([]preparedRecord, error) {
	if !s.d.logInsertSkipsStored() {
		stored, err := s.storedEventIDs(ctx, tx, s.q.eventIDLookup, nil, b.ids)
		if err != nil {
			return nil, fmt.Errorf("look up event ids: %w", err)
		}
		keep := withoutStored(b.recs, stored)
		if _, err := s.insertLogs(ctx, tx, keep); err != nil {
			return nil, fmt.Errorf("insert logs: %w", err)
		}
		return keep, nil
	}
	var before int64
	if err := tx.QueryRowContext(ctx, maxLogIDQuery).Scan(&before); err != nil {
		return nil, fmt.Errorf("read the last logs id: %w", err)
	}
	inserted, err := s.insertLogs(ctx, tx, b.recs)
	if err != nil {
		return nil, fmt.Errorf("insert logs: %w", err)
	}
	if inserted == len(b.recs) {
		return b.recs, nil
	}
	stored, err := s.storedEventIDs(ctx, tx, s.q.eventIDLookupBefore, []any{before}, b.ids)
	if err != nil {
		return nil, fmt.Errorf("look up event ids: %w", err)
	}
	return withoutStored(b.recs, stored), nil
}

// withoutStored is recs minus those whose event id is in stored.
func withoutStored(recs []preparedRecord, stored map[string]struct{}) []preparedRecord {
	if len(stored) == 0 {
		return recs
	}
	keep := make([]preparedRecord, 0, len(recs)-len(stored))
	for _, r := range recs {
		if _, ok := stored[r.eventID]; !ok {
			keep = append(keep, r)
		}
	}
	return keep
}

// storedEventIDs returns which of ids the logs table already holds, with
// the IN lists of q, each of up to maxLookupIDs padded to a power of two by
// repeating an id; lead are the parameters before the list.
func (s *Store) storedEventIDs(ctx context.Context, tx *sql.Tx, q *multiRow, lead []any, ids []string) (map[string]struct{}, error) {
	var found map[string]struct{}
	args := make([]any, 0, len(lead)+min(len(ids), maxLookupIDs))
	for len(ids) > 0 {
		n := min(len(ids), maxLookupIDs)
		size := 1
		for size < n {
			size <<= 1
		}
		args = append(args[:0], lead...)
		for _, id := range ids[:n] {
			args = append(args, id)
		}
		for len(args) < len(lead)+size {
			args = append(args, ids[0])
		}
		ids = ids[n:]
		st, err := s.txStmt(ctx, tx, q.sql(size))
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(ctx, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			if found == nil {
				found = make(map[string]struct{})
			}
			found[id] = struct{}{}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// insertLogs writes recs with multi-row INSERTs in power-of-two chunks and
// returns how many rows were inserted.
func (s *Store) insertLogs(ctx context.Context, tx *sql.Tx, recs []preparedRecord) (int, error) {
	inserted := 0
	args := make([]any, 0, min(len(recs), s.d.maxInsertRows())*logInsertCols)
	for _, n := range chunks(len(recs), s.d.maxInsertRows()) {
		args = args[:0]
		for i := range recs[:n] {
			args = append(args, recs[i].logArgs[:]...)
		}
		recs = recs[n:]
		st, err := s.txStmt(ctx, tx, s.q.logInsert.sql(n))
		if err != nil {
			return inserted, err
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return inserted, err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return inserted, err
		}
		inserted += int(affected)
	}
	return inserted, nil
}

// foldedCredentials is a batch's credential attempts folded by dedup key:
// one upsert row per key carrying the number of attempts, and one entry per
// key with the attempts, and the seen window, that the batch adds.
type foldedCredentials struct {
	out  []model.Credential
	rows [][credentialInsertCols]any
}

// foldCredentials folds the credential attempts of recs by dedup key, so a
// batch writes one upsert row per key instead of one per attempt: most of
// what keeps credential-heavy traffic (brute force) at full ingest speed.
func foldCredentials(recs []preparedRecord) foldedCredentials {
	n := 0
	for i := range recs {
		if recs[i].cred != nil {
			n++
		}
	}
	if n == 0 {
		return foldedCredentials{}
	}
	f := foldedCredentials{out: make([]model.Credential, 0, n)}
	// rows are copies: folding must not change the prepared records, which
	// a retried commit, or a refold without redelivered records, reuses.
	f.rows = make([][credentialInsertCols]any, 0, n)
	byKey := make(map[credentialKey]int, n)
	for _, r := range recs {
		if r.cred == nil {
			continue
		}
		c := r.cred
		k := credentialKey{c.AttackerIP, c.DeckyName, c.Service, c.SecretKind, c.SecretSHA256, c.PrincipalKey}
		i, seen := byKey[k]
		if !seen {
			byKey[k] = len(f.out)
			agg := *c
			agg.AttemptCount = 1
			f.out = append(f.out, agg)
			f.rows = append(f.rows, *r.credArg)
			continue
		}
		agg, row := &f.out[i], &f.rows[i]
		agg.AttemptCount++
		row[credArgAttempts] = agg.AttemptCount
		if c.FirstSeen.Before(agg.FirstSeen) {
			agg.FirstSeen, row[credArgFirstSeen] = c.FirstSeen, r.credArg[credArgFirstSeen]
		}
		if c.LastSeen.After(agg.LastSeen) {
			agg.LastSeen, row[credArgLastSeen] = c.LastSeen, r.credArg[credArgLastSeen]
		}
		if c.Outcome != "" {
			agg.Outcome, row[credArgOutcome] = c.Outcome, r.credArg[credArgOutcome]
		}
	}
	return f
}

// upsertCredentials writes folded credential rows with multi-row upserts
// that add each key's attempt count to the stored one.
func (s *Store) upsertCredentials(ctx context.Context, tx *sql.Tx, rows [][credentialInsertCols]any) error {
	args := make([]any, 0, min(len(rows), s.d.maxInsertRows())*credentialInsertCols)
	for _, n := range chunks(len(rows), s.d.maxInsertRows()) {
		args = args[:0]
		for i := range rows[:n] {
			args = append(args, rows[i][:]...)
		}
		rows = rows[n:]
		st, err := s.txStmt(ctx, tx, s.q.credential.sql(n))
		if err != nil {
			return err
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// credentialKey is the credentials dedup key uq_credentials_dedup.
type credentialKey struct {
	attackerIP, decky, service, kind, sha256, principal string
}

// insertBounties writes the bounty rows of recs with multi-row
// insert-or-ignore statements and returns how many rows were new.
func (s *Store) insertBounties(ctx context.Context, tx *sql.Tx, recs []preparedRecord) (int, error) {
	var rows [][bountyInsertCols]any
	for _, r := range recs {
		for _, b := range r.bounty {
			if !s.bounties.seenRow(&b) {
				rows = append(rows, b)
			}
		}
	}
	inserted := 0
	args := make([]any, 0, min(len(rows), s.d.maxInsertRows())*bountyInsertCols)
	for _, n := range chunks(len(rows), s.d.maxInsertRows()) {
		args = args[:0]
		for i := range rows[:n] {
			args = append(args, rows[i][:]...)
		}
		rows = rows[n:]
		st, err := s.txStmt(ctx, tx, s.q.bountyInsert.sql(n))
		if err != nil {
			return inserted, err
		}
		res, err := st.ExecContext(ctx, args...)
		if err != nil {
			return inserted, err
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return inserted, err
		}
		inserted += int(affected)
	}
	return inserted, nil
}
