package main

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// rateRow is one timed rate round against one server.
type rateRow struct {
	impl      string
	r         loadResult
	serverCPU time.Duration
	events    uint64 // auth_attempt events so far (cumulative)
	sent      int    // attempts that ended as expected so far (cumulative, with warm-ups)
}

func (r rateRow) rate() float64 { return float64(r.r.ok) / r.r.elapsed.Seconds() }

func (r rateRow) serverUS() float64 { return perAttemptUS(r.serverCPU, r.r.ok) }

func perAttemptUS(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(n)
}

func rateBench(o options) error {
	success := o.outcome == "success"
	children := make(map[string]*child)
	defer func() {
		for _, c := range children {
			if err := c.stop(); err != nil {
				fmt.Printf("(%s server exit: %v)\n", c.impl, err)
			}
		}
	}()
	for _, impl := range []string{"bare", "decnet"} {
		c, err := startChild(o, impl, 0)
		if err != nil {
			return err
		}
		children[impl] = c
	}
	start, err := children["decnet"].call("stats")
	if err != nil {
		return err
	}
	fmt.Printf("### Handshake + password capture: %d workers, %s rounds after %s warm-up, outcome %s\n\n", o.clients, o.duration, o.warmup, o.outcome)
	fmt.Println("Servers run in child processes; the load generator (this process) shares the same cores.")
	fmt.Println()
	fmt.Println("| round | server | attempts | attempts/s | p50 ms | p95 ms | p99 ms | server CPU µs/attempt | load-gen CPU µs/attempt | errors | auth_attempt events = attempts |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	sent := make(map[string]int)
	var rows []rateRow
	profiled := false
	var lastCounts map[string]uint64
	for round := range o.rounds {
		for _, impl := range order(round) {
			c := children[impl]
			pw := wrongPassword
			if success {
				pw = c.ready.Password
			}
			cfg := clientConfig(o, c.ready.User, pw)
			if o.warmup > 0 {
				w := runLoad(c.ready.Addr, cfg, success, o.clients, o.warmup)
				sent[impl] += w.ok
				if w.ok == 0 {
					return fmt.Errorf("%s: no attempt succeeded in the warm-up: %v", impl, w.firstErr)
				}
			}
			profiling := impl == "decnet" && o.cpuProfile != "" && !profiled
			if profiling {
				if _, err := c.call("cpuprofile " + o.cpuProfile); err != nil {
					return err
				}
				profiled = true
			}
			s0, err := c.call("stats")
			if err != nil {
				return err
			}
			r := runLoad(c.ready.Addr, cfg, success, o.clients, o.duration)
			s1, err := c.call("stats")
			if err != nil {
				return err
			}
			if profiling {
				if _, err := c.call("cpuprofile-stop"); err != nil {
					return err
				}
			}
			sent[impl] += r.ok
			cnt, err := c.call("count")
			if err != nil {
				return err
			}
			if impl == "decnet" {
				lastCounts = cnt.Counts
			}
			row := rateRow{impl: impl, r: r, serverCPU: time.Duration(s1.CPUNs - s0.CPUNs),
				events: cnt.Counts["auth_attempt"], sent: sent[impl]}
			rows = append(rows, row)
			check := fmt.Sprintf("%d = %d ✓", row.events, row.sent)
			if row.events != uint64(row.sent) {
				check = fmt.Sprintf("%d ≠ %d ✗", row.events, row.sent)
			}
			errs := fmt.Sprint(r.failed)
			if r.failed > 0 {
				errs += " (" + trimErr(r.firstErr) + ")"
			}
			fmt.Printf("| %d | %s | %d | %.0f | %s | %s | %s | %.0f | %.0f | %s | %s |\n", round+1, label(impl), r.ok, row.rate(),
				ms(percentile(r.lat, 0.50)), ms(percentile(r.lat, 0.95)), ms(percentile(r.lat, 0.99)),
				row.serverUS(), perAttemptUS(r.cpu, r.ok), errs, check)
		}
	}
	fmt.Println()
	fmt.Println("(auth_attempt events: counted on the bus stream for decnet, password callbacks for the baseline; cumulative, warm-ups included.)")
	fmt.Println()
	fmt.Println("Medians over the rounds; \"capacity\" is what the server's own CPU per attempt allows on 2 fully used cores (2 s ÷ CPU per attempt), i.e. without the load generator:")
	fmt.Println()
	fmt.Println("| server | attempts/s | p99 ms | server CPU µs/attempt | load-gen CPU µs/attempt | server capacity on 2 cores, attempts/s |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	med := make(map[string][3]float64)
	for _, impl := range []string{"bare", "decnet"} {
		var rates, cpus, ccpus, p99s []float64
		for _, r := range rows {
			if r.impl == impl {
				rates = append(rates, r.rate())
				cpus = append(cpus, r.serverUS())
				ccpus = append(ccpus, perAttemptUS(r.r.cpu, r.r.ok))
				p99s = append(p99s, float64(percentile(r.r.lat, 0.99))/float64(time.Millisecond))
			}
		}
		m := [3]float64{median(rates), median(cpus), median(ccpus)}
		med[impl] = m
		fmt.Printf("| %s | %.0f | %.1f | %.0f | %.0f | %.0f |\n", label(impl), m[0], median(p99s), m[1], m[2], 2e6/m[1])
	}
	fmt.Println()
	fmt.Printf("decnet ÷ baseline: attempts/s %.2f×, server CPU per attempt %.2f×.\n", med["decnet"][0]/med["bare"][0], med["decnet"][1]/med["bare"][1])
	if n := sent["decnet"]; n > 0 && lastCounts != nil {
		keys := make([]string, 0, len(lastCounts))
		for k := range lastCounts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %.2f", k, float64(lastCounts[k])/float64(n)))
		}
		fmt.Printf("decnet events on the bus per attempt: %s.\n", strings.Join(parts, ", "))
	}
	time.Sleep(time.Second)
	if end, err := children["decnet"].call("stats"); err == nil {
		fmt.Printf("decnet server goroutines before / after all rounds: %d / %d.\n", start.Goroutines, end.Goroutines)
	}
	fmt.Println()
	return nil
}

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

// idleResult is the memory of one server with o.idle connections open.
type idleResult struct {
	n                              int
	rssBefore, rssAfter, rssAfterG int64 // kB
	heap, stack                    int64 // bytes, growth
	goroutines                     int
	// What is left once the connections are closed again: a per-connection
	// leak shows here.
	leftGoroutines, leftFDs int
}

func idleBench(o options) error {
	what := "logged-in connections, each with a pty and a shell"
	if o.silent {
		what = "silent connections (version line read, then nothing sent)"
	}
	fmt.Printf("### Memory per idle connection: %d %s, idle %s\n\n", o.idle, what, o.settle)
	fmt.Println("RSS of the server's child process from /proc/<pid>/status; \"before\" is after a GC that returns free memory to the OS (debug.FreeOSMemory), \"after\" is read as is and again after the same GC; Go heap and stacks from runtime.MemStats after the GC.")
	fmt.Println()
	fmt.Println("| run | server | connections | RSS before MiB | RSS after MiB | RSS/conn kB | RSS/conn after GC kB | Go heap/conn kB | stacks/conn kB | goroutines/conn | left after close: goroutines, fds |")
	fmt.Println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	profiled := false
	for round := range 2 {
		for _, impl := range order(round) {
			profile := ""
			if impl == "decnet" && o.memProfile != "" && !profiled {
				profile, profiled = o.memProfile, true
			}
			r, err := idleOnce(o, impl, profile)
			if err != nil {
				return fmt.Errorf("%s: %w", impl, err)
			}
			per := func(kb int64) float64 { return float64(kb) / float64(r.n) }
			fmt.Printf("| %d | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %+d, %+d |\n", round+1, label(impl), r.n,
				float64(r.rssBefore)/1024, float64(r.rssAfter)/1024, per(r.rssAfter-r.rssBefore), per(r.rssAfterG-r.rssBefore),
				float64(r.heap)/1024/float64(r.n), float64(r.stack)/1024/float64(r.n), float64(r.goroutines)/float64(r.n),
				r.leftGoroutines, r.leftFDs)
		}
	}
	fmt.Println()
	if o.memProfile != "" {
		fmt.Printf("decnet heap profile (in use, first decnet run): %s — go tool pprof -sample_index=inuse_space -top %s\n\n", o.memProfile, o.memProfile)
	}
	return nil
}

func idleOnce(o options, impl, profile string) (idleResult, error) {
	var res idleResult
	memRate := 0
	if profile != "" {
		memRate = 4096
	}
	c, err := startChild(o, impl, memRate)
	if err != nil {
		return res, err
	}
	defer c.stop()
	cfg := clientConfig(o, c.ready.User, c.ready.Password)
	// Warm-up: the first sessions touch code and build lazily initialised
	// state (the shell's filesystem view); that is not per-connection cost.
	warm, err := openIdle(c.ready.Addr, cfg, 20, 20, o.silent)
	if err != nil {
		return res, err
	}
	for _, w := range warm {
		w.close()
	}
	time.Sleep(500 * time.Millisecond)
	s0, err := c.call("gcstats")
	if err != nil {
		return res, err
	}
	st0, err := c.status()
	if err != nil {
		return res, err
	}
	fds0 := countFDs(c.cmd.Process.Pid)
	conns, err := openIdle(c.ready.Addr, cfg, o.idle, 32, o.silent)
	if err != nil {
		return res, err
	}
	closed := false
	closeAll := func() {
		if !closed {
			for _, w := range conns {
				w.close()
			}
			closed = true
		}
	}
	defer closeAll()
	time.Sleep(o.settle)
	st1, err := c.status()
	if err != nil {
		return res, err
	}
	s1, err := c.call("gcstats")
	if err != nil {
		return res, err
	}
	st1g, err := c.status()
	if err != nil {
		return res, err
	}
	if profile != "" {
		if _, err := c.call("memprofile " + profile); err != nil {
			return res, err
		}
	}
	if s1.Goroutines-s0.Goroutines < len(conns) {
		return res, errors.New("fewer server goroutines than connections: the connections did not stay open")
	}
	res = idleResult{
		n: len(conns), rssBefore: st0["VmRSS"], rssAfter: st1["VmRSS"], rssAfterG: st1g["VmRSS"],
		heap: int64(s1.HeapInuse) - int64(s0.HeapInuse), stack: int64(s1.StackInuse) - int64(s0.StackInuse),
		goroutines: s1.Goroutines - s0.Goroutines,
	}
	closeAll()
	// The server notices each close, ends the session (transcript,
	// session_recorded, attacker.session.ended) and its goroutines exit.
	deadline := time.Now().Add(30 * time.Second)
	for {
		s2, err := c.call("stats")
		if err != nil {
			return res, err
		}
		res.leftGoroutines, res.leftFDs = s2.Goroutines-s0.Goroutines, countFDs(c.cmd.Process.Pid)-fds0
		if (res.leftGoroutines <= 0 && res.leftFDs <= 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	return res, nil
}

// clientOnlyMain runs the load generator alone against -addr.
func clientOnlyMain(o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.addr == "" {
		return errors.New("-client-only needs -addr host:port")
	}
	success := o.outcome == "success"
	pw := o.password
	if pw == "" {
		pw = wrongPassword
		if success {
			pw = barePassword
		}
	}
	cfg := clientConfig(o, o.user, pw)
	fmt.Printf("ssh load generator against %s: %s, %d workers, %s rounds, host key %s, kex %s, outcome %s\n\n",
		o.addr, time.Now().UTC().Format(time.RFC3339), o.clients, o.duration, o.hostKey, o.kex, o.outcome)
	fmt.Println("| round | attempts | attempts/s | p50 ms | p95 ms | p99 ms | load-gen CPU µs/attempt | errors |")
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for round := range o.rounds {
		if o.warmup > 0 {
			runLoad(o.addr, cfg, success, o.clients, o.warmup)
		}
		r := runLoad(o.addr, cfg, success, o.clients, o.duration)
		errs := fmt.Sprint(r.failed)
		if r.failed > 0 {
			errs += " (" + trimErr(r.firstErr) + ")"
		}
		fmt.Printf("| %d | %d | %.0f | %s | %s | %s | %.0f | %s |\n", round+1, r.ok, float64(r.ok)/r.elapsed.Seconds(),
			ms(percentile(r.lat, 0.50)), ms(percentile(r.lat, 0.95)), ms(percentile(r.lat, 0.99)), perAttemptUS(r.cpu, r.ok), errs)
	}
	return nil
}
