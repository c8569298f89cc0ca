package telnet

import (
	"encoding/binary"
	"io"
	"strconv"
	"strings"
)

// Telnet bytes (RFC 854) and the options this server negotiates.
const (
	iac  = 255
	dont = 254
	do   = 253
	wont = 252
	will = 251
	sb   = 250
	se   = 240

	optEcho  = 1
	optSGA   = 3
	optTType = 24
	optNAWS  = 31
	optLFlow = 33

	ttypeIs   = 0
	ttypeSend = 1
)

// negotiation is byte for byte what busybox telnetd sends on connect (DO
// ECHO, DO NAWS, DO LFLOW, WILL ECHO, WILL SGA), which nmap's service
// probes recognise as "BusyBox telnetd" when the login prompt follows.
var negotiation = []byte{iac, do, optEcho, iac, do, optNAWS, iac, do, optLFlow, iac, will, optEcho, iac, will, optSGA}

// maxSubneg bounds one subnegotiation; NAWS needs 4 bytes and a terminal
// type a few dozen.
const maxSubneg = 256

// maxOptions bounds the option commands recorded per connection.
const maxOptions = 64

// optionReader strips Telnet commands from the client's byte stream,
// leaving the data, and records what the client negotiated. It is a state
// machine over single bytes, so a sequence split across reads, or never
// finished, costs nothing extra.
type optionReader struct {
	r     io.Reader
	reply io.Writer

	state   int
	cmd     byte
	sub     []byte
	subOver bool
	buf     [1024]byte

	// What the client told us.
	Width, Height int
	TermType      string
	Options       []string
	truncated     bool
}

const (
	stData = iota
	stIAC
	stOpt
	stSB
	stSBIAC
)

func newOptionReader(r io.Reader, reply io.Writer) *optionReader {
	return &optionReader{r: r, reply: reply}
}

// Read returns the client's data bytes with every Telnet command removed.
func (o *optionReader) Read(p []byte) (int, error) {
	for {
		n, err := o.r.Read(o.buf[:min(len(p), len(o.buf))])
		out := 0
		for _, c := range o.buf[:n] {
			if b, ok := o.step(c); ok {
				p[out] = b
				out++
			}
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
}

// step consumes one byte and returns a data byte when there is one.
func (o *optionReader) step(c byte) (byte, bool) {
	switch o.state {
	case stData:
		if c == iac {
			o.state = stIAC
			return 0, false
		}
		return c, true
	case stIAC:
		switch c {
		case iac:
			o.state = stData
			return iac, true
		case will, wont, do, dont:
			o.cmd, o.state = c, stOpt
		case sb:
			o.sub, o.subOver, o.state = o.sub[:0], false, stSB
		default:
			// NOP, AYT, IP, BRK, GA …: no data.
			o.state = stData
		}
		return 0, false
	case stOpt:
		o.state = stData
		o.option(o.cmd, c)
		return 0, false
	case stSB:
		if c == iac {
			o.state = stSBIAC
			return 0, false
		}
		o.subByte(c)
		return 0, false
	case stSBIAC:
		switch c {
		case se:
			o.state = stData
			o.subnegotiation()
		case iac:
			o.state = stSB
			o.subByte(iac)
		default:
			// Malformed: leave the subnegotiation.
			o.state = stData
		}
		return 0, false
	}
	o.state = stData
	return 0, false
}

func (o *optionReader) subByte(c byte) {
	if len(o.sub) >= maxSubneg {
		o.subOver = true
		return
	}
	o.sub = append(o.sub, c)
}

func (o *optionReader) option(cmd, opt byte) {
	if len(o.Options) < maxOptions {
		o.Options = append(o.Options, cmdName(cmd)+" "+optName(opt))
	} else {
		o.truncated = true
	}
	if cmd == will && opt == optTType {
		o.reply.Write([]byte{iac, sb, optTType, ttypeSend, iac, se})
	}
}

func (o *optionReader) subnegotiation() {
	if len(o.sub) == 0 || o.subOver {
		return
	}
	switch o.sub[0] {
	case optNAWS:
		if len(o.sub) == 5 {
			o.Width = int(binary.BigEndian.Uint16(o.sub[1:]))
			o.Height = int(binary.BigEndian.Uint16(o.sub[3:]))
		}
	case optTType:
		if len(o.sub) > 1 && o.sub[1] == ttypeIs {
			o.TermType = printable(string(o.sub[2:]), 64)
		}
	}
}

func cmdName(c byte) string {
	switch c {
	case will:
		return "WILL"
	case wont:
		return "WONT"
	case do:
		return "DO"
	}
	return "DONT"
}

func optName(o byte) string {
	switch o {
	case optEcho:
		return "ECHO"
	case optSGA:
		return "SGA"
	case optTType:
		return "TTYPE"
	case optNAWS:
		return "NAWS"
	case 32:
		return "TSPEED"
	case 33:
		return "LFLOW"
	case 34:
		return "LINEMODE"
	case 36:
		return "OLD-ENVIRON"
	case 39:
		return "NEW-ENVIRON"
	case 35:
		return "XDISPLOC"
	case 37:
		return "AUTHENTICATION"
	case 38:
		return "ENCRYPT"
	}
	return "OPT" + strconv.Itoa(int(o))
}

// printable keeps printable ASCII, at most n bytes.
func printable(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// escapeIAC doubles 0xFF bytes in server output, as RFC 854 requires.
type escapeIAC struct{ w io.Writer }

func (e escapeIAC) Write(p []byte) (int, error) {
	if strings.IndexByte(string(p), iac) < 0 {
		return e.w.Write(p)
	}
	out := make([]byte, 0, len(p)+4)
	for _, c := range p {
		out = append(out, c)
		if c == iac {
			out = append(out, iac)
		}
	}
	if _, err := e.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}
