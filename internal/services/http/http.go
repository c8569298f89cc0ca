// Package http is the HTTP and HTTPS decoy (fleet.md §1.4): a catch-all
// web server whose Server header, default pages and fake applications
// (WordPress, phpMyAdmin, Tomcat, Jenkins) follow a seeded persona. Every
// request becomes a `request` event with its headers in arrival order, a
// bounded body preview and any credential it carries; JA4H, the HTTP/2
// SETTINGS and, over TLS, the JA3/JA4 of the ClientHello fingerprint the
// client. HTTP/1.x is parsed here, within fixed bounds, because net/http
// loses the header order; HTTP/2 goes through golang.org/x/net/http2.
package http

import (
	"bufio"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/tlsfp"
)

func init() {
	services.Register(Service{})
	services.Register(Service{TLS: true})
}

// Service describes the http service, or with TLS set the https one.
type Service struct {
	// TLS makes this the https service: the same decoy behind TLS.
	TLS bool
}

// Name is the registry slug.
func (s Service) Name() string {
	if s.TLS {
		return "https"
	}
	return "http"
}

// Description is the one-line summary for `decnet services`.
func (s Service) Description() string {
	if s.TLS {
		return "HTTPS decoy: the http decoy behind TLS with a per-decky certificate, HTTP/2, JA3/JA4"
	}
	return "catch-all web server: persona Server header, fake apps, request and credential capture, JA4H"
}

// Ports binds 80 for http and 443 for https. The original declared 80 and
// 443 for http but bound only 80; here each declared port is bound, and
// 443 belongs to https so a decky can run both.
func (s Service) Ports(services.Config) []services.Port {
	if s.TLS {
		return []services.Port{{Number: 443, Proto: services.TCP}}
	}
	return []services.Port{{Number: 80, Proto: services.TCP}}
}

// Schema lists the config keys of fleet.md §1.4.
func (s Service) Schema() services.Schema {
	versions := "http/1.1"
	if s.TLS {
		// Every current TLS web server offers h2 through ALPN.
		versions = "http/1.1,http/2"
	}
	sc := services.Schema{
		{Key: "server_header", Label: "Server header", Type: services.TypeString,
			Help: "Unset: a seeded pick of the Apache/nginx (IIS on Windows personas) versions the distro ships."},
		{Key: "response_code", Label: "Response code", Type: services.TypeInt, Default: "200",
			Help: "Status of the catch-all answer (every path with fake_app none; unknown paths with custom_body)."},
		{Key: "fake_app", Label: "Fake application", Type: services.TypeEnum, Default: appNone, Enum: appNames},
		{Key: "extra_headers", Label: "Extra headers", Type: services.TypeTextarea, Placeholder: `{"X-Powered-By": "PHP/8.2.7"}`,
			Help: "JSON object of headers added to every response."},
		{Key: "custom_body", Label: "Custom body", Type: services.TypeTextarea,
			Help: "Replaces the catch-all page (b64: prefix for binary-safe text)."},
		{Key: "http_versions", Label: "HTTP versions", Type: services.TypeMultiEnum, Default: versions, Enum: []string{"http/1.1", "http/2"},
			Help: "http/2 is offered through ALPN over TLS and as prior-knowledge h2c in clear text."},
	}
	if s.TLS {
		sc = append(sc,
			services.Field{Key: "tls_cn", Label: "Certificate CN", Type: services.TypeString,
				Help: "Unset: the decky's persisted certificate (CN = its hostname)."},
			services.Field{Key: "tls_cert", Label: "Certificate (PEM or path)", Type: services.TypeTextarea, Secret: true},
			services.Field{Key: "tls_key", Label: "Private key (PEM or path)", Type: services.TypeTextarea, Secret: true},
		)
	}
	return sc
}

// Connection bounds beyond the parser's.
const (
	// keepAliveIdle is how long a kept-alive connection may sit idle.
	keepAliveIdle = 15 * time.Second
	// maxRequestsPerConn matches nginx's keepalive_requests.
	maxRequestsPerConn = 1000
	// maxHeadersJSON bounds the headers field so the event stays valid
	// JSON under the emitter's field cap.
	maxHeadersJSON = 12 << 10
	// maxHeaderValueJSON bounds one header value in the headers field.
	maxHeaderValueJSON = 2048
)

// headTimeout bounds the arrival of one request head, so a slowloris
// client cannot hold a connection by trickling header bytes (a variable so
// tests can shorten it).
var headTimeout = 20 * time.Second

// New builds the service for one decky.
func (s Service) New(env *services.Env) (services.Handler, error) {
	cfg := env.Config
	rng := env.Rand()
	h := &handler{
		env:      env,
		tls:      s.TLS,
		app:      cfg.String("fake_app"),
		code:     cfg.Int("response_code", 200),
		host:     env.Decky.Hostname,
		sessions: newSessions(),
	}
	if h.app == "" {
		h.app = appNone
	}
	if h.code < 100 || h.code > 599 {
		return nil, fmt.Errorf("response_code %d: want 100–599", h.code)
	}
	if h.host == "" {
		h.host = env.Decky.Name
	}
	h.server = pickServer(env.Decky, rng)
	switch h.app {
	case appJenkins:
		h.server = "Jetty(" + newPersona(rng, h.host).jettyVersion + ")"
	case appTomcat:
		// Tomcat sends no Server header unless told to.
		h.server = ""
	}
	if v := cfg.String("server_header"); v != "" {
		h.server = sanitizeHeader(v)
	}
	h.persona = newPersona(rng, h.host)
	h.jenkinsNode = fmt.Sprintf("%08x", rng.Uint32())
	h.fam = familyOf(h.server)
	switch h.app {
	case appApache:
		h.fam = famApache
	case appNginx:
		h.fam = famNginx
	case appIIS:
		h.fam = famIIS
	}
	if b := cfg.String("custom_body"); b != "" {
		h.customBody = []byte(b)
	}
	h.defaultBody = []byte(defaultPage(h.fam, h.host))
	h.wpHome = wpHome(h.persona, h.host)
	if raw := strings.TrimSpace(cfg.String("extra_headers")); raw != "" {
		var m map[string]string
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("extra_headers: want a JSON object of strings: %w", err)
		}
		for k, v := range m {
			if !isToken(k) {
				return nil, fmt.Errorf("extra_headers: %q is not a header name", k)
			}
			h.extra = append(h.extra, header{k, sanitizeHeader(v)})
		}
	}
	// A seeded Last-Modified/ETag for the static pages, as a real server
	// sends for a file on disk.
	mod := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(600*24)) * time.Hour)
	h.staticHdrs = []header{
		{"Last-Modified", mod.Format(httpTime)},
		{"ETag", fmt.Sprintf(`"%x-%x"`, len(h.defaultBody), mod.UnixNano()/1000)},
		{"Accept-Ranges", "bytes"},
	}
	for _, v := range cfg.List("http_versions") {
		switch v {
		case "http/1.1":
			h.h1 = true
		case "http/2":
			h.h2 = true
		}
	}
	if !h.h1 && !h.h2 {
		h.h1 = true
	}
	if h.h2 {
		h.h2srv = &http2.Server{MaxConcurrentStreams: 100, MaxReadFrameSize: 1 << 14, IdleTimeout: keepAliveIdle,
			MaxUploadBufferPerConnection: 1 << 16, MaxUploadBufferPerStream: 1 << 16}
	}
	if s.TLS {
		cert, err := tlsCertificate(env)
		if err != nil {
			return nil, err
		}
		h.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
		if h.h2 {
			h.tlsConf.NextProtos = append(h.tlsConf.NextProtos, "h2")
		}
		if h.h1 {
			h.tlsConf.NextProtos = append(h.tlsConf.NextProtos, "http/1.1")
		}
	}
	return h, nil
}

// tlsCertificate is the operator's certificate (tls_cert/tls_key, PEM or
// file path), or the decky's persisted one, reissued in memory with the
// same key when tls_cn names another CN.
func tlsCertificate(env *services.Env) (tls.Certificate, error) {
	cfg := env.Config
	if c, k := cfg.String("tls_cert"), cfg.String("tls_key"); c != "" || k != "" {
		load := func(v string) ([]byte, error) {
			if strings.Contains(v, "-----BEGIN") {
				return []byte(v), nil
			}
			return os.ReadFile(v)
		}
		cb, err := load(c)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("tls_cert: %w", err)
		}
		kb, err := load(k)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("tls_key: %w", err)
		}
		cert, err := tls.X509KeyPair(cb, kb)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("tls_cert/tls_key: %w", err)
		}
		return cert, nil
	}
	if env.TLS == nil || len(env.TLS.Certificate) == 0 {
		return tls.Certificate{}, errors.New("https: the decky has no TLS certificate")
	}
	cn := cfg.String("tls_cn")
	leaf := env.TLS.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(env.TLS.Certificate[0]); err != nil {
			return tls.Certificate{}, err
		}
	}
	if cn == "" || cn == leaf.Subject.CommonName {
		return *env.TLS, nil
	}
	signer, ok := env.TLS.PrivateKey.(crypto.Signer)
	if !ok {
		return tls.Certificate{}, errors.New("tls_cn: the decky's key cannot sign")
	}
	tmpl := *leaf
	tmpl.Subject.CommonName = cn
	tmpl.DNSNames = append([]string{cn}, leaf.DNSNames...)
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, signer.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls_cn: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: env.TLS.PrivateKey}, nil
}

// sanitizeHeader drops CR, LF and NUL from operator-supplied header values:
// they would split the response.
func sanitizeHeader(v string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, v)
}

type handler struct {
	env         *services.Env
	tls         bool
	app         string
	code        int
	host        string
	server      string
	fam         family
	persona     persona
	jenkinsNode string
	customBody  []byte
	defaultBody []byte
	wpHome      string
	extra       []header
	staticHdrs  []header
	sessions    *sessions
	h1, h2      bool
	h2srv       *http2.Server
	tlsConf     *tls.Config
}

// connState is what one connection's requests share.
type connState struct {
	c          *services.Conn
	remoteAddr string
	// hello is the TLS ClientHello's fingerprint fields (https only).
	ja4, sni string
	// lastJA4H is the JA4H last reported in a fingerprint event, so a
	// kept-alive connection reports each client shape once.
	mu       sync.Mutex
	lastJA4H string
	// h2 is set on HTTP/2 connections.
	h2 *h2conn
}

var readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, maxLine) }}

// ServeConn runs one connection: the TLS handshake for https, then
// HTTP/1.x requests until the client or a bound ends it, or HTTP/2.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	st := &connState{c: c, remoteAddr: net.JoinHostPort(c.SrcIP, strconv.Itoa(c.SrcPort))}
	var rw io.ReadWriter = c
	if h.tls {
		c.SetPhaseDeadline(c.Limits().HandshakeTimeout)
		hello, peeked, err := tlsfp.ReadClientHello(c)
		switch {
		case errors.Is(err, tlsfp.ErrNotTLS):
			h.plainOnTLSPort(st, peeked)
			return
		case hello != nil:
			st.ja4, st.sni = hello.JA4(), hello.SNI
			f := hello.Fields(map[string]string{"remote_addr": st.remoteAddr})
			c.Emit("tls_client_hello", f, "TLS ClientHello "+f["ja4"])
		case errors.Is(err, tlsfp.ErrMalformed):
			c.Emit("protocol_error", map[string]string{"error": "malformed TLS ClientHello", "stage": "tls"}, "malformed TLS ClientHello")
		default:
			return // closed or timed out before a hello: a port scan
		}
		tc := tls.Server(peeked, h.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			if hello != nil {
				c.Emit("protocol_error", map[string]string{"error": clip("tls handshake: "+err.Error(), 256), "stage": "tls"}, "TLS handshake failed")
			}
			return
		}
		c.ClearPhaseDeadline()
		if tc.ConnectionState().NegotiatedProtocol == "h2" {
			h.serveH2(ctx, st, tc)
			return
		}
		rw = tc
	}
	h.serveH1(ctx, st, rw)
}

// plainOnTLSPort answers a clear-text request on the TLS port the way the
// persona does: nginx with its "plain HTTP request was sent to HTTPS port"
// 400, Apache with mod_ssl's bare HTML explanation (no status line, which
// is what nmap's ssl/http match expects), IIS by closing. Either way the
// request is recorded.
func (h *handler) plainOnTLSPort(st *connState, p io.Reader) {
	br := bufio.NewReaderSize(p, maxLine)
	r, _, err := readHead(br, nil)
	if err != nil || r == nil {
		r = &request{method: "-", proto: "-"}
	}
	r.close = true
	var wire []byte
	resp := response{status: 400, ctype: "text/html"}
	switch h.fam {
	case famNginx:
		resp.body = []byte("<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The plain HTTP request was sent to HTTPS port</center>\r\n<hr><center>" + h.server + "</center>\r\n</body>\r\n</html>\r\n")
		wire = h.appendResponse(nil, &request{method: "GET", proto: "HTTP/1.1", close: true}, &resp)
	case famApache:
		resp.body = []byte("<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n" +
			"<p>Your browser sent a request that this server could not understand.<br />\nReason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n" +
			" Instead use the HTTPS scheme to access this URL, please.<br />\n</p>\n<hr>\n<address>" + h.server + " Server at " + h.host + " Port 443</address>\n</body></html>\n")
		wire = resp.body
	}
	h.emitRequest(st, r, &resp, "plain HTTP on the TLS port")
	if wire != nil {
		st.c.Write(wire)
	}
}

// serveH1 runs HTTP/1.x requests on one connection.
func (h *handler) serveH1(ctx context.Context, st *connState, rw io.ReadWriter) {
	c := st.c
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(rw)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	var head, out []byte
	for n := 0; n < maxRequestsPerConn && ctx.Err() == nil; n++ {
		// The first request gets the head timeout; later ones may idle
		// for the keep-alive time first.
		if n == 0 {
			c.SetPhaseDeadline(headTimeout)
		} else {
			c.SetPhaseDeadline(keepAliveIdle)
		}
		if n > 0 {
			if _, err := br.Peek(1); err != nil {
				return
			}
			c.SetPhaseDeadline(headTimeout)
		}
		r, nh, err := readHead(br, head)
		head = nh
		if errors.Is(err, errPRI) {
			if !h.h2 {
				h.badRequest(st, rw, &parseError{400, "HTTP/2 preface on an HTTP/1.1-only server"}, string(head))
				return
			}
			// Prior-knowledge h2c: hand the connection, preface line
			// included, to the HTTP/2 server.
			h.serveH2(ctx, st, rwConn{Conn: c, r: io.MultiReader(strings.NewReader("PRI * HTTP/2.0\r\n"), br), w: rw})
			return
		}
		if err != nil {
			var pe *parseError
			if errors.As(err, &pe) {
				h.badRequest(st, rw, pe, string(head))
			}
			return
		}
		c.ClearPhaseDeadline()
		f, err := r.framing()
		if err == nil {
			if r.expect && r.proto == "HTTP/1.1" && (f.chunked || f.length > 0) && f.length <= maxBody {
				if _, err := rw.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n")); err != nil {
					return
				}
			}
			c.SetPhaseDeadline(headTimeout)
			err = r.readBody(br, f)
			c.ClearPhaseDeadline()
		}
		if err != nil {
			var pe *parseError
			if errors.As(err, &pe) {
				r.close = true
				resp := h.errorResp(pe.status)
				fields := map[string]string{"error": pe.msg}
				h.emitRequestFields(st, r, &resp, fields, r.method+" "+clip(r.target, 200)+" (refused: "+pe.msg+")")
				c.Emit("protocol_error", map[string]string{"error": pe.msg, "remote_addr": st.remoteAddr}, "bad request: "+pe.msg)
				rw.Write(h.appendResponse(out[:0], r, &resp))
			}
			return
		}
		resp := h.serve(st, r)
		if n == maxRequestsPerConn-1 {
			r.close = true
		}
		out = h.appendResponse(out[:0], r, &resp)
		if _, err := rw.Write(out); err != nil {
			return
		}
		if r.close {
			return
		}
	}
}

// badRequest records and answers a request that could not be parsed.
func (h *handler) badRequest(st *connState, w io.Writer, pe *parseError, head string) {
	f := map[string]string{"error": pe.msg, "remote_addr": st.remoteAddr}
	if head != "" {
		f["preview"] = services.Printable([]byte(clip(head, 256)))
	}
	st.c.Emit("protocol_error", f, "bad request: "+pe.msg)
	resp := h.errorResp(pe.status)
	w.Write(h.appendResponse(nil, &request{method: "GET", proto: "HTTP/1.1", close: true}, &resp))
}

func (h *handler) errorResp(status int) response {
	return htmlResp(status, errorPage(h.fam, status, h.server, h.host, h.port()))
}

func (h *handler) port() int {
	if h.tls {
		return 443
	}
	return 80
}

// serve routes one request and records it.
func (h *handler) serve(st *connState, r *request) response {
	resp := h.route(r)
	h.emitRequest(st, r, &resp, r.method+" "+clip(r.target, 200))
	return resp
}

// route picks the answer: the fake app's when it knows the path, else the
// catch-all.
func (h *handler) route(r *request) response {
	var (
		resp response
		ok   bool
	)
	switch h.app {
	case appWordPress:
		resp, ok = h.wordpress(r)
	case appPMA:
		resp, ok = h.phpMyAdmin(r)
	case appTomcat:
		resp, ok = h.tomcat(r)
	case appJenkins:
		resp, ok = h.jenkins(r)
	}
	if ok {
		return resp
	}
	if r.method == "OPTIONS" {
		return response{status: 200, ctype: ctypeHTML, hdrs: []header{{"Allow", "OPTIONS,HEAD,GET,POST"}}}
	}
	switch h.app {
	case appNone, appApache, appNginx, appIIS:
		body := h.customBody
		if body == nil {
			body = h.defaultBody
		}
		resp := response{status: h.code, ctype: "text/html", body: body}
		if h.customBody == nil {
			resp.hdrs = h.staticHdrs
		}
		return resp
	}
	if h.customBody != nil {
		return response{status: h.code, ctype: "text/html", body: h.customBody}
	}
	return h.errorResp(404)
}

// clip cuts s to n bytes.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
