package sqlstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestAppendFieldsJSONDecodesLikeEncodingJSON(t *testing.T) {
	tests := []map[string]string{
		nil,
		{"a": "1"},
		{"z": "last", "a": "first", "m": "mid", "b": "x", "y": "y", "c": "c", "d": "d", "e": "e", "f": "f", "g": "g",
			"h": "h", "i": "i", "j": "j", "k": "k", "l": "l", "n": "n", "o": "o", "p": "p"},
		{"ctl": "\x00\x01\x1f\t\r\n", "quote": `"\`, "html": "<script>&</script>", "uni": "é🐝\u2028", "bad": "a\xffb\xc3"},
		{"": ""},
	}
	for _, m := range tests {
		got := appendFieldsJSON(nil, m)
		if !json.Valid(got) {
			t.Errorf("appendFieldsJSON(%q) = %s; not valid JSON", m, got)
			continue
		}
		var back map[string]string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		ref, _ := json.Marshal(m)
		var want map[string]string
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = map[string]string{}
		}
		if diff := cmp.Diff(want, back); diff != "" {
			t.Errorf("decoded (-encoding/json +ours):\n%s", diff)
		}
	}
	if got := string(appendFieldsJSON(nil, map[string]string{"b": "2", "a": "1"})); got != `{"a":"1","b":"2"}` {
		t.Errorf("keys not sorted: %s", got)
	}
}

func TestClipCutsOnARuneBoundaryAndRepairsUTF8(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes; cutting inside it drops it
		{"a\xffb", 10, "a\uFFFDb"},
		{strings.Repeat("🐝", 3), 5, "🐝"},
	}
	for _, tt := range tests {
		got := clip(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) || len(got) > tt.n {
			t.Errorf("clip(%q, %d) = %q; want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestChunksArePowersOfTwoSummingToN(t *testing.T) {
	tests := []struct {
		n, max int
		want   []int
	}{
		{0, 128, nil},
		{1, 128, []int{1}},
		{500, 128, []int{128, 128, 128, 64, 32, 16, 4}},
		{128, 128, []int{128}},
		{7, 64, []int{4, 2, 1}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, chunks(tt.n, tt.max)); diff != "" {
			t.Errorf("chunks(%d, %d) (-want +got):\n%s", tt.n, tt.max, diff)
		}
	}
}

func TestFormatSQLiteTimeMatchesTheLayout(t *testing.T) {
	for _, ts := range []time.Time{
		time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC),
		time.Date(1999, 1, 2, 3, 4, 5, 6_789_012, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.FixedZone("x", 3600)),
		time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC),
		{},
	} {
		if got, want := formatSQLiteTime(ts), ts.UTC().Format(sqliteTimeLayout); got != want {
			t.Errorf("formatSQLiteTime(%v) = %q; want %q", ts, got, want)
		}
	}
}
