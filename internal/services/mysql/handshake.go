package mysql

import (
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"strings"
)

// Capability flags used here (MySQL's CLIENT_*).
const (
	capConnectWithDB    = 0x00000008
	capProtocol41       = 0x00000200
	capSSL              = 0x00000800
	capSecureConn       = 0x00008000
	capPluginAuth       = 0x00080000
	capConnectAttrs     = 0x00100000
	capPluginAuthLenEnc = 0x00200000
)

// Authentication plugins.
const (
	pluginNative  = "mysql_native_password"
	pluginSHA2    = "caching_sha2_password"
	pluginClear   = "mysql_clear_password"
	statusAutoCmt = 0x0002
)

// serverCaps is what the persona advertises: a stock 5.7/8.0 server's set
// without CLIENT_SSL (the decoy speaks no TLS, so it must not offer it),
// CLIENT_DEPRECATE_EOF (result sets end in classic EOF packets),
// CLIENT_SESSION_TRACK (OK packets stay short) or compression.
const serverCaps = 0xffffffff &^ (capSSL | 0x20 /* COMPRESS */ | 0x00800000 /* SESSION_TRACK */ | 0x01000000 /* DEPRECATE_EOF */ |
	0x02000000 /* OPTIONAL_RESULTSET_METADATA */ | 0x04000000 /* ZSTD */ | 0x08000000 /* QUERY_ATTRIBUTES */ |
	0x40000000 /* SSL_VERIFY */ | 0x80000000 /* REMEMBER_OPTIONS */ | 0x10000000 /* MFA */ | 0x20000000 /* CAPABILITY_EXTENSION */)

// newSalt returns the 20-byte scramble MySQL's generate_user_salt makes:
// 7-bit, never NUL or '$'.
func newSalt() []byte {
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] &= 0x7f
		if b[i] == 0 || b[i] == '$' {
			b[i]++
		}
	}
	return b
}

// greeting is the Protocol::HandshakeV10 packet.
func greeting(version string, connID uint32, salt []byte, plugin string, charset byte) []byte {
	b := []byte{0x0a}
	b = append(b, version...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = append(b, salt[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps&0xffff))
	b = append(b, charset)
	b = binary.LittleEndian.AppendUint16(b, statusAutoCmt)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps>>16))
	b = append(b, byte(len(salt)+1))
	b = append(b, make([]byte, 10)...)
	b = append(b, salt[8:]...)
	b = append(b, 0)
	b = append(b, plugin...)
	return append(b, 0)
}

// response is a parsed Protocol::HandshakeResponse41.
type response struct {
	caps     uint32
	charset  byte
	user     string
	auth     []byte
	database string
	plugin   string
	attrs    map[string]string
	// sslRequest is the 32-byte SSLRequest a client sends instead of a
	// response when it wants TLS.
	sslRequest bool
}

// maxAttrs bounds the connection attributes kept from one client.
const maxAttrs = 32

// parseResponse decodes a HandshakeResponse41; every length is checked
// against the packet, so a hostile one only yields errProtocol.
func parseResponse(p []byte) (*response, error) {
	d := &decoder{b: p}
	r := &response{caps: d.uint32("capabilities")}
	if d.err == nil && r.caps&capProtocol41 == 0 {
		return nil, protoErr("pre-4.1 handshake response")
	}
	d.uint32("max packet size")
	r.charset = d.byte1("charset")
	d.bytes(23, "filler")
	if d.err == nil && len(d.b) == 0 {
		if r.caps&capSSL != 0 {
			r.sslRequest = true
			return r, nil
		}
		return nil, protoErr("handshake response without a user")
	}
	r.user = d.nulString("user")
	switch {
	case r.caps&capPluginAuthLenEnc != 0:
		r.auth = d.lenEncBytes("auth response")
	case r.caps&capSecureConn != 0:
		n := d.byte1("auth length")
		r.auth = d.bytes(int(n), "auth response")
	default:
		r.auth = []byte(d.nulString("auth response"))
	}
	if r.caps&capConnectWithDB != 0 && len(d.b) > 0 {
		r.database = d.nulString("database")
	}
	if r.caps&capPluginAuth != 0 && len(d.b) > 0 {
		r.plugin = d.nulString("plugin")
	}
	if r.caps&capConnectAttrs != 0 && len(d.b) > 0 {
		n := d.lenEncInt("attributes length")
		if d.err == nil && n <= uint64(len(d.b)) {
			ad := &decoder{b: d.bytes(int(n), "attributes")}
			r.attrs = map[string]string{}
			for len(ad.b) > 0 && ad.err == nil && len(r.attrs) < maxAttrs {
				k := ad.lenEncBytes("attribute key")
				v := ad.lenEncBytes("attribute value")
				if ad.err == nil {
					r.attrs[clip(string(k), 64)] = clip(string(v), 256)
				}
			}
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// nativeScramble is mysql_native_password's answer for password and salt:
// SHA1(pw) XOR SHA1(salt + SHA1(SHA1(pw))).
func nativeScramble(password string, salt []byte) []byte {
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	h := sha1.New()
	h.Write(salt)
	h.Write(h2[:])
	x := h.Sum(nil)
	for i := range x {
		x[i] ^= h1[i]
	}
	return x
}

// sha2Scramble is caching_sha2_password's fast-auth answer:
// SHA256(pw) XOR SHA256(SHA256(SHA256(pw)) + salt).
func sha2Scramble(password string, salt []byte) []byte {
	s1 := sha256.Sum256([]byte(password))
	s2 := sha256.Sum256(s1[:])
	h := sha256.New()
	h.Write(s2[:])
	h.Write(salt)
	x := h.Sum(nil)
	for i := range x {
		x[i] ^= s1[i]
	}
	return x
}

// checkPassword reports whether the client's auth data proves password.
func checkPassword(plugin string, auth, salt []byte, password string) bool {
	var want []byte
	switch plugin {
	case pluginNative:
		if password == "" {
			return len(auth) == 0
		}
		want = nativeScramble(password, salt)
	case pluginSHA2:
		if password == "" {
			return len(auth) == 0
		}
		want = sha2Scramble(password, salt)
	case pluginClear:
		return strings.TrimRight(string(auth), "\x00") == password
	default:
		return false
	}
	return subtle.ConstantTimeCompare(want, auth) == 1
}

// errPacket is an ERR_Packet with SQL state.
func errPacket(code uint16, state, msg string) []byte {
	b := []byte{0xff}
	b = binary.LittleEndian.AppendUint16(b, code)
	b = append(b, '#')
	b = append(b, state...)
	return append(b, msg...)
}

// okPacket is an OK_Packet with no rows affected.
func okPacket() []byte {
	return []byte{0x00, 0x00, 0x00, byte(statusAutoCmt), 0x00, 0x00, 0x00}
}

// authSwitch asks the client to answer with plugin over salt.
func authSwitch(plugin string, salt []byte) []byte {
	b := []byte{0xfe}
	b = append(b, plugin...)
	b = append(b, 0)
	b = append(b, salt...)
	return append(b, 0)
}
