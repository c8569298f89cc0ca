package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	_ "github.com/decnet/decnet/internal/services/ssh" // registers "ssh"
	"github.com/decnet/decnet/internal/shell"
)

// Addresses of the two servers (127.0.0.0/8 is local as a whole on Linux)
// and the login both accept for -outcome success.
const (
	decnetIP      = "127.88.0.2"
	bareIP        = "127.88.0.3"
	benchUser     = "root"
	wrongPassword = "not-the-password-7f3a"
)

// benchDecky is the decky the decnet server plays: planned like `decnet
// deploy -n 1 --services ssh` would, so its persona and ssh config (root
// password "admin", seeded weak logins) are the defaults.
func benchDecky() (model.Decky, error) {
	p, err := decky.PlanFleet(decky.PlanOptions{
		Count: 1, Services: []string{"ssh"}, NamePrefix: "bench", NetMode: model.NetLoopback,
		Subnet: "127.88.0.0/24", IPStart: decnetIP, Catalog: services.Catalog{},
	})
	if err != nil {
		return model.Decky{}, err
	}
	return p.Deckies[0], nil
}

// hostKeyAlgo is the host key algorithm the client pins for -hostkey.
func hostKeyAlgo(kind string) (string, error) {
	switch kind {
	case "ed25519":
		return gossh.KeyAlgoED25519, nil
	case "ecdsa":
		return gossh.KeyAlgoECDSA256, nil
	case "rsa":
		return gossh.KeyAlgoRSASHA256, nil
	}
	return "", fmt.Errorf("-hostkey %q: want ed25519, ecdsa or rsa", kind)
}

// loadKeys loads (or creates) the bench decky's keys in dir and returns the
// one host key of the requested kind.
func loadKeys(dir, kind string) (*decky.Keys, error) {
	d, err := benchDecky()
	if err != nil {
		return nil, err
	}
	keys, err := decky.LoadOrCreateKeys(dir, d.Name, d.Hostname, []net.IP{net.ParseIP(d.IP)}, []string{d.Hostname})
	if err != nil {
		return nil, err
	}
	want := map[string]string{"ed25519": gossh.KeyAlgoED25519, "ecdsa": gossh.KeyAlgoECDSA256, "rsa": gossh.KeyAlgoRSA}[kind]
	for _, s := range keys.HostKeys {
		if s.PublicKey().Type() == want {
			keys.HostKeys = []gossh.Signer{s}
			return keys, nil
		}
	}
	return nil, fmt.Errorf("no %s host key among the decky's keys", kind)
}

// server is one of the two servers under test.
type server interface {
	Addr() string
	Password() string
	// Counts are the events the server produced so far, by type: for decnet
	// read back from the bus stream, for bare the password callbacks.
	Counts(ctx context.Context) (map[string]uint64, error)
	Close()
}

// serverStats is what a child reports about itself.
type serverStats struct {
	CPUNs      int64             `json:"cpu_ns"`
	HeapInuse  uint64            `json:"heap_inuse"`
	StackInuse uint64            `json:"stack_inuse"`
	Sys        uint64            `json:"sys"`
	Goroutines int               `json:"goroutines"`
	RSSKB      int64             `json:"rss_kb"`
	Counts     map[string]uint64 `json:"counts,omitempty"`
	Published  uint64            `json:"published"`
	Failed     uint64            `json:"failed"`
	Err        string            `json:"err,omitempty"`
}

// readyLine is a child's first line on stdout.
type readyLine struct {
	Addr     string `json:"addr"`
	User     string `json:"user"`
	Password string `json:"password"`
	PID      int    `json:"pid"`
}

func serveMain(o options) error {
	if o.memRate > 0 {
		runtime.MemProfileRate = o.memRate
	}
	if _, err := hostKeyAlgo(o.hostKey); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "decnet-bench-ssh-server-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.keyDir == "" {
		o.keyDir = tmp
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var srv server
	switch o.serve {
	case "decnet":
		if o.addr == "" {
			o.addr = decnetIP + ":0"
		}
		srv, err = startDecnet(ctx, o, tmp)
	case "bare":
		if o.addr == "" {
			o.addr = bareIP + ":0"
		}
		srv, err = startBare(o)
	default:
		return fmt.Errorf("-serve %q: want decnet or bare", o.serve)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	out := json.NewEncoder(os.Stdout)
	if err := out.Encode(readyLine{Addr: srv.Addr(), User: benchUser, Password: srv.Password(), PID: os.Getpid()}); err != nil {
		return err
	}
	if !o.control {
		fmt.Fprintf(os.Stderr, "serving %s ssh on %s (user %s, password %s); stop with SIGINT or SIGTERM\n", o.serve, srv.Addr(), benchUser, srv.Password())
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		st := stats(ctx, srv, false, true)
		return out.Encode(st)
	}
	return control(ctx, srv, os.Stdin, out)
}

// control answers one command per line until "quit" or end of input:
// stats, gcstats (after a GC that returns freed memory to the OS), count
// (stats with event counts), memprofile PATH, cpuprofile PATH,
// cpuprofile-stop.
func control(ctx context.Context, srv server, in io.Reader, out *json.Encoder) error {
	sc := bufio.NewScanner(in)
	var prof *os.File
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		var st serverStats
		switch cmd {
		case "stats":
			st = stats(ctx, srv, false, false)
		case "gcstats":
			st = stats(ctx, srv, true, false)
		case "count":
			st = stats(ctx, srv, false, true)
		case "memprofile":
			runtime.GC()
			f, err := os.Create(arg)
			if err == nil {
				err = pprof.Lookup("heap").WriteTo(f, 0)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			st.Err = errString(err)
		case "cpuprofile":
			f, err := os.Create(arg)
			if err == nil {
				if err = pprof.StartCPUProfile(f); err == nil {
					prof = f
				} else {
					f.Close()
				}
			}
			st.Err = errString(err)
		case "cpuprofile-stop":
			if prof != nil {
				pprof.StopCPUProfile()
				st.Err = errString(prof.Close())
				prof = nil
			}
		case "quit":
			return nil
		default:
			st.Err = "unknown command " + strconv.Quote(cmd)
		}
		if err := out.Encode(st); err != nil {
			return err
		}
	}
	return sc.Err()
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func stats(ctx context.Context, srv server, gc, count bool) serverStats {
	var st serverStats
	if count {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		c, err := srv.Counts(cctx)
		cancel()
		st.Counts, st.Err = c, errString(err)
	}
	if d, ok := srv.(*decnetServer); ok {
		st.Published, st.Failed = d.env.Emitter.Stats()
	}
	if gc {
		runtime.GC()
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st.HeapInuse, st.StackInuse, st.Sys = ms.HeapInuse, ms.StackInuse, ms.Sys
	st.Goroutines = runtime.NumGoroutine()
	st.CPUNs = int64(processCPU())
	if s, err := procStatus(os.Getpid()); err == nil {
		st.RSSKB = s["VmRSS"]
	}
	return st
}

// decnetServer is the real ssh service of one decky, wired as
// internal/fleet wires it, publishing into an embedded bus.
type decnetServer struct {
	addr     string
	password string
	env      *services.Env
	bus      *bus.Bus
	cons     *bus.EventConsumer
	cancel   context.CancelFunc
	done     chan struct{}

	mu     sync.Mutex
	counts map[string]uint64
}

func startDecnet(ctx context.Context, o options, dir string) (*decnetServer, error) {
	quiet := slog.New(slog.DiscardHandler)
	d, err := benchDecky()
	if err != nil {
		return nil, err
	}
	host, portStr, err := net.SplitHostPort(o.addr)
	if err != nil {
		return nil, fmt.Errorf("-addr %q: %w", o.addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("-addr %q: bad port", o.addr)
	}
	d.IP = host
	keys, err := loadKeys(o.keyDir, o.hostKey)
	if err != nil {
		return nil, err
	}
	b, err := bus.Open(ctx, bus.Options{DataDir: filepath.Join(dir, "nats"), Logger: quiet})
	if err != nil {
		return nil, err
	}
	s := &decnetServer{bus: b, counts: make(map[string]uint64), done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			b.Close()
		}
	}()
	// A consumer of its own reads the events back for the count; nothing
	// else consumes the stream, so the ingest worker's cost is not here.
	if s.cons, err = b.EventConsumer(ctx, "bench"); err != nil {
		return nil, err
	}
	svc, err := services.Lookup("ssh")
	if err != nil {
		return nil, err
	}
	validated, err := svc.Schema().Validate(d.ServiceConfig["ssh"])
	if err != nil {
		return nil, err
	}
	cfg := svc.Schema().Resolve(validated)
	s.password = cfg.String("password")
	q, err := services.OpenQuarantine(filepath.Join(dir, "artifacts", d.Name, "ssh"), 0, 0)
	if err != nil {
		return nil, err
	}
	var users []string
	if u := cfg.String("user"); u != "" && u != "root" {
		users = []string{u}
	}
	s.env = &services.Env{
		Decky:  d,
		Config: cfg,
		Emitter: services.NewEmitter("ssh", services.EmitterOptions{
			Publisher: b, Decky: d.Name, IP: d.IP, Logger: quiet,
		}),
		HostKeys:   keys.HostKeys,
		TLS:        &keys.TLS,
		FS:         shell.NewFS(shell.Persona{Hostname: d.Hostname, Distro: d.Distro, Seed: d.Seed, Users: users}),
		Quarantine: q,
		Notify:     b,
		Logger:     quiet,
	}
	h, err := svc.New(s.env)
	if err != nil {
		return nil, err
	}
	binder, err := decky.NewBinder(model.NetLoopback, "")
	if err != nil {
		return nil, err
	}
	if err := binder.Up(ctx, d); err != nil {
		return nil, err
	}
	ln, err := binder.Listen(ctx, d, port)
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	sctx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	go func() {
		defer close(s.done)
		services.Serve(sctx, ln, h, s.env)
	}()
	ok = true
	return s, nil
}

func (s *decnetServer) Addr() string     { return s.addr }
func (s *decnetServer) Password() string { return s.password }

func (s *decnetServer) Close() {
	s.cancel()
	<-s.done
	s.bus.Close()
}

// Counts waits until every event published so far is acknowledged by the
// stream, then reads the stream to its end and counts events by type.
func (s *decnetServer) Counts(ctx context.Context) (map[string]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.bus.FlushAsync(ctx); err != nil {
		return nil, err
	}
	for {
		pending, err := s.cons.Pending(ctx)
		if err != nil {
			return nil, err
		}
		if pending == 0 {
			break
		}
		b, err := s.cons.Fetch(ctx, 2000, 200*time.Millisecond)
		if err != nil {
			return nil, err
		}
		for _, ev := range b.Events() {
			s.counts[ev.EventType]++
		}
		if n := b.Dropped(); n > 0 {
			s.counts["undecodable"] += uint64(n)
		}
		if err := b.Ack(ctx); err != nil {
			return nil, err
		}
	}
	out := make(map[string]uint64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out, nil
}

// bareServer is golang.org/x/crypto/ssh with its default config, the same
// host key and a password callback that only compares: what the library
// costs by itself. Its "shell" accepts pty-req and shell and reads the
// channel until the client leaves.
type bareServer struct {
	ln       net.Listener
	attempts atomic.Uint64
	wg       sync.WaitGroup
	mu       sync.Mutex
	open     map[net.Conn]struct{}
}

const barePassword = "admin"

func startBare(o options) (*bareServer, error) {
	keys, err := loadKeys(o.keyDir, o.hostKey)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return nil, err
	}
	s := &bareServer{ln: ln, open: make(map[net.Conn]struct{})}
	cfg := &gossh.ServerConfig{
		PasswordCallback: func(md gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
			s.attempts.Add(1)
			if md.User() == benchUser && string(pw) == barePassword {
				return nil, nil
			}
			return nil, errors.New("permission denied")
		},
	}
	for _, k := range keys.HostKeys {
		cfg.AddHostKey(k)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.open[nc] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.serveConn(nc, cfg)
				s.mu.Lock()
				delete(s.open, nc)
				s.mu.Unlock()
			}()
		}
	}()
	return s, nil
}

func (s *bareServer) serveConn(nc net.Conn, cfg *gossh.ServerConfig) {
	defer nc.Close()
	sconn, chans, reqs, err := gossh.NewServerConn(nc, cfg)
	if err != nil {
		return
	}
	defer sconn.Close()
	go gossh.DiscardRequests(reqs)
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(gossh.UnknownChannelType, "unknown channel type")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go func() {
			for r := range creqs {
				if r.WantReply {
					r.Reply(r.Type == "pty-req" || r.Type == "shell", nil)
				}
			}
		}()
		go func() {
			io.Copy(io.Discard, ch)
			ch.Close()
		}()
	}
}

func (s *bareServer) Addr() string     { return s.ln.Addr().String() }
func (s *bareServer) Password() string { return barePassword }

func (s *bareServer) Counts(context.Context) (map[string]uint64, error) {
	return map[string]uint64{"auth_attempt": s.attempts.Load()}, nil
}

func (s *bareServer) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}
