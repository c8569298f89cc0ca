package ttp

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// NewEmailLifter tags email events (R0041–R0048): open relay abuse, mass
// phishing, phishing-kit mailers, IDN URLs, sender masquerade, malicious
// attachments, BEC wording and encoded payloads. Evidence is PII-safe:
// header names, domains and hashes, never addresses or bodies.
func NewEmailLifter(o LifterOptions) *Lifter {
	l := newLifter("email", []string{KindEmail}, ownerOf("email"), map[string]predicate{
		"email_open_relay":           predOpenRelay,
		"email_mass_phishing":        predMassPhishing,
		"email_phishing_kit_xmailer": predKitXMailer,
		"email_idn_homoglyph_url":    predIDNURL,
		"email_sender_masquerade":    predMasquerade,
		"email_malicious_attachment": predMalAttachment,
		"email_bec_pattern":          predBEC,
		"email_encoded_payload":      predEncodedPayload,
	}, o)
	l.finish = emailEvidence
	return l
}

// Disk-reach limits (ttp.md §3.3): a stored .eml is read only when its
// decky and file name match these, and it resolves inside the root.
var (
	deckyNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	storedAsRe  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z_[a-f0-9]{12}_[A-Za-z0-9._-]{1,255}$`)
)

// maxEmailFileBytes caps a stored .eml read from disk (the SMTP emulator's
// message cap is smaller); maxEmailBodyBytes caps the extracted text.
const (
	maxEmailFileBytes = 16 << 20
	maxEmailBodyBytes = 4 << 20
	maxMIMEDepth      = 8
)

// emailBody returns the body text: inline body_text wins, else the stored
// .eml is reached on disk. The result is memoised for this event only; the
// payload map is shared with other lifters and is never written.
func (l *Lifter) emailBody(ev Event, st *evalState) (string, bool) {
	if st.bodyDone {
		return st.body, st.bodyOK
	}
	st.bodyDone = true
	if b, ok := ev.Payload["body_text"].(string); ok && b != "" {
		st.body, st.bodyOK = b, true
		return st.body, true
	}
	b, err := readStoredEmail(l.o.ArtifactsRoot, ev)
	if err != nil {
		l.o.Log.Debug("ttp email body not reachable", "err", err)
		return "", false
	}
	st.body, st.bodyOK = b, b != ""
	return st.body, st.bodyOK
}

var errBadPointer = errors.New("email artifact pointer rejected")

// readStoredEmail reads <root>/<decky>/smtp/<stored_as> after validating
// both names and checking that no symlink leads outside root.
func readStoredEmail(root string, ev Event) (string, error) {
	decky := pStr(ev.Payload, "decky_id")
	if decky == "" {
		decky = ev.DeckyID
	}
	stored := pStr(ev.Payload, "stored_as")
	if !deckyNameRe.MatchString(decky) || !storedAsRe.MatchString(stored) {
		return "", errBadPointer
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realRoot, decky, "smtp", stored))
	if err != nil {
		return "", err
	}
	if rel, err := filepath.Rel(realRoot, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", errBadPointer
	}
	f, err := os.Open(real)
	if err != nil {
		return "", err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxEmailFileBytes+1))
	if err != nil {
		return "", err
	}
	if len(raw) > maxEmailFileBytes {
		return "", errors.New("email artifact over the size cap")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", err
	}
	plain, htm := mimeText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"),
		msg.Body, 0)
	if plain != "" {
		return plain, nil
	}
	return htmlText(htm), nil
}

// mimeText walks a MIME entity for its first text/plain and text/html
// parts, decoding transfer encodings.
func mimeText(ctype, cte string, body io.Reader, depth int) (plain, htm string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if ctype == "" || err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		if depth >= maxMIMEDepth || params["boundary"] == "" {
			return "", ""
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return plain, htm
			}
			pp, ph := mimeText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			if plain == "" {
				plain = pp
			}
			if htm == "" {
				htm = ph
			}
			if plain != "" {
				return plain, htm
			}
		}
	}
	if mt != "text/plain" && mt != "text/html" {
		return "", ""
	}
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxEmailBodyBytes))
	if mt == "text/html" {
		return "", string(b)
	}
	return string(b), ""
}

// newlineStripper drops CR and LF so wrapped base64 decodes.
type newlineStripper struct{ r io.Reader }

// Read fills p with the next non-newline bytes.
func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil || k == 0 {
			return j, err
		}
	}
}

var tagRe = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)

// htmlText is the HTML fallback: tags removed, entities decoded.
func htmlText(h string) string {
	if h == "" {
		return ""
	}
	return strings.TrimSpace(html.UnescapeString(tagRe.ReplaceAllString(h, " ")))
}

// emailEvidence adds the base evidence every email tag carries and merges
// matched_headers into one sorted set (ttp.md §3.3).
func emailEvidence(l *Lifter, _ *Rule, ev Event, st *evalState, out map[string]any) map[string]any {
	p := ev.Payload
	headers := []string{}
	if h, ok := out["matched_headers"].([]string); ok {
		headers = append(headers, h...)
	}
	slices.Sort(headers)
	out["matched_headers"] = slices.Compact(headers)
	sum := pStr(p, "body_sha256")
	if sum == "" {
		body := pStr(p, "body_text")
		if body == "" && st.bodyDone && st.bodyOK {
			body = st.body
		}
		if body != "" {
			h := sha256.Sum256([]byte(body))
			sum = hex.EncodeToString(h[:])
		}
	}
	out["body_sha256"] = clipString(sum, 128)
	var doms []string
	for _, d := range strList(p["rcpt_domains"]) {
		doms = append(doms, strings.ToLower(strings.TrimSpace(clipString(d, 253))))
	}
	slices.Sort(doms)
	doms = slices.Compact(doms)
	if len(doms) > maxEvidenceList {
		doms = doms[:maxEvidenceList]
	}
	if doms == nil {
		doms = []string{}
	}
	out["rcpt_domain_set"] = doms
	shas := strList(p["attachment_sha256s"])
	if shas == nil {
		shas = []string{}
	}
	out["attachment_sha256s"] = boundEvidence(shas)
	out["rcpt_count"] = 0
	if n, ok := pnum(p, "rcpt_count"); ok && n >= 0 && n == float64(int(n)) {
		out["rcpt_count"] = int(n)
	}
	return out
}

func rcptCount(p map[string]any) (float64, bool) {
	n, ok := pnum(p, "rcpt_count")
	return n, ok && n >= 0
}

func domainDiffers(p map[string]any, a, b string) bool {
	x, y := strings.TrimSpace(pStr(p, a)), strings.TrimSpace(pStr(p, b))
	return x != "" && y != "" && !strings.EqualFold(x, y)
}

func predOpenRelay(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := rcptCount(ev.Payload)
	if !ok || n < paramFloat(r, "min_rcpt", 10) || !domainDiffers(ev.Payload, "from_domain", "mail_from_domain") {
		return nil, nil
	}
	return &firing{extra: map[string]any{"matched_headers": []string{"From", "Mail-From"}}}, nil
}

// predMassPhishing keeps the original's test: a simhash present as a
// string or a number (the ingester's "" for "no simhash" still counts).
func predMassPhishing(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	n, ok := rcptCount(ev.Payload)
	if !ok || n < paramFloat(r, "min_rcpt", 25) {
		return nil, nil
	}
	switch ev.Payload["body_simhash"].(type) {
	case string, float64, int, int64:
		return &firing{extra: map[string]any{}}, nil
	}
	if _, ok := pnum(ev.Payload, "body_simhash"); ok {
		return &firing{extra: map[string]any{}}, nil
	}
	return nil, nil
}

// predKitXMailer: an X-Mailer that the ingester matched to a kit, or that
// contains one of the rule's kit names.
func predKitXMailer(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	xm := pStr(ev.Payload, "x_mailer")
	if strings.TrimSpace(xm) == "" {
		return nil, nil
	}
	kit := pStr(ev.Payload, "matched_kit")
	if kit == "" && isTrue(ev.Payload, "xmailer_kit_match") {
		kit = "ingester"
	}
	if kit == "" {
		low := strings.ToLower(xm)
		for _, k := range paramStrings(r, "kits") {
			if k != "" && strings.Contains(low, strings.ToLower(k)) {
				kit = k
				break
			}
		}
	}
	if kit == "" {
		return nil, nil
	}
	return &firing{extra: map[string]any{"matched_kit": clipString(kit, 128),
		"matched_headers": []string{"X-Mailer"}}}, nil
}

// predIDNURL: a URL whose host has a punycode label. Only the host counts:
// "xn--" in a path is not a homoglyph domain.
func predIDNURL(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	for _, raw := range strList(ev.Payload["urls"]) {
		s := strings.TrimSpace(raw)
		if !strings.Contains(s, "://") {
			s = "http://" + s
		}
		u, err := url.Parse(s)
		if err != nil {
			continue
		}
		host := strings.ToLower(u.Hostname())
		for _, label := range strings.Split(host, ".") {
			if strings.HasPrefix(label, "xn--") {
				return &firing{extra: map[string]any{"matched_url_host": clipString(host, 253),
					"matched_headers": []string{"body"}}}, nil
			}
		}
	}
	return nil, nil
}

func predMasquerade(_ *Lifter, _ *Rule, ev Event, st *evalState) (*firing, error) {
	p := ev.Payload
	var sigs, headers []string
	if domainDiffers(p, "from_domain", "return_path_domain") {
		sigs, headers = append(sigs, "from_vs_return_path"), append(headers, "From", "Return-Path")
	}
	if domainDiffers(p, "from_domain", "mail_from_domain") {
		sigs, headers = append(sigs, "from_vs_mail_from"), append(headers, "From", "Mail-From")
	}
	if isFalse(p, "dkim_signed") {
		sigs, headers = append(sigs, "dkim_unsigned"), append(headers, "DKIM-Signature")
	}
	if isFalse(p, "spf_pass") {
		sigs, headers = append(sigs, "spf_fail"), append(headers, "Authentication-Results")
	}
	if len(sigs) == 0 {
		return nil, nil
	}
	return &firing{extra: map[string]any{"matched_signals": sigs, "matched_headers": headers}}, nil
}

func predMalAttachment(_ *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	for _, k := range []string{"attachment_macros", "attachment_password_protected", "html_smuggling", "mal_hash_match"} {
		if isTrue(ev.Payload, k) {
			return &firing{extra: map[string]any{"matched_trigger": k}}, nil
		}
	}
	exts := paramStrings(r, "extensions")
	for _, e := range strList(ev.Payload["attachment_extensions"]) {
		e = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(e), "."))
		if slices.Contains(exts, e) {
			return &firing{extra: map[string]any{"matched_trigger": "extension:" + e}}, nil
		}
	}
	return nil, nil
}

// predBEC needs urgency in the subject and a payment request in the body
// (inline or reached on disk), both as whole words.
func predBEC(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	sub := matchWords(pStr(ev.Payload, "subject"), paramStrings(r, "subject_keywords"))
	if len(sub) == 0 {
		return nil, nil
	}
	body, ok := l.emailBody(ev, st)
	if !ok {
		return nil, nil
	}
	bk := matchWords(body, paramStrings(r, "body_keywords"))
	if len(bk) == 0 {
		return nil, nil
	}
	return &firing{extra: map[string]any{"matched_subject_kw": sub, "matched_body_kw": bk,
		"matched_headers": []string{"Subject"}}}, nil
}

var b64RunRe = regexp.MustCompile(`(?:[A-Za-z0-9+/]{32,}\r?\n?)+={0,2}`)

// minB64Alphabet is how many distinct characters a run needs to count as
// encoded data: 4 KiB of real base64 uses nearly all 64, while a row of
// "AAAA…" or "----" padding decodes strictly yet carries nothing.
const minB64Alphabet = 16

func distinctBytes(s string) int {
	var seen [256]bool
	n := 0
	for i := 0; i < len(s); i++ {
		if !seen[s[i]] {
			seen[s[i]] = true
			n++
		}
	}
	return n
}

// predEncodedPayload: a body carrying a large base64 blob, by the
// ingester's count or by scanning (line-wrapped runs are joined).
func predEncodedPayload(l *Lifter, r *Rule, ev Event, st *evalState) (*firing, error) {
	body, ok := l.emailBody(ev, st)
	if !ok {
		return nil, nil
	}
	minBytes := paramFloat(r, "min_bytes", 4096)
	if n, ok := pnum(ev.Payload, "body_base64_bytes"); ok && n >= minBytes {
		return &firing{extra: map[string]any{"encoded_byte_count": int(n)}}, nil
	}
	for _, run := range b64RunRe.FindAllString(body, -1) {
		run = strings.NewReplacer("\r", "", "\n", "").Replace(run)
		if float64(len(run))*3/4 < minBytes || distinctBytes(run) < minB64Alphabet {
			continue
		}
		dec, err := base64.StdEncoding.Strict().DecodeString(run)
		if err != nil {
			// An unpadded or mis-wrapped run: decode the whole quads.
			dec, err = base64.RawStdEncoding.Strict().DecodeString(strings.TrimRight(run[:len(run)/4*4], "="))
			if err != nil {
				continue
			}
		}
		if float64(len(dec)) >= minBytes {
			return &firing{extra: map[string]any{"encoded_byte_count": len(dec)}}, nil
		}
	}
	return nil, nil
}
