// Package data ships the lifters' reference data inside the binary: the
// catalogue of known C2 and offensive-tool TLS/SSH fingerprints (R0030)
// and the intel provider → ATT&CK mappings (R0054–R0057, ttp.md §3.4).
// Embedding keeps the worker free of a data directory to deploy.
package data

import "embed"

// FS holds c2_fingerprints.yaml and intel/{abuseipdb,greynoise,feodo,
// threatfox}.yaml, read by internal/ttp when its lifters are built.
//
//go:embed c2_fingerprints.yaml intel/*.yaml
var FS embed.FS
