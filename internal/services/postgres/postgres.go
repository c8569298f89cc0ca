// Package postgres is the PostgreSQL honeypot: the startup phase
// (SSLRequest and GSSENCRequest refused with 'N', or SSL accepted with the
// decky's certificate when configured; cancel requests; protocol versions
// a real server refuses, in its words), the startup parameters recorded,
// an MD5 or SCRAM-SHA-256 challenge whose response is captured in a
// crack-ready form, and FATAL 28P01 as the server words it. Messages are
// framed by github.com/jackc/pgx/v5/pgproto3 with a body cap.
package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/decnet/decnet/internal/services"
)

func init() { services.Register(Service{}) }

// Service describes the postgres service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "postgres" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "PostgreSQL startup and auth: parameters recorded, MD5 / SCRAM-SHA-256 responses captured, 28P01"
}

// Ports binds 5432.
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 5432, Proto: services.TCP}}
}

// Auth methods of the auth_method key.
const (
	authAuto  = "auto"
	authMD5   = "md5"
	authSCRAM = "scram-sha-256"
)

// Schema lists the config keys. The original had none; these choose what
// a real server's postgresql.conf and pg_hba.conf would.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "version", Label: "Server version", Type: services.TypeString,
			Help: "PostgreSQL release the persona is (12–15); unset picks a seeded one.", Placeholder: "14.5"},
		{Key: "auth_method", Label: "Password method", Type: services.TypeEnum, Default: authAuto, Enum: []string{authAuto, authMD5, authSCRAM},
			Help: "auto: scram-sha-256 from 14 on (their default), md5 before."},
		{Key: "ssl", Label: "SSL", Type: services.TypeBool, Default: "false",
			Help: "Accept SSLRequest with the decky's certificate (Debian's ssl = on) instead of answering N."},
	}
}

// release is a persona version with the postmaster.c line its
// "unsupported frontend protocol" error carries, which is what nmap tells
// versions apart by.
type release struct {
	version string
	line    int
}

var releases = []release{{"12.12", 2119}, {"13.8", 2133}, {"14.5", 2138}, {"15.4", 2194}}

// New builds the service for one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	rng := env.Rand()
	h := &handler{env: env, rel: releases[rng.IntN(len(releases))], mockKey: make([]byte, 32)}
	if v := env.Config.String("version"); v != "" {
		h.rel = release{version: v, line: releases[len(releases)-1].line}
		for _, r := range releases {
			if major(r.version) == major(v) {
				h.rel.line = r.line
			}
		}
	}
	h.method = env.Config.String("auth_method")
	if h.method == "" || h.method == authAuto {
		h.method = authMD5
		if n, _ := strconv.Atoi(major(h.rel.version)); n >= 14 {
			h.method = authSCRAM
		}
	}
	if env.Config.Bool("ssl") && env.TLS != nil {
		h.tls = &tls.Config{Certificates: []tls.Certificate{*env.TLS}, MinVersion: tls.VersionTLS12}
	}
	for i := range h.mockKey {
		h.mockKey[i] = byte(rng.Uint32())
	}
	h.dbs = []string{"postgres", "template0", "template1"}
	apps := []string{"app", "app_production", "analytics", "gitlabhq_production", "keycloak", "grafana", "billing", "odoo"}
	for _, i := range rng.Perm(len(apps))[:1+rng.IntN(2)] {
		h.dbs = append(h.dbs, apps[i])
	}
	return h, nil
}

func major(v string) string {
	m, _, _ := strings.Cut(v, ".")
	return m
}

type handler struct {
	env    *services.Env
	rel    release
	method string
	tls    *tls.Config
	dbs    []string
	// mockKey seeds the per-user SCRAM salt, as a real server's
	// mock_auth_nonce does for roles that do not exist: the same user
	// always sees the same salt on this decky.
	mockKey []byte
}

// Startup codes of the special startup packets.
const (
	codeSSL    = 80877103
	codeGSSENC = 80877104
	codeCancel = 80877102
	// maxStartup is PostgreSQL's MAX_STARTUP_PACKET_LENGTH.
	maxStartup = 10000
	// maxAuthBody bounds a password or SASL message.
	maxAuthBody = 8192
	// scramIterations is PostgreSQL's scram_iterations default.
	scramIterations = 4096
)

// errProtocol marks a client's malformed input.
var errProtocol = errors.New("protocol violation")

// ServeConn runs one PostgreSQL connection.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	c.SetPhaseDeadline(c.Limits().HandshakeTimeout)
	var rw io.ReadWriter = c
	br := bufio.NewReaderSize(rw, 4096)
	why := "session ended"
	defer func() { c.Emit("disconnect", nil, why) }()
	sslDone := false
	var params map[string]string
	for negotiations := 0; params == nil; negotiations++ {
		code, body, err := readStartup(br)
		if err != nil {
			why = h.failed(c, err, "startup")
			return
		}
		switch {
		case negotiations >= 3:
			why = h.failed(c, fmt.Errorf("%w: too many negotiation requests", errProtocol), "startup")
			return
		case code == codeSSL && !sslDone:
			sslDone = true
			// Bytes pipelined behind the SSLRequest would be read as if
			// they came over TLS (CVE-2021-23214): refuse TLS then.
			if h.tls == nil || br.Buffered() > 0 {
				if _, err := c.Write([]byte{'N'}); err != nil {
					why = "write failed"
					return
				}
				c.Emit("ssl_request", map[string]string{"accepted": "false"}, "SSLRequest refused")
				continue
			}
			if _, err := c.Write([]byte{'S'}); err != nil {
				why = "write failed"
				return
			}
			tc := tls.Server(c, h.tls)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Emit("tls_handshake_failed", map[string]string{"error": clip(err.Error(), 256)}, "TLS handshake failed")
				why = "tls handshake failed"
				return
			}
			c.Emit("ssl_request", map[string]string{"accepted": "true", "tls_version": tls.VersionName(tc.ConnectionState().Version)}, "SSLRequest accepted")
			rw = tc
			br = bufio.NewReaderSize(rw, 4096)
		case code == codeGSSENC:
			if _, err := c.Write([]byte{'N'}); err != nil {
				why = "write failed"
				return
			}
		case code == codeCancel:
			c.Emit("cancel_request", nil, "CancelRequest")
			why = "cancel request"
			return
		case code>>16 == 3:
			var sm pgproto3.StartupMessage
			// pgproto3 knows 3.0 and 3.2; a real server accepts any 3.x
			// minor and negotiates down, so decode as 3.0.
			binary.BigEndian.PutUint32(body, pgproto3.ProtocolVersion30)
			if err := sm.Decode(body); err != nil {
				why = h.failed(c, fmt.Errorf("%w: %v", errProtocol, err), "startup")
				return
			}
			params = sm.Parameters
		default:
			be := pgproto3.NewBackend(br, rw)
			supports := "2.0"
			if n, _ := strconv.Atoi(major(h.rel.version)); n >= 14 {
				supports = "3.0"
			}
			h.fatal(be, "0A000", fmt.Sprintf("unsupported frontend protocol %d.%d: server supports %s to 3.0", code>>16, code&0xffff, supports),
				"postmaster.c", h.rel.line, "ProcessStartupPacket")
			c.Emit("protocol_error", map[string]string{"error": fmt.Sprintf("unsupported frontend protocol %d.%d", code>>16, code&0xffff)},
				"unsupported startup packet")
			why = "unsupported protocol"
			return
		}
	}
	be := pgproto3.NewBackend(br, rw)
	be.SetMaxBodyLen(maxAuthBody)
	user, db := params["user"], params["database"]
	if db == "" {
		db = user
	}
	f := map[string]string{"username": user, "database": db, "database_exists": strconv.FormatBool(slices.Contains(h.dbs, db))}
	for _, k := range []string{"application_name", "client_encoding", "options", "replication", "DateStyle"} {
		if v := params[k]; v != "" {
			f[strings.ToLower(k)] = clip(v, 256)
		}
	}
	f["params"] = paramList(params)
	c.Emit("startup", f, "postgres startup for "+clip(user, 64))
	if user == "" {
		h.fatal(be, "28000", "no PostgreSQL user name specified in startup packet", "postmaster.c", h.rel.line-40, "ProcessStartupPacket")
		why = "no user"
		return
	}
	var err error
	if h.method == authSCRAM {
		err = h.scram(c, be, user, db)
	} else {
		err = h.md5(c, be, user, db)
	}
	if err != nil {
		if errors.Is(err, errProtocol) {
			h.fatal(be, "08P01", strings.TrimPrefix(err.Error(), errProtocol.Error()+": "), "auth.c", 749, "recv_password_packet")
		}
		why = h.failed(c, err, "authentication")
		return
	}
	// The password is never right: a real server with a role and password
	// the attacker does not know says exactly this.
	h.fatal(be, "28P01", fmt.Sprintf("password authentication failed for user \"%s\"", clip(user, 256)), "auth.c", 323, "auth_failed")
	why = "password authentication failed"
}

// readStartup reads one length-prefixed startup-phase packet and returns
// its code and whole body (code included).
func readStartup(r *bufio.Reader) (uint32, []byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[:]))) - 4
	if n < 4 || n > maxStartup {
		// A real server logs this and hangs up without a word.
		return 0, nil, fmt.Errorf("%w: invalid length of startup packet", errProtocol)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint32(body), body, nil
}

// fatal sends a FATAL ErrorResponse with the fields PostgreSQL 9.6+ sends.
func (h *handler) fatal(be *pgproto3.Backend, code, msg, file string, line int, routine string) {
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg,
		File: file, Line: int32(line), Routine: routine})
	be.Flush()
}

// failed names why a phase ended; malformed input is a protocol_error.
func (h *handler) failed(c *services.Conn, err error, phase string) string {
	if errors.Is(err, errProtocol) {
		c.Emit("protocol_error", map[string]string{"error": clip(err.Error(), 512), "phase": phase}, "malformed PostgreSQL "+phase)
		return "protocol error"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return "client left during " + phase
	}
	return "read failed: " + clip(err.Error(), 256)
}

// receive reads one frontend message; anything but a connection failure
// (an unknown type, an oversized or undecodable body) is the client's
// protocol violation.
func receive(be *pgproto3.Backend) (pgproto3.FrontendMessage, error) {
	msg, err := be.Receive()
	if err == nil {
		return msg, nil
	}
	var ne net.Error
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %v", errProtocol, err)
}

// md5 challenges with a fresh salt and captures the response as hashcat's
// $postgres$ (mode 11100): user, salt and hash, everything a cracker
// needs. The original kept only the hash.
func (h *handler) md5(c *services.Conn, be *pgproto3.Backend, user, db string) error {
	var salt [4]byte
	rand.Read(salt[:])
	be.Send(&pgproto3.AuthenticationMD5Password{Salt: salt})
	if err := be.Flush(); err != nil {
		return err
	}
	be.SetAuthType(pgproto3.AuthTypeMD5Password)
	msg, err := receive(be)
	if err != nil {
		return err
	}
	pm, ok := msg.(*pgproto3.PasswordMessage)
	if !ok {
		return fmt.Errorf("%w: expected password response, got message type %s", errProtocol, msgType(msg))
	}
	resp := pm.Password
	f := map[string]string{"database": clip(db, 256), "pw_hash": clip(resp, 256), "salt_hex": hex.EncodeToString(salt[:]), "method": authMD5}
	var secret []byte
	kind := KindMD5
	if hash, ok := strings.CutPrefix(resp, "md5"); ok && len(hash) == 32 {
		secret = []byte("$postgres$" + user + "*" + hex.EncodeToString(salt[:]) + "*" + hash)
	} else {
		// Not an md5 answer: a client that sends its password in clear.
		secret, kind = []byte(resp), services.KindPlaintext
	}
	c.Emit("auth", services.CredentialFields(f, user, secret, kind, services.Outcome(false)), "postgres md5 response for "+clip(user, 64))
	return nil
}

// Secret kinds of fleet.md §1.3.
const (
	// KindMD5 is an MD5 challenge response, stored as hashcat's $postgres$.
	KindMD5 = "postgres_md5_challenge"
	// KindSCRAM is a SCRAM-SHA-256 client proof with its salt and auth
	// message.
	KindSCRAM = "scram_sha256"
)

func msgType(m pgproto3.FrontendMessage) string {
	return fmt.Sprintf("%T", m)
}

// scram runs SCRAM-SHA-256 (RFC 5802/7677) up to the client's proof and
// captures it with the salt, iteration count and auth message: everything
// needed to test a password guess offline.
func (h *handler) scram(c *services.Conn, be *pgproto3.Backend, user, db string) error {
	be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := be.Flush(); err != nil {
		return err
	}
	be.SetAuthType(pgproto3.AuthTypeSASL)
	msg, err := receive(be)
	if err != nil {
		return err
	}
	init, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		return fmt.Errorf("%w: expected SASL response, got message type %s", errProtocol, msgType(msg))
	}
	if init.AuthMechanism != "SCRAM-SHA-256" {
		return fmt.Errorf("%w: client selected an invalid SASL authentication mechanism", errProtocol)
	}
	cf, err := parseClientFirst(string(init.Data))
	if err != nil {
		return err
	}
	salt := h.mockSalt(user)
	nonce := make([]byte, 18)
	rand.Read(nonce)
	serverFirst := fmt.Sprintf("r=%s%s,s=%s,i=%d", cf.nonce, base64.StdEncoding.EncodeToString(nonce),
		base64.StdEncoding.EncodeToString(salt), scramIterations)
	be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := be.Flush(); err != nil {
		return err
	}
	be.SetAuthType(pgproto3.AuthTypeSASLContinue)
	msg, err = receive(be)
	if err != nil {
		return err
	}
	fin, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return fmt.Errorf("%w: expected SASL response, got message type %s", errProtocol, msgType(msg))
	}
	withoutProof, proof, err := parseClientFinal(string(fin.Data), serverFirst)
	if err != nil {
		return err
	}
	authMsg := cf.bare + "," + serverFirst + "," + withoutProof
	secret := []byte(fmt.Sprintf("$scram-sha-256$%d$%s$%s$%s", scramIterations, base64.StdEncoding.EncodeToString(salt),
		base64.StdEncoding.EncodeToString([]byte(authMsg)), base64.StdEncoding.EncodeToString(proof)))
	f := map[string]string{"database": clip(db, 256), "method": authSCRAM, "scram_salt": base64.StdEncoding.EncodeToString(salt),
		"scram_iterations": strconv.Itoa(scramIterations), "client_proof": base64.StdEncoding.EncodeToString(proof)}
	if cf.user != "" {
		f["scram_user"] = clip(cf.user, 256)
	}
	c.Emit("auth", services.CredentialFields(f, user, secret, KindSCRAM, services.Outcome(false)), "postgres SCRAM proof for "+clip(user, 64))
	return nil
}

// mockSalt is the decky's stable 16-byte salt for user.
func (h *handler) mockSalt(user string) []byte {
	s := sha256.Sum256(append(slices.Clone(h.mockKey), user...))
	return s[:16]
}

type clientFirst struct {
	bare  string // client-first-message-bare, part of the auth message
	user  string
	nonce string
}

// parseClientFirst reads "gs2-header client-first-message-bare".
func parseClientFirst(s string) (clientFirst, error) {
	bad := func(what string) (clientFirst, error) {
		return clientFirst{}, fmt.Errorf("%w: malformed SCRAM message (%s)", errProtocol, what)
	}
	// gs2-cbind-flag "," [authzid] ","
	flag, rest, ok := strings.Cut(s, ",")
	if !ok || (flag != "n" && flag != "y" && !strings.HasPrefix(flag, "p=")) {
		return bad("channel binding flag")
	}
	_, bare, ok := strings.Cut(rest, ",")
	if !ok {
		return bad("authzid")
	}
	cf := clientFirst{bare: bare}
	for _, attr := range strings.Split(bare, ",") {
		switch {
		case strings.HasPrefix(attr, "n="):
			cf.user = attr[2:]
		case strings.HasPrefix(attr, "r="):
			cf.nonce = attr[2:]
		}
	}
	if cf.nonce == "" || strings.ContainsAny(cf.nonce, ", ") {
		return bad("nonce")
	}
	return cf, nil
}

// parseClientFinal reads "c=…,r=…,p=…" and returns the message without its
// proof and the decoded proof; the nonce must be the combined one the
// server sent.
func parseClientFinal(s, serverFirst string) (string, []byte, error) {
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return "", nil, fmt.Errorf("%w: malformed SCRAM message (proof)", errProtocol)
	}
	proof, err := base64.StdEncoding.DecodeString(s[i+3:])
	if err != nil || len(proof) != sha256.Size {
		return "", nil, fmt.Errorf("%w: malformed SCRAM message (invalid ClientProof)", errProtocol)
	}
	without := s[:i]
	serverNonce := strings.TrimPrefix(strings.SplitN(serverFirst, ",", 2)[0], "r=")
	if !strings.Contains(","+without+",", ",r="+serverNonce+",") {
		return "", nil, fmt.Errorf("%w: SCRAM nonce mismatch", errProtocol)
	}
	return without, proof, nil
}

// paramList renders the startup parameters as sorted k=v pairs.
func paramList(p map[string]string) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i == 32 {
			break
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(clip(k, 64) + "=" + strconv.Quote(clip(p[k], 256)))
	}
	return b.String()
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
