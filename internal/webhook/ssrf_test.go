package webhook

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestValidateURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://siem.example.com/hook", true},
		{"http://siem.example.com:8080/hook?x=1", true},
		{"HTTPS://siem.example.com", true},
		{"https://[2001:db8::1]:443/", true}, // shape only; the address check is CheckURL's
		{"https://127.0.0.1/", true},         // idem
		{"ftp://siem.example.com/", false},
		{"file:///etc/passwd", false},
		{"gopher://x/", false},
		{"javascript:alert(1)", false},
		{"//siem.example.com/hook", false},
		{"/relative", false},
		{"", false},
		{"https://", false},
		{"https://user:pw@siem.example.com/", false},
		{"https://good.example.com@evil.example.com/", false},
		{"https://siem.example.com:0/", false},
		{"https://siem.example.com:65536/", false},
		{"https://siem.example.com:99999999999/", false},
		{"https://siem.example.com:/", false},
		{"https://siem.example.com:-1/", false},
		{"https://siem.example.com:http/", false},
		{"https:siem.example.com", false},
		{"https://siem example.com/", false},
		{"https://siem.example.com\n/", false},
	}
	for _, tt := range tests {
		_, err := ValidateURL(tt.url)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateURL(%q) err = %v, want ok=%v", tt.url, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidateURL(%q) err %v does not wrap ErrInvalid", tt.url, err)
		}
	}
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1", true},
		{"127.5.5.5", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"169.254.1.1", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"0.0.0.0", true},
		{"224.0.0.1", true},
		{"255.255.255.255", true},
		{"::", true},
		{"::1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fd00:ec2::254", true},
		{"fc00::1", true},
		{"ff02::1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:10.0.0.1", true},
		{"64:ff9b::a00:1", true},
		{"8.8.8.8", false},
		{"1.1.1.1", false},
		{"100.128.0.1", false},
		{"172.32.0.1", false},
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
	}
	for _, tt := range tests {
		err := CheckAddr(netip.MustParseAddr(tt.addr))
		if (err != nil) != tt.blocked {
			t.Errorf("CheckAddr(%s) = %v, want blocked=%v", tt.addr, err, tt.blocked)
		}
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Errorf("CheckAddr(%s) err does not wrap ErrBlocked", tt.addr)
		}
	}
}

// TestGuardRefusesAtDialTime points an unprivileged dispatcher at a live
// receiver on 127.0.0.1: nothing may reach it.
func TestGuardRefusesAtDialTime(t *testing.T) {
	r := newReceiver(t, nil)
	d := New(Options{TLSConfig: r.tlsConfig(), Sleep: (&sleeper{}).Sleep})
	t.Cleanup(func() { _ = d.Close() })
	res := d.Deliver(context.Background(), testSub("s", r.srv.URL, ">"), testEnv("a", "1", nil))
	if !res.Blocked || res.Attempts != 0 || !errors.Is(res.Err, ErrBlocked) {
		t.Errorf("result = %+v, want blocked with 0 attempts", res)
	}
	if n := len(r.deliveries()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
	if err := d.CheckURL(context.Background(), r.srv.URL); !errors.Is(err, ErrBlocked) {
		t.Errorf("CheckURL(%s) = %v, want ErrBlocked", r.srv.URL, err)
	}
}

func TestGuardDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	ctx := context.Background()
	g := newGuard(false, func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	})

	// The Control hook alone, as the last line of defence: the raw dialer
	// refuses the live loopback listener before connect(2).
	if c, err := g.dialer.DialContext(ctx, "tcp", ln.Addr().String()); !errors.Is(err, ErrBlocked) {
		if c != nil {
			c.Close()
		}
		t.Errorf("control hook dial = %v, want ErrBlocked", err)
	}
	for _, addr := range []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "::ffff:127.0.0.1", "localhost.test"} {
		c, err := g.dialContext(ctx, "tcp", net.JoinHostPort(addr, strconv.Itoa(port)))
		if !errors.Is(err, ErrBlocked) {
			if c != nil {
				c.Close()
			}
			t.Errorf("dial %s = %v, want ErrBlocked", addr, err)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("listener accepted %d connections", n)
	}

	open := newGuard(true, nil)
	c, err := open.dialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("AllowPrivate dial: %v", err)
	}
	c.Close()
}

// TestDNSRebinding: the name is public when checked at create time and
// loopback when delivery resolves it; the delivery is refused.
func TestDNSRebinding(t *testing.T) {
	r := newReceiver(t, nil)
	var calls atomic.Int32
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if calls.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	d := New(Options{TLSConfig: r.tlsConfig(), Lookup: lookup, Sleep: (&sleeper{}).Sleep})
	t.Cleanup(func() { _ = d.Close() })
	url := strings.Replace(r.srv.URL, "127.0.0.1", "example.com", 1)
	if err := d.CheckURL(context.Background(), url); err != nil {
		t.Fatalf("CheckURL while public: %v", err)
	}
	res := d.Deliver(context.Background(), testSub("s", url, ">"), testEnv("a", "1", nil))
	if !res.Blocked || res.Attempts != 0 {
		t.Errorf("result = %+v, want blocked", res)
	}
	if n := len(r.deliveries()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

// TestMixedAnswerRefused: one internal address among public ones refuses
// the whole name.
func TestMixedAnswerRefused(t *testing.T) {
	g := newGuard(false, func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.0.0.5")}, nil
	})
	if _, err := g.resolve(context.Background(), "mixed.example"); !errors.Is(err, ErrBlocked) {
		t.Errorf("resolve = %v, want ErrBlocked", err)
	}
}

// TestHostAndSNIKept: the dialer connects to the resolved address while the
// request keeps the URL's host name for Host and TLS SNI (the receiver's
// certificate is valid for example.com).
func TestHostAndSNIKept(t *testing.T) {
	r := newReceiver(t, nil)
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	d, _ := newTestDispatcher(t, r, Options{Lookup: lookup})
	url := strings.Replace(r.srv.URL, "127.0.0.1", "example.com", 1)
	res := d.Deliver(context.Background(), testSub("s", url, ">"), testEnv("a", "1", nil))
	if !res.Delivered {
		t.Fatalf("result = %+v", res)
	}
	g := r.deliveries()[0]
	if !strings.HasPrefix(g.Host, "example.com:") || g.SNI != "example.com" {
		t.Errorf("Host %q SNI %q, want example.com", g.Host, g.SNI)
	}
}

// FuzzValidateURL: ValidateURL never panics, and whatever it accepts has an
// http(s) scheme, a host, no user info and a port in range.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{"https://a.example/x", "http://[::1]:80/", "https://u@h/", "https://h:0/", "h://", "https://h:65535", "http://%41/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ValidateURL(raw)
		if err != nil {
			return
		}
		if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
			t.Fatalf("%q accepted with scheme %q", raw, u.Scheme)
		}
		if u.User != nil || u.Hostname() == "" {
			t.Fatalf("%q accepted with user %v host %q", raw, u.User, u.Hostname())
		}
		if p := u.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("%q accepted with port %q", raw, p)
			}
		}
	})
}
