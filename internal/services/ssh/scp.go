package ssh

import (
	"bufio"
	"context"
	"errors"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/services"
)

// maxSCPLine bounds one scp control line ("C0644 <size> <name>").
const maxSCPLine = 4096

// maxSCPSize is the largest size an scp header may claim; the quarantine
// stores at most its own cap of it and discards the rest.
const maxSCPSize = 8 << 30

// scp speaks the receiving side of the legacy scp protocol (`scp -t`),
// storing every file in the quarantine. Sending (`scp -f`) answers as if
// the file did not exist: nothing leaves a decky.
func (s *session) scp(ctx context.Context, args []string) int {
	target, sink := "", false
	for _, a := range args {
		switch {
		case a == "-t":
			sink = true
		case strings.HasPrefix(a, "-"):
		default:
			target = a
		}
	}
	if !sink {
		s.ch.Write([]byte("\x01scp: " + clip(target, 256) + ": No such file or directory\n"))
		return 1
	}
	br := bufio.NewReaderSize(s.ch, maxSCPLine)
	ack := func() bool {
		_, err := s.ch.Write([]byte{0})
		return err == nil
	}
	if !ack() {
		return 1
	}
	dirs := []string{target}
	for ctx.Err() == nil {
		line, err := readSCPLine(br)
		if err != nil {
			return 0
		}
		if line == "" {
			continue
		}
		switch line[0] {
		case 'T':
			ack()
		case 'D':
			_, name, ok := parseSCPHeader(line)
			if !ok {
				return s.scpError("protocol error: bad directory header")
			}
			dirs = append(dirs, path.Join(dirs[len(dirs)-1], services.SafeName(name)))
			ack()
		case 'E':
			if len(dirs) > 1 {
				dirs = dirs[:len(dirs)-1]
			}
			ack()
		case 'C':
			size, name, ok := parseSCPHeader(line)
			if !ok {
				return s.scpError("protocol error: bad file header")
			}
			ack()
			dest := dirs[len(dirs)-1]
			if len(dirs) > 1 || strings.HasSuffix(dest, "/") || dest == "." {
				dest = path.Join(dest, name)
			}
			if !s.capture("scp", dest, io.LimitReader(br, size)) {
				return 1
			}
			// The sender ends each file with a zero byte.
			if b, err := br.ReadByte(); err != nil || b != 0 {
				return 1
			}
			ack()
		default:
			return s.scpError("protocol error: unexpected " + strconv.Quote(clip(line, 16)))
		}
	}
	return 0
}

func (s *session) scpError(msg string) int {
	s.ch.Write([]byte("\x02scp: " + msg + "\n"))
	return 1
}

// readSCPLine reads one control line, refusing lines over maxSCPLine.
func readSCPLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errors.New("scp: control line too long")
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(line), "\n"), nil
}

// parseSCPHeader reads "C0644 1234 name" or "D0755 0 name".
func parseSCPHeader(line string) (size int64, name string, ok bool) {
	parts := strings.SplitN(line[1:], " ", 3)
	if len(parts) != 3 || len(parts[0]) != 4 {
		return 0, "", false
	}
	if _, err := strconv.ParseUint(parts[0], 8, 16); err != nil {
		return 0, "", false
	}
	size, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || size < 0 || size > maxSCPSize {
		return 0, "", false
	}
	name = parts[2]
	if name == "" || name == "." || name == ".." || strings.ContainsRune(name, '/') {
		return 0, "", false
	}
	return size, name, true
}

// capture stores an upload in the quarantine and emits file_captured. It
// reports whether the protocol can go on (the upload was read to its end).
func (s *session) capture(method, origPath string, r io.Reader) bool {
	q := s.h.env.Quarantine
	if q == nil {
		_, err := io.Copy(io.Discard, r)
		return err == nil
	}
	got, err := q.Store(path.Base(origPath), r)
	if err != nil {
		s.c.Emit("file_capture_failed", map[string]string{"orig_path": clip(origPath, 1024), "method": method, "error": clip(err.Error(), 256)},
			"upload not stored: "+clip(err.Error(), 256))
		return errors.Is(err, services.ErrQuarantineFull)
	}
	s.c.Emit("file_captured", map[string]string{
		"stored_as": got.StoredAs, "sha256": got.SHA256, "size": strconv.FormatInt(got.Size, 10), "orig_path": clip(origPath, 1024),
		"ssh_user": s.user, "method": method, "truncated": strconv.FormatBool(got.Truncated),
		"attribution": "session",
	}, "file captured: "+clip(origPath, 256))
	return true
}
