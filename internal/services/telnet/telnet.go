// Package telnet is the Telnet honeypot: busybox telnetd's option
// negotiation, a `login:`/`Password:` dialogue in the persona's style
// (busybox on embedded deckies, Ubuntu elsewhere) that records every
// attempt, and on a configured login the same emulated shell, transcript
// and session notification as SSH.
package telnet

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/loginshell"
	"github.com/decnet/decnet/internal/services/terminal"
)

func init() { services.Register(Service{}) }

// Service describes the telnet service for the registry.
type Service struct{}

// Name is the registry slug.
func (Service) Name() string { return "telnet" }

// Description is the one-line summary for `decnet services`.
func (Service) Description() string {
	return "busybox-style telnetd: login capture, emulated shell, transcripts"
}

// Ports binds 23.
func (Service) Ports(services.Config) []services.Port {
	return []services.Port{{Number: 23, Proto: services.TCP}}
}

// Schema lists the config keys of fleet.md §1.4 plus weak_passwords.
func (Service) Schema() services.Schema {
	return services.Schema{
		{Key: "password", Label: "Root password", Type: services.TypePassword, Default: "admin", Secret: true},
		{Key: "user", Label: "Extra user", Type: services.TypeString, Default: "ubuntu"},
		{Key: "user_password", Label: "Extra user's password", Type: services.TypePassword, Default: "admin", Secret: true},
		{Key: "hostname", Label: "Hostname", Type: services.TypeString, Help: "Overrides the persona hostname."},
		{Key: "weak_passwords", Label: "Weak logins", Type: services.TypeTextarea, Default: "default",
			Help: `"default" (three seeded common pairs), "none", or user:password lines that also log in.`},
	}
}

// maxLoginTries is login(1)'s default before it hangs up.
const maxLoginTries = 3

// failDelay is login(1)'s pause after a wrong password (FAIL_DELAY).
var failDelay = 2 * time.Second

// New builds the service for one decky.
func (Service) New(env *services.Env) (services.Handler, error) {
	h := &handler{env: env, logins: services.NewLogins(env.Config, env.Rand())}
	if hn := env.Config.String("hostname"); hn != "" {
		h.env.Decky.Hostname = hn
	}
	return h, nil
}

type handler struct {
	env    *services.Env
	logins *services.Logins
}

// embedded reports whether the persona is a busybox device (alpine
// images, embedded OS family).
func (h *handler) embedded() bool {
	return h.env.Decky.Distro == "alpine" || h.env.Decky.NmapOS == "embedded"
}

// ServeConn runs one Telnet connection.
func (h *handler) ServeConn(ctx context.Context, c *services.Conn) {
	c.Emit("connect", nil, "telnet connection")
	out := escapeIAC{w: c}
	if _, err := c.Write(negotiation); err != nil {
		return
	}
	opts := newOptionReader(c, c)
	term := terminal.New(opts, out)
	term.SetMaxLine(4096)
	c.SetPhaseDeadline(c.Limits().HandshakeTimeout * 4)

	// busybox telnetd shows /etc/issue.net only when the file exists; the
	// persona has none, so the prompt follows the negotiation directly,
	// as scanners expect of a busybox device.
	var user string
	ok := false
	// Empty usernames re-prompt without counting as a try, as login(1)
	// does, but only so many times.
	for try, prompts := 0, 0; try < maxLoginTries && !ok && prompts < 4*maxLoginTries; prompts++ {
		term.SetEcho(true)
		u, err := term.ReadLine(h.loginPrompt())
		if errors.Is(err, terminal.ErrInterrupt) {
			continue
		}
		if err != nil {
			h.closed(c, opts, "client left at the login prompt")
			return
		}
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		try++
		term.SetEcho(false)
		pw, err := term.ReadLine("Password: ")
		term.SetEcho(true)
		if err != nil && !errors.Is(err, terminal.ErrInterrupt) {
			h.closed(c, opts, "client left at the password prompt")
			return
		}
		user = u
		ok = h.logins.Accept(u, pw)
		f := h.clientFields(opts)
		f = services.CredentialFields(f, u, []byte(pw), services.KindPlaintext, services.Outcome(ok))
		c.Emit("auth_attempt", f, "login attempt for "+u)
		if !ok {
			select {
			case <-time.After(failDelay):
			case <-ctx.Done():
				return
			}
			term.WriteString("\nLogin incorrect\n")
		}
	}
	if !ok {
		h.closed(c, opts, "too many failed logins")
		return
	}
	c.ClearPhaseDeadline()
	c.Emit("login_success", h.clientFields(opts), "accepted login for "+user)
	ls := loginshell.New(h.env, c.Session, user)
	ls.StartTranscript(opts.Width, opts.Height, orDefault(opts.TermType, "xterm"))
	cast := ls.Cast()
	rec := &recorder{r: opts, w: out, cast: cast}
	sh := terminal.New(rec, rec)
	sh.SetMaxLine(c.Limits().MaxLine)
	ls.Interactive(ctx, sh, h.motd(), true)
	ls.End(ctx)
	h.closed(c, opts, "session ended")
}

func (h *handler) closed(c *services.Conn, opts *optionReader, why string) {
	c.Emit("disconnect", h.clientFields(opts), why)
}

// clientFields are what the client's negotiation revealed: a fingerprint
// of the telnet client.
func (h *handler) clientFields(o *optionReader) map[string]string {
	f := map[string]string{}
	if len(o.Options) > 0 {
		f["telnet_options"] = strings.Join(o.Options, ",")
	}
	if o.TermType != "" {
		f["term_type"] = o.TermType
	}
	return f
}

func (h *handler) loginPrompt() string {
	return h.env.Decky.Hostname + " login: "
}

// issue is /etc/issue.net as the persona's distro prints it.
func (h *handler) issue() string {
	switch {
	case h.embedded():
		return ""
	case h.env.Decky.Distro == "ubuntu20":
		return "Ubuntu 20.04.6 LTS"
	case h.env.Decky.Distro == "debian":
		return "Debian GNU/Linux 12"
	default:
		return "Ubuntu 22.04.3 LTS"
	}
}

func (h *handler) motd() string {
	if h.embedded() {
		return "\n\nBusyBox v1.36.1 (2023-11-07 18:53:09 UTC) built-in shell (ash)\n\n"
	}
	return "Welcome to " + h.issue() + " (GNU/Linux 5.15.0-91-generic x86_64)\n\n" +
		" * Documentation:  https://help.ubuntu.com\n\n" +
		"Last login: " + time.Now().Add(-29*time.Hour).UTC().Format("Mon Jan _2 15:04:05 MST 2006") + " on pts/0\n"
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// recorder tees the session into the transcript.
type recorder struct {
	r    io.Reader
	w    io.Writer
	cast *terminal.Cast
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.cast.Input(p[:n])
	return n, err
}

func (r *recorder) Write(p []byte) (int, error) {
	r.cast.Output(p)
	return r.w.Write(p)
}

var _ services.Handler = (*handler)(nil)
