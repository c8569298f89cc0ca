package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/ingest"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
	"github.com/decnet/decnet/internal/testenv"
)

const testAdminPassword = "correct-horse-battery"

// testConfig is the embedded default configuration on a temp data dir with
// every listener on a free loopback port.
func testConfig(t *testing.T, extra map[string]string) config.Config {
	t.Helper()
	env := map[string]string{
		"DECNET_DATA_DIR":       t.TempDir(),
		"DECNET_API_PORT":       "0",
		"DECNET_SYSLOG_ADDR":    "127.0.0.1:0",
		"DECNET_ADMIN_PASSWORD": testAdminPassword,
		"DECNET_LOG_LEVEL":      "warn",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// startApp runs an App without the demo fleet until the test ends. The
// demo fleet has its own tests; elsewhere it would only slow the start down
// and compete for the same loopback ports.
func startApp(t *testing.T, cfg config.Config) (*App, *bytes.Buffer) {
	t.Helper()
	out := &syncBuffer{}
	return startAppWith(t, cfg, Options{Out: out, NoDemo: true}), &out.Buffer
}

// startAppWith runs an App with o until the test ends.
func startAppWith(t *testing.T, cfg config.Config, o Options) *App {
	t.Helper()
	a, err := New(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	return a
}

type syncBuffer struct {
	mu sync.Mutex
	bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.Buffer.Write(p)
}

// checkFor polls cond until it returns nil or the deadline passes.
func checkFor(t *testing.T, total time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("condition not met within %s: %v", total, err)
}

func postJSON(t *testing.T, url, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func login(t *testing.T, base, user, pass string) string {
	t.Helper()
	resp, body := postJSON(t, base+"/auth/login", "", map[string]string{"username": user, "password": pass})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %v", resp.StatusCode, body)
	}
	tok, _ := body["access_token"].(string)
	if tok == "" {
		t.Fatalf("login returned no token: %v", body)
	}
	return tok
}

func TestUpLogsInAndReportsEveryPartHealthy(t *testing.T) {
	a, out := startApp(t, testConfig(t, nil))
	base := a.APIURL()
	if !strings.Contains(out.String(), base) {
		t.Errorf("startup output does not print the API URL %s:\n%s", base, out)
	}
	tok := login(t, base, "admin", testAdminPassword)
	req, _ := http.NewRequest(http.MethodGet, base+"/health", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, body := do(t, req)
	if resp.StatusCode != http.StatusOK || body["status"] != "healthy" {
		t.Fatalf("health: %d %v", resp.StatusCode, body)
	}
	comps, _ := body["components"].(map[string]any)
	for _, name := range []string{"database", "bus", "ingestion_worker", "syslog_listener"} {
		c, _ := comps[name].(map[string]any)
		if c["status"] != "ok" {
			t.Errorf("component %s = %v", name, comps[name])
		}
	}
	// Every worker decnet up runs has announced itself.
	checkFor(t, 10*time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, base+"/workers", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		_, body := do(t, req)
		status := map[string]any{}
		for _, w := range body["workers"].([]any) {
			m := w.(map[string]any)
			status[m["name"].(string)] = m["status"]
		}
		for _, name := range []string{"api", "ingest", "profiler", "reuse-correlator", "clusterer", "ttp", "webhook"} {
			if status[name] != "ok" {
				return fmt.Errorf("worker %s is %v", name, status[name])
			}
		}
		return nil
	})
}

func TestFirstStartWithoutPasswordPrintsOneAndForcesChange(t *testing.T) {
	cfg := testConfig(t, nil)
	cfg.AdminPassword = ""
	a, out := startApp(t, cfg)
	var pw string
	for _, line := range strings.Split(out.String(), "\n") {
		if p, ok := strings.CutPrefix(line, "Admin password: "); ok {
			pw = p
		}
	}
	if len(pw) < 12 {
		t.Fatalf("no generated admin password printed:\n%s", out)
	}
	base := a.APIURL()
	resp, body := postJSON(t, base+"/auth/login", "", map[string]string{"username": "admin", "password": pw})
	if resp.StatusCode != http.StatusOK || body["must_change_password"] != true {
		t.Fatalf("login with generated password: %d %v", resp.StatusCode, body)
	}
	tok := body["access_token"].(string)
	req, _ := http.NewRequest(http.MethodGet, base+"/health", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, _ := do(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("health before password change = %d, want 403", resp.StatusCode)
	}
	resp, body = postJSON(t, base+"/auth/change-password", tok, map[string]string{"old_password": pw, "new_password": "a-brand-new-passphrase"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("change password: %d %v", resp.StatusCode, body)
	}
	tok = login(t, base, "admin", "a-brand-new-passphrase")
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, body := do(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("health after change = %d %v", resp.StatusCode, body)
	}
}

func TestRestartKeepsGeneratedJWTSecretAndAdmin(t *testing.T) {
	cfg := testConfig(t, nil)
	a, _ := startApp(t, cfg)
	tok := login(t, a.APIURL(), "admin", testAdminPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(cfg.DataDir, jwtSecretFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("jwt secret file: %v mode %v", err, st.Mode())
	}
	b, _ := startApp(t, cfg)
	req, _ := http.NewRequest(http.MethodGet, b.APIURL()+"/health", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, body := do(t, req); resp.StatusCode != http.StatusOK {
		t.Errorf("token from before the restart: %d %v", resp.StatusCode, body)
	}
}

func TestSyslogLineBecomesLogCredentialAndBountyRows(t *testing.T) {
	a, _ := startApp(t, testConfig(t, nil))
	addr, _ := a.Syslog().Addrs()
	conn, err := net.Dial("udp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	line := `<134>1 2026-11-26T10:00:00.000000+00:00 decky-01 ssh - auth_attempt [relay@55555 src_ip="203.0.113.7" username="root" principal="root" secret_kind="plaintext" secret_printable="toor" secret_b64="dG9vcg=="] login`
	if _, err := conn.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	checkFor(t, 10*time.Second, func() error {
		creds, total, err := a.Store().ListCredentials(ctx, store.CredentialQuery{Limit: 10})
		if err != nil {
			return err
		}
		if total != 1 {
			return fmt.Errorf("credentials = %d", total)
		}
		c := creds[0]
		if c.AttackerIP != "203.0.113.7" || c.Principal != "root" || c.DeckyName != "decky-01" || c.SecretPrintable != "toor" {
			return fmt.Errorf("credential row %+v", c)
		}
		return nil
	})
	logs, err := a.Store().ListLogs(ctx, store.LogQuery{Limit: 10})
	if err != nil || len(logs) != 1 {
		t.Fatalf("logs = %v, %v", logs, err)
	}
	if logs[0].EventType != "auth_attempt" || logs[0].RawLine != line || logs[0].AttackerIP != "203.0.113.7" {
		t.Errorf("log row %+v", logs[0])
	}
}

// publishSynthetic publishes n distinct events on the app's bus.
func publishSynthetic(t *testing.T, pub interface {
	PublishEventAsync(model.Event) error
	FlushAsync(context.Context) error
}, n int) {
	t.Helper()
	for i := range n {
		ev := synth.Event(i)
		if err := pub.PublishEventAsync(ev); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := pub.FlushAsync(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestHundredThousandEventsYieldExactlyHundredThousandRows(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 100 000 events")
	}
	cases := map[string]map[string]string{"sqlite+embedded-nats": nil}
	// The multi-host stack: MariaDB/MySQL and an external NATS server.
	dsn, natsURL := os.Getenv("DECNET_TEST_MYSQL_DSN"), os.Getenv("DECNET_TEST_NATS_URL")
	if dsn != "" && natsURL != "" {
		cases["mysql+external-nats"] = map[string]string{
			"DECNET_DB_TYPE": "mysql", "DECNET_DB_URL": freshMySQLDatabase(t, dsn),
			"DECNET_NATS_URL": natsURL, "DECNET_NATS_PREFIX": scratchNATSPrefix(t, natsURL),
		}
	} else {
		t.Run("mysql+external-nats", func(t *testing.T) {
			testenv.Missing(t, "multi-host stack not configured: set DECNET_TEST_MYSQL_DSN and DECNET_TEST_NATS_URL")
		})
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			a, _ := startApp(t, testConfig(t, extra))
			const n = 100_000
			publishSynthetic(t, a.Bus(), n)
			waitForRows(t, a.Store(), n)
		})
	}
}

func waitForRows(t *testing.T, s store.LogRepository, n int64) {
	t.Helper()
	ctx := context.Background()
	checkFor(t, 3*time.Minute, func() error {
		got, err := s.CountLogs(ctx)
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("logs rows = %d, want %d", got, n)
		}
		return nil
	})
}

func TestIngestStopsOnControlAndStartsAgainFromTheAPI(t *testing.T) {
	a, _ := startApp(t, testConfig(t, nil))
	tok := login(t, a.APIURL(), "admin", testAdminPassword)
	ctl := bus.Control{Action: bus.ControlStop, RequestedBy: "test", TS: float64(time.Now().Unix())}
	if err := a.Bus().Publish(context.Background(), "system.ingest.control", bus.TypeControl, ctl); err != nil {
		t.Fatal(err)
	}
	checkFor(t, 10*time.Second, func() error {
		if st := a.IngestStatus(); st.State != ingest.StateStopped {
			return fmt.Errorf("ingest state %q", st.State)
		}
		return nil
	})
	checkFor(t, 10*time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, a.APIURL()+"/health", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, body := do(t, req)
		comps, _ := body["components"].(map[string]any)
		c, _ := comps["ingestion_worker"].(map[string]any)
		if resp.StatusCode != http.StatusServiceUnavailable || body["status"] != "unhealthy" || c["status"] != "failing" {
			return fmt.Errorf("health %d %v", resp.StatusCode, body)
		}
		return nil
	})

	// Stopped, the worker leaves events on the stream; started again from
	// the API, it picks up where it left off.
	publishSynthetic(t, a.Bus(), 100)
	req, _ := http.NewRequest(http.MethodPost, a.APIURL()+"/workers/ingest/start", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, body := do(t, req); resp.StatusCode != http.StatusAccepted || body["via"] != "bus" {
		t.Fatalf("start: %d %v", resp.StatusCode, body)
	}
	waitForRows(t, a.Store(), 100)
	if st := a.IngestStatus(); st.State != ingest.StateRunning {
		t.Fatalf("ingest state %q after start, want running", st.State)
	}
}
