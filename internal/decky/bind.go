package decky

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"github.com/decnet/decnet/internal/model"
)

// Binder makes decky addresses usable and opens their sockets. One Binder
// serves every decky of one binding mode; it is safe for concurrent use.
type Binder interface {
	// Mode is model.NetLoopback, model.NetAlias or model.NetMacvlan.
	Mode() string
	// Up makes the decky's IP usable for listening (adds the address or
	// link); Down removes exactly what Up adds, and is safe to call for a
	// decky that is not up, including from another process after a crash.
	Up(ctx context.Context, d model.Decky) error
	Down(ctx context.Context, d model.Decky) error
	// Listen and ListenPacket open TCP and UDP sockets on the decky's
	// address with its OS profile's TTL (and, for TCP, window clamp)
	// applied, so replies look like they come from that OS.
	Listen(ctx context.Context, d model.Decky, port int) (net.Listener, error)
	ListenPacket(ctx context.Context, d model.Decky, port int) (net.PacketConn, error)
}

// DefaultLoopbackSubnet is where loopback-mode deckies live: inside
// 127.0.0.0/8, which Linux routes to lo as a whole, and away from 127.0.0.1
// so deckies never collide with local services.
const DefaultLoopbackSubnet = "127.77.0.0/24"

// ErrPrivilege is matched (errors.Is) by failures caused by a missing
// capability; ErrAddrInUse by binds to an address:port already taken.
var (
	ErrPrivilege = errors.New("missing privilege")
	ErrAddrInUse = errors.New("address already in use")
)

// opError is a one-line operator-facing message that still unwraps to a
// sentinel and to the underlying system error.
type opError struct {
	msg   string
	kind  error
	cause error
}

func (e *opError) Error() string { return e.msg }

func (e *opError) Unwrap() []error {
	var errs []error
	if e.kind != nil {
		errs = append(errs, e.kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// NewBinder returns the binder of a net mode. Alias and macvlan attach to
// iface and need Linux and CAP_NET_ADMIN, which is checked here so a
// misconfigured start fails before any decky is touched.
func NewBinder(mode, iface string) (Binder, error) {
	switch mode {
	case model.NetLoopback, "":
		return loopbackBinder{}, nil
	case model.NetAlias, model.NetMacvlan:
		if iface == "" {
			return nil, fmt.Errorf("%s mode needs the interface whose LAN the deckies join: pass --interface (see ip link)", mode)
		}
		if mode == model.NetAlias {
			return newAliasBinder(iface)
		}
		return newMacvlanBinder(iface)
	}
	return nil, fmt.Errorf("unknown net mode %q (valid: %s, %s, %s)", mode, model.NetAlias, model.NetLoopback, model.NetMacvlan)
}

// loopbackBinder serves deckies on 127.0.0.0/8 addresses, which need no setup
// on Linux (the whole /8 is local) and no privilege beyond low ports.
type loopbackBinder struct{}

func (loopbackBinder) Mode() string { return model.NetLoopback }

func (loopbackBinder) Up(_ context.Context, d model.Decky) error {
	ip, err := deckyAddr(d)
	if err != nil {
		return err
	}
	if !ip.Is4() || !ip.IsLoopback() {
		return fmt.Errorf("decky %s has ip %s, outside 127.0.0.0/8: loopback mode serves only loopback addresses; use --net-mode alias or macvlan for LAN addresses", d.Name, ip)
	}
	return nil
}

func (loopbackBinder) Down(context.Context, model.Decky) error { return nil }

func (loopbackBinder) Listen(ctx context.Context, d model.Decky, port int) (net.Listener, error) {
	return listenTCP(ctx, d, port)
}

func (loopbackBinder) ListenPacket(ctx context.Context, d model.Decky, port int) (net.PacketConn, error) {
	return listenUDP(ctx, d, port)
}

// deckyAddr parses a decky's IP, naming the decky when it is unusable.
func deckyAddr(d model.Decky) (netip.Addr, error) {
	ip, err := netip.ParseAddr(d.IP)
	if err != nil || ip.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("decky %s has invalid ip %q: set an IPv4 or IPv6 address", d.Name, d.IP)
	}
	return ip.Unmap(), nil
}

func listenTCP(ctx context.Context, d model.Decky, port int) (net.Listener, error) {
	ip, err := deckyAddr(d)
	if err != nil {
		return nil, err
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("decky %s: port %d is out of range 0-65535", d.Name, port)
	}
	addr := netip.AddrPortFrom(ip, uint16(port)).String()
	lc := net.ListenConfig{Control: socketControl(ProfileFor(d.NmapOS))}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, bindError(addr, port, err)
	}
	return ln, nil
}

func listenUDP(ctx context.Context, d model.Decky, port int) (net.PacketConn, error) {
	ip, err := deckyAddr(d)
	if err != nil {
		return nil, err
	}
	if port < 0 || port > 65535 {
		return nil, fmt.Errorf("decky %s: port %d is out of range 0-65535", d.Name, port)
	}
	addr := netip.AddrPortFrom(ip, uint16(port)).String()
	lc := net.ListenConfig{Control: socketControl(ProfileFor(d.NmapOS))}
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, bindError(addr, port, err)
	}
	return pc, nil
}

// bindError turns a failed bind into one line that names the address and the
// fix.
func bindError(addr string, port int, err error) error {
	switch {
	case errors.Is(err, syscall.EACCES) && port < 1024:
		return &opError{
			msg: fmt.Sprintf("binding %s needs CAP_NET_BIND_SERVICE (port %d is below 1024): run as root, grant it (setcap cap_net_bind_service+ep decnet), or allow low ports for all users (sysctl net.ipv4.ip_unprivileged_port_start=0)",
				addr, port),
			kind: ErrPrivilege, cause: err,
		}
	case errors.Is(err, syscall.EADDRINUSE):
		return &opError{
			msg:  fmt.Sprintf("%s is already in use: stop whatever listens there or give the decky another ip", addr),
			kind: ErrAddrInUse, cause: err,
		}
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return &opError{
			msg:   fmt.Sprintf("%s is not an address of this host: bring the decky up first (alias and macvlan modes add it) or fix its ip", addr),
			cause: err,
		}
	}
	return &opError{msg: fmt.Sprintf("listen on %s: %v", addr, err), cause: err}
}

// MacvlanLinkName is the macvlan link of a decky: "dn-" and 12 hex digits of
// SHA-256(name), 15 characters, the kernel's limit. Hashing keeps any decky
// name short and recognisable as ours, so a leftover link from a crashed run
// is found and replaced by name alone.
func MacvlanLinkName(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "dn-" + hex.EncodeToString(sum[:6])
}

// MacvlanMAC is a decky's MAC address, derived from its seed so it survives
// restarts; it is unicast and locally administered, so it can never equal a
// vendor-assigned address on the LAN.
func MacvlanMAC(seed uint64) net.HardwareAddr {
	b := DeriveBytes(strconv.FormatUint(seed, 16), "mac", 6)
	b[0] = (b[0] | 0x02) &^ 0x01
	return net.HardwareAddr(b)
}
