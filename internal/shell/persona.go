package shell

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Persona is what a decky pretends to be; NewFS derives every artefact of the
// shell from it, so two deckies with different seeds differ and one decky
// looks the same after a restart.
type Persona struct {
	// Hostname is the host name shown in prompts, uname and /etc/hostname
	// (e.g. "SRV-DELTA-42"); empty derives one from Seed in the distro's
	// style (fleet.md §2.2).
	Hostname string
	// Distro is a slug from fleet.md §2.2: debian, ubuntu22, ubuntu20,
	// rocky9, centos7, alpine, fedora, kali or arch. Unknown or empty
	// slugs are served as debian.
	Distro string
	// Seed is the per-decky seed; it drives every seeded variation.
	Seed uint64
	// Arch is the machine name uname reports; empty means "x86_64".
	Arch string
	// KernelRelease is the uname -r string; empty derives one from the
	// distro and Seed (e.g. "5.15.0-91-generic" on ubuntu22).
	KernelRelease string
	// Users are login users besides root (e.g. "ubuntu", "admin"); each
	// gets a home directory. Empty picks one believable user from Seed.
	Users []string
	// IP is the decky's address as ifconfig and ip show it; empty derives
	// a private address from Seed.
	IP string
	// Services are the decky's service slugs (ssh, http, mysql …); they
	// add the matching daemons to ps, netstat and systemctl so the shell
	// agrees with what a port scan saw.
	Services []string
}

// hostWords is the hostname vocabulary of the original's generator
// (fleet.md §2.2).
var hostWords = []string{
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
	"india", "juliet", "kilo", "lima", "mike", "nova", "oscar", "prod", "web",
	"db", "mail", "proxy", "dev", "stage", "backup", "monitor", "files",
}

// normalize fills defaults and drops what cannot be used, so the rest of the
// package may trust every field.
func (p Persona) normalize() Persona {
	p.Distro = strings.ToLower(strings.TrimSpace(p.Distro))
	switch p.Distro {
	case "ubuntu", "ubuntu22.04", "jammy":
		p.Distro = "ubuntu22"
	case "ubuntu20.04", "focal":
		p.Distro = "ubuntu20"
	case "rocky", "rockylinux":
		p.Distro = "rocky9"
	case "centos":
		p.Distro = "centos7"
	case "archlinux":
		p.Distro = "arch"
	}
	if _, ok := distros[p.Distro]; !ok {
		p.Distro = "debian"
	}
	d := distros[p.Distro]
	switch strings.ToLower(p.Arch) {
	case "", "x86_64", "amd64":
		p.Arch = "x86_64"
	case "arm64", "aarch64":
		p.Arch = "aarch64"
	default:
		p.Arch = sanitizeToken(p.Arch, 16)
		if p.Arch == "" {
			p.Arch = "x86_64"
		}
	}
	p.Hostname = sanitizeToken(p.Hostname, 64)
	if p.Hostname == "" {
		p.Hostname = genHostname(d.hostStyle, newRNG(p.Seed, "hostname"))
	}
	p.KernelRelease = sanitizeToken(p.KernelRelease, 64)
	if p.KernelRelease == "" {
		p.KernelRelease = d.kernel(newRNG(p.Seed, "kernel"), p.Arch)
	}
	var users []string
	for _, u := range p.Users {
		u = strings.TrimSpace(u)
		if validUserName(u) && u != "root" && !slices.Contains(users, u) && len(users) < 16 {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		users = []string{pick(newRNG(p.Seed, "default-user"), d.defaultUsers)}
	}
	p.Users = users
	if a, err := netip.ParseAddr(strings.TrimSpace(p.IP)); err == nil && a.Is4() {
		p.IP = a.String()
	} else {
		p.IP = genPrivateIP(newRNG(p.Seed, "ip"))
	}
	var svcs []string
	for _, s := range p.Services {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && len(s) <= 32 && !slices.Contains(svcs, s) && len(svcs) < 32 {
			svcs = append(svcs, s)
		}
	}
	p.Services = svcs
	return p
}

// genHostname follows the original's styles: generic SRV-<WORD>-<nn>, rhel
// <word><nn>.localdomain, minimal <word>-<nn>, rolling <word>-<word>.
func genHostname(style string, r *prng) string {
	w := pick(r, hostWords)
	n := r.between(10, 99)
	switch style {
	case "rhel":
		return fmt.Sprintf("%s%d.localdomain", w, n)
	case "minimal":
		return fmt.Sprintf("%s-%d", w, n)
	case "rolling":
		return w + "-" + pick(r, hostWords)
	default:
		return fmt.Sprintf("SRV-%s-%d", strings.ToUpper(w), n)
	}
}

// genPrivateIP picks a believable RFC 1918 host address.
func genPrivateIP(r *prng) string {
	switch r.intn(3) {
	case 0:
		return fmt.Sprintf("10.%d.%d.%d", r.between(0, 40), r.between(0, 254), r.between(10, 240))
	case 1:
		return fmt.Sprintf("172.%d.%d.%d", r.between(16, 31), r.between(0, 254), r.between(10, 240))
	default:
		return fmt.Sprintf("192.168.%d.%d", r.between(0, 20), r.between(10, 240))
	}
}

// sanitizeToken keeps the printable, non-blank ASCII of s, cut to max bytes:
// persona strings end up in prompts and file contents.
func sanitizeToken(s string, max int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < max; i++ {
		if c := s[i]; c > ' ' && c < 0x7f && c != '/' && c != ':' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// validUserName mirrors useradd's default NAME_REGEX.
func validUserName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-' || c == '.'):
		case i == len(s)-1 && c == '$':
		default:
			return false
		}
	}
	return true
}

// shortHost is the hostname up to its first dot, as bash's \h shows it.
func shortHost(h string) string {
	if i := strings.IndexByte(h, '.'); i > 0 {
		return h[:i]
	}
	return h
}
