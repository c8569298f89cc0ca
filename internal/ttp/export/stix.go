package export

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// STIX ids and constants shared by every export.
var (
	// OrgIdentityID is the DECNET organisation identity every object is
	// created_by: uuid5(Namespace, "decnet-honeypot").
	OrgIdentityID = "identity--" + id5("decnet-honeypot").String()
	// FingerprintExtensionID is the extension-definition of the threat-actor's fingerprint
	// properties: uuid5(Namespace, "decnet-actor-fingerprint-v1").
	FingerprintExtensionID = "extension-definition--" + id5("decnet-actor-fingerprint-v1").String()
	// scoNamespace is STIX 2.1's namespace for deterministic cyber-observable
	// ids (§2.9), so our ipv4-addr ids match any other producer's.
	scoNamespace = uuid.MustParse("00abedb4-aa42-466c-9c01-fed23315a9b7")
	// sharedEpoch is the created/modified time of the objects every export
	// shares (the org, the extension definition, attack patterns), so
	// repeated and fleet exports carry byte-identical copies.
	sharedEpoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

// FingerprintSchema is the schema URL the fingerprint extension-definition
// names.
const FingerprintSchema = "https://decnet.dev/schemas/actor-fingerprint/v1"

// maxObserved is STIX's upper bound for number_observed and count.
const maxObserved = 999_999_999

// Object is one STIX 2.1 object: a map, so custom x_decnet_* properties
// and extensions sit beside the standard ones.
type Object map[string]any

// ID is the object's STIX id.
func (o Object) ID() string { s, _ := o["id"].(string); return s }

// Type is the object's STIX type.
func (o Object) Type() string { s, _ := o["type"].(string); return s }

// Bundle is a STIX 2.1 bundle.
type Bundle struct {
	Type    string   `json:"type"`
	ID      string   `json:"id"`
	Objects []Object `json:"objects"`
}

// stixTime renders t as STIX wants: RFC 3339 UTC with milliseconds and Z.
func stixTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sdo starts a domain or relationship object with the common properties.
func sdo(typ, id string, created, modified time.Time) Object {
	if modified.Before(created) {
		modified = created
	}
	return Object{
		"type":           typ,
		"spec_version":   "2.1",
		"id":             id,
		"created":        stixTime(created),
		"modified":       stixTime(modified),
		"created_by_ref": OrgIdentityID,
	}
}

func orgIdentity() Object {
	o := sdo("identity", OrgIdentityID, sharedEpoch, sharedEpoch)
	o["name"] = "DECNET"
	o["identity_class"] = "organization"
	o["description"] = "DECNET honeypot deception network"
	return o
}

func fingerprintExtension() Object {
	o := sdo("extension-definition", FingerprintExtensionID, sharedEpoch, sharedEpoch)
	o["name"] = "DECNET Actor Fingerprint"
	o["description"] = "Network behaviour and protocol fingerprints DECNET observed for a threat actor"
	o["schema"] = FingerprintSchema
	o["version"] = "1.0.0"
	o["extension_types"] = []string{"property-extension"}
	return o
}

// STIXBundle builds one attacker's STIX 2.1 bundle (ttp.md §5.3 items 1–4, 6, 7, 10), skipping missing data and
// using now for unknown times; only an attacker without a uuid or a valid IP is an error.
func STIXBundle(in AttackerExport, cat *attack.Catalog, now time.Time) (Bundle, error) {
	objs, err := attackerObjects(in, catalogOr(cat), now)
	if err != nil {
		return Bundle{}, err
	}
	return Bundle{Type: "bundle", ID: "bundle--" + id5("bundle:"+in.Attacker.UUID).String(), Objects: objs}, nil
}

// STIXFleetBundle is several attackers' bundle with shared objects (the org, attack patterns) kept
// once, the first copy of each id winning.
func STIXFleetBundle(in []AttackerExport, cat *attack.Catalog, now time.Time) (Bundle, error) {
	cat = catalogOr(cat)
	seen := map[string]bool{}
	var objs []Object
	uuids := make([]string, 0, len(in))
	for _, a := range in {
		part, err := attackerObjects(a, cat, now)
		if err != nil {
			return Bundle{}, err
		}
		uuids = append(uuids, a.Attacker.UUID)
		for _, o := range part {
			if !seen[o.ID()] {
				seen[o.ID()] = true
				objs = append(objs, o)
			}
		}
	}
	if len(objs) == 0 {
		objs = []Object{orgIdentity()}
	}
	sort.Strings(uuids)
	id := "bundle--" + id5("fleet-bundle:"+strings.Join(uuids, ",")).String()
	return Bundle{Type: "bundle", ID: id, Objects: objs}, nil
}

func attackerObjects(in AttackerExport, cat *attack.Catalog, now time.Time) ([]Object, error) {
	a := in.Attacker
	if a.UUID == "" {
		return nil, errors.New("stix export: attacker has no uuid")
	}
	ip, err := netip.ParseAddr(a.IP)
	if err != nil {
		return nil, fmt.Errorf("stix export: attacker %s has no valid IP address (%q)", a.UUID, a.IP)
	}
	first, last := window(a, now)
	objs := []Object{orgIdentity()}

	// 2–3: the address and its observation.
	ipType := "ipv4-addr"
	if ip.Unmap().Is6() {
		ipType = "ipv6-addr"
	}
	ipValue := ip.Unmap().String()
	ipObj := Object{"type": ipType, "spec_version": "2.1", "id": scoID(ipType, map[string]string{"value": ipValue}), "value": ipValue}
	ipSeen := sdo("observed-data", "observed-data--"+id5("observed-data:ip:"+a.UUID).String(), first, last)
	ipSeen["first_observed"] = stixTime(first)
	ipSeen["last_observed"] = stixTime(last)
	ipSeen["number_observed"] = clampObserved(a.EventCount)
	ipSeen["object_refs"] = []string{ipObj.ID()}
	objs = append(objs, ipObj, ipSeen)

	// 4: the threat actor.
	actor := threatActor(in, first, last)
	if ext := fingerprintProperties(in); ext != nil {
		objs = append(objs, fingerprintExtension())
		actor["extensions"] = map[string]any{FingerprintExtensionID: ext}
	}
	objs = append(objs, actor)
	actorID := actor.ID()

	// 6: one attack-pattern and "uses" per technique.
	var spans techniqueSpans
	spans.rollups(in.Rollups)
	spans.tags(in.Tags)
	uses, patternIDs := spans.uses(actorID, cat, first, last)
	objs = append(objs, uses...)

	// 7: a sighting per tag.
	tags := append([]model.TTPTag(nil), in.Tags...)
	sort.SliceStable(tags, func(i, j int) bool { return tags[i].UUID < tags[j].UUID })
	for _, t := range tags {
		pid, ok := patternIDs[techniqueKey(t.TechniqueID, t.SubTechniqueID)]
		if !ok || t.UUID == "" {
			continue
		}
		at := orDefault(t.CreatedAt, now)
		s := sdo("sighting", "sighting--"+id5("sighting:"+t.UUID).String(), at, at)
		s["sighting_of_ref"] = pid
		s["first_seen"] = stixTime(at)
		s["last_seen"] = stixTime(at)
		s["count"] = 1
		s["where_sighted_refs"] = []string{OrgIdentityID}
		s["observed_data_refs"] = []string{ipSeen.ID()}
		s["confidence"] = int(t.Confidence*100 + 0.5)
		s["x_decnet_rule_id"] = t.RuleID
		s["x_decnet_rule_version"] = t.RuleVersion
		s["x_decnet_tactic"] = t.Tactic
		objs = append(objs, s)
	}

	// 10: a process, its observation and a sighting per distinct command.
	objs = append(objs, commandObjects(a, actorID, first)...)
	return objs, nil
}

// techniqueSpans collects the techniques an actor used, each with the
// earliest and latest time it was seen; the zero value is empty.
type techniqueSpans struct {
	keys  map[string]*span
	order []string
}

type span struct{ first, last time.Time }

// note widens key's span by [f, l]; an empty key (no technique) is skipped.
func (ts *techniqueSpans) note(key string, f, l time.Time) {
	if key == "" {
		return
	}
	if ts.keys == nil {
		ts.keys = map[string]*span{}
	}
	s := ts.keys[key]
	if s == nil {
		s = &span{}
		ts.keys[key] = s
		ts.order = append(ts.order, key)
	}
	if !f.IsZero() && (s.first.IsZero() || f.Before(s.first)) {
		s.first = f
	}
	if l.After(s.last) {
		s.last = l
	}
}

func (ts *techniqueSpans) rollups(rs []model.TechniqueRollup) {
	for _, r := range rs {
		ts.note(techniqueKey(r.TechniqueID, r.SubTechniqueID), r.FirstSeen, r.LastSeen)
	}
}

func (ts *techniqueSpans) tags(tags []model.TTPTag) {
	for _, t := range tags {
		ts.note(techniqueKey(t.TechniqueID, t.SubTechniqueID), t.CreatedAt, t.CreatedAt)
	}
}

// uses renders one attack-pattern and one "uses" relationship from
// sourceID per technique, sorted by technique id, spans missing a time
// falling back to [first, last]. It also returns the pattern id of each
// technique key.
func (ts *techniqueSpans) uses(sourceID string, cat *attack.Catalog, first, last time.Time) ([]Object, map[string]string) {
	sort.Strings(ts.order)
	objs := make([]Object, 0, 2*len(ts.order))
	patternIDs := make(map[string]string, len(ts.order))
	for _, key := range ts.order {
		p := attackPattern(key, cat)
		patternIDs[key] = p.ID()
		s := ts.keys[key]
		rel := sdo("relationship", "relationship--"+id5("uses:"+sourceID+"|"+p.ID()).String(),
			orDefault(s.first, first), orDefault(s.last, last))
		rel["relationship_type"] = "uses"
		rel["source_ref"] = sourceID
		rel["target_ref"] = p.ID()
		objs = append(objs, p, rel)
	}
	return objs, patternIDs
}

func threatActor(in AttackerExport, first, last time.Time) Object {
	a := in.Attacker
	o := sdo("threat-actor", "threat-actor--"+id5(a.UUID).String(), first, last)
	if in.Identity != nil && in.Identity.UUID != "" {
		o["name"] = "DECNET-identity-" + short(in.Identity.UUID)
		o["x_decnet_identity_uuid"] = in.Identity.UUID
	} else {
		o["name"] = "DECNET-attacker-" + short(a.UUID)
	}
	o["threat_actor_types"] = []string{"unknown"}
	o["first_seen"] = stixTime(first)
	o["last_seen"] = stixTime(last)
	o["x_decnet_attacker_uuid"] = a.UUID
	if a.CountryCode != "" {
		o["x_decnet_country_code"] = a.CountryCode
	}
	if a.ASN != 0 {
		o["x_decnet_asn"] = a.ASN
	}
	if a.ASName != "" {
		o["x_decnet_as_name"] = a.ASName
	}
	return o
}

// fingerprintProperties is the property-extension body (ttp.md §5.3 item
// 4), nil when there is nothing to put in it.
func fingerprintProperties(in AttackerExport) map[string]any {
	net := map[string]any{}
	proto := map[string]any{}
	if b := in.Behavior; b != nil {
		setStr(net, "os_guess", b.OSGuess)
		if b.HopDistance != nil {
			net["hop_distance"] = *b.HopDistance
		}
		if b.RetransmitCount != 0 {
			net["retransmit_count"] = b.RetransmitCount
		}
		setStr(net, "behavior_class", b.BehaviorClass)
		if b.BeaconIntervalS != nil {
			net["beacon_interval_s"] = *b.BeaconIntervalS
		}
		if b.BeaconJitterPct != nil {
			net["beacon_jitter_pct"] = *b.BeaconJitterPct
		}
		setRaw(net, "tcp_fingerprint", b.TCPFingerprint)
		setRaw(net, "timing_stats", b.TimingStats)
		setRaw(net, "phase_sequence", b.PhaseSequence)
		setList(net, "tool_guesses", b.ToolGuesses)
		setList(proto, "kex_order_raw", b.KexOrderRaw)
		setList(proto, "ssh_client_banners", b.SSHClientBanners)
	}
	if id := in.Identity; id != nil {
		setList(proto, "ja3_hashes", id.JA3Hashes)
		setList(proto, "hassh_hashes", id.HASSHHashes)
		setList(proto, "tls_cert_sha256", id.TLSCertSHA256)
		setList(proto, "payload_simhashes", id.PayloadSimhashes)
		setList(proto, "c2_endpoints", id.C2Endpoints)
	}
	var jarm []string
	for _, f := range in.Attacker.Fingerprints {
		if f.Type == fpJARM && f.Value != "" {
			jarm = append(jarm, f.Value)
		}
	}
	setList(proto, "jarm_hashes", jarm)
	if len(net) == 0 && len(proto) == 0 {
		return nil
	}
	ext := map[string]any{"extension_type": "property-extension"}
	if len(net) > 0 {
		ext["network_behavior"] = net
	}
	if len(proto) > 0 {
		ext["protocol_fingerprints"] = proto
	}
	return ext
}

// attackPattern is the attack-pattern of an ATT&CK id under MITRE's own
// STIX id and name, so consumers holding the ATT&CK bundle join on it. An
// id the catalogue lacks (a built-in subset) gets a decnet-derived id and
// the ATT&CK URL built from the id.
func attackPattern(key string, cat *attack.Catalog) Object {
	t, known := cat.Technique(key)
	id := t.STIXID
	if id == "" {
		id = "attack-pattern--" + id5("attack-pattern:"+key).String()
	}
	o := sdo("attack-pattern", id, sharedEpoch, sharedEpoch)
	name, url := key, "https://attack.mitre.org/techniques/"+strings.ReplaceAll(key, ".", "/")
	if known {
		name, url = t.Name, t.URL
	}
	o["name"] = name
	o["external_references"] = []map[string]string{{"source_name": "mitre-attack", "external_id": key, "url": url}}
	if len(t.Tactics) > 0 {
		phases := make([]map[string]string, len(t.Tactics))
		for i, p := range t.Tactics {
			phases[i] = map[string]string{"kill_chain_name": "mitre-attack", "phase_name": p}
		}
		o["kill_chain_phases"] = phases
	}
	return o
}

func commandObjects(a model.Attacker, actorID string, first time.Time) []Object {
	type run struct {
		first, last time.Time
		count       int64
	}
	runs := map[string]*run{}
	var cmds []string
	for _, c := range a.Commands {
		cmd := strings.TrimSpace(c.Command)
		if cmd == "" {
			continue
		}
		at := orDefault(c.Timestamp, first).UTC()
		r := runs[cmd]
		if r == nil {
			r = &run{first: at, last: at}
			runs[cmd] = r
			cmds = append(cmds, cmd)
		}
		r.count++
		if at.Before(r.first) {
			r.first = at
		}
		if at.After(r.last) {
			r.last = at
		}
	}
	var objs []Object
	for _, cmd := range cmds {
		r := runs[cmd]
		key := a.UUID + "|" + cmd
		proc := Object{"type": "process", "spec_version": "2.1", "id": "process--" + id5("process:"+key).String(),
			"command_line": cmd, "is_hidden": false}
		seen := sdo("observed-data", "observed-data--"+id5("observed-data:process:"+key).String(), r.first, r.last)
		seen["first_observed"] = stixTime(r.first)
		seen["last_observed"] = stixTime(r.last)
		seen["number_observed"] = clampObserved(r.count)
		seen["object_refs"] = []string{proc.ID()}
		s := sdo("sighting", "sighting--"+id5("sighting:process:"+key).String(), r.first, r.last)
		s["sighting_of_ref"] = actorID
		s["first_seen"] = stixTime(r.first)
		s["last_seen"] = stixTime(r.last)
		s["count"] = clampObserved(r.count)
		s["where_sighted_refs"] = []string{OrgIdentityID}
		s["observed_data_refs"] = []string{seen.ID()}
		objs = append(objs, proc, seen, s)
	}
	return objs
}

// scoID is the deterministic id STIX 2.1 §2.9 gives a cyber-observable:
// UUIDv5 in the SCO namespace over the canonical JSON of its
// id-contributing properties.
func scoID(typ string, props map[string]string) string {
	b, _ := json.Marshal(props) // sorted keys, no whitespace: canonical for string values
	return typ + "--" + uuid.NewSHA1(scoNamespace, b).String()
}

func clampObserved(n int64) int64 { return min(max(n, 1), maxObserved) }

func short(u string) string {
	if len(u) > 8 {
		return u[:8]
	}
	return u
}

func setStr(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

func setList(m map[string]any, k string, v []string) {
	if len(v) > 0 {
		m[k] = v
	}
}

func setRaw(m map[string]any, k string, v json.RawMessage) {
	if len(v) > 0 && string(v) != "null" && string(v) != "{}" && string(v) != "[]" {
		m[k] = v
	}
}
