package services

import (
	"fmt"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/model"
)

// sinkEvents keeps what an Emitter publishes.
type sinkEvents struct{ evs []model.Event }

func (s *sinkEvents) PublishEventAsync(ev model.Event) error {
	s.evs = append(s.evs, ev)
	return nil
}

func TestEmitBoundsHostileFields(t *testing.T) {
	sink := &sinkEvents{}
	e := NewEmitter("http", EmitterOptions{Publisher: sink, Decky: "d"})
	many := map[string]string{}
	for i := range maxFields + 10 {
		many[fmt.Sprint("k", i)] = "v"
	}
	long := map[string]string{strings.Repeat("k", 100): strings.Repeat("é", maxFieldLen)}
	plain := map[string]string{"path": "/x"}
	e.Emit(model.Event{EventType: "request", Fields: many})
	e.Emit(model.Event{EventType: "request", Fields: long})
	e.Emit(model.Event{EventType: "request", Fields: plain})
	evs := sink.evs
	if len(evs) != 3 {
		t.Fatalf("%d events", len(evs))
	}
	if n := len(evs[0].Fields); n != maxFields {
		t.Errorf("%d fields kept, want %d", n, maxFields)
	}
	for k, v := range evs[1].Fields {
		if len(k) > 64 || len(v) > maxFieldLen || !strings.HasPrefix(strings.Repeat("é", maxFieldLen), v) {
			t.Errorf("a %d-byte key with a %d-byte value: not clipped, or cut inside a rune", len(k), len(v))
		}
	}
	if evs[2].Fields["path"] != "/x" || evs[2].ID == "" {
		t.Errorf("plain event %+v", evs[2])
	}
}
