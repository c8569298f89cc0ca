// Package mysql is the MySQL honeypot: a protocol-v10 handshake with a
// seeded server version and a fresh 20-byte salt per connection, capture of
// the username and the mysql_native_password or caching_sha2_password
// scramble (in a crack-ready form, salt included), ERROR 1045 in the
// server's exact wording, and an optional accept mode that lets listed (or
// all) logins in to answer a few queries with bait.
package mysql

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/decnet/decnet/internal/services"
)

func init() { services.Register(Service{}) }

// Service describes the mysql service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "mysql" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "MySQL 5.7/8.0 handshake: native and caching_sha2 scramble capture, 1045, optional bait queries"
}

// Ports binds 3306.
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 3306, Proto: services.TCP}}
}

// Login modes of the login key.
const (
	loginDeny   = "deny"
	loginListed = "listed"
	loginAny    = "any"
)

// Schema lists the config keys: version (fleet.md §1.4) and the accept
// mode, which the original lacked.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "version", Label: "Server version", Type: services.TypeString,
			Help: "Version string of the greeting; unset picks a seeded 5.7/8.0 release.", Placeholder: "8.0.36"},
		{Key: "login", Label: "Logins", Type: services.TypeEnum, Default: loginDeny, Enum: []string{loginDeny, loginListed, loginAny},
			Help: "deny: every login gets ERROR 1045; listed: the logins below get in; any: every login with a password gets in."},
		{Key: "logins", Label: "Accepted logins", Type: services.TypeTextarea, Default: "root:root",
			Help: "user:password lines accepted when login is listed."},
	}
}

// versions are the greetings of fleet.md §1.4, weighted towards 8.0.
var versions = []struct {
	v string
	w int
}{
	{"5.7.38-log", 1}, {"5.7.43-log", 1}, {"5.7.44-log", 2}, {"8.0.32", 1}, {"8.0.35", 2}, {"8.0.36", 3}, {"8.0.39", 2}, {"8.0.40", 2},
}

// New builds the service for one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	rng := env.Rand()
	total := 0
	for _, v := range versions {
		total += v.w
	}
	n := rng.IntN(total)
	h := &handler{env: env, mode: env.Config.String("login"), logins: map[string]string{}}
	for _, v := range versions {
		if n -= v.w; n < 0 {
			h.version = v.v
			break
		}
	}
	if v := env.Config.String("version"); v != "" {
		h.version = v
	}
	if h.mode == "" {
		h.mode = loginDeny
	}
	for line := range strings.SplitSeq(env.Config.String("logins"), "\n") {
		if u, p, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && u != "" {
			h.logins[u] = p
		}
	}
	// The connection id counter starts where a server up for a while
	// would be (fleet.md §1.4: seeded 17–65000).
	h.connID.Store(uint32(17 + rng.IntN(65000-17)))
	h.bait = newBait(rng)
	return h, nil
}

type handler struct {
	env     *services.Env
	version string
	mode    string
	logins  map[string]string
	connID  atomic.Uint32
	bait    *bait
}

// mysql8 reports whether the persona is 8.x, whose default plugin is
// caching_sha2_password and whose collation is utf8mb4_0900_ai_ci.
func (h *handler) mysql8() bool { return !strings.HasPrefix(h.version, "5.") }

func (h *handler) defaultPlugin() string {
	if h.mysql8() {
		return pluginSHA2
	}
	return pluginNative
}

// ServeConn runs one MySQL connection.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	id := h.connID.Add(1)
	idStr := strconv.FormatUint(uint64(id), 10)
	c.Emit("connect", map[string]string{"connection_id": idStr}, "mysql connection")
	pc := newPacketConn(c)
	why := "session ended"
	defer func() { c.Emit("disconnect", map[string]string{"connection_id": idStr}, why) }()

	c.SetPhaseDeadline(c.Limits().HandshakeTimeout)
	salt := newSalt()
	charset := byte(0x08) // latin1_swedish_ci, 5.7's default
	if h.mysql8() {
		charset = 0xff // utf8mb4_0900_ai_ci
	}
	pc.seq = 0
	pc.write(greeting(h.version, id, salt, h.defaultPlugin(), charset))
	if err := pc.flush(); err != nil {
		why = "write failed"
		return
	}
	p, err := pc.read()
	if err != nil {
		why = h.readFailed(c, pc, err, "handshake response")
		return
	}
	r, err := parseResponse(p)
	if err != nil {
		why = h.readFailed(c, pc, err, "handshake response")
		return
	}
	if r.sslRequest {
		// TLS was not offered; a client asking anyway gets what a server
		// without SSL says.
		pc.write(errPacket(1043, "08S01", "Bad handshake"))
		pc.flush()
		c.Emit("protocol_error", map[string]string{"error": "SSL request without SSL offered", "connection_id": idStr}, "client asked for TLS")
		why = "ssl request refused"
		return
	}
	plugin, auth := r.plugin, r.auth
	if plugin == "" {
		plugin = pluginNative
	}
	if switchPlugin(plugin, h.mysql8()) {
		// A plugin this server would not take (dialog, ed25519,
		// sha256_password, caching_sha2 on 5.7 …): switch the client to
		// the persona's default, as the server does for an account that
		// uses it.
		plugin = h.defaultPlugin()
		pc.write(authSwitch(plugin, salt))
		if err := pc.flush(); err != nil {
			why = "write failed"
			return
		}
		if auth, err = pc.read(); err != nil {
			why = h.readFailed(c, pc, err, "auth switch response")
			return
		}
	}
	ok := h.accept(r.user, plugin, auth, salt)
	fields := map[string]string{"connection_id": idStr, "client_plugin": plugin}
	if r.database != "" {
		fields["database"] = clip(r.database, 256)
	}
	for _, k := range []string{"_client_name", "_client_version", "_os", "_platform", "program_name"} {
		if v := r.attrs[k]; v != "" {
			fields["attr_"+strings.TrimPrefix(k, "_")] = v
		}
	}
	if len(auth) > 0 {
		secret, kind := h.secret(plugin, auth, salt)
		fields = services.CredentialFields(fields, r.user, secret, kind, services.Outcome(ok))
		fields["response_hex"] = hex.EncodeToString(auth)
		fields["salt_hex"] = hex.EncodeToString(salt)
	} else {
		fields["username"], fields["principal"] = r.user, r.user
		fields["outcome"] = services.Outcome(ok)
	}
	fields["using_password"] = map[bool]string{true: "YES", false: "NO"}[len(auth) > 0]
	c.Emit("auth", fields, "mysql login for "+clip(r.user, 64))
	if !ok {
		pc.write(errPacket(1045, "28000", fmt.Sprintf("Access denied for user '%s'@'%s' (using password: %s)",
			clip(r.user, 128), c.SrcIP, fields["using_password"])))
		pc.flush()
		why = "access denied"
		return
	}
	if plugin == pluginSHA2 {
		pc.write([]byte{0x01, 0x03}) // fast_auth_success
	}
	pc.write(okPacket())
	if err := pc.flush(); err != nil {
		why = "write failed"
		return
	}
	c.ClearPhaseDeadline()
	s := &session{h: h, c: c, pc: pc, user: r.user, db: r.database}
	why = s.run(ctx)
}

// switchPlugin reports whether a client's chosen plugin needs an auth
// switch.
func switchPlugin(plugin string, mysql8 bool) bool {
	switch plugin {
	case pluginNative, pluginClear:
		return false
	case pluginSHA2:
		return !mysql8
	}
	return true
}

// readFailed reports why reading the client failed; malformed input is a
// protocol_error event and gets the server's "Bad handshake".
func (h *handler) readFailed(c *services.Conn, pc *packetConn, err error, what string) string {
	if errors.Is(err, errProtocol) {
		pc.write(errPacket(1043, "08S01", "Bad handshake"))
		pc.flush()
		c.Emit("protocol_error", map[string]string{"error": err.Error(), "phase": what}, "malformed MySQL "+what)
		return "protocol error"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return "client left during the " + what
	}
	return "read failed: " + err.Error()
}

// accept decides whether the login gets in under the login mode.
func (h *handler) accept(user, plugin string, auth, salt []byte) bool {
	switch h.mode {
	case loginAny:
		return len(auth) > 0
	case loginListed:
		pw, ok := h.logins[user]
		return ok && checkPassword(plugin, auth, salt, pw)
	}
	return false
}

// secret is the captured credential in a form a cracker takes as is:
// hashcat's $mysqlna$ (mode 11200) for the native scramble, the same
// layout under $mysql-sha2$ for caching_sha2, the password itself for
// mysql_clear_password. The original stored the scramble alone, which no
// one can crack without the salt.
func (h *handler) secret(plugin string, auth, salt []byte) ([]byte, string) {
	switch plugin {
	case pluginSHA2:
		return []byte("$mysql-sha2$" + hex.EncodeToString(salt) + "*" + hex.EncodeToString(auth)), KindCachingSHA2
	case pluginClear:
		return []byte(strings.TrimRight(string(auth), "\x00")), services.KindPlaintext
	}
	return []byte("$mysqlna$" + hex.EncodeToString(salt) + "*" + hex.EncodeToString(auth)), KindNative
}

// Secret kinds of captured scrambles.
const (
	// KindNative is fleet.md §1.3's kind for the native scramble.
	KindNative = "mysql_native_password"
	// KindCachingSHA2 is the caching_sha2_password fast-auth scramble,
	// which the original never saw (it offered only the native plugin).
	KindCachingSHA2 = "caching_sha2_password"
)
