package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/decnet/decnet/internal/model"
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

// deployINI deploys the fleet ini describes through the API, as an
// operator would, and waits until every lifecycle the deploy started has
// succeeded. It returns the lifecycle ids.
func deployINI(t *testing.T, a *App, ini string) []string {
	t.Helper()
	base := a.APIURL()
	tok := login(t, base, "admin", testAdminPassword)
	resp, body := apiJSON(t, http.MethodPost, base+"/deckies/deploy", tok, map[string]any{"ini_content": ini})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("deploy: %d %v", resp.StatusCode, body)
	}
	raw, _ := body["lifecycle_ids"].([]any)
	var ids []string
	for _, id := range raw {
		ids = append(ids, id.(string))
		if row := waitLifecycle(t, base, tok, id.(string)); row["status"] != model.LifecycleSucceeded {
			t.Fatalf("deploy lifecycle = %v", row)
		}
	}
	return ids
}

// waitServing waits until each of the decky's services listens and
// accepts connections, and returns their addresses by service: a
// succeeded lifecycle means the decky is planned, not yet that every
// listener is up.
func waitServing(t *testing.T, a *App, decky string, services ...string) map[string]string {
	t.Helper()
	addr := map[string]string{}
	for _, svc := range services {
		checkFor(t, 30*time.Second, func() error {
			if addr[svc] = servicePort(a, decky, svc); addr[svc] == "" || !answers(addr[svc]) {
				return fmt.Errorf("%s of %s not answering (%q)", svc, decky, addr[svc])
			}
			return nil
		})
	}
	return addr
}
