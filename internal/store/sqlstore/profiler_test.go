package sqlstore

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func profileWrite(ip string, events int64, state string, seq uint64) store.ProfileWrite {
	a := sampleAttacker(ip)
	a.EventCount = events
	a.BountyCount, a.CredentialCount = 999, 999 // ignored: the store counts
	return store.ProfileWrite{
		Attacker: a,
		Behavior: model.AttackerBehavior{BehaviorClass: "brute_force", ToolGuesses: []string{"hydra"},
			TimingStats: json.RawMessage(`{"event_count":3}`)},
		State: store.ProfileState{State: []byte(state), LastSeq: seq},
	}
}

func TestSaveProfilesCountsBountiesAndCredentialsAndBackfillsTheirUUID(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		const ip, other = "198.51.100.61", "198.51.100.62"
		r1, r2, r3 := logRec(newID(), t0, ip), logRec(newID(), t0, ip), logRec(newID(), t0, other)
		r1.Credential, r2.Credential, r3.Credential = cred("root", "password", "a"), cred("root", "password", "b"),
			cred("root", "password", "c")
		r1.Bounties = []model.Bounty{bounty(model.BountyFingerprint, `{"fingerprint_type":"ja3","ja3":"x"}`)}
		commit(t, s, r1, r2, r3)

		saved, err := s.SaveProfiles(t.Context(), []store.ProfileWrite{profileWrite(ip, 3, `{"n":1}`, 7)})
		if err != nil {
			t.Fatal(err)
		}
		if len(saved) != 1 || !saved[0].Created || saved[0].UUID == "" || saved[0].IP != ip {
			t.Fatalf("first save = %+v, want one created row for %s", saved, ip)
		}
		if saved[0].BountyCount != 1 || saved[0].CredentialCount != 2 {
			t.Errorf("counts = %d bounties, %d credentials; want 1 and 2 (the other address's not counted)",
				saved[0].BountyCount, saved[0].CredentialCount)
		}
		a, err := s.GetAttackerByUUID(t.Context(), saved[0].UUID)
		if err != nil {
			t.Fatal(err)
		}
		if a.EventCount != 3 || a.BountyCount != 1 || a.CredentialCount != 2 {
			t.Errorf("stored row counts = %d/%d/%d, want 3/1/2", a.EventCount, a.BountyCount, a.CredentialCount)
		}
		b, err := s.GetAttackerBehavior(t.Context(), saved[0].UUID)
		if err != nil || b.BehaviorClass != "brute_force" {
			t.Errorf("behaviour = %+v, %v", b, err)
		}
		for _, c := range allCredentials(t, s) {
			want := ""
			if c.AttackerIP == ip {
				want = saved[0].UUID
			}
			if c.AttackerUUID != want {
				t.Errorf("credential of %s has attacker_uuid %q, want %q", c.AttackerIP, c.AttackerUUID, want)
			}
		}

		again, err := s.SaveProfiles(t.Context(), []store.ProfileWrite{profileWrite(ip, 5, `{"n":2}`, 9)})
		if err != nil {
			t.Fatal(err)
		}
		if again[0].Created || again[0].UUID != saved[0].UUID {
			t.Errorf("second save = %+v, want the same row, not created", again[0])
		}
		states, err := s.LoadProfileStates(t.Context(), []string{ip, other})
		if err != nil {
			t.Fatal(err)
		}
		if len(states) != 1 || string(states[ip].State) != `{"n":2}` || states[ip].LastSeq != 9 {
			t.Errorf("states = %+v, want only %s with the second state and seq 9", states, ip)
		}
	})
}

func TestLoadProfileStatesSpansSeveralINChunks(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		var ws []store.ProfileWrite
		var ips []string
		for i := range profileLoadChunk + 3 {
			ip := "10.61." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250)
			ips = append(ips, ip)
			ws = append(ws, profileWrite(ip, 1, `{}`, uint64(i+1)))
		}
		if _, err := s.SaveProfiles(t.Context(), ws); err != nil {
			t.Fatal(err)
		}
		got, err := s.LoadProfileStates(t.Context(), append(ips, "10.61.99.99"))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(ips) || got[ips[len(ips)-1]].LastSeq != uint64(len(ips)) {
			t.Errorf("loaded %d states (last seq %d), want %d", len(got), got[ips[len(ips)-1]].LastSeq, len(ips))
		}
	})
}

func TestSaveProfilesRefusesAnOversizeState(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		w := profileWrite("198.51.100.63", 1, "", 1)
		w.State.State = make([]byte, maxProfileState+1)
		if _, err := s.SaveProfiles(t.Context(), []store.ProfileWrite{w}); err == nil {
			t.Fatal("oversize state was stored")
		}
	})
}

func TestSaveProfilesKeepsTheIdentityTheClustererSet(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		const ip = "198.51.100.64"
		saved, err := s.SaveProfiles(t.Context(), []store.ProfileWrite{profileWrite(ip, 1, `{}`, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(t.Context(), "UPDATE attackers SET identity_id = ? WHERE uuid = ?",
			"identity-1", saved[0].UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveProfiles(t.Context(), []store.ProfileWrite{profileWrite(ip, 2, `{}`, 2)}); err != nil {
			t.Fatal(err)
		}
		a, err := s.GetAttackerByUUID(t.Context(), saved[0].UUID)
		if err != nil {
			t.Fatal(err)
		}
		if a.IdentityID != "identity-1" || a.EventCount != 2 {
			t.Errorf("after a second flush identity_id = %q, event_count = %d; want the clusterer's identity kept",
				a.IdentityID, a.EventCount)
		}
	})
}
