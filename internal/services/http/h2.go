package http

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// maxH2Record is how much of an HTTP/2 connection's first bytes are kept
// to read its SETTINGS and first HEADERS frame: the client's opening is
// well under this, and past it nothing more is recorded.
const maxH2Record = 16 << 10

// rwConn is a net.Conn whose reads come from r (buffered bytes replayed
// before the connection) and whose writes go to w.
type rwConn struct {
	net.Conn
	r io.Reader
	w io.Writer
}

func (c rwConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c rwConn) Write(p []byte) (int, error) { return c.w.Write(p) }

// h2conn records the start of an HTTP/2 connection for its fingerprint.
type h2conn struct {
	net.Conn
	mu   sync.Mutex
	rec  []byte
	done bool
}

// Read records the first maxH2Record bytes the server reads.
func (c *h2conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if n > 0 && len(c.rec) < maxH2Record {
		c.rec = append(c.rec, p[:min(n, maxH2Record-len(c.rec))]...)
	}
	c.mu.Unlock()
	return n, err
}

// h2Fingerprint is what the opening of an HTTP/2 connection shows.
type h2Fingerprint struct {
	settings, frameOrder, windowUpdate, pseudoOrder string
	headers                                         []header
}

// h2Preface is the client connection preface (RFC 9113 §3.4).
const h2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// parseH2Opening reads the frames after the preface up to and including
// the first HEADERS frame: SETTINGS as "id:value;…" in order, the frame
// types in order, the WINDOW_UPDATE increment and, decoded with a fresh
// HPACK table (the first header block is the first to use it), the
// pseudo-header order and the header names and values in order. Every
// read is bounds-checked; a truncated or odd opening yields what was read.
func parseH2Opening(b []byte) (fp h2Fingerprint, ok bool) {
	if !strings.HasPrefix(string(b), h2Preface) {
		return fp, false
	}
	b = b[len(h2Preface):]
	var order, settings []string
	for len(b) >= 9 && len(order) < 32 {
		length := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		typ, flags := http2.FrameType(b[3]), b[4]
		if len(b) < 9+length {
			break
		}
		payload := b[9 : 9+length]
		b = b[9+length:]
		order = append(order, typ.String())
		switch typ {
		case http2.FrameSettings:
			for p := payload; len(p) >= 6 && len(settings) < 32; p = p[6:] {
				settings = append(settings, strconv.Itoa(int(binary.BigEndian.Uint16(p)))+":"+strconv.FormatUint(uint64(binary.BigEndian.Uint32(p[2:])), 10))
			}
		case http2.FrameWindowUpdate:
			if len(payload) == 4 && fp.windowUpdate == "" {
				fp.windowUpdate = strconv.FormatUint(uint64(binary.BigEndian.Uint32(payload)&0x7fffffff), 10)
			}
		case http2.FrameHeaders:
			block := payload
			if flags&0x08 != 0 { // PADDED
				if len(block) < 1 || int(block[0]) >= len(block) {
					break
				}
				block = block[1 : len(block)-int(block[0])]
			}
			if flags&0x20 != 0 { // PRIORITY
				if len(block) < 5 {
					break
				}
				block = block[5:]
			}
			if flags&0x04 != 0 { // END_HEADERS: the whole block is here
				fp.pseudoOrder, fp.headers = decodeHeaderBlock(block)
			}
			fp.frameOrder, fp.settings = strings.Join(order, ","), strings.Join(settings, ";")
			return fp, true
		}
	}
	fp.frameOrder, fp.settings = strings.Join(order, ","), strings.Join(settings, ";")
	return fp, len(order) > 0
}

// decodeHeaderBlock decodes one HPACK block with a bounded decoder.
func decodeHeaderBlock(block []byte) (pseudo string, hs []header) {
	var ps []string
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if len(hs)+len(ps) >= maxHeaders {
			return
		}
		if strings.HasPrefix(f.Name, ":") {
			ps = append(ps, f.Name)
			return
		}
		hs = append(hs, header{f.Name, f.Value})
	})
	d.SetMaxStringLength(maxLine)
	if _, err := d.Write(block); err != nil {
		return strings.Join(ps, ","), hs
	}
	return strings.Join(ps, ","), hs
}

type stateKey struct{}

// serveH2 runs HTTP/2 on conn (after TLS ALPN h2, or a prior-knowledge
// h2c preface) until the client leaves.
func (h *handler) serveH2(ctx context.Context, st *connState, conn net.Conn) {
	rc := &h2conn{Conn: conn}
	st.h2 = rc
	h.h2srv.ServeConn(rc, &http2.ServeConnOpts{
		Context:    context.WithValue(ctx, stateKey{}, st),
		Handler:    http.HandlerFunc(h.serveHTTP2),
		BaseConfig: &http.Server{MaxHeaderBytes: maxHead},
	})
}

// serveHTTP2 answers one HTTP/2 stream through the same routes and events
// as HTTP/1.x.
func (h *handler) serveHTTP2(w http.ResponseWriter, hr *http.Request) {
	st, _ := hr.Context().Value(stateKey{}).(*connState)
	if st == nil {
		return
	}
	r := &request{method: hr.Method, target: hr.RequestURI, proto: "HTTP/2.0", h2: true, authority: hr.Host}
	r.path, r.query, _ = strings.Cut(hr.RequestURI, "?")
	// The first request's headers are known in wire order from the
	// recorded opening; later streams' order is lost in net/http's map,
	// so they are listed sorted, with Host first as :authority comes.
	rc := st.h2
	rc.mu.Lock()
	first := !rc.done
	rec := rc.rec
	rc.done = true
	rc.mu.Unlock()
	if first {
		if fp, ok := parseH2Opening(rec); ok {
			f := map[string]string{"remote_addr": st.remoteAddr, "settings": fp.settings, "frame_order": fp.frameOrder,
				"window_update": fp.windowUpdate, "pseudo_header_order": fp.pseudoOrder}
			if len(fp.headers) > 0 {
				names := make([]string, len(fp.headers))
				for i, x := range fp.headers {
					names[i] = x.name
				}
				f["headers_ordered"] = strings.Join(names, ",")
			}
			st.c.Emit("http2_settings", f, "HTTP/2 client opening")
			r.headers = fp.headers
		}
	}
	if r.headers == nil {
		r.headers = append(r.headers, header{"host", hr.Host})
		keys := make([]string, 0, len(hr.Header))
		for k := range hr.Header {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			for _, v := range hr.Header[k] {
				if len(r.headers) < maxHeaders {
					r.headers = append(r.headers, header{strings.ToLower(k), v})
				}
			}
		}
	}
	if hr.Body != nil {
		buf := make([]byte, bodyKeep)
		n, _ := io.ReadFull(io.LimitReader(hr.Body, bodyKeep), buf)
		r.body = buf[:n]
		rest, _ := io.Copy(io.Discard, io.LimitReader(hr.Body, maxBody))
		r.bodyLen = int64(n) + rest
	}
	resp := h.serve(st, r)
	hd := w.Header()
	if h.server != "" {
		hd["Server"] = []string{h.server}
	}
	if resp.ctype != "" {
		hd["Content-Type"] = []string{resp.ctype}
	}
	hd["Content-Length"] = []string{strconv.Itoa(len(resp.body))}
	for _, x := range resp.hdrs {
		hd.Add(x.name, x.value)
	}
	for _, x := range h.extra {
		hd.Add(x.name, x.value)
	}
	w.WriteHeader(resp.status)
	if hr.Method != "HEAD" {
		w.Write(resp.body)
	}
}
