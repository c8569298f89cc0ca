package http

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Parser bounds. They follow Apache's defaults (LimitRequestLine 8190,
// LimitRequestFieldSize 8190, LimitRequestFields 100) so an oversized
// request is refused the way the persona would refuse it.
const (
	// maxLine bounds the request line and each header line; it is also
	// the reader's buffer size.
	maxLine = 8192
	// maxHeaders bounds the header lines of one request.
	maxHeaders = 100
	// maxHead bounds the request line and headers together.
	maxHead = 64 << 10
	// maxLeadingBlank is how many empty lines may precede a request line
	// (RFC 9112 §2.2 asks servers to skip some).
	maxLeadingBlank = 8
	// maxBody is the largest body read (and discarded past bodyKeep); a
	// larger one is refused with 413 and the connection closed.
	maxBody = 1 << 20
	// bodyKeep is how much of a body is kept to look for credentials; the
	// event carries its first bodyPreview bytes (fleet.md §1.4: ≤512 of
	// the first 4096).
	bodyKeep    = 4096
	bodyPreview = 512
	// maxChunkLine bounds a chunk-size line with its extensions.
	maxChunkLine = 4096
	// maxTrailers bounds the trailer lines after a chunked body.
	maxTrailers = 32
)

// header is one request header as it arrived: name in its original case.
type header struct{ name, value string }

// request is one parsed HTTP request, whichever protocol carried it.
type request struct {
	method, target, path, query, proto string
	headers                            []header
	// body holds the first bodyKeep bytes; bodyLen counts all of them.
	body    []byte
	bodyLen int64
	close   bool // the client asked to close, or framing makes reuse unsafe
	expect  bool // Expect: 100-continue
	h2      bool
	// authority is HTTP/2's :authority, the Host of a request without one.
	authority string
}

// get returns the first header named name, case-insensitively.
func (r *request) get(name string) string {
	for _, h := range r.headers {
		if strings.EqualFold(h.name, name) {
			return h.value
		}
	}
	return ""
}

// parseError is a malformed or over-limit request: status is what the
// persona answers before closing, msg goes into the protocol_error event.
type parseError struct {
	status int
	msg    string
}

func (e *parseError) Error() string { return e.msg }

func perr(status int, msg string) error { return &parseError{status, msg} }

// errPRI marks the HTTP/2 connection preface on a cleartext port.
var errPRI = errors.New("http: HTTP/2 preface")

// isToken reports whether s is an RFC 9110 token (method, header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// readLine returns one line without its CRLF or LF, as a slice into br's
// buffer (valid until the next read).
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return nil, perr(414, "line longer than "+strconv.Itoa(maxLine)+" bytes")
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			return nil, perr(400, "connection closed mid-line")
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readHead reads one request line and its headers into head (reused by
// the caller) and parses them. io.EOF before any byte means the client
// closed an idle connection.
func readHead(br *bufio.Reader, head []byte) (*request, []byte, error) {
	head = head[:0]
	var line []byte
	var err error
	for blank := 0; ; blank++ {
		if line, err = readLine(br); err != nil {
			return nil, head, err
		}
		if len(line) > 0 {
			break
		}
		if blank == maxLeadingBlank {
			return nil, head, perr(400, "only empty lines")
		}
	}
	if bytes.HasPrefix(line, []byte("PRI * HTTP/2.0")) {
		return nil, head, errPRI
	}
	head = append(head, line...)
	head = append(head, '\n')
	// Header lines are gathered into the same buffer so the request's
	// strings are cut from one allocation.
	n := 0
	for {
		if line, err = readLine(br); err != nil {
			if pe, ok := err.(*parseError); ok && pe.status == 414 {
				return nil, head, perr(431, "header line longer than "+strconv.Itoa(maxLine)+" bytes")
			}
			return nil, head, err
		}
		if len(line) == 0 {
			break
		}
		if n++; n > maxHeaders {
			return nil, head, perr(431, "more than "+strconv.Itoa(maxHeaders)+" header lines")
		}
		if len(head)+len(line) > maxHead {
			return nil, head, perr(431, "request head larger than "+strconv.Itoa(maxHead)+" bytes")
		}
		head = append(head, line...)
		head = append(head, '\n')
	}
	r, err := parseHead(string(head))
	return r, head, err
}

// parseHead parses a request line and header lines separated by '\n'.
func parseHead(s string) (*request, error) {
	reqLine, rest, _ := strings.Cut(s, "\n")
	method, rl, ok1 := strings.Cut(reqLine, " ")
	target, proto, ok2 := strings.Cut(rl, " ")
	if !ok1 || !ok2 || !isToken(method) || target == "" || strings.IndexByte(target, ' ') >= 0 {
		return nil, perr(400, "malformed request line")
	}
	if len(method) > 32 {
		return nil, perr(501, "method name longer than 32 bytes")
	}
	r := &request{method: method, target: target, proto: proto}
	switch proto {
	case "HTTP/1.1":
	case "HTTP/1.0":
		r.close = true
	default:
		if len(proto) == 8 && strings.HasPrefix(proto, "HTTP/") && proto[5] >= '0' && proto[5] <= '9' && proto[6] == '.' {
			return nil, perr(505, "unsupported version "+proto)
		}
		return nil, perr(400, "malformed version")
	}
	for _, c := range []byte(target) {
		if c < 0x21 || c == 0x7f {
			return nil, perr(400, "control byte in request target")
		}
	}
	r.path, r.query, _ = strings.Cut(target, "?")
	r.headers = make([]header, 0, 12)
	for rest != "" {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if line[0] == ' ' || line[0] == '\t' {
			return nil, perr(400, "obsolete header line folding")
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || !isToken(name) {
			return nil, perr(400, "malformed header line")
		}
		value = strings.Trim(value, " \t")
		r.headers = append(r.headers, header{name, value})
		switch {
		case strings.EqualFold(name, "Connection"):
			for tok := range strings.SplitSeq(value, ",") {
				switch strings.ToLower(strings.TrimSpace(tok)) {
				case "close":
					r.close = true
				case "keep-alive":
					if r.proto == "HTTP/1.0" {
						r.close = false
					}
				}
			}
		case strings.EqualFold(name, "Expect"):
			r.expect = strings.EqualFold(value, "100-continue")
		}
	}
	return r, nil
}

// bodyFraming says how the request body is delimited.
type bodyFraming struct {
	chunked bool
	length  int64
}

// framing reads Transfer-Encoding and Content-Length (RFC 9112 §6.3). A
// request carrying both is the classic smuggling shape: it is served by
// Transfer-Encoding and the connection is closed afterwards.
func (r *request) framing() (bodyFraming, error) {
	var f bodyFraming
	var te, cl string
	nTE, nCL := 0, 0
	for _, h := range r.headers {
		switch {
		case strings.EqualFold(h.name, "Transfer-Encoding"):
			te, nTE = h.value, nTE+1
		case strings.EqualFold(h.name, "Content-Length"):
			if nCL > 0 && h.value != cl {
				return f, perr(400, "conflicting Content-Length headers")
			}
			cl, nCL = h.value, nCL+1
		}
	}
	if nTE > 0 {
		last := te
		if i := strings.LastIndexByte(te, ','); i >= 0 {
			last = te[i+1:]
		}
		if !strings.EqualFold(strings.TrimSpace(last), "chunked") || nTE > 1 {
			return f, perr(501, "unsupported transfer coding")
		}
		if nCL > 0 {
			r.close = true
		}
		f.chunked = true
		return f, nil
	}
	if nCL > 0 {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 || cl[0] == '+' {
			return f, perr(400, "malformed Content-Length")
		}
		f.length = n
	}
	return f, nil
}

// readBody reads the body framed by f, keeping the first bodyKeep bytes
// and discarding the rest, up to maxBody.
func (r *request) readBody(br *bufio.Reader, f bodyFraming) error {
	if f.chunked {
		return r.readChunked(br)
	}
	if f.length > maxBody {
		r.bodyLen = f.length
		return perr(413, "Content-Length "+strconv.FormatInt(f.length, 10)+" over the limit")
	}
	return r.readN(br, f.length)
}

func (r *request) readN(br *bufio.Reader, n int64) error {
	if keep := min(n, int64(bodyKeep-len(r.body))); keep > 0 {
		start := len(r.body)
		r.body = append(r.body, make([]byte, keep)...)
		got, err := io.ReadFull(br, r.body[start:])
		r.body = r.body[:start+got]
		r.bodyLen += int64(got)
		if err != nil {
			return perr(400, "body shorter than announced")
		}
		n -= keep
	}
	if n > 0 {
		got, err := br.Discard(int(n))
		r.bodyLen += int64(got)
		if err != nil {
			return perr(400, "body shorter than announced")
		}
	}
	return nil
}

func (r *request) readChunked(br *bufio.Reader) error {
	for {
		line, err := readLine(br)
		if err != nil {
			return perr(400, "malformed chunk size line")
		}
		if len(line) > maxChunkLine {
			return perr(400, "chunk size line too long")
		}
		sz, _, _ := bytes.Cut(line, []byte(";"))
		sz = bytes.TrimRight(sz, " \t")
		if len(sz) == 0 || len(sz) > 8 {
			return perr(400, "malformed chunk size")
		}
		n, err := strconv.ParseInt(string(sz), 16, 64)
		if err != nil || n < 0 {
			return perr(400, "malformed chunk size")
		}
		if n == 0 {
			break
		}
		if r.bodyLen+n > maxBody {
			r.bodyLen += n
			return perr(413, "chunked body over the limit")
		}
		if err := r.readN(br, n); err != nil {
			return err
		}
		if crlf, err := readLine(br); err != nil || len(crlf) != 0 {
			return perr(400, "chunk not followed by CRLF")
		}
	}
	for i := 0; ; i++ {
		line, err := readLine(br)
		if err != nil {
			return perr(400, "malformed trailer")
		}
		if len(line) == 0 {
			return nil
		}
		if i == maxTrailers {
			return perr(431, "too many trailer lines")
		}
	}
}
