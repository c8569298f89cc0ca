// Command api load-tests decnet's REST API the way the original's stress
// suite did (api_db.md §9): many concurrent clients with near-zero think
// time, each request drawn from the dashboard's weighted mix of stats,
// logs, attackers, deckies, bounty, histogram, searches, paging, health and
// config. It runs a real `decnet up` (embedded bus, demo fleet, every
// worker) in this process on SQLite and, given a DSN, on MySQL/MariaDB, with
// the data that a synthetic attack leaves behind, once with the API's
// response cache and once without it in the same run, and prints a
// Markdown table of requests per second and latency percentiles.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/decnet/decnet/bench/synth"
	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/profiler"
	"github.com/decnet/decnet/internal/ttp"
)

const adminPassword = "bench-admin-password-1"

// cpuProfile is the -cpuprofile file, written for the last run.
var cpuProfile string

// op is one kind of request of the mix, with its weight from the
// original's Locust file.
type op struct {
	name   string
	weight int
	path   func(r *rand.Rand) string
}

// searches are the log queries the "log search" task draws from: the
// query language's column keys, a JSON field and free text.
var searches = []string{
	"service:ssh", "event:command", "event:auth_attempt", "service:http", "decky:decky-03",
	"attacker:198.51.100.7", "wget", "wp-login", "username:root", "service:ssh event:command decky:decky-01",
}

func mix(events int) []op {
	pages := max(1, min(100, events/50))
	return []op{
		{"stats", 10, func(*rand.Rand) string { return "/api/v1/stats" }},
		{"logs", 8, func(*rand.Rand) string { return "/api/v1/logs?limit=50" }},
		{"attackers", 8, func(*rand.Rand) string { return "/api/v1/attackers?limit=50" }},
		{"deckies", 7, func(*rand.Rand) string { return "/api/v1/deckies" }},
		{"bounty", 6, func(*rand.Rand) string { return "/api/v1/bounty?limit=50" }},
		{"histogram", 5, func(*rand.Rand) string { return "/api/v1/logs/histogram" }},
		{"log search", 5, func(r *rand.Rand) string {
			return "/api/v1/logs?limit=50&search=" + urlQuery(searches[r.IntN(len(searches))])
		}},
		{"attacker search", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("/api/v1/attackers?limit=50&search=198.51.100.%d", r.IntN(250)+1)
		}},
		{"log paging", 4, func(r *rand.Rand) string {
			return fmt.Sprintf("/api/v1/logs?limit=50&offset=%d", 50*r.IntN(pages))
		}},
		{"health", 3, func(*rand.Rand) string { return "/api/v1/health" }},
		{"config", 3, func(*rand.Rand) string { return "/api/v1/config" }},
	}
}

func urlQuery(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, ":", "%3A"), " ", "+")
}

type result struct {
	backend  string
	cache    bool
	requests int
	failures int
	elapsed  time.Duration
	p50      time.Duration
	p95      time.Duration
	p99      time.Duration
	max      time.Duration
	// opP99 is each kind of request's 99th percentile.
	opP99 map[string]time.Duration
}

func main() {
	clients := flag.Int("clients", 500, "concurrent clients")
	duration := flag.Duration("duration", 20*time.Second, "measured time per run")
	warmup := flag.Duration("warmup", 3*time.Second, "unmeasured load before each run")
	events := flag.Int("events", 50_000, "synthetic attacker events ingested before the load")
	mysqlDSN := flag.String("mysql-dsn", os.Getenv("DECNET_TEST_MYSQL_DSN"), "MySQL/MariaDB DSN to benchmark too (a scratch database is created and dropped)")
	cacheModes := flag.String("cache", "both", "response cache in the runs: on, off or both")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the measured load (server and clients) to this file")
	flag.Parse()
	app.TuneRuntime()

	fmt.Printf("# decnet API load: %d clients, %s per run after %s warm-up, %d events ingested, GOMAXPROCS %d, %s\n\n",
		*clients, *duration, *warmup, *events, runtime.GOMAXPROCS(0), cpuModel())
	var results []result
	backends := []string{"sqlite"}
	if *mysqlDSN != "" {
		backends = append(backends, "mysql")
	}
	for _, be := range backends {
		var modes []bool
		switch *cacheModes {
		case "on":
			modes = []bool{true}
		case "off":
			modes = []bool{false}
		case "both":
			modes = []bool{true, false}
		default:
			fmt.Fprintln(os.Stderr, "bench api: -cache takes on, off or both")
			os.Exit(2)
		}
		for _, cache := range modes {
			r, err := run(be, *mysqlDSN, cache, *clients, *events, *warmup, *duration)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench api (%s, cache %v): %v\n", be, cache, err)
				os.Exit(1)
			}
			results = append(results, r)
		}
	}
	fmt.Println("| backend | response cache | requests | req/s | p50 | p95 | p99 | max | non-2xx |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		fmt.Printf("| %s | %s | %d | %.0f | %s | %s | %s | %s | %d |\n", r.backend, onOff(r.cache), r.requests,
			float64(r.requests)/r.elapsed.Seconds(), ms(r.p50), ms(r.p95), ms(r.p99), ms(r.max), r.failures)
	}
	fmt.Println("\np99 by request kind:")
	fmt.Println()
	head, rule := "| request |", "|---|"
	for _, r := range results {
		head += fmt.Sprintf(" %s, cache %s |", r.backend, onOff(r.cache))
		rule += "---:|"
	}
	fmt.Println(head)
	fmt.Println(rule)
	for _, o := range mix(*events) {
		line := "| " + o.name + " |"
		for _, r := range results {
			line += " " + ms(r.opP99[o.name]) + " |"
		}
		fmt.Println(line)
	}
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// run starts a decnet on backend, fills it, and measures the mix.
func run(backend, dsn string, cache bool, clients, events int, warmup, measure time.Duration) (result, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "decnet-bench-api-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	vars := map[string]string{
		"DECNET_DATA_DIR":        dir,
		"DECNET_API_PORT":        "0",
		"DECNET_SYSLOG_ADDR":     "off",
		"DECNET_ADMIN_PASSWORD":  adminPassword,
		"DECNET_API_CACHE":       fmt.Sprint(cache),
		"DECNET_LIMITER_ENABLED": "true",
	}
	if backend == "mysql" {
		url, drop, err := scratchDatabase(dsn)
		if err != nil {
			return result{}, err
		}
		defer drop()
		vars["DECNET_DB_TYPE"] = "mysql"
		vars["DECNET_DB_URL"] = url
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "")
	if err != nil {
		return result{}, err
	}
	// The API logs one line per request at info, as `decnet up` does; the
	// lines are formatted and dropped so the cost is counted, not the disk.
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := app.New(cfg, app.Options{Out: io.Discard, Logger: logger})
	if err != nil {
		return result{}, err
	}
	if err := a.Start(ctx); err != nil {
		return result{}, err
	}
	defer a.Stop(context.Background())

	if err := fill(ctx, a, events); err != nil {
		return result{}, err
	}
	base := strings.TrimSuffix(a.APIURL(), "/api/v1")
	hc := &http.Client{Timeout: 30 * time.Second}
	token, err := adminToken(hc, base)
	if err != nil {
		return result{}, err
	}
	ops := mix(events)
	// Warm-up reaches steady state (connections open, caches and the
	// database's pages warm) without counting it.
	addr := strings.TrimPrefix(base, "http://")
	load(addr, token, ops, clients, warmup)
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return result{}, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	r := load(addr, token, ops, clients, measure)
	r.backend, r.cache = backend, cache
	return r, nil
}

// fill publishes events onto the bus and waits until the ingest worker has
// stored them, the profiler has built the attacker rows and every worker
// has caught up.
func fill(ctx context.Context, a *app.App, n int) error {
	b := a.Bus()
	for i := range n {
		if err := b.PublishEventAsync(synth.Event(i)); err != nil {
			return err
		}
	}
	if err := b.FlushAsync(ctx); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		logs, err := a.Store().CountLogs(ctx)
		if err != nil {
			return err
		}
		var attackers int
		if err := a.Store().DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM attackers").Scan(&attackers); err != nil {
			return err
		}
		if logs >= int64(n) && attackers >= min(n, 250) && drained(ctx, a, n) {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the ingest and profiler workers did not store the synthetic events within 5 minutes")
}

// drained reports whether every durable consumer of the event stream
// (ingest, profiler, ATT&CK tagging) has acknowledged the n events, so the
// workers are idle and the load measures the API, not the backlog.
func drained(ctx context.Context, a *app.App, n int) bool {
	for _, durable := range []string{"ingest", profiler.DurableName, ttp.DurableName} {
		floor, err := a.Bus().AckFloor(ctx, durable)
		if err != nil || floor < uint64(n) {
			return false
		}
	}
	return true
}

// adminToken logs in as the first admin, makes the forced password change
// and logs in again.
func adminToken(hc *http.Client, base string) (string, error) {
	login := func(pw string) (string, error) {
		var out struct {
			AccessToken string `json:"access_token"`
		}
		err := post(hc, base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": pw}, &out)
		return out.AccessToken, err
	}
	tok, err := login(adminPassword)
	if err != nil {
		return "", err
	}
	const fresh = adminPassword + "-changed"
	if err := post(hc, base+"/api/v1/auth/change-password", tok,
		map[string]string{"old_password": adminPassword, "new_password": fresh}, nil); err != nil {
		return "", err
	}
	return login(fresh)
}

func post(hc *http.Client, url, token string, body, out any) error {
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d %s", url, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// client is one keep-alive HTTP/1.1 connection issuing GETs. It writes the
// request line and headers itself and parses responses with
// http.ReadResponse: net/http's Client adds two goroutines and channel
// hand-offs per connection, which on a 2-core machine shared with the
// server would measure the load generator more than the API.
type client struct {
	addr, token string
	conn        net.Conn
	br          *bufio.Reader
	buf         []byte
}

func (c *client) get(path string) (int, error) {
	if c.conn == nil {
		conn, err := net.Dial("tcp", c.addr)
		if err != nil {
			return 0, err
		}
		c.conn, c.br = conn, bufio.NewReaderSize(conn, 64<<10)
	}
	c.buf = append(c.buf[:0], "GET "...)
	c.buf = append(c.buf, path...)
	c.buf = append(c.buf, " HTTP/1.1\r\nHost: "...)
	c.buf = append(c.buf, c.addr...)
	c.buf = append(c.buf, "\r\nAuthorization: Bearer "...)
	c.buf = append(c.buf, c.token...)
	c.buf = append(c.buf, "\r\n\r\n"...)
	if _, err := c.conn.Write(c.buf); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.Close {
		c.close()
	}
	return resp.StatusCode, err
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// load runs clients goroutines issuing the mix back to back for d, each
// on its own connection to addr.
func load(addr, token string, ops []op, clients int, d time.Duration) result {
	total := 0
	for _, o := range ops {
		total += o.weight
	}
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		lat      []time.Duration
		failures int
		perOp    = map[string][]time.Duration{}
		firstErr string
	)
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			cl := &client{addr: addr, token: token}
			defer cl.close()
			var mine []time.Duration
			fails := 0
			byOp := map[string][]time.Duration{}
			errMsg := ""
			for !stop.Load() {
				w := rng.IntN(total)
				o := ops[0]
				for _, cand := range ops {
					if w < cand.weight {
						o = cand
						break
					}
					w -= cand.weight
				}
				t0 := time.Now()
				status, err := cl.get(o.path(rng))
				if err == nil && status/100 != 2 {
					err = fmt.Errorf("%s: status %d", o.name, status)
				}
				took := time.Since(t0)
				mine = append(mine, took)
				byOp[o.name] = append(byOp[o.name], took)
				if err != nil {
					fails++
					if errMsg == "" {
						errMsg = err.Error()
					}
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			failures += fails
			for k, v := range byOp {
				perOp[k] = append(perOp[k], v...)
			}
			if firstErr == "" {
				firstErr = errMsg
			}
			mu.Unlock()
		})
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != "" {
		fmt.Fprintf(os.Stderr, "bench api: %d failed requests, first: %s\n", failures, firstErr)
	}
	slices.Sort(lat)
	r := result{requests: len(lat), failures: failures, elapsed: elapsed, p50: pct(lat, 0.50), p95: pct(lat, 0.95),
		p99: pct(lat, 0.99), opP99: map[string]time.Duration{}}
	for k, v := range perOp {
		slices.Sort(v)
		r.opP99[k] = pct(v, 0.99)
	}
	if len(lat) > 0 {
		r.max = lat[len(lat)-1]
	}
	return r
}

// pct is the p-quantile of sorted.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// scratchDatabase creates an empty database on the server of dsn and
// returns a DSN for it and a function that drops it.
func scratchDatabase(dsn string) (string, func(), error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", nil, fmt.Errorf("mysql dsn: %v", err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("decnet_bench_api_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		return "", nil, err
	}
	c.DBName = name
	c.ParseTime = true
	return c.FormatDSN(), func() {
		_, _ = db.Exec("DROP DATABASE " + name)
		db.Close()
	}, nil
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
