package export

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// MISP enumerations used by the events (MISP core format).
const (
	// MISPThreatMedium and MISPThreatLow are threat_level_id values: an attacker that ran commands
	// or earned ATT&CK tags is medium, a scanner low.
	MISPThreatMedium = "2"
	MISPThreatLow    = "3"
	// MISPAnalysisOngoing is analysis "1": a honeypot keeps observing.
	MISPAnalysisOngoing = "1"
	// MISPDistributionOrg is distribution "0" (your organisation only):
	// sharing wider is the operator's decision in MISP.
	MISPDistributionOrg = "0"
	// MISPDistributionInherit makes attributes follow the event's
	// distribution.
	MISPDistributionInherit = "5"
)

// MISPEventDoc is one MISP event in MISP's JSON format ({"Event": …}), as
// imported by MISP's events/add and "Import from … MISP JSON".
type MISPEventDoc struct {
	Event MISPEventBody `json:"Event"`
}

// MISPFleetDoc is several events in the shape MISP's restSearch returns.
type MISPFleetDoc struct {
	Response []MISPEventDoc `json:"response"`
}

// MISPEventBody is the event body. Numeric enumerations are strings, as MISP
// itself writes them.
type MISPEventBody struct {
	UUID          string          `json:"uuid"`
	Info          string          `json:"info"`
	Date          string          `json:"date"`
	Timestamp     string          `json:"timestamp"`
	ThreatLevelID string          `json:"threat_level_id"`
	Analysis      string          `json:"analysis"`
	Distribution  string          `json:"distribution"`
	Published     bool            `json:"published"`
	Orgc          MISPOrg         `json:"Orgc"`
	Attribute     []MISPAttribute `json:"Attribute"`
	Tag           []MISPTag       `json:"Tag"`
}

// MISPOrg is the creator organisation of an event.
type MISPOrg struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// MISPAttribute is one indicator or observation of an event; Type and
// Category are from MISP's fixed table (ip-src is "Network activity", …).
type MISPAttribute struct {
	UUID         string `json:"uuid"`
	Type         string `json:"type"`
	Category     string `json:"category"`
	Value        string `json:"value"`
	ToIDS        bool   `json:"to_ids"`
	Comment      string `json:"comment,omitempty"`
	Timestamp    string `json:"timestamp"`
	Distribution string `json:"distribution"`
}

// MISPTag is a tag on an event; ATT&CK techniques are MISP galaxy tags.
type MISPTag struct {
	Name string `json:"name"`
}

// mispFingerprint maps a fingerprint type to its MISP attribute type,
// category and IDS flag.
var mispFingerprint = map[string]struct {
	typ, category string
	ids           bool
}{
	fpPayloadSHA256: {"sha256", "Payload delivery", true},
	fpJA3:           {"ja3-fingerprint-md5", "Network activity", false},
	fpHASSH:         {"hassh-md5", "Network activity", false},
	fpHASSHServer:   {"hasshserver-md5", "Network activity", false},
	fpJARM:          {"jarm-fingerprint", "Network activity", false},
	fpTLSCertSHA256: {"x509-fingerprint-sha256", "Network activity", false},
	fpUserAgent:     {"user-agent", "Network activity", false},
}

// MISPEvent builds one attacker's MISP event natively (address, AS, hashes, fingerprints, commands, one ATT&CK
// galaxy tag per technique) with UUIDv5 ids so a re-export updates the same event; nil cat = Builtin.
func MISPEvent(in AttackerExport, cat *attack.Catalog, now time.Time) MISPEventDoc {
	a := in.Attacker
	info := "DECNET honeypot: attacker " + a.IP
	if in.Identity != nil && in.Identity.UUID != "" {
		info += " (identity " + short(in.Identity.UUID) + ")"
	}
	b := newMISPBuilder(id5("misp-event:"+a.UUID).String(), info)
	b.attacker(in, now)
	return b.finish(cat, now)
}

// mispBuilder accumulates one MISP event: attributes deduplicated by type
// and value, the ATT&CK techniques for its galaxy tags, and the window its
// date and timestamp come from.
type mispBuilder struct {
	ev          MISPEventBody
	seen        map[string]bool
	techniques  map[string]bool
	commands    bool
	first, last time.Time
}

func newMISPBuilder(eventUUID, info string) *mispBuilder {
	return &mispBuilder{
		ev: MISPEventBody{
			UUID:          eventUUID,
			Info:          info,
			ThreatLevelID: MISPThreatLow,
			Analysis:      MISPAnalysisOngoing,
			Distribution:  MISPDistributionOrg,
			Orgc:          MISPOrg{Name: "DECNET", UUID: strings.TrimPrefix(OrgIdentityID, "identity--")},
			Attribute:     []MISPAttribute{},
			Tag:           []MISPTag{},
		},
		seen:       map[string]bool{},
		techniques: map[string]bool{},
	}
}

// add appends an attribute unless its type and value are already there;
// the uuid derives from the event, type and value so a re-export updates
// the attribute in place.
func (b *mispBuilder) add(typ, category, value string, ids bool, comment string, at time.Time) {
	value = strings.TrimSpace(value)
	if value == "" || b.seen[typ+"|"+value] {
		return
	}
	b.seen[typ+"|"+value] = true
	b.ev.Attribute = append(b.ev.Attribute, MISPAttribute{
		UUID: id5("misp-attribute:" + b.ev.UUID + "|" + typ + "|" + value).String(),
		Type: typ, Category: category, Value: value, ToIDS: ids, Comment: comment,
		Timestamp: strconv.FormatInt(at.Unix(), 10), Distribution: MISPDistributionInherit,
	})
}

// widen stretches the event's window to [first, last].
func (b *mispBuilder) widen(first, last time.Time) {
	if b.first.IsZero() || first.Before(b.first) {
		b.first = first
	}
	if last.After(b.last) {
		b.last = last
	}
}

// attacker adds one attacker's attributes and techniques.
func (b *mispBuilder) attacker(in AttackerExport, now time.Time) {
	a := in.Attacker
	first, last := window(a, now)
	b.widen(first, last)
	b.add("ip-src", "Network activity", a.IP, true,
		fmt.Sprintf("attacker source address: %d events on %d deckies", a.EventCount, a.DeckyCount), last)
	if a.ASN != 0 {
		b.add("AS", "Network activity", strconv.FormatInt(a.ASN, 10), false, a.ASName, last)
	}
	for _, f := range a.Fingerprints {
		if m, ok := mispFingerprint[f.Type]; ok {
			b.add(m.typ, m.category, f.Value, m.ids, f.Type+" seen on "+f.Service, last)
		}
	}
	if id := in.Identity; id != nil {
		b.identityHashes(*id, last)
	}
	for _, c := range a.Commands {
		b.add("text", "Other", c.Command, false, fmt.Sprintf("command run on %s over %s", c.Decky, c.Service),
			orDefault(c.Timestamp, last))
		b.commands = true
	}
	b.rollups(in.Rollups)
	for _, t := range in.Tags {
		b.techniques[techniqueKey(t.TechniqueID, t.SubTechniqueID)] = true
	}
}

// identityHashes adds the client fingerprints an identity was clustered
// on.
func (b *mispBuilder) identityHashes(id model.Identity, at time.Time) {
	for _, v := range id.JA3Hashes {
		b.add("ja3-fingerprint-md5", "Network activity", v, false, "identity "+short(id.UUID), at)
	}
	for _, v := range id.HASSHHashes {
		b.add("hassh-md5", "Network activity", v, false, "identity "+short(id.UUID), at)
	}
	for _, v := range id.TLSCertSHA256 {
		b.add("x509-fingerprint-sha256", "Network activity", v, false, "identity "+short(id.UUID), at)
	}
}

func (b *mispBuilder) rollups(rs []model.TechniqueRollup) {
	for _, r := range rs {
		b.techniques[techniqueKey(r.TechniqueID, r.SubTechniqueID)] = true
	}
}

// finish tags the techniques (sorted), grades the threat level and dates
// the event from its window, now when nothing gave it one.
func (b *mispBuilder) finish(cat *attack.Catalog, now time.Time) MISPEventDoc {
	cat = catalogOr(cat)
	delete(b.techniques, "")
	keys := make([]string, 0, len(b.techniques))
	for k := range b.techniques {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.ev.Tag = append(b.ev.Tag, MISPTag{Name: galaxyTag(k, cat)})
	}
	if len(keys) > 0 || b.commands {
		b.ev.ThreatLevelID = MISPThreatMedium
	}
	if b.first.IsZero() {
		b.widen(now.UTC(), now.UTC())
	}
	b.ev.Date = b.first.UTC().Format("2006-01-02")
	b.ev.Timestamp = strconv.FormatInt(b.last.Unix(), 10)
	return MISPEventDoc{Event: b.ev}
}

// galaxyTag is the MISP galaxy tag of a technique: the MITRE ATT&CK
// galaxy names clusters "<Name> - <ID>", with a sub-technique's own name
// ("Unix Shell - T1059.004"). An id the catalogue lacks keeps the id as
// its name.
func galaxyTag(id string, cat *attack.Catalog) string {
	name := id
	if t, ok := cat.Technique(id); ok {
		name = t.Name
	}
	return fmt.Sprintf("misp-galaxy:mitre-attack-pattern=%q", name+" - "+id)
}

// MISPFleet is the events of several attackers, one per attacker, in
// restSearch's {"response": […]} shape.
func MISPFleet(in []AttackerExport, cat *attack.Catalog, now time.Time) MISPFleetDoc {
	out := MISPFleetDoc{Response: make([]MISPEventDoc, 0, len(in))}
	for _, a := range in {
		out.Response = append(out.Response, MISPEvent(a, cat, now))
	}
	return out
}
