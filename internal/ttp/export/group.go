package export

import (
	"errors"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/ttp/attack"
)

// IdentityExport is everything exported about one identity: the identity,
// its technique rollup over every member, and the exports of the member
// attackers the caller loaded. MemberTotal counts all members, so an export
// capped by the caller says how many it left out.
type IdentityExport struct {
	Identity    model.Identity
	Rollups     []model.TechniqueRollup
	Members     []AttackerExport
	MemberTotal int64
}

// CampaignExport is everything exported about one campaign: the campaign,
// its technique rollup, and the exports of the member identities the
// caller loaded. IdentityTotal counts all live member identities.
type CampaignExport struct {
	Campaign      model.Campaign
	Rollups       []model.TechniqueRollup
	Identities    []IdentityExport
	IdentityTotal int64
}

// IntrusionSetID is the STIX id of an identity's intrusion-set:
// uuid5(Namespace, "intrusion-set:<identity uuid>").
func IntrusionSetID(identityUUID string) string {
	return "intrusion-set--" + id5("intrusion-set:"+identityUUID).String()
}

// CampaignID is the STIX id of a campaign: uuid5(Namespace,
// "campaign:<campaign uuid>").
func CampaignID(campaignUUID string) string {
	return "campaign--" + id5("campaign:"+campaignUUID).String()
}

// ThreatActorID is the STIX id of one attacker's threat-actor:
// uuid5(Namespace, <attacker uuid>), as in the per-attacker bundle.
func ThreatActorID(attackerUUID string) string {
	return "threat-actor--" + id5(attackerUUID).String()
}

// collector gathers a bundle's objects, keeping the first copy of each id:
// member bundles share the org, the extension definition and attack
// patterns, which must appear once.
type collector struct {
	seen map[string]bool
	objs []Object
}

func (c *collector) add(objs ...Object) {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	for _, o := range objs {
		if !c.seen[o.ID()] {
			c.seen[o.ID()] = true
			c.objs = append(c.objs, o)
		}
	}
}

// STIXIdentityBundle is one identity's STIX 2.1 bundle: its members'
// bundles merged and deduplicated by id, plus the intrusion-set standing
// for the identity (see identityObjects); nil cat = Builtin.
func STIXIdentityBundle(in IdentityExport, cat *attack.Catalog, now time.Time) (Bundle, error) {
	cat = catalogOr(cat)
	var c collector
	c.add(orgIdentity())
	if _, err := identityObjects(&c, in, cat, now); err != nil {
		return Bundle{}, err
	}
	return Bundle{Type: "bundle", ID: "bundle--" + id5("identity-bundle:"+in.Identity.UUID).String(), Objects: c.objs}, nil
}

// STIXCampaignBundle is one campaign's STIX 2.1 bundle: a campaign SDO
// attributed-to each member identity's intrusion-set, the campaign's
// techniques as "uses", and every identity's own contents; nil cat =
// Builtin.
//
// The campaign is attributed to intrusion-sets rather than to the
// per-attacker threat-actors because that is the level decnet's campaign
// clusterer links (identities), and STIX 2.1 defines campaign
// attributed-to intrusion-set directly.
func STIXCampaignBundle(in CampaignExport, cat *attack.Catalog, now time.Time) (Bundle, error) {
	cm := in.Campaign
	if cm.UUID == "" {
		return Bundle{}, errors.New("stix export: campaign has no uuid")
	}
	cat = catalogOr(cat)
	var c collector
	c.add(orgIdentity())
	var setIDs []string
	var wFirst, wLast time.Time
	for _, id := range in.Identities {
		w, err := identityObjects(&c, id, cat, now)
		if err != nil {
			return Bundle{}, err
		}
		setIDs = append(setIDs, IntrusionSetID(id.Identity.UUID))
		wFirst, wLast = widenWindow(wFirst, wLast, w.first, w.last)
	}
	first, last := groupWindow(cm.FirstSeenAt, cm.LastSeenAt, wFirst, wLast, now)

	campID := CampaignID(cm.UUID)
	o := sdo("campaign", campID, first, last)
	o["name"] = "DECNET-campaign-" + short(cm.UUID)
	o["description"] = fmt.Sprintf("Identities DECNET's campaign clusterer linked through a kill-chain hand-off on a decky, "+
		"shared infrastructure or keystroke dynamics: %d identities, %d in this export", max(in.IdentityTotal, int64(len(in.Identities))),
		len(in.Identities))
	o["first_seen"] = stixTime(first)
	o["last_seen"] = stixTime(last)
	setConfidence(o, cm.Confidence)
	o["x_decnet_campaign_uuid"] = cm.UUID
	o["x_decnet_identities_total"] = max(in.IdentityTotal, int64(len(in.Identities)))
	o["x_decnet_identities_exported"] = len(in.Identities)
	if ext := fingerprintProperties(AttackerExport{Identity: &model.Identity{JA3Hashes: cm.JA3Hashes,
		HASSHHashes: cm.HASSHHashes, TLSCertSHA256: cm.TLSCertSHA256, PayloadSimhashes: cm.PayloadHashes,
		C2Endpoints: cm.C2Endpoints}}); ext != nil {
		c.add(fingerprintExtension())
		o["extensions"] = map[string]any{FingerprintExtensionID: ext}
	}
	c.add(o)

	var spans techniqueSpans
	spans.rollups(in.Rollups)
	uses, _ := spans.uses(campID, cat, first, last)
	c.add(uses...)
	for i, setID := range setIDs {
		sf, sl := groupWindow(in.Identities[i].Identity.FirstSeenAt, in.Identities[i].Identity.LastSeenAt, first, last, now)
		c.add(relationship("attributed-to", campID, setID, sf, sl))
	}
	return Bundle{Type: "bundle", ID: "bundle--" + id5("campaign-bundle:"+cm.UUID).String(), Objects: c.objs}, nil
}

// identityObjects adds one identity's objects to c: each member's bundle,
// then an intrusion-set for the identity with "uses" for its techniques and
// attributed-to each member's threat-actor. It returns the window the
// intrusion-set spans.
//
// Why an intrusion-set: an identity is a cluster of activity decnet linked
// through shared client fingerprints, payloads or C2 endpoints, not a named
// person or group, and STIX 2.1 describes exactly that as an intrusion set
// ("adversarial behaviors and resources with common properties believed to
// be orchestrated by a single organization"); ATT&CK's groups, OpenCTI's
// "Intrusion Set" and MISP's intrusion-set galaxy model such clusters the
// same way, so the identity lands where an analyst looks for it, with its
// techniques on it. Each member's threat-actor stays the actor seen from
// one address (all named DECNET-identity-<id>, which OpenCTI merges by
// name). The link runs intrusion-set attributed-to threat-actor, the
// direction STIX 2.1 defines; the reverse is not in the specification's
// relationship table and OpenCTI refuses it.
func identityObjects(c *collector, in IdentityExport, cat *attack.Catalog, now time.Time) (span, error) {
	ident := in.Identity
	if ident.UUID == "" {
		return span{}, errors.New("stix export: identity has no uuid")
	}
	var wFirst, wLast time.Time
	var spans techniqueSpans
	spans.rollups(in.Rollups)
	actors := make([]Object, 0, len(in.Members))
	for _, m := range in.Members {
		// Every member is named and fingerprinted as this identity, the
		// one it resolves to now, whatever merged identity it was linked
		// under.
		m.Identity = &ident
		objs, err := attackerObjects(m, cat, now)
		if err != nil {
			return span{}, err
		}
		c.add(objs...)
		first, last := window(m.Attacker, now)
		wFirst, wLast = widenWindow(wFirst, wLast, first, last)
		spans.rollups(m.Rollups)
		spans.tags(m.Tags)
		actors = append(actors, relationship("attributed-to", IntrusionSetID(ident.UUID), ThreatActorID(m.Attacker.UUID), first, last))
	}
	first, last := groupWindow(ident.FirstSeenAt, ident.LastSeenAt, wFirst, wLast, now)

	setID := IntrusionSetID(ident.UUID)
	total := max(in.MemberTotal, int64(len(in.Members)))
	o := sdo("intrusion-set", setID, first, last)
	o["name"] = "DECNET-identity-" + short(ident.UUID)
	o["description"] = fmt.Sprintf("Activity DECNET's identity clusterer attributes to one actor through shared client "+
		"fingerprints, payloads or C2 endpoints: %d attacker addresses, %d in this export", total, len(in.Members))
	o["first_seen"] = stixTime(first)
	o["last_seen"] = stixTime(last)
	setConfidence(o, ident.Confidence)
	o["x_decnet_identity_uuid"] = ident.UUID
	o["x_decnet_attackers_total"] = total
	o["x_decnet_attackers_exported"] = len(in.Members)
	if ext := fingerprintProperties(AttackerExport{Identity: &ident}); ext != nil {
		c.add(fingerprintExtension())
		o["extensions"] = map[string]any{FingerprintExtensionID: ext}
	}
	c.add(o)
	uses, _ := spans.uses(setID, cat, first, last)
	c.add(uses...)
	c.add(actors...)
	return span{first: first, last: last}, nil
}

// relationship is a relationship object whose id derives from its type and
// ends, so re-exports carry the same one.
func relationship(typ, source, target string, first, last time.Time) Object {
	o := sdo("relationship", "relationship--"+id5(typ+":"+source+"|"+target).String(), first, last)
	o["relationship_type"] = typ
	o["source_ref"] = source
	o["target_ref"] = target
	return o
}

// widenWindow stretches [first, last] to cover [f, l]; zero bounds are
// unset.
func widenWindow(first, last, f, l time.Time) (time.Time, time.Time) {
	if !f.IsZero() && (first.IsZero() || f.Before(first)) {
		first = f
	}
	if l.After(last) {
		last = l
	}
	return first, last
}

// groupWindow is the window of an identity or campaign: the stored one,
// else the one its members span, else now; last is never before first.
func groupWindow(storedFirst, storedLast, membersFirst, membersLast, now time.Time) (first, last time.Time) {
	first = orDefault(storedFirst, orDefault(membersFirst, now)).UTC()
	last = orDefault(storedLast, orDefault(membersLast, now)).UTC()
	if last.Before(first) {
		last = first
	}
	return first, last
}

// setConfidence sets STIX's 0–100 confidence from a clusterer's 0–1 one.
func setConfidence(o Object, c *float64) {
	if c != nil {
		o["confidence"] = int(min(max(*c, 0), 1)*100 + 0.5)
	}
}

// MISPIdentityEvent is one identity's MISP event: every exported member's
// attributes (deduplicated by type and value), the identity's fingerprints
// and one ATT&CK galaxy tag per technique of the identity or a member.
// Its uuid derives from the identity, so a re-export updates the event.
func MISPIdentityEvent(in IdentityExport, cat *attack.Catalog, now time.Time) MISPEventDoc {
	ident := in.Identity
	b := newMISPBuilder(id5("misp-event:identity:"+ident.UUID).String(),
		fmt.Sprintf("DECNET honeypot: identity %s (%s)", short(ident.UUID), memberCount(len(in.Members), in.MemberTotal, "attacker address", "attacker addresses")))
	b.identity(in, now)
	return b.finish(cat, now)
}

// MISPCampaignEvent is one campaign's MISP event: the attributes and
// techniques of every exported identity, as MISPIdentityEvent builds them,
// plus the campaign's own techniques. MISP models an incident or campaign
// as one event, so analysts correlate one event rather than one per
// identity.
func MISPCampaignEvent(in CampaignExport, cat *attack.Catalog, now time.Time) MISPEventDoc {
	cm := in.Campaign
	b := newMISPBuilder(id5("misp-event:campaign:"+cm.UUID).String(),
		fmt.Sprintf("DECNET honeypot: campaign %s (%s)", short(cm.UUID), memberCount(len(in.Identities), in.IdentityTotal, "identity", "identities")))
	for _, id := range in.Identities {
		b.identity(id, now)
	}
	b.rollups(in.Rollups)
	b.stored(cm.FirstSeenAt, cm.LastSeenAt)
	return b.finish(cat, now)
}

// identity adds an identity's members, fingerprints and techniques.
func (b *mispBuilder) identity(in IdentityExport, now time.Time) {
	ident := in.Identity
	for _, m := range in.Members {
		m.Identity = &ident
		b.attacker(m, now)
	}
	b.stored(ident.FirstSeenAt, ident.LastSeenAt)
	b.identityHashes(ident, orDefault(ident.LastSeenAt, orDefault(b.last, now)))
	b.rollups(in.Rollups)
}

// stored widens the event to a group's stored window, where it is set.
func (b *mispBuilder) stored(first, last time.Time) {
	for _, t := range []time.Time{first, last} {
		if !t.IsZero() {
			b.widen(t.UTC(), t.UTC())
		}
	}
}

// memberCount says how many members an event holds: "3 identities" or
// "500 of 812 attacker addresses" when the caller capped the export.
func memberCount(exported int, total int64, one, many string) string {
	total = max(total, int64(exported))
	noun := many
	if total == 1 {
		noun = one
	}
	if int64(exported) < total {
		return fmt.Sprintf("%d of %d %s", exported, total, noun)
	}
	return fmt.Sprintf("%d %s", total, noun)
}
