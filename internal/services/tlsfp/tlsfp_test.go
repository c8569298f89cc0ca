package tlsfp

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/decnet/decnet/internal/services/servicetest"
)

// hello builds a ClientHello handshake body from its parts.
type helloSpec struct {
	version uint16
	ciphers []uint16
	exts    []ext
}

type ext struct {
	typ  uint16
	data []byte
}

func u16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

func vec16(b []byte) []byte { return append(u16(uint16(len(b))), b...) }

func vec8(b []byte) []byte { return append([]byte{byte(len(b))}, b...) }

func list16(vs ...uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func (s helloSpec) body() []byte {
	b := u16(s.version)
	b = append(b, make([]byte, 32)...)
	b = append(b, vec8(make([]byte, 32))...)
	b = append(b, vec16(list16(s.ciphers...))...)
	b = append(b, vec8([]byte{0})...)
	var exts []byte
	for _, e := range s.exts {
		exts = append(exts, u16(e.typ)...)
		exts = append(exts, vec16(e.data)...)
	}
	return append(b, vec16(exts)...)
}

// record wraps a hello body in a handshake header and one TLS record.
func record(body []byte) []byte {
	msg := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 0x03, 0x01, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

// chrome is the Chrome ClientHello of FoxIO's JA4 technical write-up, with
// GREASE values where Chrome puts them.
func chrome() helloSpec {
	sni := vec16(append([]byte{0}, vec16([]byte("example.com"))...))
	alpn := vec16(append(vec8([]byte("h2")), vec8([]byte("http/1.1"))...))
	return helloSpec{
		version: 0x0303,
		ciphers: []uint16{0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		exts: []ext{
			{0x2a2a, nil}, {0x0000, sni}, {0x0017, nil}, {0xff01, []byte{0}},
			{0x000a, vec16(list16(0x4a4a, 0x001d, 0x0017, 0x0018))}, {0x000b, vec8([]byte{0})},
			{0x0023, nil}, {0x0010, alpn}, {0x0005, []byte{1, 0, 0, 0, 0}},
			{0x000d, vec16(list16(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601))},
			{0x0012, nil}, {0x0033, vec16(nil)}, {0x002d, vec8([]byte{1})},
			{0x002b, vec8(list16(0x6a6a, 0x0304, 0x0303))}, {0x001b, []byte{2, 0, 2}}, {0x4469, nil},
			{0x0015, make([]byte, 8)}, {0x1a1a, []byte{0}},
		},
	}
}

func TestJA4MatchesFoxIOsChromeExample(t *testing.T) {
	h, err := ParseClientHello(chrome().body())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.JA4(), "t13d1516h2_8daaf6152771_e5627efa2ab1"; got != want {
		t.Errorf("JA4 = %s, want %s", got, want)
	}
	full, hash := h.JA3()
	wantFull := "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53," +
		"0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"
	if full != wantFull {
		t.Errorf("JA3 string = %s\nwant          %s", full, wantFull)
	}
	if len(hash) != 32 {
		t.Errorf("JA3 hash %q is not an MD5", hash)
	}
	if h.SNI != "example.com" || len(h.ALPN) != 2 || h.ALPN[0] != "h2" {
		t.Errorf("SNI %q ALPN %q", h.SNI, h.ALPN)
	}
}

func TestJA4EdgeCases(t *testing.T) {
	tests := []struct {
		name string
		spec helloSpec
		want string
	}{
		{"no extensions at all", helloSpec{version: 0x0301, ciphers: []uint16{0x002f}}, "t10i0100" + "00_" + hash12("002f") + "_000000000000"},
		{"non-alphanumeric alpn uses hex", helloSpec{version: 0x0303, ciphers: []uint16{0x1301},
			exts: []ext{{0x0010, vec16(vec8([]byte{0x01, 'x', 0xff}))}}}, "t12i0101" + "0f_" + hash12("1301") + "_000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.spec.body()
			if len(tt.spec.exts) == 0 {
				b = b[:len(b)-2] // an old client sends no extensions block
			}
			h, err := ParseClientHello(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.JA4(); got != tt.want {
				t.Errorf("JA4 = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestReadClientHelloSpansRecordsAndReplays(t *testing.T) {
	rec := record(chrome().body())
	// Split the handshake message over two records, as some stacks do.
	msg := rec[5:]
	two := append([]byte{0x16, 0x03, 0x01, 0, 40}, msg[:40]...)
	rest := msg[40:]
	two = append(two, 0x16, 0x03, 0x01, byte(len(rest)>>8), byte(len(rest)))
	two = append(two, rest...)
	for name, wire := range map[string][]byte{"one record": rec, "two records": two} {
		t.Run(name, func(t *testing.T) {
			a, b := net.Pipe()
			go func() { a.Write(append(wire, "tail"...)); a.Close() }()
			h, p, err := ReadClientHello(b)
			if err != nil {
				t.Fatal(err)
			}
			if h.JA4() != "t13d1516h2_8daaf6152771_e5627efa2ab1" {
				t.Errorf("JA4 %s", h.JA4())
			}
			var got bytes.Buffer
			buf := make([]byte, 7)
			for {
				n, err := p.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					break
				}
			}
			if !bytes.Equal(got.Bytes(), append(wire, "tail"...)) {
				t.Errorf("replay differs from the wire")
			}
		})
	}
}

// TestReadClientHelloEveryLength pins the handshake length arithmetic: a
// wrong operator precedence there once cut hellos whose length shared
// bits with the 4-byte header.
func TestReadClientHelloEveryLength(t *testing.T) {
	for pad := 0; pad < 16; pad++ {
		spec := chrome()
		spec.exts = append(spec.exts, ext{0x0015, make([]byte, pad)})
		a, b := net.Pipe()
		go func() { a.Write(record(spec.body())); a.Close() }()
		h, _, err := ReadClientHello(b)
		if err != nil || h.JA4()[:10] != "t13d1517h2" {
			t.Errorf("padding %d: %v %v", pad, err, h)
		}
	}
}

func TestReadClientHelloRejectsPlainText(t *testing.T) {
	a, b := net.Pipe()
	go func() { a.Write([]byte("GET / HTTP/1.1\r\n\r\n")); a.Close() }()
	_, p, err := ReadClientHello(b)
	if !errors.Is(err, ErrNotTLS) {
		t.Fatalf("err = %v, want ErrNotTLS", err)
	}
	if len(p.buf) != 5 || string(p.buf) != "GET /" {
		t.Errorf("peeked %q", p.buf)
	}
}

// TestRealHandshakeThroughPeeked proves crypto/tls completes a handshake on
// the replayed stream and that Go's own client is fingerprinted.
func TestRealHandshakeThroughPeeked(t *testing.T) {
	cert := *servicetest.SelfSigned(t, "decky.example")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan *Hello, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		h, p, err := ReadClientHello(c)
		if err != nil {
			got <- nil
			return
		}
		got <- h
		s := tls.Server(p, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
		if s.Handshake() == nil {
			s.Write([]byte("ok"))
		}
	}()
	c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true, ServerName: "decky.example", NextProtos: []string{"h2", "http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2)
	if _, err := c.Read(buf); err != nil || string(buf) != "ok" {
		t.Fatalf("read after handshake: %q %v", buf, err)
	}
	h := <-got
	if h == nil || h.SNI != "decky.example" || h.ALPN[0] != "h2" || h.JA4()[:4] != "t13d" {
		t.Fatalf("hello %+v", h)
	}
}

func FuzzParseClientHello(f *testing.F) {
	f.Add(chrome().body())
	f.Add(helloSpec{version: 0x0301, ciphers: []uint16{0x002f}}.body())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseClientHello(b)
		if err != nil {
			return
		}
		h.JA3()
		h.JA4()
		h.Fields(nil)
	})
}

func FuzzReadClientHello(f *testing.F) {
	f.Add(record(chrome().body()))
	f.Add([]byte("GET / HTTP/1.0\r\n\r\n"))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, c := net.Pipe()
		go func() { a.Write(b); a.Close() }()
		h, p, _ := ReadClientHello(c)
		if h != nil {
			h.JA4()
		}
		if len(p.buf) > len(b) {
			t.Fatalf("peeked %d bytes of %d", len(p.buf), len(b))
		}
		c.Close()
	})
}
