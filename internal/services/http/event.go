package http

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/jsonwrite"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/services"
)

// emitRequest sends the request event (and a fingerprint event when the
// connection shows a new client shape).
func (h *handler) emitRequest(st *connState, r *request, resp *response, msg string) {
	h.emitRequestFields(st, r, resp, nil, msg)
}

func (h *handler) emitRequestFields(st *connState, r *request, resp *response, f map[string]string, msg string) {
	if f == nil {
		f = make(map[string]string, 20)
	}
	f["method"] = r.method
	f["path"] = r.path
	f["query"] = r.query
	f["proto"] = r.proto
	f["remote_addr"] = st.remoteAddr
	f["status"] = strconv.Itoa(resp.status)
	if host := r.get("Host"); host != "" {
		f["host"] = host
	} else if r.authority != "" {
		f["host"] = r.authority
	}
	f["headers"] = headersJSON(r.headers)
	if r.bodyLen > 0 {
		f["body"] = clipUTF8(string(r.body), bodyPreview)
		f["body_len"] = strconv.FormatInt(r.bodyLen, 10)
	}
	if ct := r.get("Content-Type"); ct != "" {
		f["content_type"] = ct
	}
	if st.ja4 != "" {
		f["ja4"] = st.ja4
		f["sni"] = st.sni
	}
	ja4h, names, cookieNames := ja4H(r)
	f["ja4h"] = ja4h

	// Credentials: the first one found rides on the request event, any
	// other gets an auth event of its own, so each becomes a row.
	var creds []Credential
	var outcomes []string
	if v := r.get("Authorization"); v != "" {
		if c, ok := ClassifyAuthorization(v); ok {
			creds = append(creds, c)
			outcomes = append(outcomes, outcome(resp.status == 401 || resp.status == 403))
		}
	}
	if c, ok := FormCredentials(r.get("Content-Type"), r.body); ok {
		creds = append(creds, c)
		outcomes = append(outcomes, outcome(resp.login))
	}
	if resp.cred != nil {
		creds = append(creds, *resp.cred)
		outcomes = append(outcomes, outcome(resp.login))
	}
	for i, c := range creds {
		target := f
		if i > 0 {
			target = map[string]string{"remote_addr": st.remoteAddr, "method": r.method, "path": r.path}
		}
		target["credential_source"] = c.Source
		for k, v := range c.Extra {
			target[k] = v
		}
		services.CredentialFields(target, c.Principal, c.Secret, c.Kind, outcomes[i])
		if i > 0 {
			st.c.Emit("auth", target, "credential in "+c.Source+" for "+clip(c.Principal, 64))
		}
	}
	st.c.Emit("request", f, msg)

	st.mu.Lock()
	changed := st.lastJA4H != ja4h
	st.lastJA4H = ja4h
	st.mu.Unlock()
	if changed {
		fp := map[string]string{
			"remote_addr": st.remoteAddr, "proto": r.proto, "method": r.method, "path": r.path,
			"ja4h": ja4h, "headers_ordered": names, "cookie": cookieNames,
			"accept_language": r.get("Accept-Language"),
		}
		st.c.Emit("http_request_fingerprint", fp, "HTTP client fingerprint "+ja4h)
	}
}

func outcome(refused bool) string {
	if refused {
		return model.OutcomeFailure
	}
	return model.OutcomeObserved
}

// clipUTF8 cuts s to at most n bytes without splitting a rune.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// headersJSON renders headers as a JSON object in arrival order (repeated
// names stay repeated: ingest reads the object as an ordered list). It is
// bounded so the field stays whole under the emitter's cap.
func headersJSON(hs []header) string {
	b := make([]byte, 0, 64*len(hs)+2)
	b = append(b, '{')
	for i, h := range hs {
		if len(b) > maxHeadersJSON {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonwrite.AppendString(b, h.name, false)
		b = append(b, ':')
		b = jsonwrite.AppendString(b, clipUTF8(h.value, maxHeaderValueJSON), false)
	}
	b = append(b, '}')
	return string(b)
}

// ja4H computes FoxIO's JA4H of a request:
// {method2}{version2}{c|n}{r|n}{headers2}{lang4}_{sha256_12 of header
// names in order}_{sha256_12 of sorted cookie names}_{sha256_12 of sorted
// cookie name=value pairs}. Cookie and Referer are left out of the count
// and the name hash, as the reference does. It also returns the header
// names joined (headers_ordered) and the cookie names (cookie).
func ja4H(r *request) (fp, names, cookieNames string) {
	m := strings.ToLower(r.method)
	if len(m) < 2 {
		m += "0"
	}
	var ver string
	switch r.proto {
	case "HTTP/1.0":
		ver = "10"
	case "HTTP/2.0":
		ver = "20"
	default:
		ver = "11"
	}
	cookie, referer := "n", "n"
	var nb strings.Builder
	var cookies []string
	n := 0
	lang := "0000"
	for _, h := range r.headers {
		switch {
		case strings.EqualFold(h.name, "Cookie"):
			cookie = "c"
			for part := range strings.SplitSeq(h.value, ";") {
				if part = strings.TrimSpace(part); part != "" && len(cookies) < 64 {
					cookies = append(cookies, part)
				}
			}
			continue
		case strings.EqualFold(h.name, "Referer"):
			referer = "r"
			continue
		case strings.EqualFold(h.name, "Accept-Language") && lang == "0000":
			l := strings.ToLower(strings.ReplaceAll(h.value, "-", ""))
			l, _, _ = strings.Cut(strings.ReplaceAll(l, ";", ","), ",")
			l = clip(l, 4)
			lang = l + "0000"[len(l):]
		}
		if n > 0 {
			nb.WriteByte(',')
		}
		nb.WriteString(h.name)
		n++
	}
	names = nb.String()
	slices.Sort(cookies)
	cn := make([]string, len(cookies))
	for i, c := range cookies {
		cn[i], _, _ = strings.Cut(c, "=")
	}
	slices.Sort(cn)
	cookieNames = strings.Join(cn, ",")
	a := m[:2] + ver + cookie + referer + count2(n) + lang
	return a + "_" + hash12(names) + "_" + hash12(cookieNames) + "_" + hash12(strings.Join(cookies, ",")), names, cookieNames
}

func count2(n int) string {
	n = min(n, 99)
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

func hash12(s string) string {
	if s == "" {
		return "000000000000"
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}

// httpTime is the IMF-fixdate of Date and Last-Modified headers.
const httpTime = "Mon, 02 Jan 2006 15:04:05 GMT"

// dateCache formats the Date header once per second instead of per
// response.
type dateCache struct {
	sec atomic.Int64
	val atomic.Pointer[[]byte]
}

var dates dateCache

func (d *dateCache) get() []byte {
	now := time.Now()
	if s := now.Unix(); d.sec.Load() != s || d.val.Load() == nil {
		b := []byte(now.UTC().Format(httpTime))
		d.val.Store(&b)
		d.sec.Store(s)
		return b
	}
	return *d.val.Load()
}

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

// appendResponse frames resp as an HTTP/1.x response in the persona's
// header order (nginx: Server first; Apache and IIS: Date first).
func (h *handler) appendResponse(b []byte, r *request, resp *response) []byte {
	proto := "HTTP/1.1"
	if r.proto == "HTTP/1.0" {
		proto = "HTTP/1.0"
	}
	b = append(b, proto...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(resp.status), 10)
	b = append(b, ' ')
	b = append(b, statusText(resp.status)...)
	b = append(b, "\r\n"...)
	if h.fam == famNginx && h.server != "" {
		b = appendHeader(b, "Server", h.server)
	}
	b = append(b, "Date: "...)
	b = append(b, dates.get()...)
	b = append(b, "\r\n"...)
	if h.fam != famNginx && h.server != "" {
		b = appendHeader(b, "Server", h.server)
	}
	if resp.ctype != "" {
		b = appendHeader(b, "Content-Type", resp.ctype)
	}
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(resp.body)), 10)
	b = append(b, "\r\n"...)
	switch {
	case r.close:
		b = append(b, "Connection: close\r\n"...)
	case h.fam == famApache:
		b = append(b, "Keep-Alive: timeout=5, max=100\r\nConnection: Keep-Alive\r\n"...)
	case r.proto == "HTTP/1.0" || h.fam == famNginx:
		b = append(b, "Connection: keep-alive\r\n"...)
	}
	for _, x := range resp.hdrs {
		b = appendHeader(b, x.name, x.value)
	}
	for _, x := range h.extra {
		b = appendHeader(b, x.name, x.value)
	}
	b = append(b, "\r\n"...)
	if r.method != "HEAD" {
		b = append(b, resp.body...)
	}
	return b
}

func appendHeader(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, ": "...)
	b = append(b, value...)
	return append(b, "\r\n"...)
}
