package shell

import (
	"fmt"
	"slices"
	"strings"
)

func init() {
	deb := onlyFamily("debian")
	register("apt", cmdSpec{fn: cmdApt, bin: "usr/bin", size: 18824, avail: deb})
	register("apt-get", cmdSpec{fn: cmdApt, bin: "usr/bin", size: 51592, avail: deb})
	register("apt-cache", cmdSpec{fn: cmdAptCache, bin: "usr/bin", size: 88072, avail: deb})
	register("dpkg", cmdSpec{fn: cmdDpkg, bin: "usr/bin", size: 318992, avail: deb})
	register("yum", cmdSpec{fn: cmdYum, bin: "usr/bin", size: 801, avail: onlyFamily("rhel")})
	register("dnf", cmdSpec{fn: cmdYum, bin: "usr/bin", size: 2050, avail: func(d *distro) bool { return d.pkg == "dnf" }})
	register("rpm", cmdSpec{fn: cmdRpm, bin: "usr/bin", size: 21696, avail: onlyFamily("rhel")})
	register("apk", cmdSpec{fn: cmdApk, bin: "sbin", size: 76336, avail: onlyFamily("alpine")})
	register("pacman", cmdSpec{fn: cmdPacman, bin: "usr/bin", size: 371392, avail: onlyFamily("arch")})
	register("systemctl", cmdSpec{fn: cmdSystemctl, bin: "bin", size: 1227528, avail: notFamily("alpine")})
	register("service", cmdSpec{fn: cmdService, bin: "usr/sbin", size: 9252})
	register("iptables", cmdSpec{fn: cmdIptables, bin: "usr/sbin", size: 99296})
	register("iptables-save", cmdSpec{fn: cmdIptablesSave, bin: "usr/sbin", size: 99296})
	register("ufw", cmdSpec{fn: cmdUfw, bin: "usr/sbin", size: 4766, avail: func(d *distro) bool { return strings.HasPrefix(d.slug, "ubuntu") }})
	register("firewall-cmd", cmdSpec{fn: cmdFirewallCmd, bin: "usr/bin", size: 96231, avail: func(d *distro) bool { return d.slug == "rocky9" || d.slug == "fedora" }})
}

// pkg is one installed package.
type pkg struct{ name, version, arch, desc string }

func (c *cmdCtx) packages() []pkg {
	var out []pkg
	for _, line := range strings.Split(strings.TrimSpace(c.fsys().d.packages), "\n") {
		f := strings.SplitN(line, " ", 4)
		p := pkg{name: f[0]}
		if len(f) > 1 {
			p.version = f[1]
		}
		if len(f) > 2 {
			p.arch = f[2]
		}
		if len(f) > 3 {
			p.desc = f[3]
		}
		out = append(out, p)
	}
	return out
}

func (c *cmdCtx) installed(name string) (pkg, bool) {
	for _, p := range c.packages() {
		if p.name == name || strings.HasPrefix(p.name, name+"-") && c.fsys().d.family != "debian" {
			return p, true
		}
	}
	return pkg{}, false
}

// pkgSize is a stable, plausible download size in kB for a package name.
func pkgSize(name string) int { return 40 + int(fnv64(name)%4000) }

func cmdApt(c *cmdCtx) int {
	d := c.fsys().d
	args := c.args
	var sub string
	var names []string
	yes := false
	for _, a := range args {
		switch {
		case a == "-y" || a == "--yes" || a == "--assume-yes" || a == "-qy" || a == "-yq":
			yes = true
		case strings.HasPrefix(a, "-"):
		case sub == "":
			sub = a
		default:
			names = append(names, a)
		}
	}
	if sub == "" {
		if c.name == "apt" {
			c.print("apt 2.4.11 (amd64)\nUsage: apt [options] command\n\napt is a commandline package manager and provides commands for\nsearching and managing as well as querying information about packages.\n")
		} else {
			c.print("apt 2.4.11 (amd64)\nUsage: apt-get [options] command\n")
		}
		return 1
	}
	if c.name == "apt" && !c.tty {
		fmt.Fprint(c.stderr, "\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n")
	}
	needRoot := func() bool {
		if c.root() {
			return true
		}
		if sub == "update" {
			c.print("Reading package lists... Done\n")
			fmt.Fprint(c.stderr, "E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n")
			return false
		}
		fmt.Fprint(c.stderr, "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n")
		return false
	}
	codename := d.lsb[3]
	mirror := "http://" + d.mirror
	switch d.slug {
	case "debian":
		mirror += "/debian"
	case "kali":
		mirror += "/kali"
		codename = "kali-rolling"
	default:
		mirror += "/ubuntu"
	}
	switch sub {
	case "update":
		if !needRoot() {
			return 100
		}
		suites := []string{codename, codename + "-updates", codename + "-backports", codename + "-security"}
		if d.slug == "kali" {
			suites = suites[:1]
		}
		for i, s := range suites {
			c.printf("Ign:%d %s %s InRelease\n", i+1, mirror, s)
		}
		c.netWait()
		for i, s := range suites {
			c.printf("Err:%d %s %s InRelease\n  Temporary failure resolving '%s'\n", i+1, mirror, s, d.mirror)
		}
		c.print("Reading package lists... Done\n")
		for _, s := range suites {
			fmt.Fprintf(c.stderr, "W: Failed to fetch %s/dists/%s/InRelease  Temporary failure resolving '%s'\n", mirror, s, d.mirror)
		}
		fmt.Fprint(c.stderr, "W: Some index files failed to download. They have been ignored, or old ones used instead.\n")
		return 0
	case "upgrade", "dist-upgrade", "full-upgrade":
		if !needRoot() {
			return 100
		}
		c.print("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\nCalculating upgrade... Done\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	case "install", "reinstall":
		if !needRoot() {
			return 100
		}
		c.print("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n")
		var missing []string
		for _, n := range names {
			if p, ok := c.installed(n); ok && sub == "install" {
				c.printf("%s is already the newest version (%s).\n", n, p.version)
				continue
			}
			missing = append(missing, n)
		}
		if len(missing) == 0 {
			c.print("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
			return 0
		}
		total := 0
		for _, n := range missing {
			total += pkgSize(n)
		}
		c.printf("The following NEW packages will be installed:\n  %s\n0 upgraded, %d newly installed, 0 to remove and 0 not upgraded.\nNeed to get %s kB of archives.\nAfter this operation, %s kB of additional disk space will be used.\n",
			strings.Join(missing, " "), len(missing), commaInt(total), commaInt(total*3))
		fetch := func(out func(string, ...any), errOut func(string, ...any)) {
			for i, n := range missing {
				out("Err:%d %s %s/main amd64 %s amd64\n  Temporary failure resolving '%s'\n", i+1, mirror, codename, n, d.mirror)
			}
			for _, n := range missing {
				errOut("E: Failed to fetch %s/pool/main/%c/%s/%s_amd64.deb  Temporary failure resolving '%s'\n", mirror, n[0], n, n, d.mirror)
			}
			errOut("E: Unable to fetch some archives, maybe run apt-get update or try with --fix-missing?\n")
		}
		if !yes {
			c.s.ask([]string{"Do you want to continue? [Y/n] "}, []bool{true}, func(in *interp, a []string) {
				ans := strings.ToLower(strings.TrimSpace(a[0]))
				if ans != "" && ans != "y" && ans != "yes" {
					fmt.Fprint(in.term, "Abort.\n")
					in.s.st.status = 1
					return
				}
				p := func(f string, x ...any) { fmt.Fprintf(in.term, f, x...) }
				fetch(p, p)
				in.s.st.status = 100
			})
			return 0
		}
		c.netWait()
		fetch(c.printf, func(f string, x ...any) { fmt.Fprintf(c.stderr, f, x...) })
		return 100
	case "remove", "purge", "autoremove":
		if !needRoot() {
			return 100
		}
		c.print("Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\n")
		for _, n := range names {
			if _, ok := c.installed(n); !ok {
				c.printf("Package '%s' is not installed, so not removed\n", n)
			}
		}
		c.print("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	case "list":
		c.print("Listing... Done\n")
		for _, p := range c.packages() {
			c.printf("%s/%s,now %s %s [installed]\n", p.name, codename, p.version, p.arch)
		}
		return 0
	case "search":
		c.print("Sorting... Done\nFull Text Search... Done\n")
		return 0
	case "show", "policy":
		return cmdAptCache(c)
	}
	fmt.Fprintf(c.stderr, "E: Invalid operation %s\n", sub)
	return 100
}

func commaInt(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cmdAptCache(c *cmdCtx) int {
	var names []string
	for _, a := range c.args[min(1, len(c.args)):] {
		if !strings.HasPrefix(a, "-") {
			names = append(names, a)
		}
	}
	for _, n := range names {
		p, ok := c.installed(n)
		if !ok {
			fmt.Fprintf(c.stderr, "N: Unable to locate package %s\nE: No packages found\n", n)
			return 100
		}
		c.printf("Package: %s\nVersion: %s\nPriority: important\nSection: admin\nArchitecture: %s\nInstalled-Size: %d\nDescription: %s\n\n", p.name, p.version, p.arch, pkgSize(n)*3, p.desc)
	}
	return 0
}

func cmdDpkg(c *cmdCtx) int {
	if len(c.args) == 0 {
		fmt.Fprint(c.stderr, "dpkg: error: need an action option\n\nType dpkg --help for help about installing and deinstalling packages [*];\nUse 'apt' or 'aptitude' for user-friendly package management;\nType dpkg -Dhelp for a list of dpkg debug flag values;\nType dpkg --force-help for a list of forcing options;\nType dpkg-deb --help for help about manipulating *.deb files;\n\nOptions marked [*] produce a lot of output - pipe it through 'less' or 'more' !\n")
		return 2
	}
	switch c.args[0] {
	case "-l", "--list":
		c.print("Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n")
		rows := [][]string{{"||/", "Name", "Version", "Architecture", "Description"}, {"+++-", "", "", "", ""}}
		pat := ""
		if len(c.args) > 1 {
			pat = c.args[1]
		}
		for _, p := range c.packages() {
			if pat != "" && !globMatch(pat, p.name) {
				continue
			}
			rows = append(rows, []string{"ii ", p.name, p.version, p.arch, p.desc})
		}
		if len(rows) == 2 && pat != "" {
			fmt.Fprintf(c.stderr, "dpkg-query: no packages found matching %s\n", pat)
			return 1
		}
		out := alignColumns(rows, func(int) bool { return false })
		ls := strings.Split(out, "\n")
		if len(ls) > 1 {
			w := strings.Split(ls[0], " ")
			_ = w
			ls[1] = strings.Map(func(r rune) rune {
				if r == ' ' {
					return '='
				}
				return r
			}, ls[1])
			ls[1] = "+++-" + strings.TrimPrefix(ls[1], "+++-=")
		}
		c.print(strings.Join(ls, "\n"))
		return 0
	case "-s", "--status":
		if len(c.args) > 1 {
			p, ok := c.installed(c.args[1])
			if !ok {
				fmt.Fprintf(c.stderr, "dpkg-query: package '%s' is not installed and no information is available\n", c.args[1])
				return 1
			}
			c.printf("Package: %s\nStatus: install ok installed\nPriority: important\nArchitecture: %s\nVersion: %s\nDescription: %s\n", p.name, p.arch, p.version, p.desc)
		}
		return 0
	case "-i", "--install":
		if !c.root() {
			return c.fail(2, "error: requested operation requires superuser privilege")
		}
		for _, f := range c.args[1:] {
			data, err := c.readFile(f)
			if err != nil {
				fmt.Fprintf(c.stderr, "dpkg: error: cannot access archive '%s': %s\n", f, strerror(err))
				return 2
			}
			if !strings.HasPrefix(string(data), "!<arch>") {
				fmt.Fprintf(c.stderr, "dpkg-deb: error: '%s' is not a Debian format archive\ndpkg: error processing archive %s (--install):\n dpkg-deb --control subprocess returned error exit status 2\nErrors were encountered while processing:\n %s\n", f, f, f)
				return 1
			}
		}
		return 0
	case "--print-architecture":
		c.print(expandArch("{deb}", c.fsys().p.Arch) + "\n")
		return 0
	}
	return c.fail(2, "error: unknown option %s", c.args[0])
}

func cmdYum(c *cmdCtx) int {
	d := c.fsys().d
	var sub string
	var names []string
	yes := false
	for _, a := range c.args {
		switch {
		case a == "-y" || a == "--assumeyes":
			yes = true
		case strings.HasPrefix(a, "-"):
		case sub == "":
			sub = a
		default:
			names = append(names, a)
		}
	}
	_ = yes
	if sub == "" {
		c.print("usage: " + c.name + " [options] COMMAND\n")
		return 1
	}
	if (sub == "install" || sub == "update" || sub == "upgrade" || sub == "remove" || sub == "erase") && !c.root() {
		if d.slug == "centos7" {
			c.print("Loaded plugins: fastestmirror, ovl\nYou need to be root to perform this command.\n")
		} else {
			fmt.Fprint(c.stderr, "Error: This command has to be run with superuser privileges (under the root user on most systems).\n")
		}
		return 1
	}
	repo := map[string]string{"rocky9": "Rocky Linux 9 - BaseOS", "fedora": "Fedora 39 - x86_64"}[d.slug]
	switch sub {
	case "install", "update", "upgrade", "makecache", "search", "info":
		c.netWait()
		if d.slug == "centos7" {
			c.printf("Loaded plugins: fastestmirror\nDetermining fastest mirrors\nCould not retrieve mirrorlist http://mirrorlist.centos.org/?release=7&arch=x86_64&repo=os&infra=stock error was\n14: curl#6 - \"Could not resolve host: mirrorlist.centos.org; Unknown error\"\n\n\n One of the configured repositories failed (Unknown),\n and yum doesn't have enough cached data to continue. At this point the only\n safe thing yum can do is fail. There are a few ways to work \"fix\" this:\n\n     1. Contact the upstream for the repository and get them to fix the problem.\n\nCannot find a valid baseurl for repo: base/7/x86_64\n")
			return 1
		}
		c.printf("%-48s 0.0  B/s |   0  B     00:%02d    \n", repo, 2+c.s.rng.intn(8))
		fmt.Fprintf(c.stderr, "Errors during downloading metadata for repository 'baseos':\n  - Curl error (6): Couldn't resolve host name for https://%s/mirrorlist?arch=x86_64&repo=BaseOS-9 [Could not resolve host: %s]\nError: Failed to download metadata for repo 'baseos': Cannot prepare internal mirrorlist: Curl error (6): Couldn't resolve host name for https://%s/mirrorlist?arch=x86_64&repo=BaseOS-9 [Could not resolve host: %s]\n", d.mirror, d.mirror, d.mirror, d.mirror)
		return 1
	case "list":
		c.print("Installed Packages\n")
		for _, p := range c.packages() {
			c.printf("%s\n", p.name)
		}
		return 0
	case "remove", "erase":
		c.print("No match for argument: " + strings.Join(names, " ") + "\nNo packages marked for removal.\nDependencies resolved.\nNothing to do.\nComplete!\n")
		return 0
	}
	fmt.Fprintf(c.stderr, "No such command: %s. Please use /usr/bin/%s --help\n", sub, c.name)
	return 1
}

func cmdRpm(c *cmdCtx) int {
	if len(c.args) > 0 && (strings.HasPrefix(c.args[0], "-q")) {
		if strings.Contains(c.args[0], "a") || len(c.args) == 1 {
			for _, p := range c.packages() {
				c.print(p.name + "\n")
			}
			return 0
		}
		status := 0
		for _, n := range c.args[1:] {
			if p, ok := c.installed(n); ok {
				c.print(p.name + "\n")
			} else {
				c.printf("package %s is not installed\n", n)
				status = 1
			}
		}
		return status
	}
	if len(c.args) > 0 && strings.HasPrefix(c.args[0], "-i") || len(c.args) > 0 && strings.HasPrefix(c.args[0], "-U") {
		if !c.root() {
			return c.fail(1, "error: can't create transaction lock on /var/lib/rpm/.rpm.lock (Permission denied)")
		}
		for _, f := range c.args[1:] {
			c.printf("error: %s: not an rpm package (or package manifest)\n", f)
		}
		return 1
	}
	c.print("RPM version 4.16.1.3\n")
	return 0
}

func cmdApk(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.print("apk-tools 2.14.0, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n")
		return 1
	}
	sub := c.args[0]
	var names []string
	for _, a := range c.args[1:] {
		if !strings.HasPrefix(a, "-") {
			names = append(names, a)
		}
	}
	if (sub == "add" || sub == "update" || sub == "upgrade" || sub == "del") && !c.root() {
		fmt.Fprint(c.stderr, "ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied\n")
		return 99
	}
	switch sub {
	case "update", "add", "upgrade":
		for _, r := range []string{"main", "community"} {
			c.printf("fetch https://dl-cdn.alpinelinux.org/alpine/v3.19/%s/x86_64/APKINDEX.tar.gz\n", r)
		}
		c.netWait()
		for _, r := range []string{"main", "community"} {
			fmt.Fprintf(c.stderr, "WARNING: updating and opening https://dl-cdn.alpinelinux.org/alpine/v3.19/%s: temporary error (try again later)\n", r)
		}
		if sub == "add" && len(names) > 0 {
			fmt.Fprint(c.stderr, "ERROR: unable to select packages:\n")
			for _, n := range names {
				fmt.Fprintf(c.stderr, "  %s (no such package):\n    required by: world[%s]\n", n, n)
			}
			return len(names)
		}
		c.printf("%d unavailable, 0 stale; %d distinct packages available\n", 2, 0)
		return 2
	case "info":
		for _, p := range c.packages() {
			name := p.name
			if i := strings.LastIndex(name, "-"); i > 0 {
				if j := strings.LastIndex(name[:i], "-"); j > 0 {
					name = name[:j]
				}
			}
			c.print(name + "\n")
		}
		return 0
	case "del":
		return 0
	}
	fmt.Fprintf(c.stderr, "apk-tools 2.14.0, compiled for x86_64.\n\nERROR: unknown command '%s'\n", sub)
	return 1
}

func cmdPacman(c *cmdCtx) int {
	if len(c.args) == 0 {
		fmt.Fprint(c.stderr, "error: no operation specified (use -h for help)\n")
		return 1
	}
	op := c.args[0]
	switch {
	case strings.HasPrefix(op, "-Q"):
		names := c.args[1:]
		status := 0
		for _, p := range c.packages() {
			if len(names) == 0 {
				c.printf("%s %s\n", p.name, p.version)
			}
		}
		for _, n := range names {
			if p, ok := c.installed(n); ok {
				c.printf("%s %s\n", p.name, p.version)
			} else {
				fmt.Fprintf(c.stderr, "error: package '%s' was not found\n", n)
				status = 1
			}
		}
		return status
	case strings.HasPrefix(op, "-S"), strings.HasPrefix(op, "-U"), strings.HasPrefix(op, "-R"):
		if !c.root() {
			fmt.Fprint(c.stderr, "error: you cannot perform this operation unless you are root.\n")
			return 1
		}
		if strings.Contains(op, "y") || strings.HasPrefix(op, "-S") {
			c.print(":: Synchronizing package databases...\n")
			c.netWait()
			for _, db := range []string{"core", "extra"} {
				fmt.Fprintf(c.stderr, "error: failed retrieving file '%s.db' from geo.mirror.pkgbuild.com : Could not resolve host: geo.mirror.pkgbuild.com\n", db)
			}
			fmt.Fprint(c.stderr, "error: failed to synchronize all databases (unexpected error)\n")
			return 1
		}
		return 0
	}
	fmt.Fprintf(c.stderr, "error: invalid option '%s'\n", op)
	return 1
}

// unit describes a systemd unit the persona has.
type unit struct{ name, desc, pid, main string }

func (c *cmdCtx) units() []unit {
	f := c.fsys()
	var us []unit
	add := func(name, desc, comm string) {
		for _, p := range f.procs {
			if p.comm == comm && !c.s.killed[p.pid] {
				us = append(us, unit{name, desc, fmt.Sprint(p.pid), p.args})
				return
			}
		}
	}
	add(f.d.sshUnit+".service", "OpenBSD Secure Shell server", "sshd")
	add("cron.service", "Regular background program processing daemon", "cron")
	add("crond.service", "Command Scheduler", "crond")
	add("rsyslog.service", "System Logging Service", "rsyslogd")
	add("systemd-journald.service", "Journal Service", "systemd-journal")
	add("systemd-logind.service", "User Login Management", "systemd-logind")
	add("systemd-resolved.service", "Network Name Resolution", "systemd-resolve")
	add("systemd-networkd.service", "Network Configuration", "systemd-network")
	add("NetworkManager.service", "Network Manager", "NetworkManager")
	add("chronyd.service", "NTP client/server", "chronyd")
	add("dbus.service", "D-Bus System Message Bus", "dbus-daemon")
	add("nginx.service", "A high performance web server and a reverse proxy server", "nginx")
	add("mysql.service", "MySQL Community Server", "mysqld")
	add("postgresql.service", "PostgreSQL RDBMS", "postgres")
	add("redis-server.service", "Advanced key-value store", "redis-server")
	add("vsftpd.service", "vsftpd FTP server", "vsftpd")
	add("docker.service", "Docker Application Container Engine", "dockerd")
	add("postfix.service", "Postfix Mail Transport Agent", "master")
	return us
}

func (c *cmdCtx) findUnit(name string) (unit, bool) {
	if !strings.Contains(name, ".") {
		name += ".service"
	}
	aliases := map[string]string{"sshd.service": "ssh.service", "ssh.service": "sshd.service"}
	for _, u := range c.units() {
		if u.name == name || aliases[name] == u.name {
			return u, true
		}
	}
	return unit{}, false
}

func cmdSystemctl(c *cmdCtx) int {
	var args []string
	for _, a := range c.args {
		if !strings.HasPrefix(a, "-") {
			args = append(args, a)
		}
	}
	if len(args) == 0 {
		args = []string{"list-units"}
	}
	sub := args[0]
	switch sub {
	case "list-units", "list-unit-files":
		c.print("  UNIT                                   LOAD   ACTIVE SUB     DESCRIPTION\n")
		us := c.units()
		for _, u := range us {
			c.printf("  %-38s loaded active running %s\n", u.name, u.desc)
		}
		c.printf("\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values depend on unit type.\n\n%d loaded units listed. Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'systemctl list-unit-files'.\n", len(us))
		return 0
	case "status":
		if len(args) == 1 {
			c.printf("● %s\n    State: running\n     Jobs: 0 queued\n   Failed: 0 units\n    Since: %s; %s ago\n", c.fsys().p.Hostname, c.fsys().boot.Format("Mon 2006-01-02 15:04:05 MST"), upString(c.fsys().uptime(c.now)))
			return 0
		}
		status := 0
		for _, n := range args[1:] {
			u, ok := c.findUnit(n)
			if !ok {
				fmt.Fprintf(c.stderr, "Unit %s could not be found.\n", strings.TrimSuffix(n, ".service")+".service")
				status = 4
				continue
			}
			since := c.fsys().boot.Add(5 * 1e9)
			c.printf("● %s - %s\n     Loaded: loaded (/lib/systemd/system/%s; enabled; vendor preset: enabled)\n     Active: active (running) since %s; %s ago\n   Main PID: %s (%s)\n      Tasks: 1 (limit: %d)\n     Memory: %.1fM\n        CPU: %dms\n     CGroup: /system.slice/%s\n             └─%s %s\n",
				u.name, u.desc, u.name, since.Format("Mon 2006-01-02 15:04:05 MST"), upString(c.now.Sub(since)), u.pid, strings.Fields(u.main)[0], c.fsys().hw.memKB/1000, 2.1+float64(fnv64(u.name)%400)/10, 100+fnv64(u.name)%9000, u.name, u.pid, u.main)
		}
		return status
	case "is-active":
		if len(args) > 1 {
			if _, ok := c.findUnit(args[1]); ok {
				c.print("active\n")
				return 0
			}
		}
		c.print("inactive\n")
		return 3
	case "is-enabled":
		if len(args) > 1 {
			if _, ok := c.findUnit(args[1]); ok {
				c.print("enabled\n")
				return 0
			}
		}
		c.print("disabled\n")
		return 1
	case "start", "stop", "restart", "reload", "enable", "disable", "mask", "unmask", "daemon-reload", "kill":
		target := ""
		if len(args) > 1 {
			target = args[1]
			if !strings.Contains(target, ".") {
				target += ".service"
			}
		}
		if !c.root() {
			verb := map[string]string{"start": "start", "stop": "stop", "restart": "restart", "reload": "reload", "kill": "kill"}[sub]
			if verb == "" {
				fmt.Fprintf(c.stderr, "Failed to %s unit: Interactive authentication required.\n", sub)
				return 1
			}
			fmt.Fprintf(c.stderr, "Failed to %s %s: Interactive authentication required.\nSee system logs and 'systemctl status %s' for details.\n", verb, target, target)
			return 1
		}
		if sub == "daemon-reload" {
			return 0
		}
		if target == "" {
			fmt.Fprintf(c.stderr, "Too few arguments.\n")
			return 1
		}
		if _, ok := c.findUnit(target); !ok {
			if sub == "enable" || sub == "disable" {
				fmt.Fprintf(c.stderr, "Failed to %s unit: Unit file %s does not exist.\n", sub, target)
			} else {
				fmt.Fprintf(c.stderr, "Failed to %s %s: Unit %s not found.\n", sub, target, target)
			}
			return 5
		}
		if sub == "enable" {
			c.printf("Synchronizing state of %s with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install enable %s\n", target, strings.TrimSuffix(target, ".service"))
		}
		return 0
	}
	fmt.Fprintf(c.stderr, "Unknown command verb %s.\n", sub)
	return 1
}

func cmdService(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.print("Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n")
		return 1
	}
	if c.args[0] == "--status-all" {
		for _, u := range c.units() {
			c.printf(" [ + ]  %s\n", strings.TrimSuffix(u.name, ".service"))
		}
		return 0
	}
	if c.fsys().d.family == "alpine" {
		if len(c.args) > 1 && !c.root() {
			return c.fail(1, "superuser access required")
		}
		c.printf(" * service %s does not exist\n", c.args[0])
		return 1
	}
	name := c.args[0]
	verb := "status"
	if len(c.args) > 1 {
		verb = c.args[1]
	}
	saved := c.args
	c.args = []string{verb, name}
	defer func() { c.args = saved }()
	return cmdSystemctl(c)
}

// firewallState keeps the rules a session added with iptables, so -L shows
// them back.
func cmdIptables(c *cmdCtx) int {
	if !c.root() {
		fmt.Fprint(c.stderr, "iptables v1.8.7 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n\n")
		return 4
	}
	args := c.args
	table := "filter"
	for i := 0; i < len(args); i++ {
		if args[i] == "-t" && i+1 < len(args) {
			table = args[i+1]
		}
	}
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-L", "--list", "-S", "--list-rules", "-nL", "-Ln", "-nvL", "-vnL", "-L-n":
			chains := []string{"INPUT", "FORWARD", "OUTPUT"}
			if table == "nat" {
				chains = []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}
			}
			if args[i] == "-S" || args[i] == "--list-rules" {
				for _, ch := range chains {
					c.printf("-P %s ACCEPT\n", ch)
				}
				for _, r := range c.s.fwRules {
					c.print(r + "\n")
				}
				return 0
			}
			for j, ch := range chains {
				if j > 0 {
					c.print("\n")
				}
				c.printf("Chain %s (policy ACCEPT)\ntarget     prot opt source               destination         \n", ch)
				for _, r := range c.s.fwRules {
					if strings.Contains(r, "-A "+ch+" ") {
						tgt := "ACCEPT"
						if k := strings.Index(r, "-j "); k >= 0 {
							tgt = strings.Fields(r[k+3:])[0]
						}
						c.printf("%-10s all  --  anywhere             anywhere            \n", tgt)
					}
				}
			}
			return 0
		case "-F", "--flush", "-X", "-Z":
			c.s.fwRules = nil
			return 0
		case "-A", "-I", "--append", "--insert":
			if len(c.s.fwRules) < 256 {
				c.s.fwRules = append(c.s.fwRules, strings.Join(append([]string{"-A"}, args[i+1:]...), " "))
			}
			return 0
		case "-D", "--delete", "-P", "--policy", "-N":
			return 0
		case "-V", "--version":
			c.print("iptables v1.8.7 (nf_tables)\n")
			return 0
		}
	}
	if len(args) == 0 {
		fmt.Fprint(c.stderr, "iptables v1.8.7 (nf_tables): no command specified\nTry `iptables -h' or 'iptables --help' for more information.\n")
		return 2
	}
	return 0
}

func cmdIptablesSave(c *cmdCtx) int {
	if !c.root() {
		fmt.Fprint(c.stderr, "iptables-save v1.8.7 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n")
		return 1
	}
	c.printf("# Generated by iptables-save v1.8.7 on %s\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", c.now.Format("Mon Jan _2 15:04:05 2006"))
	for _, r := range c.s.fwRules {
		c.print(r + "\n")
	}
	c.printf("COMMIT\n# Completed on %s\n", c.now.Format("Mon Jan _2 15:04:05 2006"))
	return 0
}

func cmdUfw(c *cmdCtx) int {
	if !c.root() {
		return c.fail(1, "ERROR: You need to be root to run this script")
	}
	if len(c.args) > 0 && c.args[0] == "status" {
		c.print("Status: inactive\n")
		return 0
	}
	if slices.Contains(c.args, "disable") {
		c.print("Firewall stopped and disabled on system startup\n")
		return 0
	}
	c.print("Rules updated\nRules updated (v6)\n")
	return 0
}

func cmdFirewallCmd(c *cmdCtx) int {
	if !c.root() {
		c.print("Authorization failed.\n    Make sure polkit agent is running or run the application as superuser.\n")
		return 252
	}
	if slices.Contains(c.args, "--state") {
		c.print("not running\n")
		return 252
	}
	c.print("FirewallD is not running\n")
	return 252
}
