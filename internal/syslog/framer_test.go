package syslog

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// tooLong and cutShort stand for the framer's errors in expected outcomes.
const (
	tooLong  = "<too long>"
	cutShort = "<unexpected EOF>"
)

// frames drains a framer, returning each frame or error marker in order.
// It fails if the framer stops making progress.
func frames(t testing.TB, r io.Reader, max, inputLen int) []string {
	t.Helper()
	f := newFramer(r, max)
	var out []string
	for range inputLen + 2 {
		frame, err := f.next()
		switch {
		case err == nil:
			if len(frame) > max {
				t.Fatalf("frame of %d bytes exceeds max %d", len(frame), max)
			}
			out = append(out, string(frame))
		case errors.Is(err, errFrameTooLong):
			out = append(out, tooLong)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return append(out, cutShort)
		case errors.Is(err, io.EOF):
			return out
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	t.Fatalf("framer returned more outcomes than input bytes: %q", out)
	return nil
}

func TestFramerSplitsBothFramings(t *testing.T) {
	const max = 16
	for _, tc := range []struct {
		name  string
		input string
		want  []string
	}{
		{"LF lines", "a\nb\n", []string{"a", "b"}},
		{"CRLF lines and a final line without terminator", "a\r\nb", []string{"a", "b"}},
		{"octet counted frames back to back", "5 hello3 abc", []string{"hello", "abc"}},
		{"octet counted frames followed by newlines", "5 hello\n3 abc\r\n", []string{"hello", "abc"}},
		{"octet count covering a trailing newline", "6 hello\n", []string{"hello"}},
		{"framing decided per frame", "3 abc<1>x\n2 ok", []string{"abc", "<1>x", "ok"}},
		{"blank lines are not frames", "\n\r\n\n", nil},
		{"digits without a space are a line", "12\n", []string{"12"}},
		{"a zero length prefix is a line", "0 abc\n", []string{"0 abc"}},
		{"ten digits are a line", "1234567890 x\n", []string{"1234567890 x"}},
		{"line of exactly max bytes", strings.Repeat("x", max) + "\r\n", []string{strings.Repeat("x", max)}},
		{"line one byte over max then a good line", strings.Repeat("x", max+1) + "\nok\n", []string{tooLong, "ok"}},
		{"long line over several buffer fills", strings.Repeat("y", 100) + "\nok\n", []string{tooLong, "ok"}},
		{"oversized line at EOF", strings.Repeat("z", 40), []string{tooLong}},
		{"oversized octet-counted frame is skipped in sync", "20 " + strings.Repeat("q", 20) + "2 ok", []string{tooLong, "ok"}},
		{"octet-counted frame cut short", "10 abc", []string{cutShort}},
		{"oversized octet-counted frame cut short", "99 abc", []string{cutShort}},
		{"octet count at EOF without payload", "5", []string{"5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole := frames(t, strings.NewReader(tc.input), max, len(tc.input))
			if !slices.Equal(whole, tc.want) {
				t.Errorf("frames = %q, want %q", whole, tc.want)
			}
			split := frames(t, iotest.OneByteReader(strings.NewReader(tc.input)), max, len(tc.input))
			if !slices.Equal(split, tc.want) {
				t.Errorf("frames from one-byte reads = %q, want %q", split, tc.want)
			}
		})
	}
}

func TestFramerHandlesLinesLongerThanItsReadBuffer(t *testing.T) {
	const max = 40 << 10 // above the 16 KiB bufio buffer
	long := strings.Repeat("L", 30<<10)
	for _, tc := range []struct {
		name  string
		input string
		want  []string
	}{
		{"long line is reassembled", long + "\r\nok\n", []string{long, "ok"}},
		{"long final line without terminator", long, []string{long}},
		{"oversized line is skipped across buffer fills", strings.Repeat("x", 100<<10) + "\nok\n", []string{tooLong, "ok"}},
		{"oversized final line", strings.Repeat("x", 100<<10), []string{tooLong}},
		{"line one byte over max", strings.Repeat("x", max+1) + "\nok", []string{tooLong, "ok"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := frames(t, strings.NewReader(tc.input), max, len(tc.input))
			if !slices.Equal(got, tc.want) {
				t.Errorf("frames = %.80q, want %.80q", got, tc.want)
			}
		})
	}
}

func TestFramerReturnsReadErrors(t *testing.T) {
	boom := errors.New("boom")
	f := newFramer(io.MultiReader(strings.NewReader("par"), iotest.ErrReader(boom)), 64)
	if _, err := f.next(); !errors.Is(err, boom) {
		t.Fatalf("next() error = %v, want %v", err, boom)
	}
}

// halves delivers data in two reads split at cut, as a sender whose frame
// straddles two TCP segments would.
type halves struct {
	data []byte
	cut  int
}

func (h *halves) Read(p []byte) (int, error) {
	if len(h.data) == 0 {
		return 0, io.EOF
	}
	n := len(h.data)
	if h.cut > 0 && h.cut < n {
		n = h.cut
	}
	n = copy(p, h.data[:n])
	h.data = h.data[n:]
	h.cut -= n
	return n, nil
}

func FuzzFrame(f *testing.F) {
	f.Add([]byte("a\nb\r\n5 hello3 abc"), uint8(8), uint16(3))
	f.Add([]byte("20 "+strings.Repeat("q", 20)+"2 ok\n"), uint8(4), uint16(1))
	f.Add([]byte("\r\n\n0 x\n1234567890 y"), uint8(16), uint16(7))
	f.Add([]byte(strings.Repeat("x", 300)+"\nok"), uint8(255), uint16(200))
	f.Add([]byte("9 <134>1 -\n"), uint8(1), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, max uint8, cut uint16) {
		limit := int(max) + 1
		whole := frames(t, bytes.NewReader(data), limit, len(data))
		split := frames(t, &halves{data: data, cut: int(cut)}, limit, len(data))
		bytewise := frames(t, iotest.OneByteReader(bytes.NewReader(data)), limit, len(data))
		if !slices.Equal(whole, split) || !slices.Equal(whole, bytewise) {
			t.Fatalf("framing depends on read boundaries:\nwhole    %q\nsplit    %q\nbytewise %q", whole, split, bytewise)
		}
	})
}
