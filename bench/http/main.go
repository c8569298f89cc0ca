// Command http measures decnet's HTTP decoy against a bare net/http server
// measured in the same run:
//
//   - decnet: a real `decnet up` (internal/app: embedded NATS, ingest into
//     SQLite) with one decky running the http service; every request is a
//     `request` event, and the run waits until the ingest worker has
//     committed one logs row per request, timing that drain;
//   - bare: a net/http handler that writes one JSON line per request to a
//     buffered file, the shape of the fastest Go peers.
//
// Load comes from wrk (Debian package wrk) run as a child process on the
// same machine, so server and load generator share the cores, as the
// budget in docs/benchmarks.md states.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

type options struct {
	duration, warmup time.Duration
	conns, threads   int
	only             string
	path             string
	cpuProfile       string
}

func main() {
	app.TuneRuntime()
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "timed wrk run per server")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "untimed wrk run before the timed one")
	flag.IntVar(&o.conns, "conns", 64, "wrk connections (keep-alive)")
	flag.IntVar(&o.threads, "threads", 2, "wrk threads")
	flag.StringVar(&o.only, "only", "", "run one server: decnet or bare")
	flag.StringVar(&o.path, "path", "/index.php?id=1", "request path")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (decnet and wrk's peer) during decnet's timed run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/http:", err)
		os.Exit(1)
	}
}

// result is one wrk run.
type result struct {
	requests   int64
	rps        float64
	p50, p99   string
	drain      time.Duration
	committed  uint64
	eventsNote string
	// serverCPU and wrkCPU are CPU time per request (user+system) of this
	// process and of wrk over the timed run, the server's including the
	// drain: steadier than requests/s on a noisy machine.
	serverCPU, wrkCPU time.Duration
}

// cpuUsage is the CPU time used so far by this process and by its waited-for
// children (wrk).
type cpuUsage struct{ self, children time.Duration }

func readCPU() cpuUsage {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	total := func(r *syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return cpuUsage{total(&self), total(&kids)}
}

// perRequest sets r's CPU per request from the usage at the timed run's
// start.
func (r *result) perRequest(start cpuUsage) {
	if r.requests == 0 {
		return
	}
	now := readCPU()
	r.serverCPU = (now.self - start.self) / time.Duration(r.requests)
	r.wrkCPU = (now.children - start.children) / time.Duration(r.requests)
}

func run(o options) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return errors.New("wrk not found: apt-get install -y wrk")
	}
	tmp, err := os.MkdirTemp("", "decnet-bench-http-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Printf("HTTP decoy, one event per request: wrk -t%d -c%d -d%s (keep-alive, GET %s), %d CPUs shared by server and wrk\n\n",
		o.threads, o.conns, o.duration, o.path, numCPU())
	var bare, dec *result
	if o.only == "" || o.only == "bare" {
		if bare, err = runBare(wrk, tmp, o); err != nil {
			return fmt.Errorf("bare: %w", err)
		}
	}
	if o.only == "" || o.only == "decnet" {
		if dec, err = runDecnet(wrk, tmp, o); err != nil {
			return fmt.Errorf("decnet: %w", err)
		}
	}
	fmt.Printf("| server | requests/s | p50 | p99 | server CPU/request | wrk CPU/request | events committed after load stops |\n|---|---|---|---|---|---|---|\n")
	if bare != nil {
		fmt.Printf("| bare net/http + JSON line to file | %.0f | %s | %s | %s | %s | n/a (file) |\n", bare.rps, bare.p50, bare.p99, micros(bare.serverCPU), micros(bare.wrkCPU))
	}
	if dec != nil {
		fmt.Printf("| decnet http (bus → SQLite) | %.0f | %s | %s | %s | %s | %s (%d rows) |\n", dec.rps, dec.p50, dec.p99, micros(dec.serverCPU), micros(dec.wrkCPU), dec.drain.Round(time.Millisecond), dec.committed)
	}
	if bare != nil && dec != nil {
		fmt.Printf("\nratio decnet/bare: %.2f\n", dec.rps/bare.rps)
	}
	return nil
}

var (
	reRPS   = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reTotal = regexp.MustCompile(`(\d+) requests in`)
	reP50   = regexp.MustCompile(`\n\s+50%\s+(\S+)`)
	reP99   = regexp.MustCompile(`\n\s+99%\s+(\S+)`)
)

func runWrk(wrk, url string, o options, d time.Duration) (*result, error) {
	out, err := exec.Command(wrk, "-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns), "-d", d.String(), "--latency", url).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	s := string(out)
	if strings.Contains(s, "Non-2xx") || strings.Contains(s, "Socket errors") {
		fmt.Fprintf(os.Stderr, "wrk reported errors:\n%s\n", s)
	}
	r := &result{}
	if m := reRPS.FindStringSubmatch(s); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := reTotal.FindStringSubmatch(s); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reP50.FindStringSubmatch(s); m != nil {
		r.p50 = m[1]
	}
	if m := reP99.FindStringSubmatch(s); m != nil {
		r.p99 = m[1]
	}
	if r.rps == 0 {
		return nil, fmt.Errorf("could not read wrk's output:\n%s", s)
	}
	return r, nil
}

// bareBody is as long as the decoy's default Apache page, so both servers
// move the same bytes.
var bareBody = []byte("<html><body><h1>It works!</h1>" + strings.Repeat(" ", 2872-45) + "</body></html>\n")

// runBare serves net/http with one JSON line per request to a file.
func runBare(wrk, tmp string, o options) (*result, error) {
	f, err := os.Create(filepath.Join(tmp, "bare.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var mu sync.Mutex
	w := bufio.NewWriterSize(f, 64<<10)
	enc := json.NewEncoder(w)
	h := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, io.LimitReader(r.Body, 4096))
		ev := map[string]any{"ts": time.Now().UTC(), "method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"remote_addr": r.RemoteAddr, "headers": r.Header, "user_agent": r.UserAgent()}
		mu.Lock()
		enc.Encode(ev)
		mu.Unlock()
		rw.Header().Set("Server", "nginx/1.22.1")
		rw.Header().Set("Content-Type", "text/html")
		rw.Write(bareBody)
	})
	ln, err := net.Listen("tcp", "127.88.1.3:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + o.path
	if _, err := runWrk(wrk, url, o, o.warmup); err != nil {
		return nil, err
	}
	start := readCPU()
	r, err := runWrk(wrk, url, o, o.duration)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	w.Flush()
	mu.Unlock()
	r.perRequest(start)
	return r, nil
}

// runDecnet starts decnet up in this process with one http decky.
func runDecnet(wrk, tmp string, o options) (*result, error) {
	dir := filepath.Join(tmp, "decnet")
	vars := map[string]string{
		"DECNET_DATA_DIR": dir, "DECNET_API_PORT": "0", "DECNET_SYSLOG_ADDR": "127.0.0.1:0",
		"DECNET_ADMIN_PASSWORD": "bench-Passw0rd-1", "DECNET_LOG_LEVEL": "warn",
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "")
	if err != nil {
		return nil, err
	}
	a, err := app.New(cfg, app.Options{Out: io.Discard, NoDemo: true})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		a.Stop(sctx)
	}()
	plan, err := decky.PlanFleet(decky.PlanOptions{
		Count: 1, Services: []string{"http"}, NamePrefix: "bench-web", NetMode: model.NetLoopback,
		Subnet: "127.88.1.0/24", IPStart: "127.88.1.2", Catalog: services.Catalog{},
	})
	if err != nil {
		return nil, err
	}
	d := plan.Deckies[0]
	if err := a.Store().CreateDeckies(ctx, []model.Decky{d}); err != nil {
		return nil, err
	}
	// The fleet runtime reconciles every few seconds; wait for the port.
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; {
		for _, p := range []int{80, 80 + fleet.UnprivilegedPortOffset} {
			a := net.JoinHostPort(d.IP, strconv.Itoa(p))
			if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
				c.Close()
				addr = a
				break
			}
		}
		if addr == "" && time.Now().After(deadline) {
			return nil, errors.New("the http decky never answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
	url := "http://" + addr + o.path
	if _, err := runWrk(wrk, url, o, o.warmup); err != nil {
		return nil, err
	}
	// Let the warm-up's events commit so the drain measures the timed run.
	settle(a)
	before := a.IngestStatus().Committed
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, err
		}
	}
	start := readCPU()
	r, err := runWrk(wrk, url, o, o.duration)
	pprof.StopCPUProfile()
	if err != nil {
		return nil, err
	}
	stopped := time.Now()
	want := before + uint64(r.requests)
	for a.IngestStatus().Committed < want {
		if time.Since(stopped) > 2*time.Minute {
			return nil, fmt.Errorf("only %d of %d events committed after 2 minutes", a.IngestStatus().Committed-before, r.requests)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.drain = time.Since(stopped)
	r.committed = a.IngestStatus().Committed - before
	r.perRequest(start)
	return r, nil
}

// settle waits until the committed count stops moving.
func settle(a *app.App) {
	last := a.IngestStatus().Committed
	for i := 0; i < 600; i++ {
		time.Sleep(100 * time.Millisecond)
		now := a.IngestStatus().Committed
		if now == last {
			return
		}
		last = now
	}
}

func micros(d time.Duration) string {
	return fmt.Sprintf("%.1f µs", float64(d)/float64(time.Microsecond))
}

func numCPU() int {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "processor\t:")
}
