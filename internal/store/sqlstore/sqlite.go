package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteParams are appended to every SQLite DSN. As DSN parameters they run
// on each new pooled connection, not just the first one:
//   - WAL, so readers never block the writer;
//   - synchronous=NORMAL: no fsync per commit, durable at each checkpoint,
//     never corrupt;
//   - a 30 s busy timeout for writers in other processes;
//   - foreign keys, which SQLite leaves off per connection;
//   - temp_store=MEMORY, so the statement journal a multi-row INSERT keeps
//     stays off disk;
//   - wal_autocheckpoint of 16384 pages (64 MiB at 4 KiB pages) instead of
//     1000: an ingest batch dirties a few hundred scattered index pages, so
//     the default checkpointed, and fsynced, almost every batch;
//     BenchmarkCommitBatch gains about 15%, at the price of a larger WAL file
//     and a longer pause on the commit that runs the checkpoint;
//   - a page cache of up to 32 MiB per connection instead of 2 MiB, filled
//     only as pages are read: the identity clusterer's tick reads and
//     rewrites every attackers row, and its first tick over 100 000 rows
//     took 5.0–5.3 s with the default against 3.5–3.6 s (ingest unchanged);
//   - BEGIN IMMEDIATE, so a write transaction takes the write lock up front
//     instead of failing with SQLITE_BUSY when it upgrades from a read.
const sqliteParams = "_pragma=busy_timeout(30000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=temp_store(MEMORY)" +
	"&_pragma=wal_autocheckpoint(16384)" +
	"&_pragma=cache_size(-32768)" +
	"&_txlock=immediate"

// sqliteTimeLayout is the stored timestamp form: fixed width, so comparing
// the text compares the times.
const sqliteTimeLayout = "2006-01-02 15:04:05.000000"

type sqliteDialect struct{}

func (sqliteDialect) name() string { return DialectSQLite }

func (sqliteDialect) open(dsn string, _ *slog.Logger) (*sql.DB, error) {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return sql.Open("sqlite", dsn+sep+sqliteParams)
}

// defaultMaxConns leaves room for API readers next to the one writer; WAL
// lets them all read while a batch commits.
func (sqliteDialect) defaultMaxConns() int { return 8 }

func (sqliteDialect) connMaxLifetime() time.Duration { return 0 }

func (sqliteDialect) singleWriter() bool { return true }

func (sqliteDialect) migrationDir() string { return "migrations/sqlite" }

func (sqliteDialect) schemaMigrationsDDL() string {
	return "CREATE TABLE IF NOT EXISTS schema_migrations (" +
		"version INTEGER NOT NULL PRIMARY KEY, " +
		"name TEXT NOT NULL, " +
		"applied_at TEXT NOT NULL) STRICT"
}

// lockSchema has nothing to take: each migration runs in a BEGIN IMMEDIATE
// transaction that re-checks schema_migrations, and SQLite's file lock
// serialises those across connections and processes.
func (sqliteDialect) lockSchema(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}

func (sqliteDialect) ddlInTx() bool { return true }

func (sqliteDialect) insertIgnoreVerb() string { return "INSERT INTO" }
func (sqliteDialect) insertIgnoreTail() string { return " ON CONFLICT DO NOTHING" }

func (sqliteDialect) onConflictUpdate(cols string) string {
	return " ON CONFLICT (" + cols + ") DO UPDATE SET "
}

func (sqliteDialect) excluded(col string) string  { return "excluded." + col }
func (sqliteDialect) greatest(a, b string) string { return "max(" + a + ", " + b + ")" }
func (sqliteDialect) least(a, b string) string    { return "min(" + a + ", " + b + ")" }

// logInsertVerb is INSERT OR IGNORE: a redelivered event is skipped by the
// insert itself, and a statement that cannot abort needs no statement
// journal, which was a tenth of the cost of a multi-row logs insert.
func (sqliteDialect) logInsertVerb() string { return "INSERT OR IGNORE INTO" }

func (sqliteDialect) logInsertSkipsStored() bool { return true }

func (sqliteDialect) timeArg(t time.Time) any { return formatSQLiteTime(t) }

// formatSQLiteTime is t.UTC().Format(sqliteTimeLayout) without the layout
// interpreter: it runs for every stored timestamp on the ingest path, where
// time.Format showed up at several percent of the CPU.
func formatSQLiteTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if year < 0 || year > 9999 {
		return t.Format(sqliteTimeLayout)
	}
	var b [len(sqliteTimeLayout)]byte
	put := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, 4, year)
	b[4] = '-'
	put(5, 2, int(month))
	b[7] = '-'
	put(8, 2, day)
	b[10] = ' '
	put(11, 2, hour)
	b[13] = ':'
	put(14, 2, minute)
	b[16] = ':'
	put(17, 2, sec)
	b[19] = '.'
	put(20, 6, t.Nanosecond()/1000)
	return string(b[:])
}

// maxInsertRows keeps a logs INSERT at 1 280 parameters, far below SQLite's
// 32 766; 8 and 32 rows a statement measured 10-30% slower.
func (sqliteDialect) maxInsertRows() int { return 128 }

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func (sqliteDialect) isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (sqliteDialect) isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// retryable is false: writers are serialised by the immediate transaction
// lock, so no transaction can lose a race that a re-run would win.
func (sqliteDialect) retryable(error) bool { return false }
