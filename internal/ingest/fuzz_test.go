package ingest

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

// maxFuzzPayload is a ceiling no bounty payload may exceed, whatever the
// event: the largest legitimate one (a mail with 64 attachments) is far
// below it.
const maxFuzzPayload = 96 << 10

func FuzzDerive(f *testing.F) {
	f.Add("http", "request", "198.51.100.23", browserHeaders, "", "", "", "")
	f.Add("http", "request", "10.0.0.1", `[["X-Forwarded-For","127.0.0.1"],["User-Agent","sqlmap"]]`, b64("pw"), "admin", "", "")
	f.Add("https", "request", "2001:db8::1", `{"Forwarded":"for=\"[::1]:80\"","User-Agent":"\u0000"}`, "QR==", "", "", "")
	f.Add("ssh", "auth_attempt", "203.0.113.1", "", b64("é\x00"), "", "root", "success")
	f.Add("prober", "icmp_error_leak", "", "", "", "", "", "")
	f.Add("smtp_relay", "message_stored", "1.2.3.4", `{'a': 'b'}`, "", "", "", "")
	f.Add("sniffer", "tls_session", "1.2.3.4", `{"A":[1,{"b":[]}],"B":["x","y"]}`, "====", "\xff\xfe", "", "observed")
	f.Fuzz(func(t *testing.T, service, eventType, src, headers, secret, principal, username, outcome string) {
		fields := map[string]string{
			"headers":           headers,
			"secret_b64":        secret,
			"principal":         principal,
			"username":          username,
			"outcome":           outcome,
			"secret_printable":  principal + username,
			"secret_kind":       outcome,
			"client_version":    principal,
			"ja3":               username,
			"ja4l_rtt_ms":       outcome,
			"subject_cn":        principal,
			"jarm_hash":         username,
			"target_ip":         src,
			"hassh_server_hash": principal,
			"tcpfp_hash":        outcome,
			"icmp_fp_hash":      username,
			"icmp6_fp_hash":     principal,
			"ja4h":              headers,
			"ja4_quic":          headers,
			"stored_as":         principal,
			"attachments_json":  headers,
		}
		ev := model.Event{ID: "id", Service: service, EventType: eventType, SrcIP: src, Fields: fields}
		rec := Derive(ev, DeriveOptions{})
		again := Derive(ev, DeriveOptions{})
		if len(rec.Bounties) != len(again.Bounties) {
			t.Fatalf("bounty count not deterministic")
		}
		for i, b := range rec.Bounties {
			if len(b.Payload) > maxFuzzPayload {
				t.Errorf("%s payload is %d bytes", b.BountyType, len(b.Payload))
			}
			if !json.Valid(b.Payload) {
				t.Errorf("%s payload is not JSON: %q", b.BountyType, b.Payload)
			}
			if !bytes.Equal(b.Payload, again.Bounties[i].Payload) {
				t.Errorf("%s payload not deterministic", b.BountyType)
			}
		}
		if c := rec.Credential; c != nil {
			if len(c.Principal) > maxPrincipal || len(c.SecretKind) > maxSecretKind ||
				len(c.SecretPrintable) > maxSecretPrintable || len(c.SecretB64) > maxSecretB64 {
				t.Errorf("credential exceeds caps: %d %d %d %d", len(c.Principal), len(c.SecretKind), len(c.SecretPrintable), len(c.SecretB64))
			}
			if utf8.ValidString(principal) && utf8.ValidString(username) && !utf8.ValidString(c.Principal) {
				t.Errorf("capping broke a rune: %q", c.Principal)
			}
			if len(c.SecretSHA256) != 64 {
				t.Errorf("sha256 %q", c.SecretSHA256)
			}
		}
	})
}

// FuzzParseHeaders checks the hand-written header reader against
// encoding/json: whenever encoding/json accepts a headers object whose
// values are all strings, both must read the same name/value pairs.
func FuzzParseHeaders(f *testing.F) {
	f.Add(browserHeaders)
	f.Add(`{"A":"\u00e9\ud83d\ude00","B\"":"x\\y","C":"\xff"}`)
	f.Add(`{ "a" : "1" , "b":"2"}`)
	f.Add(`[["A","1"],["B",["x","y"]]]`)
	f.Add(`{'a': 'b'}`)
	f.Fuzz(func(t *testing.T, raw string) {
		got := parseHeaders(raw)
		if len(got) > maxHeaders {
			t.Fatalf("%d headers kept", len(got))
		}
		var m map[string]any
		if len(raw) > maxHeadersJSON || json.Unmarshal([]byte(raw), &m) != nil || m == nil {
			return
		}
		want := map[string]string{}
		for k, v := range m {
			s, ok := v.(string)
			if !ok {
				return
			}
			want[k] = s
		}
		if len(want) > maxHeaders {
			return
		}
		gotMap := map[string]string{}
		for _, h := range got {
			gotMap[h.name] = h.value
		}
		if len(got) != len(gotMap) {
			// Repeated names: encoding/json keeps only the last value.
			return
		}
		if !maps.Equal(want, gotMap) {
			t.Errorf("parseHeaders(%q)\n got %v\nwant %v", raw, gotMap, want)
		}
	})
}
