package attack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// rawObject holds the few properties of a STIX object the catalogue keeps;
// everything else (descriptions, detections, references' prose) is skipped
// by the decoder without being kept.
type rawObject struct {
	Type               string `json:"type"`
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Revoked            bool   `json:"revoked"`
	Deprecated         bool   `json:"x_mitre_deprecated"`
	IsSubtechnique     bool   `json:"x_mitre_is_subtechnique"`
	ExternalReferences []struct {
		SourceName string `json:"source_name"`
		ExternalID string `json:"external_id"`
		URL        string `json:"url"`
	} `json:"external_references"`
	KillChainPhases []struct {
		KillChainName string `json:"kill_chain_name"`
		PhaseName     string `json:"phase_name"`
	} `json:"kill_chain_phases"`
	ShortName        string   `json:"x_mitre_shortname"`
	Aliases          []string `json:"aliases"`
	RelationshipType string   `json:"relationship_type"`
	SourceRef        string   `json:"source_ref"`
	TargetRef        string   `json:"target_ref"`
	Version          string   `json:"x_mitre_version"`
	SpecVersion      string   `json:"x_mitre_attack_spec_version"`
}

// mitreRef returns the object's ATT&CK id and URL (the "mitre-attack"
// external reference, or an ICS/mobile one).
func (o *rawObject) mitreRef() (id, url string) {
	for _, r := range o.ExternalReferences {
		switch r.SourceName {
		case "mitre-attack", "mitre-ics-attack", "mitre-mobile-attack":
			return r.ExternalID, r.URL
		}
	}
	return "", ""
}

// Load reads an ATT&CK STIX 2.1 bundle, stream-decoding "objects" so a 50 MB file never sits in memory as maps,
// skipping revoked and deprecated objects; errors are one line naming the file and DECNET_ATTACK_BUNDLE.
func Load(path string) (*Catalog, error) {
	fh, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, loadErr(path, err)
	}
	defer fh.Close()
	c, err := decode(fh, filepath.Base(path))
	if err != nil {
		return nil, loadErr(path, err)
	}
	c.source = path
	return c, nil
}

func loadErr(path string, err error) error {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	return fmt.Errorf("ATT&CK bundle %s (set by %s): %s", path, BundleSetting, msg)
}

// decode parses a bundle from r; name (the file's base name) is the release
// of last resort.
func decode(r io.Reader, name string) (*Catalog, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("not a STIX bundle: %v", err)
	}
	c := newCatalog()
	var (
		collection, spec string
		stixTech         = map[string]string{} // attack-pattern STIX id → T id
		stixGroup        = map[string]string{} // intrusion-set STIX id → G id
		rels             [][2]string           // source, target STIX ids of "uses"
		sawObjects       bool
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, syntaxErr(dec, err)
		}
		key, _ := tok.(string)
		if key != "objects" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, syntaxErr(dec, err)
			}
			continue
		}
		sawObjects = true
		if err := expectDelim(dec, '['); err != nil {
			return nil, fmt.Errorf("\"objects\" is not an array: %v", err)
		}
		for dec.More() {
			var o rawObject
			if err := dec.Decode(&o); err != nil {
				return nil, syntaxErr(dec, err)
			}
			if o.SpecVersion != "" && versionLess(spec, o.SpecVersion) {
				spec = o.SpecVersion
			}
			if o.Revoked || o.Deprecated {
				continue
			}
			switch o.Type {
			case "x-mitre-collection":
				if collection == "" {
					collection = o.Version
				}
			case "attack-pattern":
				id, url := o.mitreRef()
				if id == "" {
					continue
				}
				t := &Technique{ID: id, STIXID: o.ID, Name: o.Name, URL: url,
					SubTechnique: o.IsSubtechnique || strings.Contains(id, ".")}
				for _, k := range o.KillChainPhases {
					if strings.HasPrefix(k.KillChainName, "mitre-") && k.PhaseName != "" {
						t.Tactics = append(t.Tactics, k.PhaseName)
					}
				}
				c.techniques[id] = t
				stixTech[o.ID] = id
			case "x-mitre-tactic":
				id, url := o.mitreRef()
				if id == "" {
					continue
				}
				c.addTactic(Tactic{ID: id, ShortName: o.ShortName, Name: o.Name, URL: url, STIXID: o.ID})
			case "intrusion-set":
				id, url := o.mitreRef()
				if id == "" {
					continue
				}
				c.groups[id] = &Group{ID: id, Name: o.Name, Aliases: o.Aliases, URL: url}
				stixGroup[o.ID] = id
			case "relationship":
				if o.RelationshipType == "uses" && strings.HasPrefix(o.SourceRef, "intrusion-set--") &&
					strings.HasPrefix(o.TargetRef, "attack-pattern--") {
					rels = append(rels, [2]string{o.SourceRef, o.TargetRef})
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, syntaxErr(dec, err)
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, syntaxErr(dec, err)
	}
	if !sawObjects {
		return nil, errors.New("not a STIX bundle: no \"objects\" array")
	}
	if len(c.techniques) == 0 {
		return nil, errors.New("no ATT&CK techniques (attack-pattern objects with a mitre-attack id) found")
	}
	for _, r := range rels {
		g, okG := stixGroup[r[0]]
		t, okT := stixTech[r[1]]
		if okG && okT && !slices.Contains(c.uses[t], g) {
			c.uses[t] = append(c.uses[t], g)
		}
	}
	for _, g := range c.uses {
		sort.Strings(g)
	}
	c.release = releaseOf(collection, name, spec)
	return c, nil
}

// releaseNumber finds an ATT&CK release such as 18.1 in a file name
// ("enterprise-attack-18.1.json", "enterprise-attack-18.1-techniques.json").
var releaseNumber = regexp.MustCompile(`(?:^|[^0-9.])(\d{1,3}\.\d{1,3})(?:[^0-9.]|\.json|$)`)

// releaseOf picks the release: the x-mitre-collection's x_mitre_version,
// else a version in the file name, else the highest ATT&CK spec version
// seen, recorded as "spec-<version>" because it is not a release number.
func releaseOf(collection, name, spec string) string {
	if collection != "" {
		return collection
	}
	if m := releaseNumber.FindStringSubmatch(name); m != nil {
		return m[1]
	}
	if spec != "" {
		return "spec-" + spec
	}
	return ""
}

// versionLess compares dotted numeric versions ("3.2.0" < "3.10.0"); the
// empty version is the lowest.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	if a == "" {
		return b != ""
	}
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, found %v", string(want), tok)
	}
	return nil
}

func syntaxErr(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("invalid JSON near byte %d: %v", dec.InputOffset(), err)
}
