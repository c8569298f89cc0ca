// Package terminal is the server side of an interactive login: a bounded
// line editor over the keystrokes a pty client sends (echo, backspace,
// ctrl-C/-D/-U, history, escape sequences skipped) and an asciinema v2
// recorder of what both sides saw. SSH shells and Telnet share it.
package terminal

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"
)

// ErrInterrupt is returned by ReadLine when the client pressed ctrl-C.
var ErrInterrupt = errors.New("terminal: interrupt")

// DefaultMaxLine bounds one input line; bash's own limit is far larger,
// but nothing an attacker types by hand comes close.
const DefaultMaxLine = 64 << 10

// maxEscape bounds an escape sequence we skip, so a flood of ESC [ 9 9 9 …
// cannot grow a buffer.
const maxEscape = 32

// maxHistory is how many lines up-arrow can recall.
const maxHistory = 500

// Terminal edits lines typed on an interactive client. Output written
// through it has "\n" turned into "\r\n", as a tty's onlcr would.
type Terminal struct {
	r       io.Reader
	w       io.Writer
	echo    bool
	crlf    bool
	maxLine int

	buf     []byte // unread input
	rbuf    [1024]byte
	history []string
	// lastCR swallows the LF of a CR LF pair (and Telnet's CR NUL).
	lastCR bool
}

// New returns a terminal reading keystrokes from r and writing to w, with
// echo on.
func New(r io.Reader, w io.Writer) *Terminal {
	return &Terminal{r: r, w: w, echo: true, crlf: true, maxLine: DefaultMaxLine}
}

// SetRaw makes the terminal behave like a session without a pty: no echo
// and output passed through unchanged.
func (t *Terminal) SetRaw() {
	t.echo = false
	t.crlf = false
}

// SetEcho turns echo of typed characters on or off (off for passwords).
func (t *Terminal) SetEcho(on bool) { t.echo = on }

// SetMaxLine changes the longest line ReadLine returns; longer input is
// cut there.
func (t *Terminal) SetMaxLine(n int) {
	if n > 0 {
		t.maxLine = n
	}
}

// Write writes p with "\n" expanded to "\r\n".
func (t *Terminal) Write(p []byte) (int, error) {
	if !t.crlf || bytes.IndexByte(p, '\n') < 0 {
		return t.w.Write(p)
	}
	out := make([]byte, 0, len(p)+bytes.Count(p, []byte{'\n'}))
	for i, c := range p {
		if c == '\n' && (i == 0 || p[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteString writes s like Write.
func (t *Terminal) WriteString(s string) (int, error) { return t.Write([]byte(s)) }

func (t *Terminal) readByte() (byte, error) {
	if len(t.buf) == 0 {
		n, err := t.r.Read(t.rbuf[:])
		if n == 0 {
			if err == nil {
				err = io.ErrNoProgress
			}
			return 0, err
		}
		t.buf = t.rbuf[:n]
	}
	c := t.buf[0]
	t.buf = t.buf[1:]
	return c, nil
}

// ReadLine shows prompt and returns the next line the client enters,
// without its line ending. ctrl-C returns ErrInterrupt; ctrl-D on an empty
// line returns io.EOF. The line is added to the history.
func (t *Terminal) ReadLine(prompt string) (string, error) {
	if prompt != "" {
		if _, err := t.WriteString(prompt); err != nil {
			return "", err
		}
	}
	var line []byte
	histPos := len(t.history)
	for {
		c, err := t.readByte()
		if err != nil {
			if len(line) > 0 && errors.Is(err, io.EOF) {
				return string(line), nil
			}
			return "", err
		}
		if t.lastCR {
			t.lastCR = false
			if c == '\n' || c == 0 {
				continue
			}
		}
		switch c {
		case '\r', '\n':
			t.lastCR = c == '\r'
			if t.crlf {
				t.echoBytes("\r\n")
			}
			s := string(line)
			t.remember(s)
			return s, nil
		case 3: // ctrl-C
			t.echoBytes("^C\r\n")
			return "", ErrInterrupt
		case 4: // ctrl-D
			if len(line) == 0 {
				return "", io.EOF
			}
		case 127, 8: // backspace
			if len(line) > 0 {
				_, size := utf8.DecodeLastRune(line)
				line = line[:len(line)-size]
				t.echoBytes("\b \b")
			}
		case 21: // ctrl-U: kill the line
			for range utf8.RuneCount(line) {
				t.echoBytes("\b \b")
			}
			line = line[:0]
		case 27: // ESC: arrow keys recall history; other sequences are skipped
			seq, err := t.readEscape()
			if err != nil {
				return "", err
			}
			switch seq {
			case "[A", "OA":
				if histPos > 0 {
					histPos--
					line = t.replaceLine(line, t.history[histPos])
				}
			case "[B", "OB":
				if histPos < len(t.history) {
					histPos++
					next := ""
					if histPos < len(t.history) {
						next = t.history[histPos]
					}
					line = t.replaceLine(line, next)
				}
			}
		case '\t':
			// No completion: a real shell would ring the bell.
			t.echoBytes("\a")
		default:
			if c < 32 {
				continue
			}
			if len(line) >= t.maxLine {
				continue
			}
			line = append(line, c)
			if t.echo {
				t.w.Write([]byte{c})
			}
		}
	}
}

// readEscape consumes the rest of an escape sequence after ESC and returns
// it (e.g. "[A"); it reads at most maxEscape bytes.
func (t *Terminal) readEscape() (string, error) {
	var seq []byte
	for len(seq) < maxEscape {
		c, err := t.readByte()
		if err != nil {
			return "", err
		}
		seq = append(seq, c)
		if len(seq) == 1 {
			if c != '[' && c != 'O' {
				return string(seq), nil
			}
			continue
		}
		// A CSI or SS3 sequence ends with a byte in 0x40–0x7e.
		if c >= 0x40 && c <= 0x7e {
			return string(seq), nil
		}
	}
	return string(seq), nil
}

func (t *Terminal) replaceLine(line []byte, with string) []byte {
	for range utf8.RuneCount(line) {
		t.echoBytes("\b \b")
	}
	t.echoBytes(with)
	return append(line[:0], with...)
}

func (t *Terminal) echoBytes(s string) {
	if t.echo || s == "\r\n" || s == "^C\r\n" {
		io.WriteString(t.w, s)
	}
}

func (t *Terminal) remember(s string) {
	if s == "" || (len(t.history) > 0 && t.history[len(t.history)-1] == s) {
		return
	}
	if len(t.history) == maxHistory {
		t.history = append(t.history[:0], t.history[1:]...)
	}
	t.history = append(t.history, s)
}
