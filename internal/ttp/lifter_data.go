package ttp

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/decnet/decnet/internal/ttp/data"
)

// c2Fingerprint is one catalogue entry of data/c2_fingerprints.yaml.
type c2Fingerprint struct {
	Kind       string  `yaml:"kind"`
	Value      string  `yaml:"value"`
	Tool       string  `yaml:"tool"`
	Protocol   string  `yaml:"protocol"`
	Multiplier float64 `yaml:"multiplier"`
	Note       string  `yaml:"note"`
}

type c2File struct {
	Version      int             `yaml:"catalogue_version"`
	Fingerprints []c2Fingerprint `yaml:"fingerprints"`
}

// intelSignal is one provider signal of data/intel/<provider>.yaml
// (ttp.md §3.4).
type intelSignal struct {
	ID                string `yaml:"id"`
	Label             string `yaml:"label"`
	ExternalReference struct {
		SourceName string `yaml:"source_name"`
		URL        string `yaml:"url"`
		ExternalID string `yaml:"external_id"`
	} `yaml:"external_reference"`
	Techniques []struct {
		TechniqueID        string   `yaml:"technique_id"`
		HighScoreThreshold *float64 `yaml:"high_score_threshold"`
	} `yaml:"techniques"`
	ConfidenceMultiplier *float64 `yaml:"confidence_multiplier"`
	// Fallback fires the signal's techniques only when no other signal
	// produced them (GreyNoise's bare "malicious").
	Fallback bool `yaml:"fallback"`
}

type intelMapping struct {
	Provider       string        `yaml:"provider"`
	MappingVersion int           `yaml:"mapping_version"`
	AttackRelease  string        `yaml:"attack_release"`
	Signals        []intelSignal `yaml:"signals"`
	byID           map[string]*intelSignal
}

// intelProviders are the providers with a mapping file, in file order.
var intelProviders = []string{"abuseipdb", "greynoise", "feodo", "threatfox"}

var (
	techIDRe  = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	hexRe     = regexp.MustCompile(`^[0-9a-f]+$`)
	dataOnce  sync.Once
	dataC2    map[string]map[string]c2Fingerprint // kind → value → entry
	dataIntel map[string]*intelMapping
	dataErr   error
)

// lifterData loads the embedded catalogues once. The files ship in the
// binary, so an error is a build defect; TestEmbeddedLifterData pins it.
func lifterData() (map[string]map[string]c2Fingerprint, map[string]*intelMapping, error) {
	dataOnce.Do(func() {
		dataC2, dataErr = loadC2(data.FS)
		if dataErr == nil {
			dataIntel, dataErr = loadIntel(data.FS)
		}
	})
	return dataC2, dataIntel, dataErr
}

func loadC2(fsys fs.FS) (map[string]map[string]c2Fingerprint, error) {
	raw, err := fs.ReadFile(fsys, "c2_fingerprints.yaml")
	if err != nil {
		return nil, err
	}
	var f c2File
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("c2_fingerprints.yaml: %w", err)
	}
	out := map[string]map[string]c2Fingerprint{}
	for i, e := range f.Fingerprints {
		e.Value = strings.ToLower(strings.TrimSpace(e.Value))
		switch {
		case !slices.Contains([]string{"jarm", "hassh", "ja3"}, e.Kind):
			return nil, fmt.Errorf("c2_fingerprints.yaml: entry %d: unknown kind %q", i, e.Kind)
		case !hexRe.MatchString(e.Value) || e.Tool == "":
			return nil, fmt.Errorf("c2_fingerprints.yaml: entry %d: value must be hex and tool set", i)
		case e.Multiplier <= 0 || e.Multiplier > 1:
			return nil, fmt.Errorf("c2_fingerprints.yaml: entry %d: multiplier %v not in (0, 1]", i, e.Multiplier)
		case e.Protocol != "tls" && e.Protocol != "ssh":
			return nil, fmt.Errorf("c2_fingerprints.yaml: entry %d: protocol %q is not tls or ssh", i, e.Protocol)
		}
		if out[e.Kind] == nil {
			out[e.Kind] = map[string]c2Fingerprint{}
		}
		if _, dup := out[e.Kind][e.Value]; dup {
			return nil, fmt.Errorf("c2_fingerprints.yaml: duplicate %s %s", e.Kind, e.Value)
		}
		out[e.Kind][e.Value] = e
	}
	return out, nil
}

func loadIntel(fsys fs.FS) (map[string]*intelMapping, error) {
	out := map[string]*intelMapping{}
	for _, p := range intelProviders {
		name := "intel/" + p + ".yaml"
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var m intelMapping
		if err := yaml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if m.Provider != p {
			return nil, fmt.Errorf("%s: provider %q does not match the file name", name, m.Provider)
		}
		m.byID = map[string]*intelSignal{}
		for i := range m.Signals {
			s := &m.Signals[i]
			if _, dup := m.byID[s.ID]; dup || s.ID == "" {
				return nil, fmt.Errorf("%s: signal id %q is empty or duplicated", name, s.ID)
			}
			if s.ConfidenceMultiplier != nil && (*s.ConfidenceMultiplier <= 0 || *s.ConfidenceMultiplier > 1) {
				return nil, fmt.Errorf("%s: signal %s: confidence_multiplier not in (0, 1]", name, s.ID)
			}
			for _, t := range s.Techniques {
				if !techIDRe.MatchString(t.TechniqueID) {
					return nil, fmt.Errorf("%s: signal %s: bad technique_id %q", name, s.ID, t.TechniqueID)
				}
			}
			m.byID[s.ID] = s
		}
		out[p] = &m
	}
	return out, nil
}

// LifterDataTechniques lists every technique id the embedded intel
// mappings can emit, so the worker can fail closed at boot when one is
// missing from the loaded ATT&CK catalogue (ttp.md §4.1).
func LifterDataTechniques() ([]string, error) {
	_, intel, err := lifterData()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range intel {
		for _, s := range m.Signals {
			for _, t := range s.Techniques {
				if !slices.Contains(out, t.TechniqueID) {
					out = append(out, t.TechniqueID)
				}
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
