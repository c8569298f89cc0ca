package webhook

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/decnet/decnet/internal/bus"
)

func mustUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
}

// stdEncode is encoding/json's output for v with HTML escaping off.
func stdEncode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func TestBodyDeterministic(t *testing.T) {
	payloads := []string{
		`{"b":1,"a":{"y":[1,{"q":2,"p":1}],"x":"<&>"},"c":null}`,
		`{ "c" : null , "a" : { "x" : "<&>" , "y" : [ 1 , { "p" : 1 , "q" : 2 } ] } , "b" : 1 }`,
		"{\n\t\"a\": {\"y\": [1, {\"q\": 2, \"p\": 1}], \"x\": \"\\u003c\\u0026\\u003e\"},\n\t\"c\": null, \"b\": 1}",
	}
	const want = `{"id":"e1","payload":{"a":{"x":"<&>","y":[1,{"p":1,"q":2}]},"b":1,"c":null},"topic":"attacker.scored","ts":"2023-11-14T22:13:20.000001+00:00","type":"scored","v":1}`
	for _, p := range payloads {
		env := bus.Envelope{ID: "e1", Topic: "attacker.scored", Type: "scored", TS: 1700000000.000001, Payload: json.RawMessage(p)}
		got, err := Body(env)
		if err != nil {
			t.Fatalf("Body(%s): %v", p, err)
		}
		if string(got) != want {
			t.Errorf("Body(%s)\n got %s\nwant %s", p, got, want)
		}
	}
	// Go maps iterate in random order; many encodes of one map must agree.
	m := map[string]any{}
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"} {
		m[k] = map[string]any{"z": k, "a": []any{k, 1.5}}
	}
	first, err := AppendCanonical(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		again, _ := AppendCanonical(nil, m)
		if !bytes.Equal(first, again) {
			t.Fatalf("map encodings differ:\n%s\n%s", first, again)
		}
	}
}

func TestBodyMissingPayload(t *testing.T) {
	for _, p := range []json.RawMessage{nil, json.RawMessage("null")} {
		got, err := Body(bus.Envelope{ID: "x", Topic: "t", TS: 0, Payload: p})
		if err != nil {
			t.Fatal(err)
		}
		const want = `{"id":"x","payload":{},"topic":"t","ts":"1970-01-01T00:00:00.000000+00:00","type":"","v":1}`
		if string(got) != want {
			t.Errorf("got %s want %s", got, want)
		}
	}
}

func TestCanonicalMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, "", "a\"b\\c\n\u2028\x01<>&é", 0.0, -0.0, 1.0, 1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125,
		math.MaxFloat64, math.SmallestNonzeroFloat64, -2.5e-10,
		[]any{}, map[string]any{}, []any{1.0, "x", nil, map[string]any{"b": 1.0, "a": false}},
		map[string]any{"é": 1.0, "Z": 2.0, "a": 3.0, "": 4.0, "\u2028": 5.0},
		struct {
			B int    `json:"b"`
			A string `json:"a"`
		}{1, "<x>"},
		42, int64(-7),
	}
	for _, v := range values {
		got, err := AppendCanonical(nil, v)
		if err != nil {
			t.Fatalf("AppendCanonical(%#v): %v", v, err)
		}
		want, _ := stdEncode(v)
		if !bytes.Equal(got, want) {
			// structs keep field order in encoding/json; compare re-decoded.
			if _, isStruct := v.(struct {
				B int    `json:"b"`
				A string `json:"a"`
			}); isStruct {
				if string(got) != `{"a":"<x>","b":1}` {
					t.Errorf("struct: got %s", got)
				}
				continue
			}
			t.Errorf("AppendCanonical(%#v) = %s, encoding/json %s", v, got, want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("01"), json.Number("1 "), json.Number("x")} {
		if _, err := AppendCanonical(nil, bad); err == nil {
			t.Errorf("AppendCanonical(%#v) succeeded", bad)
		}
	}
	for _, bad := range []string{"", "{", `{"a":1} x`, `{"a":1}{}`, "nul"} {
		if _, err := Canonical([]byte(bad)); err == nil {
			t.Errorf("Canonical(%q) succeeded", bad)
		}
	}
	// Numbers keep their literal: no float rounding of large integers.
	got, err := Canonical([]byte(`{"n":12345678901234567890123,"f":1.10}`))
	if err != nil || string(got) != `{"f":1.10,"n":12345678901234567890123}` {
		t.Errorf("Canonical numbers = %s, %v", got, err)
	}
}

// FuzzCanonical: for any valid JSON, Canonical equals encoding/json's
// sorted, unescaped encoding of the same decoded value, is valid JSON, and
// is a fixed point. The float path is checked against encoding/json too.
func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		`{}`, `[]`, `null`, `"x"`, `0`, `-1.5e-7`, `{"b":1,"a":[true,false,null]}`,
		`{"a":"<script>&amp;\u2028\ud800"}`, `{"a":{"a":{"a":1e400}}}`, `{"dup":1,"dup":2}`,
		`[1e21,1e20,0.000001,0.0000001,-0]`, "\"\xff\xfe\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 || !json.Valid(data) {
			if _, err := Canonical(data); err == nil && !json.Valid(data) {
				t.Fatalf("Canonical accepted invalid JSON %q", data)
			}
			return
		}
		got, err := Canonical(data)
		if err != nil {
			t.Fatalf("Canonical(%q): %v", data, err)
		}
		if !json.Valid(got) {
			t.Fatalf("Canonical(%q) = %q, invalid JSON", data, got)
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		want, err := stdEncode(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Canonical(%q)\n got %q\nwant %q", data, got, want)
		}
		again, err := Canonical(got)
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("not a fixed point: %q → %q (%v)", got, again, err)
		}
		var fv any
		if json.Unmarshal(data, &fv) == nil {
			gf, err1 := AppendCanonical(nil, fv)
			wf, err2 := stdEncode(fv)
			if (err1 == nil) != (err2 == nil) || !bytes.Equal(gf, wf) {
				t.Fatalf("float path for %q: %q (%v) vs %q (%v)", data, gf, err1, wf, err2)
			}
		}
	})
}
