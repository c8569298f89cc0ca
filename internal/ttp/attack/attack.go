// Package attack is the MITRE ATT&CK catalogue (ttp.md §6): technique and
// tactic names, attack.mitre.org URLs, STIX ids and the groups known to use a
// technique, read from an operator-supplied STIX 2.1 bundle (Load) or from a
// small built-in table covering the techniques decnet's own rules emit
// (Builtin), so tagging and exports work offline.
package attack

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// BundleSetting names the setting that points at an ATT&CK bundle, so load
// errors tell the operator what to change.
const BundleSetting = "DECNET_ATTACK_BUNDLE"

// Technique is one ATT&CK technique or sub-technique as the catalogue keeps
// it: enough to name, link and export it.
type Technique struct {
	// ID is the ATT&CK id: T1059, or T1059.004 for a sub-technique.
	ID string
	// STIXID is the attack-pattern's STIX id in MITRE's bundle, reused by
	// STIX exports so consumers can join on it.
	STIXID string
	// Name is the technique's own name ("Unix Shell" for T1059.004); see
	// Catalog.TechniqueName for the "Parent: Sub" form.
	Name string
	URL  string
	// SubTechnique is x_mitre_is_subtechnique.
	SubTechnique bool
	// Tactics are the kill-chain phase names (tactic shortnames such as
	// "execution") the technique sits under.
	Tactics []string
}

// Tactic is one ATT&CK tactic (x-mitre-tactic).
type Tactic struct {
	// ID is TA####.
	ID string
	// ShortName is x_mitre_shortname ("credential-access"), the value
	// techniques' kill_chain_phases and Navigator layers use.
	ShortName string
	Name      string
	URL       string
	STIXID    string
}

// Group is one intrusion set (G####), as returned for "which groups use this
// technique" (the original's GroupRef).
type Group struct {
	ID      string   `json:"group_id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases"`
	URL     string   `json:"mitre_url"`
}

// Counts summarises a catalogue for `decnet attack info`.
type Counts struct {
	Tactics       int
	Techniques    int
	SubTechniques int
	Groups        int
	// GroupUses counts the intrusion-set → technique relationships kept.
	GroupUses int
}

// Catalog is a read-only ATT&CK catalogue; build it with Load or Builtin.
// Its methods are safe for concurrent use.
type Catalog struct {
	release string
	source  string
	subset  bool

	techniques map[string]*Technique
	tactics    map[string]*Tactic
	byShort    map[string]*Tactic
	groups     map[string]*Group
	// uses maps a technique id to the ids of the groups using it.
	uses map[string][]string
}

func newCatalog() *Catalog {
	return &Catalog{
		techniques: map[string]*Technique{},
		tactics:    map[string]*Tactic{},
		byShort:    map[string]*Tactic{},
		groups:     map[string]*Group{},
		uses:       map[string][]string{},
	}
}

func (c *Catalog) addTactic(t Tactic) {
	tt := t
	c.tactics[t.ID] = &tt
	if t.ShortName != "" {
		c.byShort[t.ShortName] = &tt
	}
}

// Release is the ATT&CK release the catalogue came from ("v18.1"), stored in tags' attack_release;
// "spec-X.Y.Z" when only the ATT&CK spec version is known, "unknown" when nothing is.
func (c *Catalog) Release() string {
	if c.release == "" {
		return "unknown"
	}
	if strings.HasPrefix(c.release, "spec-") {
		return c.release
	}
	return "v" + c.release
}

// Major is the release's major version ("18" for v18.1), what ATT&CK
// Navigator layers record; "" when the release is unknown.
func (c *Catalog) Major() string {
	if c.release == "" || strings.HasPrefix(c.release, "spec-") {
		return ""
	}
	major, _, _ := strings.Cut(c.release, ".")
	return major
}

// Source is where the catalogue came from: the bundle's path, or "built-in
// subset" for Builtin.
func (c *Catalog) Source() string { return c.source }

// Subset reports whether the catalogue holds only part of ATT&CK (the
// built-in table), so callers can say so instead of reporting ids unknown.
func (c *Catalog) Subset() bool { return c.subset }

// Technique returns the technique or sub-technique with ATT&CK id id.
func (c *Catalog) Technique(id string) (Technique, bool) {
	t, ok := c.techniques[id]
	if !ok {
		return Technique{}, false
	}
	out := *t
	out.Tactics = slices.Clone(t.Tactics)
	return out, true
}

// TechniqueExists reports whether id is a current (not revoked or
// deprecated) technique or sub-technique.
func (c *Catalog) TechniqueExists(id string) bool {
	_, ok := c.techniques[id]
	return ok
}

// TechniqueName is the display name the API shows, "Parent: Sub" for a sub-technique
// ("Command and Scripting Interpreter: Unix Shell"); false when id is unknown.
func (c *Catalog) TechniqueName(id string) (string, bool) {
	t, ok := c.techniques[id]
	if !ok {
		return "", false
	}
	if parent, _, isSub := strings.Cut(id, "."); isSub {
		if p, ok := c.techniques[parent]; ok {
			return p.Name + ": " + t.Name, true
		}
	}
	return t.Name, true
}

// URL is the attack.mitre.org page of a technique, sub-technique or tactic
// (https://attack.mitre.org/techniques/T1059/004), "" when id is unknown.
func (c *Catalog) URL(id string) string {
	if t, ok := c.techniques[id]; ok {
		return t.URL
	}
	if t, ok := c.tactics[id]; ok {
		return t.URL
	}
	return ""
}

// STIXID is the attack-pattern STIX id MITRE gave a technique, used by
// exports; "" when id is unknown.
func (c *Catalog) STIXID(id string) string {
	if t, ok := c.techniques[id]; ok {
		return t.STIXID
	}
	return ""
}

// TacticExists reports whether id (TA####) is a tactic of the catalogue.
func (c *Catalog) TacticExists(id string) bool {
	_, ok := c.tactics[id]
	return ok
}

// TacticName is the name of a tactic given its TA#### id or its shortname
// ("credential-access"); false when unknown.
func (c *Catalog) TacticName(id string) (string, bool) {
	if t, ok := c.tactic(id); ok {
		return t.Name, true
	}
	return "", false
}

// Tactic returns a tactic by TA#### id or shortname.
func (c *Catalog) Tactic(id string) (Tactic, bool) {
	t, ok := c.tactic(id)
	if !ok {
		return Tactic{}, false
	}
	return *t, true
}

func (c *Catalog) tactic(id string) (*Tactic, bool) {
	if t, ok := c.tactics[id]; ok {
		return t, true
	}
	t, ok := c.byShort[id]
	return t, ok
}

// Tactics lists every tactic sorted by id.
func (c *Catalog) Tactics() []Tactic {
	out := make([]Tactic, 0, len(c.tactics))
	for _, t := range c.tactics {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Techniques lists every technique and sub-technique sorted by id.
func (c *Catalog) Techniques() []Technique {
	out := make([]Technique, 0, len(c.techniques))
	for _, t := range c.techniques {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// GroupsUsing lists the intrusion sets that "use" exactly techniqueID (no inheritance from a parent),
// sorted by group id, for the groups endpoint; nil when none are known.
func (c *Catalog) GroupsUsing(techniqueID string) []Group {
	ids := c.uses[techniqueID]
	out := make([]Group, 0, len(ids))
	for _, id := range ids {
		g := *c.groups[id]
		g.Aliases = slices.Clone(g.Aliases)
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Counts summarises the catalogue.
func (c *Catalog) Counts() Counts {
	n := Counts{Tactics: len(c.tactics), Groups: len(c.groups)}
	for _, t := range c.techniques {
		if t.SubTechnique {
			n.SubTechniques++
		} else {
			n.Techniques++
		}
	}
	for _, g := range c.uses {
		n.GroupUses += len(g)
	}
	return n
}

// Validate returns one error listing every unknown technique and tactic, so a rule pack is fixed in one
// pass; exemptTactics (ICS ones with an enterprise bundle, say) are accepted unseen.
func (c *Catalog) Validate(techniqueIDs, tacticIDs []string, exemptTactics []string) error {
	var badTech, badTac []string
	for _, id := range techniqueIDs {
		if !c.TechniqueExists(id) && !slices.Contains(badTech, id) {
			badTech = append(badTech, id)
		}
	}
	for _, id := range tacticIDs {
		if !c.TacticExists(id) && !slices.Contains(exemptTactics, id) && !slices.Contains(badTac, id) {
			badTac = append(badTac, id)
		}
	}
	if len(badTech) == 0 && len(badTac) == 0 {
		return nil
	}
	sort.Strings(badTech)
	sort.Strings(badTac)
	var parts []string
	if len(badTech) > 0 {
		parts = append(parts, "techniques "+strings.Join(badTech, ", "))
	}
	if len(badTac) > 0 {
		parts = append(parts, "tactics "+strings.Join(badTac, ", "))
	}
	return fmt.Errorf("unknown ATT&CK ids in %s (%s): %s", c.Release(), c.source, strings.Join(parts, "; "))
}
