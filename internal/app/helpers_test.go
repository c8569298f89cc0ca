package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// freshMySQLDatabase creates an empty database on the server named by dsn and
// returns a DSN for it; the database is dropped when the test ends.
func freshMySQLDatabase(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("DECNET_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := fmt.Sprintf("decnet_app_%d", time.Now().UnixNano())
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			t.Logf("drop %s: %v", name, err)
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// scratchNATSPrefix returns a subject prefix unique to this test run and
// deletes the event stream it gets on the external server when the test ends.
func scratchNATSPrefix(t *testing.T, url string) string {
	t.Helper()
	prefix := fmt.Sprintf("apptest%d", time.Now().UnixNano())
	t.Cleanup(func() {
		nc, err := nats.Connect(url)
		if err != nil {
			t.Logf("cleanup: connect %s: %v", url, err)
			return
		}
		defer nc.Close()
		js, err := jetstream.New(nc)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, name := range []string{prefix + "_EVENTS", "KV_" + prefix + "_LEASES"} {
			if err := js.DeleteStream(ctx, name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				t.Logf("cleanup: delete stream %s: %v", name, err)
			}
		}
	})
	return prefix
}
