package servicetest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/testenv"
)

// ReplyClient is a raw client of a protocol with numbered replies (FTP,
// SMTP), so tests can speak the protocol byte for byte: commands go out as
// CRLF lines and a reply is read up to its final line.
type ReplyClient struct {
	t testing.TB
	// Conn is the connection; a test swaps it (and R) for a TLS one
	// after STARTTLS.
	Conn net.Conn
	// R buffers Conn's replies.
	R *bufio.Reader
}

// DialReply connects to addr and closes the connection when the test
// ends. It does not read the greeting: some tests want it, some not.
func DialReply(t testing.TB, addr string) *ReplyClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ReplyClient{t: t, Conn: c, R: bufio.NewReader(c)}
}

// Read returns one whole reply, continuation lines included: it ends at
// the line that is a code followed by a space (RFC 959 §4.2, RFC 5321
// §4.2.1), so FTP's indented continuation lines do not end it, or when
// nothing comes for 10 seconds.
func (k *ReplyClient) Read() string {
	k.t.Helper()
	k.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var all strings.Builder
	for {
		line, err := k.R.ReadString('\n')
		all.WriteString(line)
		if err != nil {
			return all.String()
		}
		if len(line) >= 4 && line[3] == ' ' && line[0] >= '0' && line[0] <= '9' {
			return all.String()
		}
	}
}

// Cmd sends line with CRLF and returns the reply.
func (k *ReplyClient) Cmd(line string) string {
	k.t.Helper()
	fmt.Fprintf(k.Conn, "%s\r\n", line)
	return k.Read()
}

// Drain writes in to a fresh connection to addr, half-closes it and reads
// what comes back until the server closes or timeout passes. It reports
// false when the server did neither in time, the hang that bounded
// sessions must rule out. The write runs in its own goroutine so a server
// that stops reading cannot block it; half-closing, not closing, keeps the
// input the server has not read yet from being dropped by a reset.
func Drain(t testing.TB, addr string, in []byte, timeout time.Duration) bool {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	go func() { c.Write(in); c.(*net.TCPConn).CloseWrite() }()
	_, err = io.Copy(io.Discard, c)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// SelfSigned returns a fresh ECDSA certificate for host, valid for an
// hour around now, for services a test gives TLS without decky keys.
func SelfSigned(t testing.TB, host string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// Nmap runs nmap's version scan (-sV, no ping, no DNS, plus args) of ports
// on host and returns its output: whether nmap names the product is how
// the decoys prove they pass for the real thing. A failed run fails t; a
// missing nmap skips or fails it as testenv decides.
func Nmap(t testing.TB, host string, ports []string, args ...string) string {
	t.Helper()
	nmap := testenv.Binary(t, "nmap")
	cmd := append([]string{"-sV", "-Pn", "-n"}, args...)
	cmd = append(cmd, "-p", strings.Join(ports, ","), host)
	out, err := exec.Command(nmap, cmd...).CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	return string(out)
}

// NmapIdentifies runs one light version scan (--version-light) of the
// ports of want on host and checks that each port is reported open as its
// pattern says (e.g. `ftp\s+vsftpd 3\.0\.5`), so one nmap run covers every
// persona of a test.
func NmapIdentifies(t testing.TB, host string, want map[string]string) {
	t.Helper()
	ports := slices.Sorted(maps.Keys(want))
	out := Nmap(t, host, ports, "--version-light")
	for _, port := range ports {
		if !regexp.MustCompile(port + `/tcp\s+open\s+` + want[port]).MatchString(out) {
			t.Errorf("port %s: nmap output lacks %q:\n%s", port, want[port], out)
		}
	}
}
