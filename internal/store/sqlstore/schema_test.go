package sqlstore

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantTables is every table the migrations create.
var wantTables = []string{"attacker_behavior", "attacker_identities", "attackers", "bounty", "campaigns", "credential_reuse", "credentials", "decky_lifecycle", "fleet_deckies", "logs", "profiler_state", "revoked_tokens",
	"schema_migrations", "state", "ttp_rule", "ttp_rule_state", "ttp_tag", "users", "webhook_subscriptions"}

// column is what the dialect comparison checks of a column.
type column struct {
	Nullable bool
}

// index is what the dialect comparison checks of a secondary index.
type index struct {
	Unique  bool
	Columns string
}

// schema is the catalogue of one database, as comparable values.
type schema struct {
	Columns map[string]map[string]column // table → column
	Indexes map[string]map[string]index  // table → index name
}

func readSchema(t *testing.T, s *Store) schema {
	t.Helper()
	ctx := t.Context()
	var sc schema
	var err error
	if s.Dialect() == DialectSQLite {
		sc, err = readSQLiteSchema(ctx, s.DB())
	} else {
		sc, err = readMySQLSchema(ctx, s.DB())
	}
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func readSQLiteSchema(ctx context.Context, db *sql.DB) (schema, error) {
	sc := schema{Columns: map[string]map[string]column{}, Indexes: map[string]map[string]index{}}
	tables, err := queryStrings(ctx, db,
		"SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
	if err != nil {
		return sc, err
	}
	for _, tbl := range tables {
		sc.Columns[tbl] = map[string]column{}
		sc.Indexes[tbl] = map[string]index{}
		rows, err := db.QueryContext(ctx, "SELECT name, \"notnull\", pk FROM pragma_table_info(?)", tbl)
		if err != nil {
			return sc, err
		}
		for rows.Next() {
			var name string
			var notNull, pk int
			if err := rows.Scan(&name, &notNull, &pk); err != nil {
				rows.Close()
				return sc, err
			}
			// A rowid alias (INTEGER PRIMARY KEY) can never be NULL even
			// though SQLite reports it nullable.
			sc.Columns[tbl][name] = column{Nullable: notNull == 0 && pk == 0}
		}
		rows.Close()
		rows, err = db.QueryContext(ctx,
			"SELECT il.name, il.\"unique\", ii.name FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii "+
				"WHERE il.origin = 'c' ORDER BY il.name, ii.seqno", tbl)
		if err != nil {
			return sc, err
		}
		for rows.Next() {
			var name, col string
			var unique bool
			if err := rows.Scan(&name, &unique, &col); err != nil {
				rows.Close()
				return sc, err
			}
			ix := sc.Indexes[tbl][name]
			ix.Unique = unique
			ix.Columns = strings.TrimPrefix(ix.Columns+","+col, ",")
			sc.Indexes[tbl][name] = ix
		}
		rows.Close()
	}
	return sc, nil
}

func readMySQLSchema(ctx context.Context, db *sql.DB) (schema, error) {
	sc := schema{Columns: map[string]map[string]column{}, Indexes: map[string]map[string]index{}}
	rows, err := db.QueryContext(ctx, "SELECT table_name, column_name, is_nullable FROM information_schema.columns "+
		"WHERE table_schema = DATABASE()")
	if err != nil {
		return sc, err
	}
	for rows.Next() {
		var tbl, col, nullable string
		if err := rows.Scan(&tbl, &col, &nullable); err != nil {
			rows.Close()
			return sc, err
		}
		if sc.Columns[tbl] == nil {
			sc.Columns[tbl] = map[string]column{}
			sc.Indexes[tbl] = map[string]index{}
		}
		sc.Columns[tbl][col] = column{Nullable: nullable == "YES"}
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, "SELECT table_name, index_name, non_unique, column_name FROM information_schema.statistics "+
		"WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY' ORDER BY table_name, index_name, seq_in_index")
	if err != nil {
		return sc, err
	}
	defer rows.Close()
	for rows.Next() {
		var tbl, name, col string
		var nonUnique int
		if err := rows.Scan(&tbl, &name, &nonUnique, &col); err != nil {
			return sc, err
		}
		ix := sc.Indexes[tbl][name]
		ix.Unique = nonUnique == 0
		ix.Columns = strings.TrimPrefix(ix.Columns+","+col, ",")
		sc.Indexes[tbl][name] = ix
	}
	return sc, rows.Err()
}

func queryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func appliedVersions(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.DB().QueryContext(t.Context(), "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func embeddedVersions(t *testing.T, name string) []int {
	t.Helper()
	var d dialect = sqliteDialect{}
	if name == DialectMySQL {
		d = mysqlDialect{}
	}
	migs, err := loadMigrations(d.migrationDir())
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, m := range migs {
		out = append(out, m.version)
	}
	return out
}

func TestMigrateCreatesEveryTableAndIsIdempotent(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			s := openDSN(t, d, freshDSN(t, d), Options{})
			for range 2 {
				if err := s.Migrate(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			sc := readSchema(t, s)
			got := slices.Sorted(maps.Keys(sc.Columns))
			if diff := cmp.Diff(wantTables, got); diff != "" {
				t.Errorf("tables (-want +got):\n%s", diff)
			}
			want := embeddedVersions(t, d)
			if diff := cmp.Diff(want, appliedVersions(t, s)); diff != "" {
				t.Errorf("schema_migrations after two runs (-want +got):\n%s", diff)
			}
			v, err := s.SchemaVersion(t.Context())
			if err != nil || v != want[len(want)-1] {
				t.Errorf("SchemaVersion = %d, %v; want %d", v, err, want[len(want)-1])
			}
		})
	}
}

func TestConcurrentMigrateFromTwoStoresAppliesEachVersionOnce(t *testing.T) {
	for _, d := range allDialects {
		t.Run(d, func(t *testing.T) {
			dsn := freshDSN(t, d)
			stores := []*Store{openDSN(t, d, dsn, Options{}), openDSN(t, d, dsn, Options{})}
			var wg sync.WaitGroup
			errs := make([]error, len(stores))
			for i, s := range stores {
				wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("store %d: Migrate: %v", i, err)
				}
			}
			if diff := cmp.Diff(embeddedVersions(t, d), appliedVersions(t, stores[0])); diff != "" {
				t.Errorf("schema_migrations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDialectsDeclareTheSameColumnsAndIndexes(t *testing.T) {
	lite := openDSN(t, DialectSQLite, freshDSN(t, DialectSQLite), Options{})
	my := openDSN(t, DialectMySQL, freshDSN(t, DialectMySQL), Options{})
	for _, s := range []*Store{lite, my} {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	liteSchema, mySchema := readSchema(t, lite), readSchema(t, my)
	// Guard against a catalogue reader that sees nothing on both sides.
	want := index{Unique: true, Columns: "attacker_ip,decky_name,service,secret_kind,secret_sha256,principal_key"}
	if got := liteSchema.Indexes["credentials"]["uq_credentials_dedup"]; got != want {
		t.Fatalf("sqlite uq_credentials_dedup = %+v; want %+v", got, want)
	}
	if diff := cmp.Diff(liteSchema, mySchema); diff != "" {
		t.Errorf("schema (-sqlite +mysql):\n%s", diff)
	}
	if diff := cmp.Diff(embeddedVersions(t, DialectSQLite), embeddedVersions(t, DialectMySQL)); diff != "" {
		t.Errorf("migration versions (-sqlite +mysql):\n%s", diff)
	}
}

func TestSplitStatementsCutsAtLineEndSemicolonsAndDropsComments(t *testing.T) {
	body := "-- header; not a statement\nCREATE TABLE a (\n  x TEXT -- inline; kept\n);\n\nCREATE INDEX i ON a (x);\nSELECT 1"
	got := splitStatements(body)
	want := []string{"CREATE TABLE a (\n  x TEXT -- inline; kept\n)", "CREATE INDEX i ON a (x)", "SELECT 1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEmbeddedMigrationsAreNumberedFromOneWithoutGaps(t *testing.T) {
	for _, d := range allDialects {
		vs := embeddedVersions(t, d)
		for i, v := range vs {
			if v != i+1 {
				t.Errorf("%s: migration %d has version %d; want %d", d, i, v, i+1)
			}
		}
		if len(vs) == 0 {
			t.Errorf("%s: no migrations embedded", d)
		}
	}
}
