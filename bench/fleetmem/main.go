// Command fleetmem measures `decnet up --no-demo` serving a deployed fleet
// (100 deckies × the given services on loopback by default): time to ready
// on the first start, which generates every decky's keys, and on a restart,
// which loads them; then the resident memory and CPU of the idle process.
// The same measurements of `decnet up --no-demo` with no decky, run
// interleaved in the same invocation, are the baseline. It prints Markdown
// tables.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/decnet/decnet/internal/app"
	"github.com/decnet/decnet/internal/config"
)

type options struct {
	deckies  int
	services []string
	subnet   string
	idle     time.Duration
	rounds   int
	decnet   string
	timeout  time.Duration
	keep     bool
	memProf  string
}

func main() {
	app.TuneRuntime()
	var o options
	var svcs string
	flag.IntVar(&o.deckies, "deckies", 100, "deckies in the measured fleet")
	flag.StringVar(&svcs, "services", "ssh,telnet,ftp", "services of every decky (decnet deploy --services); each must greet on connect for the port probe")
	flag.StringVar(&o.subnet, "subnet", "127.90.0.0/24", "loopback subnet for the deckies")
	flag.DurationVar(&o.idle, "idle", 5*time.Second, "idle time after ready before memory is read")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds; each runs the baseline and the fleet (first start and restart), interleaved")
	flag.StringVar(&o.decnet, "decnet", "", "decnet binary to measure (default: go build ./cmd/decnet into a temp dir)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "longest wait for one start to be ready")
	flag.BoolVar(&o.keep, "keep", false, "keep the data dirs (their paths are printed)")
	flag.StringVar(&o.memProf, "memprofile", "", "instead of the tables: deploy the fleet, start it once with the binary (keys), then run the same `decnet up` in this process and write its in-use heap profile here once idle")
	flag.Parse()
	if o.memProf != "" {
		runtime.MemProfileRate = 4096
	}
	for s := range strings.SplitSeq(svcs, ",") {
		if s = strings.TrimSpace(s); s != "" {
			o.services = append(o.services, s)
		}
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench fleetmem:", err)
		os.Exit(1)
	}
}

// start is one `decnet up` from exec to SIGTERM.
type start struct {
	ready      time.Duration // exec → "decnet is up" on stdout
	readyIn    string        // what decnet printed (App.Start → API listening)
	readyCPU   time.Duration // CPU the process used until ready: steadier than wall time on a busy machine
	status     map[string]int64
	idleCPU    float64 // CPU seconds per second while idle
	serving    int     // deckies whose every service listened, per decnet's own listing
	reachable  int     // ports that answered a connection with a greeting
	ports      int
	stop       time.Duration
	exitErr    error
	stderrTail string
}

func run(o options) error {
	tmp, err := os.MkdirTemp("", "decnet-bench-fleetmem-")
	if err != nil {
		return err
	}
	if o.keep {
		fmt.Println("data dirs under", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := o.decnet
	if bin == "" {
		bin = filepath.Join(tmp, "decnet")
		build := exec.Command("go", "build", "-o", bin, "./cmd/decnet")
		build.Dir, err = moduleRoot()
		if err != nil {
			return err
		}
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/decnet: %w", err)
		}
	}
	if o.memProf != "" {
		return heapProfile(bin, tmp, o)
	}
	fmt.Printf("fleetmem benchmark: %s, NumCPU=%d, load average %s, fleet %d deckies × %s on %s (loopback), idle %s before reading memory\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), loadAvg(), o.deckies, strings.Join(o.services, ","), o.subnet, o.idle)
	defer func() { fmt.Printf("\nload average at the end: %s\n", loadAvg()) }()
	fmt.Println("| round | fleet | start | ready (exec → \"decnet is up\") | decnet's \"ready in\" | CPU until ready | VmRSS MiB | RssAnon MiB | VmHWM MiB | threads | idle CPU % of one core | deckies serving | ports answering | SIGTERM → exit |")
	fmt.Println("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	type key struct{ fleet, start string }
	rss := make(map[key][]float64)
	ready := make(map[key][]time.Duration)
	readyCPU := make(map[key][]time.Duration)
	for round := range o.rounds {
		order := []int{0, o.deckies}
		if round%2 == 1 {
			order = []int{o.deckies, 0}
		}
		for _, n := range order {
			dir := filepath.Join(tmp, fmt.Sprintf("r%d-%d", round+1, n))
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
			if n > 0 {
				if err := deploy(bin, dir, o, n); err != nil {
					return err
				}
			}
			fleet := "none (baseline)"
			if n > 0 {
				fleet = fmt.Sprintf("%d × %s", n, strings.Join(o.services, ","))
			}
			for _, which := range []string{"first", "restart"} {
				s, err := up(bin, dir, o, n)
				if err != nil {
					return fmt.Errorf("round %d, %s, %s start: %w", round+1, fleet, which, err)
				}
				exit := fmt.Sprintf("%.2f s", s.stop.Seconds())
				if s.exitErr != nil {
					exit += " (" + s.exitErr.Error() + ")"
				}
				fmt.Printf("| %d | %s | %s | %.2f s | %s | %.2f s | %.1f | %.1f | %.1f | %d | %.1f | %d/%d | %d/%d | %s |\n",
					round+1, fleet, which, s.ready.Seconds(), s.readyIn, s.readyCPU.Seconds(), mib(s.status["VmRSS"]), mib(s.status["RssAnon"]),
					mib(s.status["VmHWM"]), s.status["Threads"], 100*s.idleCPU, s.serving, n, s.reachable, s.ports, exit)
				if s.stderrTail != "" {
					fmt.Fprintf(os.Stderr, "decnet's stderr (round %d, %s, %s start), last lines:\n%s\n", round+1, fleet, which, s.stderrTail)
				}
				k := key{fleet, which}
				rss[k] = append(rss[k], mib(s.status["VmRSS"]))
				ready[k] = append(ready[k], s.ready)
				readyCPU[k] = append(readyCPU[k], s.readyCPU)
			}
		}
	}
	fmt.Println()
	fmt.Println("| fleet | start | median VmRSS MiB | median ready | median CPU until ready |")
	fmt.Println("|---|---|---:|---:|---:|")
	fleetName := fmt.Sprintf("%d × %s", o.deckies, strings.Join(o.services, ","))
	for _, f := range []string{"none (baseline)", fleetName} {
		for _, w := range []string{"first", "restart"} {
			k := key{f, w}
			fmt.Printf("| %s | %s | %.1f | %.2f s | %.2f s |\n", f, w, median(rss[k]), medianD(ready[k]).Seconds(), medianD(readyCPU[k]).Seconds())
		}
	}
	fmt.Println()
	for _, w := range []string{"first", "restart"} {
		d := median(rss[key{fleetName, w}]) - median(rss[key{"none (baseline)", w}])
		fmt.Printf("%s start: the fleet adds %.1f MiB over the baseline, %.0f kB per decky.\n", w, d, d*1024/float64(o.deckies))
	}
	return nil
}

func mib(kb int64) float64 { return float64(kb) / 1024 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianD(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run from inside the decnet module, or pass -decnet")
	}
	return filepath.Dir(mod), nil
}

// env is the decnet environment of one data dir: nothing from the caller's
// DECNET_* variables, the API on a free port, no syslog listener.
func env(dir string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DECNET_") {
			out = append(out, kv)
		}
	}
	return append(out, "DECNET_DATA_DIR="+filepath.Join(dir, "data"), "DECNET_API_PORT=0", "DECNET_SYSLOG_ADDR=off", "DECNET_LOG_LEVEL=warn")
}

func deploy(bin, dir string, o options, n int) error {
	cmd := exec.Command(bin, "deploy", "-n", strconv.Itoa(n), "--services", strings.Join(o.services, ","), "--subnet", o.subnet)
	cmd.Dir, cmd.Env = dir, env(dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("decnet deploy: %w\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(fmt.Sprintf("%d deckies added", n))) {
		return fmt.Errorf("decnet deploy did not add %d deckies:\n%s", n, out)
	}
	return nil
}

type line struct {
	at   time.Time
	text string
}

// up runs `decnet up --no-demo` on dir until it is ready, idle for o.idle,
// and measured; then stops it with SIGTERM.
func up(bin, dir string, o options, n int) (start, error) {
	var s start
	cmd := exec.Command(bin, "up", "--no-demo")
	cmd.Dir, cmd.Env = dir, env(dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return s, err
	}
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return s, err
	}
	pid := cmd.Process.Pid
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	lines := make(chan line, 1024)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- line{time.Now(), sc.Text()}
		}
		close(lines)
	}()
	timeout := time.After(o.timeout)
	next := func() (line, error) {
		select {
		case l, ok := <-lines:
			if !ok {
				return l, fmt.Errorf("decnet exited before it was ready; stderr:\n%s", stderr.String())
			}
			return l, nil
		case <-timeout:
			return line{}, fmt.Errorf("not ready after %s; stderr:\n%s", o.timeout, stderr.String())
		}
	}
	for {
		l, err := next()
		if err != nil {
			return s, err
		}
		if rest, ok := strings.CutPrefix(l.text, "decnet is up (ready in "); ok {
			s.ready = l.at.Sub(t0)
			s.readyCPU, _ = procCPU(pid)
			s.readyIn = strings.TrimSuffix(rest, ")")
			break
		}
	}
	// The fleet listing follows: "Deckies:" then one line per decky, or
	// "Deckies:   none …".
	var targets []string
	for listed := 0; ; {
		l, err := next()
		if err != nil {
			return s, err
		}
		if strings.HasPrefix(l.text, "Deckies:") {
			if strings.Contains(l.text, "none") {
				break
			}
			continue
		}
		if !strings.HasPrefix(l.text, "  ") || strings.HasPrefix(l.text, "  (") {
			continue
		}
		listed++
		ok, tg := parseDecky(l.text, o.services)
		if ok {
			s.serving++
		}
		targets = append(targets, tg...)
		if listed == n {
			break
		}
	}
	go func() {
		for range lines {
		}
	}()
	cpu0, _ := procCPU(pid)
	time.Sleep(o.idle)
	cpu1, _ := procCPU(pid)
	s.idleCPU = (cpu1 - cpu0).Seconds() / o.idle.Seconds()
	if s.status, err = procStatus(pid); err != nil {
		return s, err
	}
	// Only now, so the check's own connections do not count in the
	// memory read above.
	s.ports = len(targets)
	s.reachable = probe(targets)
	t1 := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case s.exitErr = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		s.exitErr = errors.New("killed: no exit 60 s after SIGTERM")
		<-done
	}
	killed = true
	s.stop = time.Since(t1)
	s.stderrTail = stderr.String()
	return s, nil
}

// parseDecky reads one decky line of `decnet up` ("  name ip host ssh:22
// telnet:23") and reports whether every wanted service listens, with the
// addresses to probe.
func parseDecky(text string, want []string) (bool, []string) {
	f := strings.Fields(text)
	if len(f) < 3 || strings.Contains(text, "failed") {
		return false, nil
	}
	ip := f[1]
	seen := 0
	var targets []string
	for _, part := range f[3:] {
		name, ports, ok := strings.Cut(part, ":")
		if !ok || !slices.Contains(want, name) {
			continue
		}
		seen++
		for p := range strings.SplitSeq(ports, ",") {
			p, _, _ = strings.Cut(p, "←")
			if strings.Contains(p, "-") {
				continue // a passive data range (ftp:21,30000-30009) greets nobody
			}
			targets = append(targets, net.JoinHostPort(ip, p))
		}
	}
	return seen == len(want), targets
}

// probe connects to every target and counts those that send a greeting
// (the SSH version line, Telnet's option negotiation) within 3 s.
func probe(targets []string) int {
	var ok int
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", t, 3*time.Second)
			if err != nil {
				return
			}
			defer c.Close()
			c.SetReadDeadline(time.Now().Add(3 * time.Second))
			var b [1]byte
			if n, _ := c.Read(b[:]); n == 1 {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return ok
}

// procStatus reads the kB and count fields of /proc/<pid>/status.
func procStatus(pid int) (map[string]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64)
	for l := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		if f := strings.Fields(v); len(f) > 0 {
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				out[k] = n
			}
		}
	}
	return out, nil
}

// procCPU is the user+system CPU time of pid from /proc/<pid>/stat.
func procCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses and may
	// contain spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat format")
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat format")
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	// USER_HZ is 100 on every Linux this runs on.
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

var _ io.Writer = (*tailBuffer)(nil)

// loadAvg is the first three fields of /proc/loadavg: on a shared machine
// it tells whether something else ran during the measurement.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// heapProfile writes the in-use heap of an idle `decnet up` serving the
// fleet, run in this process through internal/app as cmd/decnet runs it.
func heapProfile(bin, tmp string, o options) error {
	dir := filepath.Join(tmp, "profile")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := deploy(bin, dir, o, o.deckies); err != nil {
		return err
	}
	if _, err := up(bin, dir, o, o.deckies); err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	vars := make(map[string]string)
	for _, kv := range env(dir) {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "DECNET_") {
			vars[k] = v
		}
	}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "")
	if err != nil {
		return err
	}
	a, err := app.New(cfg, app.Options{Out: io.Discard, NoDemo: true})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := a.Start(ctx); err != nil {
		return err
	}
	time.Sleep(o.idle)
	runtime.GC()
	f, err := os.Create(o.memProf)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st, _ := procStatus(os.Getpid())
	fmt.Printf("in-process decnet up, %d deckies, idle %s: VmRSS %.1f MiB, Go heap in use %.1f MiB, stacks %.1f MiB, goroutines %d\n",
		o.deckies, o.idle, mib(st["VmRSS"]), float64(ms.HeapInuse)/(1<<20), float64(ms.StackInuse)/(1<<20), runtime.NumGoroutine())
	fmt.Printf("heap profile: %s (go tool pprof -sample_index=inuse_space -top %s)\n", o.memProf, o.memProf)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if serr := a.Stop(sctx); err == nil {
		err = serr
	}
	return err
}
