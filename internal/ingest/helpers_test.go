package ingest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

var testTS = time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)

// event returns a minimal event from 203.0.113.7 on decky-01.
func event(service, eventType string, fields map[string]string) model.Event {
	return model.Event{
		ID:        "01900000-0000-7000-8000-000000000001",
		TS:        testTS,
		Decky:     "decky-01",
		Service:   service,
		EventType: eventType,
		SrcIP:     "198.51.100.23",
		SrcPort:   40000,
		Fields:    fields,
		Msg:       "msg",
	}
}

// bountiesOf returns the bounties of rec keyed "bounty_type/fingerprint_type"
// (or "artifact/<kind>"), decoded for inspection.
func bountiesOf(t *testing.T, rec model.IngestRecord) map[string]model.Bounty {
	t.Helper()
	out := map[string]model.Bounty{}
	for _, b := range rec.Bounties {
		var head struct {
			FingerprintType string `json:"fingerprint_type"`
			Kind            string `json:"kind"`
		}
		if err := json.Unmarshal(b.Payload, &head); err != nil {
			t.Fatalf("payload of %s is not JSON: %v: %s", b.BountyType, err, b.Payload)
		}
		key := b.BountyType
		switch {
		case head.FingerprintType != "":
			key += "/" + head.FingerprintType
		case head.Kind != "":
			key += "/" + head.Kind
		}
		if _, dup := out[key]; dup {
			t.Fatalf("two %s bounties from one event", key)
		}
		out[key] = b
	}
	return out
}

// keys lists the map's keys, sorted.
func keys(m map[string]model.Bounty) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// payloadMap decodes a payload generically, for field-level assertions.
func payloadMap(t *testing.T, b model.Bounty) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b.Payload, &m); err != nil {
		t.Fatalf("payload: %v", err)
	}
	return m
}
