package flatjson

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

type pair struct{ k, v string }

func visit(s string) ([]pair, bool) {
	var got []pair
	ok := Visit(s, func(k, v string) { got = append(got, pair{k, v}) })
	return got, ok
}

func TestVisitReadsPlainObjectsInOrderAndRefusesEverythingElse(t *testing.T) {
	tests := []struct {
		in   string
		want []pair
		ok   bool
	}{
		{`{}`, nil, true},
		{`{"Host":"a","X":"b"}`, []pair{{"Host", "a"}, {"X", "b"}}, true},
		{`{"a":"1","a":"2"}`, []pair{{"a", "1"}, {"a", "2"}}, true},
		{`{"a":"é"}`, []pair{{"a", "é"}}, true},
		{`{"a":"\u00e9"}`, nil, false}, // an escape: encoding/json's job
		{"{\"a\":\"\xff\"}", nil, false},
		{`{"a": "b"}`, nil, false},
		{`{"a":"b",}`, nil, false},
		{`{"a":"b"}x`, nil, false},
		{`{"a":1}`, nil, false},
		{`{"a":{"b":"c"}}`, nil, false},
		{`[]`, nil, false},
		{``, nil, false},
		{`{`, nil, false},
		{`{}}`, nil, false},
	}
	for _, tt := range tests {
		got, ok := visit(tt.in)
		if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("Visit(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSizeHintIsCapped(t *testing.T) {
	if n := SizeHint(`{"a":"b","c":"d"}`); n != 2 {
		t.Errorf("SizeHint = %d, want 2", n)
	}
	if n := SizeHint(strings.Repeat(`"a":"b",`, 1000)); n != 64 {
		t.Errorf("SizeHint of 1000 pairs = %d, want the cap 64", n)
	}
}

// FuzzVisitAgreesWithEncodingJSON pins that whatever Visit accepts,
// encoding/json reads as the same pairs in the same order.
func FuzzVisitAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"Host":"a","X":"b"}`, `{}`, `{"a":"\u00e9"}`, "{\"a\":\"\xff\"}", `{"a":"b",}`, `{"a":"b"}x`, `{"a":"1","a":"2"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := visit(raw)
		if !ok {
			return
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("Visit accepted %q, encoding/json: %v %v", raw, tok, err)
		}
		var want []pair
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				t.Fatalf("Visit accepted %q, encoding/json: %v", raw, err)
			}
			var v string
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("Visit accepted %q, encoding/json: %v", raw, err)
			}
			want = append(want, pair{k.(string), v})
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
			t.Fatalf("Visit accepted %q, encoding/json: %v %v", raw, tok, err)
		}
		if _, err := dec.Token(); err != io.EOF {
			t.Fatalf("Visit accepted %q with trailing data", raw)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Visit(%q) = %v, encoding/json %v", raw, got, want)
		}
	})
}
