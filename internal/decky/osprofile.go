package decky

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// OS families a decky can imitate (the nmap_os values of spec/fleet.md §2.3).
const (
	// OSLinux is the default and the fallback for unknown families.
	OSLinux = "linux"
	// OSWindows is a Windows client (workstation archetypes).
	OSWindows = "windows"
	// OSWindowsServer is a Windows server; it differs from OSWindows in ECN
	// (and in the original's cloak, in random IP IDs).
	OSWindowsServer = "windows_server"
	// OSBSD is FreeBSD/macOS-like.
	OSBSD = "bsd"
	// OSEmbedded is printers, cameras and other old-kernel appliances.
	OSEmbedded = "embedded"
	// OSCisco is network gear running IOS.
	OSCisco = "cisco"
)

// OSProfile is the TCP/IP behaviour of one OS family. The sysctl fields are
// the spec's per-network-namespace values; TTL and Window are also applied per
// socket, which is all that loopback and alias modes can change.
type OSProfile struct {
	Family        string
	TTL           int // net.ipv4.ip_default_ttl
	SynRetries    int // net.ipv4.tcp_syn_retries
	Timestamps    int // net.ipv4.tcp_timestamps
	WindowScaling int // net.ipv4.tcp_window_scaling
	SACK          int // net.ipv4.tcp_sack
	ECN           int // net.ipv4.tcp_ecn
	NoPMTUDisc    int // net.ipv4.ip_no_pmtu_disc
	FinTimeout    int // net.ipv4.tcp_fin_timeout
	ICMPRateLimit int // net.ipv4.icmp_ratelimit
	ICMPRateMask  int // net.ipv4.icmp_ratemask
	// Window is the receive window the family advertises in its SYN-ACK.
	// It is not in the spec's sysctl table (a netns cannot set it); the
	// values come from what each family sends on Ethernet (MSS 1460):
	//   linux 64240: 44×1460, what current kernels advertise;
	//   windows, windows_server 8192: the original's cloak rewrites Windows
	//     SYN-ACKs to 0x2000, the Vista-and-later value, so we follow the
	//     original's wire behaviour rather than XP's 65535;
	//   bsd 65535: FreeBSD and macOS offer the full unscaled window;
	//   embedded 5840: 4×1460, Linux 2.4/2.6 kernels still found in printer
	//     and IoT firmware;
	//   cisco 4128: classic IOS's default TCP window.
	Window int
}

// osProfiles is spec/fleet.md §2.3, in table order (linux first: it is the
// fallback).
var osProfiles = []OSProfile{
	{OSLinux, 64, 6, 1, 1, 1, 2, 0, 60, 1000, 6168, 64240},
	{OSWindows, 128, 2, 1, 1, 1, 0, 0, 30, 0, 0, 8192},
	{OSWindowsServer, 128, 2, 1, 1, 1, 1, 0, 30, 0, 0, 8192},
	{OSBSD, 64, 6, 1, 1, 1, 0, 0, 60, 250, 6168, 65535},
	{OSEmbedded, 255, 3, 0, 0, 0, 0, 1, 15, 0, 0, 5840},
	{OSCisco, 255, 2, 0, 0, 0, 0, 1, 15, 0, 0, 4128},
}

// OSProfiles lists every OS profile in the spec's table order.
func OSProfiles() []OSProfile { return slices.Clone(osProfiles) }

// LookupOSProfile returns the profile of an OS family, or an error listing the
// valid families; use it to validate operator input.
func LookupOSProfile(family string) (OSProfile, error) {
	for _, p := range osProfiles {
		if p.Family == family {
			return p, nil
		}
	}
	return OSProfile{}, fmt.Errorf("unknown nmap_os %q (valid: %s)", family, strings.Join(OSFamilies(), ", "))
}

// ProfileFor returns the profile a decky runs with: unknown or empty families
// fall back to linux, as in the original, so a stored row never fails to serve.
func ProfileFor(family string) OSProfile {
	if p, err := LookupOSProfile(family); err == nil {
		return p
	}
	return osProfiles[0]
}

// OSFamilies returns the OS family names sorted, for help text and errors.
func OSFamilies() []string {
	s := make([]string, len(osProfiles))
	for i, p := range osProfiles {
		s[i] = p.Family
	}
	slices.Sort(s)
	return s
}

// Sysctl is one per-namespace kernel setting of an OS profile.
type Sysctl struct {
	Key   string
	Value string
}

// Sysctls returns the profile as the sysctls the original wrote into each
// decky's network namespace, in the spec's column order; a netns-per-decky
// backend writes them under /proc/sys.
func (p OSProfile) Sysctls() []Sysctl {
	kv := func(k string, v int) Sysctl { return Sysctl{"net.ipv4." + k, strconv.Itoa(v)} }
	return []Sysctl{
		kv("ip_default_ttl", p.TTL),
		kv("tcp_syn_retries", p.SynRetries),
		kv("tcp_timestamps", p.Timestamps),
		kv("tcp_window_scaling", p.WindowScaling),
		kv("tcp_sack", p.SACK),
		kv("tcp_ecn", p.ECN),
		kv("ip_no_pmtu_disc", p.NoPMTUDisc),
		kv("tcp_fin_timeout", p.FinTimeout),
		kv("icmp_ratelimit", p.ICMPRateLimit),
		kv("icmp_ratemask", p.ICMPRateMask),
	}
}

// WindowClamp is the TCP_WINDOW_CLAMP a listener gets, or 0 for none. Linux
// personas get none: the host kernel already advertises 64240 on Ethernet, and
// a clamp would also force the window-scale option down to 0, which real Linux
// never sends. Other families trade that detail for the right window size.
func (p OSProfile) WindowClamp() int {
	if p.Family == OSLinux {
		return 0
	}
	return p.Window
}

// IsWindows reports whether the family imitates Windows, which decides
// Windows-flavoured content such as canary paths (nmap_os starting "win").
func IsWindows(family string) bool { return strings.HasPrefix(family, "win") }
