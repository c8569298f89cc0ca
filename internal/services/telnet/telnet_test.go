package telnet

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
	"github.com/decnet/decnet/internal/services/servicetest"
	"github.com/decnet/decnet/internal/shell"
)

func serveTelnet(t *testing.T) (string, *servicetest.Events) {
	t.Helper()
	failDelay = 0
	d := model.Decky{Name: "cam-01", Hostname: "cam-42", Distro: "alpine", NmapOS: "embedded", Seed: 9, IP: "127.0.0.1"}
	evs := &servicetest.Events{}
	q, err := services.OpenQuarantine(t.TempDir(), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	env := &services.Env{
		Decky:      d,
		Config:     Service{}.Schema().Resolve(map[string]string{"weak_passwords": "none"}),
		Emitter:    services.NewEmitter("telnet", services.EmitterOptions{Publisher: evs, Decky: d.Name, IP: d.IP}),
		FS:         shell.NewFS(shell.Persona{Hostname: d.Hostname, Distro: d.Distro, Seed: d.Seed}),
		Quarantine: q,
		Logger:     slog.New(slog.DiscardHandler),
	}
	h, err := Service{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	addr := servicetest.Serve(t, h, env)
	return addr, evs
}

// readUntil reads from r until the output contains want.
func readUntil(t *testing.T, c net.Conn, r *bufio.Reader, want string) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got bytes.Buffer
	for !strings.Contains(got.String(), want) {
		b, err := r.ReadByte()
		if err != nil {
			t.Fatalf("waiting for %q: %v; got %q", want, err, got.String())
		}
		got.WriteByte(b)
	}
	return got.String()
}

func TestLoginPromptFollowsBusyboxNegotiation(t *testing.T) {
	addr, evs := serveTelnet(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	got := readUntil(t, c, r, "login: ")
	if want := string(negotiation) + "cam-42 login: "; got != want {
		t.Errorf("greeting %q, want %q", got, want)
	}
	io.WriteString(c, "root\r\n")
	readUntil(t, c, r, "Password: ")
	io.WriteString(c, "admin\r\n")
	readUntil(t, c, r, "cam-42:~# ")
	io.WriteString(c, "echo $((6*7))\r\n")
	if out := readUntil(t, c, r, "cam-42:~# "); !strings.Contains(out, "42") {
		t.Errorf("command output %q", out)
	}
	if a := evs.OfType("auth_attempt"); len(a) != 1 || a[0].Fields["outcome"] != "success" {
		t.Errorf("auth attempts %v", a)
	}
}

func TestBinaryGarbageIsBoundedAndTheServiceStaysUp(t *testing.T) {
	addr, evs := serveTelnet(t)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		junk := make([]byte, 256<<10)
		rand.Read(junk)
		// Keep reading so the server is never blocked on a full buffer.
		go io.Copy(io.Discard, c)
		c.Write(junk)
		c.Close()
	}
	// Whatever the garbage did, a normal client still gets a prompt.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readUntil(t, c, bufio.NewReader(c), "login: ")
	if n := len(evs.OfType("protocol_error")); n != 0 {
		t.Errorf("%d protocol errors (a panic was recovered)", n)
	}
}

func TestPasswordTypedAtSuIsACredentialAndIsNotEchoed(t *testing.T) {
	addr, evs := serveTelnet(t)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	readUntil(t, c, r, "login: ")
	io.WriteString(c, "ubuntu\r\n")
	readUntil(t, c, r, "Password: ")
	io.WriteString(c, "admin\r\n")
	readUntil(t, c, r, "$ ")
	io.WriteString(c, "su -\r\n")
	readUntil(t, c, r, "Password: ")
	io.WriteString(c, "S3cr3t-sudo\r\n")
	out := readUntil(t, c, r, "$ ")
	if strings.Contains(out, "S3cr3t-sudo") {
		t.Errorf("the sudo password was echoed: %q", out)
	}
	got := evs.Wait(t, "password_prompt", 1)
	if len(got) != 1 || got[0].Fields["secret_printable"] != "S3cr3t-sudo" || got[0].Fields["method"] != "su" ||
		got[0].Fields["outcome"] != model.OutcomeObserved || got[0].Fields["principal"] != "ubuntu" {
		t.Fatalf("password_prompt events %v", got)
	}
}
