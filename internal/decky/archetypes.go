package decky

import (
	"fmt"
	"slices"
	"strings"
)

// Archetype is a persona template: the services a host of that kind runs, the
// distros it plausibly sits on and the OS family it imitates on the wire.
type Archetype struct {
	Slug string
	// Name is the display name shown in listings.
	Name string
	// Services are service slugs; some may be missing from a build's registry.
	Services []string
	// PreferredDistros are distro slugs, cycled across deckies by the planner.
	PreferredDistros []string
	// NmapOS is the OS profile family (osprofile.go) this archetype imitates.
	NmapOS string
}

// archetypes is spec/fleet.md §2.1, in table order.
var archetypes = []Archetype{
	{"windows-workstation", "Windows Workstation", []string{"smb", "rdp"}, []string{"debian", "ubuntu22"}, "windows"},
	{"windows-server", "Windows Server", []string{"smb", "rdp", "ldap"}, []string{"debian", "ubuntu22"}, "windows_server"},
	{"domain-controller", "Domain Controller", []string{"ldap", "smb", "rdp", "llmnr"}, []string{"debian", "ubuntu22"}, "windows_server"},
	{"linux-server", "Linux Server", []string{"ssh", "http"}, []string{"debian", "ubuntu22", "rocky9", "fedora"}, "linux"},
	{"web-server", "Web Server", []string{"http", "ftp"}, []string{"debian", "ubuntu22", "ubuntu20"}, "linux"},
	{"database-server", "Database Server", []string{"mysql", "postgres", "redis"}, []string{"debian", "ubuntu22"}, "linux"},
	{"mail-server", "Mail Server", []string{"smtp", "pop3", "imap"}, []string{"debian", "ubuntu22"}, "linux"},
	{"file-server", "File Server", []string{"smb", "ftp", "ssh"}, []string{"debian", "ubuntu22", "rocky9"}, "linux"},
	{"printer", "Network Printer", []string{"snmp", "ftp"}, []string{"alpine", "debian"}, "embedded"},
	{"iot-device", "IoT Device", []string{"mqtt", "snmp", "telnet"}, []string{"alpine"}, "embedded"},
	{"industrial-control", "Industrial Control System", []string{"conpot", "snmp"}, []string{"debian"}, "embedded"},
	{"voip-server", "VoIP Server", []string{"sip"}, []string{"debian", "ubuntu22"}, "linux"},
	{"monitoring-node", "Monitoring Node", []string{"snmp", "ssh"}, []string{"debian", "rocky9"}, "linux"},
	{"devops-host", "DevOps Host", []string{"docker_api", "ssh", "k8s"}, []string{"ubuntu22", "debian"}, "linux"},
	{"deaddeck", "Deaddeck (Entry Point)", []string{"ssh"}, []string{"debian", "ubuntu22"}, "linux"},
}

// Archetypes lists every archetype in the spec's table order, which groups
// them by kind of host; the slices are copies the caller may keep.
func Archetypes() []Archetype {
	out := make([]Archetype, len(archetypes))
	for i, a := range archetypes {
		out[i] = a.clone()
	}
	return out
}

// LookupArchetype returns the archetype with this slug, or an error listing
// the valid slugs so a typo on the command line is fixed in one go.
func LookupArchetype(slug string) (Archetype, error) {
	for _, a := range archetypes {
		if a.Slug == slug {
			return a.clone(), nil
		}
	}
	return Archetype{}, fmt.Errorf("unknown archetype %q (valid: %s)", slug, strings.Join(ArchetypeSlugs(), ", "))
}

// ArchetypeSlugs returns the archetype slugs sorted, for help text and errors.
func ArchetypeSlugs() []string {
	s := make([]string, len(archetypes))
	for i, a := range archetypes {
		s[i] = a.Slug
	}
	slices.Sort(s)
	return s
}

func (a Archetype) clone() Archetype {
	a.Services = slices.Clone(a.Services)
	a.PreferredDistros = slices.Clone(a.PreferredDistros)
	return a
}
