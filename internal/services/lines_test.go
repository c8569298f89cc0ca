package services

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		wantErr  error
	}{
		{"crlf and lf", "USER a\r\nPASS b\n", []string{"USER a", "PASS b"}, io.EOF},
		{"last line cut by EOF", "QUIT", []string{"QUIT"}, io.EOF},
		{"stray CRs trimmed", "NOOP\r\r\n", []string{"NOOP"}, io.EOF},
		{"empty line", "\r\nX\r\n", []string{"", "X"}, io.EOF},
		{"over the buffer", strings.Repeat("A", 40) + "\r\n", nil, ErrLineTooLong},
		{"fits the buffer", strings.Repeat("A", 14) + "\r\n", []string{strings.Repeat("A", 14)}, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bufio.NewReaderSize(strings.NewReader(tt.in), 16)
			var got []string
			var err error
			for {
				var line string
				if line, err = ReadLine(r); err != nil {
					break
				}
				got = append(got, line)
			}
			if !errors.Is(err, tt.wantErr) || strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("lines %q, err %v; want %q, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
