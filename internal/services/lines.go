package services

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrLineTooLong is ReadLine's answer to a line that does not fit the
// reader's buffer; line protocols reply with their own "line too long"
// and hang up rather than buffer an attacker's input without end.
var ErrLineTooLong = errors.New("command line too long")

// ReadLine reads one line of a line-oriented protocol (FTP, SMTP) without
// its CR LF. The bound is r's buffer size, so a session sets it once with
// bufio.NewReaderSize. A last line cut off by EOF is still returned, as the
// servers act on it; any other read error ends the session.
func ReadLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", ErrLineTooLong
	}
	if err != nil && (len(b) == 0 || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return string(bytes.TrimRight(b, "\r\n")), nil
}
