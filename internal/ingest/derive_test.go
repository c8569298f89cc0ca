package ingest

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

func TestDeriveLogRowMirrorsTheEvent(t *testing.T) {
	f := map[string]string{"cmd": "uname -a"}
	ev := event("ssh", "command", f)
	ev.SessionID = "sess-1"
	ev.Raw = `<134>1 2026-03-01T12:00:00Z decky-01 bash - command [relay@55555 cmd="uname -a"] CMD`
	rec := Derive(ev, DeriveOptions{Format: func(model.Event) string { return "formatted" }})
	want := model.LogEntry{
		EventID:    ev.ID,
		Timestamp:  testTS,
		Decky:      "decky-01",
		Service:    "ssh",
		EventType:  "command",
		AttackerIP: "198.51.100.23",
		SessionID:  "sess-1",
		RawLine:    ev.Raw,
		Fields:     f,
		Msg:        "msg",
	}
	if diff := cmp.Diff(want, rec.Log); diff != "" {
		t.Errorf("log row mismatch (-want +got):\n%s", diff)
	}
	if rec.Credential != nil || len(rec.Bounties) != 0 {
		t.Errorf("a command yields only a logs row, got %+v", rec)
	}
}

func TestDeriveRawLineFallsBackToFormatter(t *testing.T) {
	ev := event("ssh", "command", nil)
	calls := 0
	rec := Derive(ev, DeriveOptions{Format: func(e model.Event) string { calls++; return "line for " + e.ID }})
	if rec.Log.RawLine != "line for "+ev.ID || calls != 1 {
		t.Errorf("raw line %q after %d calls", rec.Log.RawLine, calls)
	}
	if got := Derive(ev, DeriveOptions{}).Log.RawLine; got != "" {
		t.Errorf("without a formatter raw line = %q, want empty", got)
	}
}

func TestDeriveAttackerIPFallsBackToUnknown(t *testing.T) {
	for _, src := range []string{"", model.UnknownIP} {
		ev := event("ftp", "user", nil)
		ev.SrcIP = src
		if got := Derive(ev, DeriveOptions{}).Log.AttackerIP; got != model.UnknownIP {
			t.Errorf("src %q: attacker ip %q", src, got)
		}
	}
}

const browserHeaders = `{"Host":"10.0.0.5","User-Agent":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0","Accept":"text/html","Accept-Language":"en-US","Accept-Encoding":"gzip","Connection":"keep-alive","Cookie":"a=b","Upgrade-Insecure-Requests":"1"}`

func TestDeriveUserAgentBounty(t *testing.T) {
	tests := []struct {
		name    string
		service string
		headers string
		want    string // exact payload, "" for no bounty
	}{
		{
			name:    "browser",
			service: "http",
			headers: browserHeaders,
			want:    `{"fingerprint_type":"http_useragent","value":"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0","category":"browser","tool":"firefox","signals":null}`,
		},
		{
			name:    "any service logging headers gets a user-agent fingerprint",
			service: "docker_api",
			headers: `{"User-Agent":"Go-http-client/1.1"}`,
			want:    `{"fingerprint_type":"http_useragent","value":"Go-http-client/1.1","category":"library","tool":"go-http-client","signals":null}`,
		},
		{
			name:    "lowercase header name",
			service: "http",
			headers: `[["host","x"],["user-agent","curl/8.5.0"]]`,
			want:    `{"fingerprint_type":"http_useragent","value":"curl/8.5.0","category":"cli","tool":"curl","signals":null}`,
		},
		{
			name:    "empty user-agent counts",
			service: "http",
			headers: `{"User-Agent":""}`,
			want:    `{"fingerprint_type":"http_useragent","value":"","category":"empty","tool":"","signals":["suspicious_short"]}`,
		},
		{
			name:    "markup stays literal and unescaped",
			service: "http",
			headers: `{"User-Agent":"<script>alert(1)</script> ${jndi:ldap://x/a}"}`,
			want:    `{"fingerprint_type":"http_useragent","value":"<script>alert(1)</script> ${jndi:ldap://x/a}","category":"nonstandard","tool":"","signals":["injection_like"]}`,
		},
		{name: "no user-agent header", service: "http", headers: `{"Host":"x"}`},
		{name: "python dict repr is not parsed", service: "http", headers: `{'User-Agent': 'curl/8'}`},
		{name: "not json at all", service: "http", headers: `User-Agent: curl/8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Derive(event(tt.service, "request", map[string]string{"headers": tt.headers}), DeriveOptions{})
			b, ok := bountiesOf(t, rec)["fingerprint/http_useragent"]
			if tt.want == "" {
				if ok {
					t.Fatalf("want no user-agent bounty, got %s", b.Payload)
				}
				return
			}
			if !ok {
				t.Fatalf("no user-agent bounty in %v", keys(bountiesOf(t, rec)))
			}
			if string(b.Payload) != tt.want {
				t.Errorf("payload\n got %s\nwant %s", b.Payload, tt.want)
			}
			if b.Timestamp != testTS || b.Decky != "decky-01" || b.Service != tt.service || b.AttackerIP != "198.51.100.23" {
				t.Errorf("row metadata %+v", b)
			}
		})
	}
}

func TestClassifyUserAgent(t *testing.T) {
	tests := []struct {
		ua, category, tool string
		signals            []string
	}{
		{"", "empty", "", []string{"suspicious_short"}},
		{"Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "scanner", "nmap", nil},
		{"Mozilla/5.0 zgrab/0.x", "scanner", "zgrab", nil},
		{"DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", "scanner", "dirbuster", nil},
		{"sqlmap/1.8#stable (https://sqlmap.org)", "scanner", "sqlmap", nil},
		{"Fuzz Faster U Fool v2.1.0 ffuf", "scanner", "ffuf", nil},
		{"curl/7.88.1", "cli", "curl", nil},
		{"Wget/1.21.4", "cli", "wget", nil},
		{"HTTPie/3.2.2", "cli", "httpie", nil},
		{"xh/0.20.1", "cli", "xh", nil},
		{"fetch libfetch/2.0", "cli", "fetch", nil},
		{"xhtml-validator/1.0", "nonstandard", "", nil},
		{"python-requests/2.31.0", "library", "python-requests", nil},
		{"Python/3.11 aiohttp/3.9.1", "library", "aiohttp", nil},
		{"python-urllib3/2.0.7", "library", "urllib3", nil},
		{"Python-urllib/3.12", "library", "python-urllib", nil},
		{"Go-http-client/2.0", "library", "go-http-client", nil},
		{"okhttp/4.12.0", "library", "okhttp", nil},
		{"libwww-perl/6.72", "library", "libwww-perl", nil},
		{"Java/17.0.2", "library", "java", nil},
		{"Apache-HttpClient/4.5.14 (Java/17.0.2)", "library", "apache-httpclient", nil},
		{"axios/1.6.2", "library", "axios", nil},
		{"node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "library", "node-fetch", nil},
		{"Ruby", "library", "ruby", []string{"suspicious_short"}},
		{"Gotham/1.0", "nonstandard", "", nil},
		{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot", "Googlebot", nil},
		{"Mozilla/5.0 (compatible; YandexSpider/3.0)", "bot", "YandexSpider", nil},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", "browser", "chrome", nil},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0", "browser", "edge", nil},
		{"Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)", "browser", "internet-explorer", nil},
		{"Mozilla/X", "nonstandard", "", nil},
		{"Hello, World", "nonstandard", "", nil},
		{"abc", "nonstandard", "", []string{"suspicious_short"}},
		{"agent\x00\x01x", "nonstandard", "", []string{"nonprintable"}},
		{"agent \xff\xfe bytes", "nonstandard", "", []string{"nonprintable"}},
		{"' OR 1=1 -- ", "nonstandard", "", []string{"injection_like"}},
		{"() { :; }; /bin/cat /../../etc/passwd", "nonstandard", "", []string{"injection_like"}},
		{"{{7*7}}", "nonstandard", "", []string{"suspicious_short", "injection_like"}},
		{"Mozilla/5.0 " + strings.Repeat("A", 600), "browser", "", []string{"suspicious_long"}},
	}
	for _, tt := range tests {
		cat, tool, sig := classifyUserAgent(tt.ua)
		if cat != tt.category || tool != tt.tool || !cmp.Equal(sig, tt.signals) {
			t.Errorf("classifyUserAgent(%q) = %q, %q, %v; want %q, %q, %v", tt.ua, cat, tool, sig, tt.category, tt.tool, tt.signals)
		}
	}
}

func TestDeriveProxyHeaderClaims(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("2001:db8:aa::/48")}
	tests := []struct {
		name    string
		service string
		src     string
		headers string
		// key is the expected bounty key ("" = neither); want its payload.
		key, want string
	}{
		{
			name: "public X-Forwarded-For claim is an ip leak",
			src:  "198.51.100.23", headers: `{"Host":"x","X-Forwarded-For":"8.8.4.4, 10.0.0.1"}`,
			key:  "ip_leak",
			want: `{"source_ip":"198.51.100.23","real_ip_claim":"8.8.4.4","source_header":"X-Forwarded-For","headers_seen":{"X-Forwarded-For":"8.8.4.4, 10.0.0.1"}}`,
		},
		{
			name: "left-most parseable entry wins",
			src:  "198.51.100.23", headers: `{"x-forwarded-for":"garbage, unknown, 9.9.9.9"}`,
			key:  "ip_leak",
			want: `{"source_ip":"198.51.100.23","real_ip_claim":"9.9.9.9","source_header":"X-Forwarded-For","headers_seen":{"X-Forwarded-For":"garbage, unknown, 9.9.9.9"}}`,
		},
		{
			name: "Forwarded is believed before X-Forwarded-For and IPv6 brackets and port are stripped",
			src:  "198.51.100.23", headers: `{"X-Forwarded-For":"8.8.8.8","Forwarded":"for=\"[2606:4700::1111]:4711\";proto=https, for=1.2.3.4"}`,
			key:  "ip_leak",
			want: `{"source_ip":"198.51.100.23","real_ip_claim":"2606:4700::1111","source_header":"Forwarded","headers_seen":{"Forwarded":"for=\"[2606:4700::1111]:4711\";proto=https, for=1.2.3.4","X-Forwarded-For":"8.8.8.8"}}`,
		},
		{
			name: "obfuscated Forwarded falls through to the next header",
			src:  "198.51.100.23", headers: `{"Forwarded":"for=_hidden","X-Real-IP":"1.1.1.1:8080"}`,
			key:  "ip_leak",
			want: `{"source_ip":"198.51.100.23","real_ip_claim":"1.1.1.1","source_header":"X-Real-IP","headers_seen":{"Forwarded":"for=_hidden","X-Real-IP":"1.1.1.1:8080"}}`,
		},
		{
			name: "private claim is a spoofed source",
			src:  "198.51.100.23", headers: `{"X-Real-IP":"192.168.1.10"}`,
			key:  "fingerprint/spoofed_source",
			want: `{"fingerprint_type":"spoofed_source","source_ip":"198.51.100.23","claimed_ip":"192.168.1.10","source_header":"X-Real-IP","headers_seen":{"X-Real-IP":"192.168.1.10"},"claim_category":"private"}`,
		},
		{
			name: "loopback claim over IPv6 source",
			src:  "2001:db8:1::5", headers: `{"True-Client-IP":"::1"}`,
			key:  "fingerprint/spoofed_source",
			want: `{"fingerprint_type":"spoofed_source","source_ip":"2001:db8:1::5","claimed_ip":"::1","source_header":"True-Client-IP","headers_seen":{"True-Client-IP":"::1"},"claim_category":"loopback"}`,
		},
		{
			name: "IPv4-mapped loopback is loopback",
			src:  "198.51.100.23", headers: `{"CF-Connecting-IP":"::ffff:127.0.0.1"}`,
			key:  "fingerprint/spoofed_source",
			want: `{"fingerprint_type":"spoofed_source","source_ip":"198.51.100.23","claimed_ip":"127.0.0.1","source_header":"CF-Connecting-IP","headers_seen":{"CF-Connecting-IP":"::ffff:127.0.0.1"},"claim_category":"loopback"}`,
		},
		{
			name: "public IPv6 claim from an IPv6 source",
			src:  "2001:db8:1::5", headers: `{"X-Forwarded-For":"2a00:1450:4001::200e"}`,
			key:  "ip_leak",
			want: `{"source_ip":"2001:db8:1::5","real_ip_claim":"2a00:1450:4001::200e","source_header":"X-Forwarded-For","headers_seen":{"X-Forwarded-For":"2a00:1450:4001::200e"}}`,
		},
		{name: "trusted proxy source is skipped", src: "10.9.3.4", headers: `{"X-Forwarded-For":"8.8.8.8"}`},
		{name: "trusted IPv6 proxy source is skipped", src: "2001:db8:aa::10", headers: `{"X-Forwarded-For":"127.0.0.1"}`},
		{name: "claim equal to source is no finding", src: "198.51.100.23", headers: `{"X-Real-IP":"198.51.100.23"}`},
		{name: "unparseable claim is no finding", src: "198.51.100.23", headers: `{"X-Real-IP":"localhost"}`},
		{name: "non-http services are not checked", service: "docker_api", src: "198.51.100.23", headers: `{"X-Forwarded-For":"8.8.8.8"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := tt.service
			if svc == "" {
				svc = "http"
			}
			ev := event(svc, "request", map[string]string{"headers": tt.headers})
			ev.SrcIP = tt.src
			got := bountiesOf(t, Derive(ev, DeriveOptions{TrustedProxies: trusted}))
			leak, hasLeak := got["ip_leak"]
			spoof, hasSpoof := got["fingerprint/spoofed_source"]
			switch tt.key {
			case "":
				if hasLeak || hasSpoof {
					t.Fatalf("want no proxy finding, got %v", keys(got))
				}
			case "ip_leak":
				if !hasLeak || hasSpoof {
					t.Fatalf("want ip_leak only, got %v", keys(got))
				}
				if string(leak.Payload) != tt.want {
					t.Errorf("payload\n got %s\nwant %s", leak.Payload, tt.want)
				}
				if leak.AttackerIP != tt.src {
					t.Errorf("leak filed under %q, want the source %q", leak.AttackerIP, tt.src)
				}
			default:
				if !hasSpoof || hasLeak {
					t.Fatalf("want spoofed_source only, got %v", keys(got))
				}
				if string(spoof.Payload) != tt.want {
					t.Errorf("payload\n got %s\nwant %s", spoof.Payload, tt.want)
				}
			}
		})
	}
}

func TestClaimCategory(t *testing.T) {
	tests := map[string]string{
		"0.0.0.0":         "unspecified",
		"::":              "unspecified",
		"127.8.8.8":       "loopback",
		"169.254.1.1":     "link_local",
		"fe80::1":         "link_local",
		"224.0.0.251":     "multicast",
		"ff02::1":         "multicast",
		"240.1.2.3":       "reserved",
		"255.255.255.255": "reserved",
		"192.0.2.1":       "reserved",
		"2001:db8::1":     "reserved",
		"10.1.2.3":        "private",
		"172.16.0.1":      "private",
		"100.64.0.1":      "private",
		"fd00::1":         "private",
		"8.8.8.8":         "public",
		"2606:4700::1111": "public",
	}
	for ip, want := range tests {
		if got := claimCategory(netip.MustParseAddr(ip)); got != want {
			t.Errorf("claimCategory(%s) = %s, want %s", ip, got, want)
		}
	}
}

func TestDeriveHTTPQuirks(t *testing.T) {
	tests := []struct {
		name, service, headers string
		wantOrder              []string
		wantCasing, wantTool   string
	}{
		{
			name: "curl", service: "http",
			headers:   `[["Host","x"],["User-Agent","curl/8.5.0"],["Accept","*/*"]]`,
			wantOrder: []string{"Host", "User-Agent", "Accept"}, wantCasing: "title", wantTool: "curl",
		},
		{
			name: "curl posting a body", service: "http",
			headers:   `[["Host","x"],["User-Agent","curl/8.5.0"],["Accept","*/*"],["Content-Length","3"],["Content-Type","application/x-www-form-urlencoded"]]`,
			wantOrder: []string{"Host", "User-Agent", "Accept", "Content-Type"}, wantCasing: "title", wantTool: "curl",
		},
		{
			name: "firefox is not curl although it starts the same way; volatile headers are dropped", service: "https",
			headers:    browserHeaders,
			wantOrder:  []string{"Host", "User-Agent", "Accept", "Accept-Language", "Accept-Encoding", "Connection", "Upgrade-Insecure-Requests"},
			wantCasing: "title", wantTool: "",
		},
		{
			name: "python-requests in lowercase", service: "http",
			headers:   `{"host":"x","user-agent":"python-requests/2.31","accept-encoding":"gzip","accept":"*/*","connection":"keep-alive"}`,
			wantOrder: []string{"host", "user-agent", "accept-encoding", "accept", "connection"}, wantCasing: "lower", wantTool: "python-requests",
		},
		{
			name: "mixed casings", service: "http",
			headers:   `{"HOST":"x","user-agent":"x","X-Forwarded-For":"1.2.3.4"}`,
			wantOrder: []string{"HOST", "user-agent"}, wantCasing: "mixed", wantTool: "nmap-nse",
		},
		{
			name: "only volatile headers", service: "http",
			headers:   `{"Cookie":"a","Authorization":"Basic eDp5"}`,
			wantOrder: []string{}, wantCasing: "empty", wantTool: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Derive(event(tt.service, "request", map[string]string{"headers": tt.headers}), DeriveOptions{})
			b, ok := bountiesOf(t, rec)["fingerprint/http_quirks"]
			if !ok {
				t.Fatal("no http_quirks bounty")
			}
			lowered := make([]string, len(tt.wantOrder))
			casings := make([]string, len(tt.wantOrder))
			order := make([]any, len(tt.wantOrder))
			for i, n := range tt.wantOrder {
				lowered[i] = strings.ToLower(n)
				casings[i] = casingOf(n)
				order[i] = n
			}
			want := map[string]any{
				"fingerprint_type": "http_quirks",
				"order_hash":       shortHash(strings.Join(lowered, "\n")),
				"order":            order,
				"casing_hash":      shortHash(strings.Join(casings, "\n")),
				"casing_category":  tt.wantCasing,
				"stable_count":     float64(len(tt.wantOrder)),
				"tool_guess":       tt.wantTool,
			}
			if diff := cmp.Diff(want, payloadMap(t, b)); diff != "" {
				t.Errorf("http_quirks mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHTTPQuirksOrderHashIsSHA256Prefix(t *testing.T) {
	// sha256("host\nuser-agent\naccept")[:16], computed with Python hashlib.
	const want = "b1c589ad3fbc85b1"
	got := httpQuirks([]header{{"Host", ""}, {"User-Agent", ""}, {"Accept", ""}}).OrderHash
	if got != shortHash("host\nuser-agent\naccept") || len(got) != 16 {
		t.Fatalf("order hash %q", got)
	}
	if got != want {
		t.Errorf("order hash %q, want %q", got, want)
	}
}

func TestDeriveHTTPQuirksOnlyForWebDecoys(t *testing.T) {
	rec := Derive(event("elasticsearch", "request", map[string]string{"headers": `{"Host":"x"}`}), DeriveOptions{})
	if _, ok := bountiesOf(t, rec)["fingerprint/http_quirks"]; ok {
		t.Error("http_quirks from a non-web service")
	}
}

func TestCasingOf(t *testing.T) {
	tests := map[string]string{
		"":                "empty",
		"HOST":            "upper",
		"X-1":             "upper",
		"123":             "upper",
		"host":            "lower",
		"Host":            "title",
		"X-Forwarded-For": "title",
		"Sec-CH-UA":       "mixed",
		"X-forwarded-For": "mixed",
		"hOST":            "mixed",
		"A1-Header":       "mixed",
	}
	for in, want := range tests {
		if got := casingOf(in); got != want {
			t.Errorf("casingOf(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseHeaders(t *testing.T) {
	tests := []struct {
		name, in string
		want     []header
	}{
		{"object keeps arrival order", `{"B":"1","A":"2","C":"3"}`, []header{{"B", "1"}, {"A", "2"}, {"C", "3"}}},
		{"array of pairs keeps order and repeats", `[["B","1"],["A","2"],["B","3"]]`, []header{{"B", "1"}, {"A", "2"}, {"B", "3"}}},
		{"escapes are decoded", `{"X-\u0041":"a\"b\\c\n","Y":"\ud83d\ude00"}`, []header{{"X-A", "a\"b\\c\n"}, {"Y", "😀"}}},
		{"whitespace is allowed", " {\n \"A\" : \"1\" ,\t\"B\":\"2\" } ", []header{{"A", "1"}, {"B", "2"}}},
		{"list values are folded", `{"Accept":["a","b"],"X":[]}`, []header{{"Accept", "a, b"}, {"X", ""}}},
		{"non-string values are skipped", `{"A":1,"B":{"x":[1,2]},"C":null,"D":"ok","E":[1]}`, []header{{"D", "ok"}}},
		{"python dict repr yields nothing", `{'User-Agent': 'curl'}`, nil},
		{"truncated object keeps what was complete", `{"A":"1","B":"2`, []header{{"A", "1"}}},
		{"empty object", `{}`, nil},
		{"empty array", `[]`, nil},
		{"scalar", `"x"`, nil},
		{"empty string", ``, nil},
		{"invalid utf-8 is replaced as encoding/json does", "{\"A\":\"\xff\"}", []header{{"A", "\ufffd"}}},
		{"raw control character is invalid", "{\"A\":\"a\x01\"}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseHeaders(tt.in)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(header{})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseHeadersBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 500 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`["H","v"]`)
	}
	b.WriteString("]")
	if got := len(parseHeaders(b.String())); got != maxHeaders {
		t.Errorf("kept %d headers, want %d", got, maxHeaders)
	}
	huge := `{"A":"` + strings.Repeat("x", maxHeadersJSON) + `"}`
	if got := parseHeaders(huge); got != nil {
		t.Errorf("oversized headers field parsed: %d headers", len(got))
	}
}

func TestDeriveSensorAndArtifactBounties(t *testing.T) {
	tests := []struct {
		name, service, eventType string
		fields                   map[string]string
		// want maps bounty key → exact payload; attackerIP is where the
		// rows must be filed ("" = the event source).
		want       map[string]string
		attackerIP string
	}{
		{
			name: "vnc client version", service: "vnc", eventType: "version",
			fields: map[string]string{"client_version": "RFB 003.008"},
			want:   map[string]string{"fingerprint/vnc_client_version": `{"fingerprint_type":"vnc_client_version","value":"RFB 003.008"}`},
		},
		{
			name: "vnc client version needs the version event", service: "vnc", eventType: "connect",
			fields: map[string]string{"client_version": "RFB 003.008"},
			want:   map[string]string{},
		},
		{
			name: "sniffer ja3", service: "sniffer", eventType: "tls_client_hello",
			fields: map[string]string{"ja3": "771,4865", "ja4": "t13d1516h2_8daaf6152771_02713d6af862", "sni": "example.com", "dst_port": "443"},
			want: map[string]string{
				"fingerprint/ja3": `{"fingerprint_type":"ja3","ja3":"771,4865","ja4":"t13d1516h2_8daaf6152771_02713d6af862","sni":"example.com","dst_port":"443"}`,
			},
		},
		{
			name: "https decoy client hello", service: "https", eventType: "tls_client_hello",
			fields: map[string]string{"ja3": "e7d705a3286e19ea42f587b344ee6865", "ja4": "t13d1516h2_8daaf6152771_02713d6af862", "sni": "web-42.corp.local", "alpn": "h2,http/1.1"},
			want: map[string]string{
				"fingerprint/ja3": `{"fingerprint_type":"ja3","ja3":"e7d705a3286e19ea42f587b344ee6865","ja4":"t13d1516h2_8daaf6152771_02713d6af862","sni":"web-42.corp.local","alpn":"h2,http/1.1"}`,
			},
		},
		{
			name: "smtp starttls client hello", service: "smtp", eventType: "starttls",
			fields: map[string]string{"ja3": "a0e9f5d64349fb13191bc781f81f42e1", "ja4": "t13d311100_e8f1e7e78f70_d41ae481755e", "negotiated_version": "TLS 1.3"},
			want: map[string]string{
				"fingerprint/ja3": `{"fingerprint_type":"ja3","ja3":"a0e9f5d64349fb13191bc781f81f42e1","ja4":"t13d311100_e8f1e7e78f70_d41ae481755e"}`,
			},
		},
		{
			name: "a ja3 field on another event is no fingerprint", service: "http", eventType: "request",
			fields: map[string]string{"ja3": "e7d705a3286e19ea42f587b344ee6865"},
			want:   map[string]string{},
		},
		{
			name: "sniffer session with latency, resumption and certificate", service: "sniffer", eventType: "tls_session",
			fields: map[string]string{"ja4l_rtt_ms": "12.5", "ja4l_client_ttl": "64", "resumption": "session_ticket", "subject_cn": "evil.example", "issuer": "evil.example", "self_signed": "true", "sni": "evil.example"},
			want: map[string]string{
				"fingerprint/ja4l":            `{"fingerprint_type":"ja4l","rtt_ms":"12.5","client_ttl":"64"}`,
				"fingerprint/tls_resumption":  `{"fingerprint_type":"tls_resumption","mechanisms":"session_ticket"}`,
				"fingerprint/tls_certificate": `{"fingerprint_type":"tls_certificate","subject_cn":"evil.example","issuer":"evil.example","self_signed":"true","sni":"evil.example"}`,
			},
		},
		{
			name: "ja3 from a service other than the sniffer is ignored", service: "http", eventType: "request",
			fields: map[string]string{"ja3": "771,4865", "jarm_hash": "abc"},
			want:   map[string]string{},
		},
		{
			name: "prober jarm is filed under the target", service: "prober", eventType: "jarm_fingerprint",
			fields:     map[string]string{"jarm_hash": "2ad2ad0002ad2ad00042d42d000000", "target_ip": "203.0.113.50", "target_port": "443"},
			want:       map[string]string{"fingerprint/jarm": `{"fingerprint_type":"jarm","hash":"2ad2ad0002ad2ad00042d42d000000","target_ip":"203.0.113.50","target_port":"443"}`},
			attackerIP: "203.0.113.50",
		},
		{
			name: "prober target that is not an address is unknown", service: "prober", eventType: "jarm_fingerprint",
			fields:     map[string]string{"jarm_hash": "h", "target_ip": "evil'; DROP TABLE bounty;--", "target_port": "443"},
			want:       map[string]string{"fingerprint/jarm": `{"fingerprint_type":"jarm","hash":"h","target_ip":"Unknown","target_port":"443"}`},
			attackerIP: model.UnknownIP,
		},
		{
			name: "prober certificate", service: "prober", eventType: "tls_certificate",
			fields:     map[string]string{"subject_cn": "c2.example", "cert_sha256": "ab12", "target_ip": "203.0.113.50", "target_port": "8443"},
			want:       map[string]string{"fingerprint/tls_certificate": `{"fingerprint_type":"tls_certificate","subject_cn":"c2.example","cert_sha256":"ab12","target_ip":"203.0.113.50","target_port":"8443"}`},
			attackerIP: "203.0.113.50",
		},
		{
			name: "prober hassh", service: "prober", eventType: "hassh_fingerprint",
			fields:     map[string]string{"hassh_server_hash": "b12d", "target_ip": "203.0.113.50", "target_port": "22", "ssh_banner": "SSH-2.0-OpenSSH_9.6", "kex_algorithms": "curve25519-sha256"},
			want:       map[string]string{"fingerprint/hassh_server": `{"fingerprint_type":"hassh_server","hash":"b12d","target_ip":"203.0.113.50","target_port":"22","ssh_banner":"SSH-2.0-OpenSSH_9.6","kex_algorithms":"curve25519-sha256"}`},
			attackerIP: "203.0.113.50",
		},
		{
			name: "prober tcpfp", service: "prober", eventType: "tcpfp_fingerprint",
			fields:     map[string]string{"tcpfp_hash": "f00d", "tcpfp_raw": "64:64240:1:1460:7:1:1:MSTNW", "target_ip": "203.0.113.50", "target_port": "22", "ttl": "64", "mss": "1460"},
			want:       map[string]string{"fingerprint/tcpfp": `{"fingerprint_type":"tcpfp","hash":"f00d","raw":"64:64240:1:1460:7:1:1:MSTNW","target_ip":"203.0.113.50","target_port":"22","ttl":"64","mss":"1460"}`},
			attackerIP: "203.0.113.50",
		},
		{
			name: "prober icmp error leak", service: "prober", eventType: "icmp_error_leak",
			fields: map[string]string{
				"icmp_matrix": "1100", "icmp_fp_hash": "beef", "target_ip": "203.0.113.50",
				"icmp_port_unreach": "1", "icmp_port_unreach_rtt_ms": "3.1", "icmp_time_exceeded": "1",
				"icmp_time_exceeded_rtt_ms": "4.2", "icmp_time_exceeded_hop": "192.0.2.1", "icmp_frag_needed": "0",
			},
			want:       map[string]string{"fingerprint/icmp_error": `{"fingerprint_type":"icmp_error","matrix":"1100","fp_hash":"beef","target_ip":"203.0.113.50","errors":{"port_unreachable":{"returned":true,"rtt_ms":"3.1"},"time_exceeded":{"returned":true,"rtt_ms":"4.2","src_ip":"192.0.2.1"},"frag_needed":{"returned":false},"param_problem":{"returned":false}}}`},
			attackerIP: "203.0.113.50",
		},
		{
			name: "prober icmp6 error leak", service: "prober", eventType: "icmp6_error_leak",
			fields: map[string]string{
				"icmp6_matrix": "1000", "icmp6_fp_hash": "cafe", "target_ip": "2001:db8::9",
				"icmp6_port_unreach": "1", "icmp6_port_unreach_rtt_ms": "1.5", "icmp6_hop_limit_exceeded_hop": "2001:db8::1",
			},
			want:       map[string]string{"fingerprint/icmp6_error": `{"fingerprint_type":"icmp6_error","matrix":"1000","fp_hash":"cafe","target_ip":"2001:db8::9","errors":{"port_unreachable_v6":{"returned":true,"rtt_ms":"1.5"},"hop_limit_exceeded":{"returned":false,"src_ip":"2001:db8::1"},"unknown_next_header":{"returned":false},"bad_dest_option":{"returned":false}}}`},
			attackerIP: "2001:db8::9",
		},
		{
			name: "ja4h", service: "http", eventType: "http_request_fingerprint",
			fields: map[string]string{"ja4h": "ge11nn05enus_9ed1ff1f7b03_000000000000_000000000000", "proto": "HTTP/1.1", "method": "GET", "path": "/wp-login.php", "remote_addr": "198.51.100.23:40000"},
			want:   map[string]string{"fingerprint/ja4h": `{"fingerprint_type":"ja4h","ja4h":"ge11nn05enus_9ed1ff1f7b03_000000000000_000000000000","protocol":"HTTP/1.1","method":"GET"}`},
		},
		{
			name: "ja4h needs the fingerprint event", service: "http", eventType: "request",
			fields: map[string]string{"ja4h": "ge11"},
			want:   map[string]string{},
		},
		{
			name: "http2 settings", service: "http", eventType: "http2_settings",
			fields: map[string]string{"settings": "1:65536;2:0;4:6291456;6:262144", "frame_order": "SETTINGS,WINDOW_UPDATE,HEADERS"},
			want:   map[string]string{"fingerprint/http2_settings": `{"fingerprint_type":"http2_settings","settings":"1:65536;2:0;4:6291456;6:262144","frame_order":"SETTINGS,WINDOW_UPDATE,HEADERS","protocol":"h2"}`},
		},
		{
			name: "http3 settings", service: "https", eventType: "http3_settings",
			fields: map[string]string{"settings": "1:0;7:100"},
			want:   map[string]string{"fingerprint/http3_settings": `{"fingerprint_type":"http3_settings","settings":"1:0;7:100","protocol":"h3"}`},
		},
		{
			name: "ja4 quic", service: "sniffer", eventType: "quic_client_hello",
			fields: map[string]string{"ja4_quic": "q13d0310h3_55b375c5d22e_cd85d2d88918", "sni": "example.com", "alpn": "h3"},
			want:   map[string]string{"fingerprint/ja4_quic": `{"fingerprint_type":"ja4_quic","ja4_quic":"q13d0310h3_55b375c5d22e_cd85d2d88918","sni":"example.com","alpn":"h3"}`},
		},
		{
			name: "captured file", service: "ssh", eventType: "file_captured",
			fields: map[string]string{"stored_as": "2026-03-01T12:00:00Z_abcdef012345_x.sh", "sha256": "abcdef", "size": "120", "orig_path": "/tmp/x.sh", "attribution": "pid-chain", "writer_comm": "wget", "ssh_user": "root"},
			want:   map[string]string{"artifact/file": `{"kind":"file","stored_as":"2026-03-01T12:00:00Z_abcdef012345_x.sh","sha256":"abcdef","size":"120","orig_path":"/tmp/x.sh","attribution":"pid-chain","writer_comm":"wget"}`},
		},
		{
			name: "captured file without stored_as is not an artifact", service: "ssh", eventType: "file_captured",
			fields: map[string]string{"sha256": "abcdef"},
			want:   map[string]string{},
		},
		{
			name: "stored mail", service: "smtp_relay", eventType: "message_stored",
			fields: map[string]string{
				"stored_as": "m.eml", "sha256": "aa", "size": "900", "msg_id": "4XyZ", "subject": "Invoice", "from_hdr": "a@x", "to_hdr": "b@y",
				"mail_from": "a@x", "rcpt_to": "b@y", "content_type": "multipart/mixed", "attachment_count": "1",
				"attachments_json": `[{"filename":"inv.docm","content_type":"application/vnd.ms-word","size":2048,"sha256":"bb","macro_indicator":true,"encrypted":false}]`,
			},
			want: map[string]string{"artifact/mail": `{"kind":"mail","stored_as":"m.eml","sha256":"aa","size":"900","msg_id":"4XyZ","subject":"Invoice","from_hdr":"a@x","to_hdr":"b@y","mail_from":"a@x","rcpt_to":"b@y","content_type":"multipart/mixed","attachment_count":"1","attachments":[{"filename":"inv.docm","content_type":"application/vnd.ms-word","size":2048,"sha256":"bb","macro_indicator":true,"encrypted":false}]}`},
		},
		{
			name: "stored mail with junk attachment list keeps the artifact", service: "smtp_relay", eventType: "message_stored",
			fields: map[string]string{"stored_as": "m.eml", "attachments_json": "[{'filename': 'x'}]"},
			want:   map[string]string{"artifact/mail": `{"kind":"mail","stored_as":"m.eml"}`},
		},
		{
			name: "message_accepted is not an artifact", service: "smtp_relay", eventType: "message_accepted",
			fields: map[string]string{"stored_as": "m.eml"},
			want:   map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Derive(event(tt.service, tt.eventType, tt.fields), DeriveOptions{})
			got := bountiesOf(t, rec)
			gotPayloads := map[string]string{}
			for k, b := range got {
				gotPayloads[k] = string(b.Payload)
				wantIP := tt.attackerIP
				if wantIP == "" {
					wantIP = "198.51.100.23"
				}
				if b.AttackerIP != wantIP {
					t.Errorf("%s filed under %q, want %q", k, b.AttackerIP, wantIP)
				}
				if b.Service != tt.service || b.Decky != "decky-01" || b.Timestamp != testTS {
					t.Errorf("%s row metadata %+v", k, b)
				}
			}
			if diff := cmp.Diff(tt.want, gotPayloads); diff != "" {
				t.Errorf("bounties mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeriveProberLogRowUsesTargetWhenSourceIsUnset(t *testing.T) {
	ev := event("prober", "jarm_fingerprint", map[string]string{"jarm_hash": "h", "target_ip": "203.0.113.50"})
	ev.SrcIP = ""
	if got := Derive(ev, DeriveOptions{}).Log.AttackerIP; got != "203.0.113.50" {
		t.Errorf("attacker ip %q", got)
	}
}

func TestDerivePayloadBytesAreDeterministic(t *testing.T) {
	evs := []model.Event{
		event("http", "request", map[string]string{
			"headers":    `{"Host":"x","User-Agent":"sqlmap/1.8","X-Forwarded-For":"10.0.0.1","Accept":"*/*"}`,
			"secret_b64": b64("pw"), "username": "admin", "method": "POST", "path": "/login",
		}),
		event("prober", "tcpfp_fingerprint", map[string]string{"tcpfp_hash": "h", "ttl": "64", "mss": "1460", "target_ip": "203.0.113.9", "icmp_fp_hash": "x"}),
		event("smtp_relay", "message_stored", map[string]string{"stored_as": "m", "subject": "s", "attachments_json": `[{"filename":"a"},{"filename":"b"}]`}),
	}
	for _, ev := range evs {
		first := Derive(ev, DeriveOptions{})
		if len(first.Bounties) == 0 {
			t.Fatalf("%s/%s: no bounties", ev.Service, ev.EventType)
		}
		for range 50 {
			again := Derive(ev, DeriveOptions{})
			if len(again.Bounties) != len(first.Bounties) {
				t.Fatalf("bounty count changed")
			}
			for i := range again.Bounties {
				if !bytes.Equal(again.Bounties[i].Payload, first.Bounties[i].Payload) {
					t.Fatalf("payload bytes changed:\n%s\n%s", first.Bounties[i].Payload, again.Bounties[i].Payload)
				}
			}
		}
	}
}

func TestDeriveIgnoresRequestDetailsInIdentityPayloads(t *testing.T) {
	// Two requests by one client to different paths must yield byte-equal
	// fingerprints, or the bounty table grows a row per URL.
	mk := func(path, port string) model.IngestRecord {
		return Derive(event("http", "request", map[string]string{
			"headers": `{"Host":"x","User-Agent":"Nuclei - Open-source project (github.com/projectdiscovery/nuclei)","Accept":"*/*"}`,
			"method":  "GET", "path": path, "remote_addr": "198.51.100.23:" + port,
		}), DeriveOptions{})
	}
	a, b := mk("/.env", "40000"), mk("/.git/config", "40001")
	if len(a.Bounties) != 2 || len(a.Bounties) != len(b.Bounties) {
		t.Fatalf("bounties: %d vs %d", len(a.Bounties), len(b.Bounties))
	}
	for i := range a.Bounties {
		if !bytes.Equal(a.Bounties[i].Payload, b.Bounties[i].Payload) {
			t.Errorf("payload differs by request:\n%s\n%s", a.Bounties[i].Payload, b.Bounties[i].Payload)
		}
	}
}
