package postgres

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/decky"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/testenv"
)

// servePostgres runs the postgres service of one decky on ip:port (0: any
// port) until the test ends. This machine runs a real PostgreSQL on
// 127.0.0.1:5432, so deckies take other loopback addresses.
func servePostgres(t testing.TB, ip string, port int, cfg map[string]string) (string, *servicetest.Events) {
	t.Helper()
	d := model.Decky{Name: "pg-01", Hostname: "pg-01", Distro: "debian", NmapOS: "linux", Seed: 5, IP: ip}
	keys, err := decky.LoadOrCreateKeys(t.TempDir(), d.Name, d.Hostname, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	env, evs := servicetest.NewEnv(Service{}, d, cfg)
	env.TLS = &keys.TLS
	env.Limits = services.Limits{HandshakeTimeout: 5 * time.Second}
	return servicetest.Start(t, Service{}, env, net.JoinHostPort(ip, fmt.Sprint(port))), evs
}

// psql connects with password to addr and returns its output, which must
// be a failed login.
func psql(t *testing.T, addr, conninfo, password string) string {
	t.Helper()
	bin := testenv.Binary(t, "psql")
	host, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, fmt.Sprintf("host=%s port=%s connect_timeout=5 %s", host, port, conninfo), "-w", "-c", "select 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGAPPNAME=psql-test", "PGSERVICEFILE=/nonexistent", "PGPASSFILE=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("psql logged in: %s", out)
	}
	return string(out)
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestPsqlMD5ResponseIsCapturedCrackReady(t *testing.T) {
	addr, evs := servePostgres(t, "127.85.0.2", 0, map[string]string{"version": "13.8"})
	out := psql(t, addr, "user=admin dbname=nosuchdb sslmode=prefer", "hunter2")
	if !strings.Contains(out, `FATAL:  password authentication failed for user "admin"`) {
		t.Fatalf("psql output: %s", out)
	}
	st := evs.Wait(t, "startup", 1)[0].Fields
	if st["username"] != "admin" || st["database"] != "nosuchdb" || st["database_exists"] != "false" ||
		st["application_name"] != "psql-test" || !strings.Contains(st["params"], `user="admin"`) {
		t.Errorf("startup fields %v", st)
	}
	if ssl := evs.Wait(t, "ssl_request", 1)[0].Fields; ssl["accepted"] != "false" {
		t.Errorf("ssl_request %v", ssl)
	}
	// The quirk of the original (3D000 for an unknown database before any
	// password) is fixed: a real server authenticates first, so the
	// password is captured whatever the database.
	f := evs.Wait(t, "auth", 1)[0].Fields
	want := "md5" + md5hex(md5hex("hunter2"+"admin")+string(mustHex(t, f["salt_hex"])))
	if f["pw_hash"] != want || f["secret_kind"] != KindMD5 || f["principal"] != "admin" || f["outcome"] != "failure" {
		t.Errorf("auth fields %v; want pw_hash %s", f, want)
	}
	if f["secret_printable"] != "$postgres$admin*"+f["salt_hex"]+"*"+want[3:] {
		t.Errorf("secret %q is not hashcat's $postgres$ form", f["secret_printable"])
	}
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPsqlSCRAMProofIsCapturedAndVerifiesThePassword(t *testing.T) {
	addr, evs := servePostgres(t, "127.85.0.3", 0, map[string]string{"version": "15.4"})
	out := psql(t, addr, "user=postgres dbname=postgres sslmode=disable", "S3cure!pw")
	if !strings.Contains(out, `FATAL:  password authentication failed for user "postgres"`) {
		t.Fatalf("psql output: %s", out)
	}
	f := evs.Wait(t, "auth", 1)[0].Fields
	if f["secret_kind"] != KindSCRAM || f["method"] != authSCRAM || !strings.HasPrefix(f["secret_printable"], "$scram-sha-256$4096$") {
		t.Fatalf("auth fields %v", f)
	}
	parts := strings.Split(f["secret_printable"], "$")
	salt, _ := base64.StdEncoding.DecodeString(parts[3])
	authMsg, _ := base64.StdEncoding.DecodeString(parts[4])
	proof, _ := base64.StdEncoding.DecodeString(parts[5])
	check := func(pw string) bool {
		sp, err := pbkdf2.Key(sha256.New, pw, salt, 4096, 32)
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, sp)
		mac.Write([]byte("Client Key"))
		ck := mac.Sum(nil)
		sk := sha256.Sum256(ck)
		mac = hmac.New(sha256.New, sk[:])
		mac.Write(authMsg)
		sig := mac.Sum(nil)
		for i := range ck {
			ck[i] ^= sig[i]
		}
		return hmac.Equal(ck, proof)
	}
	if !check("S3cure!pw") || check("wrong") {
		t.Errorf("captured proof does not verify the typed password: %v", f)
	}
	// The same user sees the same salt on every connection, like a real
	// server's stored (or mock) salt.
	psql(t, addr, "user=postgres dbname=postgres sslmode=disable", "other")
	if g := evs.Wait(t, "auth", 2)[1].Fields["scram_salt"]; g != f["scram_salt"] {
		t.Errorf("salt changed between connections: %s then %s", f["scram_salt"], g)
	}
}

func TestPsqlOverSSLWhenEnabled(t *testing.T) {
	addr, evs := servePostgres(t, "127.85.0.4", 0, map[string]string{"ssl": "true", "auth_method": "md5"})
	out := psql(t, addr, "user=app dbname=app sslmode=require", "pw")
	if !strings.Contains(out, `password authentication failed for user "app"`) {
		t.Fatalf("psql output: %s", out)
	}
	if ssl := evs.Wait(t, "ssl_request", 1)[0].Fields; ssl["accepted"] != "true" || !strings.HasPrefix(ssl["tls_version"], "TLS 1.") {
		t.Errorf("ssl_request %v", ssl)
	}
	evs.Wait(t, "auth", 1)
}

func startupPacket(version uint32, params ...string) []byte {
	body := binary.BigEndian.AppendUint32(nil, version)
	for _, p := range params {
		body = append(append(body, p...), 0)
	}
	body = append(body, 0)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}

func roundTrip(t *testing.T, addr string, in ...[]byte) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	for _, b := range in {
		c.Write(b)
	}
	out, _ := io.ReadAll(c)
	return string(out)
}

func TestMalformedStartupAndAuthMessages(t *testing.T) {
	addr, evs := servePostgres(t, "127.85.0.5", 0, map[string]string{"auth_method": "md5", "version": "14.5"})
	// An absurd length: logged and dropped without a word, as PostgreSQL
	// does.
	if got := roundTrip(t, addr, []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0}); got != "" {
		t.Errorf("invalid length got %q", got)
	}
	// nmap's SMBProgNeg probe: an unsupported protocol version.
	got := roundTrip(t, addr, append([]byte{0, 0, 0, 0xa4, 0xff, 'S', 'M', 'B'}, make([]byte, 0xa4-8)...))
	if !strings.Contains(got, "C0A000\x00Munsupported frontend protocol 65363.19778: server supports 3.0 to 3.0\x00Fpostmaster.c\x00L2138\x00RProcessStartupPacket") {
		t.Errorf("SMB probe got %q", got)
	}
	// A query where the password belongs.
	got = roundTrip(t, addr, startupPacket(196608, "user", "x"), []byte{'Q', 0, 0, 0, 5, 0})
	if !strings.Contains(got, "C08P01") {
		t.Errorf("query during auth got %q", got)
	}
	// An oversized password message.
	got = roundTrip(t, addr, startupPacket(196608, "user", "x"), []byte{'p', 0, 1, 0, 0})
	if !strings.Contains(got, "C08P01") {
		t.Errorf("oversized password message got %q", got)
	}
	// No user.
	if got := roundTrip(t, addr, startupPacket(196608, "database", "x")); !strings.Contains(got, "no PostgreSQL user name specified") {
		t.Errorf("no user got %q", got)
	}
	if n := len(evs.Wait(t, "protocol_error", 4)); n < 4 {
		t.Errorf("%d protocol_error events", n)
	}
}

func TestNmapIdentifiesPostgreSQL(t *testing.T) {
	addr, _ := servePostgres(t, "127.85.0.6", 5432, map[string]string{"version": "14.5"})
	host, _, _ := net.SplitHostPort(addr)
	out := servicetest.Nmap(t, host, []string{"5432"})
	if !regexp.MustCompile(`5432/tcp\s+open\s+postgresql\s+PostgreSQL DB 14\.1 - 14\.5`).MatchString(out) {
		t.Errorf("nmap did not identify PostgreSQL 14.1 - 14.5:\n%s", out)
	}
}

func FuzzParseSCRAM(f *testing.F) {
	f.Add("n,,n=,r=abc", "c=biws,r=abcdef,p=AAAA")
	f.Add("p=tls-server-end-point,,n=u,r=x", "c=biws,r=x,p="+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Fuzz(func(t *testing.T, first, final string) {
		cf, err := parseClientFirst(first)
		if err != nil {
			return
		}
		if !strings.HasSuffix(first, cf.bare) {
			t.Fatalf("bare %q not a suffix of %q", cf.bare, first)
		}
		w, p, err := parseClientFinal(final, "r="+cf.nonce+"def,s=x,i=4096")
		if err == nil && (len(p) != 32 || !strings.HasPrefix(final, w)) {
			t.Fatalf("final %q parsed to %q %x", final, w, p)
		}
	})
}

// FuzzSession drives a live server with hostile startup and auth bytes:
// every input must end in an answer or a close, never a hang or a crash.
func FuzzSession(f *testing.F) {
	f.Add(startupPacket(196608, "user", "u", "database", "d"))
	f.Add(append(startupPacket(196608, "user", "u"), 'p', 0, 0, 0, 8, 'm', 'd', '5', 0))
	f.Add([]byte{0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f})
	f.Add([]byte{0, 0, 0, 16, 4, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2})
	addr, _ := servePostgres(f, "127.85.0.7", 0, nil)
	f.Fuzz(func(t *testing.T, in []byte) {
		if !servicetest.Drain(t, addr, in, 10*time.Second) {
			t.Fatalf("server neither answered nor closed within 10s for %q", in)
		}
	})
}
