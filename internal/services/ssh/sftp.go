package ssh

import (
	"context"
	"encoding/binary"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/decnet/decnet/internal/services"
)

// SFTP v3 (draft-ietf-secsh-filexfer-02) packet types and status codes.
const (
	fxpInit     = 1
	fxpVersion  = 2
	fxpOpen     = 3
	fxpClose    = 4
	fxpRead     = 5
	fxpWrite    = 6
	fxpLstat    = 7
	fxpFstat    = 8
	fxpSetstat  = 9
	fxpFsetstat = 10
	fxpOpendir  = 11
	fxpReaddir  = 12
	fxpRemove   = 13
	fxpMkdir    = 14
	fxpRmdir    = 15
	fxpRealpath = 16
	fxpStat     = 17
	fxpRename   = 18
	fxpReadlink = 19
	fxpSymlink  = 20
	fxpStatus   = 101
	fxpHandle   = 102
	fxpData     = 103
	fxpName     = 104
	fxpAttrs    = 105

	fxOK            = 0
	fxEOF           = 1
	fxNoSuchFile    = 2
	fxPermDenied    = 3
	fxFailure       = 4
	fxBadMessage    = 5
	fxOpUnsupported = 8

	fxfWrite = 0x02
	fxfCreat = 0x08

	attrSize        = 0x1
	attrPermissions = 0x4
)

// SFTP bounds: packets (OpenSSH's own limit is 256 KiB), open handles, and
// what one upload may spool before the quarantine's cap applies.
const (
	maxSFTPPacket  = 256 << 10
	maxSFTPHandles = 32
)

// sftpHandle is an open file being uploaded (spooled to a temp file) or a
// directory being listed.
type sftpHandle struct {
	path  string
	spool *os.File
	size  int64
	dir   bool
	done  bool
}

// knownDirs are directories every persona has, so uploads to the usual
// places (/tmp, /dev/shm, a home) look like they land somewhere real.
var knownDirs = map[string]bool{
	"/": true, "/tmp": true, "/var": true, "/var/tmp": true, "/dev": true, "/dev/shm": true, "/root": true,
	"/home": true, "/etc": true, "/opt": true, "/usr": true, "/usr/bin": true, "/usr/local": true,
	"/usr/local/bin": true, "/var/www": true, "/var/www/html": true, "/srv": true,
}

// sftp serves the sftp subsystem: uploads are spooled and stored in the
// quarantine on close (file_captured); reads come from the decky's virtual
// filesystem; everything else answers like a server that accepts it but
// keeps nothing.
func (s *session) sftp(ctx context.Context) int {
	home := "/root"
	if s.user != "root" {
		home = "/home/" + safeUser(s.user)
	}
	handles := map[string]*sftpHandle{}
	next := 0
	defer func() {
		for _, h := range handles {
			s.finishUpload(h)
		}
	}()
	var hdr [4]byte
	buf := make([]byte, 0, 4096)
	for ctx.Err() == nil {
		if _, err := io.ReadFull(s.ch, hdr[:]); err != nil {
			return 0
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n == 0 || n > maxSFTPPacket {
			return 1
		}
		buf = append(buf[:0], make([]byte, n)...)
		if _, err := io.ReadFull(s.ch, buf); err != nil {
			return 0
		}
		p := sftpReader{b: buf[1:]}
		typ := buf[0]
		if typ == fxpInit {
			s.sftpSend(fxpVersion, be32(3))
			continue
		}
		id, ok := p.u32()
		if !ok {
			return 1
		}
		status := func(code uint32, msg string) {
			s.sftpSend(fxpStatus, be32(id), be32(code), sshString(msg), sshString(""))
		}
		switch typ {
		case fxpRealpath:
			name, _ := p.str()
			abs := resolve(home, name)
			s.sftpSend(fxpName, be32(id), be32(1), sshString(abs), sshString(abs), dirAttrs())
		case fxpStat, fxpLstat:
			name, _ := p.str()
			abs := resolve(home, name)
			if attrs, ok := s.sftpStat(abs); ok {
				s.sftpSend(fxpAttrs, be32(id), attrs)
			} else {
				status(fxNoSuchFile, "No such file")
			}
		case fxpFstat:
			hid, _ := p.str()
			h := handles[hid]
			if h == nil {
				status(fxFailure, "invalid handle")
				continue
			}
			s.sftpSend(fxpAttrs, be32(id), fileAttrs(h.size))
		case fxpOpen:
			name, _ := p.str()
			flags, _ := p.u32()
			abs := resolve(home, name)
			if len(handles) >= maxSFTPHandles {
				status(fxFailure, "Failure")
				continue
			}
			h := &sftpHandle{path: abs}
			if flags&(fxfWrite|fxfCreat) != 0 {
				f, err := os.CreateTemp(s.h.env.Quarantine.Dir(), ".sftp-*")
				if err != nil {
					status(fxFailure, "Failure")
					continue
				}
				os.Remove(f.Name()) // unlinked: nothing is left behind if we crash
				h.spool = f
			} else if _, err := s.h.env.FS.ReadFile(abs); err != nil {
				status(fxNoSuchFile, "No such file")
				continue
			}
			next++
			hid := strconv.Itoa(next)
			handles[hid] = h
			s.sftpSend(fxpHandle, be32(id), sshString(hid))
		case fxpWrite:
			hid, _ := p.str()
			off, ok1 := p.u64()
			data, ok2 := p.bytes()
			h := handles[hid]
			if h == nil || h.spool == nil || !ok1 || !ok2 {
				status(fxFailure, "Failure")
				continue
			}
			// Past the quarantine's per-file cap nothing would be kept.
			if off+uint64(len(data)) <= services.DefaultMaxFile {
				h.spool.WriteAt(data, int64(off))
				h.size = max(h.size, int64(off)+int64(len(data)))
			}
			status(fxOK, "Success")
		case fxpRead:
			hid, _ := p.str()
			off, _ := p.u64()
			length, _ := p.u32()
			h := handles[hid]
			if h == nil || h.dir || h.spool != nil {
				status(fxFailure, "Failure")
				continue
			}
			content, err := s.h.env.FS.ReadFile(h.path)
			if err != nil || off >= uint64(len(content)) {
				status(fxEOF, "End of file")
				continue
			}
			end := min(uint64(len(content)), off+uint64(min(length, 32768)))
			s.sftpSend(fxpData, be32(id), sshBytes(content[off:end]))
		case fxpClose:
			hid, _ := p.str()
			if h := handles[hid]; h != nil {
				s.finishUpload(h)
				delete(handles, hid)
			}
			status(fxOK, "Success")
		case fxpOpendir:
			name, _ := p.str()
			abs := resolve(home, name)
			if !knownDirs[abs] && abs != home {
				status(fxNoSuchFile, "No such file")
				continue
			}
			next++
			hid := strconv.Itoa(next)
			handles[hid] = &sftpHandle{path: abs, dir: true}
			s.sftpSend(fxpHandle, be32(id), sshString(hid))
		case fxpReaddir:
			hid, _ := p.str()
			h := handles[hid]
			if h == nil || !h.dir || h.done {
				status(fxEOF, "End of file")
				continue
			}
			h.done = true
			s.sftpSend(fxpName, be32(id), be32(2),
				sshString("."), sshString("drwxr-xr-x    2 root     root         4096 Jan  1 00:00 ."), dirAttrs(),
				sshString(".."), sshString("drwxr-xr-x   20 root     root         4096 Jan  1 00:00 .."), dirAttrs())
		case fxpSetstat, fxpFsetstat, fxpMkdir, fxpRmdir, fxpRemove, fxpRename, fxpSymlink:
			name, _ := p.str()
			s.c.Emit("sftp_operation", map[string]string{"operation": sftpOpName(typ), "path": clip(resolve(home, name), 1024)}, "sftp "+sftpOpName(typ))
			status(fxOK, "Success")
		case fxpReadlink:
			status(fxNoSuchFile, "No such file")
		default:
			status(fxOpUnsupported, "Operation unsupported")
		}
	}
	return 0
}

// safeUser keeps a user name usable in a path.
func safeUser(u string) string {
	if u == "" || strings.ContainsAny(u, "/\x00") || u == "." || u == ".." {
		return "user"
	}
	return u
}

// finishUpload moves a spooled upload into the quarantine.
func (s *session) finishUpload(h *sftpHandle) {
	if h.spool == nil {
		return
	}
	f := h.spool
	h.spool = nil
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return
	}
	s.capture("sftp", h.path, io.LimitReader(f, h.size))
}

func (s *session) sftpStat(abs string) ([]byte, bool) {
	if knownDirs[abs] || strings.HasPrefix(abs, "/home/") && strings.Count(abs, "/") == 2 {
		return dirAttrs(), true
	}
	content, err := s.h.env.FS.ReadFile(abs)
	if err != nil {
		return nil, false
	}
	return fileAttrs(int64(len(content))), true
}

func sftpOpName(t byte) string {
	switch t {
	case fxpSetstat, fxpFsetstat:
		return "setstat"
	case fxpMkdir:
		return "mkdir"
	case fxpRmdir:
		return "rmdir"
	case fxpRemove:
		return "remove"
	case fxpRename:
		return "rename"
	case fxpSymlink:
		return "symlink"
	}
	return "unknown"
}

// resolve makes name absolute against home and cleans it.
func resolve(home, name string) string {
	if name == "" || name == "." {
		return home
	}
	if !strings.HasPrefix(name, "/") {
		name = home + "/" + name
	}
	return path.Clean(name)
}

func dirAttrs() []byte { return append(be32(attrPermissions), be32(0o40755)...) }
func fileAttrs(size int64) []byte {
	b := be32(attrSize | attrPermissions)
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	return append(b, be32(0o100644)...)
}

func (s *session) sftpSend(typ byte, parts ...[]byte) {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, 4+n)
	out = binary.BigEndian.AppendUint32(out, uint32(n))
	out = append(out, typ)
	for _, p := range parts {
		out = append(out, p...)
	}
	s.ch.Write(out)
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

func sshString(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

func sshBytes(b []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// sftpReader reads SFTP fields, every length checked against what is left.
type sftpReader struct{ b []byte }

func (r *sftpReader) u32() (uint32, bool) {
	if len(r.b) < 4 {
		return 0, false
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v, true
}

func (r *sftpReader) u64() (uint64, bool) {
	if len(r.b) < 8 {
		return 0, false
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v, true
}

func (r *sftpReader) bytes() ([]byte, bool) {
	n, ok := r.u32()
	if !ok || uint64(n) > uint64(len(r.b)) {
		return nil, false
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, true
}

func (r *sftpReader) str() (string, bool) {
	b, ok := r.bytes()
	if len(b) > 4096 {
		b = b[:4096]
	}
	return string(b), ok
}
