// Package tlsfp reads a TLS ClientHello off a connection before crypto/tls
// sees it and derives the JA3 and JA4 client fingerprints from it.
// crypto/tls's ClientHelloInfo drops the extension order and GREASE values
// both fingerprints need, so the raw record is parsed here, within bounds,
// and then replayed to the real handshake.
package tlsfp

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
)

// MaxHello bounds the ClientHello handshake message accepted. Real ones are
// under 2 KiB (a post-quantum key share adds ~1.2 KiB); 64 KiB leaves room
// for odd clients while capping what one connection can make us hold.
const MaxHello = 64 << 10

// Errors from ReadClientHello.
var (
	// ErrNotTLS means the first bytes are not a TLS handshake record: a
	// plain-text client on a TLS port.
	ErrNotTLS = errors.New("tlsfp: not a TLS handshake")
	// ErrMalformed means a handshake record that does not hold a
	// well-formed ClientHello.
	ErrMalformed = errors.New("tlsfp: malformed ClientHello")
)

// Extension type numbers the fingerprints treat specially.
const (
	extServerName          = 0x0000
	extSupportedGroups     = 0x000a
	extECPointFormats      = 0x000b
	extSignatureAlgorithms = 0x000d
	extALPN                = 0x0010
	extSupportedVersions   = 0x002b
)

// Hello is the part of a ClientHello the fingerprints and events use.
type Hello struct {
	// Version is the legacy_version field (0x0303 for TLS 1.2 and 1.3).
	Version uint16
	// Ciphers, Extensions, Groups, PointFormats and SigAlgs are in wire
	// order, GREASE values included.
	Ciphers      []uint16
	Extensions   []uint16
	Groups       []uint16
	PointFormats []uint8
	SigAlgs      []uint16
	// Versions is the supported_versions list, in wire order.
	Versions []uint16
	SNI      string
	ALPN     []string
}

// Peeked is a connection whose first bytes were read to parse the
// ClientHello; reads replay those bytes first so crypto/tls sees the
// untouched stream.
type Peeked struct {
	net.Conn
	buf []byte
}

// Read replays the peeked bytes, then reads the connection.
func (p *Peeked) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// ReadClientHello reads the TLS records holding the ClientHello from c and
// parses it. The returned Peeked replays every byte read, whatever the
// outcome, so the caller can still hand it to crypto/tls (which answers a
// malformed hello with a proper alert) or to a plain-text handler.
func ReadClientHello(c net.Conn) (*Hello, *Peeked, error) {
	p := &Peeked{Conn: c}
	var msg []byte
	for {
		var hdr [5]byte
		if err := readFull(c, hdr[:], &p.buf); err != nil {
			return nil, p, err
		}
		if hdr[0] != 0x16 || hdr[1] != 0x03 {
			return nil, p, ErrNotTLS
		}
		n := int(binary.BigEndian.Uint16(hdr[3:5]))
		if n == 0 || n > 16384+2048 {
			return nil, p, ErrMalformed
		}
		start := len(p.buf)
		if err := readFull(c, make([]byte, n), &p.buf); err != nil {
			return nil, p, err
		}
		msg = append(msg, p.buf[start:]...)
		if len(msg) >= 4 {
			if msg[0] != 0x01 {
				return nil, p, ErrMalformed
			}
			want := 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if want > MaxHello {
				return nil, p, ErrMalformed
			}
			if len(msg) >= want {
				h, err := ParseClientHello(msg[4:want])
				return h, p, err
			}
		}
		if len(msg) > MaxHello {
			return nil, p, ErrMalformed
		}
	}
}

// readFull reads len(b) bytes into b and appends them to *keep.
func readFull(c net.Conn, b []byte, keep *[]byte) error {
	n, err := io.ReadFull(c, b)
	*keep = append(*keep, b[:n]...)
	return err
}

// reader is a bounds-checked cursor over a handshake message: every read
// past the end sets bad instead of panicking.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() uint8 {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if len(r.b) < 2 {
		r.bad = true
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// vec8 and vec16 read a vector with a one- or two-byte length prefix.
func (r *reader) vec8() *reader  { return &reader{b: r.bytes(int(r.u8()))} }
func (r *reader) vec16() *reader { return &reader{b: r.bytes(int(r.u16()))} }

// u16s reads the rest of r as a list of uint16.
func (r *reader) u16s() []uint16 {
	out := make([]uint16, 0, len(r.b)/2)
	for len(r.b) >= 2 {
		out = append(out, r.u16())
	}
	if len(r.b) != 0 {
		r.bad = true
	}
	return out
}

// ParseClientHello parses a ClientHello handshake body (after the 4-byte
// handshake header).
func ParseClientHello(body []byte) (*Hello, error) {
	r := &reader{b: body}
	h := &Hello{Version: r.u16()}
	r.bytes(32) // random
	r.vec8()    // legacy session id
	cs := r.vec16()
	h.Ciphers = cs.u16s()
	r.vec8() // compression methods
	if r.bad || cs.bad {
		return nil, ErrMalformed
	}
	if len(r.b) == 0 {
		return h, nil // no extensions: an SSL 3.0-era client
	}
	exts := r.vec16()
	if r.bad {
		return nil, ErrMalformed
	}
	for len(exts.b) > 0 {
		typ := exts.u16()
		data := exts.vec16()
		if exts.bad {
			return nil, ErrMalformed
		}
		if len(h.Extensions) >= 512 {
			return nil, ErrMalformed
		}
		h.Extensions = append(h.Extensions, typ)
		switch typ {
		case extServerName:
			list := data.vec16()
			for len(list.b) > 0 && !list.bad {
				kind := list.u8()
				name := list.vec16()
				if kind == 0 && h.SNI == "" {
					h.SNI = string(name.b)
				}
			}
		case extSupportedGroups:
			h.Groups = data.vec16().u16s()
		case extECPointFormats:
			h.PointFormats = slices.Clone(data.vec8().b)
		case extSignatureAlgorithms:
			h.SigAlgs = data.vec16().u16s()
		case extALPN:
			list := data.vec16()
			for len(list.b) > 0 && !list.bad && len(h.ALPN) < 32 {
				h.ALPN = append(h.ALPN, string(list.vec8().b))
			}
		case extSupportedVersions:
			h.Versions = data.vec8().u16s()
		}
	}
	return h, nil
}

// IsGREASE reports whether v is one of RFC 8701's reserved GREASE values,
// which clients insert at random and both fingerprints ignore.
func IsGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

func dropGREASE(in []uint16) []uint16 {
	out := make([]uint16, 0, len(in))
	for _, v := range in {
		if !IsGREASE(v) {
			out = append(out, v)
		}
	}
	return out
}

func joinDec(vs []uint16) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(strconv.Itoa(int(v)))
	}
	return b.String()
}

// JA3 returns the JA3 string (version,ciphers,extensions,groups,formats in
// decimal, GREASE removed) and its MD5, the form JA3 databases index.
func (h *Hello) JA3() (full, hash string) {
	formats := make([]uint16, len(h.PointFormats))
	for i, f := range h.PointFormats {
		formats[i] = uint16(f)
	}
	full = strconv.Itoa(int(h.Version)) + "," + joinDec(dropGREASE(h.Ciphers)) + "," +
		joinDec(dropGREASE(h.Extensions)) + "," + joinDec(dropGREASE(h.Groups)) + "," + joinDec(formats)
	sum := md5.Sum([]byte(full))
	return full, hex.EncodeToString(sum[:])
}

// TLSVersion is the highest version the client offers (supported_versions
// when present, else legacy_version).
func (h *Hello) TLSVersion() uint16 {
	v := h.Version
	for _, s := range dropGREASE(h.Versions) {
		if s > v && s < 0x0400 || v == 0 {
			v = s
		}
	}
	return v
}

func ja4Version(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ja4ALPN is the first and last character of the first ALPN value, or the
// first and last hex digit when either is not alphanumeric (FoxIO's rule).
func (h *Hello) ja4ALPN() string {
	if len(h.ALPN) == 0 || h.ALPN[0] == "" {
		return "00"
	}
	a := h.ALPN[0]
	if isAlnum(a[0]) && isAlnum(a[len(a)-1]) {
		return string([]byte{a[0], a[len(a)-1]})
	}
	x := hex.EncodeToString([]byte(a))
	return string([]byte{x[0], x[len(x)-1]})
}

func hexList(vs []uint16) string {
	var b strings.Builder
	for i, v := range vs {
		if i > 0 {
			b.WriteByte(',')
		}
		var buf [2]byte
		binary.BigEndian.PutUint16(buf[:], v)
		b.WriteString(hex.EncodeToString(buf[:]))
	}
	return b.String()
}

func hash12(s string) string {
	if s == "" {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:12]
}

func count2(n int) string {
	n = min(n, 99)
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

// JA4 returns the FoxIO JA4 fingerprint of a ClientHello received over TCP:
// t<version><d|i><ciphers><extensions><alpn>_<sha256 of sorted ciphers>_<sha256
// of sorted extensions without SNI/ALPN, then the signature algorithms>.
func (h *Hello) JA4() string {
	ciphers := dropGREASE(h.Ciphers)
	exts := dropGREASE(h.Extensions)
	sni := "i"
	if slices.Contains(exts, extServerName) {
		sni = "d"
	}
	a := "t" + ja4Version(h.TLSVersion()) + sni + count2(len(ciphers)) + count2(len(exts)) + h.ja4ALPN()

	sorted := slices.Clone(ciphers)
	slices.Sort(sorted)
	b := hash12(hexList(sorted))

	var rest []uint16
	for _, e := range exts {
		if e != extServerName && e != extALPN {
			rest = append(rest, e)
		}
	}
	slices.Sort(rest)
	c := hexList(rest)
	if sig := dropGREASE(h.SigAlgs); len(sig) > 0 {
		c += "_" + hexList(sig)
	}
	if len(rest) == 0 {
		c = ""
	}
	return a + "_" + b + "_" + hash12(c)
}

// Fields are the event fields of a ClientHello, named as the sniffer's
// tls_client_hello events name them (pipeline.md §1.4).
func (h *Hello) Fields(f map[string]string) map[string]string {
	if f == nil {
		f = make(map[string]string, 10)
	}
	full, hash := h.JA3()
	f["ja3"] = hash
	f["ja3_string"] = full
	f["ja4"] = h.JA4()
	f["tls_version"] = ja4Version(h.TLSVersion())
	f["sni"] = h.SNI
	f["alpn"] = strings.Join(h.ALPN, ",")
	f["raw_ciphers"] = hexList(h.Ciphers)
	f["raw_extensions"] = hexList(h.Extensions)
	return f
}
