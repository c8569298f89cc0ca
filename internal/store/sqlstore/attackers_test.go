package sqlstore

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

func sampleAttacker(ip string) model.Attacker {
	return model.Attacker{
		IP: ip, IdentityID: "", FirstSeen: t0, LastSeen: t0.Add(time.Hour), EventCount: 42,
		ServiceCount: 2, DeckyCount: 2, Services: []string{"ssh", "http"}, Deckies: []string{"d1", "d3"},
		TraversalPath: "d1 → d3", IsTraversal: true, BountyCount: 3, CredentialCount: 7,
		Fingerprints: []model.Fingerprint{{Type: "ja3", Value: "abc", Service: "https", Detail: json.RawMessage(`{"tls":"1.3"}`)}},
		Commands:     []model.CommandEntry{{Service: "ssh", Decky: "d1", Command: "uname -a", Timestamp: t0.Truncate(time.Second)}},
		CountryCode:  "NL", CountrySource: "maxmind", ASN: 64500, ASName: "EXAMPLE-AS", BGPPrefix: "203.0.113.0/24", ASNSource: "maxmind", UpdatedAt: t0.Add(2 * time.Hour),
	}
}

// stored is a as the store returns it: uuid assigned, times at microseconds.
func stored(a model.Attacker, id string) model.Attacker {
	a.UUID = id
	a.FirstSeen = a.FirstSeen.Truncate(time.Microsecond)
	a.LastSeen = a.LastSeen.Truncate(time.Microsecond)
	a.UpdatedAt = a.UpdatedAt.Truncate(time.Microsecond)
	return a
}

func TestUpsertAttackerAssignsAUUIDOnceAndReplacesTheRest(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		a := sampleAttacker("203.0.113.9")
		a.UUID = "caller-supplied-is-ignored"
		first, err := s.UpsertAttacker(t.Context(), a)
		if err != nil {
			t.Fatal(err)
		}
		if first.UUID == "" || first.UUID == a.UUID {
			t.Fatalf("new row uuid = %q; want a fresh uuid", first.UUID)
		}
		if diff := cmp.Diff(stored(a, first.UUID), first); diff != "" {
			t.Errorf("returned row (-want +got):\n%s", diff)
		}

		b := sampleAttacker("203.0.113.9")
		b.EventCount, b.Services, b.Commands, b.ASN, b.CountryCode = 43, []string{"ssh"}, nil, 0, ""
		second, err := s.UpsertAttacker(t.Context(), b)
		if err != nil {
			t.Fatal(err)
		}
		want := stored(b, first.UUID)
		want.Commands = []model.CommandEntry{}
		if diff := cmp.Diff(want, second); diff != "" {
			t.Errorf("row after second upsert (-want +got):\n%s", diff)
		}
		byUUID, err := s.GetAttackerByUUID(t.Context(), first.UUID)
		if err != nil || !cmp.Equal(byUUID, second) {
			t.Errorf("GetAttackerByUUID = %+v, %v; want the upserted row", byUUID, err)
		}
		id, err := s.GetAttackerUUIDByIP(t.Context(), "203.0.113.9")
		if err != nil || id != first.UUID {
			t.Errorf("GetAttackerUUIDByIP = %q, %v; want %q", id, err, first.UUID)
		}
	})
}

func TestAttackerLookupsOfUnknownKeysAreNotFound(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		if _, err := s.GetAttackerByUUID(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAttackerByUUID(unknown) error = %v; want ErrNotFound", err)
		}
		if _, err := s.GetAttackerUUIDByIP(t.Context(), "192.0.2.99"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAttackerUUIDByIP(unknown) error = %v; want ErrNotFound", err)
		}
		if _, err := s.GetAttackerBehavior(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAttackerBehavior(unknown) error = %v; want ErrNotFound", err)
		}
		err := s.UpsertAttackerBehavior(t.Context(), model.AttackerBehavior{AttackerUUID: "nope"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpsertAttackerBehavior(unknown attacker) error = %v; want ErrNotFound", err)
		}
	})
}

func TestAttackerBehaviorRoundTripsAndIsReplaced(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		a, err := s.UpsertAttacker(t.Context(), sampleAttacker("203.0.113.10"))
		if err != nil {
			t.Fatal(err)
		}
		hop, interval, jitter := 7, 60.5, 12.25
		b := model.AttackerBehavior{
			AttackerUUID: a.UUID, OSGuess: "linux", HopDistance: &hop, TCPFingerprint: json.RawMessage(`{"window":64240}`),
			RetransmitCount: 3, BehaviorClass: "beaconing", BeaconIntervalS: &interval, BeaconJitterPct: &jitter,
			ToolGuesses: []string{"cobalt_strike"}, TimingStats: json.RawMessage(`{"mean_iat_s":60.5}`),
			KexOrderRaw: []string{"curve25519-sha256,ecdh-sha2-nistp256"}, SSHClientBanners: []string{"SSH-2.0-Go"},
			InteractedServices: []string{"ssh"}, ScannedServices: []string{"ftp", "http"},
			PhaseSequence: json.RawMessage(`{"recon_end_ts":null}`), UpdatedAt: t0,
		}
		if err := s.UpsertAttackerBehavior(t.Context(), b); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetAttackerBehavior(t.Context(), a.UUID)
		if err != nil {
			t.Fatal(err)
		}
		want := b
		want.UpdatedAt = t0.Truncate(time.Microsecond)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("behaviour (-want +got):\n%s", diff)
		}

		// Replacing with a sparse row clears the optional columns and
		// stores empty documents as {}.
		sparse := model.AttackerBehavior{AttackerUUID: a.UUID, UpdatedAt: t0.Add(time.Minute)}
		if err := s.UpsertAttackerBehavior(t.Context(), sparse); err != nil {
			t.Fatal(err)
		}
		got, err = s.GetAttackerBehavior(t.Context(), a.UUID)
		if err != nil {
			t.Fatal(err)
		}
		want = model.AttackerBehavior{AttackerUUID: a.UUID, TCPFingerprint: json.RawMessage(`{}`),
			ToolGuesses: []string{}, KexOrderRaw: []string{}, SSHClientBanners: []string{},
			InteractedServices: []string{}, ScannedServices: []string{},
			TimingStats: json.RawMessage(`{}`), PhaseSequence: json.RawMessage(`{}`), UpdatedAt: t0.Add(time.Minute).Truncate(time.Microsecond)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("sparse behaviour (-want +got):\n%s", diff)
		}
	})
}

func TestDeletingAnAttackerCascadesToItsBehaviour(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		a, err := s.UpsertAttacker(t.Context(), sampleAttacker("203.0.113.11"))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.UpsertAttackerBehavior(t.Context(), model.AttackerBehavior{AttackerUUID: a.UUID}); err != nil {
			t.Fatal(err)
		}
		// Several statements so the delete likely lands on a pooled
		// connection other than the one that inserted: foreign keys must
		// be on for every connection.
		for range 3 {
			if _, err := s.DB().ExecContext(t.Context(), "DELETE FROM attackers WHERE uuid = ?", a.UUID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.GetAttackerBehavior(t.Context(), a.UUID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("behaviour after deleting its attacker: error = %v; want ErrNotFound", err)
		}
	})
}

func TestUpsertAttackerRejectsAnEmptyIP(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		if _, err := s.UpsertAttacker(t.Context(), model.Attacker{}); err == nil {
			t.Error("UpsertAttacker accepted an attacker without an ip")
		}
	})
}
