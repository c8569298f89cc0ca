// Package smtp is the SMTP honeypot of fleet.md §1.4 in its two modes:
// smtp, a Postfix-style (or Exim/Sendmail) ESMTP server that captures AUTH
// PLAIN/LOGIN credentials, VRFY probes and envelopes but relays nothing,
// and smtp_relay, an apparent open relay that accepts AUTH and mail,
// stores each message as .eml in the quarantine and emits message_stored
// with the analysis ingest and the TTP worker read (headers, attachments
// with sha256, URLs, body simhash, DKIM/SPF claims). STARTTLS is real,
// with the decky's certificate, and the ClientHello is fingerprinted.
//
// It does not use github.com/emersion/go-smtp: that server answers VRFY
// itself ("252 Cannot VRFY user…") with no backend hook, fixes the EHLO
// first line to "Hello <domain>" and answers unknown commands without a
// hook, so neither Postfix's wording nor the vrfy and unknown_command
// events could be produced with it.
package smtp

import (
	"context"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/services"
)

func init() {
	services.Register(Service{})
	services.Register(Service{Relay: true})
}

// Service describes smtp, or smtp_relay when Relay is set.
type Service struct {
	// Relay selects the open-relay mode (the original's SMTP_OPEN_RELAY).
	Relay bool
}

// Name is the registry slug.
func (s Service) Name() string {
	if s.Relay {
		return "smtp_relay"
	}
	return "smtp"
}

// Description is the one-line summary for `decnet services`.
func (s Service) Description() string {
	if s.Relay {
		return "open SMTP relay: accepts AUTH and mail, stores .eml with attachment and URL analysis"
	}
	return "Postfix-style ESMTP: AUTH, VRFY and envelope capture, relay denied"
}

// Ports binds both declared ports (the original bound only 25).
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 25, Proto: services.TCP}, {Number: 587, Proto: services.TCP}}
}

// MTA personas of the mta key.
const (
	mtaPostfix  = "postfix"
	mtaExim     = "exim"
	mtaSendmail = "sendmail"
)

// Schema lists the config keys of fleet.md §1.4; smtp_relay adds the
// relay's and the upstream probe's keys.
func (s Service) Schema() services.Schema {
	sc := services.Schema{
		{Key: "banner", Label: "Banner", Type: services.TypeString,
			Help: `Full greeting line including "220"; unset: the mta persona's own greeting with the decky's hostname.`},
		{Key: "mta", Label: "MTA", Type: services.TypeEnum, Default: mtaPostfix, Enum: []string{mtaPostfix, mtaExim, mtaSendmail},
			Help: "Which MTA's greeting, EHLO and wording to imitate."},
	}
	if !s.Relay {
		return sc
	}
	return append(sc,
		services.Field{Key: "auth_whitelist", Label: "AUTH users", Type: services.TypeString,
			Help: "Comma-separated users whose AUTH succeeds; empty: every AUTH succeeds (SMTP_AUTH_WHITELIST)."},
		services.Field{Key: "greylist_percent", Label: "Greylist %", Type: services.TypeInt, Default: "8",
			Help: "Share of valid recipients answered 451 greylisted, as a real relay sometimes does."},
		services.Field{Key: "upstream_host", Label: "Upstream host", Type: services.TypeString,
			Help: "Relay used by the probe forwarder to deliver up to probe_limit probe mails per attacker (never by the decky itself)."},
		services.Field{Key: "upstream_port", Label: "Upstream port", Type: services.TypeInt, Default: "25"},
		services.Field{Key: "upstream_user", Label: "Upstream user", Type: services.TypeString},
		services.Field{Key: "upstream_pass", Label: "Upstream password", Type: services.TypePassword, Secret: true},
		services.Field{Key: "upstream_sender", Label: "Upstream sender", Type: services.TypeString},
		services.Field{Key: "probe_limit", Label: "Probe limit", Type: services.TypeInt, Default: "1"},
	)
}

// New builds the service for one decky.
func (s Service) New(env *services.Env) (services.Handler, error) {
	host := env.Decky.Hostname
	if host == "" {
		host = env.Decky.Name
	}
	rng := env.Rand()
	h := &handler{
		env:      env,
		relay:    s.Relay,
		host:     host,
		dialect:  newDialect(env.Config.String("mta"), host, env.Decky.Distro, env.Config.String("banner"), rng),
		greylist: env.Config.Int("greylist_percent", 8),
		users:    localUsers(rng),
		now:      time.Now,
	}
	if !s.Relay {
		h.greylist = 0
	}
	for _, u := range strings.Split(env.Config.String("auth_whitelist"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			h.whitelist = append(h.whitelist, u)
		}
	}
	return h, nil
}

type handler struct {
	env       *services.Env
	relay     bool
	host      string
	dialect   dialect
	greylist  int
	whitelist []string
	users     map[string]bool
	now       func() time.Time
}

// ServeConn runs one SMTP connection.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	s := h.newSession(ctx, c.Session, c, c, c)
	s.run()
}

// localUsers are the mailboxes VRFY confirms: the ones every Unix mail
// host has plus a few seeded staff names, so VRFY enumeration finds
// something plausible and different per decky.
func localUsers(rng interface{ IntN(int) int }) map[string]bool {
	users := map[string]bool{"root": true, "postmaster": true, "abuse": true, "admin": true, "mail": true,
		"webmaster": true, "info": true}
	staff := []string{"john", "sarah", "mike", "anna", "david", "laura", "peter", "emma", "james", "lisa", "backup", "deploy"}
	for range 3 {
		users[staff[rng.IntN(len(staff))]] = true
	}
	return users
}

// Interface guards.
var (
	_ services.Service = Service{}
	_ services.Handler = (*handler)(nil)
)
