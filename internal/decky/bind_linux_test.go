//go:build linux

package decky

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/testenv"
)

func sockopt(t *testing.T, c syscall.Conn, level, opt int) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var v int
	var gerr error
	if err := rc.Control(func(fd uintptr) { v, gerr = unix.GetsockoptInt(int(fd), level, opt) }); err != nil {
		t.Fatal(err)
	}
	if gerr != nil {
		t.Fatal(gerr)
	}
	return v
}

func TestListenAppliesOSProfile(t *testing.T) {
	ctx := context.Background()
	b, _ := NewBinder(model.NetLoopback, "")
	for i, tc := range []struct {
		family    string
		ttl       int
		clamp     int // 0: left to the kernel
		wantClamp bool
	}{
		{OSLinux, 64, 0, false},
		{OSWindows, 128, 8192, true},
		{OSWindowsServer, 128, 8192, true},
		{OSBSD, 64, 65535, true},
		{OSEmbedded, 255, 5840, true},
		{OSCisco, 255, 4128, true},
	} {
		t.Run(tc.family, func(t *testing.T) {
			d := loopbackDecky("d"+strconv.Itoa(i), "127.77.1."+strconv.Itoa(10+i), tc.family)
			ln, err := b.Listen(ctx, d, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			tl := ln.(*net.TCPListener)
			if got := sockopt(t, tl, unix.IPPROTO_IP, unix.IP_TTL); got != tc.ttl {
				t.Errorf("listener IP_TTL = %d, want %d", got, tc.ttl)
			}
			clamp := sockopt(t, tl, unix.IPPROTO_TCP, unix.TCP_WINDOW_CLAMP)
			if tc.wantClamp && clamp != tc.clamp {
				t.Errorf("listener TCP_WINDOW_CLAMP = %d, want %d", clamp, tc.clamp)
			}
			if !tc.wantClamp && clamp != 0 {
				t.Errorf("linux listener clamped to %d", clamp)
			}

			accepted := echoOnce(t, ln)
			dialEcho(t, ln.Addr().String())
			c := <-accepted
			if c == nil {
				t.Fatal("nothing accepted")
			}
			defer c.Close()
			if got := sockopt(t, c.(*net.TCPConn), unix.IPPROTO_IP, unix.IP_TTL); got != tc.ttl {
				t.Errorf("accepted conn IP_TTL = %d, want %d", got, tc.ttl)
			}
			if tc.wantClamp {
				if got := sockopt(t, c.(*net.TCPConn), unix.IPPROTO_TCP, unix.TCP_WINDOW_CLAMP); got <= 0 || got > tc.clamp {
					t.Errorf("accepted conn TCP_WINDOW_CLAMP = %d, want 1..%d", got, tc.clamp)
				}
			}

			pc, err := b.ListenPacket(ctx, d, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer pc.Close()
			if got := sockopt(t, pc.(*net.UDPConn), unix.IPPROTO_IP, unix.IP_TTL); got != tc.ttl {
				t.Errorf("udp IP_TTL = %d, want %d", got, tc.ttl)
			}
		})
	}
}

// TestSYNACKOnTheWire reads the server's SYN-ACK off a raw socket: its IP TTL
// and TCP window must be the persona's, not the host's.
func TestSYNACKOnTheWire(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipping: reading SYN-ACKs needs a raw socket (root); the socket options are checked by TestListenAppliesOSProfile")
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200000})
	ctx := context.Background()
	b, _ := NewBinder(model.NetLoopback, "")
	for i, tc := range []struct {
		family string
		ttl    uint8
		window uint16 // 0: the kernel's own
	}{
		{OSWindows, 128, 8192},
		{OSEmbedded, 255, 5840},
		{OSCisco, 255, 4128},
		{OSLinux, 64, 0},
	} {
		t.Run(tc.family, func(t *testing.T) {
			ip := "127.77.2." + strconv.Itoa(10+i)
			ln, err := b.Listen(ctx, loopbackDecky("w"+strconv.Itoa(i), ip, tc.family), 0)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := uint16(ln.Addr().(*net.TCPAddr).Port)
			go func() {
				if c, err := ln.Accept(); err == nil {
					c.Close()
				}
			}()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			src := netip.MustParseAddr(ip).As4()
			buf := make([]byte, 65536)
			deadline := time.Now().Add(5 * time.Second)
			for time.Now().Before(deadline) {
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil || n < 40 {
					continue
				}
				pkt := buf[:n]
				ihl := int(pkt[0]&0x0f) * 4
				if [4]byte(pkt[12:16]) != src || n < ihl+20 {
					continue
				}
				tcp := pkt[ihl:]
				const syn, ack = 0x02, 0x10
				if binary.BigEndian.Uint16(tcp[0:2]) != port || tcp[13]&(syn|ack) != syn|ack {
					continue
				}
				if pkt[8] != tc.ttl {
					t.Errorf("SYN-ACK TTL %d, want %d", pkt[8], tc.ttl)
				}
				w := binary.BigEndian.Uint16(tcp[14:16])
				if tc.window != 0 && w != tc.window {
					t.Errorf("SYN-ACK window %d, want %d", w, tc.window)
				}
				if tc.window == 0 && w <= 8192 {
					t.Errorf("linux SYN-ACK window %d looks clamped", w)
				}
				return
			}
			t.Fatal("no SYN-ACK seen")
		})
	}
}

func TestCapabilityIn(t *testing.T) {
	for _, tc := range []struct {
		status string
		bit    uint
		want   bool
		err    bool
	}{
		{"Name:\tdecnet\nCapEff:\t000001fffeffffff\n", capNetAdmin, true, false},
		{"CapEff:\t0000000000000400\n", capNetAdmin, false, false},
		{"CapEff:\t0000000000000400\n", 10, true, false},
		{"CapEff:\t0000000000000000\n", capNetAdmin, false, false},
		{"CapEff:\tzz\n", capNetAdmin, false, true},
		{"Name:\tx\n", capNetAdmin, false, true},
	} {
		got, err := capabilityIn([]byte(tc.status), tc.bit)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("capabilityIn(%q, %d) = %v, %v", tc.status, tc.bit, got, err)
		}
	}
	msg := netAdminError(model.NetAlias, "add addresses to eth0", nil).Error()
	if want := "alias mode needs CAP_NET_ADMIN to add addresses to eth0: run as root or grant it (setcap cap_net_admin+ep decnet), or use --net-mode loopback"; msg != want {
		t.Errorf("got  %s\nwant %s", msg, want)
	}
}

// TestUnprivilegedErrors binds port 80 and asks for netlink binders as
// an unprivileged user (root re-runs this test as nobody) and checks the
// operator gets the one-line fix each time.
func TestUnprivilegedErrors(t *testing.T) {
	const childEnv = "DECNET_TEST_LOWPORT_CHILD"
	if os.Getenv(childEnv) == "1" {
		fmt.Print("\n" + unprivilegedResults())
		return
	}
	start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	if n, _ := strconv.Atoi(strings.TrimSpace(string(start))); err != nil || n <= 80 {
		t.Skip("skipping: unprivileged users may bind port 80 here (net.ipv4.ip_unprivileged_port_start)")
	}
	var out []byte
	if os.Geteuid() != 0 {
		if hasCapability(10) || hasCapability(capNetAdmin) {
			t.Skip("skipping: this process holds CAP_NET_BIND_SERVICE or CAP_NET_ADMIN")
		}
		out = []byte(unprivilegedResults())
	} else {
		// Root: run this test again as nobody.
		out = testenv.RunAsNobody(t, "TestUnprivilegedErrors", childEnv)
	}
	var lines []string
	for l := range strings.Lines(string(out)) {
		if strings.HasPrefix(l, "RESULT ") {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	want := []string{
		"RESULT privilege=true: binding 127.77.5.1:80 needs CAP_NET_BIND_SERVICE (port 80 is below 1024): run as root, grant it (setcap cap_net_bind_service+ep decnet), or allow low ports for all users (sysctl net.ipv4.ip_unprivileged_port_start=0)",
		"RESULT privilege=true: alias mode needs CAP_NET_ADMIN to add addresses to lo: run as root or grant it (setcap cap_net_admin+ep decnet), or use --net-mode loopback",
		"RESULT privilege=true: macvlan mode needs CAP_NET_ADMIN to create macvlan links on lo: run as root or grant it (setcap cap_net_admin+ep decnet), or use --net-mode loopback",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("(-want +got):\n%s\n(output: %s)", diff, out)
	}
}

// unprivilegedResults is what an unprivileged process is told when it binds a
// low port or asks for alias and macvlan binders, one RESULT line each.
func unprivilegedResults() string {
	var b strings.Builder
	lb, _ := NewBinder(model.NetLoopback, "")
	_, err := lb.Listen(context.Background(), loopbackDecky("d1", "127.77.5.1", ""), 80)
	fmt.Fprintf(&b, "RESULT privilege=%v: %v\n", errors.Is(err, ErrPrivilege), err)
	for _, mode := range []string{model.NetAlias, model.NetMacvlan} {
		_, err := NewBinder(mode, "lo")
		fmt.Fprintf(&b, "RESULT privilege=%v: %v\n", errors.Is(err, ErrPrivilege), err)
	}
	return b.String()
}

// requireNetAdmin skips tests that create interfaces unless run as root
// with CAP_NET_ADMIN, as the CI VM does.
func requireNetAdmin(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 || !hasCapability(capNetAdmin) {
		t.Skip("skipping: alias and macvlan tests create interfaces and need root with CAP_NET_ADMIN; run go test as root to cover them")
	}
}

// testParent creates dntest0, a dummy interface (or a bridge, on kernels
// built without dummy support) to hang test addresses and links on.
func testParent(t *testing.T) netlink.Link {
	t.Helper()
	const name = "dntest0"
	if old, err := netlink.LinkByName(name); err == nil {
		netlink.LinkDel(old)
	}
	err := netlink.LinkAdd(&netlink.Dummy{LinkAttrs: netlink.LinkAttrs{Name: name}})
	if err != nil {
		err = netlink.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name}})
	}
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	l, err := netlink.LinkByName(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netlink.LinkDel(l) })
	if err := netlink.LinkSetUp(l); err != nil {
		t.Fatal(err)
	}
	return l
}

func addrOn(t *testing.T, l netlink.Link, ip string) (netlink.Addr, bool) {
	t.Helper()
	addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if a.IP.String() == ip {
			return a, true
		}
	}
	return netlink.Addr{}, false
}

func TestAliasBinder(t *testing.T) {
	requireNetAdmin(t)
	parent := testParent(t)
	ctx := context.Background()
	b, err := NewBinder(model.NetAlias, "dntest0")
	if err != nil {
		t.Fatal(err)
	}
	d := model.Decky{Name: "a1", IP: "198.51.100.10", NmapOS: OSWindows, NetMode: model.NetAlias, Interface: "dntest0"}
	t.Cleanup(func() { b.Down(ctx, d) })

	// Not up yet: binding says so.
	if _, err := b.Listen(ctx, d, 0); err == nil || !strings.Contains(err.Error(), "bring the decky up") {
		t.Errorf("listen before Up: %v", err)
	}
	if err := b.Up(ctx, d); err != nil {
		t.Fatal(err)
	}
	a, ok := addrOn(t, parent, d.IP)
	if !ok {
		t.Fatal("Up did not add the address")
	}
	if ones, _ := a.Mask.Size(); ones != 32 || a.Label != "dntest0:dn" {
		t.Errorf("address %s label %q, want /32 labelled dntest0:dn", a.IPNet, a.Label)
	}
	ln, err := b.Listen(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	accepted := echoOnce(t, ln)
	dialEcho(t, ln.Addr().String())
	if c := <-accepted; c != nil {
		c.Close()
	}
	ln.Close()
	if err := b.Down(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, ok := addrOn(t, parent, d.IP); ok {
		t.Error("Down left the address")
	}
	if err := b.Down(ctx, d); err != nil {
		t.Errorf("second Down: %v", err)
	}

	// An address someone else added is used but not removed.
	theirs := model.Decky{Name: "a2", IP: "198.51.100.11", NetMode: model.NetAlias}
	if err := netlink.AddrAdd(parent, &netlink.Addr{IPNet: &net.IPNet{IP: net.ParseIP(theirs.IP), Mask: net.CIDRMask(32, 32)}}); err != nil {
		t.Fatal(err)
	}
	if err := b.Up(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	if err := b.Down(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	if _, ok := addrOn(t, parent, theirs.IP); !ok {
		t.Error("Down removed an address it did not add")
	}

	// One a crashed run of ours left (labelled) is removed by a new binder.
	crashed := model.Decky{Name: "a3", IP: "198.51.100.12", NetMode: model.NetAlias}
	if err := b.Up(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	fresh, _ := NewBinder(model.NetAlias, "dntest0")
	if err := fresh.Down(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	if _, ok := addrOn(t, parent, crashed.IP); ok {
		t.Error("leftover labelled address not removed")
	}
}

func TestMacvlanBinder(t *testing.T) {
	requireNetAdmin(t)
	parent := testParent(t)
	ctx := context.Background()
	b, err := NewBinder(model.NetMacvlan, "dntest0")
	if err != nil {
		t.Fatal(err)
	}
	d := model.Decky{Name: "m1", IP: "198.51.100.20", NmapOS: OSEmbedded, NetMode: model.NetMacvlan, Interface: "dntest0", Seed: 12345}
	t.Cleanup(func() { b.Down(ctx, d) })
	if err := b.Up(ctx, d); err != nil {
		t.Fatal(err)
	}
	// Up twice replaces the link instead of failing (crash recovery).
	if err := b.Up(ctx, d); err != nil {
		t.Fatalf("second Up: %v", err)
	}
	l, err := netlink.LinkByName(MacvlanLinkName(d.Name))
	if err != nil {
		t.Fatalf("Up created no link: %v", err)
	}
	mv, ok := l.(*netlink.Macvlan)
	if !ok {
		t.Fatalf("link is a %s", l.Type())
	}
	if mv.Mode != netlink.MACVLAN_MODE_BRIDGE || mv.ParentIndex != parent.Attrs().Index {
		t.Errorf("mode %v parent %d, want bridge on %d", mv.Mode, mv.ParentIndex, parent.Attrs().Index)
	}
	if got, want := mv.HardwareAddr.String(), MacvlanMAC(12345).String(); got != want {
		t.Errorf("mac %s, want %s", got, want)
	}
	if mv.Flags&net.FlagUp == 0 {
		t.Error("link not up")
	}
	if _, ok := addrOn(t, l, d.IP); !ok {
		t.Error("address not on the link")
	}
	ln, err := b.Listen(ctx, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := sockopt(t, ln.(*net.TCPListener), unix.IPPROTO_IP, unix.IP_TTL); got != 255 {
		t.Errorf("TTL %d, want embedded's 255", got)
	}
	accepted := echoOnce(t, ln)
	dialEcho(t, ln.Addr().String())
	if c := <-accepted; c != nil {
		c.Close()
	}
	ln.Close()
	if err := b.Down(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(MacvlanLinkName(d.Name)); err == nil {
		t.Error("Down left the link")
	}
	if err := b.Down(ctx, d); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

func TestNetlinkBinderMissingInterface(t *testing.T) {
	requireNetAdmin(t)
	for _, mode := range []string{model.NetAlias, model.NetMacvlan} {
		_, err := NewBinder(mode, "dn-nosuch0")
		if err == nil || err.Error() != `interface "dn-nosuch0" not found: pass --interface with a name from ip link` {
			t.Errorf("%s: %v", mode, err)
		}
	}
}
