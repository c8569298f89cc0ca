package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/decnet/decnet/internal/store"
)

// Dialect names accepted by Options.Dialect.
const (
	DialectSQLite = "sqlite"
	DialectMySQL  = "mysql"
)

// Options configures Open.
type Options struct {
	// Dialect is DialectSQLite or DialectMySQL.
	Dialect string
	// DSN is a file path for SQLite (its directory must exist) or a
	// go-sql-driver DSN for MySQL ("user:pass@tcp(host:3306)/db").
	DSN string
	// MaxOpenConns caps the pool; zero picks a per-dialect default.
	MaxOpenConns int
	// Logger receives migration and retry notices; nil discards them.
	Logger *slog.Logger
	// Now is the clock used for revocation pruning and default updated_at
	// stamps; nil means time.Now.
	Now func() time.Time
}

// Store implements the repository interfaces of package store over one SQL
// database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	d   dialect
	log *slog.Logger
	now func() time.Time
	q   queries

	// writeMu serialises write transactions inside this process when the
	// dialect has a single writer (SQLite): writers then queue on a mutex
	// instead of polling SQLite's busy handler, which sleeps in steps of
	// up to 100 ms and wastes most of the ingest budget under contention.
	writeMu sync.Mutex

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt

	// ingestReady is set once the ingest statements are cached.
	ingestReady atomic.Bool
	bounties    bountyCache
	logTotal    logTotal
}

// Interface guards: *Store implements every repository of package store.
var (
	_ store.StateRepository      = (*Store)(nil)
	_ store.IngestRepository     = (*Store)(nil)
	_ store.LogRepository        = (*Store)(nil)
	_ store.CredentialRepository = (*Store)(nil)
	_ store.BountyRepository     = (*Store)(nil)
	_ store.AttackerRepository   = (*Store)(nil)
	_ store.UserRepository       = (*Store)(nil)
)

// Open connects to the database described by o and pings it. It does not
// migrate; call Migrate once after Open. An unreachable database yields an
// error naming the dialect and the DSN with its password redacted.
func Open(ctx context.Context, o Options) (*Store, error) {
	var d dialect
	switch o.Dialect {
	case DialectSQLite:
		d = sqliteDialect{}
	case DialectMySQL:
		d = mysqlDialect{}
	default:
		return nil, fmt.Errorf("sqlstore: unknown dialect %q (want %q or %q)", o.Dialect, DialectSQLite, DialectMySQL)
	}
	if o.DSN == "" {
		return nil, fmt.Errorf("sqlstore: empty %s DSN", o.Dialect)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	db, err := d.open(o.DSN, log)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s %s: %w", o.Dialect, RedactDSN(o.Dialect, o.DSN), err)
	}
	conns := o.MaxOpenConns
	if conns <= 0 {
		conns = d.defaultMaxConns()
	}
	db.SetMaxOpenConns(conns)
	// Idle connections keep their prepared statements; letting the pool
	// shrink below its cap would re-prepare the ingest statements.
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(d.connMaxLifetime())
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		// The cause's text is what an operator needs (refused, access
		// denied, unknown database), so it is kept; ErrUnavailable is
		// attached for callers without appearing in the message.
		return nil, unavailableError{fmt.Errorf("database unreachable: %s %s: %w", o.Dialect, RedactDSN(o.Dialect, o.DSN), err)}
	}
	return &Store{
		db:       db,
		d:        d,
		log:      log.With("component", "sqlstore", "dialect", d.name()),
		now:      now,
		q:        buildQueries(d),
		stmts:    make(map[string]*sql.Stmt),
		bounties: newBountyCache(),
	}, nil
}

// Close releases the cached statements and the connection pool.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	var errs []error
	for k, st := range s.stmts {
		errs = append(errs, st.Close())
		delete(s.stmts, k)
	}
	s.stmtMu.Unlock()
	errs = append(errs, s.db.Close())
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Dialect returns DialectSQLite or DialectMySQL.
func (s *Store) Dialect() string { return s.d.name() }

// DB exposes the pool for tests and benchmarks; production code goes through
// the repository methods.
func (s *Store) DB() *sql.DB { return s.db }

// RedactDSN returns dsn with any password replaced by "***", for logs and
// error messages. SQLite DSNs are paths and carry no secret.
func RedactDSN(dialect, dsn string) string {
	if dialect == DialectSQLite {
		return dsn
	}
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		if err != nil || u.User == nil {
			return dsn
		}
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "***")
			// url escapes the '*' placeholder; undo it for readability.
			return strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
		}
		return dsn
	}
	// go-sql-driver form [user[:password]@][net[(addr)]]/dbname[?params]:
	// like the driver, take the last '/' as the database separator and the
	// last '@' before it as the end of the credentials, so a password may
	// itself contain '@' or ':'.
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		slash = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:slash], '@')
	if at < 0 {
		return dsn
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 {
		return dsn
	}
	return dsn[:colon+1] + "***" + dsn[at:]
}

// prepare caches a statement for each query not cached yet. It runs
// outside transactions: preparing on the pool needs a free connection.
func (s *Store) prepare(ctx context.Context, queries ...string) error {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	for _, q := range queries {
		if _, ok := s.stmts[q]; ok {
			continue
		}
		st, err := s.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.stmts[q] = st
	}
	return nil
}

// txStmt returns query's statement bound to tx: the cached one, which
// database/sql re-prepares once per pooled connection, or else one prepared
// on tx alone. It never prepares on the pool, which would wait for a free
// connection while tx holds one and deadlock a pool of one.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	s.stmtMu.Unlock()
	if !ok {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, st), nil
}

// lockWrites takes the in-process writer lock when the dialect has a single
// writer, and returns its release.
func (s *Store) lockWrites() func() {
	if !s.d.singleWriter() {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

// wrap decorates a non-nil error with the method and its key argument, so
// callers see "sqlstore: GetUserByUUID(\"x\"): not found".
func wrap(err *error, format string, args ...any) {
	if *err == nil {
		return
	}
	if unavailable(*err) && !errors.Is(*err, store.ErrUnavailable) {
		*err = fmt.Errorf("sqlstore: "+format+": %w: %w", append(args, store.ErrUnavailable, *err)...)
		return
	}
	*err = fmt.Errorf("sqlstore: "+format+": %w", append(args, *err)...)
}

// unavailableError is an error that also matches store.ErrUnavailable.
type unavailableError struct{ error }

func (e unavailableError) Unwrap() []error { return []error{e.error, store.ErrUnavailable} }

// unavailable reports errors that mean the database cannot be reached right
// now, for either driver: network failures, dropped connections, SQLite I/O
// and lock-timeout codes.
func unavailable(err error) bool {
	var netErr net.Error
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	switch sqliteCode(err) & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_FULL:
		return true
	}
	return false
}

// rollback ends tx after a failure; the original error is what matters, and
// a rollback after a failed commit reports ErrTxDone.
func rollback(tx *sql.Tx) { _ = tx.Rollback() }
