package redis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Input bounds. Real Redis allows 1M arguments of 512 MB each; a decoy has
// no use for more than a key and an SSH key or a module path, so the caps
// are small and an attacker cannot make one connection hold much memory.
const (
	// maxInline bounds one inline (telnet-style) command line; Redis's own
	// PROTO_INLINE_MAX_SIZE is 64 KiB.
	maxInline = 64 << 10
	// maxArgs bounds the element count of one multibulk command.
	maxArgs = 1024
	// maxBulk bounds one bulk string.
	maxBulk = 512 << 10
	// maxCommand bounds all bulk bytes of one command.
	maxCommand = 1 << 20
)

// protocolError is malformed client input. Its text is what Redis replies
// after "-ERR " before it closes the connection.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return "Protocol error: " + e.msg }

// isProtocolError reports whether err is a client's malformed input rather
// than a connection failure.
func isProtocolError(err error) bool {
	var pe *protocolError
	return errors.As(err, &pe)
}

// reader parses client commands: RESP multibulk arrays of bulk strings
// (what every client library sends) and inline commands (what telnet and
// nc users type). A command is never nested: an element that is not a bulk
// string is a protocol error, so array depth is bounded at one.
//
// github.com/tidwall/redcon's Reader was the candidate, but it cannot be
// bounded: it grows its buffer without limit and a multibulk header such as
// "*9223372036854775807" spins its parser for hours, so this small parser
// follows Redis's own networking.c rules instead.
type reader struct {
	r *bufio.Reader
}

func newReader(r io.Reader) *reader {
	return &reader{r: bufio.NewReaderSize(r, 16<<10)}
}

// Buffered reports whether more input is already waiting, so replies to a
// pipeline can be flushed together.
func (rd *reader) Buffered() int { return rd.r.Buffered() }

// line reads one line ending in \n (the \r before it is dropped), failing
// with a protocol error as soon as more than limit bytes arrived without
// one, as Redis does, rather than waiting for a newline that never comes.
func (rd *reader) line(limit int, tooLong string) ([]byte, error) {
	var out []byte
	for {
		if rd.r.Buffered() == 0 {
			if _, err := rd.r.Peek(1); err != nil {
				return nil, err
			}
		}
		buf, _ := rd.r.Peek(rd.r.Buffered())
		i := bytes.IndexByte(buf, '\n')
		take := len(buf)
		if i >= 0 {
			take = i + 1
		}
		if len(out)+take > limit+2 {
			return nil, &protocolError{tooLong}
		}
		out = append(out, buf[:take]...)
		rd.r.Discard(take)
		if i >= 0 {
			break
		}
	}
	out = out[:len(out)-1]
	if n := len(out); n > 0 && out[n-1] == '\r' {
		out = out[:n-1]
	}
	return out, nil
}

// ReadCommand returns the next command's arguments; a blank inline line
// yields an empty slice, which callers skip as Redis does.
func (rd *reader) ReadCommand() ([][]byte, error) {
	b, err := rd.r.Peek(1)
	if err != nil {
		return nil, err
	}
	if b[0] != '*' {
		ln, err := rd.line(maxInline, "too big inline request")
		if err != nil {
			return nil, err
		}
		return splitArgs(ln)
	}
	hdr, err := rd.line(32, "invalid multibulk length")
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(string(hdr[1:]), 10, 64)
	if err != nil || n > maxArgs {
		return nil, &protocolError{"invalid multibulk length"}
	}
	if n <= 0 {
		// Redis treats "*0" and "*-1" as an empty command.
		return [][]byte{}, nil
	}
	args := make([][]byte, 0, n)
	total := 0
	for range n {
		h, err := rd.line(32, "invalid bulk length")
		if err != nil {
			return nil, err
		}
		if len(h) == 0 || h[0] != '$' {
			got := "\\n"
			if len(h) > 0 {
				got = string(h[:1])
			}
			return nil, &protocolError{fmt.Sprintf("expected '$', got '%s'", got)}
		}
		size, err := strconv.ParseInt(string(h[1:]), 10, 64)
		if err != nil || size < 0 || size > maxBulk || total+int(size) > maxCommand {
			return nil, &protocolError{"invalid bulk length"}
		}
		total += int(size)
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(rd.r, buf); err != nil {
			return nil, err
		}
		if buf[size] != '\r' || buf[size+1] != '\n' {
			return nil, &protocolError{"invalid bulk length"}
		}
		args = append(args, buf[:size])
	}
	return args, nil
}

// splitArgs splits an inline command line the way Redis's sdssplitargs
// does: spaces separate arguments; "double quotes" take \n \r \t \b \a \\
// \" and \xHH escapes; 'single quotes' take only \'; a closing quote must
// be followed by a space or the end of the line.
func splitArgs(line []byte) ([][]byte, error) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDQ, inSQ, done := false, false, false
		for !done {
			if i >= len(line) {
				if inDQ || inSQ {
					return nil, &protocolError{"unbalanced quotes in request"}
				}
				break
			}
			c := line[i]
			switch {
			case inDQ:
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, &protocolError{"unbalanced quotes in request"}
					}
					done = true
				default:
					cur = append(cur, c)
				}
			case inSQ:
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, &protocolError{"unbalanced quotes in request"}
					}
					done = true
				default:
					cur = append(cur, c)
				}
			default:
				switch {
				case isSpace(c):
					done = true
				case c == '"':
					inDQ = true
				case c == '\'':
					inSQ = true
				default:
					cur = append(cur, c)
				}
			}
			i++
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// writer builds RESP2 replies.
type writer struct {
	w *bufio.Writer
}

func (w writer) simple(s string)     { w.w.WriteString("+" + s + "\r\n") }
func (w writer) err(s string)        { w.w.WriteString("-" + s + "\r\n") }
func (w writer) null()               { w.w.WriteString("$-1\r\n") }
func (w writer) nullArray()          { w.w.WriteString("*-1\r\n") }
func (w writer) integer(n int64)     { w.w.WriteString(":" + strconv.FormatInt(n, 10) + "\r\n") }
func (w writer) arrayLen(n int)      { w.w.WriteString("*" + strconv.Itoa(n) + "\r\n") }
func (w writer) bulkString(s string) { w.bulk([]byte(s)) }

func (w writer) bulk(b []byte) {
	w.w.WriteString("$" + strconv.Itoa(len(b)) + "\r\n")
	w.w.Write(b)
	w.w.WriteString("\r\n")
}

func (w writer) array(items []string) {
	w.arrayLen(len(items))
	for _, s := range items {
		w.bulkString(s)
	}
}

// repr renders one argument as redis-cli and the MONITOR command do:
// plain when it is printable and has no spaces or quotes, else quoted with
// escapes. It is what the command text for ATT&CK rules is made of.
func repr(b []byte, limit int) string {
	plain := len(b) > 0
	for _, c := range b {
		if c <= ' ' || c > '~' || c == '"' || c == '\'' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		if len(b) > limit {
			b = b[:limit]
		}
		return string(b)
	}
	out := make([]byte, 0, len(b)+2)
	out = append(out, '"')
	for i, c := range b {
		if i >= limit {
			out = append(out, "..."...)
			break
		}
		switch c {
		case '\\', '"':
			out = append(out, '\\', c)
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\a':
			out = append(out, '\\', 'a')
		case '\b':
			out = append(out, '\\', 'b')
		default:
			if c < ' ' || c > '~' {
				out = append(out, fmt.Sprintf("\\x%02x", c)...)
			} else {
				out = append(out, c)
			}
		}
	}
	return string(append(out, '"'))
}
