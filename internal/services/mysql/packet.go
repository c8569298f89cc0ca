package mysql

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// maxPacket bounds one client packet. A handshake response is a few
// hundred bytes; a query an attacker types fits in 256 KiB, and the
// protocol's 16 MiB packets (and multi-packet continuations) are refused
// instead of buffered.
const maxPacket = 256 << 10

// errProtocol marks malformed client input, as opposed to a failed
// connection.
var errProtocol = errors.New("malformed packet")

func protoErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", errProtocol, fmt.Sprintf(format, a...))
}

// packetConn frames MySQL packets: 3-byte little-endian length, sequence
// id, payload. Replies reuse the sequence the client is at.
type packetConn struct {
	r   *bufio.Reader
	w   *bufio.Writer
	seq byte
}

func newPacketConn(rw io.ReadWriter) *packetConn {
	return &packetConn{r: bufio.NewReaderSize(rw, 4<<10), w: bufio.NewWriterSize(rw, 4<<10)}
}

// read returns the next client packet's payload and takes its sequence id.
func (p *packetConn) read() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(p.r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n > maxPacket {
		return nil, protoErr("packet of %d bytes exceeds %d", n, maxPacket)
	}
	p.seq = hdr[3] + 1
	buf := make([]byte, n)
	if _, err := io.ReadFull(p.r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// write queues one packet with the next sequence id.
func (p *packetConn) write(payload []byte) {
	n := len(payload)
	p.w.Write([]byte{byte(n), byte(n >> 8), byte(n >> 16), p.seq})
	p.w.Write(payload)
	p.seq++
}

func (p *packetConn) flush() error { return p.w.Flush() }

// Sizes and helpers of the wire encoding.

func appendLenEncInt(b []byte, n uint64) []byte {
	switch {
	case n < 251:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	b = append(b, 0xfe)
	return binary.LittleEndian.AppendUint64(b, n)
}

func appendLenEncString(b []byte, s string) []byte {
	return append(appendLenEncInt(b, uint64(len(s))), s...)
}

// decoder reads fields from a client payload without ever indexing past
// its end: every method fails with errProtocol instead.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = protoErr("truncated %s", what)
	}
}

func (d *decoder) bytes(n int, what string) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail(what)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) uint32(what string) uint32 {
	b := d.bytes(4, what)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) byte1(what string) byte {
	b := d.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

// nulString reads up to a NUL; a missing NUL at the very end is accepted
// (some clients omit it on the last field).
func (d *decoder) nulString(what string) string {
	if d.err != nil {
		return ""
	}
	for i, c := range d.b {
		if c == 0 {
			s := string(d.b[:i])
			d.b = d.b[i+1:]
			return s
		}
	}
	s := string(d.b)
	d.b = nil
	return s
}

func (d *decoder) lenEncInt(what string) uint64 {
	c := d.byte1(what)
	switch c {
	case 0xfc:
		b := d.bytes(2, what)
		if b == nil {
			return 0
		}
		return uint64(binary.LittleEndian.Uint16(b))
	case 0xfd:
		b := d.bytes(3, what)
		if b == nil {
			return 0
		}
		return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16
	case 0xfe:
		b := d.bytes(8, what)
		if b == nil {
			return 0
		}
		return binary.LittleEndian.Uint64(b)
	case 0xfb, 0xff:
		d.fail(what)
		return 0
	}
	return uint64(c)
}

func (d *decoder) lenEncBytes(what string) []byte {
	n := d.lenEncInt(what)
	if n > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	return d.bytes(int(n), what)
}
