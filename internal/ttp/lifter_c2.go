package ttp

import (
	"strings"
)

// NewC2FingerprintLifter tags fingerprint session events (R0030) whose
// JARM, HASSH or JA3 values are in the embedded catalogue of known C2 and
// offensive tools. The original left lifter:c2_fingerprint unowned.
func NewC2FingerprintLifter(o LifterOptions) *Lifter {
	return newLifter("c2_fingerprint", []string{KindSession}, ownerOf("c2_fingerprint"),
		map[string]predicate{"c2_fingerprint": predC2Fingerprint}, o)
}

// c2Fields maps catalogue kinds to the session payload lists they are
// looked up in, in evaluation order.
var c2Fields = []struct{ kind, field string }{
	{"jarm", "jarm_hashes"}, {"hassh", "hassh_hashes"}, {"ja3", "ja3_hashes"},
}

// predC2Fingerprint reports the strongest catalogue hit. T1071 fires for
// any hit; T1071.001 (Web Protocols) only for a TLS fingerprint, since a
// HASSH says nothing about the web. The rule's catalogues parameter limits
// the kinds looked up.
func predC2Fingerprint(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	cat, _, err := lifterData()
	if err != nil {
		return nil, err
	}
	kinds := paramStrings(r, "catalogues")
	var best *c2Fingerprint
	for _, cf := range c2Fields {
		if len(kinds) > 0 && !containsFold(kinds, cf.kind) {
			continue
		}
		for _, v := range strList(ev.Payload[cf.field]) {
			e, ok := cat[cf.kind][strings.ToLower(strings.TrimSpace(v))]
			if ok && (best == nil || e.Multiplier > best.Multiplier) {
				best = &e
			}
		}
	}
	if best == nil {
		return nil, nil
	}
	ex := map[string]any{"matched_kind": best.Kind, "matched_value": best.Value, "matched_tool": best.Tool}
	only := map[string]techHit{"T1071": {mult: best.Multiplier}}
	f := &firing{extra: ex, only: only}
	if best.Protocol != "tls" {
		// Emits share a parent; drop the Web Protocols sub-technique.
		f.skipSub = map[string]bool{"T1071.001": true}
	}
	return f, nil
}

func containsFold(xs []string, s string) bool {
	for _, x := range xs {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
