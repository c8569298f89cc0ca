package bus

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// stdEnvelope is what json.Marshal writes for the envelope of ev.
func stdEnvelope(t testing.TB, topic string, ts float64, ev *model.Event) ([]byte, error) {
	t.Helper()
	return json.Marshal(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: topic, Type: ev.EventType, TS: ts, Payload: ev})
}

func TestEventEnvelopeEncodingMatchesEncodingJSON(t *testing.T) {
	base := mkEvent(3)
	cases := map[string]func(*model.Event){
		"plain": func(*model.Event) {},
		"every optional field": func(e *model.Event) {
			e.SrcPort, e.DstIP, e.DstPort, e.SessionID, e.Msg, e.Raw = 51234, "10.0.0.5", 80, "s-1", "hello", "<134>1 raw"
		},
		"empty non-nil fields": func(e *model.Event) { e.Fields = map[string]string{} },
		"html, controls, U+2028, bad UTF-8": func(e *model.Event) {
			e.Fields = map[string]string{"b<>&": "x\u2028\x00\n\"\\", "a": "\xff\xfe", "": "é"}
			e.Msg = "<script>&amp;"
		},
		"local zone": func(e *model.Event) { e.TS = e.TS.In(time.FixedZone("x", -(3*3600 + 30*60))) },
		"zero time":  func(e *model.Event) { e.TS = time.Time{} },
		"negative port": func(e *model.Event) {
			e.SrcPort = -1
		},
	}
	for name, mod := range cases {
		t.Run(name, func(t *testing.T) {
			ev := base
			ev.Fields = map[string]string{"n": "3", "username": "root"}
			mod(&ev)
			for _, ts := range []float64{1.7e9 + 0.123456, 0, 1e-7, 1e21, -5, 1234567890.5} {
				want, err := stdEnvelope(t, "events.decky-01.ssh", ts, &ev)
				if err != nil {
					t.Fatal(err)
				}
				got, err := marshalEventEnvelope("events.decky-01.ssh", ts, &ev)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("ts %v:\n got %s (%v)\nwant %s", ts, got, err, want)
				}
			}
		})
	}
}

func TestEventEnvelopeEncodingFailsWhereEncodingJSONDoes(t *testing.T) {
	ev := mkEvent(1)
	for name, mod := range map[string]func(*model.Event) (float64, bool){
		"year 10000": func(e *model.Event) (float64, bool) {
			e.TS = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
			return 1, true
		},
		"zone of seconds": func(e *model.Event) (float64, bool) { e.TS = e.TS.In(time.FixedZone("s", 30)); return 1, false },
		"NaN ts":          func(*model.Event) (float64, bool) { return math.NaN(), true },
	} {
		t.Run(name, func(t *testing.T) {
			e := ev
			ts, mustFail := mod(&e)
			want, werr := stdEnvelope(t, "events.a.b", ts, &e)
			got, gerr := marshalEventEnvelope("events.a.b", ts, &e)
			if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("got %s, %v; encoding/json %s, %v", got, gerr, want, werr)
			}
			if mustFail && gerr == nil {
				t.Fatal("expected an error")
			}
		})
	}
}

func FuzzAppendEventEnvelope(f *testing.F) {
	f.Add("id-1", "login", "1.2.3.4", "k", "v<&>\u2028", "msg", int64(1_700_000_000_123456789), 22, 1.7e9)
	f.Add("", "", "", "", "\xff", "", int64(0), 0, 0.0)
	f.Fuzz(func(t *testing.T, id, typ, src, k, v, msg string, nanos int64, port int, ts float64) {
		ev := model.Event{ID: id, TS: time.Unix(0, nanos).UTC(), Decky: "d", Service: "s", EventType: typ,
			SrcIP: src, SrcPort: port, Fields: map[string]string{k: v, "z": k}, Msg: msg}
		want, werr := stdEnvelope(t, "events.d.s", ts, &ev)
		got, gerr := marshalEventEnvelope("events.d.s", ts, &ev)
		if (werr != nil) != (gerr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("got %s, %v\nwant %s, %v", got, gerr, want, werr)
		}
	})
}
