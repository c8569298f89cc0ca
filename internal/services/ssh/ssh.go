// Package ssh is the SSH honeypot: an OpenSSH look-alike (persona version
// string, OpenSSH's algorithm order, the decky's persisted host keys) that
// records every password, keyboard-interactive and public-key attempt with
// the client's version and HASSH, accepts the configured logins into the
// emulated shell, and records exec requests, port-forward requests, env
// requests, SCP and SFTP uploads and a transcript of every session.
package ssh

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/services"
)

func init() { services.Register(Service{}) }

// Service describes the ssh service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "ssh" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "OpenSSH look-alike: credentials, HASSH, emulated shell, transcripts, SCP/SFTP uploads"
}

// Ports binds 22.
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 22, Proto: services.TCP}}
}

// Schema lists the config keys of fleet.md §1.4 plus banner and
// weak_passwords.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "password", Label: "Root password", Type: services.TypePassword, Default: "admin", Secret: true,
			Help: "Password that logs in as root."},
		{Key: "user", Label: "Extra user", Type: services.TypeString, Default: "ubuntu",
			Help: "A non-root login user with a home directory."},
		{Key: "user_password", Label: "Extra user's password", Type: services.TypePassword, Default: "admin", Secret: true},
		{Key: "hostname", Label: "Hostname", Type: services.TypeString,
			Help: "Overrides the persona hostname in prompts."},
		{Key: "banner", Label: "Version string", Type: services.TypeString,
			Placeholder: "OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", Help: "SSH identification string; seeded per distro when unset."},
		{Key: "weak_passwords", Label: "Weak logins", Type: services.TypeTextarea, Default: "default",
			Help: `"default" (three seeded common pairs), "none", or user:password lines that also log in.`},
	}
}

// New builds the server config of one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	if len(env.HostKeys) == 0 {
		return nil, errors.New("ssh: the decky has no host keys")
	}
	rng := env.Rand()
	h := &handler{env: env, logins: services.NewLogins(env.Config, rng)}
	if hn := env.Config.String("hostname"); hn != "" {
		h.env.Decky.Hostname = hn
	}
	h.version = serverVersion(env.Config.String("banner"), env.Decky.Distro, rng)
	h.motd = func() string { return motd(env.Decky.Distro, nowFunc(), rand.New(rand.NewPCG(env.Decky.Seed, 7))) }
	h.signers = env.HostKeys
	return h, nil
}

// lastLogin is the "Last login" line of a login shell: an administrator's
// earlier visit from an address on the decky's LAN, both seeded, so the
// line is the same on every login to one decky and differs between deckies.
func (h *handler) lastLogin() string {
	rng := rand.New(rand.NewPCG(h.env.Decky.Seed, 0x1a57))
	ago := time.Duration(2+rng.IntN(90)) * time.Hour
	return fmt.Sprintf("Last login: %s from 10.%d.%d.%d\n", nowFunc().Add(-ago).UTC().Format("Mon Jan _2 15:04:05 2006"),
		rng.IntN(32), rng.IntN(255), 2+rng.IntN(250))
}

type handler struct {
	env     *services.Env
	logins  *services.Logins
	version string
	motd    func() string
	signers []gossh.Signer
}

// maxAuthTries matches OpenSSH's MaxAuthTries default.
const maxAuthTries = 6

// conn is one client connection's state across its callbacks.
type conn struct {
	h    *handler
	c    *services.Conn
	cap  *captureConn
	once sync.Once
	fp   map[string]string // client_version and hassh, once known
	mu   sync.Mutex
	user string // the user that logged in
}

// fingerprint returns the client fields every event of the connection
// carries once the KEXINIT has been seen.
func (cn *conn) fingerprint(md gossh.ConnMetadata) map[string]string {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.fp != nil {
		return cn.fp
	}
	fp := map[string]string{"client_version": string(md.ClientVersion())}
	if k, ok := cn.cap.kexInit(); ok {
		fp["hassh"] = k.HASSH()
		fp["hassh_algorithms"] = k.Algorithms()
		cn.fp = fp
	}
	return fp
}

func (cn *conn) fields(md gossh.ConnMetadata) map[string]string {
	fp := cn.fingerprint(md)
	out := make(map[string]string, len(fp)+8)
	for k, v := range fp {
		out[k] = v
	}
	return out
}

func (cn *conn) authAttempt(md gossh.ConnMetadata, method string, secret []byte, kind string, ok bool, extra map[string]string) {
	f := cn.fields(md)
	f["method"] = method
	for k, v := range extra {
		f[k] = v
	}
	f = services.CredentialFields(f, md.User(), secret, kind, services.Outcome(ok))
	cn.c.Emit("auth_attempt", f, fmt.Sprintf("%s login attempt for %s", method, md.User()))
	if ok {
		cn.mu.Lock()
		cn.user = md.User()
		cn.mu.Unlock()
	}
}

func (h *handler) serverConfig(cn *conn) *gossh.ServerConfig {
	cfg := &gossh.ServerConfig{
		Config:        gossh.Config{KeyExchanges: kexAlgos, Ciphers: ciphers, MACs: macs},
		ServerVersion: h.version,
		MaxAuthTries:  maxAuthTries,
		PasswordCallback: func(md gossh.ConnMetadata, pw []byte) (*gossh.Permissions, error) {
			ok := h.logins.Accept(md.User(), string(pw))
			cn.authAttempt(md, "password", pw, services.KindPlaintext, ok, nil)
			if !ok {
				return nil, errors.New("permission denied")
			}
			return nil, nil
		},
		KeyboardInteractiveCallback: func(md gossh.ConnMetadata, ask gossh.KeyboardInteractiveChallenge) (*gossh.Permissions, error) {
			answers, err := ask("", "", []string{"Password: "}, []bool{false})
			if err != nil || len(answers) != 1 {
				return nil, errors.New("permission denied")
			}
			pw := []byte(answers[0])
			ok := h.logins.Accept(md.User(), answers[0])
			cn.authAttempt(md, "keyboard-interactive", pw, services.KindPlaintext, ok, nil)
			if !ok {
				return nil, errors.New("permission denied")
			}
			return nil, nil
		},
		PublicKeyCallback: func(md gossh.ConnMetadata, key gossh.PublicKey) (*gossh.Permissions, error) {
			// No key is ever authorised: the client falls back to a
			// password, which is what we want to capture.
			cn.authAttempt(md, "publickey", key.Marshal(), services.KindSSHPublicKey, false, map[string]string{
				"key_type": key.Type(), "key_fingerprint": gossh.FingerprintSHA256(key),
			})
			return nil, errors.New("permission denied")
		},
	}
	for _, s := range h.signers {
		cfg.AddHostKey(s)
	}
	return cfg
}

// ServeConn runs one SSH connection: handshake under the handshake
// deadline, then channels until the client leaves.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	cn := &conn{h: h, c: c, cap: &captureConn{Conn: c}}
	c.Emit("connect", nil, "connection from "+net.JoinHostPort(c.SrcIP, strconv.Itoa(c.SrcPort)))
	c.SetPhaseDeadline(c.Limits().HandshakeTimeout)
	sconn, chans, reqs, err := gossh.NewServerConn(cn.cap, h.serverConfig(cn))
	if err != nil {
		f := map[string]string{"error": clip(err.Error(), 256)}
		if k, ok := cn.cap.kexInit(); ok {
			f["hassh"] = k.HASSH()
			f["hassh_algorithms"] = k.Algorithms()
		}
		c.Emit("disconnect", f, "connection closed before login")
		return
	}
	defer sconn.Close()
	c.ClearPhaseDeadline()
	cn.mu.Lock()
	user := cn.user
	cn.mu.Unlock()
	c.Emit("login_success", cn.fields(sconn), "accepted login for "+user)
	stop := context.AfterFunc(ctx, func() { sconn.Close() })
	defer stop()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		h.globalRequests(c, reqs)
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			ch, creqs, err := nc.Accept()
			if err != nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				newSession(h, c, user, ch, creqs).serve(ctx)
			}()
		case "direct-tcpip":
			h.directTCPIP(c, nc)
		default:
			nc.Reject(gossh.UnknownChannelType, "unknown channel type")
		}
	}
	wg.Wait()
	c.Emit("disconnect", nil, "connection closed")
}

// globalRequests records remote port-forward requests (ssh -R) and refuses
// them; keepalives and other requests get the reply OpenSSH would give.
func (h *handler) globalRequests(c *services.Conn, reqs <-chan *gossh.Request) {
	for r := range reqs {
		switch r.Type {
		case "tcpip-forward", "cancel-tcpip-forward":
			var p struct {
				Addr string
				Port uint32
			}
			gossh.Unmarshal(r.Payload, &p)
			c.Emit("port_forward_request", map[string]string{
				"direction": "remote", "request": r.Type, "bind_addr": clip(p.Addr, 256), "bind_port": strconv.Itoa(int(p.Port)),
			}, "remote port forward refused")
			r.Reply(false, nil)
		default:
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}
}

// directTCPIP records a local port-forward attempt (ssh -L, proxying
// through the decky) and refuses it: no outbound connection is ever made
// for an attacker.
func (h *handler) directTCPIP(c *services.Conn, nc gossh.NewChannel) {
	var p struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	gossh.Unmarshal(nc.ExtraData(), &p)
	c.Emit("port_forward_request", map[string]string{
		"direction": "local", "dest_host": clip(p.Host, 256), "dest_port": strconv.Itoa(int(p.Port)),
		"origin_host": clip(p.OriginHost, 256), "origin_port": strconv.Itoa(int(p.OriginPort)),
	}, "direct-tcpip to "+clip(p.Host, 256)+" refused")
	nc.Reject(gossh.Prohibited, "administratively prohibited: open failed")
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

var _ services.Handler = (*handler)(nil)
