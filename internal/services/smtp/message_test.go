package smtp

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strings"
	"testing"
)

const phish = "From: =?UTF-8?B?UGF5cm9sbA==?= <payroll@hr-portal.biz>\r\n" +
	"To: staff@target.com\r\nSubject: =?UTF-8?Q?Salary_review_=E2=80=93_action_needed?=\r\n" +
	"Return-Path: <bounce@hr-portal.biz>\r\nMessage-ID: <abc@hr-portal.biz>\r\n" +
	"Authentication-Results: mx.target.com; spf=pass smtp.mailfrom=hr-portal.biz\r\n" +
	"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\n" +
	"--OUT\r\nContent-Type: multipart/alternative; boundary=\"ALT\"\r\n\r\n" +
	"--ALT\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
	"Review your salary at http://hr-portal.biz/login?u=1 (expires today).\r\n" +
	"--ALT\r\nContent-Type: text/html\r\n\r\n<html><a href=\"https://cdn.hr-portal.biz/r.html\">review</a>" +
	"<script>var b=new Blob([atob('TVqQ')]);a.download='salary.iso';</script></html>\r\n" +
	"--ALT--\r\n" +
	"--OUT\r\nContent-Type: application/zip; name=\"salary.zip\"\r\nContent-Transfer-Encoding: base64\r\n" +
	"Content-Disposition: attachment; filename=\"salary.zip\"\r\n\r\n%s\r\n" +
	"--OUT\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"Q3 report.xlsm\"\r\n\r\nnot really excel\r\n" +
	"--OUT--\r\n"

func TestAnalyzeFindsHeadersAttachmentsURLsAndSmuggling(t *testing.T) {
	// A ZIP local header with the "encrypted" flag set.
	zip := append([]byte("PK\x03\x04\x14\x00\x01\x00"), bytes.Repeat([]byte{0}, 30)...)
	msg := fmt.Sprintf(phish, base64.StdEncoding.EncodeToString(zip))
	m := analyze(strings.NewReader(msg))
	f := m.fields()
	if f["subject"] != "Salary review – action needed" || f["from_hdr"] != "Payroll <payroll@hr-portal.biz>" ||
		f["return_path"] != "<bounce@hr-portal.biz>" || f["message_id_hdr"] != "<abc@hr-portal.biz>" ||
		f["spf_pass"] != "true" || f["dkim_signed"] != "false" || f["html_smuggling"] != "true" || f["attachment_count"] != "2" {
		t.Errorf("fields %+v", f)
	}
	var urls []string
	json.Unmarshal([]byte(f["urls_json"]), &urls)
	if len(urls) != 2 || urls[0] != "http://hr-portal.biz/login?u=1" || urls[1] != "https://cdn.hr-portal.biz/r.html" {
		t.Errorf("urls %v", urls)
	}
	if len(m.attachments) != 2 || !m.attachments[0].Encrypted || m.attachments[0].Size != int64(len(zip)) ||
		!m.attachments[1].MacroIndicator || m.attachments[1].Filename != "Q3 report.xlsm" {
		t.Errorf("attachments %+v", m.attachments)
	}
	if m.base64Bytes == 0 {
		t.Error("base64 bytes not counted")
	}
}

func TestSimhashOfNearDuplicatesIsClose(t *testing.T) {
	a := simhash("Dear customer your account has been suspended please verify your identity at our secure portal today")
	b := simhash("Dear client your account has been suspended please verify your identity at our secure portal today")
	c := simhash("Quarterly infrastructure budget meeting moved to Thursday afternoon in room four")
	if d := bits.OnesCount64(a ^ b); d > 12 {
		t.Errorf("near duplicates differ in %d bits", d)
	}
	if bits.OnesCount64(a^c) <= bits.OnesCount64(a^b) {
		t.Error("an unrelated text is no further than a near duplicate")
	}
}

func TestListsStayWholeJSONUnderTheFieldCap(t *testing.T) {
	var atts []attachment
	for i := range 64 {
		atts = append(atts, attachment{Filename: strings.Repeat("x", 200) + fmt.Sprint(i), ContentType: "application/octet-stream", SHA256: strings.Repeat("a", 64)})
	}
	out := boundedJSON(atts)
	var back []attachment
	if err := json.Unmarshal([]byte(out), &back); err != nil || len(out) > maxListJSON || len(back) == 0 || len(back) == 64 {
		t.Errorf("bounded JSON of %d bytes, %d items: %v", len(out), len(back), err)
	}
	if boundedJSON([]string(nil)) != "[]" {
		t.Error("empty list")
	}
}

func TestMalformedMessagesYieldWhatCanBeRead(t *testing.T) {
	for _, msg := range []string{
		"", "no headers at all", "Subject: x\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n--B\r\nContent-Type: text/plain\r\n",
		"Content-Type: multipart/mixed\r\n\r\nno boundary",
		"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.exe\r\n\r\n!!!not base64===AAAA",
	} {
		analyze(strings.NewReader(msg)).fields()
	}
	// Nesting deeper than maxDepth is not followed.
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nhttp://deep.example/\r\n")
	if m := analyze(strings.NewReader(b.String())); len(m.urls) != 0 {
		t.Errorf("followed %d levels of nesting", 50)
	}
}

func TestDataReaderUnstuffsAndStopsAtTheDot(t *testing.T) {
	in := "line1\r\n..dotted\r\n.\r\nNEXT COMMAND\r\n"
	r := bufio.NewReaderSize(strings.NewReader(in), 16)
	got, err := io.ReadAll(newDataReader(r))
	if err != nil || string(got) != "line1\r\n.dotted\r\n" {
		t.Errorf("body %q, %v", got, err)
	}
	if rest, _ := io.ReadAll(r); string(rest) != "NEXT COMMAND\r\n" {
		t.Errorf("after the body: %q", rest)
	}
	// A line longer than the buffer is passed through in pieces; a dot
	// in the middle of it is not a terminator.
	long := strings.Repeat("y", 40) + "\r\n.\r\n"
	got, _ = io.ReadAll(newDataReader(bufio.NewReaderSize(strings.NewReader(long), 16)))
	if string(got) != strings.Repeat("y", 40)+"\r\n" {
		t.Errorf("long line body %q", got)
	}
	if _, err := io.ReadAll(newDataReader(bufio.NewReader(strings.NewReader("no end")))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("unterminated body: %v", err)
	}
}
