package model

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestNewEventIDIsAUniqueTimeOrderedUUIDv7(t *testing.T) {
	seen := make(map[string]bool, 100_000)
	before := time.Now().UnixMilli()
	prev := ""
	for i := range 100_000 {
		id := NewEventID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d variant %v err %v", id, u.Version(), u.Variant(), err)
		}
		if seen[id] {
			t.Fatalf("id %s repeated after %d", id, i)
		}
		seen[id] = true
		// Ids of different milliseconds sort by time.
		if prev != "" && id[:13] < prev[:13] {
			t.Fatalf("%s sorts before the earlier %s", id, prev)
		}
		prev = id
	}
	first, _ := uuid.Parse(prev)
	sec, nsec := first.Time().UnixTime()
	if ms := sec*1000 + nsec/1e6; ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("embedded time %d ms not within the test's run", ms)
	}
}

func BenchmarkNewEventID(b *testing.B) {
	b.Run("model", func(b *testing.B) {
		for b.Loop() {
			_ = NewEventID()
		}
	})
	b.Run("uuid.NewV7", func(b *testing.B) {
		for b.Loop() {
			u, _ := uuid.NewV7()
			_ = u.String()
		}
	})
}
