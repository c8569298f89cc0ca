package synth

import "testing"

func TestAuthEventsCountsCredentialCarryingEvents(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 4, 5, 100, 100_000} {
		got := 0
		for i := range n {
			if Event(i).Fields["secret_b64"] != "" {
				got++
			}
		}
		if got != AuthEvents(n) {
			t.Errorf("n=%d: %d credential events, AuthEvents says %d", n, got, AuthEvents(n))
		}
	}
}

func TestEventIDsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 10_000 {
		id := Event(i).ID
		if seen[id] {
			t.Fatalf("duplicate id %s at %d", id, i)
		}
		seen[id] = true
	}
}
