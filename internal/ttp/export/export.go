// Package export renders decnet's ATT&CK observations for other tools: an
// ATT&CK Navigator layer, a STIX 2.1 bundle and a MISP event (ttp.md §5.2,
// §5.3). Everything here is pure: callers load the rows and the catalogue,
// and every id is derived deterministically (UUIDv5) so a re-export of the
// same data yields the same objects.
package export

import (
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// Namespace is the UUIDv5 namespace of every id decnet exports; it is the
// original's, so ids match exports made by it.
var Namespace = uuid.MustParse("b5d2c3a1-8f4e-4d1b-9a6c-0e7f5b3d2c1a")

// AttackerExport is everything exported about one attacker: Behavior and Identity may be nil, Tags become
// sightings and Rollups attack patterns.
type AttackerExport struct {
	Attacker model.Attacker
	Behavior *model.AttackerBehavior
	Identity *model.Identity
	Tags     []model.TTPTag
	Rollups  []model.TechniqueRollup
}

// techniqueKey is the id a rollup or tag is exported under: the dotted
// sub-technique when set, else the technique.
func techniqueKey(technique, sub string) string {
	if sub != "" {
		return sub
	}
	return technique
}

// catalogOr returns cat, or the built-in catalogue when cat is nil.
func catalogOr(cat *attack.Catalog) *attack.Catalog {
	if cat == nil {
		return attack.Builtin()
	}
	return cat
}

func id5(name string) uuid.UUID { return uuid.NewSHA1(Namespace, []byte(name)) }

// orDefault returns t, or def when t is zero.
func orDefault(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

// window returns the attacker's seen window, now standing in for what is
// missing, with last never before first.
func window(a model.Attacker, now time.Time) (first, last time.Time) {
	first = orDefault(a.FirstSeen, now).UTC()
	last = orDefault(a.LastSeen, now).UTC()
	if last.Before(first) {
		last = first
	}
	return first, last
}

// Fingerprint types read from model.Attacker.Fingerprints; they are the
// profiler's names (profiler.FP*), repeated so this pure package does not
// import the pipeline.
const (
	fpJA3           = "ja3"
	fpHASSH         = "hassh"
	fpHASSHServer   = "hassh_server"
	fpJARM          = "jarm"
	fpTLSCertSHA256 = "tls_cert_sha256"
	fpUserAgent     = "http_useragent"
	fpPayloadSHA256 = "payload_sha256"
)
