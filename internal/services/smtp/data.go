package smtp

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/decnet/decnet/internal/services"
)

// DATA bounds: the spec's 10 MiB kept per message (the rest is read,
// counted and flagged as truncation), and a hard cap past which the
// connection is dropped, so a client cannot stream forever.
const (
	maxMessageKept = 10 << 20
	maxDataTotal   = 64 << 20
)

var errTooBig = errors.New("message too big")

// dataReader yields a DATA body (RFC 5321 §4.5.2): up to the lone "."
// line, dot-unstuffed, read in bounded segments so a line without an end
// costs no more than the reader's buffer.
type dataReader struct {
	r       *bufio.Reader
	atStart bool
	cur     []byte
	total   int64
	err     error
}

func newDataReader(r *bufio.Reader) *dataReader { return &dataReader{r: r, atStart: true} }

// Read returns the next body bytes; io.EOF at the terminating dot line,
// errTooBig past maxDataTotal, io.ErrUnexpectedEOF when the client leaves.
func (d *dataReader) Read(p []byte) (int, error) {
	for len(d.cur) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		seg, err := d.r.ReadSlice('\n')
		if len(seg) > 0 {
			ends := seg[len(seg)-1] == '\n'
			if d.atStart {
				if s := string(seg); s == ".\r\n" || s == ".\n" {
					d.err = io.EOF
					return 0, io.EOF
				}
				if seg[0] == '.' {
					seg = seg[1:]
				}
			}
			d.atStart = ends
			d.total += int64(len(seg))
			if d.total > maxDataTotal {
				d.err = errTooBig
				return 0, errTooBig
			}
			d.cur = seg
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			d.err = err
		}
	}
	n := copy(p, d.cur)
	d.cur = d.cur[n:]
	return n, nil
}

// received is what one DATA phase produced.
type received struct {
	total     int64
	truncated bool
	got       *services.Captured
	storeErr  error
}

// receive streams the message into the quarantine as <id>.eml (named
// `<UTC time>_<sha12>_<id>.eml`) without holding it in memory.
func (s *session) receive(id string) (received, error) {
	d := newDataReader(s.r)
	var res received
	if q := s.h.env.Quarantine; q != nil {
		got, err := q.Store(id+".eml", io.LimitReader(d, maxMessageKept))
		if err == nil {
			res.got = &got
		} else {
			res.storeErr = err
		}
	}
	_, err := io.Copy(io.Discard, d)
	res.total = d.total
	res.truncated = d.total > maxMessageKept
	return res, err
}

// store analyses the stored message and emits message_stored with the
// fields ingest turns into a mail artifact (fleet.md §1.4).
func (s *session) store(id, rcpts string, res received) {
	if res.got == nil {
		why := "no quarantine"
		if res.storeErr != nil {
			why = res.storeErr.Error()
		}
		s.ev.Emit("message_store_failed", map[string]string{"msg_id": id, "error": clip(why, 256)}, "message "+id+" not stored: "+clip(why, 256))
		return
	}
	f, err := os.Open(res.got.Path)
	if err != nil {
		s.ev.Emit("message_store_failed", map[string]string{"msg_id": id, "error": clip(err.Error(), 256)}, "message "+id+" not readable")
		return
	}
	info := analyze(io.LimitReader(f, maxMessageKept))
	f.Close()
	fields := info.fields()
	fields["msg_id"] = id
	fields["stored_as"] = res.got.StoredAs
	fields["sha256"] = res.got.SHA256
	fields["size"] = strconv.FormatInt(res.got.Size, 10)
	fields["mail_from"] = s.from
	fields["rcpt_to"] = clip(rcpts, 8192)
	fields["truncated"] = strconv.FormatBool(res.truncated)
	s.ev.Emit("message_stored", fields, "message "+id+" stored as "+res.got.StoredAs)
}
