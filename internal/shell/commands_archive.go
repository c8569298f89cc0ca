package shell

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

func init() {
	register("tar", cmdSpec{fn: cmdTar, bin: "bin", size: 531928, busybox: true})
	register("gzip", cmdSpec{fn: cmdGzip, bin: "bin", size: 93784, busybox: true})
	register("gunzip", cmdSpec{fn: cmdGzip, bin: "bin", size: 2346, busybox: true})
	register("zcat", cmdSpec{fn: cmdGzip, bin: "bin", size: 1984, busybox: true})
	register("unzip", cmdSpec{fn: cmdUnzip, bin: "usr/bin", size: 186664, busybox: true, avail: notFamily("rhel")})
}

// Archives are unpacked into the view (never run), bounded by the
// session's write budget, MaxFileSize per member and MaxWalk members;
// decompression reads at most maxInflate bytes so a bomb stops early.
const maxInflate = MaxSessionWrite

func inflate(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, maxInflate))
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return out, err
	}
	return out, nil
}

func cmdTar(c *cmdCtx) int {
	args := c.args
	if len(args) == 0 {
		fmt.Fprint(c.stderr, "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n")
		return 2
	}
	mode := ""
	gz, verbose := false, false
	file := ""
	dir := ""
	var members []string
	first := args[0]
	if !strings.HasPrefix(first, "-") && strings.Trim(first, "ctxzvfjJpPrua") == "" {
		first = "-" + first
	}
	args = append([]string{first}, args[1:]...)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-C" || a == "--directory":
			if i+1 < len(args) {
				dir = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--file="):
			file = a[7:]
		case strings.HasPrefix(a, "--"):
			switch a {
			case "--extract", "--get":
				mode = "x"
			case "--create":
				mode = "c"
			case "--list":
				mode = "t"
			case "--gzip":
				gz = true
			case "--verbose":
				verbose = true
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				switch a[j] {
				case 'x', 'c', 't':
					mode = string(a[j])
				case 'z':
					gz = true
				case 'v':
					verbose = true
				case 'f':
					if j+1 < len(a) {
						file = a[j+1:]
						j = len(a)
					} else if i+1 < len(args) {
						file = args[i+1]
						i++
					}
				}
			}
		default:
			members = append(members, a)
		}
	}
	if mode == "" {
		fmt.Fprint(c.stderr, "tar: You must specify one of the '-Acdtrux', '--delete' or '--test-label' options\nTry 'tar --help' or 'tar --usage' for more information.\n")
		return 2
	}
	if mode == "c" {
		return c.tarCreate(file, gz, verbose, members)
	}
	var data []byte
	if file == "" || file == "-" {
		data = c.stdin.rest()
	} else {
		d, err := c.readFile(file)
		if err != nil {
			fmt.Fprintf(c.stderr, "tar: %s: Cannot open: %s\ntar: Error is not recoverable: exiting now\n", file, strerror(err))
			return 2
		}
		data = d
	}
	if len(data) > 2 && data[0] == 0x1f && data[1] == 0x8b {
		out, err := inflate(data)
		if err != nil {
			fmt.Fprint(c.stderr, "\ngzip: stdin: unexpected end of file\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n")
			return 2
		}
		data = out
	} else if gz {
		fmt.Fprint(c.stderr, "\ngzip: stdin: not in gzip format\ntar: Child returned status 1\ntar: Error is not recoverable: exiting now\n")
		return 2
	}
	tr := tar.NewReader(bytes.NewReader(data))
	base := c.st.cwd
	if dir != "" {
		base = c.abs(dir)
	}
	count := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if count == 0 {
				fmt.Fprint(c.stderr, "tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n")
			} else {
				fmt.Fprint(c.stderr, "tar: Unexpected EOF in archive\ntar: Error is not recoverable: exiting now\n")
			}
			return 2
		}
		count++
		if count > MaxWalk || c.ctx.Err() != nil {
			break
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		if verbose || mode == "t" {
			c.print(h.Name + "\n")
		}
		if mode == "t" || name == "" {
			continue
		}
		dst := path.Join(base, name)
		switch h.Typeflag {
		case tar.TypeDir:
			c.mkdirAll(dst, fs.FileMode(h.Mode)&0o777)
		case tar.TypeSymlink:
			c.mkdirAll(path.Dir(dst), 0o755)
			_ = c.v().symlink(c.cred(), h.Linkname, dst, c.now)
		case tar.TypeReg:
			c.mkdirAll(path.Dir(dst), 0o755)
			body, _ := io.ReadAll(io.LimitReader(tr, MaxFileSize))
			if err := c.v().writeFile(c.cred(), dst, body, false, fs.FileMode(h.Mode)&0o777, c.now); err != nil {
				fmt.Fprintf(c.stderr, "tar: %s: Cannot open: %s\n", h.Name, strerror(err))
				continue
			}
			mode := fs.FileMode(h.Mode) & 0o777
			_ = c.v().setattr(c.cred(), dst, false, func(n *node) error { n.mode = mode; n.mtime = h.ModTime; return nil })
		}
	}
	return 0
}

func (c *cmdCtx) mkdirAll(p string, perm fs.FileMode) {
	cur := ""
	for _, comp := range splitPath(p) {
		cur += "/" + comp
		if n, _, err := c.v().lookup(c.cred(), cur, true); err == nil && n.isDir() {
			continue
		}
		if c.v().mkdir(c.cred(), cur, perm|0o700, c.now) != nil {
			return
		}
	}
}

// tarCreate builds a real archive from the view (bounded), so an intruder
// packing up /etc gets a file of believable size.
func (c *cmdCtx) tarCreate(file string, gz, verbose bool, members []string) int {
	if len(members) == 0 {
		fmt.Fprint(c.stderr, "tar: Cowardly refusing to create an empty archive\nTry 'tar --help' or 'tar --usage' for more information.\n")
		return 2
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	status := 0
	for _, m := range members {
		abs := c.abs(m)
		if _, _, err := c.v().lookup(c.cred(), abs, false); err != nil {
			fmt.Fprintf(c.stderr, "tar: %s: Cannot stat: %s\n", m, strerror(err))
			status = 2
			continue
		}
		if strings.HasPrefix(m, "/") {
			fmt.Fprint(c.stderr, "tar: Removing leading `/' from member names\n")
		}
		c.walkTree(abs, true, func(p string, n *node) bool {
			if buf.Len() > MaxFileSize {
				return false
			}
			name := strings.TrimPrefix(p, "/")
			if !strings.HasPrefix(m, "/") {
				name = strings.TrimPrefix(path.Join(m, strings.TrimPrefix(p, abs)), "/")
			}
			h := &tar.Header{Name: name, Mode: int64(n.mode.Perm()), ModTime: n.mtime, Uid: n.uid, Gid: n.gid}
			switch {
			case n.isDir():
				h.Typeflag, h.Name = tar.TypeDir, name+"/"
			case n.isLink():
				h.Typeflag, h.Linkname = tar.TypeSymlink, n.target
			case n.isDev() || n.gen != nil:
				return true
			default:
				if !c.cred().can(n, permR) {
					fmt.Fprintf(c.stderr, "tar: %s: Cannot open: Permission denied\n", name)
					status = 2
					return true
				}
				h.Typeflag, h.Size = tar.TypeReg, int64(len(n.data))
			}
			if verbose {
				c.print(h.Name + "\n")
			}
			if tw.WriteHeader(h) == nil && h.Typeflag == tar.TypeReg {
				tw.Write(n.data)
			}
			return true
		})
	}
	tw.Close()
	data := buf.Bytes()
	if gz {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(data)
		zw.Close()
		data = zb.Bytes()
	}
	if file == "" || file == "-" {
		c.stdout.Write(data)
		return status
	}
	if err := c.writeFile(file, data, false); err != nil {
		fmt.Fprintf(c.stderr, "tar: %s: Cannot open: %s\ntar: Error is not recoverable: exiting now\n", file, strerror(err))
		return 2
	}
	if status != 0 {
		fmt.Fprint(c.stderr, "tar: Exiting with failure status due to previous errors\n")
	}
	return status
}

func cmdGzip(c *cmdCtx) int {
	decompress := c.name == "gunzip" || c.name == "zcat"
	toStdout := c.name == "zcat"
	keep := false
	var files []string
	for _, a := range c.args {
		switch {
		case a == "-d" || a == "--decompress":
			decompress = true
		case a == "-c" || a == "--stdout":
			toStdout = true
		case a == "-k" || a == "--keep":
			keep = true
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		data := c.stdin.rest()
		if decompress {
			out, err := inflate(data)
			if err != nil {
				fmt.Fprintf(c.stderr, "%s: stdin: not in gzip format\n", c.name)
				return 1
			}
			c.stdout.Write(out)
			return 0
		}
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(data)
		zw.Close()
		c.stdout.Write(zb.Bytes())
		return 0
	}
	status := 0
	for _, f := range files {
		data, err := c.readFile(f)
		if err != nil {
			fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.name, f, strerror(err))
			status = 1
			continue
		}
		var out []byte
		target := f + ".gz"
		if decompress {
			if !strings.HasSuffix(f, ".gz") && !strings.HasSuffix(f, ".tgz") && !toStdout {
				fmt.Fprintf(c.stderr, "%s: %s: unknown suffix -- ignored\n", c.name, f)
				status = 2
				continue
			}
			out, err = inflate(data)
			if err != nil {
				fmt.Fprintf(c.stderr, "%s: %s: not in gzip format\n", c.name, f)
				status = 1
				continue
			}
			target = strings.TrimSuffix(strings.TrimSuffix(f, ".gz"), ".tgz")
			if strings.HasSuffix(f, ".tgz") {
				target += ".tar"
			}
		} else {
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			zw.Write(data)
			zw.Close()
			out = zb.Bytes()
		}
		if toStdout {
			c.stdout.Write(out)
			continue
		}
		if err := c.writeFile(target, out, false); err != nil {
			fmt.Fprintf(c.stderr, "%s: %s: %s\n", c.name, target, strerror(err))
			status = 1
			continue
		}
		if !keep {
			_ = c.v().remove(c.cred(), c.abs(f), false, c.now)
		}
	}
	return status
}

func cmdUnzip(c *cmdCtx) int {
	var file, dir string
	list := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-d" && i+1 < len(c.args):
			dir = c.args[i+1]
			i++
		case a == "-l":
			list = true
		case strings.HasPrefix(a, "-"):
		case file == "":
			file = a
		}
	}
	if file == "" {
		c.print("UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.\n\nUsage: unzip [-Z] [-opts[modifiers]] file[.zip] [list] [-x xlist] [-d exdir]\n")
		return 0
	}
	data, err := c.readFile(file)
	if err != nil {
		fmt.Fprintf(c.stderr, "unzip:  cannot find or open %s, %s.zip or %s.ZIP.\n", file, file, file)
		return 9
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		c.printf("Archive:  %s\n", file)
		fmt.Fprintf(c.stderr, "  End-of-central-directory signature not found.  Either this file is not\n  a zipfile, or it constitutes one disk of a multi-part archive.  In the\n  latter case the central directory and zipfile comment will be found on\n  the last disk(s) of this archive.\nunzip:  cannot find zipfile directory in one of %s or\n        %s.zip, and cannot find %s.ZIP, period.\n", file, file, file)
		return 9
	}
	c.printf("Archive:  %s\n", file)
	base := c.st.cwd
	if dir != "" {
		base = c.abs(dir)
	}
	for i, f := range zr.File {
		if i >= MaxWalk || c.ctx.Err() != nil {
			break
		}
		name := strings.TrimPrefix(path.Clean("/"+f.Name), "/")
		if list {
			c.printf("%9d  %s   %s\n", f.UncompressedSize64, f.Modified.Format("2006-01-02 15:04"), f.Name)
			continue
		}
		dst := path.Join(base, name)
		if f.FileInfo().IsDir() {
			c.printf("   creating: %s\n", f.Name)
			c.mkdirAll(dst, 0o755)
			continue
		}
		c.mkdirAll(path.Dir(dst), 0o755)
		rc, err := f.Open()
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(io.LimitReader(rc, MaxFileSize))
		rc.Close()
		c.printf("  inflating: %s  \n", f.Name)
		if err := c.v().writeFile(c.cred(), dst, body, false, f.Mode().Perm()|0o600, c.now); err != nil {
			fmt.Fprintf(c.stderr, "error:  cannot create %s\n        %s\n", f.Name, strerror(err))
		}
	}
	return 0
}
