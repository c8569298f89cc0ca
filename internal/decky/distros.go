package decky

import (
	"fmt"
	"slices"
	"strings"
)

// Hostname styles of the distro table: how a host of that distro is usually
// named (spec/fleet.md §2.2).
const (
	// HostnameGeneric is SRV-<WORD>-<nn>, what Debian/Ubuntu servers in a
	// Windows-run shop tend to be called.
	HostnameGeneric = "generic"
	// HostnameRHEL is <word><nn>.localdomain, the RHEL installer's default
	// domain.
	HostnameRHEL = "rhel"
	// HostnameMinimal is <word>-<nn>, for small appliance-like systems.
	HostnameMinimal = "minimal"
	// HostnameRolling is <word>-<word>, for hand-installed rolling distros.
	HostnameRolling = "rolling"
)

// Distro is the base system a decky pretends to run: its image names are
// kept as persona metadata for the container backend and for banners.
type Distro struct {
	Slug string
	// Image is the distro's own base image.
	Image string
	// Display is the human name, e.g. for /etc/os-release style banners.
	Display       string
	HostnameStyle string
	// BuildBase is the image services are built FROM in container mode.
	BuildBase string
}

// distros is spec/fleet.md §2.2, in table order. rocky9's build_base is
// "debian (apt fallback)" in the spec: the value is debian, the note says why.
var distros = []Distro{
	{"debian", "debian:bookworm-slim", "Debian 12 (Bookworm)", HostnameGeneric, "debian"},
	{"ubuntu22", "ubuntu:22.04", "Ubuntu 22.04 LTS (Jammy)", HostnameGeneric, "ubuntu:22.04"},
	{"ubuntu20", "ubuntu:20.04", "Ubuntu 20.04 LTS (Focal)", HostnameGeneric, "ubuntu:20.04"},
	{"rocky9", "rockylinux:9-minimal", "Rocky Linux 9", HostnameRHEL, "debian"},
	{"centos7", "centos:7", "CentOS 7", HostnameRHEL, "debian"},
	{"alpine", "alpine:3.19", "Alpine Linux 3.19", HostnameMinimal, "debian"},
	{"fedora", "fedora:39", "Fedora 39", HostnameRHEL, "debian"},
	{"kali", "kalilinux/kali-rolling", "Kali Linux (Rolling)", HostnameRolling, "kali"},
	{"arch", "archlinux:latest", "Arch Linux", HostnameRolling, "debian"},
}

// Distros lists every distro in the spec's table order, the order the planner
// cycles through when no archetype narrows the choice.
func Distros() []Distro { return slices.Clone(distros) }

// LookupDistro returns the distro with this slug, or an error listing the
// valid slugs.
func LookupDistro(slug string) (Distro, error) {
	for _, d := range distros {
		if d.Slug == slug {
			return d, nil
		}
	}
	return Distro{}, fmt.Errorf("unknown distro %q (valid: %s)", slug, strings.Join(DistroSlugs(), ", "))
}

// DistroSlugs returns the distro slugs sorted, for help text and errors.
func DistroSlugs() []string {
	s := make([]string, len(distros))
	for i, d := range distros {
		s[i] = d.Slug
	}
	slices.Sort(s)
	return s
}
