package campaign

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/ttp/attack"
)

func TestUKCPhasesAndStages(t *testing.T) {
	if len(Phases) != 19 {
		t.Fatalf("%d phases, want 19", len(Phases))
	}
	want := map[Stage][]Phase{
		StageIn: {Reconnaissance, ResourceDevelopment, Weaponization, Delivery, SocialEngineering, Exploitation,
			Persistence, DefenseEvasion, CommandAndControl},
		StageThrough: {Pivoting, Discovery, PrivilegeEscalation, Execution, CredentialAccess, LateralMovement},
		StageOut:     {Collection, Exfiltration, Impact, Objectives},
	}
	got := map[Stage][]Phase{}
	for _, p := range Phases {
		s, ok := StageOf(p)
		if !ok {
			t.Fatalf("StageOf(%s) unknown", p)
		}
		got[s] = append(got[s], p)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stages (-want +got):\n%s", diff)
	}
	if _, ok := StageOf("nope"); ok {
		t.Error("StageOf(unknown) ok")
	}
	wantObservable := append([]Phase{Delivery, Exploitation, Persistence, DefenseEvasion, CommandAndControl},
		append(want[StageThrough], want[StageOut]...)...)
	if diff := cmp.Diff(wantObservable, ObservablePhases); diff != "" {
		t.Errorf("observable phases (-want +got):\n%s", diff)
	}
}

func TestTacticMapAndInverse(t *testing.T) {
	want := map[string]Phase{
		"TA0043": Reconnaissance, "TA0042": ResourceDevelopment, "TA0001": Delivery, "TA0002": Execution,
		"TA0003": Persistence, "TA0004": PrivilegeEscalation, "TA0005": DefenseEvasion, "TA0006": CredentialAccess,
		"TA0007": Discovery, "TA0008": LateralMovement, "TA0009": Collection, "TA0011": CommandAndControl,
		"TA0010": Exfiltration, "TA0040": Impact,
		"TA0100": Collection, "TA0102": Discovery, "TA0105": Impact, "TA0106": Impact,
	}
	if diff := cmp.Diff(want, TacticToPhase); diff != "" {
		t.Errorf("tactic map (-want +got):\n%s", diff)
	}
	if _, ok := PhaseOfTactic("TA9999"); ok {
		t.Error("unknown tactic mapped")
	}
	if p, ok := PhaseOfTactic(" ta0011 "); !ok || p != CommandAndControl {
		t.Errorf("PhaseOfTactic(ta0011) = %v, %v", p, ok)
	}
	// Pinned by the original's test_ukc_bridge.py: enterprise wins over
	// ICS, and five phases have no tactic.
	for p, tactic := range map[Phase]string{Reconnaissance: "TA0043", ResourceDevelopment: "TA0042",
		Collection: "TA0009", Discovery: "TA0007", Impact: "TA0040", Weaponization: "", SocialEngineering: "",
		Exploitation: "", Pivoting: "", Objectives: ""} {
		if got := TacticOfPhase(p); got != tactic {
			t.Errorf("TacticOfPhase(%s) = %q, want %q", p, got, tactic)
		}
	}
}

// fakeCatalog answers TacticExists from a set.
type fakeCatalog map[string]bool

func (c fakeCatalog) TacticExists(id string) bool { return c[id] }

func TestValidateTacticsAgainstTheCatalogue(t *testing.T) {
	if err := ValidateTactics(attack.Builtin().TacticExists); err != nil {
		t.Fatalf("built-in catalogue: %v", err)
	}
	// An enterprise bundle has no ICS tactics: they are exempt.
	enterprise := fakeCatalog{}
	for _, e := range tacticMap {
		if !e.ICS {
			enterprise[e.Tactic] = true
		}
	}
	if err := ValidateTactics(enterprise.TacticExists); err != nil {
		t.Fatalf("enterprise-only catalogue: %v", err)
	}
	delete(enterprise, "TA0011")
	err := ValidateTactics(enterprise.TacticExists)
	if err == nil || !strings.Contains(err.Error(), "TA0011") {
		t.Fatalf("catalogue without TA0011: %v, want an error naming it", err)
	}
}
