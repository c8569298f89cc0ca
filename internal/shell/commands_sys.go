package shell

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	register("uname", cmdSpec{fn: cmdUname, bin: "bin", size: 35280, busybox: true})
	register("id", cmdSpec{fn: cmdID, bin: "usr/bin", size: 39432, busybox: true})
	register("whoami", cmdSpec{fn: cmdWhoami, bin: "usr/bin", size: 31248, busybox: true})
	register("groups", cmdSpec{fn: cmdGroups, bin: "usr/bin", size: 35336, busybox: true})
	register("w", cmdSpec{fn: cmdW, bin: "usr/bin", size: 22984, busybox: true})
	register("who", cmdSpec{fn: cmdWho, bin: "usr/bin", size: 51720, busybox: true})
	register("users", cmdSpec{fn: cmdUsers, bin: "usr/bin", size: 35336, busybox: true})
	register("last", cmdSpec{fn: cmdLast, bin: "usr/bin", size: 27056, busybox: true})
	register("lastlog", cmdSpec{fn: cmdLastlog, bin: "usr/bin", size: 31344, avail: notFamily("alpine")})
	register("uptime", cmdSpec{fn: cmdUptime, bin: "usr/bin", size: 14640, busybox: true})
	register("hostname", cmdSpec{fn: cmdHostname, bin: "bin", size: 22640, busybox: true})
	register("hostnamectl", cmdSpec{fn: cmdHostnamectl, bin: "usr/bin", size: 22784, avail: notFamily("alpine")})
	register("ps", cmdSpec{fn: cmdPs, bin: "bin", size: 137688, busybox: true})
	register("top", cmdSpec{fn: cmdTop, bin: "usr/bin", size: 129072, busybox: true})
	register("free", cmdSpec{fn: cmdFree, bin: "usr/bin", size: 22960, busybox: true})
	register("lscpu", cmdSpec{fn: cmdLscpu, bin: "usr/bin", size: 100664, avail: notFamily("alpine")})
	register("nproc", cmdSpec{fn: cmdNproc, bin: "usr/bin", size: 35336, busybox: true})
	register("env", cmdSpec{fn: cmdEnv, bin: "usr/bin", size: 48536, busybox: true})
	register("printenv", cmdSpec{fn: cmdPrintenv, bin: "usr/bin", size: 31240, busybox: true})
	register("clear", cmdSpec{fn: cmdClear, bin: "usr/bin", size: 14568, busybox: true})
	register("sudo", cmdSpec{fn: cmdSudo, bin: "usr/bin", size: 232416, mode: 0o4755, avail: notFamily("alpine")})
	register("su", cmdSpec{fn: cmdSu, bin: "bin", size: 55672, mode: 0o4755, busybox: true})
	register("passwd", cmdSpec{fn: cmdPasswd, bin: "usr/bin", size: 59976, mode: 0o4755, busybox: true})
	register("useradd", cmdSpec{fn: cmdUseradd, bin: "usr/sbin", size: 137616, avail: notFamily("alpine")})
	register("adduser", cmdSpec{fn: cmdUseradd, bin: "usr/sbin", size: 38226, busybox: true})
	register("userdel", cmdSpec{fn: cmdUserdel, bin: "usr/sbin", size: 88232, avail: notFamily("alpine")})
	register("deluser", cmdSpec{fn: cmdUserdel, bin: "usr/sbin", size: 20008, busybox: true, avail: onlyFamily("debian", "alpine")})
	register("usermod", cmdSpec{fn: cmdUsermod, bin: "usr/sbin", size: 133960, avail: notFamily("alpine")})
	register("chpasswd", cmdSpec{fn: cmdChpasswd, bin: "usr/sbin", size: 59448, busybox: true})
	register("crontab", cmdSpec{fn: cmdCrontab, bin: "usr/bin", size: 43568, mode: 0o2755, busybox: true})
	register("pkill", cmdSpec{fn: cmdPkill, bin: "usr/bin", size: 30952, busybox: true})
	register("killall", cmdSpec{fn: cmdPkill, bin: "usr/bin", size: 31088, busybox: true})
	register("pgrep", cmdSpec{fn: cmdPkill, bin: "usr/bin", size: 30952, busybox: true})
	register("nohup", cmdSpec{fn: cmdNohup, bin: "usr/bin", size: 35336, busybox: true})
	register("sleep", cmdSpec{fn: cmdSleep, bin: "bin", size: 35336, busybox: true})
	register("timeout", cmdSpec{fn: cmdTimeout, bin: "usr/bin", size: 39432, busybox: true})
	register("date", cmdSpec{fn: cmdDate, bin: "bin", size: 104960, busybox: true})
	register("lsb_release", cmdSpec{fn: cmdLsbRelease, bin: "usr/bin", size: 2035, avail: onlyFamily("debian")})
	register("mount", cmdSpec{fn: cmdMount, bin: "bin", size: 47480, mode: 0o4755, busybox: true})
	register("umount", cmdSpec{fn: cmdUmount, bin: "bin", size: 35192, mode: 0o4755, busybox: true})
	register("dmesg", cmdSpec{fn: cmdDmesg, bin: "bin", size: 80472, busybox: true})
	register("getent", cmdSpec{fn: cmdGetent, bin: "usr/bin", size: 35504, avail: notFamily("alpine")})
	register("arch", cmdSpec{fn: cmdArch, bin: "usr/bin", size: 35280, busybox: true})
	register("tty", cmdSpec{fn: cmdTty, bin: "usr/bin", size: 35336, busybox: true})
	register("reboot", cmdSpec{fn: cmdReboot, bin: "sbin", size: 22, busybox: true})
	register("shutdown", cmdSpec{fn: cmdReboot, bin: "sbin", size: 22, avail: notFamily("alpine")})
	register("poweroff", cmdSpec{fn: cmdReboot, bin: "sbin", size: 22, busybox: true})
	register("halt", cmdSpec{fn: cmdReboot, bin: "sbin", size: 22, busybox: true})
	register("journalctl", cmdSpec{fn: cmdJournalctl, bin: "usr/bin", size: 84440, avail: notFamily("alpine")})
	register("lsblk", cmdSpec{fn: cmdLsblk, bin: "bin", size: 142032, avail: notFamily("alpine")})
	register("lsmod", cmdSpec{fn: cmdLsmod, bin: "sbin", size: 170760, busybox: true})
	register("sync", cmdSpec{fn: cmdTrue, bin: "bin", size: 35336, busybox: true})
	register("logger", cmdSpec{fn: cmdTrue, bin: "usr/bin", size: 47248, busybox: true})
	register("stty", cmdSpec{fn: cmdTrue, bin: "bin", size: 84784, busybox: true})
	register("chsh", cmdSpec{fn: cmdTrue, bin: "usr/bin", size: 48424, mode: 0o4755, avail: notFamily("alpine")})
	register("last", cmdSpec{fn: cmdLast, bin: "usr/bin", size: 27056, busybox: true})
}

// fullUname says whether uname -a prints processor and platform: Ubuntu's
// and Red Hat's coreutils do, Debian's and the others' print "unknown"
// ones and drop them.
func (c *cmdCtx) fullUname() bool {
	d := c.fsys().d
	return strings.HasPrefix(d.slug, "ubuntu") || d.slug == "rocky9" || d.slug == "centos7"
}

func cmdUname(c *cmdCtx) int {
	f := c.fsys()
	p := f.p
	o, ok := c.getopt(c.args, "asnrvmpio", false, "all", "kernel-name", "nodename", "kernel-release", "kernel-version", "machine", "processor", "hardware-platform", "operating-system", "help", "version")
	if !ok {
		return 1
	}
	if len(o.rest) > 0 {
		return c.fail(1, "extra operand '%s'\nTry 'uname --help' for more information.", o.rest[0])
	}
	busybox := f.d.family == "alpine"
	all := o.has('a') || o.hasLong("all")
	want := func(f byte, l string) bool { return all || o.has(f) || o.hasLong(l) }
	proc := p.Arch
	if !c.fullUname() && !busybox {
		proc = "unknown"
	}
	osName := "GNU/Linux"
	if busybox {
		osName = "Linux"
	}
	var out []string
	if want('s', "kernel-name") || len(o.flags) == 0 && len(o.long) == 0 {
		out = append(out, "Linux")
	}
	if want('n', "nodename") {
		out = append(out, p.Hostname)
	}
	if want('r', "kernel-release") {
		out = append(out, p.KernelRelease)
	}
	if want('v', "kernel-version") {
		out = append(out, f.unameV())
	}
	if want('m', "machine") {
		out = append(out, p.Arch)
	}
	if want('p', "processor") && !(all && (proc == "unknown" || busybox)) {
		out = append(out, proc)
	}
	if want('i', "hardware-platform") && !(all && proc == "unknown") && !busybox {
		out = append(out, proc)
	}
	if want('o', "operating-system") {
		out = append(out, osName)
	}
	c.print(strings.Join(out, " ") + "\n")
	return 0
}

// selinux reports whether id shows an SELinux context (Red Hat family).
func (c *cmdCtx) selinux() bool { return c.fsys().d.family == "rhel" }

func cmdID(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "ugGnrZaz", false, "user", "group", "groups", "name", "real", "help", "version")
	if !ok {
		return 1
	}
	acct := c.st.acct
	gids := c.st.gids
	if len(o.rest) > 0 {
		a, found := c.s.lookupAccount(o.rest[0])
		if !found {
			return c.fail(1, "'%s': no such user", o.rest[0])
		}
		acct, gids = a, c.s.groupsOf(a)
	}
	nm := c.s.names()
	name := o.has('n') || o.hasLong("name")
	switch {
	case o.has('u') || o.hasLong("user"):
		if name {
			c.print(acct.name + "\n")
		} else {
			c.printf("%d\n", acct.uid)
		}
		return 0
	case o.has('g') || o.hasLong("group"):
		if name {
			c.print(nm.group(acct.gid) + "\n")
		} else {
			c.printf("%d\n", acct.gid)
		}
		return 0
	case o.has('G') || o.hasLong("groups"):
		var parts []string
		for _, g := range gids {
			if name {
				parts = append(parts, nm.group(g))
			} else {
				parts = append(parts, strconv.Itoa(g))
			}
		}
		c.print(strings.Join(parts, " ") + "\n")
		return 0
	}
	var gs []string
	for _, g := range gids {
		gs = append(gs, fmt.Sprintf("%d(%s)", g, nm.group(g)))
	}
	line := fmt.Sprintf("uid=%d(%s) gid=%d(%s) groups=%s", acct.uid, acct.name, acct.gid, nm.group(acct.gid), strings.Join(gs, ","))
	if c.selinux() && len(o.rest) == 0 {
		line += " context=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023"
	}
	c.print(line + "\n")
	return 0
}

func cmdWhoami(c *cmdCtx) int {
	if len(c.args) > 0 {
		return c.fail(1, "extra operand '%s'\nTry 'whoami --help' for more information.", c.args[0])
	}
	c.print(c.st.acct.name + "\n")
	return 0
}

func cmdGroups(c *cmdCtx) int {
	nm := c.s.names()
	show := func(prefix string, gids []int) {
		var parts []string
		for _, g := range gids {
			parts = append(parts, nm.group(g))
		}
		c.print(prefix + strings.Join(parts, " ") + "\n")
	}
	if len(c.args) == 0 {
		show("", c.st.gids)
		return 0
	}
	status := 0
	for _, u := range c.args {
		a, ok := c.s.lookupAccount(u)
		if !ok {
			c.errorf("'%s': no such user", u)
			status = 1
			continue
		}
		show(u+" : ", c.s.groupsOf(a))
	}
	return status
}

// upString renders uptime the way procps does: "12 days,  3:04" or
// "1:05" or "17 min".
func upString(d time.Duration) string {
	days := int(d.Hours()) / 24
	h := int(d.Hours()) % 24
	m := int(d.Minutes()) % 60
	s := ""
	if days > 0 {
		unit := "days"
		if days == 1 {
			unit = "day"
		}
		s = fmt.Sprintf("%d %s, ", days, unit)
	}
	if h > 0 {
		s += fmt.Sprintf("%2d:%02d", h, m)
	} else {
		s += fmt.Sprintf("%d min", m)
	}
	return s
}

func (c *cmdCtx) uptimeLine() string {
	f := c.fsys()
	l1, l5, l15 := f.loadavg(c.now)
	users := 1 + len(c.s.stack)*0
	return fmt.Sprintf(" %s up %s,  %d user,  load average: %.2f, %.2f, %.2f", c.now.Format("15:04:05"), upString(f.uptime(c.now)), users, l1, l5, l15)
}

func cmdUptime(c *cmdCtx) int {
	f := c.fsys()
	if len(c.args) > 0 {
		switch c.args[0] {
		case "-p", "--pretty":
			d := f.uptime(c.now)
			days, h, m := int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60
			var parts []string
			if w := days / 7; w > 0 {
				parts = append(parts, plural(w, "week"))
				days %= 7
			}
			if days > 0 {
				parts = append(parts, plural(days, "day"))
			}
			if h > 0 {
				parts = append(parts, plural(h, "hour"))
			}
			parts = append(parts, plural(m, "minute"))
			c.print("up " + strings.Join(parts, ", ") + "\n")
			return 0
		case "-s", "--since":
			c.print(f.boot.Format("2006-01-02 15:04:05") + "\n")
			return 0
		}
	}
	c.print(c.uptimeLine() + "\n")
	return 0
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func (c *cmdCtx) remote() string {
	if c.s.remoteIP != "" {
		return c.s.remoteIP
	}
	return "-"
}

func cmdW(c *cmdCtx) int {
	short := slices.Contains(c.args, "-h") || slices.Contains(c.args, "--no-header")
	if !short {
		c.print(c.uptimeLine() + "\n")
		c.print("USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n")
	}
	login := c.s.started.Format("15:04")
	c.printf("%-8s %-8s %-16s %-7s %6s %6s %6s %s\n", c.s.loginName(), c.s.cfg.TTY, c.remote(), login, "0.00s", "0.02s", "0.00s", "w")
	return 0
}

// loginName is the user who logged in (not the one after su).
func (s *Session) loginName() string {
	if len(s.stack) > 0 {
		return s.stack[0].acct.name
	}
	return s.st.acct.name
}

func cmdWho(c *cmdCtx) int {
	if len(c.args) > 0 && (c.args[0] == "-b" || c.args[0] == "--boot") {
		c.printf("         system boot  %s\n", c.fsys().boot.Format("2006-01-02 15:04"))
		return 0
	}
	if len(c.args) == 2 && c.args[0] == "am" {
		c.printf("%-8s %-12s %s (%s)\n", c.s.loginName(), c.s.cfg.TTY, c.s.started.Format("2006-01-02 15:04"), c.remote())
		return 0
	}
	c.printf("%-8s %-12s %s (%s)\n", c.s.loginName(), c.s.cfg.TTY, c.s.started.Format("2006-01-02 15:04"), c.remote())
	return 0
}

func cmdUsers(c *cmdCtx) int {
	c.print(c.s.loginName() + "\n")
	return 0
}

func cmdLast(c *cmdCtx) int {
	f := c.fsys()
	row := func(user, tty, from string, at time.Time, tail string) {
		c.printf("%-8s %-12s %-16s %s %s\n", capUTF8(user, 8), tty, capUTF8(from, 16), at.Format("Mon Jan _2 15:04"), tail)
	}
	row(c.s.loginName(), c.s.cfg.TTY, c.remote(), c.s.started, "  still logged in")
	for _, l := range f.logins {
		end := l.at.Add(l.dur)
		row(l.user, l.tty, l.from, l.at, fmt.Sprintf("- %s  (%02d:%02d)", end.Format("15:04"), int(l.dur.Hours()), int(l.dur.Minutes())%60))
	}
	row("reboot", "system boot", f.p.KernelRelease, f.boot, "  still running")
	first := f.boot
	c.printf("\nwtmp begins %s\n", first.Format("Mon Jan _2 15:04:05 2006"))
	return 0
}

func cmdLastlog(c *cmdCtx) int {
	c.print("Username         Port     From             Latest\n")
	last := map[string]loginRec{}
	for _, l := range c.fsys().logins {
		if _, ok := last[l.user]; !ok {
			last[l.user] = l
		}
	}
	for _, a := range c.s.passwd() {
		if l, ok := last[a.name]; ok {
			c.printf("%-16s %-8s %-16s %s\n", a.name, l.tty, l.from, l.at.Format("Mon Jan _2 15:04:05 -0700 2006"))
		} else {
			c.printf("%-16s %-25s**Never logged in**\n", a.name, "")
		}
	}
	return 0
}

func cmdHostname(c *cmdCtx) int {
	f := c.fsys()
	h := f.p.Hostname
	if len(c.args) == 0 {
		c.print(h + "\n")
		return 0
	}
	switch c.args[0] {
	case "-I", "--all-ip-addresses":
		c.print(f.net.ip.String() + " \n")
	case "-i", "--ip-address":
		if f.d.family == "debian" {
			c.print("127.0.1.1\n")
		} else {
			c.print(f.net.ip.String() + "\n")
		}
	case "-s", "--short":
		c.print(shortHost(h) + "\n")
	case "-f", "--fqdn", "--long", "-A":
		c.print(h + "\n")
	case "-d", "--domain":
		if i := strings.IndexByte(h, '.'); i > 0 {
			c.print(h[i+1:] + "\n")
		} else {
			c.print("\n")
		}
	default:
		if strings.HasPrefix(c.args[0], "-") {
			return c.fail(1, "invalid option -- '%s'", strings.TrimLeft(c.args[0], "-"))
		}
		if !c.root() {
			return c.fail(1, "you must be root to change the host name")
		}
	}
	return 0
}

func cmdHostnamectl(c *cmdCtx) int {
	f := c.fsys()
	if len(c.args) > 0 && c.args[0] != "status" {
		if !c.root() {
			return c.fail(1, "Could not set property: Interactive authentication required.")
		}
		return 0
	}
	mid, _ := c.v().readFile(rootCred, "/etc/machine-id", c.now)
	vendor, _ := c.v().readFile(rootCred, "/sys/class/dmi/id/sys_vendor", c.now)
	model, _ := c.v().readFile(rootCred, "/sys/class/dmi/id/product_name", c.now)
	virt := strings.ToLower(f.hw.hyper)
	if virt == "vmware" {
		virt = "vmware"
	} else if virt == "microsoft" {
		virt = "microsoft"
	}
	pretty := f.d.lsb[1]
	for _, line := range strings.Split(f.d.osRelease, "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			pretty = strings.Trim(v, `"`)
		}
	}
	arch := strings.ReplaceAll(f.p.Arch, "_", "-")
	c.printf(" Static hostname: %s\n       Icon name: computer-vm\n         Chassis: vm\n      Machine ID: %s\n         Boot ID: %s\n  Virtualization: %s\nOperating System: %s\n          Kernel: Linux %s\n    Architecture: %s\n Hardware Vendor: %s\n  Hardware Model: %s\n",
		f.p.Hostname, strings.TrimSpace(string(mid)), newRNG(f.p.Seed, "bootid").chars(32, lowerHex), virt, pretty, f.p.KernelRelease, arch,
		strings.TrimSpace(string(vendor)), strings.NewReplacer("(", "_", ")", "_").Replace(strings.TrimSpace(string(model))))
	return 0
}

// sessionProcs are the processes this session adds: its sshd, shells and
// the command being run.
func (s *Session) sessionProcs(now time.Time) []proc {
	listener := 0
	for _, p := range s.fs.procs {
		if p.comm == "sshd" || p.comm == "telnetd" || p.comm == "inetd" {
			listener = p.pid
			break
		}
	}
	login := s.loginName()
	ps := []proc{{pid: s.sshdPID, ppid: listener, user: "root", comm: "sshd", args: "sshd: " + login + " [priv]", tty: "?", stat: "Ss", vsz: 17212, rss: 11032, start: s.started}}
	if login != "root" {
		ps = append(ps, proc{pid: s.sshdPID + 2, ppid: s.sshdPID, user: login, comm: "sshd", args: "sshd: " + login + "@" + s.cfg.TTY, tty: "?", stat: "S", vsz: 17344, rss: 6960, start: s.started})
	} else {
		ps[0].args = "sshd: root@" + s.cfg.TTY
	}
	parent := ps[len(ps)-1].pid
	shells := append(slices.Clone(s.stack), s.st)
	for i, st := range shells {
		comm := "bash"
		args := st.name
		if args == "" || !st.login && i > 0 {
			args = "bash"
		}
		if s.fs.d.family == "alpine" {
			comm = "ash"
		}
		ps = append(ps, proc{pid: st.pid, ppid: parent, user: st.acct.name, comm: comm, args: args, tty: s.cfg.TTY, stat: "Ss", vsz: 8936 + i*16, rss: 5420 + i*64, start: s.started})
		parent = st.pid
	}
	return ps
}

// procTable returns every process visible now, minus those killed in this
// session, and the pid of a new process for the command itself.
func (c *cmdCtx) procTable(self string) ([]proc, int) {
	var ps []proc
	for _, p := range c.fsys().procs {
		if !c.s.killed[p.pid] {
			ps = append(ps, p)
		}
	}
	ps = append(ps, c.s.sessionProcs(c.now)...)
	pid := c.fsys().nextPID(c.s.rng.between(1, 4))
	me := proc{pid: pid, ppid: c.st.pid, user: c.st.acct.name, comm: self, args: strings.TrimSpace(self + " " + strings.Join(c.args, " ")),
		tty: c.s.cfg.TTY, stat: "R+", vsz: 10072, rss: 3320, start: c.now}
	ps = append(ps, me)
	for i, text := range c.in.peers {
		if text == c.text {
			continue
		}
		args := text
		if f := strings.Fields(text); len(f) > 0 {
			if a, ok := c.st.aliases[f[0]]; ok {
				args = a + strings.TrimPrefix(text, f[0])
			}
		}
		name := strings.Fields(args + " x")[0]
		ps = append(ps, proc{pid: pid + 1 + i, ppid: c.st.pid, user: c.st.acct.name, comm: baseName(name), args: args,
			tty: c.s.cfg.TTY, stat: "S+", vsz: 6480, rss: 2180, start: c.now})
	}
	return ps, pid
}

func psStart(t, now time.Time) string {
	switch {
	case now.Sub(t) < 24*time.Hour && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("Jan02")
	}
	return t.Format("2006")
}

func psUser(u string) string {
	if len(u) > 8 {
		return u[:7] + "+"
	}
	return u
}

func (c *cmdCtx) memPct(rss int) float64 {
	return float64(rss) * 100 / float64(c.fsys().hw.memKB)
}

func cmdPs(c *cmdCtx) int {
	args := c.args
	bsd := len(args) > 0 && !strings.HasPrefix(args[0], "-")
	flags := ""
	var user, pidList, format string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-u" || a == "-U" || a == "--user":
			if i+1 < len(args) {
				user = args[i+1]
				i++
			}
		case a == "-p" || a == "--pid" || a == "p":
			if i+1 < len(args) {
				pidList = args[i+1]
				i++
			}
		case a == "-o" || a == "o" || a == "-eo" || a == "--format":
			if a == "-eo" {
				flags += "e"
			}
			if i+1 < len(args) {
				format = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--sort"), strings.HasPrefix(a, "--no-headers"), a == "--forest":
			if a == "--no-headers" {
				flags += "H"
			}
		case strings.HasPrefix(a, "-"):
			flags += a[1:]
		default:
			flags += a
		}
	}
	ps, _ := c.procTable("ps")
	if c.fsys().d.family == "alpine" {
		// BusyBox ps ignores most options and lists everything.
		c.print("PID   USER     TIME  COMMAND\n")
		for _, p := range ps {
			c.printf("%5d %-8s %5s %s\n", p.pid, psUser(p.user), cpuTimeShort(p.cpuTime), p.args)
		}
		return 0
	}
	nm := func(p proc) bool { return true }
	wide := strings.Contains(flags, "w") || !c.tty
	all := strings.ContainsAny(flags, "eAax")
	if pidList != "" {
		want := map[int]bool{}
		for _, f := range strings.Split(pidList, ",") {
			n, _ := strconv.Atoi(f)
			want[n] = true
		}
		nm = func(p proc) bool { return want[p.pid] }
	} else if user != "" {
		nm = func(p proc) bool { return p.user == user || strconv.Itoa(c.s.fs.uidOf(p.user)) == user }
	} else if !all {
		nm = func(p proc) bool { return p.tty == c.s.cfg.TTY }
	}
	trim := func(s string, used int) string {
		if wide {
			return s
		}
		if room := 80 - used; room > 0 && len(s) > room {
			return s[:room]
		}
		return s
	}
	cmdOf := func(p proc) string {
		if strings.Contains(flags, "c") && bsd {
			return p.comm
		}
		return p.args
	}
	noHead := strings.Contains(flags, "H")
	switch {
	case format != "":
		cols := strings.Split(strings.ReplaceAll(format, " ", ","), ",")
		var hdr []string
		for _, col := range cols {
			col, _, _ = strings.Cut(col, "=")
			h := map[string]string{"pid": "PID", "ppid": "PPID", "user": "USER", "uid": "UID", "cmd": "CMD", "command": "COMMAND", "args": "COMMAND",
				"comm": "COMMAND", "%cpu": "%CPU", "pcpu": "%CPU", "%mem": "%MEM", "pmem": "%MEM", "etime": "ELAPSED", "stat": "STAT", "tty": "TT",
				"rss": "RSS", "vsz": "VSZ", "start": "STARTED", "time": "TIME", "nlwp": "NLWP", "ni": "NI", "pri": "PRI"}[col]
			if h == "" {
				c.errorf("error: unknown user-defined format specifier \"%s\"", col)
				return 1
			}
			hdr = append(hdr, h)
		}
		rows := [][]string{hdr}
		for _, p := range ps {
			if !nm(p) {
				continue
			}
			var r []string
			for _, col := range cols {
				col, _, _ = strings.Cut(col, "=")
				switch col {
				case "pid":
					r = append(r, strconv.Itoa(p.pid))
				case "ppid":
					r = append(r, strconv.Itoa(p.ppid))
				case "user":
					r = append(r, psUser(p.user))
				case "uid":
					r = append(r, strconv.Itoa(c.s.fs.uidOf(p.user)))
				case "cmd", "command", "args":
					r = append(r, p.args)
				case "comm":
					r = append(r, p.comm)
				case "%cpu", "pcpu":
					r = append(r, fmt.Sprintf("%.1f", p.cpu))
				case "%mem", "pmem":
					r = append(r, fmt.Sprintf("%.1f", c.memPct(p.rss)))
				case "etime":
					r = append(r, etime(c.now.Sub(p.start)))
				case "stat":
					r = append(r, p.stat)
				case "tty":
					r = append(r, p.tty)
				case "rss":
					r = append(r, strconv.Itoa(p.rss))
				case "vsz":
					r = append(r, strconv.Itoa(p.vsz))
				case "start":
					r = append(r, p.start.Format("Mon Jan _2 15:04:05 2006"))
				case "time":
					r = append(r, cpuTime(p.cpuTime))
				case "nlwp":
					r = append(r, "1")
				case "ni":
					r = append(r, "0")
				case "pri":
					r = append(r, "19")
				}
			}
			rows = append(rows, r)
		}
		if noHead {
			rows = rows[1:]
		}
		c.print(alignColumns(rows, func(i int) bool {
			return hdr[i] != "USER" && hdr[i] != "COMMAND" && hdr[i] != "CMD" && hdr[i] != "TT" && hdr[i] != "STAT" && hdr[i] != "STARTED"
		}))
	case bsd && strings.Contains(flags, "u"):
		c.print("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
		for _, p := range ps {
			if !nm(p) {
				continue
			}
			line := fmt.Sprintf("%-8s %7d %4.1f %4.1f %6d %5d %-8s %-4s %5s %6s ", psUser(p.user), p.pid, p.cpu, c.memPct(p.rss), p.vsz, p.rss, p.tty, p.stat, psStart(p.start, c.now), cpuTimeShort(p.cpuTime))
			c.print(line + trim(cmdOf(p), len(line)) + "\n")
		}
	case strings.Contains(flags, "f") || strings.Contains(flags, "F"):
		if !noHead {
			c.print("UID          PID    PPID  C STIME TTY          TIME CMD\n")
		}
		for _, p := range ps {
			if !nm(p) {
				continue
			}
			line := fmt.Sprintf("%-8s %7d %7d %2d %5s %-8s %8s ", psUser(p.user), p.pid, p.ppid, int(p.cpu), psStart(p.start, c.now), p.tty, cpuTime(p.cpuTime))
			c.print(line + trim(p.args, len(line)) + "\n")
		}
	case bsd:
		c.print("    PID TTY      STAT   TIME COMMAND\n")
		for _, p := range ps {
			if !nm(p) {
				continue
			}
			line := fmt.Sprintf("%7d %-8s %-6s %4s ", p.pid, p.tty, p.stat, cpuTimeShort(p.cpuTime))
			c.print(line + trim(cmdOf(p), len(line)) + "\n")
		}
	default:
		if !noHead {
			c.print("    PID TTY          TIME CMD\n")
		}
		for _, p := range ps {
			if !nm(p) {
				continue
			}
			comm := p.comm
			if strings.HasPrefix(p.args, "[") {
				comm = strings.Trim(p.args, "[]")
			}
			c.printf("%7d %-8s %8s %s\n", p.pid, p.tty, cpuTime(p.cpuTime), capUTF8(comm, 15))
		}
	}
	return 0
}

func cpuTime(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

func cpuTimeShort(d time.Duration) string {
	s := int(d.Seconds())
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

func etime(d time.Duration) string {
	s := int(d.Seconds())
	days := s / 86400
	if days > 0 {
		return fmt.Sprintf("%d-%02d:%02d:%02d", days, s/3600%24, s/60%60, s%60)
	}
	if s >= 3600 {
		return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// alignColumns lays out rows (the first is the header) with one space
// between columns; right(i) says column i is right-aligned. The last
// column is never padded.
func alignColumns(rows [][]string, right func(i int) bool) string {
	var w []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(w) {
				w = append(w, 0)
			}
			w[i] = max(w[i], len(cell))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, cell := range r {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch {
			case i == len(r)-1 && !right(i):
				b.WriteString(cell)
			case right(i):
				b.WriteString(strings.Repeat(" ", w[i]-len(cell)) + cell)
			default:
				b.WriteString(cell + strings.Repeat(" ", w[i]-len(cell)))
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func cmdTop(c *cmdCtx) int {
	f := c.fsys()
	n := 0
	for i := 0; i < len(c.args); i++ {
		if c.args[i] == "-n" && i+1 < len(c.args) {
			n, _ = strconv.Atoi(c.args[i+1])
		}
	}
	_ = n
	ps, _ := c.procTable("top")
	m := f.mem(c.now)
	l1, l5, l15 := f.loadavg(c.now)
	running := 1
	c.printf("top - %s up %s,  1 user,  load average: %.2f, %.2f, %.2f\n", c.now.Format("15:04:05"), upString(f.uptime(c.now)), l1, l5, l15)
	c.printf("Tasks: %3d total, %3d running, %3d sleeping,   0 stopped,   0 zombie\n", len(ps), running, len(ps)-running)
	idle := 100 - l1*10
	c.printf("%%Cpu(s): %4.1f us, %4.1f sy,  0.0 ni, %4.1f id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st\n", l1*6, l1*4, idle)
	mib := func(kb int64) float64 { return float64(kb) / 1024 }
	c.printf("MiB Mem : %8.1f total, %8.1f free, %8.1f used, %8.1f buff/cache\n", mib(m.total), mib(m.free), mib(m.used), mib(m.buffers+m.cached))
	c.printf("MiB Swap: %8.1f total, %8.1f free, %8.1f used. %8.1f avail Mem\n\n", mib(m.swapTotal), mib(m.swapFree), 0.0, mib(m.avail))
	c.print("    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n")
	sorted := slices.Clone(ps)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].cpu > sorted[j].cpu })
	limit := len(sorted)
	if c.tty {
		limit = min(limit, 17)
	}
	for _, p := range sorted[:limit] {
		state := byte('S')
		if strings.HasPrefix(p.stat, "R") {
			state = 'R'
		} else if strings.HasPrefix(p.stat, "I") {
			state = 'I'
		}
		pr, ni := "20", 0
		if strings.Contains(p.stat, "<") {
			pr, ni = "0", -20
		}
		t := p.cpuTime
		c.printf("%7d %-9s %2s %3d %7d %6d %6d %c %5.1f %5.1f %9s %s\n", p.pid, psUser(p.user), pr, ni, p.vsz, p.rss, p.rss*2/3, state, p.cpu, c.memPct(p.rss),
			fmt.Sprintf("%d:%02d.%02d", int(t.Minutes()), int(t.Seconds())%60, int(t.Milliseconds()/10)%100), p.comm)
	}
	return 0
}

func humanSize(kb int64, suffix string) string {
	units := []string{"K", "M", "G", "T"}
	v := float64(kb)
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%dK", kb)
	}
	if v < 10 {
		return fmt.Sprintf("%.1f%s%s", v, units[u], suffix)
	}
	return fmt.Sprintf("%.0f%s%s", v, units[u], suffix)
}

func cmdFree(c *cmdCtx) int {
	m := c.fsys().mem(c.now)
	unit := func(kb int64) string { return strconv.FormatInt(kb, 10) }
	for _, a := range c.args {
		switch a {
		case "-m", "--mebi":
			unit = func(kb int64) string { return strconv.FormatInt(kb/1024, 10) }
		case "-g", "--gibi":
			unit = func(kb int64) string { return strconv.FormatInt(kb/1024/1024, 10) }
		case "-b", "--bytes":
			unit = func(kb int64) string { return strconv.FormatInt(kb*1024, 10) }
		case "-h", "--human":
			unit = func(kb int64) string {
				if kb == 0 {
					return "0B"
				}
				return humanSize(kb, "i")
			}
		}
	}
	if c.fsys().d.family == "alpine" {
		c.print("              total        used        free      shared  buff/cache   available\n")
	} else {
		c.print("               total        used        free      shared  buff/cache   available\n")
	}
	c.printf("%-7s%13s%12s%12s%12s%12s%12s\n", "Mem:", unit(m.total), unit(m.used), unit(m.free), unit(m.shared), unit(m.buffers+m.cached), unit(m.avail))
	c.printf("%-7s%13s%12s%12s\n", "Swap:", unit(m.swapTotal), unit(m.swapTotal-m.swapFree), unit(m.swapFree))
	if slices.Contains(c.args, "-t") {
		c.printf("%-7s%13s%12s%12s\n", "Total:", unit(m.total+m.swapTotal), unit(m.used), unit(m.free+m.swapFree))
	}
	return 0
}

func cmdLscpu(c *cmdCtx) int {
	f := c.fsys()
	h := f.hw
	flat := f.p.Distro == "centos7" || f.p.Distro == "ubuntu20"
	cpus := make([]string, h.cores)
	for i := range cpus {
		cpus[i] = strconv.Itoa(i)
	}
	list := strings.Join(cpus, ",")
	if h.cores > 2 {
		list = fmt.Sprintf("0-%d", h.cores-1)
	}
	flags := ""
	for _, line := range strings.Split(f.cpuinfo(), "\n") {
		if v, ok := strings.CutPrefix(line, "flags\t\t: "); ok {
			flags = v
			break
		}
	}
	type row struct {
		indent int
		k, v   string
	}
	rows := []row{
		{0, "Architecture", f.p.Arch}, {1, "CPU op-mode(s)", "32-bit, 64-bit"}, {1, "Address sizes", "40 bits physical, 48 bits virtual"},
		{1, "Byte Order", "Little Endian"}, {0, "CPU(s)", strconv.Itoa(h.cores)}, {1, "On-line CPU(s) list", list},
		{0, "Vendor ID", h.cpuVendor}, {1, "Model name", h.cpuModel}, {2, "CPU family", strconv.Itoa(h.family)},
		{2, "Model", strconv.Itoa(h.model)}, {2, "Thread(s) per core", "1"}, {2, "Core(s) per socket", strconv.Itoa(h.cores)},
		{2, "Socket(s)", "1"}, {2, "Stepping", strconv.Itoa(h.stepping)}, {2, "BogoMIPS", fmt.Sprintf("%.2f", h.bogomips)},
		{2, "Flags", flags}, {0, "Virtualization features", ""}, {1, "Hypervisor vendor", h.hyper}, {1, "Virtualization type", "full"},
		{0, "Caches (sum of all)", ""}, {1, "L1d", fmt.Sprintf("%d KiB (%d instances)", 32*h.cores, h.cores)},
		{1, "L1i", fmt.Sprintf("%d KiB (%d instances)", 32*h.cores, h.cores)}, {1, "L2", fmt.Sprintf("%d MiB (%d instances)", h.cores, h.cores)},
		{1, "L3", fmt.Sprintf("%d MiB (1 instance)", max(h.cache/1024, 16))}, {0, "NUMA", ""}, {1, "NUMA node(s)", "1"},
		{1, "NUMA node0 CPU(s)", list},
	}
	for _, r := range rows {
		if flat {
			if r.v == "" {
				continue
			}
			c.printf("%-23s%s\n", r.k+":", r.v)
			continue
		}
		key := strings.Repeat("  ", r.indent) + r.k + ":"
		c.printf("%-25s%s\n", key, r.v)
	}
	return 0
}

func cmdNproc(c *cmdCtx) int {
	c.printf("%d\n", c.fsys().hw.cores)
	return 0
}

// envOrder is the order a login shell's environment comes in, roughly;
// env prints variables in environment order, not sorted.
var envOrder = []string{"SHELL", "PWD", "LOGNAME", "XDG_SESSION_TYPE", "MOTD_SHOWN", "HOME", "LANG", "SSH_CONNECTION", "XDG_SESSION_CLASS",
	"TERM", "USER", "SHLVL", "XDG_SESSION_ID", "XDG_RUNTIME_DIR", "SSH_CLIENT", "PATH", "MAIL", "SSH_TTY", "OLDPWD"}

func (c *cmdCtx) environ() []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range envOrder {
		if v := c.st.vars[k]; v != nil && v.exported {
			seen[k] = true
			if k == "OLDPWD" && v.val == "" {
				continue
			}
			out = append(out, k+"="+v.val)
		}
	}
	var rest []string
	for k, v := range c.st.vars {
		if v.exported && !seen[k] {
			rest = append(rest, k+"="+v.val)
		}
	}
	slices.Sort(rest)
	out = append(out, rest...)
	return append(out, "_=/usr/bin/"+c.name)
}

func cmdEnv(c *cmdCtx) int {
	args := c.args
	clearEnv := false
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "-i" || a == "-" || a == "--ignore-environment":
			clearEnv = true
		case a == "-u" && len(args) > 1:
			args = args[1:]
		case strings.HasPrefix(a, "-") && a != "-":
		default:
			goto done
		}
		args = args[1:]
	}
done:
	var assigns []string
	for len(args) > 0 && strings.Contains(args[0], "=") && validName(args[0][:strings.IndexByte(args[0], '=')]) {
		assigns = append(assigns, args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		if !clearEnv {
			for _, e := range c.environ() {
				c.print(e + "\n")
			}
		}
		for _, a := range assigns {
			c.print(a + "\n")
		}
		return 0
	}
	st := c.st
	saved := map[string]*shellVar{}
	for _, a := range assigns {
		k, v, _ := strings.Cut(a, "=")
		if old, ok := st.vars[k]; ok {
			cp := *old
			saved[k] = &cp
		} else {
			saved[k] = nil
		}
		st.set(k, v)
		st.export(k)
	}
	defer func() {
		for k, v := range saved {
			if v == nil {
				delete(st.vars, k)
			} else {
				st.vars[k] = v
			}
		}
	}()
	status, _, known := c.in.execFile(args, c.io, c.text)
	if !known && status == 127 {
		return 127
	}
	return status
}

func cmdPrintenv(c *cmdCtx) int {
	if len(c.args) == 0 {
		for _, e := range c.environ() {
			c.print(e + "\n")
		}
		return 0
	}
	status := 0
	for _, k := range c.args {
		if v := c.st.vars[k]; v != nil && v.exported {
			c.print(v.val + "\n")
		} else {
			status = 1
		}
	}
	return status
}

func cmdClear(c *cmdCtx) int {
	c.print("\x1b[H\x1b[2J\x1b[3J")
	return 0
}

// sudoer reports whether the current user may use sudo, and without a
// password.
func (c *cmdCtx) sudoer() (allowed, nopasswd bool) {
	if c.root() {
		return true, true
	}
	name := c.st.acct.name
	if data, err := c.v().readFile(rootCred, "/etc/sudoers.d/90-"+name, c.now); err == nil && strings.Contains(string(data), "NOPASSWD") {
		return true, true
	}
	group := c.fsys().d.sudoGroup
	for _, g := range c.s.groups() {
		if g.name == group && slices.Contains(g.members, name) {
			return true, false
		}
	}
	return false, false
}

// runAs runs argv as acct within this command (sudo, su -c).
func (c *cmdCtx) runAs(acct account, argv []string) int {
	st := c.st
	savedAcct, savedGids := st.acct, st.gids
	st.acct, st.gids = acct, c.s.groupsOf(acct)
	defer func() { st.acct, st.gids = savedAcct, savedGids }()
	status, _, _ := c.in.exec(argv, c.io, c.text)
	return status
}

func cmdSudo(c *cmdCtx) int {
	args := c.args
	target := "root"
	shell, login, list := false, false, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		a := args[0]
		args = args[1:]
		switch {
		case a == "--":
			goto parsed
		case a == "-u" && len(args) > 0:
			target, args = args[0], args[1:]
		case strings.HasPrefix(a, "-u"):
			target = a[2:]
		case a == "-l" || a == "--list":
			list = true
		case a == "-V" || a == "--version":
			c.print("Sudo version 1.9.9\nSudoers policy plugin version 1.9.9\nSudoers file grammar version 48\nSudoers I/O plugin version 1.9.9\nSudoers audit plugin version 1.9.9\n")
			return 0
		case a == "-k" || a == "-K":
			if len(args) == 0 {
				return 0
			}
		case a == "-h" || a == "--help":
			c.print("usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABknS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo -l [-ABknS] [-g group] [-h host] [-p prompt] [-U user] [-u user] [command]\nusage: sudo [-ABbEHknPS] [-r role] [-t type] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i|-s] [<command>]\n")
			return 0
		default:
			if strings.Contains(a, "i") {
				login = true
			}
			if strings.Contains(a, "s") {
				shell = true
			}
		}
	}
parsed:
	if len(args) == 0 && !shell && !login && !list {
		c.print("usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABknS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo -l [-ABknS] [-g group] [-h host] [-p prompt] [-U user] [-u user] [command]\nusage: sudo [-ABbEHknPS] [-r role] [-t type] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i|-s] [<command>]\n")
		return 1
	}
	acct, ok := c.s.lookupAccount(target)
	if !ok {
		return c.fail(1, "unknown user %s", target)
	}
	allowed, nopasswd := c.sudoer()
	run := func(in *interp) int {
		if list {
			c.printf("Matching Defaults entries for %s on %s:\n    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin\\:/snap/bin, use_pty\n\nUser %s may run the following commands on %s:\n    (ALL : ALL) ALL\n",
				c.st.acct.name, shortHost(c.fsys().p.Hostname), c.st.acct.name, shortHost(c.fsys().p.Hostname))
			return 0
		}
		if len(args) == 0 || isShellName(args[0]) && len(args) == 1 || args[0] == "su" && (len(args) == 1 || len(args) == 2 && (args[1] == "-" || args[1] == "root")) {
			if in.depth == 0 && in.sub == 0 {
				cwd := c.st.cwd
				c.s.pushShell(acct, login || len(args) > 0 && args[0] == "su" && len(args) == 2, cwd)
			}
			return 0
		}
		c.in = in
		return c.runAs(acct, args)
	}
	if allowed && (nopasswd || c.s.sudoCached) {
		return run(c.in)
	}
	name := c.st.acct.name
	c.s.ask([]string{"[sudo] password for " + name + ": "}, []bool{false}, func(in *interp, answers []string) {
		c.stdout, c.stderr = in.term, in.term
		c.io = stdio{in: newInput(nil), out: in.term, err: in.term, tty: true}
		c.ctx = in.ctx
		if !allowed {
			fmt.Fprintf(in.term, "%s is not in the sudoers file.  This incident will be reported.\n", name)
			in.s.st.status = 1
			return
		}
		c.s.sudoCached = true
		in.s.st.status = run(in)
	})
	return 0
}

func isShellName(s string) bool {
	switch baseName(s) {
	case "bash", "sh", "dash", "ash", "zsh":
		return true
	}
	return false
}

func cmdSu(c *cmdCtx) int {
	args := c.args
	login := false
	target := "root"
	var cmd string
	hasCmd := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-" || a == "-l" || a == "--login":
			login = true
		case (a == "-c" || a == "--command") && i+1 < len(args):
			cmd, hasCmd = args[i+1], true
			i++
		case a == "-s" && i+1 < len(args):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			target = a
		}
	}
	acct, ok := c.s.lookupAccount(target)
	if !ok {
		return c.fail(1, "user %s does not exist or the user entry does not contain all the required fields", target)
	}
	do := func(in *interp) int {
		if hasCmd {
			c.in = in
			st := c.st
			saved, savedG := st.acct, st.gids
			st.acct, st.gids = acct, c.s.groupsOf(acct)
			defer func() { st.acct, st.gids = saved, savedG }()
			return in.runScript(cmd, "bash", nil, c.io)
		}
		if in.depth == 0 && in.sub == 0 {
			c.s.pushShell(acct, login, c.st.cwd)
		}
		return 0
	}
	if c.root() {
		return do(c.in)
	}
	c.s.ask([]string{"Password: "}, []bool{false}, func(in *interp, answers []string) {
		in.s.sleep(in.ctx, 2*time.Second)
		fmt.Fprintf(in.term, "su: Authentication failure\n")
		in.s.st.status = 1
	})
	return 0
}

func cmdPasswd(c *cmdCtx) int {
	target := c.st.acct.name
	stdinMode := false
	for _, a := range c.args {
		switch {
		case a == "--stdin":
			stdinMode = true
		case strings.HasPrefix(a, "-"):
			if a == "-S" || a == "--status" {
				c.printf("%s P %s 0 99999 7 -1\n", target, c.now.AddDate(0, -2, 0).Format("01/02/2006"))
				return 0
			}
		default:
			target = a
		}
	}
	if _, ok := c.s.lookupAccount(target); !ok {
		return c.fail(1, "user '%s' does not exist", target)
	}
	if target != c.st.acct.name && !c.root() {
		return c.fail(1, "You may not view or modify password information for %s.", target)
	}
	rhel := c.fsys().d.family == "rhel"
	success := "passwd: password updated successfully\n"
	if rhel {
		success = "passwd: all authentication tokens updated successfully.\n"
	}
	if stdinMode && rhel {
		if !c.root() {
			return c.fail(1, "Only root can do that.")
		}
		c.stdin.line()
		c.printf("Changing password for user %s.\n%s", target, success)
		c.s.setPasswordHash(target)
		return 0
	}
	if len(c.stdin.data) > 0 {
		p1, _ := c.stdin.line()
		p2, _ := c.stdin.line()
		c.print("New password: Retype new password: ")
		if p1 != p2 {
			c.print("Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n")
			return 10
		}
		c.print(success)
		c.s.setPasswordHash(target)
		return 0
	}
	prompts := []string{"New password: ", "Retype new password: "}
	echo := []bool{false, false}
	if rhel {
		c.printf("Changing password for user %s.\n", target)
	}
	if !c.root() {
		if !rhel {
			c.printf("Changing password for %s.\n", target)
		}
		prompts = append([]string{"Current password: "}, prompts...)
		echo = append(echo, false)
	}
	c.s.ask(prompts, echo, func(in *interp, a []string) {
		if a[len(a)-1] != a[len(a)-2] {
			fmt.Fprint(in.term, "Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\n")
			in.s.st.status = 10
			return
		}
		fmt.Fprint(in.term, success)
		in.s.setPasswordHash(target)
		in.s.st.status = 0
	})
	return 0
}

// setPasswordHash replaces a user's hash in the session's /etc/shadow with
// a fresh random one, so a changed password shows as changed.
func (s *Session) setPasswordHash(user string) {
	now := s.cfg.Now()
	data, err := s.v.readFile(rootCred, "/etc/shadow", now)
	if err != nil {
		return
	}
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) > 2 && f[0] == user {
			f[1] = "$y$j9T$" + s.rng.chars(22, cryptChars) + "$" + s.rng.chars(43, cryptChars)
			f[2] = strconv.Itoa(daysSince(now))
			lines[i] = strings.Join(f, ":")
		}
	}
	_ = s.v.writeFile(rootCred, "/etc/shadow", []byte(strings.Join(lines, "\n")), false, 0o640, now)
}

func cmdChpasswd(c *cmdCtx) int {
	if !c.root() {
		c.errorf("cannot lock /etc/passwd; try again later.")
		return 1
	}
	for {
		line, ok := c.stdin.line()
		if !ok {
			break
		}
		user, _, found := strings.Cut(line, ":")
		if !found {
			c.errorf("line %d: missing new password", 1)
			return 1
		}
		if _, ok := c.s.lookupAccount(user); !ok {
			c.errorf("(user %s) pam_chauthtok() failed, error:\nAuthentication token manipulation error", user)
			return 1
		}
		c.s.setPasswordHash(user)
	}
	return 0
}

func cmdUseradd(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "mMd:s:g:G:u:c:p:rNUDe:f:k:oK:", false, "create-home", "home-dir=", "shell=", "gid=", "groups=", "uid=", "comment=", "password=", "system", "disabled-password", "gecos=", "ingroup=", "quiet", "home=")
	if !ok {
		return 2
	}
	if len(o.rest) != 1 {
		if c.name == "adduser" {
			return c.fail(1, "Only one or two names allowed.")
		}
		c.print("Usage: useradd [options] LOGIN\n       useradd -D\n       useradd -D [options]\n")
		return 2
	}
	name := o.rest[0]
	if !c.root() {
		if c.name == "adduser" {
			return c.fail(1, "Only root may add a user or group to the system.")
		}
		c.errorf("Permission denied.\n%s: cannot lock /etc/passwd; try again later.", c.name)
		return 1
	}
	if !validUserName(name) {
		return c.fail(3, "invalid user name '%s'", name)
	}
	if _, exists := c.s.lookupAccount(name); exists {
		if c.name == "adduser" {
			return c.fail(1, "The user `%s' already exists.", name)
		}
		return c.fail(9, "user '%s' already exists", name)
	}
	uid := 1000
	for _, a := range c.s.passwd() {
		if a.uid >= uid && a.uid < 60000 {
			uid = a.uid + 1
		}
	}
	if u := o.val('u') + o.longVal("uid"); u != "" {
		if n, err := strconv.Atoi(u); err == nil && n >= 0 {
			uid = n
		}
	}
	home := "/home/" + name
	if h := o.val('d') + o.longVal("home-dir") + o.longVal("home"); h != "" {
		home = h
	}
	shell := o.val('s') + o.longVal("shell")
	if shell == "" {
		shell = "/bin/sh"
		if c.name == "adduser" || c.fsys().d.family == "rhel" {
			shell = c.fsys().d.loginShell
		}
	}
	gecos := o.val('c') + o.longVal("comment") + o.longVal("gecos")
	v := c.v()
	write := func(p, line string) { _ = v.writeFile(rootCred, p, []byte(line), true, 0o644, c.now) }
	write("/etc/passwd", fmt.Sprintf("%s:x:%d:%d:%s:%s:%s\n", name, uid, uid, gecos, home, shell))
	write("/etc/group", fmt.Sprintf("%s:x:%d:\n", name, uid))
	write("/etc/shadow", fmt.Sprintf("%s:!:%d:0:99999:7:::\n", name, daysSince(c.now)))
	if g := o.val('G') + o.longVal("groups"); g != "" {
		for _, grp := range strings.Split(g, ",") {
			c.s.addToGroup(grp, name)
		}
	}
	mkHome := o.has('m') || o.hasLong("create-home") || c.name == "adduser" || c.fsys().d.family == "rhel"
	if mkHome {
		if err := v.mkdir(rootCred, home, 0o750, c.now); err == nil {
			for _, f := range []string{".bashrc", ".profile", ".bash_logout"} {
				if data, err := v.readFile(rootCred, "/etc/skel/"+f, c.now); err == nil {
					_ = v.writeFile(rootCred, home+"/"+f, data, false, 0o644, c.now)
					_ = v.setattr(rootCred, home+"/"+f, false, func(n *node) error { n.uid, n.gid = uid, uid; return nil })
				}
			}
			_ = v.setattr(rootCred, home, false, func(n *node) error { n.uid, n.gid = uid, uid; return nil })
		}
	}
	if c.name != "adduser" || o.hasLong("disabled-password") || o.hasLong("quiet") || c.fsys().d.family == "alpine" {
		return 0
	}
	c.printf("Adding user `%s' ...\nAdding new group `%s' (%d) ...\nAdding new user `%s' (%d) with group `%s' ...\nCreating home directory `%s' ...\nCopying files from `/etc/skel' ...\n", name, name, uid, name, uid, name, home)
	prompts := []string{"New password: ", "Retype new password: "}
	c.s.ask(prompts, []bool{false, false}, func(in *interp, a []string) {
		if a[0] != a[1] {
			fmt.Fprint(in.term, "Sorry, passwords do not match.\npasswd: Authentication token manipulation error\npasswd: password unchanged\nTry again? [y/N] \n")
			return
		}
		fmt.Fprintf(in.term, "passwd: password updated successfully\nChanging the user information for %s\nEnter the new value, or press ENTER for the default\n\tFull Name []: \n\tRoom Number []: \n\tWork Phone []: \n\tHome Phone []: \n\tOther []: \nIs the information correct? [Y/n] \n", name)
		in.s.setPasswordHash(name)
	})
	return 0
}

// addToGroup appends user to the members of group in /etc/group.
func (s *Session) addToGroup(group, user string) bool {
	now := s.cfg.Now()
	data, err := s.v.readFile(rootCred, "/etc/group", now)
	if err != nil {
		return false
	}
	lines := strings.Split(string(data), "\n")
	found := false
	for i, l := range lines {
		f := strings.Split(l, ":")
		if len(f) == 4 && f[0] == group {
			found = true
			members := []string{}
			if f[3] != "" {
				members = strings.Split(f[3], ",")
			}
			if !slices.Contains(members, user) {
				members = append(members, user)
			}
			f[3] = strings.Join(members, ",")
			lines[i] = strings.Join(f, ":")
		}
	}
	if found {
		_ = s.v.writeFile(rootCred, "/etc/group", []byte(strings.Join(lines, "\n")), false, 0o644, now)
	}
	return found
}

func cmdUserdel(c *cmdCtx) int {
	var name string
	for _, a := range c.args {
		if !strings.HasPrefix(a, "-") {
			name = a
		}
	}
	if name == "" {
		c.print("Usage: userdel [options] LOGIN\n")
		return 2
	}
	if !c.root() {
		c.errorf("Permission denied.\n%s: cannot lock /etc/passwd; try again later.", c.name)
		return 1
	}
	if _, ok := c.s.lookupAccount(name); !ok {
		return c.fail(6, "user '%s' does not exist", name)
	}
	for _, f := range []string{"/etc/passwd", "/etc/shadow"} {
		data, err := c.v().readFile(rootCred, f, c.now)
		if err != nil {
			continue
		}
		var keep []string
		for _, l := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(l, name+":") {
				keep = append(keep, l)
			}
		}
		_ = c.v().writeFile(rootCred, f, []byte(strings.Join(keep, "\n")), false, 0o644, c.now)
	}
	return 0
}

func cmdUsermod(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "aG:g:s:d:mL:Uu:l:p:e:c:", false, "append", "groups=", "shell=", "lock", "unlock")
	if !ok {
		return 2
	}
	if len(o.rest) != 1 {
		c.print("Usage: usermod [options] LOGIN\n")
		return 2
	}
	if !c.root() {
		c.errorf("Permission denied.\n%s: cannot lock /etc/passwd; try again later.", c.name)
		return 1
	}
	name := o.rest[0]
	if _, ok := c.s.lookupAccount(name); !ok {
		return c.fail(6, "user '%s' does not exist", name)
	}
	if g := o.val('G') + o.longVal("groups"); g != "" {
		for _, grp := range strings.Split(g, ",") {
			if !c.s.addToGroup(grp, name) {
				return c.fail(6, "group '%s' does not exist", grp)
			}
		}
	}
	return 0
}

func (c *cmdCtx) crontabPath(user string) string {
	return c.fsys().d.cronSpool + "/" + user
}

func cmdCrontab(c *cmdCtx) int {
	user := c.st.acct.name
	args := c.args
	var op, file string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "-u":
			if i+1 < len(args) {
				if !c.root() {
					return c.fail(1, "must be privileged to use -u")
				}
				user = args[i+1]
				i++
			}
		case "-l", "-r", "-e", "-i":
			op = a
		default:
			file = a
		}
	}
	p := c.crontabPath(user)
	v := c.v()
	switch op {
	case "-l":
		data, err := v.readFile(rootCred, p, c.now)
		if err != nil || len(data) == 0 {
			fmt.Fprintf(c.stderr, "no crontab for %s\n", user)
			return 1
		}
		c.print(string(data))
		return 0
	case "-r":
		if err := v.remove(rootCred, p, false, c.now); err != nil {
			fmt.Fprintf(c.stderr, "no crontab for %s\n", user)
			return 1
		}
		return 0
	case "-e":
		if _, err := v.readFile(rootCred, p, c.now); err != nil {
			fmt.Fprintf(c.stderr, "no crontab for %s - using an empty one\n", user)
		}
		fmt.Fprintf(c.stderr, "No modification made\n")
		return 0
	}
	var data []byte
	if file == "" || file == "-" {
		data = c.stdin.rest()
	} else {
		d, err := c.readFile(file)
		if err != nil {
			return c.fail(1, "%s: %s", file, strerror(err))
		}
		data = d
	}
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "@") || strings.Contains(strings.SplitN(t, " ", 2)[0], "=") {
			continue
		}
		if len(strings.Fields(t)) < 6 {
			name := file
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(c.stderr, "\"%s\":%d: bad minute\nerrors in crontab file, can't install.\n", name, i+1)
			return 1
		}
	}
	if err := v.writeFile(rootCred, p, data, false, 0o600, c.now); err != nil {
		return c.fail(1, "%s: %s", p, strerror(err))
	}
	_ = v.setattr(rootCred, p, false, func(n *node) error { n.uid = c.fsys().uidOf(user); return nil })
	return 0
}

func cmdPkill(c *cmdCtx) int {
	var pats []string
	full := false
	for _, a := range c.args {
		switch {
		case a == "-f":
			full = true
		case strings.HasPrefix(a, "-"):
		default:
			pats = append(pats, a)
		}
	}
	if len(pats) == 0 {
		if c.name == "killall" {
			fmt.Fprintf(c.stderr, "Usage: killall [OPTION]... [--] NAME...\n")
		} else {
			fmt.Fprintf(c.stderr, "%s: no matching criteria specified\nTry `%s --help' for more information.\n", c.name, c.name)
		}
		return 2
	}
	ps, self := c.procTable(c.name)
	found := false
	status := 1
	for _, pat := range pats {
		matched := false
		for _, p := range ps {
			if p.pid == self || strings.HasPrefix(p.args, "[") {
				continue
			}
			hay := p.comm
			if full {
				hay = p.args
			}
			if c.name == "killall" && hay != pat || c.name != "killall" && !strings.Contains(hay, pat) {
				continue
			}
			matched, found = true, true
			if c.name == "pgrep" {
				if slices.Contains(c.args, "-a") || slices.Contains(c.args, "-l") {
					c.printf("%d %s\n", p.pid, map[bool]string{true: p.args, false: p.comm}[slices.Contains(c.args, "-a")])
				} else {
					c.printf("%d\n", p.pid)
				}
				continue
			}
			if !c.root() && p.user != c.st.acct.name {
				if c.name == "killall" {
					c.errorf("%s(%d): Operation not permitted", p.comm, p.pid)
				} else {
					c.errorf("killing pid %d failed: Operation not permitted", p.pid)
				}
				continue
			}
			if p.pid > 1 && p.pid != c.st.pid && p.pid != c.s.sshdPID {
				c.s.kill(p.pid)
			}
		}
		if !matched && c.name == "killall" {
			fmt.Fprintf(c.stderr, "%s: no process found\n", pat)
		}
	}
	if found {
		status = 0
	}
	return status
}

// kill hides a process from this session's process table.
func (s *Session) kill(pid int) {
	if s.killed == nil {
		s.killed = map[int]bool{}
	}
	if len(s.killed) < 4096 {
		s.killed[pid] = true
	}
}

func cmdNohup(c *cmdCtx) int {
	args := c.args
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		c.errorf("missing operand\nTry 'nohup --help' for more information.")
		return 125
	}
	io := c.io
	if c.tty {
		target := "nohup.out"
		if err := c.writeFile(target, nil, true); err != nil {
			home, _ := c.st.get("HOME")
			target = home + "/nohup.out"
		}
		fmt.Fprintf(c.stderr, "nohup: ignoring input and appending output to '%s'\n", target)
		sink := newFileSink(c.abs(target))
		io.out, io.tty = sink, false
		defer func() { _ = c.writeFile(target, sink.buf.Bytes(), true) }()
	}
	status, _, known := c.in.execFile(args, io, c.text)
	if !known {
		return 127
	}
	return status
}

// parseDuration reads sleep/timeout durations: a number with an optional
// s, m, h or d suffix.
func parseDuration(s string) (time.Duration, bool) {
	mult := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, mult = s[:len(s)-1], time.Minute
	case strings.HasSuffix(s, "h"):
		s, mult = s[:len(s)-1], time.Hour
	case strings.HasSuffix(s, "d"):
		s, mult = s[:len(s)-1], 24*time.Hour
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != f {
		return 0, false
	}
	if f > 1e9 {
		f = 1e9
	}
	return time.Duration(f * float64(mult)), true
}

func cmdSleep(c *cmdCtx) int {
	if len(c.args) == 0 {
		return c.fail(1, "missing operand\nTry 'sleep --help' for more information.")
	}
	var total time.Duration
	for _, a := range c.args {
		d, ok := parseDuration(a)
		if !ok {
			return c.fail(1, "invalid time interval '%s'\nTry 'sleep --help' for more information.", a)
		}
		total += d
	}
	c.s.sleep(c.ctx, total)
	return 0
}

func cmdTimeout(c *cmdCtx) int {
	args := c.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if (args[0] == "-s" || args[0] == "-k") && len(args) > 1 {
			args = args[1:]
		}
		args = args[1:]
	}
	if len(args) < 2 {
		return c.fail(125, "missing operand\nTry 'timeout --help' for more information.")
	}
	if _, ok := parseDuration(args[0]); !ok {
		return c.fail(125, "invalid time interval '%s'", args[0])
	}
	status, _, _ := c.in.execFile(args[1:], c.io, c.text)
	return status
}

// strftime formats t with the date(1) conversions people use.
func strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] != '%' || i+1 >= len(format) {
			b.WriteByte(format[i])
			continue
		}
		i++
		switch format[i] {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			b.WriteString(t.Format("06"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'e':
			b.WriteString(t.Format("_2"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'I':
			b.WriteString(t.Format("03"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 'p':
			b.WriteString(t.Format("PM"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'N':
			b.WriteString(fmt.Sprintf("%09d", t.Nanosecond()))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'b', 'h':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'j':
			b.WriteString(fmt.Sprintf("%03d", t.YearDay()))
		case 'u':
			wd := int(t.Weekday())
			if wd == 0 {
				wd = 7
			}
			b.WriteString(strconv.Itoa(wd))
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case 'R':
			b.WriteString(t.Format("15:04"))
		case 'D':
			b.WriteString(t.Format("01/02/06"))
		case 'c':
			b.WriteString(t.Format("Mon Jan _2 15:04:05 2006"))
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

func cmdDate(c *cmdCtx) int {
	t := c.now.UTC()
	format := "%a %b %e %H:%M:%S %Z %Y"
	if c.fsys().d.family == "debian" && c.fsys().p.Distro != "ubuntu20" {
		format = "%a %b %e %I:%M:%S %p %Z %Y"
	}
	args := c.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "+"):
			format = a[1:]
		case a == "-u" || a == "--utc":
		case a == "-R" || a == "--rfc-email":
			format = "%a, %d %b %Y %H:%M:%S %z"
		case a == "-I" || a == "--iso-8601":
			format = "%F"
		case (a == "-d" || a == "--date") && i+1 < len(args):
			i++
			if nt, ok := parseDateArg(args[i], t); ok {
				t = nt
			} else {
				return c.fail(1, "invalid date '%s'", args[i])
			}
		case strings.HasPrefix(a, "--date="):
			if nt, ok := parseDateArg(a[7:], t); ok {
				t = nt
			} else {
				return c.fail(1, "invalid date '%s'", a[7:])
			}
		case a == "-s" || strings.HasPrefix(a, "--set"):
			if !c.root() {
				return c.fail(1, "cannot set date: Operation not permitted")
			}
			return 0
		}
	}
	c.print(strftime(format, t) + "\n")
	return 0
}

func parseDateArg(s string, now time.Time) (time.Time, bool) {
	s = strings.TrimSpace(s)
	switch s {
	case "now", "today":
		return now, true
	case "yesterday":
		return now.AddDate(0, 0, -1), true
	case "tomorrow":
		return now.AddDate(0, 0, 1), true
	}
	if strings.HasPrefix(s, "@") {
		if n, err := strconv.ParseInt(s[1:], 10, 64); err == nil {
			return time.Unix(n, 0).UTC(), true
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	f := strings.Fields(s)
	if len(f) >= 2 {
		n, err := strconv.Atoi(f[0])
		if err == nil {
			if len(f) == 3 && f[2] == "ago" {
				n = -n
			}
			switch strings.TrimSuffix(f[1], "s") {
			case "day":
				return now.AddDate(0, 0, n), true
			case "hour":
				return now.Add(time.Duration(n) * time.Hour), true
			case "minute":
				return now.Add(time.Duration(n) * time.Minute), true
			case "week":
				return now.AddDate(0, 0, 7*n), true
			}
		}
	}
	return now, false
}

func cmdLsbRelease(c *cmdCtx) int {
	l := c.fsys().d.lsb
	short := false
	var want []string
	for _, a := range c.args {
		if strings.HasPrefix(a, "--") {
			switch a {
			case "--all":
				want = append(want, "v", "i", "d", "r", "c")
			case "--short":
				short = true
			case "--id":
				want = append(want, "i")
			case "--description":
				want = append(want, "d")
			case "--release":
				want = append(want, "r")
			case "--codename":
				want = append(want, "c")
			}
			continue
		}
		for _, f := range strings.TrimPrefix(a, "-") {
			switch f {
			case 'a':
				want = append(want, "v", "i", "d", "r", "c")
			case 's':
				short = true
			default:
				want = append(want, string(f))
			}
		}
	}
	if len(want) == 0 {
		want = []string{"v"}
	}
	if slices.Contains(want, "v") || slices.Contains(want, "i") || slices.Contains(want, "d") {
		fmt.Fprint(c.stderr, "No LSB modules are available.\n")
	}
	var shortOut []string
	for _, w := range want {
		var k, v string
		switch w {
		case "i":
			k, v = "Distributor ID", l[0]
		case "d":
			k, v = "Description", l[1]
		case "r":
			k, v = "Release", l[2]
		case "c":
			k, v = "Codename", l[3]
		default:
			continue
		}
		if short {
			shortOut = append(shortOut, v)
			continue
		}
		c.printf("%s:\t%s\n", k, v)
	}
	if short {
		c.print(strings.Join(shortOut, " ") + "\n")
	}
	return 0
}

func cmdMount(c *cmdCtx) int {
	args := slices.DeleteFunc(slices.Clone(c.args), func(a string) bool { return a == "-l" || a == "-v" })
	if len(args) == 0 {
		for _, m := range c.fsys().mounts() {
			c.printf("%s on %s type %s (%s)\n", m.dev, m.dir, m.typ, m.opts)
		}
		return 0
	}
	if !c.root() {
		return c.fail(1, "only root can do that")
	}
	last := args[len(args)-1]
	return c.fail(32, "%s: special device %s does not exist.", last, args[0])
}

func cmdUmount(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.print("Usage:\n umount [-hV]\n umount -a [options]\n umount [options] <source> | <directory>\n")
		return 1
	}
	if !c.root() {
		return c.fail(1, "%s: must be superuser to unmount.", c.args[len(c.args)-1])
	}
	return c.fail(32, "%s: not mounted.", c.args[len(c.args)-1])
}

func cmdDmesg(c *cmdCtx) int {
	f := c.fsys()
	if !c.root() && f.d.family != "rhel" && f.p.Distro != "ubuntu20" {
		return c.fail(1, "read kernel buffer failed: Operation not permitted")
	}
	h := f.hw
	mem := f.hw.memKB
	lines := []string{
		"Linux version " + strings.TrimSuffix(f.procVersion(), "\n"),
		"Command line: " + strings.TrimSuffix(f.cmdline(), "\n"),
		"KERNEL supported cpus:",
		"  Intel GenuineIntel",
		"  AMD AuthenticAMD",
		"x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
		"BIOS-provided physical RAM map:",
		fmt.Sprintf("BIOS-e820: [mem 0x0000000000100000-0x%016x] usable", mem*1024),
		"NX (Execute Disable) protection: active",
		"SMBIOS 2.8 present.",
		"Hypervisor detected: " + h.hyper,
		"tsc: Detected " + fmt.Sprintf("%.3f", h.mhz) + " MHz processor",
		fmt.Sprintf("smpboot: Allowing %d CPUs, 0 hotplug CPUs", h.cores),
		fmt.Sprintf("Memory: %dK/%dK available", mem*96/100, mem),
		"smpboot: CPU0: " + h.cpuModel,
		fmt.Sprintf("smp: Brought up 1 node, %d CPUs", h.cores),
		"NET: Registered PF_INET protocol family",
		fmt.Sprintf("EXT4-fs (%s1): mounted filesystem with ordered data mode. Quota mode: none.", h.disk),
		"systemd[1]: Detected virtualization " + strings.ToLower(h.hyper) + ".",
		"systemd[1]: Detected architecture " + strings.ReplaceAll(f.p.Arch, "_", "-") + ".",
		"virtio_net virtio1 " + f.net.iface + ": renamed from eth0",
	}
	ts := []float64{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.000002, 0.011, 0.042, 0.118, 0.126, 0.301, 1.902, 2.114, 2.118, 2.402}
	for i, l := range lines {
		c.printf("[%12.6f] %s\n", ts[i], l)
	}
	return 0
}

func cmdGetent(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.print("Usage: getent [OPTION...] database [key ...]\n")
		return 1
	}
	db, keys := c.args[0], c.args[1:]
	var file string
	switch db {
	case "passwd", "group", "shadow", "gshadow", "services", "protocols", "networks":
		file = "/etc/" + db
	case "hosts", "ahosts":
		file = "/etc/hosts"
	default:
		return c.fail(1, "Unknown database: %s\nTry `getent --help' or `getent --usage' for more information.", db)
	}
	cr := c.cred()
	if db == "shadow" || db == "gshadow" {
		cr = rootCred
		if !c.root() {
			return 0
		}
	}
	data, err := c.v().readFile(cr, file, c.now)
	if err != nil {
		return 2
	}
	found := len(keys) == 0
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if strings.HasPrefix(line, "#") || strings.TrimSpace(line) == "" {
			continue
		}
		if len(keys) == 0 {
			c.print(line + "\n")
			continue
		}
		for _, k := range keys {
			var match bool
			if db == "hosts" || db == "ahosts" {
				match = slices.Contains(strings.Fields(line), k)
			} else {
				f := strings.Split(line, ":")
				match = f[0] == k || len(f) > 2 && f[2] == k
			}
			if match {
				c.print(line + "\n")
				found = true
			}
		}
	}
	if !found {
		return 2
	}
	return 0
}

func cmdArch(c *cmdCtx) int {
	c.print(c.fsys().p.Arch + "\n")
	return 0
}

func cmdTty(c *cmdCtx) int {
	if !c.tty && len(c.stdin.data) > 0 {
		c.print("not a tty\n")
		return 1
	}
	c.print("/dev/" + c.s.cfg.TTY + "\n")
	return 0
}

// cmdReboot ends the session for root (the connection drops as the host
// goes down) and is refused for others.
func cmdReboot(c *cmdCtx) int {
	if slices.Contains(c.args, "-c") || slices.Contains(c.args, "--help") {
		return 0
	}
	if !c.root() {
		switch c.fsys().d.family {
		case "alpine":
			return c.fail(1, "Operation not permitted")
		}
		fmt.Fprintf(c.stderr, "Failed to set wall message, ignoring: Interactive authentication required.\nCall to %s failed: Interactive authentication required.\n", map[string]string{"reboot": "Reboot", "shutdown": "PowerOff", "poweroff": "PowerOff", "halt": "Halt"}[c.name])
		return 1
	}
	if c.name == "shutdown" && !slices.ContainsFunc(c.args, func(a string) bool { return a == "now" || a == "-r" || a == "-h" || a == "+0" }) {
		c.printf("Shutdown scheduled for %s, use 'shutdown -c' to cancel.\n", c.now.Add(time.Minute).Format("Mon 2006-01-02 15:04:05 MST"))
		return 0
	}
	c.s.exited = true
	c.in.flow = flowAbort
	return 0
}

func cmdJournalctl(c *cmdCtx) int {
	f := c.fsys()
	if !c.root() && f.d.family != "rhel" {
		c.print("Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n      Pass -q to turn off this notice.\n")
	}
	host := shortHost(f.p.Hostname)
	c.printf("%s %s systemd[1]: Started Session %d of User %s.\n", c.s.started.Format(time.Stamp), host, c.s.rng.between(10, 900), c.s.loginName())
	return 0
}

func cmdLsblk(c *cmdCtx) int {
	h := c.fsys().hw
	c.print("NAME    MAJ:MIN RM  SIZE RO TYPE MOUNTPOINTS\n")
	c.printf("%-7s   8:0    0 %4dG  0 disk \n", h.disk, h.diskGB)
	c.printf("└─%-5s   8:1    0 %4.1fG  0 part /\n", h.disk+"1", float64(h.diskGB)-0.1)
	return 0
}

func cmdLsmod(c *cmdCtx) int {
	c.print("Module                  Size  Used by\ntls                   114688  0\nnft_chain_nat          16384  0\nnf_nat                 49152  1 nft_chain_nat\nnf_conntrack          172032  1 nf_nat\nnf_tables             249856  2 nft_chain_nat\nnfnetlink              20480  1 nf_tables\nvirtio_net             61440  0\nnet_failover           20480  1 virtio_net\nfailover               16384  1 net_failover\nvirtio_blk             20480  2\next4                  970752  1\n")
	return 0
}
