package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procStatus reads the kB fields (VmRSS, RssAnon, VmHWM …) of
// /proc/<pid>/status.
func procStatus(pid int) (map[string]int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[string]int64)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
			out[k] = n
		}
	}
	return out, sc.Err()
}

// countFDs is the number of open file descriptors of pid (-1 when
// unreadable).
func countFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// child is a server running in a re-executed copy of this binary, driven
// over its stdin and stdout.
type child struct {
	impl  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *json.Decoder
	ready readyLine
}

func startChild(o options, impl string, memRate int) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := []string{"-serve", impl, "-control", "-keydir", o.keyDir, "-hostkey", o.hostKey}
	if memRate > 0 {
		args = append(args, "-memrate", strconv.Itoa(memRate))
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{impl: impl, cmd: cmd, in: in, out: json.NewDecoder(outPipe)}
	if err := c.out.Decode(&c.ready); err != nil {
		c.kill()
		return nil, fmt.Errorf("%s server did not start: %w", impl, err)
	}
	return c, nil
}

func (c *child) call(cmd string) (serverStats, error) {
	var st serverStats
	if _, err := io.WriteString(c.in, cmd+"\n"); err != nil {
		return st, fmt.Errorf("%s server: %w", c.impl, err)
	}
	if err := c.out.Decode(&st); err != nil {
		return st, fmt.Errorf("%s server: %s: %w", c.impl, cmd, err)
	}
	if st.Err != "" {
		return st, fmt.Errorf("%s server: %s: %s", c.impl, cmd, st.Err)
	}
	return st, nil
}

func (c *child) status() (map[string]int64, error) { return procStatus(c.cmd.Process.Pid) }

// stop asks the child to quit and waits for it.
func (c *child) stop() error {
	io.WriteString(c.in, "quit\n")
	c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-done
		return errors.New(c.impl + " server did not stop within 30 s; killed")
	}
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

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
