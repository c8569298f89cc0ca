package ttp

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// NewIntelLifter tags intel events (R0054–R0057) through the embedded
// provider mappings (data/intel/*.yaml): AbuseIPDB categories scaled by the
// abuse score, GreyNoise tags and classification, Feodo listing and
// ThreatFox threat types. R0058 (the aggregate "bump") is not shipped: it
// never emitted anything.
func NewIntelLifter(o LifterOptions) *Lifter {
	p := map[string]predicate{}
	for _, name := range intelProviders {
		p["intel_"+name] = predIntel
	}
	return newLifter("intel", []string{KindIntel}, ownerOf("intel"), p, o)
}

// observed is one provider signal seen in the payload, with the value to
// report in evidence (a category number, a tag as the provider spells it).
type observed struct {
	id    string
	label any
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

// normSignal lowercases and collapses non-alphanumerics to "_", so
// "Tor Exit Node" and "tor-exit-node" are both tor_exit_node.
func normSignal(s string) string {
	return strings.Trim(nonAlnum.ReplaceAllString(strings.ToLower(s), "_"), "_")
}

// predIntel evaluates one provider's mapping. Each technique fires at the
// highest multiplier among its signals; a decision technique the rule does
// not emit is dropped, as in the original's audited _emit_filtered.
func predIntel(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	_, intel, err := lifterData()
	if err != nil {
		return nil, err
	}
	provider := strings.TrimPrefix(r.Lifter(), "intel_")
	m, ok := intel[provider]
	if !ok {
		return nil, ruleErr("rule %s: no intel mapping for provider %q", r.ID, provider)
	}
	p := ev.Payload
	var obs []observed
	scale, score := 1.0, math.NaN()
	switch provider {
	case "abuseipdb":
		s, ok := pnum(p, "abuseipdb_score")
		if !ok {
			s, ok = pnum(p, "abuse_confidence_score")
		}
		if !ok {
			return nil, nil
		}
		score = math.Max(0, math.Min(100, s))
		scale = score / 100
		cats, present := p["abuseipdb_categories"]
		if !present {
			cats = p["categories"]
		}
		for _, c := range anyList(cats) {
			n, ok := asNum(c)
			if !ok || n != math.Trunc(n) || n < 0 || n > 1000 {
				continue
			}
			obs = append(obs, observed{"cat_" + formatInt(n), int(n)})
		}
	case "greynoise":
		for _, t := range strList(p["greynoise_tags"]) {
			obs = append(obs, observed{"tag_" + normSignal(t), clipString(t, 128)})
		}
		if c := pStr(p, "greynoise_classification"); c != "" {
			obs = append(obs, observed{"classification_" + normSignal(c), nil})
		}
	case "feodo":
		if isTrue(p, "feodo_listed") {
			obs = append(obs, observed{"listed", nil})
		}
	case "threatfox":
		types := strList(p["threatfox_threat_types"])
		if len(types) == 0 {
			types = strList(p["threat_type"])
		}
		for _, t := range types {
			obs = append(obs, observed{"threat_type_" + normSignal(t), clipString(t, 64)})
		}
	}
	hits := map[string]techHit{}
	labels := map[string][]any{}
	for pass := range 2 {
		claimed := make(map[string]bool, len(hits))
		for t := range hits {
			claimed[t] = true
		}
		for _, o := range obs {
			s, ok := m.byID[o.id]
			if !ok || s.Fallback != (pass == 1) {
				continue
			}
			mult := scale
			if s.ConfidenceMultiplier != nil {
				mult *= *s.ConfidenceMultiplier
			}
			for _, t := range s.Techniques {
				if t.HighScoreThreshold != nil && !(score >= *t.HighScoreThreshold) {
					continue
				}
				if pass == 1 && claimed[t.TechniqueID] {
					continue
				}
				if h, ok := hits[t.TechniqueID]; !ok || mult > h.mult {
					hits[t.TechniqueID] = techHit{mult: mult}
				}
				if o.label != nil && !slices.Contains(labels[t.TechniqueID], o.label) {
					labels[t.TechniqueID] = append(labels[t.TechniqueID], o.label)
				}
			}
		}
	}
	if len(hits) == 0 {
		return nil, nil
	}
	for t, h := range hits {
		h.extra = intelEvidence(provider, p, score, labels[t])
		hits[t] = h
	}
	return &firing{only: hits}, nil
}

// intelEvidence is one technique's evidence: the signals that produced it
// and the provider context, within the intel allowlist.
func intelEvidence(provider string, p map[string]any, score float64, labels []any) map[string]any {
	ex := map[string]any{}
	if labels == nil {
		labels = []any{}
	}
	switch provider {
	case "abuseipdb":
		ex["abuseipdb_categories"] = labels
		ex["abuse_confidence_score"] = score
	case "greynoise":
		ex["greynoise_tags"] = labels
		if c := pStr(p, "greynoise_classification"); c != "" {
			ex["greynoise_classification"] = clipString(c, 64)
		}
	case "feodo":
		ex["feodo_listed"] = true
		fam := pStr(p, "feodo_malware_family")
		if fam == "" {
			fam = pStr(p, "malware_family")
		}
		if fam != "" {
			ex["malware_family"] = clipString(fam, 128)
		}
	case "threatfox":
		ex["threat_types"] = labels
		if f := strList(p["threatfox_malware_families"]); len(f) > 0 {
			ex["malware_families"] = boundEvidence(f)
		}
		if t := strList(p["threatfox_ioc_types"]); len(t) > 0 {
			ex["ioc_types"] = boundEvidence(t)
		}
	}
	return ex
}

// anyList reads a list of any shape a producer may send ([]any, []int,
// []float64, []string, …); a scalar is a one-element list.
func anyList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case []int:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []float64:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case map[string]any:
		return nil
	}
	return []any{v}
}

func formatInt(f float64) string { return strconv.Itoa(int(f)) }
