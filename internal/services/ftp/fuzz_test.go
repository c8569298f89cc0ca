package ftp

import (
	"bytes"
	"context"

	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// fuzzHandler is a handler whose sessions run over in-memory streams.
func fuzzHandler(t testing.TB) (*handler, *services.Emitter) {
	t.Helper()
	failDelay, dataAcceptTimeout = 0, time.Microsecond
	d := model.Decky{Name: "fz", Hostname: "fz", Seed: 1, IP: "127.0.0.1"}
	q, err := services.OpenQuarantine(t.TempDir(), 1<<16, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	em := services.NewEmitter("ftp", services.EmitterOptions{Decky: d.Name, IP: d.IP})
	env := &services.Env{Decky: d, Config: Service{}.Schema().Resolve(map[string]string{"login_mode": "always"}),
		Emitter: em, Quarantine: q, Logger: slog.New(slog.DiscardHandler)}
	h, err := Service{}.New(env)
	if err != nil {
		t.Fatal(err)
	}
	return h.(*handler), em
}

// FuzzSession feeds arbitrary bytes to a control session: whatever they
// are, the session must end (the input runs out) without a panic and
// without writing more than the bounds allow.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"USER anonymous\r\nPASS a@b\r\nSYST\r\nFEAT\r\nPWD\r\nCWD pub\r\nCDUP\r\nLIST -la\r\nQUIT\r\n",
		"USER root\r\nPASS toor\r\nPASV\r\nRETR README.txt\r\nEPSV\r\nSTOR x.sh\r\n",
		"USER a\r\nPASS b\r\nPORT 10,0,0,1,0,21\r\nEPRT |2|::1|80|\r\nEPRT |1|1.2.3.4|65536|\r\nPORT 1,2,3\r\n",
		"USER a\r\nPASS b\r\nREST 5\r\nRETR ../../etc/passwd\r\nSIZE README.txt\r\nMDTM README.txt\r\nTYPE I\r\nTYPE X\r\n",
		"\xff\xf4\xff\xf2ABOR\r\n", "USER " + strings.Repeat("A", 5000) + "\r\n", "\r\n\r\n\n\x00\x00",
	} {
		f.Add([]byte(seed))
	}
	h, em := fuzzHandler(f)
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 40000}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 21}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		s := h.newSession(context.Background(), em.NewSession(remote, local), bytes.NewReader(in), &out, "127.0.0.1", 21, 4096)
		s.run()
		// Each input byte yields at most one short reply line per
		// command; the bound is loose but finite.
		if out.Len() > 4096+len(in)*600 {
			t.Fatalf("%d bytes of replies for %d bytes of input", out.Len(), len(in))
		}
	})
}

// FuzzParsePort checks the PORT and EPRT parsers never panic and only
// return what they could read back.
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"127,0,0,1,200,10", "|1|1.2.3.4|21|", "|2|::1|8080|", "||||", "1,2,3,4,5,256", "|2|fe80::1%eth0|1|"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ap, err := parsePORT(s); err == nil && !ap.Addr().Is4() {
			t.Fatalf("PORT %q gave %v", s, ap)
		}
		if ap, err := parseEPRT(s); err == nil && (!ap.IsValid() || ap.Addr().Zone() != "") {
			t.Fatalf("EPRT %q gave %v", s, ap)
		}
	})
}
