package decky

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// hostnameWords and the 10–99 range are the original's hostname generator
// vocabulary (spec/fleet.md §2.2).
var hostnameWords = []string{
	"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
	"lima", "mike", "nova", "oscar", "prod", "web", "db", "mail", "proxy", "dev", "stage", "backup", "monitor", "files",
}

const (
	hostnameMinNum = 10
	hostnameMaxNum = 99
)

// PersonaInstance is the instance id the planner seeds personas with
// (Seed(name, PersonaInstance)); a different id re-rolls a decky's persona.
const PersonaInstance = "0"

// GenerateHostname draws a host name in the given distro hostname style from
// r: generic SRV-<WORD>-<nn>, rhel <word><nn>.localdomain, minimal
// <word>-<nn>, rolling <word>-<word>.
func GenerateHostname(style string, r *Rand) (string, error) {
	word := Pick(r, hostnameWords)
	switch style {
	case HostnameGeneric:
		return fmt.Sprintf("SRV-%s-%d", strings.ToUpper(word), r.IntRange(hostnameMinNum, hostnameMaxNum)), nil
	case HostnameRHEL:
		return fmt.Sprintf("%s%d.localdomain", word, r.IntRange(hostnameMinNum, hostnameMaxNum)), nil
	case HostnameMinimal:
		return fmt.Sprintf("%s-%d", word, r.IntRange(hostnameMinNum, hostnameMaxNum)), nil
	case HostnameRolling:
		return word + "-" + Pick(r, hostnameWords), nil
	}
	return "", fmt.Errorf("unknown hostname style %q (valid: %s, %s, %s, %s)",
		style, HostnameGeneric, HostnameMinimal, HostnameRHEL, HostnameRolling)
}

// Persona is what services need to know to look like this decky: who it is,
// what it runs on and how its TCP/IP stack behaves. Build it with NewPersona.
type Persona struct {
	// Name is the decky name: syslog HOSTNAME and the key of every derived
	// value (DeriveHex and friends).
	Name      string
	Hostname  string
	Distro    Distro
	Archetype string
	// NmapOS is the family as stored; OS is its profile (linux if unknown).
	NmapOS string
	OS     OSProfile
	Seed   uint64
}

// NewPersona builds the persona of a planned or stored decky. A zero seed is
// derived from the name, so rows written without one still get a stable
// persona; an unknown distro is an error because banners depend on it.
func NewPersona(d model.Decky) (Persona, error) {
	dist, err := LookupDistro(d.Distro)
	if err != nil {
		return Persona{}, fmt.Errorf("decky %s: %w", d.Name, err)
	}
	seed := d.Seed
	if seed == 0 {
		seed = Seed(d.Name, PersonaInstance)
	}
	return Persona{
		Name:      d.Name,
		Hostname:  d.Hostname,
		Distro:    dist,
		Archetype: d.Archetype,
		NmapOS:    d.NmapOS,
		OS:        ProfileFor(d.NmapOS),
		Seed:      seed,
	}, nil
}

// Rand returns a source for one namespace of persona choices (a service's
// banner versions, the shell's fake users …). Each namespace has its own
// stream, so adding a choice in one service never shifts another's.
func (p Persona) Rand(ns string) *Rand {
	sum := sha256.Sum256([]byte(strconv.FormatUint(p.Seed, 10) + ":" + p.Name + ":" + ns))
	return NewRand(binary.BigEndian.Uint64(sum[:8]))
}

// Hex returns n hex characters derived from the decky and ns (DeriveHex).
func (p Persona) Hex(ns string, n int) string { return DeriveHex(p.Name, ns, n) }

// BootTime is the decky's fake boot time (see BootAge).
func (p Persona) BootTime() time.Time { return BootTime(p.Name) }

// Uptime is the decky's fake uptime at now.
func (p Persona) Uptime(now time.Time) time.Duration { return Uptime(p.Name, now) }

// IsWindows reports whether the decky imitates a Windows host.
func (p Persona) IsWindows() bool { return IsWindows(p.NmapOS) }
