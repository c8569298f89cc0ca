package syslog

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// receivedAt is the receipt time tests pass to ParseAt, so a fallback to it
// is visible and deterministic.
var receivedAt = time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)

// doubleWrappedCMD is the bash PROMPT_COMMAND line as Docker delivers it
// (pipeline.md §1.1), taken from the original's regression test.
const doubleWrappedCMD = "<14>1 2026-05-02T06:22:48.089309+00:00 omega-decky 1 - - - " +
	" 2026-05-02T06:22:48.089286+00:00 SRV-DELTA-77 bash - command " +
	`[timeQuality tzKnown="1" isSynced="1" syncAccuracy="326228"] ` +
	"CMD uid=0 user=root src=192.168.1.5 pwd=/root cmd=ls /var/www/html"

const authAttempt = `<134>1 2026-05-02T06:22:48.089309+00:00 omega-decky auth-helper - auth_attempt ` +
	`[relay@55555 username="root" principal="root" secret_printable="hunter2" secret_b64="aHVudGVyMg==" src_ip="192.168.1.5"]`

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// parseCases are golden lines from the specs and the original's tests, each
// with the complete Event Parse must produce (Raw is filled in by the test).
var parseCases = []struct {
	name string
	line string
	want model.Event
}{
	{
		name: "double-wrapped bash line takes the inner header and parses the CMD head",
		line: doubleWrappedCMD,
		want: model.Event{
			TS: ts("2026-05-02T06:22:48.089286Z"), Decky: "SRV-DELTA-77", Service: "bash", EventType: "command",
			SrcIP: "192.168.1.5",
			Msg:   "CMD uid=0 user=root src=192.168.1.5 pwd=/root cmd=ls /var/www/html",
			Fields: map[string]string{
				"uid": "0", "user": "root", "src": "192.168.1.5", "pwd": "/root", "command": "ls /var/www/html",
			},
		},
	},
	{
		name: "auth-helper auth_attempt keeps credential params and promotes src_ip",
		line: authAttempt,
		want: model.Event{
			TS: ts("2026-05-02T06:22:48.089309Z"), Decky: "omega-decky", Service: "auth-helper", EventType: "auth_attempt",
			SrcIP: "192.168.1.5",
			Fields: map[string]string{
				"username": "root", "principal": "root", "secret_printable": "hunter2", "secret_b64": "aHVudGVyMg==",
			},
		},
	},
	{
		name: "single-wrapped relay line is not unwrapped",
		line: `<134>1 2026-05-02T06:00:25.453826+00:00 omega-decky smtp - disconnect [relay@55555 src_ip="192.168.1.5"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:25.453826Z"), Decky: "omega-decky", Service: "smtp", EventType: "disconnect",
			SrcIP: "192.168.1.5",
		},
	},
	{
		name: "NIL MSGID with a prose body stays NIL and finds the address after from",
		line: "<14>1 2026-05-02T06:22:48.000000+00:00 host app - - - Failed password for root from 192.168.1.5 port 42772 ssh2",
		want: model.Event{
			TS: ts("2026-05-02T06:22:48Z"), Decky: "host", Service: "app",
			SrcIP: "192.168.1.5", Msg: "Failed password for root from 192.168.1.5 port 42772 ssh2",
		},
	},
	{
		name: "real PROCID is accepted",
		line: "<38>1 2026-04-18T08:27:21.862365+00:00 omega-decky sshd 940 - - Accepted password for root from 192.168.1.5 port 43210 ssh2",
		want: model.Event{
			TS: ts("2026-04-18T08:27:21.862365Z"), Decky: "omega-decky", Service: "sshd",
			SrcIP: "192.168.1.5", Msg: "Accepted password for root from 192.168.1.5 port 43210 ssh2",
		},
	},
	{
		name: "single-wrapped CMD line with NIL MSGID becomes a command",
		line: "<134>1 2024-01-15T12:00:00+00:00 decky-01 bash - - - CMD uid=0 user=root src=198.51.100.7 pwd=/root cmd=ls -la",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "bash", EventType: "command",
			SrcIP: "198.51.100.7", Msg: "CMD uid=0 user=root src=198.51.100.7 pwd=/root cmd=ls -la",
			Fields: map[string]string{"uid": "0", "user": "root", "src": "198.51.100.7", "pwd": "/root", "command": "ls -la"},
		},
	},
	{
		name: "CMD address comes from the hook's head, never from the attacker's command",
		line: "<134>1 2024-01-15T12:00:00+00:00 decky-01 bash - command - CMD uid=0 user=root src=192.0.2.10 pwd=/tmp/cmd=x cmd=echo src_ip=6.6.6.6 from 7.7.7.7",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "bash", EventType: "command",
			SrcIP: "192.0.2.10", Msg: "CMD uid=0 user=root src=192.0.2.10 pwd=/tmp/cmd=x cmd=echo src_ip=6.6.6.6 from 7.7.7.7",
			Fields: map[string]string{"uid": "0", "user": "root", "src": "192.0.2.10", "pwd": "/tmp/cmd=x", "command": "echo src_ip=6.6.6.6 from 7.7.7.7"},
		},
	},
	{
		name: "telnet CMD without src stays Unknown even if the command names an address",
		line: "<134>1 2024-01-15T12:00:00+00:00 decky-01 bash - command - CMD uid=0 pwd=/root cmd=curl http://6.6.6.6/x",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "bash", EventType: "command",
			SrcIP: model.UnknownIP, Msg: "CMD uid=0 pwd=/root cmd=curl http://6.6.6.6/x",
			Fields: map[string]string{"uid": "0", "pwd": "/root", "command": "curl http://6.6.6.6/x"},
		},
	},
	{
		name: "SD address wins over one in MSG",
		line: `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - login [relay@55555 src_ip="1.2.3.4"] rogue src=9.9.9.9 entry`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "ssh", EventType: "login",
			SrcIP: "1.2.3.4", Msg: "rogue src=9.9.9.9 entry",
		},
	},
	{
		name: "remote_addr host:port is split and remote_port recorded",
		line: `<134>1 2026-05-02T06:00:00.000001+00:00 web-1 http - http_request_fingerprint [relay@55555 method="GET" remote_addr="198.51.100.23:51234"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00.000001Z"), Decky: "web-1", Service: "http", EventType: "http_request_fingerprint",
			SrcIP: "198.51.100.23", SrcPort: 51234,
			Fields: map[string]string{"method": "GET", "remote_addr": "198.51.100.23:51234", "remote_port": "51234"},
		},
	},
	{
		name: "existing remote_port is not overwritten by the split",
		line: `<134>1 2026-05-02T06:00:00+00:00 web-1 http - request [relay@55555 remote_addr="198.51.100.23:51234" remote_port="1"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "web-1", Service: "http", EventType: "request",
			SrcIP: "198.51.100.23", SrcPort: 51234,
			Fields: map[string]string{"remote_addr": "198.51.100.23:51234", "remote_port": "1"},
		},
	},
	{
		name: "bracketed IPv6 with port is split",
		line: `<134>1 2026-05-02T06:00:00+00:00 web-1 http - request [relay@55555 remote_addr="[2001:db8::7]:443"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "web-1", Service: "http", EventType: "request",
			SrcIP: "2001:db8::7", SrcPort: 443,
			Fields: map[string]string{"remote_addr": "[2001:db8::7]:443", "remote_port": "443"},
		},
	},
	{
		name: "bare IPv6 loopback is not mangled into host:port",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 redis - connect [relay@55555 src_ip="::1"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "redis", EventType: "connect", SrcIP: "::1",
		},
	},
	{
		name: "bare IPv6 ending in a numeric hextet is not mangled",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 redis - connect [relay@55555 remote_ip="2001:db8::1"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "redis", EventType: "connect", SrcIP: "2001:db8::1",
			Fields: map[string]string{"remote_ip": "2001:db8::1"},
		},
	},
	{
		name: "IPv6 is canonicalised and IPv4-mapped addresses unmapped",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 smb - connect [relay@55555 src_ip="::FFFF:198.51.100.4" dst_ip="2001:DB8:0:0::2"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "smb", EventType: "connect",
			SrcIP: "198.51.100.4", DstIP: "2001:db8::2",
		},
	},
	{
		name: "escaped bracket, quote and backslash stay inside the value",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 http - request [relay@55555 path="/a\]b" q="x \"y\" \\z \n" src_ip="1.2.3.4"] tail msg`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "http", EventType: "request",
			SrcIP: "1.2.3.4", Msg: "tail msg",
			Fields: map[string]string{"path": "/a]b", "q": `x "y" \z \n`},
		},
	},
	{
		name: "params of other SD elements are ignored",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 ftp - auth [timeQuality tzKnown="1"][relay@55555 user="anon" src_ip="10.0.0.1"] ok`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "ftp", EventType: "auth",
			SrcIP: "10.0.0.1", Msg: "ok", Fields: map[string]string{"user": "anon"},
		},
	},
	{
		name: "a repeated param keeps its first value",
		line: `<134>1 2026-05-02T06:00:00+00:00 d1 ftp - auth [relay@55555 user="first" user="second" src_ip="10.0.0.1"]`,
		want: model.Event{
			TS: ts("2026-05-02T06:00:00Z"), Decky: "d1", Service: "ftp", EventType: "auth",
			SrcIP: "10.0.0.1", Fields: map[string]string{"user": "first"},
		},
	},
	{
		name: "NIL SD with a message",
		line: "<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request - some message",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "http", EventType: "request",
			SrcIP: model.UnknownIP, Msg: "some message",
		},
	},
	{
		name: "rest that is neither SD nor NIL is the message",
		line: "<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request hello world",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "http", EventType: "request",
			SrcIP: model.UnknownIP, Msg: "hello world",
		},
	},
	{
		name: "broken SD is kept as message text",
		line: `<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request [relay@55555 src_ip="1.2.3.4] oops`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "http", EventType: "request",
			SrcIP: "1.2.3.4", Msg: `[relay@55555 src_ip="1.2.3.4] oops`,
		},
	},
	{
		name: "src beats client_ip by priority",
		line: `<134>1 2024-01-15T12:00:00+00:00 d1 mssql - login [relay@55555 client_ip="10.0.0.7" src="10.0.0.5"]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "mssql", EventType: "login",
			SrcIP: "10.0.0.5", Fields: map[string]string{"client_ip": "10.0.0.7", "src": "10.0.0.5"},
		},
	},
	{
		name: "an invalid address in a higher-priority field is skipped and kept",
		line: `<134>1 2024-01-15T12:00:00+00:00 d1 x - login [relay@55555 src_ip="not-an-ip" ip="10.0.0.9"]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "x", EventType: "login",
			SrcIP: "10.0.0.9", Fields: map[string]string{"src_ip": "not-an-ip", "ip": "10.0.0.9"},
		},
	},
	{
		name: "prober target_ip names the attacker",
		line: `<134>1 2024-01-15T12:00:00+00:00 decnet-prober prober - jarm [relay@55555 target_ip="203.0.113.50" jarm="2ad2ad0002ad2ad"]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decnet-prober", Service: "prober", EventType: "jarm",
			SrcIP: "203.0.113.50", Fields: map[string]string{"target_ip": "203.0.113.50", "jarm": "2ad2ad0002ad2ad"},
		},
	},
	{
		name: "fallback 1: MSG key=value of an IP field beats anchored and bare addresses",
		line: "<134>1 2024-01-15T12:00:00+00:00 d1 x - - - peer 10.9.9.9 from 10.2.2.2 client_ip=10.1.1.1",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "x",
			SrcIP: "10.1.1.1", Msg: "peer 10.9.9.9 from 10.2.2.2 client_ip=10.1.1.1",
		},
	},
	{
		name: "fallback 2: anchored rhost= beats the first bare address",
		line: "<86>1 2024-01-15T12:00:00+00:00 d1 sshd - - - pam_unix(sshd:auth): authentication failure; host 10.9.9.9 RHOST=203.0.113.77  user=root",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "sshd",
			SrcIP: "203.0.113.77", Msg: "pam_unix(sshd:auth): authentication failure; host 10.9.9.9 RHOST=203.0.113.77  user=root",
		},
	},
	{
		name: "fallback 2: anchored address may carry a port",
		line: "<86>1 2024-01-15T12:00:00+00:00 d1 app - - - Connection from [2001:db8::9]:2222 on 10.0.0.1 port 22",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "app",
			SrcIP: "2001:db8::9", Msg: "Connection from [2001:db8::9]:2222 on 10.0.0.1 port 22",
		},
	},
	{
		name: "fallback 3: first valid bare IPv4, skipping invalid ones",
		line: "<134>1 2024-01-15T12:00:00+00:00 d1 x - - - version 999.1.1.1 then 01.2.3.4 then 10.4.4.4.",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "x",
			SrcIP: "10.4.4.4", Msg: "version 999.1.1.1 then 01.2.3.4 then 10.4.4.4.",
		},
	},
	{
		name: "no address anywhere is Unknown",
		line: `<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request [relay@55555 user="admin"]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "http", EventType: "request",
			SrcIP: model.UnknownIP, Fields: map[string]string{"user": "admin"},
		},
	},
	{
		name: "explicit src_ip Unknown stops MSG guessing",
		line: `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - startup [relay@55555 src_ip="Unknown"] listening on 0.0.0.0:22`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "decky-01", Service: "ssh", EventType: "startup",
			SrcIP: model.UnknownIP, Msg: "listening on 0.0.0.0:22",
		},
	},
	{
		name: "ports, destination and session id move into typed fields",
		line: `<134>1 2024-01-15T12:00:00+00:00 d1 ssh - connect [relay@55555 dst_ip="10.0.0.2" dst_port="22" session_id="s-1" src_ip="1.2.3.4" src_port="4444" user="root"]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "ssh", EventType: "connect",
			SrcIP: "1.2.3.4", SrcPort: 4444, DstIP: "10.0.0.2", DstPort: 22, SessionID: "s-1",
			Fields: map[string]string{"user": "root"},
		},
	},
	{
		name: "invalid reserved values stay in Fields",
		line: `<134>1 2024-01-15T12:00:00+00:00 d1 ssh - connect [relay@55555 dst_ip="gateway" dst_port="0" src_ip="1.2.3.4" src_port="99999" session_id=""]`,
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d1", Service: "ssh", EventType: "connect",
			SrcIP:  "1.2.3.4",
			Fields: map[string]string{"dst_ip": "gateway", "dst_port": "0", "src_port": "99999", "session_id": ""},
		},
	},
	{
		name: "timestamp without offset is read as UTC with full precision",
		line: "<134>1 2024-01-15T12:00:00.123456789 d1 x - e -",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00.123456789Z"), Decky: "d1", Service: "x", EventType: "e", SrcIP: model.UnknownIP,
		},
	},
	{
		name: "timestamp offset is converted to UTC",
		line: "<134>1 2024-01-15T14:00:00.5+02:00 d1 x - e -",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00.5Z"), Decky: "d1", Service: "x", EventType: "e", SrcIP: model.UnknownIP,
		},
	},
	{
		name: "unparseable timestamp falls back to receipt time",
		line: "<134>1 not-a-date decky-01 http - request -",
		want: model.Event{
			TS: receivedAt, Decky: "decky-01", Service: "http", EventType: "request", SrcIP: model.UnknownIP,
		},
	},
	{
		name: "NIL header fields become empty",
		line: "<134>1 - - - - - -",
		want: model.Event{TS: receivedAt, SrcIP: model.UnknownIP},
	},
	{
		name: "control characters in header fields are neutralised",
		line: "<134>1 2024-01-15T12:00:00Z d\x1b[31m1 app\x7f - e -",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: "d_[31m1", Service: "app_", EventType: "e", SrcIP: model.UnknownIP,
		},
	},
	{
		name: "overlong header fields are truncated to the RFC limits",
		line: "<134>1 2024-01-15T12:00:00Z " + strings.Repeat("h", 300) + " " + strings.Repeat("a", 60) + " - " + strings.Repeat("m", 40) + " -",
		want: model.Event{
			TS: ts("2024-01-15T12:00:00Z"), Decky: strings.Repeat("h", 255), Service: strings.Repeat("a", 48),
			EventType: strings.Repeat("m", 32), SrcIP: model.UnknownIP,
		},
	},
}

func TestParseGoldenLines(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAt(tc.line, receivedAt)
			if err != nil {
				t.Fatalf("ParseAt(%q) error: %v", tc.line, err)
			}
			want := tc.want
			want.Raw = tc.line
			if d := diffEvent(want, got); d != "" {
				t.Errorf("ParseAt(%q) mismatch (-want +got):\n%s", tc.line, d)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	long := "<134>1 2024-01-15T12:00:00Z d1 x - e - " + strings.Repeat("a", MaxLineSize)
	for _, tc := range []struct {
		name string
		line string
		want error
	}{
		{"empty line", "", ErrMalformed},
		{"plain text", "not a syslog line", ErrMalformed},
		{"empty PRI", "<>1 ts h a - m -", ErrMalformed},
		{"PRI above 191", "<192>1 ts h a - m -", ErrMalformed},
		{"four-digit PRI", "<0134>1 ts h a - m -", ErrMalformed},
		{"unclosed PRI", "<134", ErrMalformed},
		{"version 2", "<134>2 ts h a - m -", ErrMalformed},
		{"BSD syslog", "<134>Jan 15 12:00:00 host app: hello", ErrMalformed},
		{"missing MSGID", "<134>1 ts h a -", ErrMalformed},
		{"nothing after MSGID", "<134>1 ts h a - m ", ErrMalformed},
		{"double space in header", "<134>1 ts  h a - m -", ErrMalformed},
		{"tab in header", "<134>1 ts\th a - m -", ErrMalformed},
		{"over MaxLineSize", long, ErrTooLong},
		{"invalid UTF-8", "<134>1 ts h a - m - \xff\xfe", ErrInvalidUTF8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAt(tc.line, receivedAt)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseAt(%.60q) error = %v, want %v", tc.line, err, tc.want)
			}
		})
	}
}

func TestParseMalformedErrorIsTyped(t *testing.T) {
	_, err := Parse("<134>2 nope")
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Reason == "" {
		t.Fatalf("Parse error = %#v, want a *ParseError with a reason", err)
	}
}

func TestParseAcceptsLineOfExactlyMaxLineSize(t *testing.T) {
	head := "<134>1 2024-01-15T12:00:00Z d1 x - e - "
	line := head + strings.Repeat("a", MaxLineSize-len(head))
	ev, err := Parse(line)
	if err != nil {
		t.Fatalf("Parse of a %d-byte line: %v", len(line), err)
	}
	if len(ev.Msg) != MaxLineSize-len(head) {
		t.Errorf("len(Msg) = %d, want %d", len(ev.Msg), MaxLineSize-len(head))
	}
}

func TestParseUsesClockForNilTimestamp(t *testing.T) {
	before := time.Now().UTC()
	ev, err := Parse("<134>1 - d1 x - e -")
	if err != nil {
		t.Fatal(err)
	}
	if ev.TS.Before(before) || ev.TS.Location() != time.UTC {
		t.Errorf("TS = %v, want UTC receipt time not before %v", ev.TS, before)
	}
}

// diffEvent lists the fields that differ, one per line; "" means equal.
// Fields compares nil and empty maps as equal, as consumers do.
func diffEvent(want, got model.Event) string {
	var b strings.Builder
	add := func(name string, w, g any) {
		fmt.Fprintf(&b, "%s:\n\t-%#v\n\t+%#v\n", name, w, g)
	}
	if want.ID != got.ID {
		add("ID", want.ID, got.ID)
	}
	if !want.TS.Equal(got.TS) || want.TS.Location() != got.TS.Location() {
		add("TS", want.TS, got.TS)
	}
	for _, f := range []struct {
		name string
		w, g any
	}{
		{"Decky", want.Decky, got.Decky},
		{"Service", want.Service, got.Service},
		{"EventType", want.EventType, got.EventType},
		{"SrcIP", want.SrcIP, got.SrcIP},
		{"SrcPort", want.SrcPort, got.SrcPort},
		{"DstIP", want.DstIP, got.DstIP},
		{"DstPort", want.DstPort, got.DstPort},
		{"SessionID", want.SessionID, got.SessionID},
		{"Msg", want.Msg, got.Msg},
		{"Raw", want.Raw, got.Raw},
	} {
		if f.w != f.g {
			add(f.name, f.w, f.g)
		}
	}
	if !maps.Equal(want.Fields, got.Fields) {
		add("Fields", want.Fields, got.Fields)
	}
	return b.String()
}

func BenchmarkParse(b *testing.B) {
	for _, bc := range []struct{ name, line string }{
		{"auth_attempt", authAttempt},
		{"double_wrapped_cmd", doubleWrappedCMD},
		{"prose_fallback", "<38>1 2026-04-18T08:27:21.862365+00:00 omega-decky sshd 940 - - Accepted password for root from 192.168.1.5 port 43210 ssh2"},
		// Hostile maximum-size lines aimed at the fallback scanners; their
		// cost must stay linear in the line length.
		{"hostile_anchors", hostileLine("from [ab:")},
		{"hostile_kv", hostileLine("src=x ")},
		{"hostile_dotted", hostileLine("1.1.1.")},
		{"hostile_cmd", hostileLine("CMD a=b ")},
		{"hostile_sd", "<134>1 - h a - e [relay@55555" + strings.Repeat(` a="\"`, (MaxLineSize-100)/7) + "]"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.line)))
			for b.Loop() {
				if _, err := ParseAt(bc.line, receivedAt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// hostileLine is a MaxLineSize line whose MSG repeats unit.
func hostileLine(unit string) string {
	head := "<134>1 - h a - - - "
	return head + strings.Repeat(unit, (MaxLineSize-len(head))/len(unit))
}
