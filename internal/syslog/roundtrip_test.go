package syslog

import (
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

func TestRoundTripReproducesEvent(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   model.Event
	}{
		{"minimal", model.Event{TS: sampleTS, Decky: "d", Service: "s", EventType: "e", SrcIP: "1.2.3.4"}},
		{"auth attempt with credential shape", model.Event{
			TS: sampleTS, Decky: "omega-decky", Service: "auth-helper", EventType: "auth_attempt", SrcIP: "192.168.1.5",
			Fields: map[string]string{"username": "root", "principal": "root", "secret_printable": "p@ss\"]\\", "secret_b64": "cEBzcyJdXA=="},
		}},
		{"every typed field", model.Event{
			TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "connect",
			SrcIP: "2001:db8::1", SrcPort: 65535, DstIP: "fe80::1", DstPort: 1, SessionID: "sess 1 \"quoted\"",
			Msg: "connected",
		}},
		{"unknown attacker with an address in MSG", model.Event{
			TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "startup", SrcIP: model.UnknownIP,
			Msg: "listening on 0.0.0.0:22 from 10.0.0.1",
		}},
		{"message that looks like SD", model.Event{
			TS: sampleTS, Decky: "d1", Service: "x", EventType: "e", SrcIP: "1.2.3.4",
			Msg: `[relay@55555 src_ip="6.6.6.6"] - <134>1`,
		}},
		{"empty event type", model.Event{TS: sampleTS, Decky: "d1", Service: "x", SrcIP: "1.2.3.4", Msg: "hi"}},
		{"unicode values and message", model.Event{
			TS: sampleTS, Decky: "d1", Service: "x", EventType: "e", SrcIP: "1.2.3.4",
			Fields: map[string]string{"name": "日本語 ✓", "tab": "a\tb"}, Msg: "héllo wörld\tend",
		}},
		{"CMD line whose fields are already parsed", model.Event{
			TS: sampleTS, Decky: "d1", Service: "bash", EventType: "command", SrcIP: "1.2.3.4",
			Fields: map[string]string{"command": "ls", "uid": "0"}, Msg: "CMD uid=0 cmd=ls",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := Format(tc.ev, SeverityInfo)
			got, err := ParseAt(line, receivedAt)
			if err != nil {
				t.Fatalf("ParseAt(Format(ev)) error: %v\nline: %q", err, line)
			}
			want := tc.ev
			want.TS = want.TS.Truncate(time.Microsecond)
			want.Raw = line
			if d := diffEvent(want, got); d != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s\nline: %q", d, line)
			}
		})
	}
}

func TestRoundTripNormalisesEmptySrcIPToUnknown(t *testing.T) {
	ev := model.Event{TS: sampleTS, Decky: "d", Service: "s", EventType: "e", Msg: "from 10.0.0.1"}
	got, err := Parse(Format(ev, SeverityInfo))
	if err != nil {
		t.Fatal(err)
	}
	if got.SrcIP != model.UnknownIP {
		t.Errorf("SrcIP = %q, want %q (not guessed from MSG)", got.SrcIP, model.UnknownIP)
	}
}

// parseSeeds are the golden lines plus shapes that stress the scanner.
func parseSeeds() []string {
	seeds := []string{
		"",
		"<",
		"<1>1 ",
		"<134>1 - - - - - -",
		"<134>1 - - - - - [",
		`<134>1 - - - - - [relay@55555 a="\`,
		`<134>1 - - - - - [relay@55555 a="\]"] x`,
		"<134>1 - - - - - -  2026-05-02T06:22:48Z h a - m [x] CMD cmd=",
		"<134>1 - h a - - - CMD src=[::1]:22 pwd=x",
		"<134>1 - h a - - - from ::ffff:1.2.3.4. rhost=[fe80::1%eth0]",
		"<134>1 - h a - e - 1.2.3.4.5 999.999.999.999 from 1.2.3.4:99999",
	}
	for _, tc := range parseCases {
		seeds = append(seeds, tc.line)
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		ev, err := ParseAt(line, receivedAt)
		if err != nil {
			return
		}
		if ev.Raw != line {
			t.Fatalf("Raw = %q, want the input line", ev.Raw)
		}
		checkHeaderField(t, "Decky", ev.Decky, MaxHostnameLen)
		checkHeaderField(t, "Service", ev.Service, MaxAppNameLen)
		checkHeaderField(t, "EventType", ev.EventType, MaxMsgIDLen)
		checkIP(t, "SrcIP", ev.SrcIP, true)
		checkIP(t, "DstIP", ev.DstIP, false)
		if ev.SrcPort < 0 || ev.SrcPort > 65535 || ev.DstPort < 0 || ev.DstPort > 65535 {
			t.Fatalf("ports out of range: %d %d", ev.SrcPort, ev.DstPort)
		}
		if len(ev.Msg) > len(line) {
			t.Fatalf("Msg longer than the line")
		}
		size := 0
		for k, v := range ev.Fields {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				t.Fatalf("field %q=%q is not valid UTF-8", k, v)
			}
			size += len(k) + len(v)
		}
		if size > 2*len(line) {
			t.Fatalf("Fields hold %d bytes for a %d-byte line", size, len(line))
		}

		// What Parse produced must survive Format and Parse again.
		again, err := ParseAt(Format(ev, SeverityInfo), receivedAt)
		if err != nil {
			t.Fatalf("Parse(Format(Parse(line))) failed: %v", err)
		}
		if again.Decky != ev.Decky || again.Service != ev.Service || again.EventType != ev.EventType ||
			again.SrcIP != ev.SrcIP || again.SrcPort != ev.SrcPort || again.DstIP != ev.DstIP || again.DstPort != ev.DstPort {
			t.Fatalf("re-parse changed the envelope:\n%s", diffEvent(ev, again))
		}
		if isCleanText(ev.Msg) && again.Msg != ev.Msg {
			t.Fatalf("re-parse changed Msg %q to %q", ev.Msg, again.Msg)
		}
	})
}

func checkHeaderField(t *testing.T, name, v string, max int) {
	t.Helper()
	if len(v) > max {
		t.Fatalf("%s is %d bytes, over %d", name, len(v), max)
	}
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] >= 0x7f {
			t.Fatalf("%s %q holds byte %#x", name, v, v[i])
		}
	}
}

func checkIP(t *testing.T, name, v string, unknownOK bool) {
	t.Helper()
	if v == "" && !unknownOK {
		return
	}
	if unknownOK && v == model.UnknownIP {
		return
	}
	addr, err := netip.ParseAddr(v)
	if err != nil || addr.String() != v || addr.Is4In6() || addr.Zone() != "" {
		t.Fatalf("%s = %q is not a canonical address", name, v)
	}
}

// isCleanText reports whether Format carries s unchanged: valid UTF-8, no
// control characters but TAB, no surrounding blanks.
func isCleanText(s string) bool {
	if !utf8.ValidString(s) || trimBlank(s) != s {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t') || r == 0x7f || isC1(r) {
			return false
		}
	}
	return true
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("omega-decky", "auth-helper", "auth_attempt", "192.168.1.5", uint16(0), "username", "root", "secret_b64", "aHVudGVyMg==", "", int64(1777702968089309000))
	f.Add("d1", "ssh", "", "2001:db8::1", uint16(22), "path", `/a"b\c]d`, "x", "日本", "hello [world]", int64(0))
	f.Add("d e", "s\x00", "e", "", uint16(1), "a b", "\n", "src_ip", "9.9.9.9", "CMD uid=0 src=1.2.3.4 cmd=ls", int64(-1))
	f.Add("-", "-", "-", "Unknown", uint16(65535), "k", "v", "k2", "v2", " from 10.0.0.1 ", int64(253402300799999999))
	f.Fuzz(func(t *testing.T, decky, service, eventType, srcIP string, srcPort uint16,
		k1, v1, k2, v2, msg string, nanos int64) {
		ev := model.Event{
			TS: time.Unix(0, nanos).UTC(), Decky: decky, Service: service, EventType: eventType,
			SrcIP: srcIP, SrcPort: int(srcPort), Fields: map[string]string{k1: v1, k2: v2}, Msg: msg,
		}
		line := Format(ev, SeverityInfo)
		if strings.ContainsAny(line, "\r\n") || !utf8.ValidString(line) {
			t.Fatalf("Format produced more than one valid UTF-8 line: %q", line)
		}
		got, err := ParseAt(line, receivedAt)
		if err != nil {
			t.Fatalf("Parse(Format(ev)) failed: %v\nline %q", err, line)
		}
		// Format∘Parse reaches a fixed point after one pass.
		line2 := Format(got, SeverityInfo)
		got2, err := ParseAt(line2, receivedAt)
		if err != nil {
			t.Fatalf("second parse failed: %v", err)
		}
		if line3 := Format(got2, SeverityInfo); line3 != line2 {
			t.Fatalf("Format∘Parse is not idempotent:\n%q\n%q", line2, line3)
		}
		if !roundTrippable(ev) {
			return
		}
		want := ev
		want.TS = want.TS.Truncate(time.Microsecond)
		want.Raw = line
		if want.SrcIP == "" {
			want.SrcIP = model.UnknownIP
		}
		if d := diffEvent(want, got); d != "" || !maps.Equal(want.Fields, got.Fields) {
			t.Fatalf("round trip mismatch (-want +got):\n%s\nline %q", d, line)
		}
	})
}

// roundTrippable reports whether ev is already in the form Format writes, so
// Parse must give it back exactly.
func roundTrippable(ev model.Event) bool {
	y := ev.TS.Year()
	if ev.TS.IsZero() || y < 0 || y > 9999 {
		return false
	}
	for _, h := range []struct {
		v   string
		max int
	}{{ev.Decky, MaxHostnameLen}, {ev.Service, MaxAppNameLen}, {ev.EventType, MaxMsgIDLen}} {
		if h.v == "-" || sanitizeHeaderField(h.v, h.max) != h.v {
			return false
		}
	}
	if ev.SrcIP != "" && ev.SrcIP != model.UnknownIP {
		if ip, ok := canonicalIP(ev.SrcIP); !ok || ip != ev.SrcIP {
			return false
		}
	}
	for k, v := range ev.Fields {
		if !validParamName(k) || isReserved(k) || !utf8.ValidString(v) {
			return false
		}
		for _, r := range v {
			if (r < 0x20 && r != '\t') || r == 0x7f || isC1(r) {
				return false
			}
		}
	}
	// Parse enriches CMD lines, so they only round-trip once enriched.
	if strings.HasPrefix(trimBlank(ev.Msg), "CMD ") && (ev.EventType == "" || ev.EventType == "command") {
		return false
	}
	return isCleanText(ev.Msg)
}
