package syslog

import (
	"bufio"
	"errors"
	"io"
)

// errFrameTooLong reports a frame longer than the framer's limit. The framer
// has already skipped it, so the stream is in sync and reading can go on.
var errFrameTooLong = errors.New("syslog: frame longer than limit")

// maxLengthDigits bounds the RFC 6587 octet count; nine digits already exceed
// any sane frame, and a longer digit run is read as an ordinary line.
const maxLengthDigits = 9

// framer splits a TCP byte stream into syslog frames, deciding per frame
// between RFC 6587 octet counting (`<len> <msg>`, recognised by digits then a
// space) and newline framing (LF, with CRLF tolerated). Real syslog lines
// start with '<', so a leading digit is unambiguous.
type framer struct {
	br  *bufio.Reader
	max int
	buf []byte
	// frameStart, when set, runs once the first byte of a frame is in hand;
	// the listener uses it to swap the idle deadline for the frame deadline.
	frameStart func()
}

func newFramer(r io.Reader, max int) *framer {
	return &framer{br: bufio.NewReaderSize(r, 16<<10), max: max}
}

// next returns the next frame without its terminator. The slice is only
// valid until the following call. It returns errFrameTooLong after skipping
// an oversized frame, io.EOF at a clean end of stream, and the reader's error
// otherwise. A final line without a newline is still returned at EOF because
// many senders close right after their last line.
func (f *framer) next() ([]byte, error) {
	for {
		b, err := f.br.Peek(1)
		if err != nil {
			return nil, err
		}
		// Stray terminators between frames (some octet-counting senders add
		// a newline after each frame) are not frames.
		if b[0] != '\n' && b[0] != '\r' {
			break
		}
		f.br.Discard(1)
	}
	if f.frameStart != nil {
		f.frameStart()
	}
	if n, ok, err := f.octetCount(); err != nil {
		return nil, err
	} else if ok {
		return f.readCounted(n)
	}
	return f.readLine()
}

// octetCount consumes and returns an RFC 6587 length prefix if the stream
// starts with one. It peeks one byte at a time so that a short newline-framed
// line is never held back waiting for bytes that will not come.
func (f *framer) octetCount() (int, bool, error) {
	n := 0
	for i := 0; i <= maxLengthDigits; i++ {
		b, err := f.br.Peek(i + 1)
		if err != nil {
			if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
				// Whatever is buffered is a final unterminated line.
				return 0, false, nil
			}
			return 0, false, err
		}
		c := b[i]
		switch {
		case c >= '0' && c <= '9' && !(i == 0 && c == '0'):
			n = n*10 + int(c-'0')
		case c == ' ' && i > 0:
			f.br.Discard(i + 1)
			return n, true, nil
		default:
			return 0, false, nil
		}
	}
	return 0, false, nil
}

func (f *framer) readCounted(n int) ([]byte, error) {
	if n > f.max {
		if _, err := f.br.Discard(n); err != nil {
			return nil, noEOF(err)
		}
		return nil, errFrameTooLong
	}
	if cap(f.buf) < n {
		f.buf = make([]byte, n)
	}
	frame := f.buf[:n]
	if _, err := io.ReadFull(f.br, frame); err != nil {
		return nil, noEOF(err)
	}
	return trimEOL(frame), nil
}

func (f *framer) readLine() ([]byte, error) {
	f.buf = f.buf[:0]
	for {
		chunk, err := f.br.ReadSlice('\n')
		if err == nil && len(f.buf) == 0 {
			// Whole line already buffered: hand out bufio's slice, no copy.
			line := trimEOL(chunk)
			if len(line) > f.max {
				return nil, errFrameTooLong
			}
			return line, nil
		}
		// A trailing CR may still be followed by the LF, so allow one byte
		// of slack before deciding the line is too long.
		if len(f.buf)+len(chunk) > f.max+2 {
			if err == bufio.ErrBufferFull {
				err = f.skipLine()
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, errFrameTooLong
		}
		f.buf = append(f.buf, chunk...)
		switch err {
		case nil:
			line := trimEOL(f.buf)
			if len(line) > f.max {
				return nil, errFrameTooLong
			}
			return line, nil
		case bufio.ErrBufferFull:
			continue
		case io.EOF:
			if len(f.buf) == 0 {
				return nil, io.EOF
			}
			line := trimEOL(f.buf)
			if len(line) > f.max {
				return nil, errFrameTooLong
			}
			return line, nil
		default:
			return nil, err
		}
	}
}

// skipLine discards through the next newline.
func (f *framer) skipLine() error {
	for {
		_, err := f.br.ReadSlice('\n')
		if err != bufio.ErrBufferFull {
			return err
		}
	}
}

// trimEOL drops one trailing LF and the CR before it, if any.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// noEOF turns an EOF inside a frame into io.ErrUnexpectedEOF so the caller
// can tell a truncated frame from a clean end of stream.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
