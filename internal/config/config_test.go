package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(kv map[string]string) LookupFunc {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestLoadDefaultsNeedNoEnvironment(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./decnet-data" || c.DB.Type != "sqlite" || c.DB.Path != filepath.Join("decnet-data", "decnet.db") {
		t.Errorf("storage defaults: %+v", c.DB)
	}
	if c.NATSURL != "" || c.NATSListen != "" {
		t.Errorf("bus must default to embedded with no port, got %q %q", c.NATSURL, c.NATSListen)
	}
	if c.APIHost != "127.0.0.1" || c.APIPort != 8000 || c.JWTTTL != 240*time.Minute {
		t.Errorf("api defaults: %s:%d ttl %s", c.APIHost, c.APIPort, c.JWTTTL)
	}
	if c.BatchSize != 500 || c.BatchMaxWait != 250*time.Millisecond || c.SyslogAddr != "127.0.0.1:5514" || !c.LimiterEnabled {
		t.Errorf("ingest defaults: %d %s %q", c.BatchSize, c.BatchMaxWait, c.SyslogAddr)
	}
	if c.Sources["DECNET_API_PORT"] != "default" {
		t.Errorf("source = %q", c.Sources["DECNET_API_PORT"])
	}
}

func TestLoadRejectsInvalidValuesNamingTheVariable(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"DECNET_API_PORT", "abc", "invalid DECNET_API_PORT=\"abc\": want a port number"},
		{"DECNET_API_PORT", "70000", "DECNET_API_PORT"},
		{"DECNET_DB_TYPE", "postgres", "invalid DECNET_DB_TYPE=\"postgres\": want sqlite or mysql"},
		{"DECNET_JWT_SECRET", "short", "invalid DECNET_JWT_SECRET=\"<redacted>\": want at least 32 characters"},
		{"DECNET_JWT_EXP_MINUTES", "-5", "DECNET_JWT_EXP_MINUTES"},
		{"DECNET_ADMIN_PASSWORD", "elevenchars", "invalid DECNET_ADMIN_PASSWORD=\"<redacted>\": want 12 to 72"},
		{"DECNET_BATCH_SIZE", "0", "want a whole number from 1 to 10000"},
		{"DECNET_TRUSTED_PROXIES", "10.0.0.0/8, nonsense", "\"nonsense\" is not an IP address or CIDR"},
		{"DECNET_SYSLOG_ADDR", "5514", "want host:port"},
		{"DECNET_CORS_ORIGINS", "*", "wildcard origin * is refused"},
		{"DECNET_NATS_URL", "127.0.0.1:4222", "want a URL"},
		{"DECNET_LIMITER_ENABLED", "maybe", "want true or false"},
		{"DECNET_LOG_LEVEL", "loud", "want debug, info, warn or error"},
		{"DECNET_NATS_PREFIX", "a.b", "want letters, digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{tt.name: tt.value}), "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error must be one line: %q", err)
			}
		})
	}
}

func TestEnvironmentOverridesHostFile(t *testing.T) {
	dir := t.TempDir()
	ini := filepath.Join(dir, "decnet.ini")
	body := "# host settings\n[decnet]\napi_port = 9001\nbatch_size = 100\ndb_type = mysql\ndb_host = db.internal\ndb_password = s3cret\n"
	if err := os.WriteFile(ini, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(envOf(map[string]string{"DECNET_API_PORT": "9002"}), ini)
	if err != nil {
		t.Fatal(err)
	}
	if c.APIPort != 9002 || c.Sources["DECNET_API_PORT"] != "env" {
		t.Errorf("env must win: port %d from %s", c.APIPort, c.Sources["DECNET_API_PORT"])
	}
	if c.BatchSize != 100 || c.Sources["DECNET_BATCH_SIZE"] != "file" {
		t.Errorf("file value lost: %d from %s", c.BatchSize, c.Sources["DECNET_BATCH_SIZE"])
	}
	if c.DB.DSN != "decnet:s3cret@tcp(db.internal:3306)/decnet" {
		t.Errorf("dsn = %q", c.DB.DSN)
	}
	for _, s := range c.Effective(envOf(map[string]string{"DECNET_API_PORT": "9002"}), ini) {
		if strings.Contains(s.Value, "s3cret") {
			t.Errorf("%s leaks a secret: %q", s.Name, s.Value)
		}
		if s.Name == "DECNET_DB_PASSWORD" && s.Value != "<redacted>" {
			t.Errorf("password shown as %q", s.Value)
		}
	}
}

func TestDBURLWinsOverParts(t *testing.T) {
	c, err := Load(envOf(map[string]string{
		"DECNET_DB_TYPE": "mysql", "DECNET_DB_URL": "root@tcp(127.0.0.1:3306)/test", "DECNET_DB_HOST": "ignored",
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.DB.DSN != "root@tcp(127.0.0.1:3306)/test" {
		t.Errorf("dsn = %q", c.DB.DSN)
	}
}

func TestHostFileErrorsNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ body, want string }{
		{"[decnet]\napi_prot = 1\n", "line 2: unknown key \"api_prot\""},
		{"[fleet]\nx = 1\n", "unknown section [fleet]"},
		{"[decnet]\napi_port = 1\napi_port = 2\n", "repeated"},
		{"[decnet]\njunk line\n", "expected key = value"},
		{"[decnet]\napi_port = nope\n", "invalid DECNET_API_PORT=\"nope\" (from "},
	}
	for i, tt := range tests {
		p := filepath.Join(dir, "h"+string(rune('a'+i))+".ini")
		if err := os.WriteFile(p, []byte(tt.body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(envOf(nil), p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("body %q: error %v, want %q", tt.body, err, tt.want)
		}
	}
	if _, err := Load(envOf(nil), filepath.Join(dir, "missing.ini")); err == nil || !strings.Contains(err.Error(), "missing.ini") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestParseINIContinuationAndComments(t *testing.T) {
	f, err := ParseINI(strings.NewReader("top = 1\n; c\n[a]\nK: v1\n  more\n[b]\nx=\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Section("").Values["top"]; got != "1" {
		t.Errorf("top = %q", got)
	}
	if got := f.Section("A").Values["k"]; got != "v1\nmore" {
		t.Errorf("continuation = %q", got)
	}
	if _, ok := f.Section("b").Values["x"]; !ok {
		t.Error("empty value lost")
	}
}

func FuzzParseINI(f *testing.F) {
	f.Add("[decnet]\napi_port = 1\n")
	f.Add("[a]\nk: v\n  cont\n#c\n")
	f.Fuzz(func(t *testing.T, s string) {
		file, err := ParseINI(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, sec := range file.Sections {
			if len(sec.Keys) != len(sec.Values) {
				t.Fatalf("keys %d values %d", len(sec.Keys), len(sec.Values))
			}
		}
	})
}

func TestEnrichmentDatabasesAreOptionalPaths(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.GeoIPDB != "" || c.ASNDB != "" {
		t.Errorf("enrichment must default off, got %q %q", c.GeoIPDB, c.ASNDB)
	}

	dir := t.TempDir()
	ini := filepath.Join(dir, "decnet.ini")
	if err := os.WriteFile(ini, []byte("[decnet]\nasn_db = /var/lib/GeoIP/GeoLite2-ASN.mmdb\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"DECNET_GEOIP_DB": " /srv/GeoLite2-City.mmdb "})
	c, err = Load(env, ini)
	if err != nil {
		t.Fatal(err)
	}
	if c.GeoIPDB != "/srv/GeoLite2-City.mmdb" || c.Sources["DECNET_GEOIP_DB"] != "env" {
		t.Errorf("geoip = %q from %s", c.GeoIPDB, c.Sources["DECNET_GEOIP_DB"])
	}
	if c.ASNDB != "/var/lib/GeoIP/GeoLite2-ASN.mmdb" || c.Sources["DECNET_ASN_DB"] != "file" {
		t.Errorf("asn = %q from %s", c.ASNDB, c.Sources["DECNET_ASN_DB"])
	}
	shown := map[string]string{}
	for _, s := range c.Effective(env, ini) {
		shown[s.Name] = s.Value
	}
	if strings.TrimSpace(shown["DECNET_GEOIP_DB"]) != "/srv/GeoLite2-City.mmdb" {
		t.Errorf("config show geoip = %q", shown["DECNET_GEOIP_DB"])
	}
	if shown["DECNET_ASN_DB"] != "/var/lib/GeoIP/GeoLite2-ASN.mmdb" {
		t.Errorf("config show asn = %q", shown["DECNET_ASN_DB"])
	}
}

func TestAttackBundleIsAnOptionalPath(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.AttackBundle != "" || c.Sources["DECNET_ATTACK_BUNDLE"] != "default" {
		t.Errorf("attack bundle must default to the built-in subset, got %q from %s", c.AttackBundle, c.Sources["DECNET_ATTACK_BUNDLE"])
	}
	dir := t.TempDir()
	ini := filepath.Join(dir, "decnet.ini")
	if err := os.WriteFile(ini, []byte("[decnet]\nattack_bundle = /srv/attack/enterprise-attack.json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err = Load(envOf(nil), ini); err != nil {
		t.Fatal(err)
	}
	if c.AttackBundle != "/srv/attack/enterprise-attack.json" || c.Sources["DECNET_ATTACK_BUNDLE"] != "file" {
		t.Errorf("file: %q from %s", c.AttackBundle, c.Sources["DECNET_ATTACK_BUNDLE"])
	}
	env := envOf(map[string]string{"DECNET_ATTACK_BUNDLE": " /opt/enterprise-attack-18.1.json "})
	if c, err = Load(env, ini); err != nil {
		t.Fatal(err)
	}
	if c.AttackBundle != "/opt/enterprise-attack-18.1.json" || c.Sources["DECNET_ATTACK_BUNDLE"] != "env" {
		t.Errorf("env: %q from %s", c.AttackBundle, c.Sources["DECNET_ATTACK_BUNDLE"])
	}
}

func TestTTPRulesDirDefaultsToThePackAlone(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil {
		t.Fatal(err)
	}
	if c.TTPRulesDir != "" {
		t.Errorf("default rules dir = %q, want none", c.TTPRulesDir)
	}
	if c, err = Load(envOf(map[string]string{"DECNET_TTP_RULES_DIR": "/etc/decnet/rules"}), ""); err != nil ||
		c.TTPRulesDir != "/etc/decnet/rules" {
		t.Errorf("env: %q, %v", c.TTPRulesDir, err)
	}
}

func TestTTPRuleStoreIsFilesystemOrDatabase(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil || c.TTPRuleStore != "filesystem" {
		t.Fatalf("default = %q, %v", c.TTPRuleStore, err)
	}
	if c, err = Load(envOf(map[string]string{"DECNET_TTP_RULE_STORE": "database"}), ""); err != nil || c.TTPRuleStore != "database" {
		t.Errorf("database: %q, %v", c.TTPRuleStore, err)
	}
	if _, err = Load(envOf(map[string]string{"DECNET_TTP_RULE_STORE": "git"}), ""); err == nil ||
		!strings.Contains(err.Error(), "DECNET_TTP_RULE_STORE") || !strings.Contains(err.Error(), "filesystem or database") {
		t.Errorf("bad value: %v", err)
	}
}

func TestAgentsRefuseMasterOnlyCommands(t *testing.T) {
	c, err := Load(envOf(nil), "")
	if err != nil || c.Mode != "master" || c.MasterOnly("ttp-backfill") != nil {
		t.Fatalf("default: mode %q, %v, %v", c.Mode, err, c.MasterOnly("ttp-backfill"))
	}
	c, err = Load(envOf(map[string]string{"DECNET_MODE": "agent"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.MasterOnly("ttp-backfill"); err == nil || !strings.Contains(err.Error(), "DECNET_DISALLOW_MASTER=false") {
		t.Errorf("agent: %v", err)
	}
	c, _ = Load(envOf(map[string]string{"DECNET_MODE": "agent", "DECNET_DISALLOW_MASTER": "false"}), "")
	if err := c.MasterOnly("ttp-backfill"); err != nil {
		t.Errorf("agent allowed master commands: %v", err)
	}
	if _, err := Load(envOf(map[string]string{"DECNET_MODE": "sensor"}), ""); err == nil {
		t.Error("an unknown mode was accepted")
	}
}
