package smtp

import (
	"math/rand/v2"
	"strings"
	"time"
)

// dialect is what differs between the imitated MTAs: the greeting and the
// EHLO/HELO/QUIT/unknown-command wording scanners fingerprint. Everything
// else answers in Postfix's words.
type dialect struct {
	name     string
	greeting func(now time.Time) string
	// hello is the first EHLO line and the HELO reply for a client that
	// said helo from ip.
	hello   func(helo, ip string) string
	caps    []string // EHLO keywords; STARTTLS is added while available
	quit    string
	unknown func(cmd string) string
	size    int64
}

// Postfix's message_size_limit default, which the original advertised.
const postfixSize = 10240000

// newDialect builds the persona's dialect. The mta key picks the wording
// and host stays the EHLO hostname: the original wrote the mta value
// itself ("postfix") into the EHLO first line (fixed).
func newDialect(mta, host, distro, banner string, rng *rand.Rand) dialect {
	var d dialect
	switch mta {
	case mtaExim:
		v := []string{"4.94.2", "4.95", "4.96", "4.97"}[rng.IntN(4)]
		d = dialect{
			name: mtaExim,
			greeting: func(now time.Time) string {
				return "220 " + host + " ESMTP Exim " + v + " " + now.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700")
			},
			hello:   func(helo, ip string) string { return host + " Hello " + helo + " [" + ip + "]" },
			caps:    []string{"SIZE 52428800", "8BITMIME", "PIPELINING", "AUTH PLAIN LOGIN", "STARTTLS", "HELP"},
			quit:    "221 " + host + " closing connection",
			unknown: func(string) string { return "500 unrecognized command" },
			size:    52428800,
		}
	case mtaSendmail:
		v := []string{"8.15.2/8.15.2", "8.17.1.9/8.17.1.9", "8.17.2/8.17.2"}[rng.IntN(3)]
		d = dialect{
			name: mtaSendmail,
			greeting: func(now time.Time) string {
				return "220 " + host + " ESMTP Sendmail " + v + "; " + now.UTC().Format("Mon, 2 Jan 2006 15:04:05 -0700")
			},
			hello: func(helo, ip string) string {
				return host + " Hello " + helo + " [" + ip + "], pleased to meet you"
			},
			caps: []string{"ENHANCEDSTATUSCODES", "PIPELINING", "8BITMIME", "SIZE 10240000", "DSN", "ETRN",
				"AUTH PLAIN LOGIN", "STARTTLS", "DELIVERBY", "HELP"},
			quit:    "221 2.0.0 " + host + " closing connection",
			unknown: func(c string) string { return `500 5.5.1 Command unrecognized: "` + c + `"` },
			size:    postfixSize,
		}
	default:
		suffix := " ESMTP Postfix"
		switch distro {
		case "ubuntu20", "ubuntu22":
			suffix += " (Ubuntu)"
		case "debian", "kali", "":
			suffix += " (Debian/GNU)"
		}
		d = dialect{
			name:     mtaPostfix,
			greeting: func(time.Time) string { return "220 " + host + suffix },
			hello:    func(string, string) string { return host },
			caps: []string{"PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS", "AUTH PLAIN LOGIN",
				"ENHANCEDSTATUSCODES", "8BITMIME", "DSN"},
			quit:    "221 2.0.0 Bye",
			unknown: func(string) string { return "502 5.5.2 Error: command not recognized" },
			size:    postfixSize,
		}
	}
	if banner != "" {
		if !strings.HasPrefix(banner, "220") {
			banner = "220 " + banner
		}
		d.greeting = func(time.Time) string { return banner }
	}
	return d
}
