package bus

import (
	"bytes"
	"encoding/json"
	"testing"
)

// checkEnvelopeMatchesJSON asserts that marshalEnvelope writes exactly what
// json.Marshal writes for the same envelope, so peers see no difference.
func checkEnvelopeMatchesJSON(t *testing.T, typ string, ts float64, payload any) {
	t.Helper()
	raw, err := marshalPayload(payload)
	if err != nil {
		return
	}
	env := Envelope{V: EnvelopeVersion, ID: "0123abcd", Topic: "credential.captured", Type: typ, TS: ts, Payload: raw}
	got, gerr := marshalEnvelope(env)
	want, werr := json.Marshal(env)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("errors differ: marshalEnvelope %v, json.Marshal %v", gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("marshalEnvelope(%q, %v, %v)\n got %s\nwant %s", typ, ts, payload, got, want)
	}
}

func TestMarshalEnvelopeMatchesEncodingJSON(t *testing.T) {
	for _, typ := range []string{"", "captured", `q"uote\back`, "<b>&amp;</b>", "ctl\x00\x01\x08\x0c\n\r\t\x1f\x7f",
		"bad utf8 \xff\xfe end", "line\u2028para\u2029", "héllo wörld ✓ 😀"} {
		checkEnvelopeMatchesJSON(t, typ, 1.7849e9+0.123456, map[string]string{"k": typ})
	}
	for _, ts := range []float64{0, 1, 1e-7, 1e21, -3.5, 1785000000.000001} {
		checkEnvelopeMatchesJSON(t, "t", ts, nil)
	}
	for _, raw := range []string{`{ "a" : [1, 2] , "b":"<x>&" }`, `null`, `"s\u2028"`, `{}`} {
		checkEnvelopeMatchesJSON(t, "t", 1, json.RawMessage(raw))
	}
	checkEnvelopeMatchesJSON(t, "t", 1, struct {
		A string `json:"a"`
		N int    `json:"n"`
	}{"<&>", 3})
}

func FuzzMarshalEnvelope(f *testing.F) {
	f.Add("captured", 1785000000.5, `{"x":"y"}`)
	f.Add("a<b", 0.0, ` [1, "\u2028"] `)
	f.Fuzz(func(t *testing.T, typ string, ts float64, raw string) {
		checkEnvelopeMatchesJSON(t, typ, ts, map[string]string{"v": typ})
		checkEnvelopeMatchesJSON(t, typ, ts, json.RawMessage(raw))
	})
}
