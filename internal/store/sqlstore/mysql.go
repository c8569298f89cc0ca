package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-sql-driver/mysql"
)

// schemaLockName is the advisory lock the original Python store took around
// schema changes; keeping the name lets a mixed fleet serialise correctly.
const schemaLockName = "decnet_schema_init"

// schemaLockWait is how long Migrate waits for another process's migration.
const schemaLockWait = 30

// mysqlDialTimeout bounds connecting to an address that silently drops
// packets; the driver otherwise waits for the OS TCP timeout.
const mysqlDialTimeout = 10 * time.Second

// MySQL error numbers the store tells apart.
const (
	erDupEntry         = 1062
	erDupEntryKeyName  = 1586
	erLockWaitTimeout  = 1205
	erLockDeadlock     = 1213
	erNoReferencedRow  = 1216
	erNoReferencedRow2 = 1452
	erRowIsReferenced2 = 1451
	erRowIsReferenced  = 1217
)

// mysqlBinCollation compares bytes, as SQLite does; the server default
// (utf8mb4_general_ci) would fold "Root" and "root" into one credential.
const mysqlBinCollation = "utf8mb4_bin"

// mysqlConnLifetime and mysqlDefaultMaxOpen keep the original store's pool
// shape (recycle after an hour, 20 connections).
const (
	mysqlConnLifetime   = time.Hour
	mysqlDefaultMaxOpen = 20
)

type mysqlDialect struct{}

func (mysqlDialect) name() string { return DialectMySQL }

// open forces the settings the SQL assumes whatever the user's DSN says:
// DATETIME scanned as time.Time in UTC; a binary utf8mb4 collation, so
// comparisons are byte-exact and case-sensitive as on SQLite; and
// found-rows counting, so an UPDATE that changes nothing still reports its
// matched row. Multi-statement mode stays off: migrations are split into
// single statements instead, which keeps an injected ';' harmless.
func (mysqlDialect) open(dsn string, log *slog.Logger) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.Collation = mysqlBinCollation
	cfg.ClientFoundRows = true
	if cfg.Timeout == 0 {
		cfg.Timeout = mysqlDialTimeout
	}
	cfg.Logger = mysqlLogger{log}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// mysqlLogger routes the driver's connection-level complaints to the store's
// logger instead of the driver's global stderr logger.
type mysqlLogger struct{ log *slog.Logger }

func (l mysqlLogger) Print(v ...any) { l.log.Warn("mysql driver", "msg", fmt.Sprint(v...)) }

func (mysqlDialect) defaultMaxConns() int { return mysqlDefaultMaxOpen }

// connMaxLifetime recycles connections before server-side idle timeouts and
// load balancers cut them.
func (mysqlDialect) connMaxLifetime() time.Duration { return mysqlConnLifetime }

func (mysqlDialect) singleWriter() bool { return false }

func (mysqlDialect) migrationDir() string { return "migrations/mysql" }

func (mysqlDialect) schemaMigrationsDDL() string {
	return "CREATE TABLE IF NOT EXISTS schema_migrations (" +
		"version INT NOT NULL PRIMARY KEY, " +
		"name VARCHAR(255) NOT NULL, " +
		"applied_at DATETIME(6) NOT NULL" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
}

// lockSchema takes the named advisory lock on conn; it belongs to that
// session, so Migrate runs every statement on the same pinned connection.
func (mysqlDialect) lockSchema(ctx context.Context, conn *sql.Conn) (func(), error) {
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", schemaLockName, schemaLockWait).Scan(&got); err != nil {
		return nil, fmt.Errorf("GET_LOCK(%s): %w", schemaLockName, err)
	}
	if !got.Valid || got.Int64 != 1 {
		return nil, fmt.Errorf("GET_LOCK(%s): not granted within %ds", schemaLockName, schemaLockWait)
	}
	return func() {
		// Release even when ctx is already cancelled; a lock left behind
		// would stall every other starter for the full wait.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(rctx, "SELECT RELEASE_LOCK(?)", schemaLockName)
	}, nil
}

// ddlInTx is false: MySQL commits implicitly around DDL, so migration files
// use CREATE … IF NOT EXISTS with indexes inline, and re-running a
// half-applied one converges.
func (mysqlDialect) ddlInTx() bool { return false }

func (mysqlDialect) insertIgnoreVerb() string { return "INSERT IGNORE INTO" }
func (mysqlDialect) insertIgnoreTail() string { return "" }

// onConflictUpdate ignores cols: MySQL fires on any unique key, and every
// upsert here inserts a fresh primary key, so only the intended key can hit.
func (mysqlDialect) onConflictUpdate(string) string { return " ON DUPLICATE KEY UPDATE " }

// excluded uses VALUES(col), which MariaDB requires and MySQL 8 still
// accepts (the row-alias form is MySQL-only).
func (mysqlDialect) excluded(col string) string  { return "VALUES(" + col + ")" }
func (mysqlDialect) greatest(a, b string) string { return "GREATEST(" + a + ", " + b + ")" }
func (mysqlDialect) least(a, b string) string    { return "LEAST(" + a + ", " + b + ")" }

// logInsertVerb is a plain INSERT: a lost race on an event id must fail the
// transaction so the retry re-reads which ids are stored.
func (mysqlDialect) logInsertVerb() string { return "INSERT INTO" }

func (mysqlDialect) logInsertSkipsStored() bool { return false }

func (mysqlDialect) timeArg(t time.Time) any { return t.UTC().Truncate(time.Microsecond) }

// maxInsertRows is lower than SQLite's because the whole statement travels
// in one packet: 64 rows of 64 KiB raw lines stay under MariaDB's default
// 16 MiB max_allowed_packet.
func (mysqlDialect) maxInsertRows() int { return 64 }

func mysqlNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

func (mysqlDialect) isUniqueViolation(err error) bool {
	n := mysqlNumber(err)
	return n == erDupEntry || n == erDupEntryKeyName
}

func (mysqlDialect) isForeignKeyViolation(err error) bool {
	switch mysqlNumber(err) {
	case erNoReferencedRow, erNoReferencedRow2, erRowIsReferenced, erRowIsReferenced2:
		return true
	}
	return false
}

// retryable covers InnoDB deadlocks and lock timeouts, and a duplicate
// event id inserted by a concurrent ingester between our existence check and
// our insert; the re-run sees the committed row and skips it.
func (mysqlDialect) retryable(err error) bool {
	switch mysqlNumber(err) {
	case erLockDeadlock, erLockWaitTimeout, erDupEntry, erDupEntryKeyName:
		return true
	}
	return false
}
