package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strings"
	"sync"
)

// maxCapture bounds the clear-text prefix kept to find the client's
// KEXINIT: the RFC 4253 cap on a packet (35 000 bytes) plus the version
// line.
const maxCapture = 35000 + 256

// msgKexInit is SSH_MSG_KEXINIT.
const msgKexInit = 20

// captureConn keeps the first bytes the client sends, before the SSH
// library consumes them, so the client's KEXINIT can be fingerprinted: the
// library does not expose it.
type captureConn struct {
	net.Conn
	mu   sync.Mutex
	buf  []byte
	done bool
}

func (c *captureConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if !c.done {
			room := maxCapture - len(c.buf)
			c.buf = append(c.buf, p[:min(n, room)]...)
			if len(c.buf) >= maxCapture {
				c.done = true
			}
		}
		c.mu.Unlock()
	}
	return n, err
}

// kexInit returns the parsed client KEXINIT once it has arrived, and stops
// capturing.
func (c *captureConn) kexInit() (clientKex, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := parseClientKex(c.buf)
	if ok {
		c.done = true
		c.buf = nil
	}
	return k, ok
}

// clientKex is the part of a client KEXINIT HASSH covers.
type clientKex struct {
	Kex, HostKey, Ciphers, MACs, Compression string
}

// HASSH is the MD5 of "kex;ciphers;macs;compression" (client to server
// lists), the fingerprint identity clustering compares.
func (k clientKex) HASSH() string {
	sum := md5.Sum([]byte(k.Algorithms()))
	return hex.EncodeToString(sum[:])
}

// Algorithms is the HASSH input string.
func (k clientKex) Algorithms() string {
	return k.Kex + ";" + k.Ciphers + ";" + k.MACs + ";" + k.Compression
}

// parseClientKex finds the first binary packet after the version exchange
// (lines before "SSH-" are allowed by RFC 4253 §4.2 from servers only, but
// tolerated) and reads the name-lists of its KEXINIT. Every length is
// checked against the captured bytes: the input is attacker-chosen.
func parseClientKex(b []byte) (clientKex, bool) {
	var k clientKex
	for {
		nl := strings.IndexByte(string(b), '\n')
		if nl < 0 {
			return k, false
		}
		line := b[:nl]
		b = b[nl+1:]
		if len(line) >= 4 && string(line[:4]) == "SSH-" {
			break
		}
	}
	if len(b) < 6 {
		return k, false
	}
	plen := binary.BigEndian.Uint32(b)
	padLen := int(b[4])
	if plen < 1+17 || plen > 35000 || uint32(len(b)-4) < plen || padLen >= int(plen) {
		return k, false
	}
	payload := b[5 : 4+int(plen)-padLen]
	if len(payload) < 17 || payload[0] != msgKexInit {
		return k, false
	}
	p := payload[17:]
	lists := make([]string, 0, 10)
	for range 10 {
		if len(p) < 4 {
			return k, false
		}
		n := binary.BigEndian.Uint32(p)
		if uint64(n) > uint64(len(p)-4) {
			return k, false
		}
		lists = append(lists, string(p[4:4+n]))
		p = p[4+n:]
	}
	k = clientKex{Kex: lists[0], HostKey: lists[1], Ciphers: lists[2], MACs: lists[4], Compression: lists[6]}
	return k, true
}
