// Package sqlstore implements every repository interface of package store
// over database/sql, for SQLite (modernc.org/sqlite, the embedded default)
// and MySQL/MariaDB (github.com/go-sql-driver/mysql).
//
// The SQL is hand-written and shared; the small unexported dialect type holds
// only what differs between the two engines (insert-or-ignore and upsert
// syntax, time encoding, the migration lock, error classification). The
// schema lives in numbered, embedded migration files per dialect and is
// applied by (*Store).Migrate under a lock, so several processes may start
// against the same database at once.
//
// Timestamps are stored in UTC with microsecond precision: DATETIME(6) on
// MySQL, and on SQLite TEXT in the fixed-width form
// "YYYY-MM-DD HH:MM:SS.ffffff". Text was chosen over integer nanoseconds
// because it sorts like time, reads the same in the sqlite3 shell as in
// MySQL, matches the original Python store's format, and carries exactly the
// precision MySQL keeps, so a row round-trips identically on both engines.
//
// String columns have fixed limits (see the max* constants). Ingested values
// are cut to them, on a UTF-8 boundary and with invalid UTF-8 replaced,
// before they reach the database: attackers choose most of these strings,
// and on MySQL an over-long or malformed one would otherwise fail the whole
// batch and turn it into a poison message redelivered forever. Values an
// operator supplies (usernames, keys) are rejected instead of cut.
package sqlstore
