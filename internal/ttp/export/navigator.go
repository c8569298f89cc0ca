package export

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// Navigator and layer format versions the layers are written for (ATT&CK
// Navigator 5.x reads layer format 4.5).
const (
	NavigatorVersion = "5.1.0"
	LayerVersion     = "4.5"
	// NavigatorDomain is the ATT&CK domain decnet's rules map into.
	NavigatorDomain = "enterprise-attack"
)

// NavigatorLayer is an ATT&CK Navigator layer file (format 4.5), the JSON
// an analyst opens in the Navigator to see decnet's coverage.
type NavigatorLayer struct {
	Name        string                `json:"name"`
	Versions    NavigatorVersions     `json:"versions"`
	Domain      string                `json:"domain"`
	Description string                `json:"description"`
	Techniques  []NavigatorTechnique  `json:"techniques"`
	Gradient    *NavigatorGradient    `json:"gradient,omitempty"`
	LegendItems []NavigatorLegendItem `json:"legendItems,omitempty"`
}

// NavigatorVersions pins the ATT&CK, Navigator and layer format versions, so
// the Navigator knows which matrix the ids refer to.
type NavigatorVersions struct {
	Attack    string `json:"attack,omitempty"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// NavigatorTechnique annotates one technique or sub-technique (dotted id)
// with its tag count as the score.
type NavigatorTechnique struct {
	TechniqueID string `json:"techniqueID"`
	// Tactic is the tactic shortname, set only when all tags agree and the technique sits under it;
	// left empty the annotation shows under every tactic.
	Tactic  string `json:"tactic,omitempty"`
	Score   int64  `json:"score"`
	Comment string `json:"comment"`
	Enabled bool   `json:"enabled"`
}

// NavigatorGradient colours scores from MinValue to MaxValue.
type NavigatorGradient struct {
	Colors   []string `json:"colors"`
	MinValue int64    `json:"minValue"`
	MaxValue int64    `json:"maxValue"`
}

// NavigatorLegendItem is one entry of the layer's legend.
type NavigatorLegendItem struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// Navigator builds a layer with one entry per technique or dotted sub-technique id, merging rows by summing
// counts (fixing the original's repeats and lost sub-techniques, ttp.md §5.2); nil cat = Builtin.
func Navigator(name string, rollups []model.TechniqueRollup, cat *attack.Catalog) NavigatorLayer {
	cat = catalogOr(cat)
	type acc struct {
		score    int64
		tactics  []string
		last     time.Time
		confMax  float64
		identity int64
	}
	byID := map[string]*acc{}
	for _, r := range rollups {
		id := techniqueKey(r.TechniqueID, r.SubTechniqueID)
		if id == "" {
			continue
		}
		a := byID[id]
		if a == nil {
			a = &acc{}
			byID[id] = a
		}
		a.score += r.Count
		if r.Tactic != "" && !slices.Contains(a.tactics, r.Tactic) {
			a.tactics = append(a.tactics, r.Tactic)
		}
		if r.LastSeen.After(a.last) {
			a.last = r.LastSeen
		}
		a.confMax = max(a.confMax, r.ConfidenceMax)
		a.identity += r.IdentityCount
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	layer := NavigatorLayer{
		Name:        name,
		Versions:    NavigatorVersions{Attack: cat.Major(), Navigator: NavigatorVersion, Layer: LayerVersion},
		Domain:      NavigatorDomain,
		Description: fmt.Sprintf("Techniques observed by DECNET honeypots; score = number of tags (ATT&CK %s)", cat.Release()),
		Techniques:  make([]NavigatorTechnique, 0, len(ids)),
	}
	var top int64
	for _, id := range ids {
		a := byID[id]
		e := NavigatorTechnique{TechniqueID: id, Score: a.score, Enabled: true}
		if len(a.tactics) == 1 {
			e.Tactic = tacticShortName(cat, id, a.tactics[0])
		}
		e.Comment = fmt.Sprintf("%d tag(s)", a.score)
		if a.identity > 0 {
			e.Comment += fmt.Sprintf(", %d identities", a.identity)
		}
		if a.confMax > 0 {
			e.Comment += fmt.Sprintf(", confidence max %.2f", a.confMax)
		}
		if !a.last.IsZero() {
			e.Comment += ", last seen " + a.last.UTC().Format(time.RFC3339)
		}
		top = max(top, a.score)
		layer.Techniques = append(layer.Techniques, e)
	}
	if len(ids) > 0 {
		layer.Gradient = &NavigatorGradient{Colors: []string{"#ffe766", "#ff6666"}, MinValue: 0, MaxValue: max(top, 1)}
	}
	return layer
}

// tacticShortName maps a TA#### id to the shortname the Navigator wants,
// "" when the catalogue does not know it or the technique is not under it
// (a tactic the Navigator cannot place would hide the annotation).
func tacticShortName(cat *attack.Catalog, techniqueID, tacticID string) string {
	tac, ok := cat.Tactic(tacticID)
	if !ok || tac.ShortName == "" {
		return ""
	}
	if t, ok := cat.Technique(techniqueID); ok && len(t.Tactics) > 0 && !slices.Contains(t.Tactics, tac.ShortName) {
		return ""
	}
	return tac.ShortName
}
