package shell

import (
	"bytes"
	"errors"
	"io"
)

// errOutputFull tells a command its output stream is at its cap; commands
// that loop on output (yes, cat /dev/zero) stop on it.
var errOutputFull = errors.New("output limit reached")

// capWriter passes at most max bytes to w and then fails every write, so an
// endless producer ends instead of buffering without bound.
type capWriter struct {
	w   io.Writer
	n   int
	max int
	err error // first error of w
}

func newCap(w io.Writer, max int) *capWriter { return &capWriter{w: w, max: max} }

func (c *capWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	room := c.max - c.n
	if room <= 0 {
		return 0, errOutputFull
	}
	short := false
	if len(p) > room {
		p, short = p[:room], true
	}
	n, err := c.w.Write(p)
	c.n += n
	if err != nil {
		c.err = err
		return n, err
	}
	if short {
		return n, errOutputFull
	}
	return n, nil
}

// full reports whether the writer refuses more output.
func (c *capWriter) full() bool { return c.err != nil || c.n >= c.max }

// input is a command's standard input: bytes with a read offset, shared by
// the commands of a compound command so `while read` consumes lines.
type input struct {
	data []byte
	off  int
}

func newInput(b []byte) *input { return &input{data: b} }

// rest returns and consumes what is left.
func (in *input) rest() []byte {
	if in == nil || in.off >= len(in.data) {
		return nil
	}
	b := in.data[in.off:]
	in.off = len(in.data)
	return b
}

// line returns and consumes the next line without its newline; ok is false
// at end of input.
func (in *input) line() (string, bool) {
	if in == nil || in.off >= len(in.data) {
		return "", false
	}
	b := in.data[in.off:]
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		in.off = len(in.data)
		return string(b), true
	}
	in.off += i + 1
	return string(b[:i]), true
}

// stdio is the standard streams of a command.
type stdio struct {
	in  *input
	out io.Writer
	err io.Writer
	// tty says out is the terminal, which changes how ls lays out names
	// and whether some tools print progress.
	tty bool
}

// fileSink collects what a command writes through a redirection to a
// file; the evaluator stores it in the view when the command ends.
type fileSink struct {
	path string
	buf  bytes.Buffer
	w    *capWriter
}

func newFileSink(p string) *fileSink {
	s := &fileSink{path: p}
	s.w = newCap(&s.buf, MaxFileSize)
	return s
}

func (s *fileSink) Write(p []byte) (int, error) { return s.w.Write(p) }
