package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
)

// ErrBlocked is wrapped by every refusal of the SSRF guard: the target
// resolves to an address decnet must not connect to on an attacker's behalf
// (ARCHITECTURE.md §10). A blocked delivery is terminal, never retried.
var ErrBlocked = errors.New("webhook: target address not allowed")

// BlockedError says which address was refused and why.
type BlockedError struct {
	Host   string
	Addr   netip.Addr
	Reason string
}

func (e *BlockedError) Error() string {
	if e.Host != "" && e.Host != e.Addr.String() {
		return fmt.Sprintf("webhook: %s resolves to %s (%s): not allowed", e.Host, e.Addr, e.Reason)
	}
	return fmt.Sprintf("webhook: %s (%s): not allowed", e.Addr, e.Reason)
}

// Is makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// ValidateURL checks the shape of a webhook URL at create time: scheme http
// or https, no user info (credentials belong in the secret, and
// "https://good@evil" is a classic confusion), a host, and if a port is
// given a number from 1 to 65535. It does not resolve the host; see
// Dispatcher.CheckURL.
func ValidateURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: url: %v", ErrInvalid, err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("%w: url scheme must be http or https", ErrInvalid)
	}
	if u.Opaque != "" {
		return nil, fmt.Errorf("%w: url must be absolute (scheme://host/...)", ErrInvalid)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: url must not contain user info", ErrInvalid)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%w: url has no host", ErrInvalid)
	}
	if strings.ContainsAny(host, " %") && !strings.Contains(u.Host, "[") {
		return nil, fmt.Errorf("%w: url host %q is not a hostname", ErrInvalid, host)
	}
	if strings.HasSuffix(u.Host, ":") {
		return nil, fmt.Errorf("%w: url has an empty port", ErrInvalid)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: url port %q out of range", ErrInvalid, p)
		}
	}
	return u, nil
}

// blockedPrefixes are the ranges that are not globally routable or that
// reach the host's own network: what Python's ipaddress is_global excludes,
// plus CGNAT and NAT64 spelled out.
var blockedPrefixes = []struct {
	p      netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "unique-local"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// metadataAddr is the cloud instance-metadata endpoint, named separately so
// the refusal says what it is.
var metadataAddr = netip.MustParseAddr("169.254.169.254")

// CheckAddr returns a *BlockedError when a is not a public unicast address.
// IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.
func CheckAddr(a netip.Addr) error {
	if !a.IsValid() {
		return &BlockedError{Addr: a, Reason: "invalid address"}
	}
	u := a.WithZone("").Unmap()
	if u == metadataAddr {
		return &BlockedError{Addr: a, Reason: "cloud metadata"}
	}
	for _, b := range blockedPrefixes {
		if b.p.Contains(u) {
			return &BlockedError{Addr: a, Reason: b.reason}
		}
	}
	if u.IsUnspecified() || u.IsLoopback() || u.IsMulticast() || u.IsLinkLocalUnicast() || u.IsPrivate() {
		return &BlockedError{Addr: a, Reason: "not global"}
	}
	return nil
}

// LookupFunc resolves a host name to addresses.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// defaultLookup uses the system resolver.
func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// guard resolves and checks addresses; it is the SSRF policy in one place.
type guard struct {
	allowPrivate bool
	lookup       LookupFunc
	dialer       net.Dialer
}

func newGuard(allowPrivate bool, lookup LookupFunc) *guard {
	g := &guard{allowPrivate: allowPrivate, lookup: lookup}
	g.dialer.Control = g.control
	return g
}

// resolve returns host's addresses, refusing the whole host if any of them
// is blocked (as the original: every address must be global, so a name that
// mixes a public and an internal address cannot be used to reach the latter).
func (g *guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if addrs, err = g.lookup(ctx, host); err != nil {
			return nil, fmt.Errorf("webhook: resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("webhook: resolve %s: no addresses", host)
		}
	}
	if !g.allowPrivate {
		for _, a := range addrs {
			if err := CheckAddr(a); err != nil {
				var be *BlockedError
				if errors.As(err, &be) {
					be.Host = host
				}
				return nil, err
			}
		}
	}
	return addrs, nil
}

// dialContext is the transport's dialer. It resolves the host itself, checks
// every address, then dials an address literal, so the address connected to
// is the address checked: a DNS answer that changes between the check and the
// connect (rebinding) cannot slip through. The TLS layer above still uses the
// URL's host name for SNI and certificate checks, and Host is unchanged.
func (g *guard) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("webhook: bad port %q", portStr)
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, a := range addrs {
		c, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return c, nil
		}
		if errors.Is(err, ErrBlocked) {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// control runs after resolution, just before connect(2), with the literal
// address the socket is about to reach: the last line of defence, which holds
// even if a future change lets a host name reach the dialer.
func (g *guard) control(network, address string, _ syscall.RawConn) error {
	if g.allowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &BlockedError{Host: address, Reason: "unparsable dial address"}
	}
	return CheckAddr(ap.Addr())
}
