package jsonwrite

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// encodingJSON is what encoding/json writes for s.
func encodingJSON(t testing.TB, s string, escapeHTML bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

var samples = []string{
	"", "plain", `quote " and \ backslash`, "tab\tnew\nline\rcr", "\b\f\x00\x1f\x7f",
	"<script>alert(1)</script> & co", "line\u2028sep\u2029par", "bad \xff utf8 \xc3",
	"emoji 🐝 and ünïcödé", "${jndi:ldap://x}",
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		for _, html := range []bool{true, false} {
			if got, want := AppendString(nil, s, html), encodingJSON(t, s, html); !bytes.Equal(got, want) {
				t.Errorf("AppendString(%q, html=%v) = %s; encoding/json writes %s", s, html, got, want)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range samples {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, html bool) {
		if got, want := AppendString(nil, s, html), encodingJSON(t, s, html); !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q, html=%v) = %s; encoding/json writes %s", s, html, got, want)
		}
	})
}

var floatSamples = []float64{
	0, -0.5, 1, 1.7e9 + 0.123456, 1e-6, 9.99e-7, 1e-7, -2.5e-10, 1e20, 1e21, 123456789e15,
	math.MaxFloat64, math.SmallestNonzeroFloat64,
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range floatSamples {
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendFloat(nil, f); !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s; encoding/json writes %s", f, got, want)
		}
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, x := range floatSamples {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, err := json.Marshal(x)
		if err != nil {
			return // NaN and infinities: callers reject them
		}
		if got := AppendFloat(nil, x); !bytes.Equal(got, want) {
			t.Fatalf("AppendFloat(%v) = %s; encoding/json writes %s", x, got, want)
		}
	})
}
