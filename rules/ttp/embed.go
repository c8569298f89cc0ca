// Package ttprules embeds the shipped ATT&CK rule pack (rules/ttp/*.yaml),
// the filesystem rule store's default layer: a deployment works with no rule
// directory on disk, and an operator directory only overrides.
package ttprules

import "embed"

// FS holds every R####.yaml rule file of the pack at its root.
//
//go:embed *.yaml
var FS embed.FS
