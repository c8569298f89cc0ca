package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one numbered schema file of a dialect.
type migration struct {
	version    int
	name       string
	statements []string
}

// loadMigrations reads dir's NNNN_name.sql files in version order.
func loadMigrations(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := make(map[int]string)
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration version %d used by %s and %s", v, prev, e.Name())
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, statements: splitStatements(string(body))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// splitStatements cuts a migration file into single statements: a statement
// ends with ';' at the end of a line, and lines starting with "--" are
// comments. Running statements one by one avoids the MySQL driver's
// multi-statement mode and makes an error name the statement that failed.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(t, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out
}

// Migrate applies the embedded migrations the database lacks, in version
// order, under the dialect's schema lock, recording each in
// schema_migrations. It is idempotent and safe to call from several
// processes at once; on SQLite each migration is one transaction.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "Migrate")
	migs, err := loadMigrations(s.d.migrationDir())
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	release, err := s.d.lockSchema(ctx, conn)
	if err != nil {
		return err
	}
	defer release()
	if _, err := conn.ExecContext(ctx, s.d.schemaMigrationsDDL()); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migs {
		if err := s.applyMigration(ctx, conn, m); err != nil {
			return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// execQuerier is what a migration runs on: the pinned connection, or a
// transaction on it when the dialect's DDL is transactional.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// applyMigration applies m unless schema_migrations already lists it. The
// check runs inside the transaction (or under the MySQL lock), so of two
// concurrent callers only one applies it.
func (s *Store) applyMigration(ctx context.Context, conn *sql.Conn, m migration) (err error) {
	var ex execQuerier = conn
	var tx *sql.Tx
	if s.d.ddlInTx() {
		if tx, err = conn.BeginTx(ctx, nil); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				rollback(tx)
			}
		}()
		ex = tx
	}
	var n int
	if err := ex.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?", m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		if tx != nil {
			return tx.Commit()
		}
		return nil
	}
	for i, st := range m.statements {
		if _, err := ex.ExecContext(ctx, st); err != nil {
			return fmt.Errorf("statement %d: %w", i+1, err)
		}
	}
	if _, err := ex.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
		m.version, m.name, s.d.timeArg(s.now())); err != nil {
		return err
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	s.log.Info("applied migration", "version", m.version, "name", m.name)
	return nil
}

// SchemaVersion returns the highest applied migration version, 0 when none.
func (s *Store) SchemaVersion(ctx context.Context) (v int, err error) {
	defer wrap(&err, "SchemaVersion")
	err = s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}
