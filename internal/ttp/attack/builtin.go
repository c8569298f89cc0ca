package attack

import "sync"

//go:generate go run ./gen -bundle ../../../../shared/attack/enterprise-attack-18.1-techniques.json -out builtin_table.go

// BuiltinSource is Source() of the built-in catalogue.
const BuiltinSource = "built-in subset"

var builtin = sync.OnceValue(func() *Catalog {
	c := newCatalog()
	c.release = builtinRelease
	c.source = BuiltinSource
	c.subset = true
	for _, t := range builtinTactics {
		c.addTactic(t)
	}
	for i := range builtinTechniques {
		t := builtinTechniques[i]
		c.techniques[t.ID] = &t
	}
	return c
})

// Builtin is the offline catalogue (ATT&CK 18.1 via gen/): all tactics plus the ICS ones the rules use, and
// the rules' techniques with their parents; no groups, and Subset is true since it is not all of ATT&CK.
func Builtin() *Catalog { return builtin() }

// Open resolves the DECNET_ATTACK_BUNDLE setting the same way for every role: the bundle at path,
// or Builtin when path is empty.
func Open(path string) (*Catalog, error) {
	if path == "" {
		return Builtin(), nil
	}
	return Load(path)
}
