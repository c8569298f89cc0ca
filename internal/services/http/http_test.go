package http

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

var (
	keysOnce sync.Once
	keys     *decky.Keys
	keysErr  error
)

// testKeys are one decky's persisted keys, generated once per test binary
// (RSA generation is slow).
func testKeys(t *testing.T) *decky.Keys {
	t.Helper()
	keysOnce.Do(func() {
		keys, keysErr = decky.LoadOrCreateKeys(t.TempDir(), "web-01", "web-42.corp.local", []net.IP{net.ParseIP("127.0.0.1")}, []string{"web-42.corp.local"})
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

// serve runs the http (or https) service for a debian decky with cfg and
// returns its address and the events it emits.
func serve(t *testing.T, tls bool, cfg map[string]string) (string, *servicetest.Events) {
	t.Helper()
	d := model.Decky{Name: "web-01", Hostname: "web-42.corp.local", Distro: "debian", NmapOS: "linux", Seed: 7, IP: "127.0.0.1"}
	svc := Service{TLS: tls}
	validated, err := svc.Schema().Validate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	env, evs := servicetest.NewEnv(svc, d, validated)
	if tls {
		env.TLS = &testKeys(t).TLS
	}
	return servicetest.Start(t, svc, env, "127.0.0.1:0"), evs
}

func curl(t *testing.T, args ...string) string {
	t.Helper()
	bin := testenv.Binary(t, "curl")
	out, err := exec.Command(bin, append([]string{"-sS", "--max-time", "10"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// headerNames returns the names in a headers field, in order.
func headerNames(t *testing.T, raw string) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(raw))
	if tok, err := d.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("headers %q is not a JSON object", raw)
	}
	var names []string
	for d.More() {
		k, _ := d.Token()
		var v string
		if err := d.Decode(&v); err != nil {
			t.Fatalf("headers %q: %v", raw, err)
		}
		names = append(names, k.(string))
	}
	return names
}

func TestCurlGetIsOneRequestEventWithOrderedHeadersAndJA4H(t *testing.T) {
	addr, evs := serve(t, false, nil)
	out := curl(t, "-i", "-H", "Accept-Language: en-US,en;q=0.9", "-H", "X-Forwarded-For: 203.0.113.9", "http://"+addr+"/admin/login.php?next=%2F")
	// Debian's packages: seed 7 picks one of them; the page is its own.
	if !regexp.MustCompile(`(?m)^Server: (Apache/2\.4\.\d+ \(Debian\)|nginx/1\.22\.1)\r$`).MatchString(out) {
		t.Errorf("no Debian Server header:\n%s", out)
	}
	if !strings.Contains(out, "HTTP/1.1 200 OK") || !(strings.Contains(out, "It works") || strings.Contains(out, "Welcome to nginx!")) {
		t.Errorf("catch-all did not answer the default page:\n%.400s", out)
	}
	ev := evs.Wait(t, "request", 1)[0]
	f := ev.Fields
	for k, want := range map[string]string{"method": "GET", "path": "/admin/login.php", "query": "next=%2F", "proto": "HTTP/1.1", "status": "200"} {
		if f[k] != want {
			t.Errorf("%s = %q, want %q", k, f[k], want)
		}
	}
	if ev.SrcIP != "127.0.0.1" || f["remote_addr"] == "" {
		t.Errorf("source %q remote_addr %q", ev.SrcIP, f["remote_addr"])
	}
	got := strings.Join(headerNames(t, f["headers"]), ",")
	if got != "Host,User-Agent,Accept,Accept-Language,X-Forwarded-For" {
		t.Errorf("header order %s", got)
	}
	if !regexp.MustCompile(`^ge11nn05enus_[0-9a-f]{12}_000000000000_000000000000$`).MatchString(f["ja4h"]) {
		t.Errorf("ja4h %q", f["ja4h"])
	}
	fp := evs.Wait(t, "http_request_fingerprint", 1)[0]
	if fp.Fields["ja4h"] != f["ja4h"] || fp.Fields["headers_ordered"] != got {
		t.Errorf("fingerprint event %v", fp.Fields)
	}
	if _, ok := f["secret_b64"]; ok {
		t.Errorf("a request without credentials carries %v", f)
	}
}

func TestCurlBasicAuthOnTomcatManagerIsAFailedCredential(t *testing.T) {
	addr, evs := serve(t, false, map[string]string{"fake_app": "tomcat"})
	out := curl(t, "-i", "-u", "tomcat:s3cret:with-colon", "http://"+addr+"/manager/html")
	if !strings.Contains(out, "401 Unauthorized") || !strings.Contains(out, `WWW-Authenticate: Basic realm="Tomcat Manager Application"`) {
		t.Errorf("manager did not challenge:\n%s", out)
	}
	if strings.Contains(out, "Server:") {
		t.Errorf("Tomcat sends no Server header by default:\n%s", out)
	}
	f := evs.Wait(t, "request", 1)[0].Fields
	want := map[string]string{"principal": "tomcat", "username": "tomcat", "secret_kind": "plaintext", "outcome": "failure",
		"secret_printable": "s3cret:with-colon", "secret_b64": base64.StdEncoding.EncodeToString([]byte("s3cret:with-colon")),
		"credential_source": "authorization", "status": "401"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
}

func TestCurlWordPressLoginPostThenGetStaysConsistent(t *testing.T) {
	addr, evs := serve(t, false, map[string]string{"fake_app": "wordpress"})
	out := curl(t, "-d", "log=admin&pwd=hunter%FF2&wp-submit=Log+In", "http://"+addr+"/wp-login.php")
	if !strings.Contains(out, "The password you entered for the username <strong>admin</strong> is incorrect") {
		t.Errorf("login error missing:\n%.600s", out)
	}
	f := evs.Wait(t, "request", 1)[0].Fields
	if f["principal"] != "admin" || f["secret_b64"] != base64.StdEncoding.EncodeToString([]byte("hunter\xff2")) ||
		f["secret_printable"] != "hunter?2" || f["outcome"] != "failure" || f["credential_source"] != "form" {
		t.Errorf("form credential fields %v", f)
	}
	if f["body"] != "log=admin&pwd=hunter%FF2&wp-submit=Log+In" || f["body_len"] != "41" {
		t.Errorf("body preview %q len %q", f["body"], f["body_len"])
	}
	// Still not logged in: the dashboard sends the client back to log in.
	out = curl(t, "-i", "http://"+addr+"/wp-admin/")
	if !strings.Contains(out, "302 Found") || !strings.Contains(out, "Location: /wp-login.php?redirect_to=") {
		t.Errorf("wp-admin after a failed login:\n%s", out)
	}
	out = curl(t, "http://"+addr+"/xmlrpc.php")
	if out != "XML-RPC server accepts POST requests only." {
		t.Errorf("xmlrpc GET: %q", out)
	}
	call := `<?xml version="1.0"?><methodCall><methodName>wp.getUsersBlogs</methodName><params><param><value><string>editor</string></value></param><param><value><string>Winter2024!</string></value></param></params></methodCall>`
	out = curl(t, "-H", "Content-Type: text/xml", "--data-binary", call, "http://"+addr+"/xmlrpc.php")
	if !strings.Contains(out, "<int>403</int>") {
		t.Errorf("xmlrpc fault: %s", out)
	}
	reqs := evs.Wait(t, "request", 4)
	x := reqs[3].Fields
	if x["principal"] != "editor" || x["secret_printable"] != "Winter2024!" || x["credential_source"] != "xmlrpc" {
		t.Errorf("xmlrpc credential %v", x)
	}
	out = curl(t, "http://"+addr+"/wp-json/wp/v2/users")
	if !strings.Contains(out, `"slug":`) {
		t.Errorf("wp-json users: %s", out)
	}
}

func TestPhpMyAdminRemembersTheTriedUserAcrossPostAndGet(t *testing.T) {
	addr, evs := serve(t, false, map[string]string{"fake_app": "phpmyadmin"})
	jar := t.TempDir() + "/jar"
	out := curl(t, "-c", jar, "-b", jar, "http://"+addr+"/index.php")
	if !strings.Contains(out, `name="pma_username" id="input_username" value=""`) {
		t.Fatalf("login form: %.300s", out)
	}
	out = curl(t, "-c", jar, "-b", jar, "-d", "pma_username=root&pma_password=toor&server=1", "http://"+addr+"/index.php")
	if !strings.Contains(out, "Access denied for user 'root'@'localhost'") {
		t.Errorf("POST answer: %.600s", out)
	}
	out = curl(t, "-c", jar, "-b", jar, "http://"+addr+"/index.php")
	if !strings.Contains(out, `id="input_username" value="root"`) || strings.Contains(out, "Access denied") {
		t.Errorf("GET after POST does not show the tried user: %.900s", out)
	}
	f := evs.Wait(t, "request", 3)[1].Fields
	if f["principal"] != "root" || f["secret_printable"] != "toor" || f["outcome"] != "failure" {
		t.Errorf("credential %v", f)
	}
}

func TestCurlHTTPSOverHTTP2AndHTTP1(t *testing.T) {
	addr, evs := serve(t, true, map[string]string{"fake_app": "jenkins"})
	_, port, _ := net.SplitHostPort(addr)
	url := "https://web-42.corp.local:" + port + "/login"
	resolve := "web-42.corp.local:" + port + ":127.0.0.1"
	out := curl(t, "-k", "-i", "--http2", "--resolve", resolve, "-u", "deploy:Jenk1ns!", url)
	if !strings.HasPrefix(out, "HTTP/2 200") || !strings.Contains(out, "x-jenkins: ") || !strings.Contains(out, "Sign in to Jenkins") {
		t.Errorf("h2 answer:\n%.500s", out)
	}
	hello := evs.Wait(t, "tls_client_hello", 1)[0].Fields
	if !regexp.MustCompile(`^t1[23]d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$`).MatchString(hello["ja4"]) || len(hello["ja3"]) != 32 ||
		hello["sni"] != "web-42.corp.local" || !strings.HasPrefix(hello["alpn"], "h2") {
		t.Errorf("tls_client_hello %v", hello)
	}
	set := evs.Wait(t, "http2_settings", 1)[0].Fields
	if !strings.HasPrefix(set["frame_order"], "SETTINGS") || set["settings"] == "" || set["pseudo_header_order"] == "" {
		t.Errorf("http2_settings %v", set)
	}
	f := evs.Wait(t, "request", 1)[0].Fields
	if f["proto"] != "HTTP/2.0" || f["principal"] != "deploy" || f["secret_printable"] != "Jenk1ns!" || f["ja4"] != hello["ja4"] || f["host"] == "" {
		t.Errorf("h2 request %v", f)
	}
	if names := headerNames(t, f["headers"]); len(names) == 0 || names[0] != "user-agent" && names[0] != "authorization" {
		t.Errorf("h2 headers in wire order: %v", names)
	}

	out = curl(t, "-k", "-i", "--http1.1", "--resolve", resolve, "-d", "j_username=ops&j_password=pw1", "https://web-42.corp.local:"+port+"/j_spring_security_check")
	if !strings.HasPrefix(out, "HTTP/1.1 302") || !strings.Contains(out, "Location: /loginError") || !strings.Contains(out, "Server: Jetty(") {
		t.Errorf("h1 over TLS:\n%s", out)
	}
	f = evs.Wait(t, "request", 2)[1].Fields
	if f["proto"] != "HTTP/1.1" || f["principal"] != "ops" || f["outcome"] != "failure" {
		t.Errorf("h1 request %v", f)
	}
	// The certificate names the persona.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
}

func TestPlainHTTPOnTheTLSPortIsAnswered(t *testing.T) {
	addr, evs := serve(t, true, map[string]string{"server_header": "Apache/2.4.57 (Debian)"})
	out := raw(t, addr, "GET / HTTP/1.0\r\n\r\n", 5*time.Second)
	if !strings.HasPrefix(out, "<!DOCTYPE HTML") || !strings.Contains(out, "speaking plain HTTP to an SSL-enabled server port") {
		t.Errorf("plain request on TLS port:\n%s", out)
	}
	if f := evs.Wait(t, "request", 1)[0].Fields; f["status"] != "400" || f["path"] != "/" {
		t.Errorf("event %v", f)
	}
}

// raw sends wire bytes and returns what the server answers before closing
// (or before the read timeout for kept-alive connections).
func raw(t *testing.T, addr, wire string, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, wire); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestMalformedAndOversizedRequestsGetProtocolErrors(t *testing.T) {
	addr, evs := serve(t, false, map[string]string{"server_header": "nginx/1.22.1"})
	manyHeaders := "GET / HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", maxHeaders+1) + "\r\n"
	tests := []struct {
		name, wire, status string
	}{
		{"garbage", "\x16\x03\x01\x00\x05hello\r\n\r\n", "400 Bad Request"},
		{"bad version", "GET / HTTP/9.9\r\n\r\n", "505 HTTP Version Not Supported"},
		{"rtsp", "OPTIONS / RTSP/1.0\r\n\r\n", "400 Bad Request"},
		{"long request line", "GET /" + strings.Repeat("a", maxLine) + " HTTP/1.1\r\n\r\n", "414 Request URI Too Long"},
		{"long header line", "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxLine) + "\r\n\r\n", "431 Request Header Fields Too Large"},
		{"too many headers", manyHeaders, "431 Request Header Fields Too Large"},
		{"folded header", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", "400 Bad Request"},
		{"bad content-length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", "400 Bad Request"},
		{"conflicting content-length", "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400 Bad Request"},
		{"huge body", "POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n", "413 Request Entity Too Large"},
		{"bad chunk", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400 Bad Request"},
		{"gzip coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501 Not Implemented"},
		{"h2 preface on h1-only", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "400 Bad Request"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := raw(t, addr, tt.wire, 5*time.Second)
			if !strings.HasPrefix(out, "HTTP/1.1 "+tt.status) {
				t.Errorf("answer %.200q, want %s", out, tt.status)
			}
			if !strings.Contains(out, "<hr><center>nginx/1.22.1</center>") {
				t.Errorf("error page is not nginx's: %.300q", out)
			}
			evs.Wait(t, "protocol_error", i+1)
		})
	}
}

func TestKeepAlivePipeliningAndChunkedBodies(t *testing.T) {
	addr, evs := serve(t, false, nil)
	wire := "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /a2 HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST /b HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n" +
		"9\r\nuser=bob&\r\nb;ext=1\r\npass=secret\r\n0\r\nX-Trailer: 1\r\n\r\n" +
		"HEAD /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	out := raw(t, addr, wire, 5*time.Second)
	if n := strings.Count(out, "HTTP/1.1 200 OK"); n != 4 {
		t.Fatalf("%d responses on one connection:\n%s", n, out)
	}
	if !strings.HasSuffix(out, "\r\n\r\n") {
		t.Errorf("HEAD answer has a body:\n%.200q", out[len(out)-200:])
	}
	reqs := evs.Wait(t, "request", 4)
	b := reqs[2].Fields
	if b["path"] != "/b" || b["principal"] != "bob" || b["secret_printable"] != "secret" || b["outcome"] != "observed" || b["body_len"] != "20" {
		t.Errorf("chunked form %v", b)
	}
	// Three client shapes (the two GETs share one) on one connection.
	if n := len(evs.OfType("http_request_fingerprint")); n != 3 {
		t.Errorf("want one fingerprint per client shape, got %d", n)
	}
}

func TestHTTP10ClosesAndNmapStyleProbes(t *testing.T) {
	addr, _ := serve(t, false, map[string]string{"server_header": "Apache/2.4.57 (Debian)"})
	out := raw(t, addr, "GET / HTTP/1.0\r\n\r\n", 5*time.Second)
	if !strings.HasPrefix(out, "HTTP/1.0 200 OK\r\nDate: ") || !strings.Contains(out, "Server: Apache/2.4.57 (Debian)\r\n") ||
		!strings.Contains(out, "Connection: close") {
		t.Errorf("HTTP/1.0 answer:\n%.300s", out)
	}
	out = raw(t, addr, "OPTIONS / HTTP/1.0\r\n\r\n", 5*time.Second)
	if !strings.Contains(out, "Allow: OPTIONS,HEAD,GET,POST") {
		t.Errorf("OPTIONS: %.300s", out)
	}
}

// TestResponseCodeDefaultsTo200 pins the fix of the original's quirk: its
// schema said 200 but the template answered 403 when the key was unset.
func TestResponseCodeDefaultsTo200AndPortsAreSplit(t *testing.T) {
	addr, _ := serve(t, false, nil)
	if out := raw(t, addr, "GET / HTTP/1.0\r\n\r\n", 5*time.Second); !strings.HasPrefix(out, "HTTP/1.0 200 ") {
		t.Errorf("default status: %.40q", out)
	}
	addr, _ = serve(t, false, map[string]string{"response_code": "403", "custom_body": "denied", "extra_headers": `{"X-Powered-By":"PHP/8.2.7\r\nInjected: 1"}`})
	out := raw(t, addr, "GET /x HTTP/1.0\r\n\r\n", 5*time.Second)
	if !strings.HasPrefix(out, "HTTP/1.0 403 Forbidden") || !strings.HasSuffix(out, "\r\n\r\ndenied") ||
		!strings.Contains(out, "X-Powered-By: PHP/8.2.7Injected: 1\r\n") {
		t.Errorf("custom answer:\n%s", out)
	}
	if p := (Service{}).Ports(nil); len(p) != 1 || p[0].Number != 80 {
		t.Errorf("http ports %v", p)
	}
	if p := (Service{TLS: true}).Ports(nil); len(p) != 1 || p[0].Number != 443 {
		t.Errorf("https ports %v", p)
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	defer func(d time.Duration) { headTimeout = d }(headTimeout)
	headTimeout = time.Second
	addr, _ := serve(t, false, nil)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "GET / HTTP/1.1\r\n")
	// Nothing more: the server must not wait forever; the read below
	// returns when the server closes.
	c.SetReadDeadline(time.Now().Add(headTimeout + 10*time.Second))
	start := time.Now()
	io.Copy(io.Discard, bufio.NewReader(c))
	if time.Since(start) > headTimeout+5*time.Second {
		t.Errorf("connection held %s", time.Since(start))
	}
}

func TestNmapIdentifiesThePersonaServer(t *testing.T) {
	for _, tt := range []struct {
		tls    bool
		server string
		want   string
	}{
		{false, "nginx/1.22.1", `open\s+http\s+nginx 1\.22\.1`},
		{true, "Apache/2.4.57 (Debian)", `open\s+ssl/http\s+Apache httpd 2\.4\.57`},
	} {
		addr, _ := serve(t, tt.tls, map[string]string{"server_header": tt.server})
		host, port, _ := net.SplitHostPort(addr)
		out := servicetest.Nmap(t, host, []string{port}, "--version-light")
		if !regexp.MustCompile(tt.want).MatchString(out) {
			t.Errorf("nmap did not see %s:\n%s", tt.server, out)
		}
	}
}

func TestClassifyAuthorization(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		in                    string
		ok                    bool
		principal, secret, kd string
	}{
		{"Basic " + b64("admin:pa:ss"), true, "admin", "pa:ss", "plaintext"},
		{"basic " + strings.TrimRight(b64("a:bc"), "="), true, "a", "bc", "plaintext"},
		{"Basic " + b64("nocolon"), false, "", "", ""},
		{"Basic !!!", false, "", "", ""},
		{"Bearer eyJhbGciOi.x.y", true, "", "eyJhbGciOi.x.y", KindBearer},
		{"Token abc", true, "", "abc", KindBearer},
		{"Bearer ", false, "", "", ""},
		{`Digest username="bob", realm="r", nonce="n", uri="/", response="6629fae49393a05397450978507c4ef1", qop=auth, nc=00000001, cnonce="c"`, true, "bob", "6629fae49393a05397450978507c4ef1", KindDigestMD5},
		{`Digest username="bob", response="ab", algorithm=SHA-256`, true, "bob", "ab", "http_digest_sha_256"},
		{`Digest username="bob"`, false, "", "", ""},
		{"NTLM TlRMTVNTUAAB", false, "", "", ""},
		{"", false, "", "", ""},
	}
	for _, tt := range tests {
		c, ok := ClassifyAuthorization(tt.in)
		if ok != tt.ok || ok && (c.Principal != tt.principal || string(c.Secret) != tt.secret || c.Kind != tt.kd) {
			t.Errorf("%q: got %v %+v", tt.in, ok, c)
		}
	}
	c, _ := ClassifyAuthorization(tests[7].in)
	if c.Extra["digest_nonce"] != "n" || c.Extra["digest_cnonce"] != "c" || c.Extra["digest_qop"] != "auth" {
		t.Errorf("digest context %v", c.Extra)
	}
}

func TestFormCredentials(t *testing.T) {
	tests := []struct {
		ct, body          string
		ok                bool
		principal, secret string
	}{
		{"application/x-www-form-urlencoded", "email=a%40b.c&passwd=x", true, "a@b.c", "x"},
		{"application/x-www-form-urlencoded; charset=UTF-8", "PASSWORD=only", true, "", "only"},
		{"application/x-www-form-urlencoded", "user=a", false, "", ""},
		{"application/json", `{"username":"a","password":"b"}`, false, "", ""},
		{"application/x-www-form-urlencoded", "log=u&user=v&pwd=1", true, "v", "1"},
	}
	for _, tt := range tests {
		c, ok := FormCredentials(tt.ct, []byte(tt.body))
		if ok != tt.ok || ok && (c.Principal != tt.principal || string(c.Secret) != tt.secret) {
			t.Errorf("%s %q: %v %+v", tt.ct, tt.body, ok, c)
		}
	}
}

func TestJA4HOfAKnownRequest(t *testing.T) {
	r, err := parseHead("GET /x HTTP/1.1\nHost: a\nUser-Agent: b\nCookie: z=1; a=2\nReferer: http://r/\nAccept-Language: fr-CA;q=1\n")
	if err != nil {
		t.Fatal(err)
	}
	fp, names, cookies := ja4H(r)
	want := "ge11cr03frca_" + hash12("Host,User-Agent,Accept-Language") + "_" + hash12("a,z") + "_" + hash12("a=2,z=1")
	if fp != want || names != "Host,User-Agent,Accept-Language" || cookies != "a,z" {
		t.Errorf("ja4h %s (%s; %s), want %s", fp, names, cookies, want)
	}
}

func TestHeadersJSONEscapesAndBounds(t *testing.T) {
	hs := []header{{"A", "q\"\\\x01\xff€"}, {"A", "dup"}}
	got := headersJSON(hs)
	if got != `{"A":"q\"\\\u0001\ufffd€","A":"dup"}` {
		t.Errorf("headersJSON = %s", got)
	}
	var many []header
	for i := 0; i < 100; i++ {
		many = append(many, header{"X", strings.Repeat("v", 4000)})
	}
	if s := headersJSON(many); len(s) > maxHeadersJSON+maxHeaderValueJSON+64 || !json.Valid([]byte(s)) {
		t.Errorf("bounded headers: %d bytes, valid %v", len(s), json.Valid([]byte(s)))
	}
}

func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /wp-login.php HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 13\r\n\r\nlog=a&pwd=b&x",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n",
		"GET / HTTP/1.0\r\nAuthorization: Digest username=\"a\", response=\"b\r\nCookie: a=b; c\r\n\r\n",
		"\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		br := bufio.NewReaderSize(bytes.NewReader(b), maxLine)
		r, _, err := readHead(br, nil)
		if err != nil {
			return
		}
		fr, err := r.framing()
		if err != nil {
			return
		}
		r.readBody(br, fr)
		if len(r.body) > bodyKeep {
			t.Fatalf("kept %d body bytes", len(r.body))
		}
		ja4H(r)
		if !json.Valid([]byte(headersJSON(r.headers))) {
			t.Fatalf("invalid headers JSON for %q", b)
		}
		ClassifyAuthorization(r.get("Authorization"))
		FormCredentials(r.get("Content-Type"), r.body)
		parseXMLRPC(r.body)
	})
}

func FuzzH2Opening(f *testing.F) {
	settings := []byte{0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 4, 0, 0x60, 0, 0}
	wu := []byte{0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0xef, 0, 1}
	hdrs := []byte{0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84}
	f.Add(append(append(append([]byte(h2Preface), settings...), wu...), hdrs...))
	f.Add([]byte(h2Preface))
	f.Fuzz(func(t *testing.T, b []byte) {
		parseH2Opening(b)
	})
}

func TestParseH2Opening(t *testing.T) {
	settings := []byte{0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 4, 0, 0x60, 0, 0}
	wu := []byte{0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0xef, 0, 1}
	hdrs := []byte{0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84} // :method GET, :scheme http, :path /
	fp, ok := parseH2Opening(append(append(append([]byte(h2Preface), settings...), wu...), hdrs...))
	if !ok || fp.settings != "1:65536;4:6291456" || fp.frameOrder != "SETTINGS,WINDOW_UPDATE,HEADERS" ||
		fp.windowUpdate != "15663105" || fp.pseudoOrder != ":method,:scheme,:path" {
		t.Errorf("opening %+v", fp)
	}
}
