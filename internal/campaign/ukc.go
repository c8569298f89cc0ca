// Package campaign groups identities into campaigns: the actors working
// together across a deployment (pipeline.md §5). It holds the Unified Kill
// Chain model (UKC phases, stages and the ATT&CK tactic map), the identity
// features and edge weights, the blocked clustering and the reconciliation
// into a plan — all pure — and the CampaignClusterer worker that wires them
// to the store and the bus, as package clustering does for identities.
package campaign

import (
	"fmt"
	"slices"
	"strings"
)

// Phase is one of the 19 phases of the Unified Kill Chain (Pols 2017).
type Phase string

// The UKC phases in kill-chain order: in, through, out.
const (
	Reconnaissance      Phase = "reconnaissance"
	ResourceDevelopment Phase = "resource_development"
	Weaponization       Phase = "weaponization"
	Delivery            Phase = "delivery"
	SocialEngineering   Phase = "social_engineering"
	Exploitation        Phase = "exploitation"
	Persistence         Phase = "persistence"
	DefenseEvasion      Phase = "defense_evasion"
	CommandAndControl   Phase = "command_and_control"
	Pivoting            Phase = "pivoting"
	Discovery           Phase = "discovery"
	PrivilegeEscalation Phase = "privilege_escalation"
	Execution           Phase = "execution"
	CredentialAccess    Phase = "credential_access"
	LateralMovement     Phase = "lateral_movement"
	Collection          Phase = "collection"
	Exfiltration        Phase = "exfiltration"
	Impact              Phase = "impact"
	Objectives          Phase = "objectives"
)

// Stage is the UKC stage a phase belongs to.
type Stage string

// The three UKC stages.
const (
	StageIn      Stage = "in"
	StageThrough Stage = "through"
	StageOut     Stage = "out"
)

// Phases lists the 19 phases in kill-chain order.
var Phases = []Phase{
	Reconnaissance, ResourceDevelopment, Weaponization, Delivery, SocialEngineering, Exploitation, Persistence,
	DefenseEvasion, CommandAndControl,
	Pivoting, Discovery, PrivilegeEscalation, Execution, CredentialAccess, LateralMovement,
	Collection, Exfiltration, Impact, Objectives,
}

// StageOf returns the stage of p; ok is false for an unknown phase.
func StageOf(p Phase) (s Stage, ok bool) {
	i := slices.Index(Phases, p)
	switch {
	case i < 0:
		return "", false
	case i <= slices.Index(Phases, CommandAndControl):
		return StageIn, true
	case i <= slices.Index(Phases, LateralMovement):
		return StageThrough, true
	}
	return StageOut, true
}

// Observable reports whether a decoy can observe p: delivery onward, so
// not reconnaissance, resource development, weaponization or social
// engineering, which happen away from our hosts.
func Observable(p Phase) bool {
	switch p {
	case Reconnaissance, ResourceDevelopment, Weaponization, SocialEngineering:
		return false
	}
	return slices.Contains(Phases, p)
}

// ObservablePhases lists the observable phases in kill-chain order.
var ObservablePhases = func() []Phase {
	var out []Phase
	for _, p := range Phases {
		if Observable(p) {
			out = append(out, p)
		}
	}
	return out
}()

// tacticMap is ATTACK_TACTIC_TO_UKC in its listed order (ttp.md §6.3):
// enterprise first, then the four ICS tactics; the inverse keeps the first
// tactic listed per phase, so enterprise wins over ICS.
var tacticMap = []struct {
	Tactic string
	Phase  Phase
	ICS    bool
}{
	{"TA0043", Reconnaissance, false},
	{"TA0042", ResourceDevelopment, false},
	{"TA0001", Delivery, false},
	{"TA0002", Execution, false},
	{"TA0003", Persistence, false},
	{"TA0004", PrivilegeEscalation, false},
	{"TA0005", DefenseEvasion, false},
	{"TA0006", CredentialAccess, false},
	{"TA0007", Discovery, false},
	{"TA0008", LateralMovement, false},
	{"TA0009", Collection, false},
	{"TA0011", CommandAndControl, false},
	{"TA0010", Exfiltration, false},
	{"TA0040", Impact, false},
	{"TA0100", Collection, true},
	{"TA0102", Discovery, true},
	{"TA0105", Impact, true},
	{"TA0106", Impact, true},
}

// TacticToPhase maps an ATT&CK tactic id (TA####) to its UKC phase.
var TacticToPhase = func() map[string]Phase {
	m := make(map[string]Phase, len(tacticMap))
	for _, e := range tacticMap {
		m[e.Tactic] = e.Phase
	}
	return m
}()

// PhaseToTactic is the lossy inverse of TacticToPhase: the first tactic
// listed for each phase. Weaponization, social engineering, exploitation,
// pivoting and objectives have none.
var PhaseToTactic = func() map[Phase]string {
	m := map[Phase]string{}
	for _, e := range tacticMap {
		if _, ok := m[e.Phase]; !ok {
			m[e.Phase] = e.Tactic
		}
	}
	return m
}()

// PhaseOfTactic returns the UKC phase of an ATT&CK tactic id; ok is false
// for an unknown tactic, which callers skip.
func PhaseOfTactic(tactic string) (p Phase, ok bool) {
	p, ok = TacticToPhase[strings.ToUpper(strings.TrimSpace(tactic))]
	return p, ok
}

// TacticOfPhase returns the tactic the inverse map keeps for p, "" when
// it has none.
func TacticOfPhase(p Phase) string { return PhaseToTactic[p] }

// ValidateTactics checks every tactic of the map against the loaded ATT&CK
// catalogue (exists is its TacticExists), as the TTP worker checks rule
// tactics: an enterprise id the catalogue lacks is an error naming it. ICS
// ids are exempt, since an enterprise STIX bundle has none of them.
func ValidateTactics(exists func(id string) bool) error {
	var bad []string
	for _, e := range tacticMap {
		if !e.ICS && !exists(e.Tactic) {
			bad = append(bad, e.Tactic)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("campaign: the UKC tactic map names ATT&CK tactics the catalogue lacks: %s",
			strings.Join(bad, ", "))
	}
	return nil
}
