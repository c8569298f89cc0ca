package decky

import (
	"fmt"
	"maps"
	"slices"
)

// fakeCatalog stands in for the service registry: a fixed set of names, and a
// schema per service of accepted keys (unknown keys dropped, as the real
// registry does; the value "invalid" is rejected).
type fakeCatalog struct {
	schema map[string][]string
}

func newFakeCatalog() *fakeCatalog {
	return &fakeCatalog{schema: map[string][]string{
		"ssh": {"password", "user", "hostname"}, "telnet": {"password"}, "http": {"server_header", "status"},
		"ftp": {"banner"}, "smb": {}, "rdp": {}, "ldap": {}, "llmnr": {}, "mysql": {"version"}, "postgres": {},
		"redis": {}, "smtp": {"banner"}, "pop3": {}, "imap": {}, "snmp": {"community"}, "mqtt": {}, "sip": {},
		"docker_api": {}, "k8s": {},
		// no conpot: pins how archetypes with services missing from a build
		// are handled.
	}}
}

func (c *fakeCatalog) Names() []string {
	return slices.Sorted(maps.Keys(c.schema))
}

func (c *fakeCatalog) Known(name string) bool {
	_, ok := c.schema[name]
	return ok
}

func (c *fakeCatalog) Validate(service string, raw map[string]string) (map[string]string, error) {
	keys, ok := c.schema[service]
	if !ok {
		return nil, fmt.Errorf("unknown service %q", service)
	}
	out := map[string]string{}
	for k, v := range raw {
		if !slices.Contains(keys, k) {
			continue
		}
		if v == "invalid" {
			return nil, fmt.Errorf("%s: invalid value", k)
		}
		out[k] = v
	}
	return out, nil
}

func intp(n int) *int { return &n }
