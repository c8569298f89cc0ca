package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/decnet/decnet/internal/testenv"
)

// mysqlEnv names the DSN of a MySQL/MariaDB server for the suite, e.g.
// root@tcp(127.0.0.1:3306)/decnet_test?parseTime=true. Only the server part
// is used: the suite works in databases of its own, created and dropped here.
const mysqlEnv = "DECNET_TEST_MYSQL_DSN"

// mysqlSuite is the per-run MySQL state built by TestMain.
var mysqlSuite struct {
	cfg    *mysql.Config // server connection, no database selected
	shared string        // DSN of the migrated database shared by the suite
	err    error         // why the server could not be prepared

	migrateOnce sync.Once
	migrateErr  error
}

func TestMain(m *testing.M) {
	cleanup := setupMySQL()
	code := m.Run()
	cleanup()
	os.Exit(code)
}

// setupMySQL creates this run's shared database when a server is
// configured, so parallel runs of the package never share tables.
func setupMySQL() func() {
	dsn := os.Getenv(mysqlEnv)
	if dsn == "" {
		return func() {}
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		mysqlSuite.err = fmt.Errorf("parse %s: %w", mysqlEnv, err)
		return func() {}
	}
	cfg.DBName = ""
	mysqlSuite.cfg = cfg
	name, drop, err := createMySQLDatabase(context.Background())
	if err != nil {
		mysqlSuite.err = err
		return func() {}
	}
	mysqlSuite.shared = mysqlDSN(name)
	return drop
}

// serverDB connects to the configured server without selecting a database.
func serverDB() (*sql.DB, error) {
	conn, err := mysql.NewConnector(mysqlSuite.cfg.Clone())
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// createMySQLDatabase creates an empty database with a random name and
// returns it with its drop function.
func createMySQLDatabase(ctx context.Context) (string, func(), error) {
	db, err := serverDB()
	if err != nil {
		return "", nil, err
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	// The name is built from hex digits only, and identifiers cannot be
	// placeholders.
	name := "decnet_t_" + hex.EncodeToString(rnd[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create test database on %s: %w", RedactDSN(DialectMySQL, os.Getenv(mysqlEnv)), err)
	}
	return name, func() {
		_, _ = db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name)
		db.Close()
	}, nil
}

func mysqlDSN(dbName string) string {
	c := mysqlSuite.cfg.Clone()
	c.DBName = dbName
	return c.FormatDSN()
}

// requireMySQL skips (or, with DECNET_REQUIRE_EXTERNAL=1, fails) t when no
// server is configured, and fails it when the configured one is unusable.
func requireMySQL(t testing.TB) {
	t.Helper()
	if os.Getenv(mysqlEnv) == "" {
		testenv.Missing(t, "MySQL/MariaDB not configured: set "+mysqlEnv)
	}
	if mysqlSuite.err != nil {
		t.Fatalf("MySQL test server: %v", mysqlSuite.err)
	}
}

// freshDSN returns a DSN naming an empty database of the dialect, removed
// when t ends.
func freshDSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == DialectSQLite {
		return filepath.Join(t.TempDir(), "decnet.db")
	}
	requireMySQL(t)
	name, drop, err := createMySQLDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	return mysqlDSN(name)
}

func openDSN(t testing.TB, dialect, dsn string, o Options) *Store {
	t.Helper()
	o.Dialect, o.DSN = dialect, dsn
	s, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// suiteTables lists the tables in child-before-parent order, the order the
// shared MySQL database is emptied in.
var suiteTables = []string{"ttp_tag", "ttp_rule_state", "ttp_rule", "attacker_behavior", "credential_reuse", "credentials", "attackers", "attacker_identities", "campaigns", "bounty", "logs", "state", "users", "revoked_tokens", "fleet_deckies", "webhook_subscriptions", "decky_lifecycle"}

// openStore returns a migrated, empty store of the dialect: a new SQLite
// file, or this run's shared MySQL database with its rows deleted.
func openStore(t testing.TB, dialect string, o Options) *Store {
	t.Helper()
	if dialect == DialectSQLite {
		s := openDSN(t, dialect, freshDSN(t, dialect), o)
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return s
	}
	requireMySQL(t)
	s := openDSN(t, dialect, mysqlSuite.shared, o)
	mysqlSuite.migrateOnce.Do(func() { mysqlSuite.migrateErr = s.Migrate(context.Background()) })
	if mysqlSuite.migrateErr != nil {
		t.Fatal(mysqlSuite.migrateErr)
	}
	for _, tbl := range suiteTables {
		if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM "+tbl); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

var allDialects = []string{DialectSQLite, DialectMySQL}

// eachDialect runs fn as a subtest per dialect with a fresh store. MySQL
// subtests share one database, so they never run in parallel.
func eachDialect(t *testing.T, fn func(t *testing.T, s *Store)) {
	eachDialectWith(t, Options{}, fn)
}

func eachDialectWith(t *testing.T, o Options, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) { fn(t, openStore(t, d, o)) })
	}
}

// clock is a settable time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
