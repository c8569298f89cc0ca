package decky

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/config"
)

// Deploy INI limits (spec/fleet.md §3.2).
const (
	// MaxDeployINISize is the original's cap on a deploy INI; a hand-written
	// fleet description is a few kilobytes.
	MaxDeployINISize = 512 << 10
	// MaxAmount bounds one section's amount= expansion.
	MaxAmount = 100
	// MaxDeployDeckies bounds a whole INI after expansion (a /20 worth), so
	// a small file cannot make the planner build millions of rows.
	MaxDeployDeckies = 4096
	// MaxNameLen is the longest decky name.
	MaxNameLen = 128
)

// DeployINI is a parsed deployment INI: network defaults from [general] and
// one entry per decky, amount= sections already expanded.
type DeployINI struct {
	// Subnet, Gateway and Interface are [general] net=, gw= and interface=.
	Subnet    string
	Gateway   string
	Interface string
	// MutateInterval is [general] mutate_interval=, the file-wide default;
	// nil when unset.
	MutateInterval *int
	Deckies        []INIDecky
	// Warnings are things ignored on purpose (orphan service sections,
	// unknown keys), to show the operator.
	Warnings []string
}

// INIDecky is one decky as the INI describes it; unset fields are zero and
// filled in by the planner.
type INIDecky struct {
	Name string
	// Section is the [section] it came from, which differs from Name for
	// amount= expansions.
	Section   string
	IP        string
	Services  []string
	Archetype string
	NmapOS    string
	// MutateInterval is nil when the section does not set it.
	MutateInterval *int
	// ServiceConfig is each [<decky>.<service>] section, validated by the
	// catalog, by service slug.
	ServiceConfig map[string]map[string]string
}

// nameRE is the original's decky name pattern minus '.', see ValidateName.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidateName checks a decky name. The original also allowed '.', but a
// name is a bus subject token (where '.' separates tokens), a directory
// under the data dir, and the part before the dot of [<decky>.<service>]
// sections, so a dot is rejected rather than breaking all three later.
func ValidateName(name string) error {
	switch {
	case name == "":
		return errors.New("decky name is empty: give it letters, digits, '-' or '_'")
	case len(name) > MaxNameLen:
		return fmt.Errorf("decky name %.20q… is longer than %d characters: shorten it", name, MaxNameLen)
	case strings.Contains(name, "."):
		return fmt.Errorf("decky name %q contains '.', which would split its bus subject and file names: use '-' or '_' instead", name)
	case !nameRE.MatchString(name):
		return fmt.Errorf("decky name %q may only contain letters, digits, '-' and '_'", name)
	}
	return nil
}

// ParseDeployINI reads a deployment INI (spec/fleet.md §3.2). cat decides
// which [<decky>.<x>] sections are service sections (x a known service) and
// validates their keys. Errors name the section and line; what is ignored on
// purpose is listed in Warnings.
func ParseDeployINI(r io.Reader, cat Catalog) (*DeployINI, error) {
	if cat == nil {
		return nil, errors.New("deploy INI: no service catalog given")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxDeployINISize+1))
	if err != nil {
		return nil, fmt.Errorf("read deploy INI: %w", err)
	}
	if len(data) > MaxDeployINISize {
		return nil, fmt.Errorf("deploy INI is larger than %d KiB: split the fleet into several files", MaxDeployINISize>>10)
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	f, err := config.ParseINI(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("deploy INI: %w", err)
	}
	if len(f.Sections) == 0 {
		return nil, errors.New("deploy INI has no sections: add a [<decky name>] section per decky")
	}
	p := &iniParser{cat: cat, out: &DeployINI{}, expanded: map[string][]int{}, byName: map[string]int{}}
	var subs []*config.Section
	defaults := f.Section("DEFAULT")
	for _, s := range f.Sections {
		switch {
		case s == defaults:
			// Python's configparser hands [DEFAULT] keys to every section;
			// deckies inherit them here (service sections do not: their
			// keys are a service's schema).
			continue
		case s.Name == "":
			return nil, fmt.Errorf("deploy INI: line %d: key %q is outside any section: put it under [general] or a decky section",
				s.Lines[s.Keys[0]], s.Keys[0])
		case strings.EqualFold(s.Name, "general"):
			if err := p.general(s); err != nil {
				return nil, err
			}
		case strings.HasPrefix(s.Name, "custom-"):
			return nil, customSection(s)
		case isServiceSection(s.Name, cat):
			subs = append(subs, s)
		default:
			if err := p.decky(inherit(s, defaults)); err != nil {
				return nil, err
			}
		}
	}
	for _, s := range subs {
		if err := p.serviceSection(s); err != nil {
			return nil, err
		}
	}
	return p.out, nil
}

// inherit returns s with the [DEFAULT] keys it does not set itself.
func inherit(s, defaults *config.Section) *config.Section {
	if defaults == nil {
		return s
	}
	out := &config.Section{Name: s.Name, Keys: slices.Clone(s.Keys), Values: maps.Clone(s.Values), Lines: maps.Clone(s.Lines)}
	for _, k := range defaults.Keys {
		if _, set := out.Values[k]; set {
			continue
		}
		out.Keys = append(out.Keys, k)
		out.Values[k] = defaults.Values[k]
		out.Lines[k] = defaults.Lines[k]
	}
	return out
}

// isServiceSection reports whether [name] configures a service: only when its
// last dotted segment is a known service, as in the original.
func isServiceSection(name string, cat Catalog) bool {
	i := strings.LastIndexByte(name, '.')
	return i > 0 && cat.Known(name[i+1:])
}

type iniParser struct {
	cat Catalog
	out *DeployINI
	// expanded maps an amount= section name to the indexes of its deckies.
	expanded map[string][]int
	byName   map[string]int
}

func (p *iniParser) warn(format string, args ...any) {
	p.out.Warnings = append(p.out.Warnings, fmt.Sprintf(format, args...))
}

func (p *iniParser) general(s *config.Section) error {
	for _, k := range s.Keys {
		v := s.Values[k]
		switch k {
		case "net":
			if _, err := netip.ParsePrefix(v); err != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] net=%q is not a CIDR subnet: write it like 192.168.1.0/24", s.Lines[k], s.Name, v)
			}
			p.out.Subnet = v
		case "gw":
			if _, err := netip.ParseAddr(v); err != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] gw=%q is not an IP address", s.Lines[k], s.Name, v)
			}
			p.out.Gateway = v
		case "interface":
			p.out.Interface = v
		case "mutate_interval", "mutate-interval":
			if p.out.MutateInterval != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] sets mutate_interval twice: keep one spelling", s.Lines[k], s.Name)
			}
			n, err := parseInterval(s, k)
			if err != nil {
				return err
			}
			p.out.MutateInterval = &n
		default:
			p.warn("[%s]: unknown key %q ignored (line %d)", s.Name, k, s.Lines[k])
		}
	}
	return nil
}

func parseInterval(s *config.Section, k string) (int, error) {
	n, err := strconv.Atoi(s.Values[k])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("deploy INI: line %d: [%s] %s=%q must be a whole number of minutes (0 disables rotation)",
			s.Lines[k], s.Name, k, s.Values[k])
	}
	return n, nil
}

func (p *iniParser) decky(s *config.Section) error {
	if err := ValidateName(s.Name); err != nil {
		if i := strings.LastIndexByte(s.Name, '.'); i > 0 {
			return fmt.Errorf("deploy INI: [%s]: %v; if it configures a service, %q is not one (valid: %s)",
				s.Name, err, s.Name[i+1:], strings.Join(p.cat.Names(), ", "))
		}
		return fmt.Errorf("deploy INI: [%s]: %v", s.Name, err)
	}
	d := INIDecky{Name: s.Name, Section: s.Name}
	amount := 1
	for _, k := range s.Keys {
		v := s.Values[k]
		line := s.Lines[k]
		switch k {
		case "ip":
			ip, err := netip.ParseAddr(v)
			if err != nil || !ip.Is4() {
				return fmt.Errorf("deploy INI: line %d: [%s] ip=%q is not an IPv4 address", line, s.Name, v)
			}
			d.IP = ip.String()
		case "services":
			svcs, err := parseServices(v, p.cat)
			if err != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] %v", line, s.Name, err)
			}
			d.Services = svcs
		case "archetype":
			if _, err := LookupArchetype(v); err != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] %v", line, s.Name, err)
			}
			d.Archetype = v
		case "nmap_os", "nmap-os":
			if d.NmapOS != "" {
				return fmt.Errorf("deploy INI: line %d: [%s] sets nmap_os twice: keep one spelling", line, s.Name)
			}
			if _, err := LookupOSProfile(v); err != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] %v", line, s.Name, err)
			}
			d.NmapOS = v
		case "mutate_interval", "mutate-interval":
			if d.MutateInterval != nil {
				return fmt.Errorf("deploy INI: line %d: [%s] sets mutate_interval twice: keep one spelling", line, s.Name)
			}
			n, err := parseInterval(s, k)
			if err != nil {
				return err
			}
			d.MutateInterval = &n
		case "amount":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxAmount {
				return fmt.Errorf("deploy INI: line %d: [%s] amount=%q must be a number from 1 to %d", line, s.Name, v, MaxAmount)
			}
			amount = n
		default:
			p.warn("[%s]: unknown key %q ignored (line %d)", s.Name, k, line)
		}
	}
	if amount > 1 && d.IP != "" {
		return fmt.Errorf("deploy INI: [%s] sets both amount=%d and ip: drop ip to have addresses allocated, or use one section per address", s.Name, amount)
	}
	if amount == 1 {
		return p.add(d)
	}
	for i := 1; i <= amount; i++ {
		e := d
		e.Name = fmt.Sprintf("%s-%02d", s.Name, i)
		if err := ValidateName(e.Name); err != nil {
			return fmt.Errorf("deploy INI: [%s] amount=%d: %v", s.Name, amount, err)
		}
		e.Services = slices.Clone(d.Services)
		if err := p.add(e); err != nil {
			return err
		}
		p.expanded[s.Name] = append(p.expanded[s.Name], len(p.out.Deckies)-1)
	}
	return nil
}

func (p *iniParser) add(d INIDecky) error {
	if prev, dup := p.byName[strings.ToLower(d.Name)]; dup {
		return fmt.Errorf("deploy INI: decky %s from [%s] is already defined by [%s]: rename one of them",
			d.Name, d.Section, p.out.Deckies[prev].Section)
	}
	if len(p.out.Deckies) >= MaxDeployDeckies {
		return fmt.Errorf("deploy INI describes more than %d deckies: split it into several deployments", MaxDeployDeckies)
	}
	p.byName[strings.ToLower(d.Name)] = len(p.out.Deckies)
	p.out.Deckies = append(p.out.Deckies, d)
	return nil
}

// parseServices splits a services= list, dropping blanks and repeats; an
// empty list means "not set".
func parseServices(v string, cat Catalog) ([]string, error) {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
		s = strings.TrimSpace(s)
		if s == "" || slices.Contains(out, s) {
			continue
		}
		if !cat.Known(s) {
			return nil, fmt.Errorf("unknown service %q (valid: %s)", s, strings.Join(cat.Names(), ", "))
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *iniParser) serviceSection(s *config.Section) error {
	i := strings.LastIndexByte(s.Name, '.')
	target, svc := s.Name[:i], s.Name[i+1:]
	raw := make(map[string]string, len(s.Keys))
	for _, k := range s.Keys {
		raw[k] = s.Values[k]
	}
	cfg, err := p.cat.Validate(svc, raw)
	if err != nil {
		return fmt.Errorf("deploy INI: [%s]: %v", s.Name, err)
	}
	var idx []int
	if j, ok := p.byName[strings.ToLower(target)]; ok && p.out.Deckies[j].Name == target {
		idx = []int{j}
	} else {
		idx = p.expanded[target]
	}
	if len(idx) == 0 {
		p.warn("[%s]: no decky named %s (nor an amount= section of that name): section ignored", s.Name, target)
		return nil
	}
	for _, j := range idx {
		d := &p.out.Deckies[j]
		if d.ServiceConfig == nil {
			d.ServiceConfig = map[string]map[string]string{}
		}
		d.ServiceConfig[svc] = maps.Clone(cfg)
	}
	return nil
}

// customSection parses a [custom-<svc>] bring-your-own-image section so its
// mistakes are reported precisely, then refuses it: running an arbitrary
// image needs a container runtime.
func customSection(s *config.Section) error {
	for _, k := range s.Keys {
		v := s.Values[k]
		switch k {
		case "binary", "exec":
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("deploy INI: line %d: [%s] %s= is empty", s.Lines[k], s.Name, k)
			}
		case "ports":
			for _, f := range strings.Split(v, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil || n < 1 || n > 65535 {
					return fmt.Errorf("deploy INI: line %d: [%s] ports=%q must be comma-separated ports 1-65535", s.Lines[k], s.Name, v)
				}
			}
		}
	}
	if _, ok := s.Values["binary"]; !ok {
		return fmt.Errorf("deploy INI: [%s] has no binary= image", s.Name)
	}
	return fmt.Errorf("[%s]: custom services need container mode, which this build does not have yet", s.Name)
}
