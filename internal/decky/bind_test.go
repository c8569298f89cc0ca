package decky

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

func loopbackDecky(name, ip, nmapOS string) model.Decky {
	return model.Decky{Name: name, IP: ip, NmapOS: nmapOS, NetMode: model.NetLoopback, Distro: "debian"}
}

// echoOnce accepts one connection, writes what it reads back and closes.
func echoOnce(t *testing.T, ln net.Listener) <-chan net.Conn {
	t.Helper()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(ch)
			return
		}
		ch <- c
		buf := make([]byte, 64)
		c.SetDeadline(time.Now().Add(5 * time.Second))
		n, _ := c.Read(buf)
		c.Write(buf[:n])
	}()
	return ch
}

func dialEcho(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(io.LimitReader(c, 4))
	if err != nil || string(got) != "ping" {
		t.Fatalf("echo: %q %v", got, err)
	}
}

func TestLoopbackBinderServesTCPAndUDP(t *testing.T) {
	ctx := context.Background()
	b, err := NewBinder(model.NetLoopback, "")
	if err != nil {
		t.Fatal(err)
	}
	if b.Mode() != model.NetLoopback {
		t.Errorf("mode %s", b.Mode())
	}
	d := loopbackDecky("d1", "127.77.3.4", OSWindows)
	if err := b.Up(ctx, d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Down(ctx, d) })
	ln, err := b.Listen(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if got := ln.Addr().(*net.TCPAddr).IP.String(); got != "127.77.3.4" {
		t.Fatalf("listening on %s", got)
	}
	accepted := echoOnce(t, ln)
	dialEcho(t, ln.Addr().String())
	c := <-accepted
	if c == nil {
		t.Fatal("nothing accepted")
	}
	c.Close()

	pc, err := b.ListenPacket(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	cl, err := net.Dial("udp", pc.LocalAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	cl.Write([]byte("hi"))
	pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 8)
	n, from, err := pc.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hi" || from == nil {
		t.Fatalf("udp read %q %v", buf[:n], err)
	}
}

func TestLoopbackBinderRejectsLANAddresses(t *testing.T) {
	b, _ := NewBinder(model.NetLoopback, "")
	for _, ip := range []string{"192.168.1.5", "::1", "not-an-ip", ""} {
		err := b.Up(context.Background(), loopbackDecky("d1", ip, ""))
		if err == nil || !strings.Contains(err.Error(), "d1") {
			t.Errorf("ip %q: %v", ip, err)
		}
	}
}

func TestListenPortInUse(t *testing.T) {
	ctx := context.Background()
	b, _ := NewBinder(model.NetLoopback, "")
	d := loopbackDecky("d1", "127.77.3.5", "")
	ln, err := b.Listen(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = b.Listen(ctx, d, port)
	if !errors.Is(err, ErrAddrInUse) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("second listen: %v", err)
	}
	if want := ln.Addr().String() + " is already in use"; !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q should start with %q", err, want)
	}
	if _, err := b.Listen(ctx, d, 70000); err == nil {
		t.Error("port 70000 accepted")
	}
}

func TestBindErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		name   string
		port   int
		err    error
		kind   error
		substr []string
	}{
		{"low port without capability", 22, syscall.EACCES, ErrPrivilege,
			[]string{"127.77.0.2:22", "CAP_NET_BIND_SERVICE", "port 22", "run as root", "setcap cap_net_bind_service+ep", "sysctl net.ipv4.ip_unprivileged_port_start=0"}},
		{"in use", 8080, syscall.EADDRINUSE, ErrAddrInUse, []string{"127.77.0.2:8080 is already in use"}},
		{"address not up", 80, syscall.EADDRNOTAVAIL, nil, []string{"127.77.0.2:80 is not an address of this host", "bring the decky up"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := bindError("127.77.0.2:"+strconv.Itoa(tc.port), tc.port, &net.OpError{Op: "listen", Err: &osSyscallError{tc.err}})
			for _, s := range tc.substr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Error("multi-line error")
			}
			if tc.kind != nil && !errors.Is(err, tc.kind) {
				t.Errorf("not %v", tc.kind)
			}
			if !errors.Is(err, tc.err) {
				t.Errorf("cause %v lost", tc.err)
			}
		})
	}
}

// osSyscallError wraps an errno the way the net package does.
type osSyscallError struct{ err error }

func (e *osSyscallError) Error() string { return "bind: " + e.err.Error() }
func (e *osSyscallError) Unwrap() error { return e.err }

func TestNewBinderErrors(t *testing.T) {
	for _, tc := range []struct {
		mode, iface, want string
	}{
		{"bridge", "", `unknown net mode "bridge" (valid: alias, loopback, macvlan)`},
		{model.NetAlias, "", "alias mode needs the interface"},
		{model.NetMacvlan, "", "macvlan mode needs the interface"},
	} {
		_, err := NewBinder(tc.mode, tc.iface)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewBinder(%q, %q) = %v, want %q", tc.mode, tc.iface, err, tc.want)
		}
	}
}

func TestMacvlanNaming(t *testing.T) {
	for _, name := range []string{"d", "decky-01", strings.Repeat("x", 128)} {
		l := MacvlanLinkName(name)
		if len(l) != 15 || !strings.HasPrefix(l, "dn-") {
			t.Errorf("link name %q", l)
		}
	}
	if MacvlanLinkName("a") == MacvlanLinkName("b") {
		t.Error("names collide")
	}
	for _, seed := range []uint64{0, 1, Seed("decky-01", "0"), ^uint64(0)} {
		mac := MacvlanMAC(seed)
		if len(mac) != 6 || mac[0]&0x02 == 0 || mac[0]&0x01 != 0 {
			t.Errorf("seed %d: mac %s is not unicast and locally administered", seed, mac)
		}
		if mac.String() != MacvlanMAC(seed).String() {
			t.Error("mac not stable")
		}
	}
	if MacvlanMAC(1).String() == MacvlanMAC(2).String() {
		t.Error("macs collide")
	}
}
