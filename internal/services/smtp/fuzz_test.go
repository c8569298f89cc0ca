package smtp

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// FuzzSession feeds arbitrary bytes to a relay session over in-memory
// streams (no STARTTLS there): it must end when the input runs out,
// without a panic.
func FuzzSession(f *testing.F) {
	for _, seed := range []string{
		"EHLO x\r\nAUTH PLAIN AGFkbWluAGFkbWlu\r\nMAIL FROM:<a@b.com> SIZE=100\r\nRCPT TO:<c@d.com>\r\nDATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n",
		"HELO x\r\nAUTH LOGIN\r\nYWRtaW4=\r\ncGFzcw==\r\nVRFY root\r\nEXPN x\r\nRSET\r\nNOOP\r\nETRN x\r\n",
		"EHLO x\r\nAUTH LOGIN\r\n*\r\nAUTH PLAIN\r\n!!!\r\nSTARTTLS\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.test>\r\nRCPT TO:<bad>\r\n",
		"EHLO x\r\nMAIL FROM:<a@b.com>\r\nRCPT TO:<c@d.com>\r\nDATA\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Disposition: attachment; filename=a.docm\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--B--\r\n.\r\n",
		"EHLO " + strings.Repeat("a", 3000) + "\r\n", "\x00\xff\r\n\n\n", "DATA\r\n",
	} {
		f.Add([]byte(seed))
	}
	d := model.Decky{Name: "fz", Hostname: "fz", Seed: 1, IP: "127.0.0.1"}
	q, err := services.OpenQuarantine(f.TempDir(), 1<<16, 1<<30)
	if err != nil {
		f.Fatal(err)
	}
	svc := Service{Relay: true}
	em := services.NewEmitter(svc.Name(), services.EmitterOptions{Decky: d.Name, IP: d.IP})
	env := &services.Env{Decky: d, Config: svc.Schema().Resolve(map[string]string{"greylist_percent": "0"}),
		Emitter: em, Quarantine: q, Logger: slog.New(slog.DiscardHandler)}
	hh, err := svc.New(env)
	if err != nil {
		f.Fatal(err)
	}
	h := hh.(*handler)
	remote := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 9), Port: 40000}
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 25}
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		s := h.newSession(context.Background(), em.NewSession(remote, local), nil, bytes.NewReader(in), &out)
		s.run()
		if out.Len() > 4096+len(in)*200 {
			t.Fatalf("%d bytes of replies for %d bytes of input", out.Len(), len(in))
		}
	})
}

// FuzzAnalyze parses arbitrary messages: never a panic, and the lists
// stay within their bounds.
func FuzzAnalyze(f *testing.F) {
	f.Add([]byte(phish))
	f.Add([]byte("Subject: x\r\n\r\nhttp://a.b/c"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: multipart/alternative; boundary=C\r\n\r\n--C\r\n\r\nx\r\n--C--\r\n--B--\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		m := analyze(bytes.NewReader(in))
		fields := m.fields()
		if len(m.urls) > maxURLs || len(m.attachments) > maxAttachments || len(fields["attachments_json"]) > maxListJSON ||
			len(fields["urls_json"]) > maxListJSON {
			t.Fatalf("bounds exceeded: %d urls, %d attachments", len(m.urls), len(m.attachments))
		}
	})
}
