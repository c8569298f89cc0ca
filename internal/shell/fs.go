package shell

import (
	"errors"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// node is one file, directory, symlink or device of the virtual filesystem.
// A node is immutable once another goroutine may see it: changes copy the
// node and every directory above it (path copying), so the shared base tree
// needs no locks and each session's view shares everything it did not
// change.
type node struct {
	mode  fs.FileMode
	uid   int
	gid   int
	mtime time.Time
	// data is a regular file's content. For fake binaries it is a short
	// stub and size holds the size ls shows.
	data []byte
	size int64
	// target is a symlink's target, as written.
	target string
	kids   map[string]*node
	// gen produces the content of a /proc file at read time.
	gen func(now time.Time) []byte
	// dev names a character device: null, zero, random, tty; major and
	// minor are what ls -l prints for it.
	dev          string
	major, minor int
	// cmd names the Go implementation an executable stands for.
	cmd string
	// owner is the view that created this copy; only that view may grow
	// data in place (see view.writeFile).
	owner *view
	// immutable is chattr +i: no one may change or remove the file.
	immutable bool
}

func (n *node) isDir() bool  { return n.mode.IsDir() }
func (n *node) isLink() bool { return n.mode&fs.ModeSymlink != 0 }
func (n *node) isDev() bool  { return n.dev != "" }
func (n *node) isReg() bool  { return n.mode.IsRegular() && n.dev == "" }

// displaySize is the size ls, stat and du report.
func (n *node) displaySize() int64 {
	switch {
	case n.isDir():
		return 4096
	case n.isLink():
		return int64(len(n.target))
	case n.gen != nil, n.isDev():
		return 0
	case n.size < 0:
		return 0
	case n.size > int64(len(n.data)):
		return n.size
	}
	return int64(len(n.data))
}

// copyFor returns a copy of n that v may change. Data shared with another
// owner is clipped to its length so a later append cannot write into bytes
// another view still owns.
func (n *node) copyFor(v *view) *node {
	c := *n
	if n.kids != nil {
		c.kids = maps.Clone(n.kids)
	}
	if n.owner != v {
		c.data = n.data[:len(n.data):len(n.data)]
		c.owner = v
	}
	return &c
}

// Filesystem errors beyond those of io/fs, named after the errno they stand
// for; strerror turns them into the text real tools print.
var (
	errNotDir      = errors.New("not a directory")
	errIsDir       = errors.New("is a directory")
	errNotEmpty    = errors.New("directory not empty")
	errLoop        = errors.New("too many levels of symbolic links")
	errNameTooLong = errors.New("file name too long")
	errNoSpace     = errors.New("no space left on device")
	errFileTooBig  = errors.New("file too large")
	errInvalid     = errors.New("invalid argument")
	errNotPermit   = errors.New("operation not permitted")
	errBusy        = errors.New("device or resource busy")
	errReadOnly    = errors.New("read-only file system")
	errTimedOut    = errors.New("connection timed out")
	errNoName      = errors.New("name or service not known")
)

// strerror is the C library message for err.
func strerror(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	case errors.Is(err, errNotDir):
		return "Not a directory"
	case errors.Is(err, errIsDir):
		return "Is a directory"
	case errors.Is(err, errNotEmpty):
		return "Directory not empty"
	case errors.Is(err, errLoop):
		return "Too many levels of symbolic links"
	case errors.Is(err, errNameTooLong):
		return "File name too long"
	case errors.Is(err, errNoSpace):
		return "No space left on device"
	case errors.Is(err, errFileTooBig):
		return "File too large"
	case errors.Is(err, errNotPermit):
		return "Operation not permitted"
	case errors.Is(err, errBusy):
		return "Device or resource busy"
	case errors.Is(err, errReadOnly):
		return "Read-only file system"
	case errors.Is(err, errTimedOut):
		return "Connection timed out"
	case errors.Is(err, errNoName):
		return "Invalid argument"
	}
	return "Invalid argument"
}

// cred is who performs a filesystem operation.
type cred struct {
	uid  int
	gids []int
}

var rootCred = cred{uid: 0, gids: []int{0}}

// permission bits for can.
const (
	permR = 4
	permW = 2
	permX = 1
)

// can reports whether c may access n with the permission bit. Root may do
// anything except execute a file no one may execute, as on Linux.
func (c cred) can(n *node, bit uint32) bool {
	perm := uint32(n.mode.Perm())
	if c.uid == 0 {
		if bit == permX && !n.isDir() {
			return perm&0o111 != 0
		}
		return true
	}
	switch {
	case n.uid == c.uid:
		return perm>>6&bit != 0
	case slices.Contains(c.gids, n.gid):
		return perm>>3&bit != 0
	}
	return perm&bit != 0
}

// FS is a per-decky virtual filesystem: a distro base tree with seeded
// variation plus planted files. It is safe for concurrent use by many
// sessions; each session works on a copy-on-write view of it, so what one
// attacker writes no other session sees.
type FS struct {
	mu   sync.RWMutex
	root *node

	p       Persona
	d       *distro
	built   time.Time
	boot    time.Time
	hw      hardware
	net     netConf
	procs   []proc
	logins  []loginRec
	lastPID atomic.Int64
	accts   []account
}

// NewFS builds the virtual filesystem of persona p. Building is
// deterministic in p except for timestamps, which are relative to now so
// the host looks alive (recent logins, an uptime of days).
func NewFS(p Persona) *FS {
	p = p.normalize()
	f := &FS{p: p, d: distros[p.Distro], built: time.Now()}
	f.buildHost()
	f.root = f.buildTree()
	return f
}

// Persona returns the normalized persona the filesystem was built from:
// defaults filled in, unusable values dropped.
func (f *FS) Persona() Persona {
	p := f.p
	p.Users = slices.Clone(p.Users)
	p.Services = slices.Clone(p.Services)
	return p
}

func (f *FS) snapshot() *node {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.root
}

// Plant adds or replaces a file (or, when mode has fs.ModeDir, a directory)
// at the absolute path, creating missing parent directories. Canary tokens
// are planted this way. Files inside a user's home belong to that user.
// Sessions already running keep the tree they started with.
func (f *FS) Plant(p string, content []byte, mode fs.FileMode, mtime time.Time) error {
	if !strings.HasPrefix(p, "/") {
		return &fs.PathError{Op: "plant", Path: p, Err: errInvalid}
	}
	p = path.Clean(p)
	if p == "/" {
		return &fs.PathError{Op: "plant", Path: p, Err: fs.ErrExist}
	}
	if len(p) > maxPathLen {
		return &fs.PathError{Op: "plant", Path: p, Err: errNameTooLong}
	}
	if mtime.IsZero() {
		mtime = time.Now()
	}
	uid, gid := 0, 0
	for _, u := range f.users() {
		if u.uid != 0 && strings.HasPrefix(p, u.home+"/") {
			uid, gid = u.uid, u.gid
		}
	}
	perm := mode.Perm() | mode&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	var n *node
	if mode.IsDir() {
		if perm == 0 {
			perm = 0o755
		}
		n = &node{mode: fs.ModeDir | perm, uid: uid, gid: gid, mtime: mtime, kids: map[string]*node{}}
	} else {
		if perm == 0 {
			perm = 0o644
		}
		n = &node{mode: perm, uid: uid, gid: gid, mtime: mtime, data: slices.Clip(slices.Clone(content))}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	root, err := plantAt(f.root, splitPath(p), n, mtime)
	if err != nil {
		return &fs.PathError{Op: "plant", Path: p, Err: err}
	}
	f.root = root
	return nil
}

// plantAt returns a copy of dir with n at comps, creating directories on
// the way. It follows no symlinks: planting is an operator action on real
// paths.
func plantAt(dir *node, comps []string, n *node, mtime time.Time) (*node, error) {
	if !dir.isDir() {
		return nil, errNotDir
	}
	c := *dir
	c.kids = maps.Clone(dir.kids)
	name := comps[0]
	if len(name) > maxNameLen {
		return nil, errNameTooLong
	}
	if len(comps) == 1 {
		if old := c.kids[name]; old != nil && old.isDir() && n.isDir() {
			n.kids = old.kids
		}
		c.kids[name] = n
		return &c, nil
	}
	sub := c.kids[name]
	if sub == nil {
		sub = &node{mode: fs.ModeDir | 0o755, mtime: mtime, kids: map[string]*node{}, uid: n.uid, gid: n.gid}
	}
	sub, err := plantAt(sub, comps[1:], n, mtime)
	if err != nil {
		return nil, err
	}
	c.kids[name] = sub
	return &c, nil
}

// ReadFile returns the content of the file at the absolute path in the base
// tree (with plants), following symlinks and ignoring permissions.
func (f *FS) ReadFile(p string) ([]byte, error) {
	v := &view{fs: f, root: f.snapshot(), rng: newRNG(f.p.Seed, "readfile")}
	n, _, err := v.lookup(rootCred, p, true)
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: p, Err: err}
	}
	if n.isDir() {
		return nil, &fs.PathError{Op: "read", Path: p, Err: errIsDir}
	}
	return slices.Clone(v.content(n, time.Now())), nil
}

// splitPath returns the components of an absolute, cleaned path.
func splitPath(abs string) []string {
	abs = strings.Trim(abs, "/")
	if abs == "" {
		return nil
	}
	return strings.Split(abs, "/")
}

// view is one session's copy-on-write view of an FS, with the session's
// write budget. It is used by one goroutine at a time.
type view struct {
	fs      *FS
	root    *node
	written int64
	created int
	rng     *prng
}

func newView(f *FS, sessionSeed uint64) *view {
	return &view{fs: f, root: f.snapshot(), rng: newRNG(f.p.Seed^sessionSeed, "view")}
}

// lookup resolves p, following symlinks in every component and, when
// follow is set, in the last one too. It returns the node and its path with
// symlinks resolved. Non-root callers need search permission on every
// directory passed through.
func (v *view) lookup(c cred, p string, follow bool) (*node, string, error) {
	if len(p) > maxPathLen {
		return nil, "", errNameTooLong
	}
	comps := strings.Split(p, "/")
	stack := make([]*node, 1, 16)
	names := make([]string, 0, 16)
	stack[0] = v.root
	hops := 0
	for len(comps) > 0 {
		name := comps[0]
		comps = comps[1:]
		switch name {
		case "", ".":
			continue
		case "..":
			if len(names) > 0 {
				names = names[:len(names)-1]
				stack = stack[:len(stack)-1]
			}
			continue
		}
		cur := stack[len(stack)-1]
		if !cur.isDir() {
			return nil, "", errNotDir
		}
		if !c.can(cur, permX) {
			return nil, "", fs.ErrPermission
		}
		if len(name) > maxNameLen {
			return nil, "", errNameTooLong
		}
		child := cur.kids[name]
		if child == nil {
			return nil, "", fs.ErrNotExist
		}
		if child.isLink() && (len(comps) > 0 || follow) {
			hops++
			if hops > maxSymlinkHops {
				return nil, "", errLoop
			}
			t := child.target
			if strings.HasPrefix(t, "/") {
				stack = stack[:1]
				names = names[:0]
			}
			comps = append(strings.Split(t, "/"), comps...)
			continue
		}
		stack = append(stack, child)
		names = append(names, name)
	}
	return stack[len(stack)-1], "/" + strings.Join(names, "/"), nil
}

// parent resolves the directory that holds p and returns it with its
// resolved path and the last component of p.
func (v *view) parent(c cred, p string) (*node, string, string, error) {
	p = path.Clean(p)
	if p == "/" {
		return nil, "", "", errBusy
	}
	dir, name := path.Split(p)
	if len(name) > maxNameLen {
		return nil, "", "", errNameTooLong
	}
	d, dpath, err := v.lookup(c, dir, true)
	if err != nil {
		return nil, "", "", err
	}
	if !d.isDir() {
		return nil, "", "", errNotDir
	}
	if !c.can(d, permX) {
		return nil, "", "", fs.ErrPermission
	}
	return d, dpath, name, nil
}

// put sets (or, for nil, removes) the entry name in the directory at the
// resolved path dpath, copying the path from the root, and stamps the
// directory's mtime.
func (v *view) put(dpath, name string, child *node, now time.Time) {
	comps := splitPath(dpath)
	root := v.root.copyFor(v)
	cur := root
	for _, c := range comps {
		k := cur.kids[c].copyFor(v)
		cur.kids[c] = k
		cur = k
	}
	if child == nil {
		delete(cur.kids, name)
	} else {
		cur.kids[name] = child
	}
	cur.mtime = now
	v.root = root
}

// replace swaps the node at resolved path p for n without touching the
// parent's mtime (metadata changes such as chmod).
func (v *view) replace(p string, n *node) {
	if p == "/" {
		v.root = n
		return
	}
	dir, name := path.Split(p)
	comps := splitPath(dir)
	root := v.root.copyFor(v)
	cur := root
	for _, c := range comps {
		k := cur.kids[c].copyFor(v)
		cur.kids[c] = k
		cur = k
	}
	cur.kids[name] = n
	v.root = root
}

// content returns what reading n yields.
func (v *view) content(n *node, now time.Time) []byte {
	switch {
	case n.gen != nil:
		return n.gen(now)
	case n.dev == "zero":
		return make([]byte, maxDeviceRead)
	case n.dev == "random" || n.dev == "urandom":
		b := make([]byte, maxDeviceRead)
		v.rng.bytes(b)
		return b
	case n.isDev():
		return nil
	}
	return n.data
}

// readFile returns the content of the file at p for c.
func (v *view) readFile(c cred, p string, now time.Time) ([]byte, error) {
	n, _, err := v.lookup(c, p, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, errIsDir
	}
	if !c.can(n, permR) {
		return nil, fs.ErrPermission
	}
	return v.content(n, now), nil
}

// charge takes n bytes from the session's write budget.
func (v *view) charge(n int64) error {
	if v.written+n > MaxSessionWrite {
		return errNoSpace
	}
	v.written += n
	return nil
}

func (v *view) countCreate() error {
	if v.created >= MaxFilesCreated {
		return errNoSpace
	}
	v.created++
	return nil
}

// writeFile writes data to the file at p, creating it with perm when it is
// missing, and appending when app is set. Writes to devices succeed and
// vanish; writes into /proc and /sys are refused, as on a real host where
// almost none of those files are writable.
func (v *view) writeFile(c cred, p string, data []byte, app bool, perm fs.FileMode, now time.Time) error {
	n, rp, err := v.lookup(c, p, true)
	switch {
	case err == nil:
		if n.isDir() {
			return errIsDir
		}
		if n.isDev() {
			return nil
		}
		if n.immutable {
			return errNotPermit
		}
		if !c.can(n, permW) {
			return fs.ErrPermission
		}
		if n.gen != nil || strings.HasPrefix(rp, "/proc/") || strings.HasPrefix(rp, "/sys/") {
			if c.uid != 0 {
				return fs.ErrPermission
			}
			return nil
		}
		size := int64(len(data))
		if app {
			size += int64(len(n.data))
		}
		if size > MaxFileSize {
			return errFileTooBig
		}
		if err := v.charge(int64(len(data))); err != nil {
			return err
		}
		nn := n.copyFor(v)
		if app {
			nn.data = append(nn.data, data...)
		} else {
			nn.data = slices.Clone(data)
		}
		nn.size = 0
		nn.gen = nil
		nn.cmd = ""
		nn.mtime = now
		v.replace(rp, nn)
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	// Create. A dangling symlink creates its target, as open(2) does.
	target := p
	if ln, lp, lerr := v.lookup(c, p, false); lerr == nil && ln.isLink() {
		t := ln.target
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(lp), t)
		}
		target = t
	}
	d, dpath, name, err := v.parent(c, target)
	if err != nil {
		return err
	}
	if !c.can(d, permW) {
		return fs.ErrPermission
	}
	if dpath == "/proc" || strings.HasPrefix(dpath, "/proc/") || dpath == "/sys" || strings.HasPrefix(dpath, "/sys/") {
		return fs.ErrNotExist
	}
	if len(data) > MaxFileSize {
		return errFileTooBig
	}
	if err := v.countCreate(); err != nil {
		return err
	}
	if err := v.charge(int64(len(data))); err != nil {
		return err
	}
	gid := primaryGID(c)
	v.put(dpath, name, &node{mode: perm.Perm(), uid: c.uid, gid: gid, mtime: now, data: slices.Clone(data), owner: v}, now)
	return nil
}

func primaryGID(c cred) int {
	if len(c.gids) > 0 {
		return c.gids[0]
	}
	return c.uid
}

// mkdir creates the directory p.
func (v *view) mkdir(c cred, p string, perm fs.FileMode, now time.Time) error {
	d, dpath, name, err := v.parent(c, p)
	if err != nil {
		return err
	}
	if _, ok := d.kids[name]; ok {
		return fs.ErrExist
	}
	if !c.can(d, permW) {
		return fs.ErrPermission
	}
	if err := v.countCreate(); err != nil {
		return err
	}
	v.put(dpath, name, &node{mode: fs.ModeDir | perm.Perm(), uid: c.uid, gid: primaryGID(c), mtime: now, kids: map[string]*node{}, owner: v}, now)
	return nil
}

// symlink creates a symbolic link at p pointing to target.
func (v *view) symlink(c cred, target, p string, now time.Time) error {
	d, dpath, name, err := v.parent(c, p)
	if err != nil {
		return err
	}
	if _, ok := d.kids[name]; ok {
		return fs.ErrExist
	}
	if !c.can(d, permW) {
		return fs.ErrPermission
	}
	if len(target) > maxPathLen {
		return errNameTooLong
	}
	if err := v.countCreate(); err != nil {
		return err
	}
	v.put(dpath, name, &node{mode: fs.ModeSymlink | 0o777, uid: c.uid, gid: primaryGID(c), mtime: now, target: target, owner: v}, now)
	return nil
}

// mayUnlink applies the sticky-directory rule: in /tmp only the owner of
// an entry (or of the directory, or root) may remove it.
func mayUnlink(c cred, dir, n *node) bool {
	if !c.can(dir, permW) {
		return false
	}
	if dir.mode&fs.ModeSticky != 0 && c.uid != 0 && c.uid != n.uid && c.uid != dir.uid {
		return false
	}
	return true
}

// remove deletes the entry p; a directory must be empty unless all is set.
func (v *view) remove(c cred, p string, all bool, now time.Time) error {
	d, dpath, name, err := v.parent(c, p)
	if err != nil {
		return err
	}
	n := d.kids[name]
	if n == nil {
		return fs.ErrNotExist
	}
	if n.isDir() && !all && len(n.kids) > 0 {
		return errNotEmpty
	}
	if n.immutable {
		return errNotPermit
	}
	if !mayUnlink(c, d, n) {
		if d.mode&fs.ModeSticky != 0 && c.can(d, permW) {
			return errNotPermit
		}
		return fs.ErrPermission
	}
	if dpath == "/proc" || dpath == "/sys" || strings.HasPrefix(dpath, "/proc/") || strings.HasPrefix(dpath, "/sys/") {
		return errNotPermit
	}
	v.put(dpath, name, nil, now)
	return nil
}

// rename moves the entry at from to to, replacing a file or empty
// directory there.
func (v *view) rename(c cred, from, to string, now time.Time) error {
	sd, spath, sname, err := v.parent(c, from)
	if err != nil {
		return err
	}
	n := sd.kids[sname]
	if n == nil {
		return fs.ErrNotExist
	}
	dd, dpath, dname, err := v.parent(c, to)
	if err != nil {
		return err
	}
	if !mayUnlink(c, sd, n) || !c.can(dd, permW) {
		return fs.ErrPermission
	}
	if n.immutable {
		return errNotPermit
	}
	src := path.Join(spath, sname)
	dst := path.Join(dpath, dname)
	if src == dst {
		return nil
	}
	if n.isDir() && strings.HasPrefix(dst+"/", src+"/") {
		return errInvalid
	}
	if old := dd.kids[dname]; old != nil {
		switch {
		case old.isDir() && !n.isDir():
			return errIsDir
		case !old.isDir() && n.isDir():
			return errNotDir
		case old.isDir() && len(old.kids) > 0:
			return errNotEmpty
		}
	}
	v.put(spath, sname, nil, now)
	v.put(dpath, dname, n, now)
	return nil
}

// setattr applies fn to a copy of the node at p (following symlinks) and
// stores it.
func (v *view) setattr(c cred, p string, follow bool, fn func(n *node) error) error {
	n, rp, err := v.lookup(c, p, follow)
	if err != nil {
		return err
	}
	nn := n.copyFor(v)
	if err := fn(nn); err != nil {
		return err
	}
	v.replace(rp, nn)
	return nil
}

// dup returns a copy of the subtree at n for placing at a second path (cp,
// hard links): data is clipped so neither copy can grow into the other's
// bytes, and at most limit nodes are copied (the caller charges them).
func (v *view) dup(n *node, limit *int) *node {
	*limit--
	c := *n
	c.owner = v
	c.data = n.data[:len(n.data):len(n.data)]
	c.immutable = false
	if n.kids != nil {
		c.kids = make(map[string]*node, len(n.kids))
		for name, k := range n.kids {
			if *limit <= 0 {
				break
			}
			c.kids[name] = v.dup(k, limit)
		}
	}
	return &c
}

// place puts n at p (whose parent must exist), replacing what is there.
func (v *view) place(c cred, p string, n *node, now time.Time) error {
	d, dpath, name, err := v.parent(c, p)
	if err != nil {
		return err
	}
	if !c.can(d, permW) {
		return fs.ErrPermission
	}
	if old := d.kids[name]; old != nil && old.immutable {
		return errNotPermit
	}
	if dpath == "/proc" || strings.HasPrefix(dpath, "/proc/") || dpath == "/sys" || strings.HasPrefix(dpath, "/sys/") {
		return errNotPermit
	}
	v.put(dpath, name, n, now)
	return nil
}

// dirent is one directory entry as listed.
type dirent struct {
	name string
	n    *node
}

// readDir lists the directory at p in name order.
func (v *view) readDir(c cred, p string) ([]dirent, error) {
	n, _, err := v.lookup(c, p, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, errNotDir
	}
	if !c.can(n, permR) {
		return nil, fs.ErrPermission
	}
	out := make([]dirent, 0, len(n.kids))
	for name, k := range n.kids {
		out = append(out, dirent{name, k})
	}
	slices.SortFunc(out, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
	return out, nil
}
