package mysql

import (
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

// serveMySQL runs the mysql service of one decky on ip:port (0: any port)
// until the test ends. This machine runs a real MariaDB on 127.0.0.1:3306,
// so deckies take other loopback addresses.
func serveMySQL(t testing.TB, ip string, port int, cfg map[string]string) (string, *servicetest.Events) {
	t.Helper()
	d := model.Decky{Name: "db-01", Hostname: "db-01", Distro: "debian", NmapOS: "linux", Seed: 31, IP: ip}
	env, evs := servicetest.NewEnv(Service{}, d, cfg)
	env.Limits = services.Limits{HandshakeTimeout: 5 * time.Second}
	return servicetest.Start(t, Service{}, env, net.JoinHostPort(ip, fmt.Sprint(port))), evs
}

func mariadb(t *testing.T, addr string, args ...string) (string, error) {
	t.Helper()
	bin := testenv.Binary(t, "mariadb")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, append([]string{"--no-defaults", "--skip-ssl", "--connect-timeout=5", "-h", host, "-P", port}, args...)...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestMariaDBClientLoginIsDeniedAndTheScrambleCaptured(t *testing.T) {
	for _, tc := range []struct {
		version, kind, prefix string
	}{
		{"5.7.44-log", KindNative, "$mysqlna$"},
		{"8.0.36", KindCachingSHA2, "$mysql-sha2$"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			addr, evs := serveMySQL(t, "127.84.0.2", 0, map[string]string{"version": tc.version})
			out, err := mariadb(t, addr, "-u", "root", "-pW1nter2024!", "-e", "select 1")
			if err == nil || !strings.Contains(out, "ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)") {
				t.Fatalf("mariadb: %v\n%s", err, out)
			}
			f := evs.Wait(t, "auth", 1)[0].Fields
			if f["principal"] != "root" || f["secret_kind"] != tc.kind || f["outcome"] != "failure" ||
				!strings.HasPrefix(f["secret_printable"], tc.prefix) || f["secret_b64"] == "" || f["connection_id"] == "" {
				t.Fatalf("auth fields %v", f)
			}
			// The capture is crackable: the recorded salt and response
			// verify the password the client typed.
			salt, _ := hex.DecodeString(f["salt_hex"])
			resp, _ := hex.DecodeString(f["response_hex"])
			plugin := pluginNative
			if tc.kind == KindCachingSHA2 {
				plugin = pluginSHA2
			}
			if !checkPassword(plugin, resp, salt, "W1nter2024!") || checkPassword(plugin, resp, salt, "wrong") {
				t.Errorf("recorded scramble does not verify the typed password: %v", f)
			}
			if f["secret_printable"] != tc.prefix+f["salt_hex"]+"*"+f["response_hex"] {
				t.Errorf("secret %q is not the crack-ready form", f["secret_printable"])
			}
			if f["attr_client_name"] != "libmariadb" || f["attr_program_name"] == "" {
				t.Errorf("client attributes not recorded: %v", f)
			}
		})
	}
}

func TestAcceptModeAnswersBaitQueries(t *testing.T) {
	addr, evs := serveMySQL(t, "127.84.0.3", 0, map[string]string{"version": "8.0.36", "login": "listed", "logins": "root:toor"})
	if out, err := mariadb(t, addr, "-u", "root", "-pnope", "-e", "select 1"); err == nil || !strings.Contains(out, "1045") {
		t.Fatalf("wrong password got in: %s", out)
	}
	// The bait databases are the decky's seeded ones.
	db := handlerFor(t, map[string]string{"version": "8.0.36"}).bait.dbs[0]
	out, err := mariadb(t, addr, "-u", "root", "-ptoor", "-N", "-e", "SELECT @@version; SHOW DATABASES; USE "+db+"; SELECT DATABASE()")
	if err != nil {
		t.Fatalf("mariadb: %v\n%s", err, out)
	}
	evs.Wait(t, "query", 4)
	if !strings.HasPrefix(out, "8.0.36\n") || !strings.Contains(out, "\n"+db+"\n") || !strings.Contains(out, "performance_schema") ||
		!strings.HasSuffix(out, "\n"+db) {
		t.Errorf("query output:\n%s", out)
	}
	auths := evs.Wait(t, "auth", 2)
	if auths[0].Fields["outcome"] != "failure" || auths[1].Fields["outcome"] != "success" {
		t.Errorf("auth outcomes %v / %v", auths[0].Fields, auths[1].Fields)
	}
	var qs []string
	for _, q := range evs.OfType("query") {
		qs = append(qs, q.Fields["query"])
	}
	if !strings.Contains(strings.Join(qs, "|"), "SELECT @@version|SHOW DATABASES") {
		t.Errorf("query events %q", qs)
	}
	// A bait database's users table answers with rows.
	out, err = mariadb(t, addr, "-u", "root", "-ptoor", "-N", "-D", db, "-e", "SELECT * FROM users")
	if err != nil || !strings.Contains(out, "$2y$10$") {
		t.Errorf("SELECT * FROM users: %v\n%s", err, out)
	}
}

// handlerFor builds the handler serveMySQL's decky gets, to read its seeded
// bait.
func handlerFor(t *testing.T, cfg map[string]string) *handler {
	d := model.Decky{Name: "db-01", Seed: 31}
	env := &services.Env{Decky: d, Config: Service{}.Schema().Resolve(cfg),
		Emitter: services.NewEmitter("mysql", services.EmitterOptions{Decky: d.Name})}
	h, err := Service{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	return h.(*handler)
}

func TestMalformedHandshakeIsAProtocolError(t *testing.T) {
	addr, evs := serveMySQL(t, "127.84.0.4", 0, nil)
	for _, in := range [][]byte{
		{0xff, 0xff, 0xff, 0x01},                                                                 // a 16 MiB packet header
		{0x05, 0x00, 0x00, 0x01, 0x85, 0xa6, 0x03, 0x00, 0x00},                                   // truncated response
		append([]byte{0x24, 0, 0, 1, 0x05, 0xa2, 0x3f, 0, 0, 0, 0, 1, 8}, make([]byte, 23+4)...), // user ok, no auth data
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 4)
		io.ReadFull(c, hdr)
		io.ReadFull(c, make([]byte, int(hdr[0])))
		c.Write(in)
		reply, _ := io.ReadAll(c)
		c.Close()
		if !strings.Contains(string(reply), "Bad handshake") && !strings.Contains(string(reply), "Access denied") {
			t.Errorf("reply to %x: %q", in, reply)
		}
	}
	if n := len(evs.Wait(t, "protocol_error", 2)); n < 2 {
		t.Errorf("%d protocol_error events", n)
	}
}

func TestNmapIdentifiesMySQL(t *testing.T) {
	addr, _ := serveMySQL(t, "127.84.0.5", 3306, map[string]string{"version": "8.0.36"})
	host, _, _ := net.SplitHostPort(addr)
	out := servicetest.Nmap(t, host, []string{"3306"})
	if !regexp.MustCompile(`3306/tcp\s+open\s+mysql\s+MySQL 8\.0\.36`).MatchString(out) {
		t.Errorf("nmap did not identify MySQL 8.0.36:\n%s", out)
	}
}

func TestGreetingIsHandshakeV10(t *testing.T) {
	salt := []byte("abcdefghijklmnopqrst")
	g := greeting("8.0.36", 42, salt, pluginSHA2, 0xff)
	if g[0] != 0x0a || !strings.HasPrefix(string(g[1:]), "8.0.36\x00") || !strings.HasSuffix(string(g), "caching_sha2_password\x00") {
		t.Errorf("greeting %q", g)
	}
	if !strings.Contains(string(g), "abcdefgh\x00") || !strings.Contains(string(g), "ijklmnopqrst\x00") {
		t.Errorf("salt not split 8+12: %q", g)
	}
}

// FuzzParseResponse checks the handshake parser never panics and never
// reads past the packet.
func FuzzParseResponse(f *testing.F) {
	ok := []byte{0x05, 0xa6, 0x3f, 0x00, 0, 0, 0, 1, 0x21}
	ok = append(ok, make([]byte, 23)...)
	ok = append(ok, "root\x00"...)
	ok = append(ok, 20)
	ok = append(ok, make([]byte, 20)...)
	ok = append(ok, "mysql_native_password\x00"...)
	f.Add(ok)
	f.Add(append(append([]byte{0x05, 0xa6, 0xbf, 0x01, 0, 0, 0, 1, 0x21}, make([]byte, 23)...), "u\x00\xfc\xff\xff"...))
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, p []byte) {
		r, err := parseResponse(p)
		if err == nil && (len(r.user) > len(p) || len(r.auth) > len(p) || len(r.attrs) > maxAttrs) {
			t.Fatalf("parsed more than the packet holds: %+v", r)
		}
	})
}

// FuzzSession drives a live server with a hostile handshake response and
// commands: the connection must end or answer, never hang or crash.
func FuzzSession(f *testing.F) {
	f.Add([]byte("\x05\x00\x00\x01\x85\xa6\x03\x00\x00"))
	f.Add([]byte("\x01\x00\x00\x00\x01"))
	addr, _ := serveMySQL(f, "127.84.0.6", 0, map[string]string{"login": "any"})
	f.Fuzz(func(t *testing.T, in []byte) {
		if !servicetest.Drain(t, addr, in, 10*time.Second) {
			t.Fatalf("server neither answered nor closed within 10s for %q", in)
		}
	})
}

func TestVersionsAndConnectionIDsFollowTheSeed(t *testing.T) {
	seen := map[string]bool{}
	for seed := range uint64(40) {
		d := model.Decky{Name: "db", Seed: seed}
		mk := func() *handler {
			env := &services.Env{Decky: d, Config: Service{}.Schema().Resolve(nil),
				Emitter: services.NewEmitter("mysql", services.EmitterOptions{Decky: d.Name})}
			h, err := Service{}.New(env)
			if err != nil {
				t.Fatal(err)
			}
			return h.(*handler)
		}
		a, b := mk(), mk()
		if a.version != b.version || a.connID.Load() != b.connID.Load() || a.bait.dbs[0] != b.bait.dbs[0] {
			t.Fatalf("seed %d: personas differ across restarts", seed)
		}
		if id := a.connID.Load(); id < 17 || id > 65000 {
			t.Errorf("connection id starts at %d", id)
		}
		seen[a.version] = true
	}
	if len(seen) < 4 {
		t.Errorf("40 deckies share %d versions", len(seen))
	}
}
