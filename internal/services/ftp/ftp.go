// Package ftp is the FTP honeypot of fleet.md §1.4: a seeded vsFTPd,
// ProFTPD or Pure-FTPd persona with that daemon's wording, USER/PASS
// capture with a configurable login success rate, and a read-only
// anonymous bait tree. Downloads are recorded (download_attempt), uploads
// are captured to the quarantine (file_captured), passive data connections
// arrive on a declared passive port range the runtime binds, and PORT/EPRT
// to any address but the client's own is refused and recorded as an FTP
// bounce attempt. The server never connects out.
package ftp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/services"
)

func init() { services.Register(Service{}) }

// Service describes the ftp service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "ftp" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "vsftpd/ProFTPD/Pure-FTPd persona: login capture, anonymous bait tree, upload capture, bounce detection"
}

// Login modes of the login_mode key (FTP_LOGIN_MODE in the original).
const (
	modeRandom = "random"
	modeAlways = "always"
	modeNever  = "never"
)

// Ports binds 21 and every passive port; an unreadable pasv_ports falls
// back to the default range (New reports the error).
func (Service) Ports(cfg services.Config) []services.Port {
	ps, err := parsePorts(cfg.String("pasv_ports"))
	if err != nil {
		ps, _ = parsePorts(defaultPassivePorts)
	}
	out := []services.Port{{Number: 21, Proto: services.TCP}}
	for _, p := range ps {
		out = append(out, services.Port{Number: p, Proto: services.TCP})
	}
	return out
}

// Schema lists the config keys: the original's FTP_BANNER,
// FTP_LOGIN_SUCCESS_RATE and FTP_LOGIN_MODE, and the passive range.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "banner", Label: "Banner", Type: services.TypeString,
			Help: `Full greeting line, e.g. "220 (vsFTPd 3.0.5)", or just vsftpd, proftpd or pure-ftpd for that daemon's stock greeting; unset picks one by seed. The daemon named sets the reply wording.`},
		{Key: "login_mode", Label: "Login mode", Type: services.TypeEnum, Default: modeRandom, Enum: []string{modeRandom, modeAlways, modeNever},
			Help: "random: anonymous always gets in, other logins with login_success_rate; always/never: every login succeeds/fails."},
		{Key: "login_success_rate", Label: "Login success rate", Type: services.TypeString, Default: "0.9",
			Help: "Probability (0–1) that a non-anonymous PASS is accepted in random mode."},
		{Key: "pasv_ports", Label: "Passive ports", Type: services.TypeString, Default: defaultPassivePorts,
			Help: "Passive data ports (ranges and commas, at most 64, ≥1024), all bound with port 21."},
	}
}

// failDelay is the pause after a wrong password (vsftpd's
// delay_failed_login); tests set it to zero.
var failDelay = time.Second

// dataAcceptTimeout bounds the wait for a passive data connection
// (vsftpd's accept_timeout is 60 s).
var dataAcceptTimeout = 30 * time.Second

// New builds the service for one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	ports, err := parsePorts(env.Config.String("pasv_ports"))
	if err != nil {
		return nil, err
	}
	rate := 0.9
	if v := strings.TrimSpace(env.Config.String("login_success_rate")); v != "" {
		if rate, err = strconv.ParseFloat(v, 64); err != nil || rate < 0 || rate > 1 {
			return nil, fmt.Errorf("login_success_rate: %q is not a probability between 0 and 1", v)
		}
	}
	mode := env.Config.String("login_mode")
	switch mode {
	case "":
		mode = modeRandom
	case modeRandom, modeAlways, modeNever:
	default:
		return nil, fmt.Errorf("login_mode: %q is not one of random, always, never", mode)
	}
	rng := env.Rand()
	h := &handler{
		env:     env,
		dialect: pickDialect(env.Config.String("banner"), rng),
		tree:    newTree(rng, time.Now()),
		broker:  newBroker(ports),
		mode:    mode,
		rate:    rate,
		now:     time.Now,
	}
	return h, nil
}

type handler struct {
	env     *services.Env
	dialect dialect
	tree    *tree
	broker  *broker
	mode    string
	rate    float64
	now     func() time.Time
}

// ServeConn runs a control connection, or hands a connection that arrived
// on a passive port to the control session waiting for it and holds it
// until that session is done with it (the runtime closes it on return).
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	if h.broker.passive(c.DstPort) {
		done, ok := h.broker.deliver(c)
		if !ok {
			// Nobody waits for a data connection from this address: a
			// port scan, or someone racing for another client's data.
			return
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
		return
	}
	s := h.newSession(ctx, c.Session, c, c, c.DstIP, c.DstPort, c.Limits().MaxLine)
	s.run()
}

// accept decides one login: anonymous is the bait and always gets in
// unless logins are off; others get in with the configured rate.
func (h *handler) accept(anonymous bool) bool {
	switch h.mode {
	case modeAlways:
		return true
	case modeNever:
		return false
	}
	return anonymous || rand.Float64() < h.rate
}

// Interface guards.
var (
	_ services.Service = Service{}
	_ services.Handler = (*handler)(nil)
)
