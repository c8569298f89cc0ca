package terminal

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/decnet/decnet/internal/jsonwrite"
)

// DefaultMaxCast is the spec's 10 MB cap per session transcript.
const DefaultMaxCast = 10 << 20

// Cast records a session as an asciinema v2 file ("asciicast"): a header
// line, then one [seconds, code, data] line per event — "o" output, "i"
// input, "r" resize. Past the byte cap it stops recording and marks the
// file truncated. Safe for concurrent use.
type Cast struct {
	mu        sync.Mutex
	f         *os.File
	w         *bufio.Writer
	start     time.Time
	max       int64
	written   int64
	truncated bool
	closed    bool
	line      []byte
	now       func() time.Time
}

// CastHeader is the asciicast v2 header.
type CastHeader struct {
	Version   int               `json:"version"`
	Width     int               `json:"width"`
	Height    int               `json:"height"`
	Timestamp int64             `json:"timestamp"`
	Title     string            `json:"title,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
}

// CreateCast creates the transcript file at path (0600) and writes its
// header; max ≤ 0 takes DefaultMaxCast.
func CreateCast(path string, h CastHeader, start time.Time, max int64) (*Cast, error) {
	if max <= 0 {
		max = DefaultMaxCast
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create transcript: %w", err)
	}
	h.Version = 2
	h.Timestamp = start.Unix()
	h.Width, h.Height = clampSize(h.Width, 80), clampSize(h.Height, 24)
	hdr, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, err
	}
	// A small buffer: an idle session holds it for hours, and keystrokes
	// and prompts are small.
	c := &Cast{f: f, w: bufio.NewWriterSize(f, 2<<10), start: start, max: max, now: time.Now}
	c.w.Write(hdr)
	c.w.WriteByte('\n')
	c.written = int64(len(hdr) + 1)
	return c, nil
}

// clampSize keeps a client-reported terminal size sane: an attacker can
// claim a 4-billion-column window.
func clampSize(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, 1000)
}

// Output records what the client was shown.
func (c *Cast) Output(p []byte) { c.event("o", p) }

// Input records what the client typed.
func (c *Cast) Input(p []byte) { c.event("i", p) }

// Resize records a window change.
func (c *Cast) Resize(width, height int) {
	c.event("r", []byte(strconv.Itoa(clampSize(width, 80))+"x"+strconv.Itoa(clampSize(height, 24))))
}

func (c *Cast) event(code string, p []byte) {
	if c == nil || len(p) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.truncated {
		return
	}
	secs := c.now().Sub(c.start).Seconds()
	c.line = append(c.line[:0], '[')
	c.line = strconv.AppendFloat(c.line, secs, 'f', 6, 64)
	c.line = append(c.line, `, "`...)
	c.line = append(c.line, code...)
	c.line = append(c.line, `", `...)
	c.line = jsonwrite.AppendString(c.line, string(p), false)
	c.line = append(c.line, "]\n"...)
	if c.written+int64(len(c.line)) > c.max {
		c.truncated = true
		return
	}
	c.written += int64(len(c.line))
	c.w.Write(c.line)
}

// Truncated reports whether the cap cut the recording short.
func (c *Cast) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}

// Size is the number of bytes recorded so far.
func (c *Cast) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written
}

// Path is the transcript file's path.
func (c *Cast) Path() string { return c.f.Name() }

// Close flushes and closes the file.
func (c *Cast) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	err := c.w.Flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}
