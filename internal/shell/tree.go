package shell

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// builder assembles the base tree before it is published; until then nodes
// may be changed in place.
type builder struct {
	root *node
	t    time.Time // default mtime
}

func (b *builder) walkDir(p string, perm fs.FileMode, uid, gid int) *node {
	cur := b.root
	for _, c := range splitPath(p) {
		k := cur.kids[c]
		if k == nil {
			k = &node{mode: fs.ModeDir | perm, uid: uid, gid: gid, mtime: b.t, kids: map[string]*node{}}
			cur.kids[c] = k
		}
		cur = k
	}
	return cur
}

// dir makes p (and missing parents, as root 0755) with the given mode.
func (b *builder) dir(p string, perm fs.FileMode, uid, gid int) *node {
	parent := b.walkDir(path.Dir(p), 0o755, 0, 0)
	name := path.Base(p)
	n := parent.kids[name]
	if n == nil {
		n = &node{kids: map[string]*node{}}
		parent.kids[name] = n
	}
	n.mode = fs.ModeDir | perm&fs.ModePerm | perm&(fs.ModeSticky|fs.ModeSetgid)
	n.uid, n.gid, n.mtime = uid, gid, b.t
	return n
}

func (b *builder) put(p string, n *node) *node {
	parent := b.walkDir(path.Dir(p), 0o755, 0, 0)
	if n.mtime.IsZero() {
		n.mtime = b.t
	}
	parent.kids[path.Base(p)] = n
	return n
}

func (b *builder) file(p, content string, perm fs.FileMode, uid, gid int, mtime time.Time) *node {
	return b.put(p, &node{mode: perm, uid: uid, gid: gid, mtime: mtime, data: []byte(content)})
}

// etc writes a root-owned 0644 file with the default mtime.
func (b *builder) etc(p, content string) *node { return b.file(p, content, 0o644, 0, 0, b.t) }

func (b *builder) link(p, target string) {
	b.put(p, &node{mode: fs.ModeSymlink | 0o777, target: target})
}

func (b *builder) gen(p string, fn func(time.Time) []byte) {
	b.put(p, &node{mode: 0o444, gen: fn})
}

// elfStub is the first bytes of a 64-bit little-endian PIE executable for
// the persona's machine: enough for `file` and for `head -c4` checks.
func elfStub(arch string) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	h[16] = 3 // ET_DYN
	h[18] = 0x3e
	if arch == "aarch64" {
		h[18] = 0xb7
	}
	h[20] = 1
	h[52] = 64
	return h
}

// binDir maps a traditional binary location to where it lives on d.
func binDir(bin string, d *distro) string {
	if d.usrMerge {
		switch bin {
		case "bin":
			return "/usr/bin"
		case "sbin":
			return "/usr/sbin"
		}
	}
	if d.family == "arch" && bin == "usr/sbin" {
		return "/usr/bin"
	}
	return "/" + bin
}

// buildTree lays out the base filesystem of the persona.
func (f *FS) buildTree() *node {
	p, d := f.p, f.d
	r := newRNG(p.Seed, "tree")
	osTime := d.released.Add(time.Duration(r.between(0, 20)) * time.Hour)
	install := d.released.Add(time.Duration(r.between(20, 200)) * 24 * time.Hour)
	if lim := f.boot.Add(-24 * time.Hour); install.After(lim) {
		install = lim
	}
	b := &builder{root: &node{mode: fs.ModeDir | 0o755, kids: map[string]*node{}, mtime: install}, t: osTime}

	for _, dir := range []string{"/boot", "/etc", "/home", "/media", "/mnt", "/opt", "/srv", "/usr", "/usr/local", "/usr/local/bin",
		"/usr/local/sbin", "/usr/local/lib", "/usr/local/share", "/usr/local/src", "/usr/lib", "/usr/share", "/usr/include", "/usr/src",
		"/var", "/var/lib", "/var/cache", "/var/backups", "/var/opt", "/var/spool", "/var/www", "/var/lib/dpkg", "/run", "/run/lock",
		"/etc/cron.d", "/etc/cron.daily", "/etc/cron.hourly", "/etc/cron.weekly", "/etc/cron.monthly", "/etc/ssh", "/etc/ssl", "/etc/ssl/certs",
		"/etc/systemd/system", "/etc/profile.d", "/etc/security", "/etc/default", "/etc/skel", "/sys", "/proc"} {
		b.dir(dir, 0o755, 0, 0)
	}
	b.dir("/root", 0o700, 0, 0).mtime = f.built.Add(-time.Duration(r.between(1, 30)) * time.Hour)
	for _, t := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		b.dir(t, 0o777|fs.ModeSticky, 0, 0).mtime = f.built.Add(-time.Duration(r.between(1, 600)) * time.Minute)
	}
	b.dir("/sys", 0o555, 0, 0)
	b.dir("/proc", 0o555, 0, 0)
	b.dir("/var/mail", 0o2775|fs.ModeSetgid, 0, 8)
	b.dir("/var/log", 0o755, 0, 0).mtime = f.built.Add(-time.Duration(r.between(1, 50)) * time.Minute)
	if d.usrMerge {
		for _, l := range []string{"bin", "sbin", "lib"} {
			b.dir("/usr/"+l, 0o755, 0, 0)
			b.link("/"+l, "usr/"+l)
		}
		if p.Arch == "x86_64" {
			b.dir("/usr/lib64", 0o755, 0, 0)
			b.link("/lib64", "usr/lib64")
		}
	} else {
		for _, l := range []string{"/bin", "/sbin", "/lib", "/usr/bin", "/usr/sbin"} {
			b.dir(l, 0o755, 0, 0)
		}
	}
	switch d.family {
	case "debian":
		b.dir("/var/spool/cron/crontabs", 0o1730|fs.ModeSticky, 0, 106)
	case "alpine":
	default:
		b.dir("/var/spool/cron", 0o700, 0, 0)
	}
	b.link("/var/run", "../run")
	b.link("/var/lock", "../run/lock")

	f.buildTmp(b, r)
	f.buildBinaries(b, r)
	f.buildEtc(b, r, install)
	f.buildHomes(b, install)
	f.buildLogs(b, r)
	f.buildDev(b)
	f.buildProc(b)
	f.buildSys(b)
	f.buildBoot(b, install)
	f.buildServiceFiles(b, install)
	return b.root
}

// buildTmp leaves what a running system has in /tmp: X11 socket
// directories and systemd PrivateTmp directories of running services.
func (f *FS) buildTmp(b *builder, r *prng) {
	if f.d.family == "alpine" {
		return
	}
	for _, d := range []string{".X11-unix", ".ICE-unix", ".font-unix", ".XIM-unix", ".Test-unix"} {
		b.dir("/tmp/"+d, 0o777|fs.ModeSticky, 0, 0).mtime = f.boot
	}
	boot := newRNG(f.p.Seed, "bootid").chars(32, lowerHex)
	var units []string
	switch f.d.family {
	case "debian":
		units = []string{"systemd-logind.service"}
		if strings.HasPrefix(f.p.Distro, "ubuntu") {
			units = append(units, "systemd-resolved.service", "systemd-timesyncd.service")
			b.dir("/tmp/snap-private-tmp", 0o700, 0, 0).mtime = f.boot
		}
	case "rhel":
		units = []string{"chronyd.service", "systemd-logind.service"}
	case "arch":
		units = []string{"systemd-logind.service", "systemd-resolved.service"}
	}
	if slices.Contains(f.p.Services, "http") || slices.Contains(f.p.Services, "https") {
		units = append(units, "nginx.service")
	}
	for _, u := range units {
		for _, t := range []string{"/tmp/", "/var/tmp/"} {
			name := t + "systemd-private-" + boot + "-" + u + "-" + r.chars(6, alnumChars)
			b.dir(name+"/tmp", 0o777|fs.ModeSticky, 0, 0).mtime = f.boot.Add(time.Duration(r.between(2, 30)) * time.Second)
			b.dir(name, 0o700, 0, 0).mtime = f.boot.Add(time.Duration(r.between(2, 30)) * time.Second)
		}
	}
}

func (f *FS) buildBinaries(b *builder, r *prng) {
	d := f.d
	stub := elfStub(f.p.Arch)
	names := make([]string, 0, len(cmdTable))
	for name := range cmdTable {
		names = append(names, name)
	}
	slices.Sort(names)
	if d.family == "alpine" {
		b.put("/bin/busybox", &node{mode: 0o755, data: stub, size: 841288, cmd: "busybox"})
	}
	for _, name := range names {
		spec := cmdTable[name]
		if spec.bin == "" || !spec.available(d) {
			continue
		}
		dir := binDir(spec.bin, d)
		if d.family == "alpine" && spec.busybox {
			b.link(dir+"/"+name, "/bin/busybox")
			continue
		}
		size := spec.size
		if size == 0 {
			size = int64(14000 + int(fnv64(name)%120000))
		}
		b.put(dir+"/"+name, &node{mode: spec.perm(), data: stub, size: size, cmd: name})
	}
	// Extra binaries that make `ls /usr/bin` look like a real install but
	// have no behaviour of their own beyond failing quietly.
	for _, name := range []string{"awk", "bzip2", "cmp", "comm", "csplit", "diff", "dircolors", "expand", "factor", "fmt",
		"fold", "getopt", "iconv", "install", "join", "locale", "logger", "look", "mkfifo", "mktemp", "namei", "nice",
		"nl", "numfmt", "od", "paste", "pathchk", "pinky", "pr", "ptx", "renice", "script", "setsid", "sha224sum",
		"sha384sum", "shred", "shuf", "split", "stdbuf", "sum", "sync", "tac", "timeout", "tsort", "unexpand", "watch", "xxd", "zcat"} {
		dir := binDir("usr/bin", d)
		if _, ok := cmdTable[name]; ok {
			continue
		}
		if d.family == "alpine" {
			b.link(dir+"/"+name, "/bin/busybox")
			continue
		}
		b.put(dir+"/"+name, &node{mode: 0o755, data: stub, size: int64(14000 + int(fnv64(name)%90000)), cmd: "stub"})
	}
	// sh: dash on the Debian family, bash elsewhere, busybox on Alpine.
	switch d.family {
	case "debian":
		b.link("/usr/bin/sh", "dash")
	case "alpine":
		b.link("/bin/sh", "/bin/busybox")
	default:
		b.link(binDir("bin", d)+"/sh", "bash")
	}
	if v := d.python3; v != "" {
		short := v[:strings.LastIndexByte(v, '.')]
		b.put("/usr/bin/python"+short, &node{mode: 0o755, data: stub, size: 5904904, cmd: "python3"})
		b.link("/usr/bin/python3", "python"+short)
		if d.family == "rhel" || d.family == "arch" {
			b.link("/usr/bin/python", "python3")
		}
	}
	if d.python2 != "" {
		b.put("/usr/bin/python2.7", &node{mode: 0o755, data: stub, size: 7216, cmd: "python"})
		b.link("/usr/bin/python2", "python2.7")
		b.link("/usr/bin/python", "python2")
	}
	if d.perl {
		b.put("/usr/bin/perl", &node{mode: 0o755, data: stub, size: 3478464, cmd: "perl"})
	}
}

func (f *FS) buildEtc(b *builder, r *prng, install time.Time) {
	p, d := f.p, f.d
	edited := install.Add(time.Duration(r.between(1, 48)) * time.Hour)
	nologin := d.nologin
	var sudoers []string
	for _, a := range f.accts[1:] {
		if a.sudo {
			sudoers = append(sudoers, a.name)
		}
	}
	passwd := "root:x:0:0:root:/root:" + d.loginShell + "\n" + strings.ReplaceAll(d.passwd, "@NOLOGIN@", nologin)
	if d.family == "arch" {
		passwd = "root:x:0:0::/root:/bin/bash\n" + strings.ReplaceAll(d.passwd, "@NOLOGIN@", nologin)
	}
	shadow := fmt.Sprintf("root:%s:%d:0:99999:7:::\n", f.accts[0].hash, daysSince(install))
	for _, line := range strings.Split(strings.TrimSpace(d.passwd), "\n") {
		name := line[:strings.IndexByte(line, ':')]
		shadow += fmt.Sprintf("%s:*:%d:0:99999:7:::\n", name, daysSince(d.released))
	}
	groupRoot := "root:x:0:\n"
	if d.family == "alpine" || d.family == "arch" {
		groupRoot = "root:x:0:root\n"
	}
	group := d.group
	for _, a := range f.accts[1:] {
		passwd += fmt.Sprintf("%s:x:%d:%d:%s:%s:%s\n", a.name, a.uid, a.gid, a.gecos, a.home, a.shell)
		shadow += fmt.Sprintf("%s:%s:%d:0:99999:7:::\n", a.name, a.hash, daysSince(edited))
		group += fmt.Sprintf("%s:x:%d:\n", a.name, a.gid)
	}
	sudoList := strings.Join(sudoers, ",")
	extra := ""
	if sudoList != "" {
		extra = "," + sudoList
	}
	group = strings.ReplaceAll(group, "@SUDO@", extra)
	group = strings.ReplaceAll(group, "@SUDO0@", sudoList)
	group = groupRoot + group
	b.file("/etc/passwd", passwd, 0o644, 0, 0, edited)
	b.file("/etc/passwd-", passwd, 0o644, 0, 0, install)
	b.file("/etc/group", group, 0o644, 0, 0, edited)
	shadowGID := 0
	if d.family == "debian" {
		shadowGID = 42
	}
	b.file("/etc/shadow", shadow, fs.FileMode(d.shadowMode), 0, shadowGID, edited)
	gshadow := ""
	for _, line := range strings.Split(strings.TrimSpace(group), "\n") {
		f := strings.Split(line, ":")
		gshadow += f[0] + ":*::" + f[len(f)-1] + "\n"
	}
	b.file("/etc/gshadow", gshadow, fs.FileMode(d.shadowMode), 0, shadowGID, edited)

	b.file("/etc/hostname", p.Hostname+"\n", 0o644, 0, 0, install)
	short := shortHost(p.Hostname)
	hosts := "127.0.0.1\tlocalhost\n"
	if d.family == "debian" {
		hosts += "127.0.1.1\t" + p.Hostname
		if short != p.Hostname {
			hosts += " " + short
		}
		hosts += "\n\n# The following lines are desirable for IPv6 capable hosts\n::1     ip6-localhost ip6-loopback\nfe00::0 ip6-localnet\nff00::0 ip6-mcastprefix\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
	} else {
		hosts = "127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4\n::1         localhost localhost.localdomain localhost6 localhost6.localdomain6\n"
		hosts += f.net.ip.String() + "  " + p.Hostname
		if short != p.Hostname {
			hosts += " " + short
		}
		hosts += "\n"
	}
	b.file("/etc/hosts", hosts, 0o644, 0, 0, edited)
	if d.family == "alpine" {
		b.etc("/etc/os-release", d.osRelease)
	} else {
		b.etc("/usr/lib/os-release", d.osRelease)
		b.link("/etc/os-release", "../usr/lib/os-release")
	}
	b.etc("/etc/issue", d.issue)
	b.etc("/etc/issue.net", d.issueNet)
	for name, content := range d.etc {
		b.etc("/etc/"+name, content)
	}
	switch d.family {
	case "debian":
		if strings.HasPrefix(p.Distro, "ubuntu") {
			b.etc("/etc/motd", "")
			b.etc("/etc/resolv.conf", "# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\n# Do not edit.\n#\n# This file might be symlinked as /etc/resolv.conf. If you're looking at\n# /etc/resolv.conf and seeing this text, you have followed the symlink.\n#\n# This is a dynamic resolv.conf file for connecting local clients to the\n# internal DNS stub resolver of systemd-resolved. This file lists all\n# configured search domains.\n#\n# Run \"resolvectl status\" to see details about the uplink DNS servers\n# currently in use.\n#\n# Third party programs should typically not access this file directly, but only\n# through the symlink at /etc/resolv.conf. To manage man:systemd-resolved(8) in a\n# different way, configure a different /etc/resolv.conf.\n\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n")
		} else {
			b.etc("/etc/motd", "\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n")
			b.etc("/etc/resolv.conf", "nameserver "+f.net.dns+"\n")
		}
		b.etc("/etc/bash.bashrc", debianBashBashrc)
		b.etc("/etc/profile", debianProfile)
		b.etc("/etc/shells", "# /etc/shells: valid login shells\n/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/rbash\n/usr/bin/rbash\n/bin/dash\n/usr/bin/dash\n")
		b.etc("/etc/timezone", "Etc/UTC\n")
		b.etc("/etc/apt/sources.list", aptSources(p.Distro))
		b.dir("/etc/apt/sources.list.d", 0o755, 0, 0)
		b.etc("/etc/network/interfaces", "# interfaces(5) file used by ifup(8) and ifdown(8)\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nauto "+f.net.iface+"\niface "+f.net.iface+" inet dhcp\n")
	case "rhel":
		b.etc("/etc/resolv.conf", "# Generated by NetworkManager\nnameserver "+f.net.dns+"\n")
		b.etc("/etc/bashrc", rhelBashrc)
		b.etc("/etc/profile", "# /etc/profile\n\n# System wide environment and startup programs, for login setup\n# Functions and aliases go in /etc/bashrc\n\npathmunge () {\n    case \":${PATH}:\" in\n        *:\"$1\":*)\n            ;;\n        *)\n            if [ \"$2\" = \"after\" ] ; then\n                PATH=$PATH:$1\n            else\n                PATH=$1:$PATH\n            fi\n    esac\n}\n\nfor i in /etc/profile.d/*.sh /etc/profile.d/sh.local ; do\n    if [ -r \"$i\" ]; then\n        . \"$i\" >/dev/null\n    fi\ndone\n\nunset i\nunset -f pathmunge\n")
		b.etc("/etc/shells", "/bin/sh\n/bin/bash\n/usr/bin/sh\n/usr/bin/bash\n")
		b.dir("/etc/yum.repos.d", 0o755, 0, 0)
		b.etc("/etc/sysconfig/network-scripts/ifcfg-"+f.net.iface, "TYPE=Ethernet\nBOOTPROTO=dhcp\nDEFROUTE=yes\nNAME="+f.net.iface+"\nDEVICE="+f.net.iface+"\nONBOOT=yes\n")
		b.etc("/etc/selinux/config", "SELINUX=enforcing\nSELINUXTYPE=targeted\n")
	case "alpine":
		b.etc("/etc/motd", "Welcome to Alpine!\n\nThe Alpine Wiki contains a large amount of how-to guides and general\ninformation about administrating Alpine systems.\nSee <https://wiki.alpinelinux.org/>.\n\nYou can setup the system with the command: setup-alpine\n\nYou may change this message by editing /etc/motd.\n\n")
		b.etc("/etc/resolv.conf", "nameserver "+f.net.dns+"\n")
		b.etc("/etc/profile", "export CHARSET=UTF-8\nexport LANG=C.UTF-8\nexport LC_COLLATE=C\nexport PAGER=less\nexport PS1='\\h:\\w\\$ '\numask 022\n\nfor script in /etc/profile.d/*.sh ; do\n\tif [ -r \"$script\" ] ; then\n\t\t. \"$script\"\n\tfi\ndone\nunset script\n")
		b.etc("/etc/shells", "# valid login shells\n/bin/sh\n/bin/ash\n")
		b.etc("/etc/apk/repositories", "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n")
		b.etc("/etc/apk/world", "alpine-baselayout\nalpine-keys\napk-tools\nbusybox\nlibc-utils\nopenssh\n")
		b.dir("/etc/crontabs", 0o755, 0, 0)
		b.file("/etc/crontabs/root", "# do daily/weekly/monthly maintenance\n# min\thour\tday\tmonth\tweekday\tcommand\n*/15\t*\t*\t*\t*\trun-parts /etc/periodic/15min\n0\t*\t*\t*\t*\trun-parts /etc/periodic/hourly\n0\t2\t*\t*\t*\trun-parts /etc/periodic/daily\n0\t3\t*\t*\t6\trun-parts /etc/periodic/weekly\n0\t5\t1\t*\t*\trun-parts /etc/periodic/monthly\n", 0o600, 0, 0, install)
		b.etc("/etc/network/interfaces", "auto lo\niface lo inet loopback\n\nauto "+f.net.iface+"\niface "+f.net.iface+" inet dhcp\n")
	case "arch":
		b.etc("/etc/resolv.conf", "# Generated by systemd-resolved\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n")
		b.etc("/etc/bash.bashrc", "#\n# /etc/bash.bashrc\n#\n\n# If not running interactively, don't do anything\n[[ $- != *i* ]] && return\n\n[[ $DISPLAY ]] && shopt -s checkwinsize\n\nPS1='[\\u@\\h \\W]\\$ '\n\ncase ${TERM} in\n  Eterm*|alacritty*|aterm*|foot*|gnome*|konsole*|kterm*|putty*|rxvt*|tmux*|xterm*)\n    PROMPT_COMMAND+=('printf \"\\033]0;%s@%s:%s\\007\" \"${USER}\" \"${HOSTNAME%%.*}\" \"${PWD/#$HOME/\\~}\"')\n    ;;\nesac\n\n[ -r /usr/share/bash-completion/bash_completion ] && . /usr/share/bash-completion/bash_completion\n")
		b.etc("/etc/profile", "# /etc/profile\n\n# Set our umask\numask 022\n\n# Append our default paths\nappend_path () {\n    case \":$PATH:\" in\n        *:\"$1\":*)\n            ;;\n        *)\n            PATH=\"${PATH:+$PATH:}$1\"\n    esac\n}\n\nappend_path '/usr/local/sbin'\nappend_path '/usr/local/bin'\nappend_path '/usr/bin'\n\nexport PATH\n")
		b.etc("/etc/shells", "#\n# /etc/shells\n#\n\n/bin/sh\n/bin/bash\n/usr/bin/sh\n/usr/bin/bash\n")
		b.etc("/etc/pacman.conf", "#\n# /etc/pacman.conf\n#\n[options]\nHoldPkg     = pacman glibc\nArchitecture = auto\nCheckSpace\nSigLevel    = Required DatabaseOptional\nLocalFileSigLevel = Optional\n\n[core]\nInclude = /etc/pacman.d/mirrorlist\n\n[extra]\nInclude = /etc/pacman.d/mirrorlist\n")
		b.etc("/etc/pacman.d/mirrorlist", "Server = https://geo.mirror.pkgbuild.com/$repo/os/$arch\n")
	}
	if d.family != "alpine" {
		b.link("/etc/localtime", "/usr/share/zoneinfo/Etc/UTC")
		b.link("/etc/mtab", "../proc/self/mounts")
		mid := newRNG(p.Seed, "machine-id").chars(32, lowerHex)
		b.file("/etc/machine-id", mid+"\n", 0o444, 0, 0, install)
		b.etc("/etc/crontab", systemCrontab(d))
	}
	b.etc("/etc/fstab", f.fstab())
	if strings.HasPrefix(p.Distro, "ubuntu") {
		b.etc("/etc/environment", "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/games:/usr/local/games:/snap/bin\"\n")
		b.dir("/snap/bin", 0o755, 0, 0)
	} else {
		b.etc("/etc/environment", "PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n")
	}
	sudoersText := "#\n# This file MUST be edited with the 'visudo' command as root.\n#\nDefaults\tenv_reset\nDefaults\tmail_badpass\nDefaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\n\n# User privilege specification\nroot\tALL=(ALL:ALL) ALL\n\n"
	if d.sudoGroup == "sudo" {
		sudoersText += "# Allow members of group sudo to execute any command\n%sudo\tALL=(ALL:ALL) ALL\n\n@includedir /etc/sudoers.d\n"
	} else {
		sudoersText += "## Allows people in group wheel to run all commands\n%wheel\tALL=(ALL)\tALL\n\n#includedir /etc/sudoers.d\n"
	}
	b.file("/etc/sudoers", sudoersText, 0o440, 0, 0, install)
	b.dir("/etc/sudoers.d", 0o750, 0, 0)
	for _, a := range f.accts[1:] {
		if a.sudo && r.chance(50) {
			b.file("/etc/sudoers.d/90-"+a.name, a.name+" ALL=(ALL) NOPASSWD:ALL\n", 0o440, 0, 0, edited)
		}
	}
	b.file("/etc/ssh/sshd_config", sshdConfig(d), 0o644, 0, 0, edited)
	b.etc("/etc/ssh/ssh_config", "Host *\n    SendEnv LANG LC_*\n    HashKnownHosts yes\n    GSSAPIAuthentication yes\n")
	kr := newRNG(p.Seed, "hostkeys")
	for _, kt := range []string{"ecdsa", "ed25519", "rsa"} {
		b.file("/etc/ssh/ssh_host_"+kt+"_key", "-----BEGIN OPENSSH PRIVATE KEY-----\n"+wrap(kr.chars(kt2len(kt), base64Chars), 70)+"-----END OPENSSH PRIVATE KEY-----\n", 0o600, 0, 0, install)
		b.file("/etc/ssh/ssh_host_"+kt+"_key.pub", sshKey(kr, "root@"+shortHost(p.Hostname)), 0o644, 0, 0, install)
	}
	b.etc("/etc/nsswitch.conf", "passwd:         files systemd\ngroup:          files systemd\nshadow:         files\ngshadow:        files\n\nhosts:          files dns\nnetworks:       files\n\nprotocols:      db files\nservices:       db files\nethers:         db files\nrpc:            db files\n\nnetgroup:       nis\n")
	b.etc("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
	b.etc("/etc/skel/.bashrc", userBashrc(d))
	b.etc("/etc/skel/.profile", userProfile)
	b.etc("/etc/skel/.bash_logout", bashLogout)
	b.etc("/etc/cron.daily/logrotate", "#!/bin/sh\n\n# skip in favour of systemd timer\nif [ -d /run/systemd/system ]; then\n    exit 0\nfi\n\n/usr/sbin/logrotate /etc/logrotate.conf\n").mode = 0o755
}

func kt2len(kt string) int {
	switch kt {
	case "rsa":
		return 2240
	case "ecdsa":
		return 460
	}
	return 340
}

func wrap(s string, w int) string {
	var b strings.Builder
	for len(s) > w {
		b.WriteString(s[:w] + "\n")
		s = s[w:]
	}
	if s != "" {
		b.WriteString(s + "\n")
	}
	return b.String()
}

func daysSince(t time.Time) int { return int(t.Unix() / 86400) }

func (f *FS) buildHomes(b *builder, install time.Time) {
	p, d := f.p, f.d
	subnet := f.net.ip.String()
	subnet = subnet[:strings.LastIndexByte(subnet, '.')+1]
	s := newSecrets(p, subnet)
	r := newRNG(p.Seed, "homes")
	recent := func(maxH int) time.Time {
		return f.built.Add(-time.Duration(r.between(2, maxH*60)) * time.Minute).Truncate(time.Second)
	}
	for _, a := range f.accts {
		home := a.home
		uid, gid := a.uid, a.gid
		perm := fs.FileMode(0o750)
		if a.name == "root" {
			perm = 0o700
		} else if d.family == "rhel" {
			perm = 0o700
		} else if p.Distro == "debian" || p.Distro == "kali" {
			perm = 0o755
		}
		b.dir(home, perm, uid, gid).mtime = recent(72)
		rootish := a.name == "root"
		switch {
		case d.family == "rhel":
			b.file(home+"/.bashrc", rhelUserBashrc(rootish), 0o644, uid, gid, install)
			b.file(home+"/.bash_profile", "# .bash_profile\n\n# Get the aliases and functions\nif [ -f ~/.bashrc ]; then\n\t. ~/.bashrc\nfi\n\n# User specific environment and startup programs\n", 0o644, uid, gid, install)
			b.file(home+"/.bash_logout", "# ~/.bash_logout\n", 0o644, uid, gid, install)
		case d.family == "alpine":
			b.file(home+"/.ash_history", "", 0o600, uid, gid, recent(48))
		case rootish:
			b.file(home+"/.bashrc", rootBashrc, 0o644, 0, 0, install)
			b.file(home+"/.profile", rootProfile, 0o644, 0, 0, install)
		default:
			b.file(home+"/.bashrc", userBashrc(d), 0o644, uid, gid, install)
			b.file(home+"/.profile", userProfile, 0o644, uid, gid, install)
			b.file(home+"/.bash_logout", bashLogout, 0o644, uid, gid, install)
		}
		histName := "/.bash_history"
		if d.family == "alpine" {
			histName = "/.ash_history"
		}
		b.file(home+histName, s.history(p, d, a.name, rootish), 0o600, uid, gid, recent(30))
		b.dir(home+"/.ssh", 0o700, uid, gid).mtime = install.Add(time.Duration(r.between(1, 2000)) * time.Hour)
		kr := newRNG(p.Seed, "authkeys:"+a.name)
		keys := ""
		for range kr.between(1, 3) {
			keys += sshKey(kr, pick(kr, []string{"admin", "deploy", "ops", a.name, "jenkins", "ansible"})+"@"+pick(kr, []string{"laptop", "bastion", "ci", "mgmt01", "workstation"}))
		}
		b.file(home+"/.ssh/authorized_keys", keys, 0o600, uid, gid, install.Add(time.Duration(r.between(1, 2000))*time.Hour))
		if r.chance(60) {
			b.file(home+"/.ssh/known_hosts", "|1|"+r.chars(27, base64Chars)+"=|"+r.chars(27, base64Chars)+"= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI"+r.chars(43, base64Chars)+"\n", 0o644, uid, gid, recent(500))
		}
		if !rootish && a.sudo && strings.HasPrefix(p.Distro, "ubuntu") {
			b.file(home+"/.sudo_as_admin_successful", "", 0o644, uid, gid, install.Add(2*time.Hour))
		}
		if !rootish {
			b.dir(home+"/.cache", 0o700, uid, gid)
		}
	}
	// Bait in root's home: the notes and the .env every intruder greps for.
	b.dir("/root/.cache", 0o700, 0, 0)
	b.file("/root/notes.txt", s.notes(p), 0o600, 0, 0, recent(24*40))
	b.dir("/root/projects", 0o755, 0, 0).mtime = recent(24 * 20)
	b.file("/root/projects/.env", s.env(p), 0o600, 0, 0, recent(24*20))
	if r.chance(60) {
		b.dir("/root/.aws", 0o700, 0, 0)
		b.file("/root/.aws/credentials", s.awsCredentials(), 0o600, 0, 0, recent(24*90))
		b.file("/root/.aws/config", s.awsConfig(), 0o600, 0, 0, recent(24*90))
	}
	if r.chance(50) {
		b.file("/root/.my.cnf", s.myCnf(), 0o600, 0, 0, recent(24*120))
	}
	if r.chance(40) {
		b.file("/root/projects/deploy.sh", "#!/bin/bash\nset -e\ncd /root/projects\ngit pull origin main\ndocker compose build\ndocker compose up -d\necho \"deployed $(git rev-parse --short HEAD)\"\n", 0o755, 0, 0, recent(24*30))
	}
	if r.chance(40) {
		b.file("/root/backup-"+s.dbName+".sql.gz", string(append([]byte{0x1f, 0x8b, 8, 0}, []byte(r.chars(60, alnumChars))...)), 0o644, 0, 0, recent(24*10)).size = int64(r.between(2_000_000, 90_000_000))
	}
}

func (f *FS) buildLogs(b *builder, r *prng) {
	d := f.d
	now := f.built
	logT := func() time.Time {
		return now.Add(-time.Duration(r.between(1, 600)) * time.Second).Truncate(time.Second)
	}
	host := shortHost(f.p.Hostname)
	var auth strings.Builder
	for i := len(f.logins) - 1; i >= 0; i-- {
		l := f.logins[i]
		port := r.between(40000, 65000)
		ts := l.at.Format(time.Stamp)
		fmt.Fprintf(&auth, "%s %s sshd[%d]: Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:%s\n", ts, host, r.between(1000, 90000), l.user, l.from, port, r.chars(43, base64Chars))
		fmt.Fprintf(&auth, "%s %s sshd[%d]: pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)\n", ts, host, r.between(1000, 90000), l.user, f.uidOf(l.user))
	}
	ts := now.Add(-17 * time.Minute).Format(time.Stamp)
	fmt.Fprintf(&auth, "%s %s CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)\n", ts, host, r.between(1000, 90000))
	fmt.Fprintf(&auth, "%s %s CRON[%d]: pam_unix(cron:session): session closed for user root\n", ts, host, r.between(1000, 90000))
	b.dir("/var/log", 0o755, 0, 0)
	logGID := 0
	if d.family == "debian" {
		logGID = 4
	}
	b.file(d.authLog, auth.String(), 0o640, 0, logGID, logT())
	var sys strings.Builder
	bootTS := f.boot.Format(time.Stamp)
	fmt.Fprintf(&sys, "%s %s kernel: Linux version %s\n", bootTS, host, f.p.KernelRelease)
	fmt.Fprintf(&sys, "%s %s systemd[1]: Started OpenBSD Secure Shell server.\n", bootTS, host)
	fmt.Fprintf(&sys, "%s %s systemd[1]: Reached target Multi-User System.\n", bootTS, host)
	fmt.Fprintf(&sys, "%s %s systemd[1]: Starting Daily apt download activities...\n", now.Add(-3*time.Hour).Format(time.Stamp), host)
	fmt.Fprintf(&sys, "%s %s CRON[%d]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)\n", ts, host, r.between(1000, 90000))
	if d.sysLog != d.authLog {
		b.file(d.sysLog, sys.String(), 0o640, 0, logGID, logT())
	}
	b.file("/var/log/wtmp", "", 0o664, 0, 43, logT()).size = int64(r.between(20, 400) * 384)
	b.file("/var/log/btmp", "", 0o660, 0, 43, logT()).size = int64(r.between(50, 4000) * 384)
	b.file("/var/log/lastlog", "", 0o664, 0, 43, logT()).size = 292292
	switch d.family {
	case "debian":
		b.file("/var/log/dpkg.log", "", 0o644, 0, 0, logT()).size = int64(r.between(20000, 400000))
		b.dir("/var/log/apt", 0o755, 0, 0)
		b.file("/var/log/apt/history.log", "", 0o644, 0, 0, logT()).size = int64(r.between(2000, 40000))
		b.file("/var/log/kern.log", "", 0o640, 0, logGID, logT()).size = int64(r.between(2000, 90000))
		b.dir("/var/log/journal", 0o2755|fs.ModeSetgid, 0, 101)
	case "rhel":
		b.file("/var/log/cron", "", 0o600, 0, 0, logT()).size = int64(r.between(2000, 90000))
		b.file("/var/log/dnf.log", "", 0o644, 0, 0, logT()).size = int64(r.between(20000, 400000))
		b.dir("/var/log/audit", 0o700, 0, 0)
	}
	b.file("/var/log/dmesg", "", 0o644, 0, 0, f.boot).size = int64(r.between(40000, 90000))
	if slices.Contains(f.p.Services, "http") || slices.Contains(f.p.Services, "https") {
		b.dir("/var/log/nginx", 0o755, 0, 0)
		b.file("/var/log/nginx/access.log", "", 0o640, 0, logGID, logT()).size = int64(r.between(20000, 4000000))
		b.file("/var/log/nginx/error.log", "", 0o640, 0, logGID, logT()).size = int64(r.between(200, 40000))
	}
}

func (f *FS) uidOf(name string) int {
	if a, ok := f.account(name); ok {
		return a.uid
	}
	return 0
}

func (f *FS) buildDev(b *builder) {
	dev := func(p, kind string, major, minor int, perm fs.FileMode, gid int) {
		b.put(p, &node{mode: fs.ModeDevice | fs.ModeCharDevice | perm, gid: gid, dev: kind, major: major, minor: minor, mtime: f.boot})
	}
	b.dir("/dev", 0o755, 0, 0).mtime = f.boot
	dev("/dev/null", "null", 1, 3, 0o666, 0)
	dev("/dev/zero", "zero", 1, 5, 0o666, 0)
	dev("/dev/full", "null", 1, 7, 0o666, 0)
	dev("/dev/random", "random", 1, 8, 0o666, 0)
	dev("/dev/urandom", "urandom", 1, 9, 0o666, 0)
	dev("/dev/tty", "tty", 5, 0, 0o666, 5)
	dev("/dev/console", "tty", 5, 1, 0o600, 5)
	dev("/dev/ptmx", "tty", 5, 2, 0o666, 5)
	dev("/dev/kmsg", "null", 1, 11, 0o644, 0)
	dev("/dev/tty0", "tty", 4, 0, 0o620, 5)
	dev("/dev/tty1", "tty", 4, 1, 0o620, 5)
	b.dir("/dev/pts", 0o755, 0, 0).mtime = f.boot
	b.put("/dev/"+f.hw.disk, &node{mode: fs.ModeDevice | 0o660, gid: 6, dev: "null", major: 8, minor: 0, mtime: f.boot})
	b.put("/dev/"+f.hw.disk+"1", &node{mode: fs.ModeDevice | 0o660, gid: 6, dev: "null", major: 8, minor: 1, mtime: f.boot})
	b.link("/dev/stdin", "/proc/self/fd/0")
	b.link("/dev/stdout", "/proc/self/fd/1")
	b.link("/dev/stderr", "/proc/self/fd/2")
	b.link("/dev/fd", "/proc/self/fd")
	b.dir("/dev/shm", 0o777|fs.ModeSticky, 0, 0)
	b.dir("/dev/mqueue", 0o777|fs.ModeSticky, 0, 0)
}

func (f *FS) buildProc(b *builder) {
	b.dir("/proc", 0o555, 0, 0).mtime = f.boot
	b.gen("/proc/cpuinfo", func(time.Time) []byte { return []byte(f.cpuinfo()) })
	b.gen("/proc/meminfo", func(now time.Time) []byte { return []byte(f.meminfo(now)) })
	b.gen("/proc/version", func(time.Time) []byte { return []byte(f.procVersion()) })
	b.gen("/proc/uptime", func(now time.Time) []byte {
		up := f.uptime(now).Seconds()
		return fmt.Appendf(nil, "%.2f %.2f\n", up, up*float64(f.hw.cores)*0.97)
	})
	b.gen("/proc/loadavg", func(now time.Time) []byte {
		l1, l5, l15 := f.loadavg(now)
		return fmt.Appendf(nil, "%.2f %.2f %.2f 1/%d %d\n", l1, l5, l15, len(f.procs)+2, f.lastPID.Load())
	})
	b.gen("/proc/mounts", func(time.Time) []byte { return []byte(f.procMounts()) })
	b.gen("/proc/cmdline", func(time.Time) []byte { return []byte(f.cmdline()) })
	b.gen("/proc/filesystems", func(time.Time) []byte {
		return []byte("nodev\tsysfs\nnodev\ttmpfs\nnodev\tbdev\nnodev\tproc\nnodev\tcgroup\nnodev\tcgroup2\nnodev\tdevtmpfs\nnodev\tdebugfs\nnodev\tsecurityfs\nnodev\tsockfs\nnodev\tpipefs\nnodev\tdevpts\n\text3\n\text2\n\text4\n\txfs\nnodev\tmqueue\nnodev\toverlay\n")
	})
	b.gen("/proc/sys/kernel/hostname", func(time.Time) []byte { return []byte(f.p.Hostname + "\n") })
	b.gen("/proc/sys/kernel/osrelease", func(time.Time) []byte { return []byte(f.p.KernelRelease + "\n") })
	b.gen("/proc/sys/kernel/ostype", func(time.Time) []byte { return []byte("Linux\n") })
	b.gen("/proc/sys/kernel/pid_max", func(time.Time) []byte { return []byte("4194304\n") })
	b.gen("/proc/sys/vm/nr_hugepages", func(time.Time) []byte { return []byte("0\n") })
	b.gen("/proc/sys/net/ipv4/ip_forward", func(time.Time) []byte { return []byte("0\n") })
	b.gen("/proc/net/dev", func(time.Time) []byte { return []byte(f.procNetDev()) })
	b.link("/proc/self", fmt.Sprint(f.procs[len(f.procs)-1].pid))
	for _, pr := range f.procs {
		dir := fmt.Sprintf("/proc/%d", pr.pid)
		uid := f.uidOf(pr.user)
		b.dir(dir, 0o555, uid, uid).mtime = pr.start
		args := pr.args
		if strings.HasPrefix(args, "[") {
			args = ""
		}
		cmdline := []byte(strings.ReplaceAll(args, " ", "\x00"))
		if len(cmdline) > 0 {
			cmdline = append(cmdline, 0)
		}
		b.put(dir+"/cmdline", &node{mode: 0o444, uid: uid, gid: uid, data: cmdline, size: -1, mtime: pr.start})
		b.put(dir+"/comm", &node{mode: 0o644, uid: uid, gid: uid, data: []byte(pr.comm + "\n"), size: -1, mtime: pr.start})
		b.put(dir+"/status", &node{mode: 0o444, uid: uid, gid: uid, mtime: pr.start, size: -1,
			data: fmt.Appendf(nil, "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n", pr.comm, pr.pid, pr.pid, pr.ppid, uid, uid, uid, uid, uid, uid, uid, uid)})
	}
}

func (f *FS) buildSys(b *builder) {
	product, vendor := "Standard PC (i440FX + PIIX, 1996)", "QEMU"
	switch f.hw.hyper {
	case "VMware":
		product, vendor = "VMware Virtual Platform", "VMware, Inc."
	case "Microsoft":
		product, vendor = "Virtual Machine", "Microsoft Corporation"
	case "Xen":
		product, vendor = "HVM domU", "Xen"
	}
	b.file("/sys/class/dmi/id/product_name", product+"\n", 0o444, 0, 0, f.boot)
	b.file("/sys/class/dmi/id/sys_vendor", vendor+"\n", 0o444, 0, 0, f.boot)
	b.file("/sys/class/net/"+f.net.iface+"/address", f.net.mac+"\n", 0o444, 0, 0, f.boot)
	b.file("/sys/class/net/"+f.net.iface+"/mtu", "1500\n", 0o644, 0, 0, f.boot)
	b.file("/sys/class/net/lo/address", "00:00:00:00:00:00\n", 0o444, 0, 0, f.boot)
	b.dir("/sys/fs/cgroup", 0o755, 0, 0)
	b.dir("/sys/kernel", 0o755, 0, 0)
}

func (f *FS) buildBoot(b *builder, install time.Time) {
	if f.d.family == "alpine" {
		b.put("/boot/vmlinuz-lts", &node{mode: 0o644, size: 11812352, mtime: install})
		return
	}
	rel := f.p.KernelRelease
	b.put("/boot/vmlinuz-"+rel, &node{mode: 0o600, size: 11_500_000 + int64(fnv64(rel)%900000), mtime: install})
	b.put("/boot/config-"+rel, &node{mode: 0o644, size: 270_000 + int64(fnv64(rel)%9000), mtime: install})
	b.put("/boot/System.map-"+rel, &node{mode: 0o600, size: 6_200_000 + int64(fnv64(rel)%90000), mtime: install})
	if f.d.family == "rhel" {
		b.put("/boot/initramfs-"+rel+".img", &node{mode: 0o600, size: 31_000_000 + int64(fnv64(rel)%900000), mtime: install})
	} else {
		b.put("/boot/initrd.img-"+rel, &node{mode: 0o644, size: 61_000_000 + int64(fnv64(rel)%900000), mtime: install})
		b.link("/boot/vmlinuz", "vmlinuz-"+rel)
		b.link("/boot/initrd.img", "initrd.img-"+rel)
	}
	b.dir("/boot/grub", 0o755, 0, 0)
}

func (f *FS) buildServiceFiles(b *builder, install time.Time) {
	for _, s := range f.p.Services {
		switch s {
		case "http", "https":
			b.dir("/var/www/html", 0o755, 0, 0)
			b.file("/var/www/html/index.html", "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n</body>\n</html>\n", 0o644, 0, 0, install)
			b.dir("/etc/nginx/sites-enabled", 0o755, 0, 0)
			b.etc("/etc/nginx/nginx.conf", "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tsendfile on;\n\ttcp_nopush on;\n\ttypes_hash_max_size 2048;\n\tinclude /etc/nginx/mime.types;\n\tdefault_type application/octet-stream;\n\taccess_log /var/log/nginx/access.log;\n\terror_log /var/log/nginx/error.log;\n\tinclude /etc/nginx/conf.d/*.conf;\n\tinclude /etc/nginx/sites-enabled/*;\n}\n")
		case "mysql":
			b.dir("/var/lib/mysql", 0o700, f.uidOf("mysql"), 0)
			b.etc("/etc/mysql/my.cnf", "[mysqld]\nbind-address = 0.0.0.0\nmax_connections = 151\n\n!includedir /etc/mysql/conf.d/\n")
		case "redis":
			b.etc("/etc/redis/redis.conf", "bind 0.0.0.0\nprotected-mode no\nport 6379\ndaemonize no\nsupervised systemd\ndir /var/lib/redis\n")
		case "ftp":
			b.etc("/etc/vsftpd.conf", "listen=YES\nanonymous_enable=NO\nlocal_enable=YES\nwrite_enable=YES\nlocal_umask=022\nxferlog_enable=YES\nconnect_from_port_20=YES\n")
			b.dir("/srv/ftp", 0o755, 0, 0)
		case "docker_api":
			b.dir("/var/lib/docker", 0o710, 0, 0)
			b.etc("/etc/docker/daemon.json", "{\n  \"hosts\": [\"fd://\", \"tcp://0.0.0.0:2375\"],\n  \"log-driver\": \"json-file\"\n}\n")
		}
	}
}

// Host views shared by commands and /proc.

// uptime is how long the persona has been up at now.
func (f *FS) uptime(now time.Time) time.Duration {
	if now.Before(f.boot) {
		return f.built.Sub(f.boot)
	}
	return now.Sub(f.boot)
}

// loadavg wobbles slowly with time around a seeded idle level.
func (f *FS) loadavg(now time.Time) (float64, float64, float64) {
	r := newRNG(f.p.Seed^uint64(now.Unix()/300), "load")
	base := float64(newRNG(f.p.Seed, "loadbase").between(0, 30)) / 100
	l1 := base + float64(r.intn(20))/100
	l5 := base + float64(r.intn(12))/100
	l15 := base + float64(r.intn(8))/100
	return l1, l5, l15
}

// memStats returns kB figures (total, used, free, shared, buffers, cached,
// available) consistent across free, top and /proc/meminfo.
type memStats struct{ total, used, free, shared, buffers, cached, avail, swapTotal, swapFree int64 }

func (f *FS) mem(now time.Time) memStats {
	r := newRNG(f.p.Seed, "mem")
	total := f.hw.memKB
	usedPct := int64(r.between(12, 45))
	cachePct := int64(r.between(15, 40))
	jitter := int64(newRNG(f.p.Seed^uint64(now.Unix()/60), "memj").intn(4000))
	used := total*usedPct/100 + jitter
	buffers := total * int64(r.between(1, 4)) / 100
	cached := total*cachePct/100 - jitter/2
	free := total - used - buffers - cached
	shared := int64(r.between(800, 9000))
	swap := int64(0)
	if r.chance(40) {
		swap = int64(pick(r, []int{1, 2, 4})) * 1024 * 1024
	}
	return memStats{total: total, used: used, free: free, shared: shared, buffers: buffers, cached: cached,
		avail: free + cached*9/10 + buffers, swapTotal: swap, swapFree: swap}
}

func (f *FS) cpuinfo() string {
	var b strings.Builder
	h := f.hw
	if f.p.Arch == "aarch64" {
		for i := range h.cores {
			fmt.Fprintf(&b, "processor\t: %d\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\nCPU part\t: 0xd0c\nCPU revision\t: 1\n\n", i)
		}
		return b.String()
	}
	flags := "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single pti ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt xsaveopt xsavec xgetbv1 xsaves arat md_clear arch_capabilities"
	bugs := "cpu_meltdown spectre_v1 spectre_v2 spec_store_bypass l1tf mds swapgs taa itlb_multihit mmio_stale_data retbleed"
	if h.cpuVendor == "AuthenticAMD" {
		flags = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm rep_good nopl cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext perfctr_core ssbd ibpb vmmcall fsgsbase bmi1 avx2 smep bmi2 rdseed adx smap clflushopt sha_ni xsaveopt xsavec xgetbv1 clzero xsaveerptr arat npt nrip_save"
		bugs = "fxsave_leak sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass retbleed smt_rsb"
	}
	for i := range h.cores {
		fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\nstepping\t: %d\nmicrocode\t: 0x1\ncpu MHz\t\t: %.3f\ncache size\t: %d KB\nphysical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: %s\nbugs\t\t: %s\nbogomips\t: %.2f\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual\npower management:\n\n",
			i, h.cpuVendor, h.family, h.model, h.cpuModel, h.stepping, h.mhz, h.cache, h.cores, i, h.cores, i, i, flags, bugs, h.bogomips)
	}
	return b.String()
}

func (f *FS) meminfo(now time.Time) string {
	m := f.mem(now)
	var b strings.Builder
	row := func(k string, v int64) { fmt.Fprintf(&b, "%-16s%8d kB\n", k+":", v) }
	row("MemTotal", m.total)
	row("MemFree", m.free)
	row("MemAvailable", m.avail)
	row("Buffers", m.buffers)
	row("Cached", m.cached)
	row("SwapCached", 0)
	row("Active", m.used/2+m.cached/3)
	row("Inactive", m.cached/2)
	row("Active(anon)", m.used/3)
	row("Inactive(anon)", m.shared*4)
	row("Active(file)", m.cached/3)
	row("Inactive(file)", m.cached/2)
	row("Unevictable", 27648)
	row("Mlocked", 27648)
	row("SwapTotal", m.swapTotal)
	row("SwapFree", m.swapFree)
	row("Dirty", 124)
	row("Writeback", 0)
	row("AnonPages", m.used/3)
	row("Mapped", m.cached/6)
	row("Shmem", m.shared)
	row("KReclaimable", m.buffers/2)
	row("Slab", m.buffers)
	row("SReclaimable", m.buffers/2)
	row("SUnreclaim", m.buffers/2)
	row("KernelStack", 3520)
	row("PageTables", 6104)
	row("CommitLimit", m.total/2+m.swapTotal)
	row("Committed_AS", m.used*2)
	row("VmallocTotal", 34359738367)
	row("VmallocUsed", 21180)
	row("HugePages_Total", 0)
	fmt.Fprintf(&b, "Hugepagesize:       2048 kB\n")
	return b.String()
}

var kernelBuilders = map[string]string{
	"debian":   "(debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40)",
	"ubuntu22": "(buildd@lcy02-amd64-045) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38)",
	"ubuntu20": "(buildd@lcy02-amd64-011) (gcc (Ubuntu 9.4.0-1ubuntu1~20.04.2) 9.4.0, GNU ld (GNU Binutils for Ubuntu) 2.34)",
	"rocky9":   "(mockbuild@iad1-prod-build001.bld.equ.rockylinux.org) (gcc (GCC) 11.4.1 20230605 (Red Hat 11.4.1-2), GNU ld version 2.35.2-42.el9)",
	"centos7":  "(mockbuild@kbuilder.bsys.centos.org) (gcc version 4.8.5 20150623 (Red Hat 4.8.5-44) (GCC) )",
	"alpine":   "(buildozer@build-3-19-x86_64) (gcc (Alpine 13.2.1_git20231014) 13.2.1 20231014, GNU ld (GNU Binutils) 2.41)",
	"fedora":   "(mockbuild@5c4f5d1e8b7d4a0f9b0e3f1e6c2a9d7b) (gcc (GCC) 13.2.1 20231205 (Red Hat 13.2.1-6), GNU ld version 2.40-14.fc39)",
	"kali":     "(devel@kali.org) (x86_64-linux-gnu-gcc-13 (Debian 13.2.0-9) 13.2.0, GNU ld (GNU Binutils for Debian) 2.41.50.20231227)",
	"arch":     "(linux@archlinux) (gcc (GCC) 13.2.1 20230801, GNU ld (GNU Binutils) 2.42.0)",
}

func (f *FS) unameV() string { return f.d.kernelVersion(f.p.KernelRelease, f.p.Arch) }

func (f *FS) procVersion() string {
	return fmt.Sprintf("Linux version %s %s %s\n", f.p.KernelRelease, kernelBuilders[f.p.Distro], f.unameV())
}

func (f *FS) cmdline() string {
	switch f.d.family {
	case "rhel":
		return "BOOT_IMAGE=(hd0,msdos1)/vmlinuz-" + f.p.KernelRelease + " root=" + f.rootDev() + " ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M resume=/dev/mapper/rl-swap rd.lvm.lv=rl/root rhgb quiet\n"
	case "alpine":
		return "BOOT_IMAGE=/boot/vmlinuz-lts root=UUID=" + newRNG(f.p.Seed, "uuid").chars(8, lowerHex) + "-2c4e-4b6d-9a1e-" + newRNG(f.p.Seed, "uuid2").chars(12, lowerHex) + " modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4\n"
	}
	return "BOOT_IMAGE=/boot/vmlinuz-" + f.p.KernelRelease + " root=UUID=" + newRNG(f.p.Seed, "uuid").chars(8, lowerHex) + "-3f1a-4c1e-8d2b-" + newRNG(f.p.Seed, "uuid2").chars(12, lowerHex) + " ro console=tty1 console=ttyS0\n"
}

// rootDev and rootFSType describe the root filesystem per distro: LVM and
// XFS on the Red Hat family, a plain ext4 partition elsewhere.
func (f *FS) rootDev() string {
	switch f.p.Distro {
	case "rocky9":
		return "/dev/mapper/rl-root"
	case "centos7":
		return "/dev/mapper/centos-root"
	case "fedora":
		return "/dev/mapper/fedora-root"
	case "alpine":
		return "/dev/" + f.hw.disk + "3"
	}
	return "/dev/" + f.hw.disk + "1"
}

func (f *FS) rootFSType() string {
	if f.d.family == "rhel" {
		return "xfs"
	}
	return "ext4"
}

// mountEntry is one line of /proc/mounts.
type mountEntry struct{ dev, dir, typ, opts string }

func (f *FS) mounts() []mountEntry {
	memK := f.hw.memKB
	rootOpts := "rw,relatime,errors=remount-ro"
	if f.rootFSType() == "xfs" {
		rootOpts = "rw,relatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota"
	}
	ms := []mountEntry{
		{"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec,relatime"},
		{"proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"},
		{"udev", "/dev", "devtmpfs", fmt.Sprintf("rw,nosuid,relatime,size=%dk,nr_inodes=%d,mode=755,inode64", memK/2, memK/8)},
		{"devpts", "/dev/pts", "devpts", "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000"},
		{"tmpfs", "/run", "tmpfs", fmt.Sprintf("rw,nosuid,nodev,noexec,relatime,size=%dk,mode=755,inode64", memK/10)},
		{f.rootDev(), "/", f.rootFSType(), rootOpts},
		{"tmpfs", "/dev/shm", "tmpfs", "rw,nosuid,nodev,inode64"},
		{"tmpfs", "/run/lock", "tmpfs", "rw,nosuid,nodev,noexec,relatime,size=5120k,inode64"},
		{"cgroup2", "/sys/fs/cgroup", "cgroup2", "rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot"},
		{"mqueue", "/dev/mqueue", "mqueue", "rw,nosuid,nodev,noexec,relatime"},
	}
	if f.d.family == "rhel" {
		ms[2].dev = "devtmpfs"
		ms = append(ms, mountEntry{"/dev/" + f.hw.disk + "1", "/boot", "xfs", "rw,relatime,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota"})
	}
	if f.d.family == "alpine" {
		ms = []mountEntry{
			{"/dev/" + f.hw.disk + "3", "/", "ext4", "rw,relatime"},
			{"devtmpfs", "/dev", "devtmpfs", "rw,nosuid,noexec,relatime,size=10240k,nr_inodes=" + fmt.Sprint(memK/8) + ",mode=755"},
			{"proc", "/proc", "proc", "rw,nosuid,nodev,noexec,relatime"},
			{"sysfs", "/sys", "sysfs", "rw,nosuid,nodev,noexec,relatime"},
			{"devpts", "/dev/pts", "devpts", "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=000"},
			{"shm", "/dev/shm", "tmpfs", "rw,nosuid,nodev,noexec,relatime"},
			{"/dev/" + f.hw.disk + "1", "/boot", "ext4", "rw,relatime"},
			{"tmpfs", "/run", "tmpfs", "rw,nosuid,nodev,size=" + fmt.Sprint(memK/5) + "k,nr_inodes=" + fmt.Sprint(memK/20) + ",mode=755"},
		}
	}
	return ms
}

func (f *FS) procMounts() string {
	var b strings.Builder
	for _, m := range f.mounts() {
		fmt.Fprintf(&b, "%s %s %s %s 0 0\n", m.dev, m.dir, m.typ, m.opts)
	}
	return b.String()
}

func (f *FS) procNetDev() string {
	n := f.net
	return fmt.Sprintf("Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo: %8d %7d    0    0    0     0          0         0 %8d %7d    0    0    0     0       0          0\n%6s: %8d %7d    0    0    0     0          0         0 %8d %7d    0    0    0     0       0          0\n",
		n.txB/40, n.txPk/20, n.txB/40, n.txPk/20, n.iface, n.rxB, n.rxPk, n.txB, n.txPk)
}

func (f *FS) fstab() string {
	switch f.d.family {
	case "rhel":
		return "\n#\n# /etc/fstab\n# Created by anaconda\n#\n# Accessible filesystems, by reference, are maintained under '/dev/disk/'.\n# See man pages fstab(5), findfs(8), mount(8) and/or blkid(8) for more info.\n#\n" +
			f.rootDev() + "     /                       xfs     defaults        0 0\nUUID=" + newRNG(f.p.Seed, "bootuuid").chars(8, lowerHex) + "-55b1-4ff4-9b1d-1d7d3e6f0a2c /boot                   xfs     defaults        0 0\n"
	case "alpine":
		return "UUID=" + newRNG(f.p.Seed, "uuid").chars(8, lowerHex) + "-2c4e-4b6d-9a1e-" + newRNG(f.p.Seed, "uuid2").chars(12, lowerHex) + "\t/\text4\trw,relatime 0 1\n/dev/cdrom\t/media/cdrom\tiso9660\tnoauto,ro 0 0\n/dev/usbdisk\t/media/usb\tvfat\tnoauto\t0 0\ntmpfs\t/tmp\ttmpfs\tnosuid,nodev\t0\t0\n"
	}
	return "# /etc/fstab: static file system information.\n#\n# <file system> <mount point>   <type>  <options>       <dump>  <pass>\nUUID=" + newRNG(f.p.Seed, "uuid").chars(8, lowerHex) + "-3f1a-4c1e-8d2b-" + newRNG(f.p.Seed, "uuid2").chars(12, lowerHex) + " /               ext4    errors=remount-ro 0       1\n/swapfile                                 none            swap    sw              0       0\n"
}

func aptSources(distro string) string {
	switch distro {
	case "ubuntu22", "ubuntu20":
		c := "jammy"
		if distro == "ubuntu20" {
			c = "focal"
		}
		return "deb http://archive.ubuntu.com/ubuntu/ " + c + " main restricted\ndeb http://archive.ubuntu.com/ubuntu/ " + c + "-updates main restricted\ndeb http://archive.ubuntu.com/ubuntu/ " + c + " universe\ndeb http://archive.ubuntu.com/ubuntu/ " + c + "-updates universe\ndeb http://archive.ubuntu.com/ubuntu/ " + c + " multiverse\ndeb http://archive.ubuntu.com/ubuntu/ " + c + "-backports main restricted universe multiverse\ndeb http://security.ubuntu.com/ubuntu/ " + c + "-security main restricted\ndeb http://security.ubuntu.com/ubuntu/ " + c + "-security universe\n"
	case "kali":
		return "# See https://www.kali.org/docs/general-use/kali-linux-sources-list-repositories/\ndeb http://http.kali.org/kali kali-rolling main contrib non-free non-free-firmware\n"
	}
	return "deb http://deb.debian.org/debian bookworm main\ndeb http://deb.debian.org/debian-security bookworm-security main\ndeb http://deb.debian.org/debian bookworm-updates main\n"
}

func systemCrontab(d *distro) string {
	if d.family == "rhel" {
		return "SHELL=/bin/bash\nPATH=/sbin:/bin:/usr/sbin:/usr/bin\nMAILTO=root\n\n# For details see man 4 crontabs\n\n# Example of job definition:\n# .---------------- minute (0 - 59)\n# |  .------------- hour (0 - 23)\n# |  |  .---------- day of month (1 - 31)\n# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...\n# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat\n# |  |  |  |  |\n# *  *  *  *  * user-name  command to be executed\n"
	}
	return "# /etc/crontab: system-wide crontab\n# Unlike any other crontab you don't have to run the `crontab'\n# command to install the new version when you edit this file\n# and files in /etc/cron.d. These files also have username fields,\n# that none of the other crontabs do.\n\nSHELL=/bin/sh\n# You can also override PATH, but by default, newer versions inherit it from the environment\n#PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n# Example of job definition:\n# .---------------- minute (0 - 59)\n# |  .------------- hour (0 - 23)\n# |  |  .---------- day of month (1 - 31)\n# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...\n# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat\n# |  |  |  |  |\n# *  *  *  *  * user-name command to be executed\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }\n47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }\n52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }\n#\n"
}

func sshdConfig(d *distro) string {
	sftp := "/usr/lib/openssh/sftp-server"
	if d.family == "rhel" {
		sftp = "/usr/libexec/openssh/sftp-server"
	}
	if d.family == "alpine" {
		sftp = "/usr/lib/ssh/sftp-server"
	}
	return "# This is the sshd server system-wide configuration file.  See\n# sshd_config(5) for more information.\n\nInclude /etc/ssh/sshd_config.d/*.conf\n\n#Port 22\n#AddressFamily any\n#ListenAddress 0.0.0.0\n#ListenAddress ::\n\nPermitRootLogin yes\n#StrictModes yes\n#MaxAuthTries 6\n#MaxSessions 10\n\n#PubkeyAuthentication yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n\nUsePAM yes\n\nX11Forwarding yes\nPrintMotd no\n\n# Allow client to pass locale environment variables\nAcceptEnv LANG LC_*\n\n# override default of no subsystems\nSubsystem\tsftp\t" + sftp + "\n"
}
