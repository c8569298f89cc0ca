// Package exporttest checks STIX 2.1 bundles the way decnet's tests need:
// ValidateSTIX applies the spec's rules decnet's exports must meet, so the
// export package's unit tests and the API's end-to-end tests hold every
// bundle (attacker, fleet, identity, campaign) to the same checks.
package exporttest

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/google/uuid"
)

var (
	stixTypeRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,248}[a-z0-9]$`)
	stixTimeRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`)
	// scoTypes are the cyber-observable types: no created/modified.
	scoTypes = map[string]bool{"ipv4-addr": true, "ipv6-addr": true, "process": true, "file": true, "domain-name": true}
	// required lists the properties STIX 2.1 makes mandatory per type,
	// beyond the common ones checked for every object.
	required = map[string][]string{
		"identity":             {"name"},
		"threat-actor":         {"name"},
		"intrusion-set":        {"name"},
		"campaign":             {"name"},
		"attack-pattern":       {"name"},
		"relationship":         {"relationship_type", "source_ref", "target_ref"},
		"sighting":             {"sighting_of_ref"},
		"observed-data":        {"first_observed", "last_observed", "number_observed", "object_refs"},
		"ipv4-addr":            {"value"},
		"ipv6-addr":            {"value"},
		"extension-definition": {"name", "schema", "version", "extension_types", "created_by_ref"},
	}
)

// relationships is the part of STIX 2.1's relationship table (§4 "Relationships" of each SDO) decnet
// emits: relationship type → source type → allowed target types. OpenCTI and MISP's importer reject or
// drop relationships outside it, so a bundle using another pairing fails validation.
var relationships = map[string]map[string][]string{
	"uses": {
		"threat-actor":  {"attack-pattern", "infrastructure", "malware", "tool"},
		"intrusion-set": {"attack-pattern", "infrastructure", "malware", "tool"},
		"campaign":      {"attack-pattern", "infrastructure", "malware", "tool"},
	},
	"attributed-to": {
		"campaign":      {"intrusion-set", "threat-actor"},
		"intrusion-set": {"threat-actor"},
		"threat-actor":  {"identity"},
	},
}

// ValidateSTIX checks a bundle's JSON against the STIX 2.1 rules decnet's
// exports must meet, returning every violation.
func ValidateSTIX(raw []byte) []string {
	var b struct {
		Type    string           `json:"type"`
		ID      string           `json:"id"`
		Objects []map[string]any `json:"objects"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	bad := func(o map[string]any, f string, a ...any) {
		errs = append(errs, fmt.Sprintf("%v: %s", o["id"], fmt.Sprintf(f, a...)))
	}
	if b.Type != "bundle" || !validID(b.ID, "bundle") {
		errs = append(errs, fmt.Sprintf("bundle type %q id %q", b.Type, b.ID))
	}
	ids := map[string]map[string]any{}
	for _, o := range b.Objects {
		id, _ := o["id"].(string)
		if ids[id] != nil {
			bad(o, "duplicate id")
		}
		ids[id] = o
	}
	for _, o := range b.Objects {
		typ, _ := o["type"].(string)
		id, _ := o["id"].(string)
		if !stixTypeRe.MatchString(typ) {
			bad(o, "type %q", typ)
		}
		if !validID(id, typ) {
			bad(o, "id is not %s--<uuid>", typ)
		}
		if o["spec_version"] != "2.1" {
			bad(o, "spec_version %v", o["spec_version"])
		}
		if !scoTypes[typ] {
			for _, k := range []string{"created", "modified"} {
				if s, _ := o[k].(string); !stixTimeRe.MatchString(s) {
					bad(o, "%s %q is not RFC 3339 UTC with milliseconds", k, s)
				}
			}
			if o["modified"].(string) < o["created"].(string) {
				bad(o, "modified before created")
			}
		} else if o["created"] != nil || o["created_by_ref"] != nil {
			bad(o, "cyber-observable with SDO properties")
		}
		for _, k := range required[typ] {
			if v, ok := o[k]; !ok || v == "" || v == nil {
				bad(o, "missing required %s", k)
			}
		}
		for _, k := range []string{"first_seen", "last_seen", "first_observed", "last_observed"} {
			if v, ok := o[k]; ok {
				if s, _ := v.(string); !stixTimeRe.MatchString(s) {
					bad(o, "%s %v", k, v)
				}
			}
		}
		if f, ok := o["first_seen"].(string); ok && o["last_seen"].(string) < f {
			bad(o, "last_seen before first_seen")
		}
		switch typ {
		case "identity":
			if o["identity_class"] == nil {
				bad(o, "identity without identity_class")
			}
		case "threat-actor":
			if l, ok := o["threat_actor_types"].([]any); !ok || len(l) == 0 {
				bad(o, "threat_actor_types %v", o["threat_actor_types"])
			}
		case "attack-pattern":
			refs, _ := o["external_references"].([]any)
			if len(refs) == 0 {
				bad(o, "attack-pattern without external_references")
			}
			for _, r := range refs {
				if r.(map[string]any)["source_name"] == nil {
					bad(o, "external reference without source_name")
				}
			}
		case "observed-data":
			n, _ := o["number_observed"].(float64)
			if n < 1 || n > 999_999_999 {
				bad(o, "number_observed %v", n)
			}
			refs, _ := o["object_refs"].([]any)
			if len(refs) == 0 {
				bad(o, "empty object_refs")
			}
			for _, r := range refs {
				if t := ids[r.(string)]; t != nil && !scoTypes[t["type"].(string)] {
					bad(o, "object_refs %v is not a cyber-observable", r)
				}
			}
			if o["last_observed"].(string) < o["first_observed"].(string) {
				bad(o, "last_observed before first_observed")
			}
		case "sighting":
			if c, ok := o["count"].(float64); ok && (c < 0 || c > 999_999_999) {
				bad(o, "count %v", c)
			}
		case "ipv4-addr", "ipv6-addr":
			a, err := netip.ParseAddr(o["value"].(string))
			if err != nil || a.Is4() != (typ == "ipv4-addr") {
				bad(o, "value %v", o["value"])
			}
			want := typ + "--" + uuid.NewSHA1(uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7"),
				[]byte(`{"value":"`+o["value"].(string)+`"}`)).String()
			if id != want {
				bad(o, "not the STIX deterministic id %s", want)
			}
		case "relationship":
			checkRelationship(o, ids, func(f string, a ...any) { bad(o, f, a...) })
		case "process":
			if len(o) <= 3 {
				bad(o, "process with no property beyond type, id and spec_version")
			}
		}
		checkRefs(o, ids, func(f string, a ...any) { bad(o, f, a...) })
		if ext, ok := o["extensions"].(map[string]any); ok {
			for k := range ext {
				if strings.HasPrefix(k, "extension-definition--") && ids[k] == nil {
					bad(o, "extension %s has no definition in the bundle", k)
				}
			}
		}
	}
	return errs
}

// checkRelationship holds a relationship to the relationships table, by
// the types its ends resolve to.
func checkRelationship(o map[string]any, ids map[string]map[string]any, bad func(string, ...any)) {
	rt, _ := o["relationship_type"].(string)
	src, dst := ids[fmt.Sprint(o["source_ref"])], ids[fmt.Sprint(o["target_ref"])]
	if src == nil || dst == nil {
		return // checkRefs reports the dangling end
	}
	st, _ := src["type"].(string)
	dt, _ := dst["type"].(string)
	allowed, ok := relationships[rt][st]
	if !ok {
		bad("relationship %s from %s is not one STIX 2.1 defines", rt, st)
		return
	}
	for _, t := range allowed {
		if t == dt {
			return
		}
	}
	bad("relationship %s %s → %s is not one STIX 2.1 defines", rt, st, dt)
}

// checkRefs resolves every *_ref and *_refs property, at any depth.
func checkRefs(v any, ids map[string]map[string]any, bad func(string, ...any)) {
	switch m := v.(type) {
	case map[string]any:
		for k, x := range m {
			switch {
			case strings.HasSuffix(k, "_ref"):
				if s, _ := x.(string); ids[s] == nil {
					bad("%s %v does not resolve", k, x)
				}
			case strings.HasSuffix(k, "_refs"):
				l, _ := x.([]any)
				if len(l) == 0 {
					bad("%s is empty", k)
				}
				for _, r := range l {
					if s, _ := r.(string); ids[s] == nil {
						bad("%s %v does not resolve", k, r)
					}
				}
			default:
				checkRefs(x, ids, bad)
			}
		}
	case []any:
		for _, x := range m {
			checkRefs(x, ids, bad)
		}
	}
}

func validID(id, typ string) bool {
	rest, ok := strings.CutPrefix(id, typ+"--")
	if !ok {
		return false
	}
	u, err := uuid.Parse(rest)
	return err == nil && len(rest) == 36 && u.Variant() == uuid.RFC4122
}
