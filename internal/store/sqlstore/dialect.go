package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// dialect holds only what differs between SQLite and MySQL; every other
// statement is written once, in the file of its table group.
type dialect interface {
	name() string
	// open builds the pool from a user DSN, adding the parameters the
	// store relies on (pragmas, parseTime, UTC, collation).
	open(dsn string, log *slog.Logger) (*sql.DB, error)
	defaultMaxConns() int
	connMaxLifetime() time.Duration
	// singleWriter reports whether the engine admits one writer at a time,
	// so the store queues writers in-process.
	singleWriter() bool

	// migrationDir is the embedded directory holding this dialect's files.
	migrationDir() string
	// schemaMigrationsDDL creates the bookkeeping table if it is missing.
	schemaMigrationsDDL() string
	// lockSchema serialises Migrate across processes on conn and returns
	// the release.
	lockSchema(ctx context.Context, conn *sql.Conn) (release func(), err error)
	// ddlInTx reports whether DDL is transactional, so a migration can be
	// applied atomically with its schema_migrations row.
	ddlInTx() bool

	// insertIgnoreVerb and insertIgnoreTail wrap "t (cols) VALUES (...)"
	// into an insert that silently skips rows colliding with a unique key.
	insertIgnoreVerb() string
	insertIgnoreTail() string
	// onConflictUpdate starts the upsert clause for the unique key cols;
	// assignments follow, referring to the incoming row through excluded.
	onConflictUpdate(cols string) string
	excluded(col string) string
	greatest(a, b string) string
	least(a, b string) string

	// logInsertVerb starts the multi-row logs insert.
	logInsertVerb() string
	// logInsertSkipsStored reports whether that insert skips rows whose
	// event id is stored instead of failing.
	logInsertSkipsStored() bool

	// timeArg encodes t (UTC, microseconds) as the engine stores it.
	timeArg(t time.Time) any
	// maxInsertRows caps rows per multi-row INSERT, keeping statements under
	// the engine's parameter and packet limits.
	maxInsertRows() int

	isUniqueViolation(err error) bool
	isForeignKeyViolation(err error) bool
	// retryable reports errors after which re-running the whole
	// transaction can succeed (deadlock, lost race on a unique key).
	retryable(err error) bool
}

// queries are the statements whose text depends on the dialect, built once
// at Open from constant fragments.
type queries struct {
	stateUpsert    string
	attackerUpsert string
	behaviorUpsert string
	// profileStateUpsert writes one profiler_state row.
	profileStateUpsert string
	revokeInsert       string
	credential         *multiRow
	logInsert          *multiRow
	bountyInsert       *multiRow
	eventIDLookup      *multiRow
	// eventIDLookupBefore takes the highest logs id before the batch, then
	// the ids.
	eventIDLookupBefore *multiRow
}

func buildQueries(d dialect) queries {
	return queries{
		stateUpsert:         stateUpsertSQL(d),
		attackerUpsert:      attackerUpsertSQL(d),
		behaviorUpsert:      behaviorUpsertSQL(d),
		profileStateUpsert:  profileStateUpsertSQL(d),
		revokeInsert:        d.insertIgnoreVerb() + revokeInsertBody + d.insertIgnoreTail(),
		credential:          newMultiRow(credentialInsertHead, d.onConflictUpdate(credentialDedupCols)+credentialBumpSet(d), credentialInsertCols),
		logInsert:           newMultiRow(d.logInsertVerb()+logInsertPrefix, "", logInsertCols),
		bountyInsert:        newMultiRow(d.insertIgnoreVerb()+bountyInsertHead, d.insertIgnoreTail(), bountyInsertCols),
		eventIDLookup:       newInList(eventIDLookupPrefix, eventIDLookupSuffix),
		eventIDLookupBefore: newInList(eventIDLookupBeforePrefix, eventIDLookupSuffix),
	}
}

// multiRow builds and caches statements repeating a placeholder group n
// times: multi-row INSERT values or an IN list. Sizes are powers of two (see
// chunks), so at most a dozen texts, and prepared statements, exist per kind.
type multiRow struct {
	prefix, suffix string
	group          string

	mu     sync.Mutex
	bySize map[int]string
}

// newMultiRow is "prefix (?,…),(?,…)… suffix" with cols placeholders a row.
func newMultiRow(prefix, suffix string, cols int) *multiRow {
	return &multiRow{
		prefix: prefix,
		suffix: suffix,
		group:  "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")",
		bySize: make(map[int]string),
	}
}

// newInList is "prefix ?,?,… suffix".
func newInList(prefix, suffix string) *multiRow {
	return &multiRow{prefix: prefix, suffix: suffix, group: "?", bySize: make(map[int]string)}
}

func (m *multiRow) sql(n int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q, ok := m.bySize[n]; ok {
		return q
	}
	var b strings.Builder
	b.Grow(len(m.prefix) + n*(len(m.group)+1) + len(m.suffix))
	b.WriteString(m.prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(m.group)
	}
	b.WriteString(m.suffix)
	q := b.String()
	m.bySize[n] = q
	return q
}

// chunks splits n items into power-of-two runs no larger than max (itself a
// power of two), largest first: 500 with max 128 → 128,128,128,64,32,16,4.
// Bounding the sizes bounds the statement cache.
func chunks(n, max int) []int {
	var out []int
	for n > 0 {
		c := max
		for c > n {
			c >>= 1
		}
		out = append(out, c)
		n -= c
	}
	return out
}
