// Package redis is the Redis honeypot: a bounded RESP2 server (multibulk
// and inline commands) with a seeded persona (INFO, CONFIG GET), a small
// shared keyspace with seeded bait keys, optional AUTH, and a record of
// every command. The classic attacks are recorded as their own events on
// top of the per-command redis_command event: the persistence sequence
// (CONFIG SET dir/dbfilename, SET of an SSH key or cron line, SAVE),
// SLAVEOF/REPLICAOF to a rogue master, MODULE LOAD, and FLUSHALL.
package redis

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/internal/services"
)

func init() { services.Register(Service{}) }

// Service describes the redis service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "redis" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "Redis (RESP): AUTH capture, INFO/CONFIG persona, every command recorded, persistence attacks flagged"
}

// Ports binds 6379.
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 6379, Proto: services.TCP}}
}

// Schema lists the config keys of fleet.md §1.4 (version, os_string) plus
// password, which the original read from REDIS_PASSWORD without a key.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "version", Label: "Redis version", Type: services.TypeString,
			Help: "redis_version in INFO; unset picks a seeded 6.2/7.x release.", Placeholder: "7.2.4"},
		{Key: "os_string", Label: "OS string", Type: services.TypeString,
			Help: "The os line of INFO; unset follows the decky's distro.", Placeholder: "Linux 5.15.0-91-generic x86_64"},
		{Key: "password", Label: "requirepass", Type: services.TypePassword, Secret: true,
			Help: "When set, commands need AUTH first (NOAUTH otherwise); unset is an open server, the usual victim."},
	}
}

// New builds the service for one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	rng := env.Rand()
	now := time.Now()
	pw := env.Config.String("password")
	h := &handler{
		env:      env,
		password: pw,
		persona:  newPersona(env.Decky, env.Config.String("version"), env.Config.String("os_string"), rng, now),
	}
	h.ks = newKeyspace(rng, defaultConfig(pw), now)
	h.nextID.Store(int64(3 + rng.IntN(400)))
	return h, nil
}

type handler struct {
	env      *services.Env
	password string
	persona  persona
	ks       *keyspace

	nextID          atomic.Int64
	clients         atomic.Int64
	conns, commands atomic.Int64

	mu      sync.Mutex
	changes int
	master  string
}

// maxArgRepr bounds one argument in the recorded command text; an SSH key
// or a cron line fits, a 512 KiB module blob does not need to.
const maxArgRepr = 4096

// maxCommandText bounds the rendered command line of one event.
const maxCommandText = 16 << 10

// maxEventArgs is how many arguments the args field lists (fleet.md §1.4:
// "every command + ≤8 args").
const maxEventArgs = 8

// conn is one client's state.
type conn struct {
	h      *handler
	c      *services.Conn
	w      writer
	id     int64
	authed bool
	db     int
	name   string
	// payload is the last value this client SET that looks like a
	// persistence payload, reported when it SAVEs.
	payloadKey, payloadKind string
	payload                 []byte
	quit                    bool
}

// ServeConn runs one Redis connection.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	h.clients.Add(1)
	h.conns.Add(1)
	defer h.clients.Add(-1)
	cl := &conn{h: h, c: c, w: writer{bufio.NewWriterSize(c, 8<<10)}, id: h.nextID.Add(1), authed: h.password == ""}
	c.Emit("connect", nil, "redis connection")
	// Replies are buffered and go out whenever the parser needs more
	// input, so a pipeline gets one write and no reply waits on the next
	// command.
	rd := newReader(flushingReader{r: c, w: cl.w.w})
	why := "client closed the connection"
	for ctx.Err() == nil && !cl.quit {
		args, err := rd.ReadCommand()
		if err != nil {
			if isProtocolError(err) {
				cl.w.err("ERR " + err.Error())
				cl.w.w.Flush()
				c.Emit("protocol_error", map[string]string{"error": err.Error()}, "malformed RESP input")
				why = "protocol error"
			} else if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				why = "client closed the connection"
			} else {
				why = "read failed: " + err.Error()
			}
			break
		}
		if len(args) == 0 {
			continue
		}
		if name := strings.ToLower(string(args[0])); name == "post" || name == "host:" {
			// Redis drops what looks like an HTTP request smuggled at it
			// (securityWarningCommand) without a reply.
			c.Emit("protocol_error", map[string]string{"error": "cross-protocol request", "cmd": repr(args[0], 64)},
				"HTTP request sent to redis")
			why = "cross-protocol request"
			break
		}
		h.commands.Add(1)
		cl.record(args)
		cl.dispatch(args)
	}
	cl.w.w.Flush()
	c.Emit("disconnect", nil, why)
}

// flushingReader writes out pending replies before it blocks for input.
type flushingReader struct {
	r io.Reader
	w *bufio.Writer
}

func (f flushingReader) Read(p []byte) (int, error) {
	if f.w.Buffered() > 0 {
		if err := f.w.Flush(); err != nil {
			return 0, err
		}
	}
	return f.r.Read(p)
}

// record emits the redis_command event every command gets: cmd (upper
// case), args (the first eight, rendered), argc, and command, the whole
// line as redis-cli would echo it, which the TTP worker matches rules on.
func (cl *conn) record(args [][]byte) {
	// The rendered line stops growing past maxCommandText: the emitter
	// would clip it anyway, and a 1024-argument command must not cost
	// megabytes of rendering.
	var line strings.Builder
	var shown []string
	for i, a := range args {
		if line.Len() > maxCommandText {
			break
		}
		r := repr(a, maxArgRepr)
		if i > 0 {
			line.WriteByte(' ')
			if len(shown) < maxEventArgs {
				shown = append(shown, r)
			}
		}
		line.WriteString(r)
	}
	f := map[string]string{
		"cmd":     strings.ToUpper(clip(string(args[0]), 64)),
		"args":    strings.Join(shown, " "),
		"argc":    strconv.Itoa(len(args) - 1),
		"command": line.String(),
	}
	cl.c.Emit("redis_command", f, "redis command "+f["cmd"])
}

func arityErr(name string) string {
	return "ERR wrong number of arguments for '" + strings.ToLower(name) + "' command"
}

// dispatch answers one command like the persona's Redis.
func (cl *conn) dispatch(args [][]byte) {
	h, w := cl.h, cl.w
	name := strings.ToUpper(string(args[0]))
	if !cl.authed && name != "AUTH" && name != "HELLO" && name != "QUIT" {
		w.err("NOAUTH Authentication required.")
		return
	}
	now := time.Now()
	switch name {
	case "PING":
		switch len(args) {
		case 1:
			w.simple("PONG")
		case 2:
			w.bulk(args[1])
		default:
			w.err(arityErr(name))
		}
	case "ECHO":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		w.bulk(args[1])
	case "QUIT":
		w.simple("OK")
		cl.quit = true
	case "AUTH":
		switch len(args) {
		case 2, 3:
			user, pass := "default", args[1]
			if len(args) == 3 {
				user, pass = string(args[1]), args[2]
			}
			if cl.auth(user, pass, "AUTH") {
				w.simple("OK")
			}
		default:
			w.err(arityErr(name))
		}
	case "HELLO":
		cl.hello(args)
	case "SELECT":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		n, err := strconv.Atoi(string(args[1]))
		switch {
		case err != nil:
			w.err("ERR value is not an integer or out of range")
		case n < 0 || n >= 16:
			w.err("ERR DB index is out of range")
		default:
			cl.db = n
			w.simple("OK")
		}
	case "INFO":
		sec := ""
		if len(args) > 1 {
			sec = string(args[1])
		}
		w.bulkString(h.persona.info(sec, h.stats(now), now))
	case "CONFIG":
		cl.config(args)
	case "DBSIZE":
		h.ks.mu.Lock()
		n := len(h.ks.match("*", now))
		h.ks.mu.Unlock()
		if cl.db != 0 {
			n = 0
		}
		w.integer(int64(n))
	case "KEYS":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		w.array(cl.match(string(args[1]), now))
	case "SCAN":
		cl.scan(args, now)
	case "RANDOMKEY":
		keys := cl.match("*", now)
		if len(keys) == 0 {
			w.null()
			return
		}
		w.bulkString(keys[int(now.UnixNano())%len(keys)])
	case "GET":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		if v, ok := cl.get(string(args[1]), now); ok {
			w.bulk(v)
		} else {
			w.null()
		}
	case "MGET":
		if len(args) < 2 {
			w.err(arityErr(name))
			return
		}
		w.arrayLen(len(args) - 1)
		for _, k := range args[1:] {
			if v, ok := cl.get(string(k), now); ok {
				w.bulk(v)
			} else {
				w.null()
			}
		}
	case "SET", "SETNX", "SETEX":
		cl.set(name, args, now)
	case "DEL", "UNLINK":
		if len(args) < 2 {
			w.err(arityErr(name))
			return
		}
		n := 0
		if cl.db == 0 {
			h.ks.mu.Lock()
			for _, k := range args[1:] {
				if h.ks.del(string(k)) {
					n++
				}
			}
			h.ks.mu.Unlock()
		}
		h.changed(n)
		w.integer(int64(n))
	case "EXISTS":
		if len(args) < 2 {
			w.err(arityErr(name))
			return
		}
		n := 0
		for _, k := range args[1:] {
			if _, ok := cl.get(string(k), now); ok {
				n++
			}
		}
		w.integer(int64(n))
	case "TYPE":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		if _, ok := cl.get(string(args[1]), now); ok {
			w.simple("string")
		} else {
			w.simple("none")
		}
	case "TTL", "PTTL":
		if len(args) != 2 {
			w.err(arityErr(name))
			return
		}
		cl.ttl(name, string(args[1]), now)
	case "EXPIRE", "PEXPIRE":
		cl.expire(name, args, now)
	case "INCR", "DECR", "INCRBY", "DECRBY":
		cl.incr(name, args, now)
	case "FLUSHALL", "FLUSHDB":
		if cl.db == 0 || name == "FLUSHALL" {
			h.ks.mu.Lock()
			n := len(h.ks.keys)
			for k := range h.ks.keys {
				h.ks.del(k)
			}
			h.ks.mu.Unlock()
			h.changed(n)
			cl.c.Emit("redis_flush", map[string]string{"cmd": name, "keys_removed": strconv.Itoa(n)}, "keyspace wiped with "+name)
		}
		w.simple("OK")
	case "SAVE", "BGSAVE":
		cl.save(name, now)
	case "BGREWRITEAOF":
		w.simple("Background append only file rewriting started")
	case "LASTSAVE":
		h.ks.mu.Lock()
		t := h.ks.lastSave
		h.ks.mu.Unlock()
		w.integer(t.Unix())
	case "SLAVEOF", "REPLICAOF":
		cl.replicaof(name, args)
	case "ROLE":
		h.mu.Lock()
		m := h.master
		h.mu.Unlock()
		if host, port, ok := strings.Cut(m, " "); ok {
			w.arrayLen(5)
			w.bulkString("slave")
			w.bulkString(host)
			p, _ := strconv.Atoi(port)
			w.integer(int64(p))
			w.bulkString("connect")
			w.integer(-1)
			return
		}
		w.arrayLen(3)
		w.bulkString("master")
		w.integer(0)
		w.arrayLen(0)
	case "MODULE":
		cl.module(args)
	case "EVAL", "EVALSHA", "EVAL_RO", "FCALL", "SCRIPT", "FUNCTION":
		cl.script(name, args)
	case "CLIENT":
		cl.client(args)
	case "COMMAND":
		if len(args) > 1 && strings.EqualFold(string(args[1]), "COUNT") {
			w.integer(240)
			return
		}
		w.arrayLen(0)
	case "TIME":
		w.array([]string{strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond() / 1000)})
	case "MONITOR":
		w.simple("OK")
	case "SLOWLOG":
		if len(args) > 1 && strings.EqualFold(string(args[1]), "LEN") {
			w.integer(0)
			return
		}
		w.arrayLen(0)
	case "ACL":
		cl.acl(args)
	case "SHUTDOWN":
		w.err("ERR Errors trying to SHUTDOWN. Check logs.")
	case "DEBUG":
		w.err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it " +
			"from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
	default:
		var b strings.Builder
		for i, a := range args[1:] {
			if i == 10 {
				break
			}
			b.WriteString("'" + clip(string(a), 128) + "' ")
		}
		w.err(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", clip(string(args[0]), 128), b.String()))
	}
}

// clip cuts attacker text echoed in replies.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (h *handler) changed(n int) {
	h.mu.Lock()
	h.changes += n
	h.mu.Unlock()
}

func (h *handler) stats(now time.Time) infoStats {
	h.ks.mu.Lock()
	keys := h.ks.match("*", now)
	st := infoStats{keys: len(keys), lastSave: h.ks.lastSave, usedMemory: 870000 + h.ks.bytes}
	for _, k := range keys {
		if !h.ks.keys[k].expire.IsZero() {
			st.expires++
		}
	}
	h.ks.mu.Unlock()
	h.mu.Lock()
	st.changes, st.master = h.changes, h.master
	h.mu.Unlock()
	st.clients = int(h.clients.Load())
	st.conns = int(h.conns.Load())
	st.commands = int(h.commands.Load())
	return st
}

// auth checks a password and records the attempt as a credential. Every
// AUTH is captured, also on an open server (where real Redis answers that
// no password is configured): the attempt is what matters.
func (cl *conn) auth(user string, secret []byte, via string) bool {
	h, w := cl.h, cl.w
	ok := h.password != "" && user == "default" && string(secret) == h.password
	f := services.CredentialFields(map[string]string{"mechanism": via}, user, secret, services.KindPlaintext, services.Outcome(ok))
	cl.c.Emit("auth", f, "redis AUTH for "+user)
	switch {
	case h.password == "" && user == "default":
		w.err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return false
	case !ok:
		w.err("WRONGPASS invalid username-password pair or user is disabled.")
		return false
	}
	cl.authed = true
	return true
}

func (cl *conn) hello(args [][]byte) {
	w := cl.w
	proto := 2
	i := 1
	if len(args) > 1 {
		n, err := strconv.Atoi(string(args[1]))
		if err != nil {
			w.err("ERR Protocol version is not an integer or out of range")
			return
		}
		proto = n
		i = 2
	}
	if proto != 2 && proto != 3 {
		w.err("NOPROTO unsupported protocol version")
		return
	}
	for ; i < len(args); i++ {
		switch opt := strings.ToUpper(string(args[i])); {
		case opt == "AUTH" && i+2 < len(args):
			if !cl.authAs(args[i+1], args[i+2]) {
				return
			}
			i += 2
		case opt == "SETNAME" && i+1 < len(args):
			cl.name = clip(string(args[i+1]), 256)
			i++
		default:
			w.err("ERR Syntax error in HELLO option '" + clip(opt, 64) + "'")
			return
		}
	}
	if !cl.authed {
		w.err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if proto == 3 {
		// RESP3 maps are out of this decoy's reach; clients fall back to
		// RESP2 on NOPROTO, as they do with Redis 5.
		w.err("NOPROTO unsupported protocol version")
		return
	}
	w.arrayLen(14)
	w.bulkString("server")
	w.bulkString("redis")
	w.bulkString("version")
	w.bulkString(cl.h.persona.version)
	w.bulkString("proto")
	w.integer(2)
	w.bulkString("id")
	w.integer(cl.id)
	w.bulkString("mode")
	w.bulkString("standalone")
	w.bulkString("role")
	w.bulkString("master")
	w.bulkString("modules")
	w.arrayLen(0)
}

// authAs is HELLO's AUTH: it reports failure itself, so the caller only
// stops.
func (cl *conn) authAs(user, pass []byte) bool {
	return cl.auth(string(user), pass, "HELLO")
}

func (cl *conn) match(pattern string, now time.Time) []string {
	if cl.db != 0 {
		return nil
	}
	cl.h.ks.mu.Lock()
	defer cl.h.ks.mu.Unlock()
	return cl.h.ks.match(pattern, now)
}

func (cl *conn) get(key string, now time.Time) ([]byte, bool) {
	if cl.db != 0 {
		return nil, false
	}
	cl.h.ks.mu.Lock()
	defer cl.h.ks.mu.Unlock()
	e, ok := cl.h.ks.get(key, now)
	if !ok {
		return nil, false
	}
	return e.val, true
}

func (cl *conn) scan(args [][]byte, now time.Time) {
	if len(args) < 2 {
		cl.w.err(arityErr("scan"))
		return
	}
	if _, err := strconv.ParseUint(string(args[1]), 10, 64); err != nil {
		cl.w.err("ERR invalid cursor")
		return
	}
	pattern := "*"
	for i := 2; i+1 < len(args); i += 2 {
		if strings.EqualFold(string(args[i]), "MATCH") {
			pattern = string(args[i+1])
		}
	}
	// The keyspace is small: one page holds it all, cursor 0 ends it.
	cl.w.arrayLen(2)
	cl.w.bulkString("0")
	cl.w.array(cl.match(pattern, now))
}

var (
	sshKeyRe = regexp.MustCompile(`(?:ssh-(?:rsa|ed25519|dss)|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com) AAAA`)
	cronRe   = regexp.MustCompile(`(?m)^\s*(?:\*|[\d,\-]+)(?:/\d+)?\s+(?:\*|[\d,\-]+)(?:/\d+)?\s+\S+\s+\S+\s+\S+\s+\S`)
	shellRe  = regexp.MustCompile(`(?i)<\?php|<%|eval\s*\(|system\s*\(`)
)

// payloadKind classifies a value written for the dump-file trick.
func payloadKind(v []byte) string {
	switch {
	case sshKeyRe.Match(v):
		return "ssh_key"
	case cronRe.Match(v):
		return "cron"
	case shellRe.Match(v):
		return "webshell"
	}
	return ""
}

func (cl *conn) set(name string, args [][]byte, now time.Time) {
	w := cl.w
	var key string
	var val []byte
	var exp time.Time
	nx, xx := false, false
	switch name {
	case "SETNX":
		if len(args) != 3 {
			w.err(arityErr(name))
			return
		}
		key, val, nx = string(args[1]), args[2], true
	case "SETEX":
		if len(args) != 4 {
			w.err(arityErr(name))
			return
		}
		s, err := strconv.Atoi(string(args[2]))
		if err != nil || s <= 0 {
			w.err("ERR invalid expire time in 'setex' command")
			return
		}
		key, val, exp = string(args[1]), args[3], now.Add(time.Duration(s)*time.Second)
	default:
		if len(args) < 3 {
			w.err(arityErr(name))
			return
		}
		key, val = string(args[1]), args[2]
		for i := 3; i < len(args); i++ {
			switch opt := strings.ToUpper(string(args[i])); opt {
			case "NX":
				nx = true
			case "XX":
				xx = true
			case "KEEPTTL", "GET":
			case "EX", "PX":
				if i+1 >= len(args) {
					w.err("ERR syntax error")
					return
				}
				n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
				if err != nil || n <= 0 || n > 1<<40 {
					w.err("ERR invalid expire time in 'set' command")
					return
				}
				d := time.Duration(n) * time.Second
				if opt == "PX" {
					d = time.Duration(n) * time.Millisecond
				}
				exp = now.Add(d)
				i++
			default:
				w.err("ERR syntax error")
				return
			}
		}
	}
	if k := payloadKind(val); k != "" {
		cl.payloadKey, cl.payloadKind, cl.payload = key, k, val
	}
	if cl.db != 0 {
		// Other databases exist but stay empty: accept and forget.
		w.simple("OK")
		return
	}
	ks := cl.h.ks
	ks.mu.Lock()
	_, exists := ks.get(key, now)
	stored := false
	if !(nx && exists) && !(xx && !exists) {
		stored = ks.put(key, val, exp)
		if !stored {
			ks.mu.Unlock()
			w.err("OOM command not allowed when used memory > 'maxmemory'.")
			return
		}
	}
	ks.mu.Unlock()
	if stored {
		cl.h.changed(1)
	}
	switch {
	case name == "SETNX":
		w.integer(map[bool]int64{true: 1, false: 0}[stored])
	case !stored:
		w.null()
	default:
		w.simple("OK")
	}
}

func (cl *conn) ttl(name, key string, now time.Time) {
	cl.h.ks.mu.Lock()
	e, ok := cl.h.ks.get(key, now)
	var left time.Duration
	if ok {
		left = e.expire.Sub(now)
		if e.expire.IsZero() {
			left = -1
		}
	}
	cl.h.ks.mu.Unlock()
	switch {
	case !ok || cl.db != 0:
		cl.w.integer(-2)
	case left < 0:
		cl.w.integer(-1)
	case name == "PTTL":
		cl.w.integer(left.Milliseconds())
	default:
		cl.w.integer(int64((left + time.Second - 1) / time.Second))
	}
}

func (cl *conn) expire(name string, args [][]byte, now time.Time) {
	if len(args) < 3 {
		cl.w.err(arityErr(name))
		return
	}
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil || n > 1<<40 || n < -(1<<40) {
		cl.w.err("ERR value is not an integer or out of range")
		return
	}
	d := time.Duration(n) * time.Second
	if name == "PEXPIRE" {
		d = time.Duration(n) * time.Millisecond
	}
	cl.h.ks.mu.Lock()
	e, ok := cl.h.ks.get(string(args[1]), now)
	if ok && cl.db == 0 {
		e.expire = now.Add(d)
	}
	cl.h.ks.mu.Unlock()
	cl.w.integer(map[bool]int64{true: 1, false: 0}[ok && cl.db == 0])
}

func (cl *conn) incr(name string, args [][]byte, now time.Time) {
	by := int64(1)
	switch name {
	case "INCR", "DECR":
		if len(args) != 2 {
			cl.w.err(arityErr(name))
			return
		}
	default:
		if len(args) != 3 {
			cl.w.err(arityErr(name))
			return
		}
		n, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil {
			cl.w.err("ERR value is not an integer or out of range")
			return
		}
		by = n
	}
	if strings.HasPrefix(name, "DECR") {
		by = -by
	}
	ks := cl.h.ks
	ks.mu.Lock()
	defer ks.mu.Unlock()
	var cur int64
	if e, ok := ks.get(string(args[1]), now); ok {
		n, err := strconv.ParseInt(string(e.val), 10, 64)
		if err != nil {
			cl.w.err("ERR value is not an integer or out of range")
			return
		}
		cur = n
	}
	cur += by
	if cl.db == 0 && !ks.put(string(args[1]), []byte(strconv.FormatInt(cur, 10)), time.Time{}) {
		cl.w.err("OOM command not allowed when used memory > 'maxmemory'.")
		return
	}
	cl.w.integer(cur)
}

// config is CONFIG GET/SET/RESETSTAT/REWRITE over the shared config. SET
// of dir or dbfilename is the first half of the dump-file persistence
// trick; it succeeds, as on the unprotected servers attackers look for.
func (cl *conn) config(args [][]byte) {
	w := cl.w
	if len(args) < 2 {
		w.err(arityErr("config"))
		return
	}
	sub := strings.ToUpper(string(args[1]))
	ks := cl.h.ks
	switch sub {
	case "GET":
		if len(args) < 3 {
			w.err(arityErr("config|get"))
			return
		}
		ks.mu.Lock()
		var out []string
		seen := map[string]bool{}
		for _, p := range args[2:] {
			pat := strings.ToLower(string(p))
			for _, k := range sortedKeys(ks.config) {
				if !seen[k] && globMatch(pat, k) {
					seen[k] = true
					out = append(out, k, ks.config[k])
				}
			}
		}
		ks.mu.Unlock()
		w.array(out)
	case "SET":
		if len(args) < 4 || len(args)%2 != 0 {
			w.err(arityErr("config|set"))
			return
		}
		ks.mu.Lock()
		for i := 2; i+1 < len(args); i += 2 {
			k := strings.ToLower(string(args[i]))
			if _, ok := ks.config[k]; !ok {
				ks.mu.Unlock()
				w.err("ERR Unknown option or number of arguments for CONFIG SET - '" + clip(k, 128) + "'")
				return
			}
		}
		for i := 2; i+1 < len(args); i += 2 {
			ks.config[strings.ToLower(string(args[i]))] = clip(string(args[i+1]), 1024)
		}
		ks.mu.Unlock()
		w.simple("OK")
	case "RESETSTAT", "REWRITE":
		w.simple("OK")
	case "HELP":
		w.array([]string{"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "GET <pattern>",
			"    Return parameters matching the glob-like <pattern> and their values.", "SET <directive> <value>",
			"    Set the configuration <directive> to <value>.", "RESETSTAT", "    Reset statistics reported by the INFO command.",
			"REWRITE", "    Rewrite the configuration file.", "HELP", "    Print this help."})
	default:
		w.err("ERR unknown subcommand '" + clip(string(args[1]), 128) + "'. Try CONFIG HELP.")
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// save answers SAVE/BGSAVE and, when the dump was pointed somewhere other
// than the stock path, records where the attacker meant to write and what.
func (cl *conn) save(name string, now time.Time) {
	ks := cl.h.ks
	ks.mu.Lock()
	dir, file := ks.config["dir"], ks.config["dbfilename"]
	ks.lastSave = now
	ks.mu.Unlock()
	cl.h.mu.Lock()
	cl.h.changes = 0
	cl.h.mu.Unlock()
	if dir != "/var/lib/redis" || file != "dump.rdb" || cl.payloadKind != "" {
		path := strings.TrimRight(dir, "/") + "/" + file
		f := map[string]string{"cmd": name, "dir": dir, "dbfilename": file, "path": path}
		target := persistenceTarget(dir, file)
		if target != "" {
			f["target"] = target
		}
		if cl.payloadKind != "" {
			f["payload_kind"], f["payload_key"] = cl.payloadKind, clip(cl.payloadKey, 256)
			f["payload"] = repr(cl.payload, maxArgRepr)
		}
		cl.c.Emit("redis_persistence", f, "redis dump written to "+path)
	}
	if name == "BGSAVE" {
		cl.w.simple("Background saving started")
		return
	}
	cl.w.simple("OK")
}

// persistenceTarget names what a dump at dir/file would overwrite.
func persistenceTarget(dir, file string) string {
	d := strings.TrimRight(dir, "/")
	switch {
	case strings.HasSuffix(d, "/.ssh") || strings.HasPrefix(file, "authorized_keys"):
		return "ssh_authorized_keys"
	case strings.Contains(d, "/cron") || strings.HasPrefix(d, "/var/spool/cron"):
		return "cron"
	case strings.HasPrefix(d, "/var/www") || strings.HasPrefix(d, "/usr/share/nginx") || strings.HasSuffix(file, ".php"):
		return "webshell"
	}
	return ""
}

// replicaof records a rogue-master attempt: the attacker's host would push
// a malicious module as the replication payload.
func (cl *conn) replicaof(name string, args [][]byte) {
	if len(args) != 3 {
		cl.w.err(arityErr(name))
		return
	}
	host, port := clip(string(args[1]), 256), string(args[2])
	h := cl.h
	if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
		h.mu.Lock()
		h.master = ""
		h.mu.Unlock()
		cl.c.Emit("redis_replicaof", map[string]string{"cmd": name, "master_host": "", "master_port": "", "action": "stop"},
			"replication stopped")
		cl.w.simple("OK")
		return
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		cl.w.err("ERR Invalid master port")
		return
	}
	h.mu.Lock()
	h.master = host + " " + port
	h.mu.Unlock()
	cl.c.Emit("redis_replicaof", map[string]string{"cmd": name, "master_host": host, "master_port": port, "action": "start"},
		"replication requested from "+net.JoinHostPort(host, port))
	cl.w.simple("OK")
}

func (cl *conn) module(args [][]byte) {
	if len(args) < 2 {
		cl.w.err(arityErr("module"))
		return
	}
	switch strings.ToUpper(string(args[1])) {
	case "LOAD", "LOADEX":
		if len(args) < 3 {
			cl.w.err(arityErr("module|load"))
			return
		}
		f := map[string]string{"cmd": "MODULE " + strings.ToUpper(string(args[1])), "path": repr(args[2], 1024)}
		if len(args) > 3 {
			rest := make([]string, 0, len(args)-3)
			for _, a := range args[3:] {
				rest = append(rest, repr(a, 256))
			}
			f["module_args"] = strings.Join(rest, " ")
		}
		cl.c.Emit("redis_module_load", f, "MODULE LOAD "+f["path"])
		cl.w.err("ERR Error loading the extension. Please check the server logs.")
	case "LIST":
		cl.w.arrayLen(0)
	case "UNLOAD":
		cl.w.err("ERR Error unloading module: no such module with that name")
	default:
		cl.w.err("ERR unknown subcommand '" + clip(string(args[1]), 128) + "'. Try MODULE HELP.")
	}
}

// script answers Lua: no script runs here. The CVE-2022-0543 probe
// (package.loadlib) fails the way a patched server fails it.
func (cl *conn) script(name string, args [][]byte) {
	if name == "SCRIPT" || name == "FUNCTION" {
		if len(args) > 1 && strings.EqualFold(string(args[1]), "FLUSH") {
			cl.w.simple("OK")
			return
		}
		cl.w.arrayLen(0)
		return
	}
	if len(args) < 3 {
		cl.w.err(arityErr(name))
		return
	}
	if strings.Contains(string(args[1]), "package") {
		cl.w.err("ERR Error running script (call to f_0a1c7e3f9b2d4c5e6f708192a3b4c5d6e7f80912): @user_script:1: " +
			"Script attempted to access nonexistent global variable 'package'")
		return
	}
	if name == "EVALSHA" {
		cl.w.err("NOSCRIPT No matching script. Please use EVAL.")
		return
	}
	cl.w.null()
}

func (cl *conn) client(args [][]byte) {
	w := cl.w
	if len(args) < 2 {
		w.err(arityErr("client"))
		return
	}
	switch strings.ToUpper(string(args[1])) {
	case "SETNAME":
		if len(args) != 3 {
			w.err(arityErr("client|setname"))
			return
		}
		cl.name = clip(string(args[2]), 256)
		w.simple("OK")
	case "GETNAME":
		if cl.name == "" {
			w.null()
			return
		}
		w.bulkString(cl.name)
	case "ID":
		w.integer(cl.id)
	case "LIST", "INFO":
		addr := net.JoinHostPort(cl.c.SrcIP, strconv.Itoa(cl.c.SrcPort))
		w.bulkString(fmt.Sprintf("id=%d addr=%s laddr=%s fd=8 name=%s age=%d idle=0 flags=N db=%d sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22298 events=r cmd=client|list user=default redir=-1 resp=2\n",
			cl.id, addr, net.JoinHostPort(cl.c.DstIP, strconv.Itoa(cl.c.DstPort)), cl.name, int(time.Since(cl.c.Started).Seconds()), cl.db))
	case "KILL":
		w.err("ERR No such client")
	default:
		w.simple("OK")
	}
}

func (cl *conn) acl(args [][]byte) {
	if len(args) < 2 {
		cl.w.err(arityErr("acl"))
		return
	}
	switch strings.ToUpper(string(args[1])) {
	case "WHOAMI":
		cl.w.bulkString("default")
	case "LIST":
		if cl.h.password == "" {
			cl.w.array([]string{"user default on nopass sanitize-payload ~* &* +@all"})
			return
		}
		cl.w.array([]string{"user default on sanitize-payload #" + hexSHA256(cl.h.password) + " ~* &* +@all"})
	case "USERS":
		cl.w.array([]string{"default"})
	default:
		cl.w.err("ERR unknown subcommand '" + clip(string(args[1]), 128) + "'. Try ACL HELP.")
	}
}

func hexSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
