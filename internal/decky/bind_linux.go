//go:build linux

package decky

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/decnet/decnet/internal/model"
)

// capNetAdmin is CAP_NET_ADMIN's bit in the capability sets
// (linux/capability.h).
const capNetAdmin = 12

// socketControl applies an OS profile to a socket before bind: the IP TTL
// (hop limit) every reply carries, and for TCP the window clamp, which a
// listener passes on to the connections it accepts and which bounds the
// window advertised in the SYN-ACK. The kernel rounds that window down to a
// multiple of the MSS, so it lands near, not exactly on, the profile's value.
func socketControl(p OSProfile) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = applyProfile(int(fd), network, p) }); err != nil {
			return err
		}
		return serr
	}
}

func applyProfile(fd int, network string, p OSProfile) error {
	if strings.HasSuffix(network, "6") {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, p.TTL); err != nil {
			return fmt.Errorf("set IPV6_UNICAST_HOPS %d: %w", p.TTL, err)
		}
	} else if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TTL, p.TTL); err != nil {
		return fmt.Errorf("set IP_TTL %d: %w", p.TTL, err)
	}
	if clamp := p.WindowClamp(); clamp > 0 && strings.HasPrefix(network, "tcp") {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_WINDOW_CLAMP, clamp); err != nil {
			return fmt.Errorf("set TCP_WINDOW_CLAMP %d: %w", clamp, err)
		}
	}
	return nil
}

// hasCapability reports whether this process holds an effective capability.
// When /proc cannot tell, it answers true and lets the kernel's EPERM speak.
func hasCapability(bit uint) bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return true
	}
	ok, err := capabilityIn(status, bit)
	return err != nil || ok
}

// capabilityIn reads the CapEff line of a /proc/<pid>/status document.
func capabilityIn(status []byte, bit uint) (bool, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "CapEff:")
		if !ok {
			continue
		}
		v, err := strconv.ParseUint(strings.TrimSpace(rest), 16, 64)
		if err != nil {
			return false, fmt.Errorf("parse CapEff %q: %w", rest, err)
		}
		return v&(1<<bit) != 0, nil
	}
	return false, errors.New("no CapEff line in process status")
}

func netAdminError(mode, action string, cause error) error {
	return &opError{
		msg: fmt.Sprintf("%s mode needs CAP_NET_ADMIN to %s: run as root or grant it (setcap cap_net_admin+ep decnet), or use --net-mode loopback",
			mode, action),
		kind: ErrPrivilege, cause: cause,
	}
}

func lookupLink(name string) (netlink.Link, error) {
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil, fmt.Errorf("interface %q not found: pass --interface with a name from ip link", name)
		}
		return nil, fmt.Errorf("look up interface %q: %w", name, err)
	}
	return l, nil
}

// hostAddr is ip as a single-host prefix: deckies own one address each, and a
// wider prefix would add subnet routes that compete with the interface's own.
// IPv6 skips duplicate address detection, which would keep the address
// unusable for a second or more after Up.
func hostAddr(ip netip.Addr, label string) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(ip.BitLen(), ip.BitLen())}}
	if ip.Is4() {
		a.Label = label
	} else {
		a.Flags = unix.IFA_F_NODAD
	}
	return a
}

// aliasBinder adds decky addresses to an existing interface, so hosts on its
// LAN reach the deckies through this machine's MAC.
type aliasBinder struct {
	iface string
	// label marks IPv4 addresses we add ("<iface>:dn"), so a later process
	// can remove what a crashed one left; empty when the interface name is
	// too long for a 15-character label.
	label string

	mu    sync.Mutex
	added map[string]netip.Addr // decky name → address Up added
}

func newAliasBinder(iface string) (Binder, error) {
	if !hasCapability(capNetAdmin) {
		return nil, netAdminError(model.NetAlias, "add addresses to "+iface, nil)
	}
	if _, err := lookupLink(iface); err != nil {
		return nil, err
	}
	b := &aliasBinder{iface: iface, added: map[string]netip.Addr{}}
	if l := iface + ":dn"; len(l) <= 15 {
		b.label = l
	}
	return b, nil
}

func (b *aliasBinder) Mode() string { return model.NetAlias }

func (b *aliasBinder) Up(ctx context.Context, d model.Decky) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip, err := deckyAddr(d)
	if err != nil {
		return err
	}
	link, err := lookupLink(b.iface)
	if err != nil {
		return err
	}
	err = netlink.AddrAdd(link, hostAddr(ip, b.label))
	switch {
	case err == nil:
		b.mu.Lock()
		b.added[d.Name] = ip
		b.mu.Unlock()
		return nil
	case errors.Is(err, unix.EEXIST):
		// Already there: usable, and not ours to remove unless labelled so.
		return nil
	case errors.Is(err, unix.EPERM):
		return netAdminError(model.NetAlias, "add addresses to "+b.iface, err)
	}
	return fmt.Errorf("add %s to %s for decky %s: %v", ip, b.iface, d.Name, err)
}

func (b *aliasBinder) Down(ctx context.Context, d model.Decky) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip, err := deckyAddr(d)
	if err != nil {
		return err
	}
	b.mu.Lock()
	mine := b.added[d.Name] == ip
	b.mu.Unlock()
	link, err := lookupLink(b.iface)
	if err != nil {
		return err
	}
	family := netlink.FAMILY_V4
	if ip.Is6() {
		family = netlink.FAMILY_V6
	}
	addrs, err := netlink.AddrList(link, family)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		return fmt.Errorf("list addresses of %s: %w", b.iface, err)
	}
	for _, a := range addrs {
		got, ok := netip.AddrFromSlice(a.IP)
		if !ok || got.Unmap() != ip {
			continue
		}
		if !mine && (b.label == "" || a.Label != b.label) {
			return nil
		}
		if err := netlink.AddrDel(link, hostAddr(ip, "")); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			if errors.Is(err, unix.EPERM) {
				return netAdminError(model.NetAlias, "remove addresses from "+b.iface, err)
			}
			return fmt.Errorf("remove %s from %s for decky %s: %v", ip, b.iface, d.Name, err)
		}
		break
	}
	b.mu.Lock()
	delete(b.added, d.Name)
	b.mu.Unlock()
	return nil
}

func (b *aliasBinder) Listen(ctx context.Context, d model.Decky, port int) (net.Listener, error) {
	return listenTCP(ctx, d, port)
}

func (b *aliasBinder) ListenPacket(ctx context.Context, d model.Decky, port int) (net.PacketConn, error) {
	return listenUDP(ctx, d, port)
}

// macvlanBinder gives each decky its own macvlan link (bridge mode) on a
// parent interface, so the LAN sees a distinct MAC per decky as with the
// original's Docker macvlan network. The link lives in this network
// namespace, so the kernel answers for the decky like for any local address.
type macvlanBinder struct {
	parent string
}

func newMacvlanBinder(parent string) (Binder, error) {
	if !hasCapability(capNetAdmin) {
		return nil, netAdminError(model.NetMacvlan, "create macvlan links on "+parent, nil)
	}
	if _, err := lookupLink(parent); err != nil {
		return nil, err
	}
	return &macvlanBinder{parent: parent}, nil
}

func (b *macvlanBinder) Mode() string { return model.NetMacvlan }

func (b *macvlanBinder) Up(ctx context.Context, d model.Decky) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ip, err := deckyAddr(d)
	if err != nil {
		return err
	}
	parent, err := lookupLink(b.parent)
	if err != nil {
		return err
	}
	name := MacvlanLinkName(d.Name)
	// A link by this name is a leftover of ours (crash, kill -9): replace it
	// so the decky comes up in a known state.
	if old, err := netlink.LinkByName(name); err == nil {
		if err := netlink.LinkDel(old); err != nil {
			return b.linkError("remove stale link "+name, err)
		}
	}
	seed := d.Seed
	if seed == 0 {
		seed = Seed(d.Name, PersonaInstance)
	}
	mv := &netlink.Macvlan{
		LinkAttrs: netlink.LinkAttrs{Name: name, ParentIndex: parent.Attrs().Index, HardwareAddr: MacvlanMAC(seed)},
		Mode:      netlink.MACVLAN_MODE_BRIDGE,
	}
	if err := netlink.LinkAdd(mv); err != nil {
		return b.linkError("create link "+name+" for decky "+d.Name, err)
	}
	undo := func(what string, err error) error {
		netlink.LinkDel(mv)
		return b.linkError(what+" on "+name+" for decky "+d.Name, err)
	}
	if err := netlink.AddrAdd(mv, hostAddr(ip, "")); err != nil {
		return undo("add "+ip.String(), err)
	}
	if err := netlink.LinkSetUp(mv); err != nil {
		return undo("bring up", err)
	}
	return nil
}

func (b *macvlanBinder) linkError(what string, err error) error {
	if errors.Is(err, unix.EPERM) {
		return netAdminError(model.NetMacvlan, "create macvlan links on "+b.parent, err)
	}
	return fmt.Errorf("macvlan: %s: %v", what, err)
}

func (b *macvlanBinder) Down(ctx context.Context, d model.Decky) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	name := MacvlanLinkName(d.Name)
	l, err := netlink.LinkByName(name)
	if err != nil {
		var nf netlink.LinkNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return fmt.Errorf("macvlan: look up %s for decky %s: %v", name, d.Name, err)
	}
	if err := netlink.LinkDel(l); err != nil && !errors.Is(err, unix.ENODEV) {
		return b.linkError("delete "+name+" for decky "+d.Name, err)
	}
	return nil
}

func (b *macvlanBinder) Listen(ctx context.Context, d model.Decky, port int) (net.Listener, error) {
	return listenTCP(ctx, d, port)
}

func (b *macvlanBinder) ListenPacket(ctx context.Context, d model.Decky, port int) (net.PacketConn, error) {
	return listenUDP(ctx, d, port)
}
