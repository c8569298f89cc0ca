package sqlstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/store"
)

func TestRedactDSNHidesOnlyThePassword(t *testing.T) {
	tests := []struct{ dialect, dsn, want string }{
		{DialectMySQL, "root:s3cret@tcp(127.0.0.1:3306)/decnet?parseTime=true", "root:***@tcp(127.0.0.1:3306)/decnet?parseTime=true"},
		{DialectMySQL, "root@tcp(127.0.0.1:3306)/decnet", "root@tcp(127.0.0.1:3306)/decnet"},
		{DialectMySQL, "u:p@ss:w@rd@unix(/run/mysqld.sock)/db", "u:***@unix(/run/mysqld.sock)/db"},
		{DialectMySQL, "u:pw@/db", "u:***@/db"},
		{DialectMySQL, "/db", "/db"},
		{DialectMySQL, "mysql://u:pw@db.example:3306/decnet", "mysql://u:***@db.example:3306/decnet"},
		{DialectSQLite, "/var/lib/decnet/decnet.db", "/var/lib/decnet/decnet.db"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dialect, tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q, %q) = %q; want %q", tt.dialect, tt.dsn, got, tt.want)
		}
	}
}

func TestOpenUnreachableMySQLNamesTheRedactedDSN(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Port 1 on loopback refuses at once; no server is needed.
	_, err := Open(ctx, Options{Dialect: DialectMySQL, DSN: "root:topsecret@tcp(127.0.0.1:1)/x"})
	if err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "database unreachable: mysql root:***@tcp(127.0.0.1:1)/x: ") || strings.Contains(msg, "topsecret") {
		t.Errorf("error = %q; want it to name the redacted DSN and not the password", msg)
	}
}

func TestOpenRejectsAnUnknownDialectAndAnEmptyDSN(t *testing.T) {
	for _, o := range []Options{{Dialect: "postgres", DSN: "x"}, {Dialect: DialectSQLite}} {
		if s, err := Open(t.Context(), o); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded; want an error", o)
		}
	}
}

func TestOpenSQLiteSetsThePragmasOnEveryConnection(t *testing.T) {
	s := openDSN(t, DialectSQLite, freshDSN(t, DialectSQLite), Options{})
	// Hold several connections at once so the checks run on distinct ones.
	ctx := t.Context()
	for i := range 3 {
		conn, err := s.DB().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var mode string
		var sync, fk, busy int
		for _, q := range []struct {
			sql  string
			dest any
		}{{"PRAGMA journal_mode", &mode}, {"PRAGMA synchronous", &sync}, {"PRAGMA foreign_keys", &fk}, {"PRAGMA busy_timeout", &busy}} {
			if err := conn.QueryRowContext(ctx, q.sql).Scan(q.dest); err != nil {
				t.Fatal(err)
			}
		}
		if mode != "wal" || sync != 1 || fk != 1 || busy != 30000 {
			t.Errorf("connection %d: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d; want wal 1 1 30000",
				i, mode, sync, fk, busy)
		}
	}
}

func TestUnreachableDatabaseErrorsAreMarkedUnavailable(t *testing.T) {
	s, err := Open(t.Context(), Options{Dialect: DialectMySQL, DSN: "decnet:pw@tcp(127.0.0.1:1)/decnet"})
	if err == nil {
		s.Close()
		t.Fatal("open succeeded against a closed port")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("error %v is not store.ErrUnavailable", err)
	}
}
