package ingest

import (
	"bytes"
	"encoding/json"
	"testing"
)

// encodingJSONPayload is marshalPayload's reflective path, which the
// hand-written encoders must match byte for byte: the bounty table
// deduplicates on the payload's hash.
func encodingJSONPayload(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

func checkAppendersMatchEncodingJSON(t *testing.T, a, b string, list []string, n int) {
	t.Helper()
	seen := headersSeen{Forwarded: a, XRealIP: b, CFConnectingIP: a + b}
	for _, v := range []payloadAppender{
		userAgentPayload{FingerprintType: "http_useragent", Value: a, Category: b, Tool: a, Signals: list},
		ipLeakPayload{SourceIP: a, RealIPClaim: b, SourceHeader: a, HeadersSeen: seen},
		ipLeakPayload{SourceIP: a},
		spoofedSourcePayload{FingerprintType: "spoofed_source", SourceIP: b, ClaimedIP: a, SourceHeader: b,
			HeadersSeen: headersSeen{XForwardedFor: a, TrueClientIP: b}, ClaimCategory: a},
		httpQuirksPayload{FingerprintType: "http_quirks", OrderHash: a, Order: list, CasingHash: b,
			CasingCategory: a, StableCount: n, ToolGuess: b},
	} {
		got := marshalPayload(v)
		if want := encodingJSONPayload(t, v); !bytes.Equal(got, want) {
			t.Fatalf("%T:\n got %s\nwant %s", v, got, want)
		}
	}
}

func TestPayloadAppendersMatchEncodingJSON(t *testing.T) {
	strs := []string{"", "curl/8.4.0", `q"uote\back/slash`, "<b>&amp;</b>", "ctl\x00\x01\x08\x0c\n\r\t\x1f\x7f",
		"bad utf8 \xff\xfe\xc3", "line\u2028para\u2029", "héllo ✓ 😀"}
	for _, a := range strs {
		for _, b := range strs {
			checkAppendersMatchEncodingJSON(t, a, b, nil, 0)
			checkAppendersMatchEncodingJSON(t, a, b, []string{}, -3)
			checkAppendersMatchEncodingJSON(t, a, b, []string{a, b}, 7)
		}
	}
}

func FuzzPayloadAppenders(f *testing.F) {
	f.Add("Mozilla/5.0", "8.8.4.4", 3)
	f.Add("<\u2028\xff>", `"\`, -1)
	f.Fuzz(func(t *testing.T, a, b string, n int) {
		checkAppendersMatchEncodingJSON(t, a, b, []string{a, b, a + b}, n)
	})
}
