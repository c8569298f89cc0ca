package services

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"

	"github.com/decnet/decnet/internal/model"
)

// Universal credential field names (fleet.md §1.3): the ingest worker
// stores a credentials row for every event that carries secret_b64.
const (
	FieldPrincipal       = "principal"
	FieldSecretKind      = "secret_kind"
	FieldSecretPrintable = "secret_printable"
	FieldSecretB64       = "secret_b64"
	FieldOutcome         = "outcome"
)

// Secret kinds services emit.
const (
	KindPlaintext    = "plaintext"
	KindSSHPublicKey = "ssh_public_key"
)

// CredentialFields returns the universal credential fields for one attempt,
// merged into extra (which may be nil): principal and username, the secret
// losslessly in base64 and printable with bytes outside 0x20–0x7e as '?'.
func CredentialFields(extra map[string]string, principal string, secret []byte, kind, outcome string) map[string]string {
	if extra == nil {
		extra = make(map[string]string, 6)
	}
	extra["username"] = principal
	extra[FieldPrincipal] = principal
	extra[FieldSecretKind] = kind
	extra[FieldSecretPrintable] = Printable(secret)
	extra[FieldSecretB64] = base64.StdEncoding.EncodeToString(secret)
	extra[FieldOutcome] = outcome
	return extra
}

// Printable maps bytes outside printable ASCII to '?', as the original's
// secret_printable did.
func Printable(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// Outcome is model.OutcomeSuccess when ok, else model.OutcomeFailure.
func Outcome(ok bool) string {
	if ok {
		return model.OutcomeSuccess
	}
	return model.OutcomeFailure
}

// weakPairs are the pairs a seeded decky may accept on top of its
// configured ones: what brute-forcers try first, so a decky that accepts
// one of them looks carelessly run, not planted.
var weakPairs = [][2]string{
	{"root", "123456"}, {"root", "root"}, {"root", "toor"}, {"root", "password"},
	{"admin", "admin"}, {"admin", "123456"}, {"admin", "password"}, {"pi", "raspberry"},
	{"ubuntu", "ubuntu"}, {"user", "user"}, {"test", "test"}, {"oracle", "oracle"},
	{"postgres", "postgres"}, {"git", "git"}, {"support", "support"}, {"guest", "guest"},
}

// Logins decides which user/password pairs a login service accepts.
type Logins struct {
	pairs map[string]map[string]bool
	users []string
}

// NewLogins builds the accepted pairs from the ssh/telnet config keys of
// fleet.md §1.4 — password (root's), user and user_password — plus
// weak_passwords ("user:password" per line, or "default" for three seeded
// picks from a common brute-force list, or "none").
func NewLogins(cfg Config, rng *rand.Rand) *Logins {
	l := &Logins{pairs: make(map[string]map[string]bool)}
	l.add("root", cfg.String("password"))
	if u := cfg.String("user"); u != "" && u != "root" {
		l.add(u, cfg.String("user_password"))
		l.users = append(l.users, u)
	}
	switch weak := strings.TrimSpace(cfg.String("weak_passwords")); weak {
	case "none":
	case "", "default":
		for _, i := range rng.Perm(len(weakPairs))[:3] {
			l.add(weakPairs[i][0], weakPairs[i][1])
		}
	default:
		for line := range strings.SplitSeq(weak, "\n") {
			if u, p, ok := strings.Cut(strings.TrimSpace(line), ":"); ok && u != "" {
				l.add(u, p)
			}
		}
	}
	return l
}

func (l *Logins) add(user, pass string) {
	if user == "" || pass == "" {
		return
	}
	if l.pairs[user] == nil {
		l.pairs[user] = make(map[string]bool)
	}
	l.pairs[user][pass] = true
}

// Accept reports whether user may log in with pass.
func (l *Logins) Accept(user, pass string) bool { return l.pairs[user][pass] }

// Users are the non-root login users the config names, who get home
// directories in the virtual filesystem.
func (l *Logins) Users() []string { return l.users }
