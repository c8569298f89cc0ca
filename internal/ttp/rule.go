package ttp

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxRuleFileSize bounds one rule file: a rule is a few hundred bytes, and
// an operator-supplied directory must not make the loader read gigabytes.
const MaxRuleFileSize = 1 << 20

var (
	// ruleIDRe is the rule id shape (ttp.md §2.1); the id keys state and tags.
	ruleIDRe = regexp.MustCompile(`^R\d{4}$`)
	// ruleFileRe is the rule-file allowlist: editor scratch files never match.
	ruleFileRe    = regexp.MustCompile(`^[A-Za-z0-9_]+\.ya?ml$`)
	techniqueRe   = regexp.MustCompile(`^T\d{4}$`)
	subTechRe     = regexp.MustCompile(`^T\d{4}\.\d{3}$`)
	tacticRe      = regexp.MustCompile(`^TA\d{4}$`)
	errRuleSchema = errors.New("invalid rule")
)

// IsRuleFileName reports whether name (a base name) is on the rule-file
// allowlist `[A-Za-z0-9_]+\.ya?ml`, so loaders and the watcher agree.
func IsRuleFileName(name string) bool { return ruleFileRe.MatchString(name) }

// ruleFile is the YAML schema of a rule (ttp.md §2.1). Unknown keys are
// ignored; pointers tell a missing key from a zero value.
type ruleFile struct {
	RuleID         string         `yaml:"rule_id"`
	RuleVersion    *int           `yaml:"rule_version"`
	Name           string         `yaml:"name"`
	Description    string         `yaml:"description"`
	AppliesTo      []string       `yaml:"applies_to"`
	Match          map[string]any `yaml:"match"`
	Emits          []emitFile     `yaml:"emits"`
	EvidenceFields []string       `yaml:"evidence_fields"`
}

type emitFile struct {
	TechniqueID    *string  `yaml:"technique_id"`
	SubTechniqueID *string  `yaml:"sub_technique_id"`
	Tactic         *string  `yaml:"tactic"`
	Confidence     *float64 `yaml:"confidence"`
}

// ParseRule compiles one rule file (ttp.md §2.1). path names the file in
// errors and its stem must equal rule_id. Every error is one line that
// starts with path, so the API and logs can show it as is.
func ParseRule(data []byte, path string) (*Rule, error) {
	r, err := parseRule(data, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	r.Text = string(data)
	return r, nil
}

func parseRule(data []byte, file string) (*Rule, error) {
	if len(data) > MaxRuleFileSize {
		return nil, fmt.Errorf("rule file is %d bytes, over the %d-byte limit", len(data), MaxRuleFileSize)
	}
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		return nil, err
	}
	if len(top.Content) == 0 || top.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: top level is not a mapping", errRuleSchema)
	}
	var rf ruleFile
	if err := top.Content[0].Decode(&rf); err != nil {
		return nil, err
	}
	stem := strings.TrimSuffix(strings.TrimSuffix(path.Base(file), ".yaml"), ".yml")
	switch {
	case rf.RuleID == "":
		return nil, fmt.Errorf("%w: rule_id is required", errRuleSchema)
	case !ruleIDRe.MatchString(rf.RuleID):
		return nil, fmt.Errorf("%w: rule_id %q is not R####", errRuleSchema, rf.RuleID)
	case rf.RuleID != stem:
		return nil, fmt.Errorf("%w: rule_id %s does not match the file name %q", errRuleSchema, rf.RuleID, stem)
	case rf.RuleVersion == nil:
		return nil, fmt.Errorf("%w: rule %s: rule_version is required", errRuleSchema, rf.RuleID)
	case *rf.RuleVersion < 1:
		return nil, fmt.Errorf("%w: rule %s: rule_version %d is below 1", errRuleSchema, rf.RuleID, *rf.RuleVersion)
	case strings.TrimSpace(rf.Name) == "":
		return nil, fmt.Errorf("%w: rule %s: name is required", errRuleSchema, rf.RuleID)
	case len(rf.AppliesTo) == 0:
		return nil, fmt.Errorf("%w: rule %s: applies_to is required", errRuleSchema, rf.RuleID)
	case len(rf.Emits) == 0:
		return nil, fmt.Errorf("%w: rule %s: emits is required", errRuleSchema, rf.RuleID)
	case rf.Match == nil:
		return nil, fmt.Errorf("%w: rule %s: match is required", errRuleSchema, rf.RuleID)
	}
	r := &Rule{
		ID:             rf.RuleID,
		Version:        *rf.RuleVersion,
		Name:           rf.Name,
		Description:    rf.Description,
		EvidenceFields: slices.Clone(rf.EvidenceFields),
		SourcePath:     file,
	}
	for _, k := range rf.AppliesTo {
		if !slices.Contains(KnownKinds, k) {
			return nil, fmt.Errorf("%w: rule %s: applies_to has unknown kind %q", errRuleSchema, r.ID, k)
		}
		if !slices.Contains(r.AppliesTo, k) {
			r.AppliesTo = append(r.AppliesTo, k)
		}
	}
	m, err := parseMatch(r.ID, rf.Match)
	if err != nil {
		return nil, err
	}
	r.Match = m
	for i, ef := range rf.Emits {
		e, err := parseEmit(ef)
		if err != nil {
			return nil, fmt.Errorf("%w: rule %s: emits[%d]: %v", errRuleSchema, r.ID, i, err)
		}
		r.Emits = append(r.Emits, e)
	}
	return r, nil
}

func parseMatch(id string, raw map[string]any) (Match, error) {
	if k, ok := raw["kind"]; ok {
		ks, _ := k.(string)
		if !strings.HasPrefix(ks, LifterPrefix) || len(ks) == len(LifterPrefix) {
			return Match{}, fmt.Errorf("%w: rule %s: match.kind %v is not lifter:<name>", errRuleSchema, id, k)
		}
		params := make(map[string]any, len(raw))
		for key, v := range raw {
			if key != "kind" {
				params[key] = v
			}
		}
		return Match{Kind: ks, Params: params}, nil
	}
	p, ok := raw["pattern"].(string)
	if !ok || p == "" {
		return Match{}, fmt.Errorf("%w: rule %s: match needs a pattern string or a lifter kind", errRuleSchema, id)
	}
	m := Match{Pattern: p}
	if f, ok := raw["field"]; ok {
		fs, ok := f.(string)
		if !ok || fs == "" {
			return Match{}, fmt.Errorf("%w: rule %s: match.field must be a non-empty string", errRuleSchema, id)
		}
		m.Field = fs
	}
	if _, err := compilePattern(p); err != nil {
		return Match{}, fmt.Errorf("%w: rule %s: match.pattern: %v", errRuleSchema, id, err)
	}
	return m, nil
}

// compilePattern compiles an engine pattern under RE2 (Go regexp). Its
// error gives the byte offset of the offending fragment.
func compilePattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err == nil {
		return re, nil
	}
	var se *syntax.Error
	if errors.As(err, &se) {
		off := strings.Index(p, se.Expr)
		if off >= 0 && se.Expr != "" {
			return nil, fmt.Errorf("not RE2 at offset %d (%q): %s", off, se.Expr, se.Code)
		}
		return nil, fmt.Errorf("not RE2 (%q): %s", se.Expr, se.Code)
	}
	return nil, err
}

func parseEmit(ef emitFile) (Emit, error) {
	if ef.TechniqueID == nil || *ef.TechniqueID == "" {
		return Emit{}, errors.New("technique_id is required")
	}
	if ef.Tactic == nil || *ef.Tactic == "" {
		return Emit{}, errors.New("tactic is required")
	}
	if ef.Confidence == nil {
		return Emit{}, errors.New("confidence is required")
	}
	e := Emit{TechniqueID: *ef.TechniqueID, Tactic: *ef.Tactic, Confidence: *ef.Confidence}
	if ef.SubTechniqueID != nil {
		e.SubTechniqueID = *ef.SubTechniqueID
	}
	if subTechRe.MatchString(e.TechniqueID) {
		parent := e.TechniqueID[:5]
		if e.SubTechniqueID != "" && e.SubTechniqueID != e.TechniqueID {
			return Emit{}, fmt.Errorf("technique_id %s disagrees with sub_technique_id %s", e.TechniqueID,
				e.SubTechniqueID)
		}
		e.TechniqueID, e.SubTechniqueID = parent, e.TechniqueID
	}
	switch {
	case !techniqueRe.MatchString(e.TechniqueID):
		return Emit{}, fmt.Errorf("technique_id %q is not T#### or T####.###", e.TechniqueID)
	case e.SubTechniqueID != "" && !subTechRe.MatchString(e.SubTechniqueID):
		return Emit{}, fmt.Errorf("sub_technique_id %q is not T####.###", e.SubTechniqueID)
	case e.SubTechniqueID != "" && e.SubTechniqueID[:5] != e.TechniqueID:
		return Emit{}, fmt.Errorf("sub_technique_id %s is not under %s", e.SubTechniqueID, e.TechniqueID)
	case !tacticRe.MatchString(e.Tactic):
		return Emit{}, fmt.Errorf("tactic %q is not TA####", e.Tactic)
	case !(e.Confidence > 0 && e.Confidence <= 1):
		return Emit{}, fmt.Errorf("confidence %v is not in (0,1]", e.Confidence)
	}
	return e, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// LoadRules compiles every allowlisted rule file in dir of fsys, in name
// order. A bad file becomes one entry of errs and never stops the others
// (the original failed the whole load on the first bad file).
func LoadRules(fsys fs.FS, dir string) (rules []*Rule, errs []error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, []error{fmt.Errorf("%s: %s", dir, oneLine(err.Error()))}
	}
	seen := map[string]string{}
	for _, ent := range entries {
		if ent.IsDir() || !IsRuleFileName(ent.Name()) {
			continue
		}
		p := path.Join(dir, ent.Name())
		r, err := readRule(fsys, p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[r.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: rule %s is also defined by %s", p, r.ID, prev))
			continue
		}
		seen[r.ID] = p
		rules = append(rules, r)
	}
	return rules, errs
}

func readRule(fsys fs.FS, p string) (*Rule, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", p, oneLine(err.Error()))
	}
	defer f.Close()
	buf, err := io.ReadAll(io.LimitReader(f, MaxRuleFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", p, oneLine(err.Error()))
	}
	return ParseRule(buf, p)
}

// ValidateRules checks every technique, sub-technique and tactic id the
// rules emit against the loaded ATT&CK catalogue and lists all unknown ones
// in one error, so a start-up check fails closed with the whole picture.
func ValidateRules(rules []*Rule, techniqueExists func(string) bool, tacticExists func(string) bool) error {
	var bad []string
	for _, r := range rules {
		seen := map[string]bool{}
		for _, e := range r.Emits {
			for _, id := range []string{e.TechniqueID, e.SubTechniqueID} {
				if id != "" && !seen[id] && !techniqueExists(id) {
					seen[id] = true
					bad = append(bad, fmt.Sprintf("%s: technique %s", r.ID, id))
				}
			}
			if !seen[e.Tactic] && !tacticExists(e.Tactic) {
				seen[e.Tactic] = true
				bad = append(bad, fmt.Sprintf("%s: tactic %s", r.ID, e.Tactic))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("rules emit %d unknown ATT&CK ids: %s", len(bad), strings.Join(bad, ", "))
}
