package campaign

import (
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/decnet/decnet/internal/store"
)

// Window is one session window of an identity: the span of one member
// attacker's activity.
type Window struct {
	Start, End time.Time
}

// Features is the campaign clusterer's view of one identity (the
// original's IdentityFeatures): what the edge weights compare, plus the
// links and rollup lists Reconcile needs. Lists are sorted and distinct.
type Features struct {
	// ID is the identity uuid.
	ID string
	// Alias is set on a soft-merged identity: the live identity it
	// resolves to. Its own features are empty; Cluster puts it with its
	// winner so that its campaign follows.
	Alias string
	// CampaignID is the stored campaign_id, "" when unassigned.
	CampaignID string
	// FirstSeen and LastSeen span the identity's activity (rollup only).
	FirstSeen, LastSeen time.Time

	// ASNCohort are the origin ASes of its attackers (decimal), and
	// ToolingCohort the profiler's tool guesses.
	ASNCohort, ToolingCohort []string
	// PayloadHashes are SHA-256 digests of files it left; C2Endpoints the
	// hosts its downloads reached for.
	PayloadHashes, C2Endpoints []string
	// KDSimhash is the keystroke digraph simhash centroid; HasKD says
	// whether the identity has one.
	KDSimhash uint64
	HasKD     bool
	// DeckySet are the deckies it touched.
	DeckySet []string
	// CommandsByPhaseOnDecky is filled by synthetic fixtures only; no edge
	// reads it (the original's similarity surface kept it for analysis).
	CommandsByPhaseOnDecky map[string]map[Phase][]string
	// SessionWindows are sorted by start.
	SessionWindows []Window
	// FirstPhase/LastPhase and FirstSeenOn/LastSeenOn are, per decky, the
	// phase and time of its first and last mapped tag there: the hand-off
	// maps.
	FirstPhase, LastPhase   map[string]Phase
	FirstSeenOn, LastSeenOn map[string]time.Time

	// JA3, HASSH and TLSCertSHA256 are only rolled up onto the campaign.
	JA3, HASSH, TLSCertSHA256 []string

	// infra and cohort are the tagged unions the weights compare, built
	// by Prepare.
	infra, cohort []string
}

// Prepare sorts and dedupes f's lists and builds the tagged unions the
// weights compare. FromIdentityRow calls it; fixtures building Features by
// hand call it before clustering.
func (f *Features) Prepare() {
	for _, l := range []*[]string{&f.ASNCohort, &f.ToolingCohort, &f.PayloadHashes, &f.C2Endpoints, &f.DeckySet,
		&f.JA3, &f.HASSH, &f.TLSCertSHA256} {
		*l = distinct(*l)
	}
	slices.SortFunc(f.SessionWindows, func(a, b Window) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	// Payloads and endpoints share one key space through a prefix no
	// value of the other kind can produce.
	f.infra = f.infra[:0]
	for _, v := range f.PayloadHashes {
		f.infra = append(f.infra, "p\x00"+v)
	}
	for _, v := range f.C2Endpoints {
		f.infra = append(f.infra, "c\x00"+v)
	}
	f.infra = distinct(f.infra)
	f.cohort = f.cohort[:0]
	for _, v := range f.ASNCohort {
		f.cohort = append(f.cohort, "asn\x00"+v)
	}
	for _, v := range f.ToolingCohort {
		f.cohort = append(f.cohort, "tool\x00"+v)
	}
	for _, v := range f.DeckySet {
		f.cohort = append(f.cohort, "decky\x00"+v)
	}
	f.cohort = distinct(f.cohort)
}

// FromIdentityRow projects a stored identity, the attackers linked to it
// (those of identities merged into it included) and its decky phase tags
// (oldest first, as list_ttp_decky_phases returns them) onto Features —
// the production adapter. Unlike the original, whose adapter left every
// feature but the keystroke centroid empty, it fills:
//   - the hand-off maps from the tags: tactic → UKC phase (unmapped
//     tactics skipped), the first mapped tag per decky giving
//     FirstPhase/FirstSeenOn and the last LastPhase/LastSeenOn;
//   - payload hashes and C2 endpoints from the identity's rollup (the
//     digests of captured files and the hosts of download URLs);
//   - session windows from each attacker's first/last seen;
//   - ASN and tooling cohorts from the attackers' ASNs and tool guesses;
//   - the decky set from the tags and the attackers' deckies.
func FromIdentityRow(id store.CampaignIdentity, attackers []store.CampaignAttacker, phases []store.DeckyPhase) Features {
	f := Features{ID: id.UUID, CampaignID: id.CampaignID, FirstSeen: id.FirstSeenAt, LastSeen: id.LastSeenAt,
		PayloadHashes: slices.Clone(id.PayloadHashes), C2Endpoints: slices.Clone(id.C2Endpoints),
		JA3: slices.Clone(id.JA3Hashes), HASSH: slices.Clone(id.HASSHHashes), TLSCertSHA256: slices.Clone(id.TLSCertSHA256)}
	f.KDSimhash, f.HasKD = parseSimhash(id.KDDigraphSimhash)
	for _, a := range attackers {
		if a.ASN != 0 {
			f.ASNCohort = append(f.ASNCohort, strconv.FormatInt(a.ASN, 10))
		}
		f.ToolingCohort = append(f.ToolingCohort, a.ToolGuesses...)
		f.DeckySet = append(f.DeckySet, a.Deckies...)
		if !a.FirstSeen.IsZero() && !a.LastSeen.IsZero() && !a.LastSeen.Before(a.FirstSeen) {
			f.SessionWindows = append(f.SessionWindows, Window{Start: a.FirstSeen, End: a.LastSeen})
		}
	}
	f.addPhases(phases)
	f.Prepare()
	return f
}

// addPhases fills the hand-off maps from tags in time order.
func (f *Features) addPhases(phases []store.DeckyPhase) {
	for _, p := range phases {
		phase, ok := PhaseOfTactic(p.Tactic)
		if !ok || p.DeckyID == "" || p.CreatedAt.IsZero() {
			continue
		}
		if f.FirstPhase == nil {
			f.FirstPhase, f.LastPhase = map[string]Phase{}, map[string]Phase{}
			f.FirstSeenOn, f.LastSeenOn = map[string]time.Time{}, map[string]time.Time{}
		}
		if _, seen := f.FirstPhase[p.DeckyID]; !seen {
			f.FirstPhase[p.DeckyID], f.FirstSeenOn[p.DeckyID] = phase, p.CreatedAt
			f.DeckySet = append(f.DeckySet, p.DeckyID)
		}
		f.LastPhase[p.DeckyID], f.LastSeenOn[p.DeckyID] = phase, p.CreatedAt
	}
}

// parseSimhash reads a keystroke centroid stored as 8 big-endian bytes or
// 16 hex characters.
func parseSimhash(b []byte) (uint64, bool) {
	switch len(b) {
	case 8:
		return binary.BigEndian.Uint64(b), true
	case 16:
		var raw [8]byte
		if _, err := hex.Decode(raw[:], b); err == nil {
			return binary.BigEndian.Uint64(raw[:]), true
		}
	}
	return 0, false
}

// distinct sorts v in place and drops duplicates and empty strings.
func distinct(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	slices.Sort(v)
	v = slices.Compact(v)
	if v[0] == "" {
		v = v[1:]
	}
	if len(v) == 0 {
		return nil
	}
	return v
}
