package syslog

import (
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

var sampleTS = time.Date(2026, 5, 2, 6, 22, 48, 89309123, time.UTC)

func TestFormatGoldenLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   model.Event
		sev  Severity
		want string
	}{
		{
			name: "auth_attempt puts src_ip first then fields in sorted order",
			ev: model.Event{
				TS: sampleTS, Decky: "omega-decky", Service: "auth-helper", EventType: "auth_attempt", SrcIP: "192.168.1.5",
				Fields: map[string]string{"username": "root", "principal": "root", "secret_printable": "hunter2", "secret_b64": "aHVudGVyMg=="},
			},
			sev:  SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 omega-decky auth-helper - auth_attempt [relay@55555 src_ip="192.168.1.5" principal="root" secret_b64="aHVudGVyMg==" secret_printable="hunter2" username="root"]`,
		},
		{
			name: "typed connection fields are written when set, and MSG follows the SD",
			ev: model.Event{
				TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "connect",
				SrcIP: "2001:db8::1", SrcPort: 4444, DstIP: "10.0.0.2", DstPort: 22, SessionID: "s-1",
				Msg: "hello there",
			},
			sev:  SeverityNotice,
			want: `<133>1 2026-05-02T06:22:48.089309+00:00 d1 ssh - connect [relay@55555 src_ip="2001:db8::1" src_port="4444" dst_ip="10.0.0.2" dst_port="22" session_id="s-1"] hello there`,
		},
		{
			name: "missing attacker address is written as Unknown",
			ev:   model.Event{TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "startup", Msg: "listening"},
			sev:  SeverityWarning,
			want: `<132>1 2026-05-02T06:22:48.089309+00:00 d1 ssh - startup [relay@55555 src_ip="Unknown"] listening`,
		},
		{
			name: "error severity",
			ev:   model.Event{TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "crash", SrcIP: "1.2.3.4"},
			sev:  SeverityError,
			want: `<131>1 2026-05-02T06:22:48.089309+00:00 d1 ssh - crash [relay@55555 src_ip="1.2.3.4"]`,
		},
		{
			name: "out-of-range severity is written as info",
			ev:   model.Event{TS: sampleTS, Decky: "d1", Service: "ssh", EventType: "x", SrcIP: "1.2.3.4"},
			sev:  Severity(42),
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 d1 ssh - x [relay@55555 src_ip="1.2.3.4"]`,
		},
		{
			name: "typed fields win over same-named Fields, which fill in when typed ones are unset",
			ev: model.Event{
				TS: sampleTS, Decky: "d1", Service: "s", EventType: "e", SrcIP: "1.2.3.4",
				Fields: map[string]string{"src_ip": "9.9.9.9", "dst_port": "8080", "a": "b"},
			},
			sev:  SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 d1 s - e [relay@55555 src_ip="1.2.3.4" dst_port="8080" a="b"]`,
		},
		{
			name: "SD values escape backslash, quote and closing bracket",
			ev: model.Event{
				TS: sampleTS, Decky: "d1", Service: "http", EventType: "request", SrcIP: "1.2.3.4",
				Fields: map[string]string{"path": `/a"b\c]d`},
			},
			sev:  SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 d1 http - request [relay@55555 src_ip="1.2.3.4" path="/a\"b\\c\]d"]`,
		},
		{
			name: "control characters and invalid UTF-8 cannot break the line",
			ev: model.Event{
				TS: sampleTS, Decky: "d1", Service: "bash", EventType: "command", SrcIP: "1.2.3.4",
				Fields: map[string]string{"cmd": "echo\x1b[2J\ttab\xff"},
				Msg:    "line1\nline2\r\n<134>1 forged\u0085",
			},
			sev:  SeverityInfo,
			want: "<134>1 2026-05-02T06:22:48.089309+00:00 d1 bash - command [relay@55555 src_ip=\"1.2.3.4\" cmd=\"echo\uFFFD[2J\ttab\uFFFD\"] line1\uFFFDline2\uFFFD\uFFFD<134>1 forged\uFFFD",
		},
		{
			name: "header fields lose spaces and control characters and empty ones are NIL",
			ev: model.Event{
				TS: sampleTS, Decky: "my decky", Service: "s\x00v", EventType: "", SrcIP: "1.2.3.4",
			},
			sev:  SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 my_decky s_v - - [relay@55555 src_ip="1.2.3.4"]`,
		},
		{
			name: "non-ASCII header runes become one underscore each",
			ev:   model.Event{TS: sampleTS, Decky: "décky", Service: "s", EventType: "e", SrcIP: "1.2.3.4"},
			sev:  SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 d_cky s - e [relay@55555 src_ip="1.2.3.4"]`,
		},
		{
			name: "header fields are truncated to the RFC limits",
			ev: model.Event{
				TS: sampleTS, Decky: strings.Repeat("h", 300), Service: strings.Repeat("a", 60),
				EventType: strings.Repeat("m", 40), SrcIP: "1.2.3.4",
			},
			sev: SeverityInfo,
			want: "<134>1 2026-05-02T06:22:48.089309+00:00 " + strings.Repeat("h", 255) + " " + strings.Repeat("a", 48) +
				" - " + strings.Repeat("m", 32) + ` [relay@55555 src_ip="1.2.3.4"]`,
		},
		{
			name: "param names are sanitised, truncated, and valid names win collisions",
			ev: model.Event{
				TS: sampleTS, Decky: "d", Service: "s", EventType: "e", SrcIP: "1.2.3.4",
				Fields: map[string]string{
					"a b": "rewritten", "a_b": "valid", "k=v": "1", "": "empty", "src ip": "spoof",
					strings.Repeat("n", 40): "long", `q"]`: "2",
				},
			},
			sev: SeverityInfo,
			want: `<134>1 2026-05-02T06:22:48.089309+00:00 d s - e [relay@55555 src_ip="1.2.3.4" _="empty" a_b="valid" k_v="1" ` +
				strings.Repeat("n", 32) + `="long" q__="2"]`,
		},
		{
			name: "zero timestamp is NIL and surrounding blanks of MSG are dropped",
			ev:   model.Event{Decky: "d", Service: "s", EventType: "e", SrcIP: "1.2.3.4", Msg: " \t padded \n"},
			sev:  SeverityInfo,
			want: `<134>1 - d s - e [relay@55555 src_ip="1.2.3.4"] padded`,
		},
		{
			name: "timestamp is converted to UTC and truncated to microseconds",
			ev: model.Event{
				TS:    time.Date(2024, 1, 15, 14, 0, 0, 999999999, time.FixedZone("CEST", 2*3600)),
				Decky: "d", Service: "s", EventType: "e", SrcIP: "1.2.3.4",
			},
			sev:  SeverityInfo,
			want: `<134>1 2024-01-15T12:00:00.999999+00:00 d s - e [relay@55555 src_ip="1.2.3.4"]`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Format(tc.ev, tc.sev)
			if got != tc.want {
				t.Errorf("Format mismatch:\nwant %q\ngot  %q", tc.want, got)
			}
			if app := string(AppendFormat([]byte("prefix:"), tc.ev, tc.sev)); app != "prefix:"+tc.want {
				t.Errorf("AppendFormat did not append the same line:\ngot %q", app)
			}
		})
	}
}

func TestFormatIsDeterministic(t *testing.T) {
	ev := model.Event{
		TS: sampleTS, Decky: "d", Service: "s", EventType: "e", SrcIP: "1.2.3.4",
		Fields: map[string]string{"z": "1", "y": "2", "x": "3", "w": "4", "v": "5", "a b": "6", "a_b": "7"},
	}
	first := Format(ev, SeverityInfo)
	for range 50 {
		if got := Format(ev, SeverityInfo); got != first {
			t.Fatalf("Format changed between calls:\n%q\n%q", first, got)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	ev := model.Event{
		TS: sampleTS, Decky: "omega-decky", Service: "auth-helper", EventType: "auth_attempt",
		SrcIP: "192.168.1.5", SrcPort: 51234,
		Fields: map[string]string{"username": "root", "principal": "root", "secret_printable": "hunter2", "secret_b64": "aHVudGVyMg=="},
	}
	b.Run("Format", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Format(ev, SeverityInfo)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf = AppendFormat(buf[:0], ev, SeverityInfo)
		}
	})
}
