// Command ssh measures decnet's SSH honeypot against a bare
// golang.org/x/crypto/ssh server measured in the same run:
//
//   - rate: handshakes + password captures per second, latency per attempt,
//     server and load-generator CPU per attempt, and a check that every
//     attempt became an auth_attempt event on the bus;
//   - idle: server memory per idle logged-in connection (pty + shell).
//
// Each server runs in a child process (this binary re-executed with -serve),
// so its CPU and memory are measured apart from the load generator's; both
// still share the machine's cores, which the tables say.
//
// Modes for running the two sides by hand: -serve decnet|bare -addr A (a
// server that runs until SIGINT/SIGTERM and then prints its counters) and
// -client-only -addr A (the load generator alone, against any SSH server).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/app"
)

type options struct {
	clients  int
	duration time.Duration
	warmup   time.Duration
	rounds   int
	outcome  string
	hostKey  string
	kex      string
	idle     int
	silent   bool
	settle   time.Duration
	only     string

	memProfile string
	cpuProfile string

	// server / client-only modes
	serve      string
	addr       string
	control    bool
	keyDir     string
	memRate    int
	clientOnly bool
	user       string
	password   string
}

func main() {
	app.TuneRuntime()
	var o options
	flag.IntVar(&o.clients, "clients", 64, "concurrent load-generator workers (each loops dial → handshake → password → close)")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "timed length of one rate round")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "untimed load before each rate round")
	flag.IntVar(&o.rounds, "rounds", 3, "rate rounds per server, interleaved (bare, decnet, decnet, bare, …)")
	flag.StringVar(&o.outcome, "outcome", "fail", "fail: wrong password, denied; success: the decky's root password, logged in")
	flag.StringVar(&o.hostKey, "hostkey", "ed25519", "host key type both servers offer and the client pins: ed25519, ecdsa or rsa")
	flag.StringVar(&o.kex, "kex", "curve25519-sha256", `key exchange the client offers ("default" = x/crypto's list, which starts with mlkem768x25519-sha256 that decnet does not offer)`)
	flag.IntVar(&o.idle, "idle", 2000, "idle logged-in connections (pty + shell) for the memory measurement; 0 skips it")
	flag.BoolVar(&o.silent, "silent", false, "idle connections read the server's version line and then send nothing, instead of logging in")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "wait after the idle connections are open before measuring")
	flag.StringVar(&o.only, "only", "", "run only one part: rate or idle")
	flag.StringVar(&o.memProfile, "memprofile", "", "write the decnet server's heap profile (in-use, sampled every 4 KiB) with the idle connections open")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the decnet server during its first timed rate round")

	flag.StringVar(&o.serve, "serve", "", "run a server instead of the benchmark: decnet or bare")
	flag.StringVar(&o.addr, "addr", "", "with -serve: listen address (default 127.88.0.2:0 for decnet, 127.88.0.3:0 for bare); with -client-only: the server to load")
	flag.BoolVar(&o.control, "control", false, "with -serve: take commands on stdin and answer on stdout (how the benchmark drives its children)")
	flag.StringVar(&o.keyDir, "keydir", "", "with -serve: data dir holding the host keys (generated when missing; default a temp dir)")
	flag.IntVar(&o.memRate, "memrate", 0, "with -serve: runtime.MemProfileRate (0 keeps Go's default)")
	flag.BoolVar(&o.clientOnly, "client-only", false, "run only the load generator against -addr (rate rounds, no server measurement)")
	flag.StringVar(&o.user, "user", "root", "with -client-only: user name to try")
	flag.StringVar(&o.password, "password", "", "with -client-only: password to try (default: a wrong one for -outcome fail, admin for success)")
	flag.Parse()

	var err error
	switch {
	case o.serve != "":
		err = serveMain(o)
	case o.clientOnly:
		err = clientOnlyMain(o)
	default:
		err = benchMain(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench ssh:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch o.outcome {
	case "fail", "success":
	default:
		return fmt.Errorf("-outcome %q: want fail or success", o.outcome)
	}
	if _, err := hostKeyAlgo(o.hostKey); err != nil {
		return err
	}
	switch o.only {
	case "", "rate", "idle":
	default:
		return fmt.Errorf("-only %q: want rate or idle", o.only)
	}
	if o.clients < 1 || o.rounds < 1 {
		return fmt.Errorf("-clients and -rounds must be at least 1")
	}
	return nil
}

func benchMain(o options) error {
	if err := o.validate(); err != nil {
		return err
	}
	keyDir, err := os.MkdirTemp("", "decnet-bench-ssh-keys-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(keyDir)
	// The keys are generated once here, so both servers offer the same one
	// and no child pays for generating them.
	if _, err := loadKeys(keyDir, o.hostKey); err != nil {
		return err
	}
	o.keyDir = keyDir
	fmt.Printf("ssh benchmark: %s, GOMAXPROCS=%d, NumCPU=%d, load average %s, host key %s, kex %s, outcome %s\n\n",
		time.Now().UTC().Format(time.RFC3339), runtime.GOMAXPROCS(0), runtime.NumCPU(), loadAvg(), o.hostKey, o.kex, o.outcome)
	defer func() { fmt.Printf("load average at the end: %s\n", loadAvg()) }()
	if o.only != "idle" {
		if err := rateBench(o); err != nil {
			return fmt.Errorf("rate: %w", err)
		}
	}
	if o.only != "rate" && o.idle > 0 {
		if err := idleBench(o); err != nil {
			return fmt.Errorf("idle: %w", err)
		}
	}
	return nil
}

// order interleaves the two servers ABBA-wise so a drift of the machine
// over the run does not favour either.
func order(round int) []string {
	if round%2 == 0 {
		return []string{"bare", "decnet"}
	}
	return []string{"decnet", "bare"}
}

func label(impl string) string {
	if impl == "bare" {
		return "bare x/crypto/ssh (baseline)"
	}
	return "decnet ssh service"
}

func trimErr(err error) string {
	if err == nil {
		return ""
	}
	s := strings.ReplaceAll(err.Error(), "|", "/")
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
