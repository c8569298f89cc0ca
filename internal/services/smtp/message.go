package smtp

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Analysis bounds: the message is at most maxMessageKept bytes, but its
// structure is attacker-chosen, so nesting, parts, kept text and the lists
// reported are bounded too.
const (
	maxDepth       = 8
	maxParts       = 256
	maxText        = 1 << 20  // text kept for URLs and the simhash
	maxScan        = 1 << 20  // head of each attachment scanned for markers
	maxListJSON    = 15 << 10 // below the emitter's 16 KiB field cap, so the JSON stays whole
	maxURLs        = 64
	maxURLLen      = 512
	maxAttachments = 64
	maxHeader      = 998 // RFC 5322 line limit
)

// attachment is one attachment as attachments_json lists it (the keys
// ingest reads, internal/ingest/fingerprints.go mailAttachment).
type attachment struct {
	Filename       string `json:"filename"`
	ContentType    string `json:"content_type"`
	Size           int64  `json:"size"`
	SHA256         string `json:"sha256"`
	MacroIndicator bool   `json:"macro_indicator"`
	Encrypted      bool   `json:"encrypted"`
}

// mailInfo is what analyze learns from one message.
type mailInfo struct {
	subject, from, to, date, messageID, contentType, returnPath, xMailer string
	dkimSigned, spfPass, htmlSmuggling                                   bool
	attachments                                                          []attachment
	attachmentCount                                                      int
	urls                                                                 []string
	simhash                                                              uint64
	base64Bytes                                                          int64
	parts                                                                int
	text                                                                 bytes.Buffer
}

// analyze parses a message without trusting it: a malformed one yields
// what could be read (the .eml in the quarantine is the evidence).
func analyze(r io.Reader) *mailInfo {
	info := &mailInfo{}
	msg, err := mail.ReadMessage(bufio.NewReader(r))
	if err != nil {
		return info
	}
	h := msg.Header
	dec := mime.WordDecoder{}
	decode := func(v string) string {
		if d, err := dec.DecodeHeader(v); err == nil {
			v = d
		}
		return clip(v, maxHeader)
	}
	info.subject = decode(h.Get("Subject"))
	info.from = decode(h.Get("From"))
	info.to = decode(h.Get("To"))
	info.date = clip(h.Get("Date"), maxHeader)
	info.messageID = clip(h.Get("Message-Id"), maxHeader)
	info.returnPath = clip(h.Get("Return-Path"), maxHeader)
	info.xMailer = decode(h.Get("X-Mailer"))
	info.contentType = clip(h.Get("Content-Type"), maxHeader)
	// These are what the sender claims: the decky does no DNS lookups.
	info.dkimSigned = h.Get("Dkim-Signature") != ""
	info.spfPass = strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Get("Received-Spf"))), "pass") ||
		strings.Contains(strings.ToLower(strings.Join(h["Authentication-Results"], ";")), "spf=pass")
	info.walk(textproto.MIMEHeader(h), msg.Body, 0)
	info.finish()
	return info
}

// walk visits one MIME entity.
func (m *mailInfo) walk(h textproto.MIMEHeader, body io.Reader, depth int) {
	if m.parts++; m.parts > maxParts {
		return
	}
	ct, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || ct == "" {
		ct, params = "text/plain", nil
	}
	if strings.HasPrefix(ct, "multipart/") && params["boundary"] != "" {
		if depth >= maxDepth {
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			m.walk(p.Header, p, depth+1)
			if m.parts > maxParts {
				return
			}
		}
	}
	raw := &countReader{r: body}
	var content io.Reader = raw
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		content = base64.NewDecoder(base64.StdEncoding, &base64Filter{r: raw})
		defer func() { m.base64Bytes += raw.n }()
	case "quoted-printable":
		content = quotedprintable.NewReader(raw)
	}
	filename := fileName(h, params)
	disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	if filename != "" || disp == "attachment" {
		m.attach(filename, ct, content)
		return
	}
	switch ct {
	case "text/plain", "text/html":
		room := maxText - m.text.Len()
		if room > 0 {
			b, _ := io.ReadAll(io.LimitReader(content, int64(room)))
			if ct == "text/html" && smuggling(b) {
				m.htmlSmuggling = true
			}
			m.text.Write(b)
			m.text.WriteByte('\n')
		}
	}
	io.Copy(io.Discard, content)
}

// fileName is the decoded, base-named filename of a part, if it has one.
func fileName(h textproto.MIMEHeader, ctParams map[string]string) string {
	_, dp, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dp["filename"]
	if name == "" {
		name = ctParams["name"]
	}
	if d, err := (&mime.WordDecoder{}).DecodeHeader(name); err == nil {
		name = d
	}
	if name = path.Base(strings.ReplaceAll(name, `\`, "/")); name == "." || name == "/" {
		return ""
	}
	return clip(name, 255)
}

// macroExts are Office formats that carry VBA macros.
var macroExts = []string{".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm", ".ppam", ".sldm"}

// attach hashes and sizes one attachment while keeping its head to look
// for macro and encryption markers.
func (m *mailInfo) attach(name, ct string, content io.Reader) {
	m.attachmentCount++
	h := sha256.New()
	var head bytes.Buffer
	n, _ := io.Copy(io.MultiWriter(h, &limitedBuffer{b: &head, max: maxScan}), content)
	if len(m.attachments) >= maxAttachments {
		return
	}
	b := head.Bytes()
	lower := strings.ToLower(name)
	a := attachment{
		Filename: name, ContentType: ct, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)),
		MacroIndicator: hasSuffixAny(lower, macroExts) || bytes.Contains(b, []byte("vbaProject.bin")) ||
			bytes.Contains(b, utf16("_VBA_PROJECT")),
		Encrypted: zipEncrypted(b) || (bytes.HasPrefix(b, []byte("%PDF")) && bytes.Contains(b, []byte("/Encrypt"))) ||
			bytes.Contains(b, utf16("EncryptedPackage")),
	}
	if (ct == "text/html" || strings.HasSuffix(lower, ".html") || strings.HasSuffix(lower, ".htm")) && smuggling(b) {
		m.htmlSmuggling = true
	}
	m.attachments = append(m.attachments, a)
}

func hasSuffixAny(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func utf16(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// zipEncrypted reports whether a ZIP local file header in b has the
// "encrypted" general-purpose flag (bit 0).
func zipEncrypted(b []byte) bool {
	sig := []byte("PK\x03\x04")
	for i := 0; i < 64; i++ {
		j := bytes.Index(b, sig)
		if j < 0 || j+8 > len(b) {
			return false
		}
		if b[j+6]&1 == 1 {
			return true
		}
		b = b[j+4:]
	}
	return false
}

// smuggling reports HTML smuggling: script that builds a file in the
// browser (a Blob or object URL) from embedded base64 or offers it for
// download, so the payload never crosses the mail filter as a file.
func smuggling(b []byte) bool {
	s := strings.ToLower(string(b))
	blob := strings.Contains(s, "new blob(") || strings.Contains(s, "createobjecturl") || strings.Contains(s, "mssaveoropenblob")
	payload := strings.Contains(s, "atob(") || strings.Contains(s, ".download") || strings.Contains(s, "base64,")
	return blob && payload
}

var urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'\x60{}|\\^]+`)

// finish derives the URL list and the simhash from the kept text.
func (m *mailInfo) finish() {
	seen := map[string]bool{}
	for _, u := range urlRE.FindAllString(m.text.String(), 4*maxURLs) {
		u = strings.TrimRight(u, ".,;:!?)]")
		u = clip(u, maxURLLen)
		if !seen[u] && len(m.urls) < maxURLs {
			seen[u] = true
			m.urls = append(m.urls, u)
		}
	}
	m.simhash = simhash(stripTags(m.text.String()))
}

var tagRE = regexp.MustCompile(`<[^>]{0,1000}>`)

func stripTags(s string) string { return tagRE.ReplaceAllString(s, " ") }

// simhash is Charikar's 64-bit simhash over the lower-cased words: near
// duplicate bodies (one spam template, varied names) differ in few bits.
func simhash(text string) uint64 {
	var v [64]int
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) == 0 {
		return 0
	}
	for _, w := range words {
		h := fnv.New64a()
		h.Write([]byte(w))
		x := h.Sum64()
		for i := range 64 {
			if x&(1<<i) != 0 {
				v[i]++
			} else {
				v[i]--
			}
		}
	}
	var out uint64
	for i := range 64 {
		if v[i] > 0 {
			out |= 1 << i
		}
	}
	return out
}

// fields renders the analysis as message_stored fields.
func (m *mailInfo) fields() map[string]string {
	return map[string]string{
		"subject": m.subject, "from_hdr": m.from, "to_hdr": m.to, "date_hdr": m.date, "message_id_hdr": m.messageID,
		"content_type": m.contentType, "return_path": m.returnPath, "x_mailer": m.xMailer,
		"dkim_signed": strconv.FormatBool(m.dkimSigned), "spf_pass": strconv.FormatBool(m.spfPass),
		"attachment_count": strconv.Itoa(m.attachmentCount), "attachments_json": boundedJSON(m.attachments),
		"urls_json": boundedJSON(m.urls), "body_simhash": fmt.Sprintf("%016x", m.simhash),
		"body_base64_bytes": strconv.FormatInt(m.base64Bytes, 10), "html_smuggling": strconv.FormatBool(m.htmlSmuggling),
	}
}

// boundedJSON encodes as many leading items as fit in maxListJSON, so the
// emitter never cuts the JSON in half.
func boundedJSON[T any](items []T) string {
	n := len(items)
	for n > 0 {
		b, _ := json.Marshal(items[:n])
		if len(b) <= maxListJSON {
			return string(b)
		}
		// Shrink in proportion to the overshoot, by at least one item.
		n = min(n-1, n*maxListJSON/len(b))
	}
	return "[]"
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// base64Filter drops what base64 bodies may hold besides the alphabet
// (spaces, tabs, stray characters), as mail readers do, so a sloppy
// encoder does not hide an attachment from the hash.
type base64Filter struct{ r io.Reader }

func (f *base64Filter) Read(p []byte) (int, error) {
	for {
		n, err := f.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// limitedBuffer keeps the first max bytes written and accepts the rest.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
