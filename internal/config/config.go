// Package config is the only place that reads DECNET_* environment variables
// and the optional host config file (INI). It turns them into a typed Config,
// rejecting invalid values at start with one line naming the variable and what
// it accepts.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config is decnet's effective host configuration.
type Config struct {
	// DataDir holds the SQLite file, the JetStream store, generated secrets
	// and per-decky keys.
	DataDir string

	// NATSURL points at an external NATS server; empty runs one in-process.
	NATSURL string
	// NATSListen makes the embedded NATS server accept TCP clients on this
	// host:port; empty opens no port.
	NATSListen string
	// NATSPrefix namespaces every subject and the event stream, so several
	// decnet installations can share one NATS cluster.
	NATSPrefix string

	DB DBConfig

	APIHost        string
	APIPort        int
	CORSOrigins    []string
	LimiterEnabled bool
	// SSEMaxPerUser caps each API user's open SSE streams.
	SSEMaxPerUser int
	// APICache keeps the hot read routes' answers for a few seconds
	// (DECNET_API_CACHE); off, every read queries the database.
	APICache bool

	// JWTSecret signs API tokens; empty means "use or create the one stored in
	// the data dir".
	JWTSecret string
	JWTTTL    time.Duration

	AdminUser string
	// AdminPassword, when set, is used for the first admin and no change is
	// forced; when empty a password is generated and printed once.
	AdminPassword string

	BatchSize      int
	BatchMaxWait   time.Duration
	TrustedProxies []netip.Prefix

	// SyslogAddr is the UDP and TCP address of the RFC 5424 listener; empty
	// disables it.
	SyslogAddr string

	// EventLogFile, when set, receives every event the deckies emit as an
	// RFC 5424 line, for SIEMs that tail files.
	EventLogFile string

	// GeoIPDB is an operator-supplied MaxMind Country or City .mmdb that
	// fills attackers' country_code; empty turns country lookup off.
	GeoIPDB string
	// ASNDB is an operator-supplied MaxMind ASN .mmdb that fills attackers'
	// asn, as_name and bgp_prefix; empty turns ASN lookup off.
	ASNDB string

	// AttackBundle is an operator-supplied MITRE ATT&CK STIX 2.1 bundle
	// (enterprise-attack.json) for technique names, URLs and groups; empty
	// uses the built-in subset covering decnet's own rules.
	AttackBundle string

	// TTPRulesDir is a directory of ATT&CK rule files overlaying the
	// embedded pack (same id replaces), hot-reloaded; empty uses the pack.
	TTPRulesDir string

	// Mode is this host's role: "master" (the database and API live here)
	// or "agent" (a sensor host). DisallowMaster, true by default, makes
	// an agent refuse the master-only commands.
	Mode           string
	DisallowMaster bool

	// TTPRuleStore is where TTP workers read rules: "filesystem" (the pack
	// plus TTPRulesDir; such a process also mirrors its pack into the
	// database) or "database" (what a filesystem master mirrored).
	TTPRuleStore string

	// WebhookAllowPrivate lets webhooks target private, loopback and other
	// non-global addresses (the SSRF guard's IP-category checks are skipped).
	WebhookAllowPrivate bool
	// WebhookCircuitThreshold is how many consecutive failed events disable
	// a webhook subscription.
	WebhookCircuitThreshold int

	LogLevel  slog.Level
	Developer bool

	// Sources records where each setting's value came from: default, file or
	// env.
	Sources map[string]string
}

// DBConfig selects and locates the SQL store.
type DBConfig struct {
	// Type is "sqlite" or "mysql".
	Type string
	// Path is the SQLite file (Type sqlite).
	Path string
	// DSN is the go-sql-driver DSN (Type mysql), from DECNET_DB_URL or built
	// from the DECNET_DB_* components.
	DSN string

	host, port, name, user, password, url string
}

// setting describes one DECNET_* variable: its default, whether it is a
// secret, and how it is applied to a Config.
type setting struct {
	name   string
	def    string
	secret bool
	help   string
	apply  func(c *Config, v string) error
}

var settings = []setting{
	{name: "DECNET_DATA_DIR", def: "./decnet-data", help: "directory for the database, bus store and generated secrets",
		apply: func(c *Config, v string) error { return nonEmpty(v, &c.DataDir) }},
	{name: "DECNET_NATS_URL", help: "external NATS server URL (nats://host:4222); empty runs an embedded server",
		apply: func(c *Config, v string) error {
			if v != "" && !strings.Contains(v, "://") {
				return errors.New("want a URL such as nats://127.0.0.1:4222")
			}
			c.NATSURL = v
			return nil
		}},
	{name: "DECNET_NATS_LISTEN", help: "host:port where the embedded NATS server also accepts TCP clients; empty opens no port",
		apply: func(c *Config, v string) error { return hostPort(v, &c.NATSListen) }},
	{name: "DECNET_NATS_PREFIX", help: "namespace for bus subjects and the event stream on a shared NATS server",
		apply: func(c *Config, v string) error {
			for _, r := range v {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
					return errors.New("want letters, digits, '-' or '_' only")
				}
			}
			c.NATSPrefix = v
			return nil
		}},
	{name: "DECNET_DB_TYPE", def: "sqlite", help: "sqlite or mysql",
		apply: func(c *Config, v string) error {
			v = strings.ToLower(v)
			if v != "sqlite" && v != "mysql" {
				return errors.New("want sqlite or mysql")
			}
			c.DB.Type = v
			return nil
		}},
	{name: "DECNET_DB_PATH", help: "SQLite database file; default <data dir>/decnet.db",
		apply: func(c *Config, v string) error { c.DB.Path = v; return nil }},
	{name: "DECNET_DB_URL", secret: true, help: "MySQL DSN (user:pass@tcp(host:3306)/db); overrides the DECNET_DB_* parts",
		apply: func(c *Config, v string) error { c.DB.url = v; return nil }},
	{name: "DECNET_DB_HOST", def: "localhost", help: "MySQL host",
		apply: func(c *Config, v string) error { c.DB.host = v; return nil }},
	{name: "DECNET_DB_PORT", def: "3306", help: "MySQL port",
		apply: func(c *Config, v string) error {
			var p int
			if err := port(v, &p); err != nil {
				return err
			}
			c.DB.port = v
			return nil
		}},
	{name: "DECNET_DB_NAME", def: "decnet", help: "MySQL database name",
		apply: func(c *Config, v string) error { c.DB.name = v; return nil }},
	{name: "DECNET_DB_USER", def: "decnet", help: "MySQL user",
		apply: func(c *Config, v string) error { c.DB.user = v; return nil }},
	{name: "DECNET_DB_PASSWORD", secret: true, help: "MySQL password",
		apply: func(c *Config, v string) error { c.DB.password = v; return nil }},
	{name: "DECNET_API_HOST", def: "127.0.0.1", help: "address the REST API binds to",
		apply: func(c *Config, v string) error { return nonEmpty(v, &c.APIHost) }},
	{name: "DECNET_API_PORT", def: "8000", help: "REST API port (0 picks a free one)",
		apply: func(c *Config, v string) error { return portOrZero(v, &c.APIPort) }},
	{name: "DECNET_CORS_ORIGINS", help: "comma-separated browser origins allowed to call the API; * is refused",
		apply: func(c *Config, v string) error {
			c.CORSOrigins = nil
			for _, o := range splitList(v) {
				if o == "*" {
					return errors.New("wildcard origin * is refused; list explicit origins such as http://localhost:8080")
				}
				if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
					return fmt.Errorf("origin %q must start with http:// or https://", o)
				}
				c.CORSOrigins = append(c.CORSOrigins, strings.TrimRight(o, "/"))
			}
			return nil
		}},
	{name: "DECNET_LIMITER_ENABLED", def: "true", help: "rate limits on authentication endpoints",
		apply: func(c *Config, v string) error { return boolean(v, &c.LimiterEnabled) }},
	{name: "DECNET_SSE_MAX_PER_USER", def: "5", help: "open SSE streams allowed per API user",
		apply: func(c *Config, v string) error { return intRange(v, 1, 1000, &c.SSEMaxPerUser) }},
	{name: "DECNET_API_CACHE", def: "true", help: "keep the dashboard's hot API reads (stats, logs, attackers, …) for 2-5 s; false queries the database on every read",
		apply: func(c *Config, v string) error { return boolean(v, &c.APICache) }},
	{name: "DECNET_JWT_SECRET", secret: true, help: "HS256 signing key (>= 32 chars); empty = generated and stored in the data dir",
		apply: func(c *Config, v string) error {
			if v == "" {
				c.JWTSecret = ""
				return nil
			}
			if len(v) < 32 {
				return errors.New("want at least 32 characters")
			}
			switch strings.ToLower(v) {
			case "fallback-secret-key-change-me", "admin", "secret", "password", "changeme":
				return errors.New("a well-known value is refused")
			}
			c.JWTSecret = v
			return nil
		}},
	{name: "DECNET_JWT_EXP_MINUTES", def: "240", help: "API token lifetime in minutes",
		apply: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 || n > 60*24*30 {
				return errors.New("want a whole number of minutes between 1 and 43200")
			}
			c.JWTTTL = time.Duration(n) * time.Minute
			return nil
		}},
	{name: "DECNET_ADMIN_USER", def: "admin", help: "name of the first admin account",
		apply: func(c *Config, v string) error { return nonEmpty(v, &c.AdminUser) }},
	{name: "DECNET_ADMIN_PASSWORD", secret: true, help: "first admin password (12-72 bytes); empty = generated, printed once, changed at first login",
		apply: func(c *Config, v string) error {
			if v != "" && (len([]rune(v)) < 12 || len(v) > 72) {
				return errors.New("want 12 to 72 characters (at most 72 bytes)")
			}
			c.AdminPassword = v
			return nil
		}},
	{name: "DECNET_BATCH_SIZE", def: "500", help: "events per ingest transaction",
		apply: func(c *Config, v string) error { return intRange(v, 1, 10000, &c.BatchSize) }},
	{name: "DECNET_BATCH_MAX_WAIT_MS", def: "250", help: "longest an event waits before its batch is written",
		apply: func(c *Config, v string) error {
			var ms int
			if err := intRange(v, 1, 60000, &ms); err != nil {
				return err
			}
			c.BatchMaxWait = time.Duration(ms) * time.Millisecond
			return nil
		}},
	{name: "DECNET_TRUSTED_PROXIES", help: "comma-separated IPs/CIDRs whose proxy headers are trusted",
		apply: func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, s := range splitList(v) {
				p, err := parsePrefix(s)
				if err != nil {
					return fmt.Errorf("%q is not an IP address or CIDR", s)
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return nil
		}},
	{name: "DECNET_SYSLOG_ADDR", def: "127.0.0.1:5514", help: "UDP+TCP address of the RFC 5424 listener; 'off' disables it",
		apply: func(c *Config, v string) error {
			if strings.EqualFold(v, "off") || v == "" {
				c.SyslogAddr = ""
				return nil
			}
			return hostPort(v, &c.SyslogAddr)
		}},
	{name: "DECNET_EVENT_LOG_FILE", def: "", help: "file the deckies' events are appended to as RFC 5424 lines; empty = none",
		apply: func(c *Config, v string) error {
			c.EventLogFile = v
			return nil
		}},
	{name: "DECNET_GEOIP_DB", def: "", help: "MaxMind GeoLite2-Country or City .mmdb for attacker countries; empty = off",
		apply: func(c *Config, v string) error {
			c.GeoIPDB = v
			return nil
		}},
	{name: "DECNET_ASN_DB", def: "", help: "MaxMind GeoLite2-ASN .mmdb for attacker AS numbers, names and prefixes; empty = off",
		apply: func(c *Config, v string) error {
			c.ASNDB = v
			return nil
		}},
	{name: "DECNET_ATTACK_BUNDLE", def: "", help: "MITRE ATT&CK STIX bundle (enterprise-attack.json) for technique names, URLs and groups; empty = built-in subset",
		apply: func(c *Config, v string) error {
			c.AttackBundle = v
			return nil
		}},
	{name: "DECNET_TTP_RULES_DIR", def: "", help: "directory of ATT&CK rule YAML files overlaying the built-in pack, reloaded on change; empty = built-in pack only",
		apply: func(c *Config, v string) error {
			c.TTPRulesDir = v
			return nil
		}},
	{name: "DECNET_MODE", def: "master", help: "this host's role: master, or agent (a sensor host that refuses master-only commands)",
		apply: func(c *Config, v string) error {
			if v != "master" && v != "agent" {
				return errors.New("want master or agent")
			}
			c.Mode = v
			return nil
		}},
	{name: "DECNET_DISALLOW_MASTER", def: "true", help: "with DECNET_MODE=agent, refuse master-only commands (deploy, teardown, ttp-backfill)",
		apply: func(c *Config, v string) error { return boolean(v, &c.DisallowMaster) }},
	{name: "DECNET_TTP_RULE_STORE", def: "filesystem", help: "where TTP workers read rules: filesystem (built-in pack + DECNET_TTP_RULES_DIR, mirrored into the database) or database (the mirror; for workers on other hosts)",
		apply: func(c *Config, v string) error {
			if v != "filesystem" && v != "database" {
				return errors.New("want filesystem or database")
			}
			c.TTPRuleStore = v
			return nil
		}},
	{name: "DECNET_WEBHOOK_ALLOW_PRIVATE", def: "false", help: "allow webhook targets on private, loopback or link-local addresses",
		apply: func(c *Config, v string) error { return boolean(v, &c.WebhookAllowPrivate) }},
	{name: "DECNET_WEBHOOK_CIRCUIT_THRESHOLD", def: "5", help: "consecutive failed events that disable a webhook subscription",
		apply: func(c *Config, v string) error { return intRange(v, 1, 1000, &c.WebhookCircuitThreshold) }},
	{name: "DECNET_LOG_LEVEL", def: "info", help: "debug, info, warn or error",
		apply: func(c *Config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return errors.New("want debug, info, warn or error")
			}
			return nil
		}},
	{name: "DECNET_DEVELOPER", def: "false", help: "developer mode: verbose errors",
		apply: func(c *Config, v string) error { return boolean(v, &c.Developer) }},
}

// Names lists every DECNET_* variable the host configuration reads.
func Names() []string {
	out := make([]string, len(settings))
	for i, s := range settings {
		out[i] = s.name
	}
	return out
}

// LookupFunc reads one environment variable; os.LookupEnv in production.
type LookupFunc func(name string) (string, bool)

// Load builds the effective Config: defaults, then the INI file at iniPath
// (if not empty), then the environment, which wins.
func Load(lookup LookupFunc, iniPath string) (Config, error) {
	var file map[string]string
	if iniPath != "" {
		var err error
		file, err = readHostFile(iniPath)
		if err != nil {
			return Config{}, err
		}
	}
	c := Config{Sources: map[string]string{}}
	for _, s := range settings {
		v, src := s.def, "default"
		if fv, ok := file[s.name]; ok {
			v, src = fv, "file"
		}
		if ev, ok := lookup(s.name); ok {
			v, src = ev, "env"
		}
		v = strings.TrimSpace(v)
		if err := s.apply(&c, v); err != nil {
			shown := v
			if s.secret {
				shown = "<redacted>"
			}
			where := ""
			if src == "file" {
				where = " (from " + iniPath + ")"
			}
			return Config{}, fmt.Errorf("invalid %s=%q%s: %v", s.name, shown, where, err)
		}
		c.Sources[s.name] = src
	}
	if c.DB.Path == "" {
		c.DB.Path = filepath.Join(c.DataDir, "decnet.db")
	}
	if c.DB.Type == "mysql" {
		c.DB.DSN = c.DB.mysqlDSN()
	}
	return c, nil
}

// FromEnvironment loads the configuration from the process environment and
// the optional host file (iniPath, else $DECNET_CONFIG).
func FromEnvironment(iniPath string) (Config, error) {
	if iniPath == "" {
		iniPath = os.Getenv("DECNET_CONFIG")
	}
	return Load(os.LookupEnv, iniPath)
}

// mysqlDSN prefers DECNET_DB_URL and otherwise assembles the DSN from parts.
func (d DBConfig) mysqlDSN() string {
	if d.url != "" {
		return strings.TrimPrefix(d.url, "mysql://")
	}
	auth := d.user
	if d.password != "" {
		auth += ":" + d.password
	}
	return fmt.Sprintf("%s@tcp(%s)/%s", auth, net.JoinHostPort(d.host, d.port), d.name)
}

// readHostFile maps a host INI file to DECNET_* names. Keys are the variable
// names without the prefix (db_type = mysql), in a [decnet] section or before
// any section; unknown keys are errors so typos do not pass silently.
func readHostFile(path string) (map[string]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %v", path, errors.Unwrap(err))
	}
	defer fh.Close()
	f, err := ParseINI(fh)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %v", path, err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	out := map[string]string{}
	for _, sec := range f.Sections {
		if sec.Name != "" && !strings.EqualFold(sec.Name, "decnet") {
			return nil, fmt.Errorf("config file %s: unknown section [%s]; host settings go in [decnet]", path, sec.Name)
		}
		for _, k := range sec.Keys {
			name := "DECNET_" + strings.ToUpper(strings.TrimPrefix(k, "decnet_"))
			if !known[name] {
				return nil, fmt.Errorf("config file %s line %d: unknown key %q (run 'decnet config show' for the list)", path, sec.Lines[k], k)
			}
			out[name] = sec.Values[k]
		}
	}
	return out, nil
}

// Setting is one row of `decnet config show`.
type Setting struct {
	Name   string
	Value  string
	Source string
	Help   string
}

// Effective lists every setting with its effective value and origin, secrets
// redacted, sorted by name.
func (c Config) Effective(lookup LookupFunc, iniPath string) []Setting {
	var file map[string]string
	if iniPath != "" {
		file, _ = readHostFile(iniPath)
	}
	out := make([]Setting, 0, len(settings))
	for _, s := range settings {
		v, ok := lookup(s.name)
		if !ok {
			if fv, fok := file[s.name]; fok {
				v = fv
			} else {
				v = s.def
			}
		}
		switch {
		case s.name == "DECNET_DB_PATH" && v == "":
			v = c.DB.Path
		case s.secret && v != "":
			v = "<redacted>"
		case s.secret:
			v = "<unset>"
		}
		out = append(out, Setting{Name: s.name, Value: v, Source: c.Sources[s.name], Help: s.help})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func nonEmpty(v string, dst *string) error {
	if v == "" {
		return errors.New("must not be empty")
	}
	*dst = v
	return nil
}

func boolean(v string, dst *bool) error {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		*dst = true
	case "0", "false", "no", "off":
		*dst = false
	default:
		return errors.New("want true or false")
	}
	return nil
}

func intRange(v string, lo, hi int, dst *int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("want a whole number from %d to %d", lo, hi)
	}
	*dst = n
	return nil
}

func port(v string, dst *int) error {
	if err := intRange(v, 1, 65535, dst); err != nil {
		return errors.New("want a port number from 1 to 65535")
	}
	return nil
}

func portOrZero(v string, dst *int) error {
	if err := intRange(v, 0, 65535, dst); err != nil {
		return errors.New("want a port number from 1 to 65535 (0 = any free port)")
	}
	return nil
}

func hostPort(v string, dst *string) error {
	if v == "" {
		*dst = ""
		return nil
	}
	h, p, err := net.SplitHostPort(v)
	if err != nil || h == "" {
		return errors.New("want host:port, such as 127.0.0.1:5514")
	}
	var n int
	if err := portOrZero(p, &n); err != nil {
		return err
	}
	*dst = v
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// MasterOnly returns an error naming command when this host is an agent
// that must not run master-only commands, and nil otherwise.
func (c Config) MasterOnly(command string) error {
	if c.Mode == "agent" && c.DisallowMaster {
		return fmt.Errorf("decnet %s is master-only and this host is an agent (DECNET_MODE=agent): run it on the "+
			"master, or set DECNET_DISALLOW_MASTER=false", command)
	}
	return nil
}
