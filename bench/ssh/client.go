package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// attemptTimeout bounds one attempt (dial to close).
const attemptTimeout = 20 * time.Second

// sourceIP is the client address of worker (or connection group) i. Each
// worker dials from its own loopback address, as scanners come from many
// addresses: decnet caps connections per source address (64 by default)
// and the bench must not measure that cap.
func sourceIP(i int) net.IP {
	return net.IPv4(127, 89, byte(i/250), byte(i%250+1))
}

func clientConfig(o options, user, password string) *gossh.ClientConfig {
	algo, _ := hostKeyAlgo(o.hostKey)
	cfg := &gossh.ClientConfig{
		User:              user,
		Auth:              []gossh.AuthMethod{gossh.Password(password)},
		HostKeyCallback:   gossh.InsecureIgnoreHostKey(),
		HostKeyAlgorithms: []string{algo},
		Timeout:           attemptTimeout,
	}
	if o.kex != "default" {
		cfg.KeyExchanges = []string{o.kex}
	}
	return cfg
}

// loadResult is one run of the load generator.
type loadResult struct {
	ok, failed int
	lat        []time.Duration
	firstErr   error
	elapsed    time.Duration
	cpu        time.Duration // this process's CPU over the run
}

// runLoad runs clients workers against target for d; each loops dial →
// handshake → password → close. An attempt counts when it ends as
// expected: denied for -outcome fail, logged in for success.
func runLoad(target string, cfg *gossh.ClientConfig, success bool, clients int, d time.Duration) loadResult {
	var stop atomic.Bool
	type worker struct {
		ok, failed int
		lat        []time.Duration
		err        error
	}
	ws := make([]worker, clients)
	var wg sync.WaitGroup
	cpu0, start := processCPU(), time.Now()
	timer := time.AfterFunc(d, func() { stop.Store(true) })
	defer timer.Stop()
	for i := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &ws[i]
			w.lat = make([]time.Duration, 0, 1024)
			dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: sourceIP(i)}, Timeout: attemptTimeout}
			for !stop.Load() {
				t0 := time.Now()
				err := attempt(dialer, target, cfg, success)
				if err != nil {
					w.failed++
					if w.err == nil {
						w.err = err
					}
					continue
				}
				w.lat = append(w.lat, time.Since(t0))
				w.ok++
			}
		}()
	}
	wg.Wait()
	r := loadResult{elapsed: time.Since(start), cpu: processCPU() - cpu0}
	for _, w := range ws {
		r.ok += w.ok
		r.failed += w.failed
		r.lat = append(r.lat, w.lat...)
		if r.firstErr == nil {
			r.firstErr = w.err
		}
	}
	slices.Sort(r.lat)
	return r
}

func attempt(dialer *net.Dialer, target string, cfg *gossh.ClientConfig, success bool) error {
	nc, err := dialer.Dial("tcp", target)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(attemptTimeout))
	c, chans, reqs, err := gossh.NewClientConn(nc, target, cfg)
	if success {
		if err != nil {
			return err
		}
		return gossh.NewClient(c, chans, reqs).Close()
	}
	if err == nil {
		c.Close()
		return errors.New("login accepted where a denial was expected")
	}
	// x/crypto's client reports a denial once every method has failed.
	if !strings.Contains(err.Error(), "unable to authenticate") {
		return err
	}
	return nil
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

// idleConn is one idle client: logged in with a shell open on a pty, or
// (silent) a TCP connection that read the server's version line and then
// sends nothing, as scanners and stalled bots do.
type idleConn struct {
	cl     *gossh.Client
	sess   *gossh.Session
	stdin  *io.PipeWriter
	silent net.Conn
}

func (c *idleConn) close() {
	if c.silent != nil {
		c.silent.Close()
		return
	}
	c.stdin.Close()
	c.sess.Close()
	c.cl.Close()
}

// connsPerSource keeps each source address under decnet's per-address cap
// (64).
const connsPerSource = 50

// openIdle opens n logged-in connections, each with a pty and a shell whose
// input never ends (an empty stdin would send EOF and end the shell).
func openIdle(target string, cfg *gossh.ClientConfig, n, parallel int, silent bool) ([]*idleConn, error) {
	conns := make([]*idleConn, n)
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if silent {
				conns[i], errs[i] = openSilent(target, sourceIP(i/connsPerSource))
			} else {
				conns[i], errs[i] = openOne(target, cfg, sourceIP(i/connsPerSource))
			}
		}()
	}
	wg.Wait()
	var out []*idleConn
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if err := errors.Join(errs...); err != nil {
		for _, c := range out {
			c.close()
		}
		return nil, fmt.Errorf("%d of %d connections failed, e.g.: %w", n-len(out), n, firstErr(errs))
	}
	return out, nil
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func openOne(target string, cfg *gossh.ClientConfig, src net.IP) (*idleConn, error) {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: attemptTimeout}
	nc, err := dialer.Dial("tcp", target)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(attemptTimeout))
	c, chans, reqs, err := gossh.NewClientConn(nc, target, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	cl := gossh.NewClient(c, chans, reqs)
	sess, err := cl.NewSession()
	if err != nil {
		cl.Close()
		return nil, err
	}
	pr, pw := io.Pipe()
	sess.Stdin, sess.Stdout, sess.Stderr = pr, io.Discard, io.Discard
	if err := sess.RequestPty("xterm-256color", 24, 80, gossh.TerminalModes{gossh.ECHO: 1}); err != nil {
		cl.Close()
		return nil, fmt.Errorf("pty-req: %w", err)
	}
	if err := sess.Shell(); err != nil {
		cl.Close()
		return nil, fmt.Errorf("shell: %w", err)
	}
	nc.SetDeadline(time.Time{})
	return &idleConn{cl: cl, sess: sess, stdin: pw}, nil
}

// openSilent connects, waits for the server's identification line (so the
// server has accepted and started handling the connection), then goes
// quiet.
func openSilent(target string, src net.IP) (*idleConn, error) {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: attemptTimeout}
	nc, err := dialer.Dial("tcp", target)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(attemptTimeout))
	b := make([]byte, 1)
	for b[0] != '\n' {
		if _, err := nc.Read(b); err != nil {
			nc.Close()
			return nil, fmt.Errorf("reading the version line: %w", err)
		}
	}
	nc.SetDeadline(time.Time{})
	return &idleConn{silent: nc}, nil
}
