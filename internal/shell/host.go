package shell

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// hardware is the seeded machine a decky claims to be.
type hardware struct {
	cpuModel  string
	cpuVendor string
	family    int
	model     int
	stepping  int
	mhz       float64
	cache     int // KiB
	cores     int
	memKB     int64
	diskGB    int
	diskUsed  int // percent
	disk      string
	bogomips  float64
	hyper     string
}

// netConf is the decky's single interface, gateway and resolver.
type netConf struct {
	iface  string
	alt    string
	ip     netip.Addr
	prefix int
	gw     netip.Addr
	mac    string
	gwMAC  string
	dns    string
	rxPk   int64
	rxB    int64
	txPk   int64
	txB    int64
}

// proc is one entry of the process table ps and top show.
type proc struct {
	pid, ppid int
	user      string
	comm      string
	args      string
	tty       string
	stat      string
	vsz, rss  int
	cpu       float64
	start     time.Time
	cpuTime   time.Duration
	listens   []listener
}

// listener is a listening socket as netstat and ss show it.
type listener struct {
	proto string // tcp, tcp6, udp, udp6
	addr  string
	port  int
}

// loginRec is one past login for last and w.
type loginRec struct {
	user, tty, from string
	at              time.Time
	dur             time.Duration
}

// account is a login account of the persona (root and its users).
type account struct {
	name  string
	uid   int
	gid   int
	home  string
	shell string
	gecos string
	sudo  bool
	hash  string
}

var cpuModels = []struct {
	name, vendor        string
	family, model, step int
	mhz                 float64
	cache               int
}{
	{"Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz", "GenuineIntel", 6, 79, 1, 2399.998, 35840},
	{"Intel(R) Xeon(R) CPU E5-2650 v3 @ 2.30GHz", "GenuineIntel", 6, 63, 2, 2299.996, 25600},
	{"Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz", "GenuineIntel", 6, 85, 7, 2095.076, 36608},
	{"Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "GenuineIntel", 6, 85, 7, 2499.998, 36608},
	{"Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz", "GenuineIntel", 6, 85, 7, 2194.842, 16896},
	{"Intel Xeon Processor (Skylake, IBRS)", "GenuineIntel", 6, 85, 4, 2593.906, 16384},
	{"AMD EPYC 7571", "AuthenticAMD", 23, 1, 2, 2199.950, 512},
	{"AMD EPYC 7543 32-Core Processor", "AuthenticAMD", 25, 1, 1, 2794.748, 512},
	{"AMD EPYC-Rome Processor", "AuthenticAMD", 23, 49, 0, 2994.374, 512},
	{"QEMU Virtual CPU version 2.5+", "GenuineIntel", 6, 6, 3, 2399.996, 16384},
}

// buildHost draws the seeded hardware, network, accounts, processes and
// login history. Everything but timestamps depends on the seed alone.
func (f *FS) buildHost() {
	p, d := f.p, f.d
	r := newRNG(p.Seed, "hardware")
	cm := pick(r, cpuModels)
	f.hw = hardware{
		cpuModel: cm.name, cpuVendor: cm.vendor, family: cm.family, model: cm.model, stepping: cm.step,
		mhz: cm.mhz, cache: cm.cache, cores: pick(r, []int{1, 2, 2, 4, 4, 4, 8, 8, 16}),
		memKB:  int64(pick(r, []int{1, 2, 2, 4, 4, 8, 8, 16, 32}))*1024*1024 - int64(r.between(120000, 240000)),
		diskGB: pick(r, []int{20, 25, 30, 40, 50, 80, 100, 160, 250}), diskUsed: r.between(9, 71),
		hyper: pick(r, []string{"KVM", "KVM", "VMware", "Microsoft", "Xen"}),
	}
	f.hw.bogomips = float64(int(cm.mhz*2*100)) / 100
	switch f.hw.hyper {
	case "VMware":
		f.hw.disk = "sda"
	case "Xen":
		f.hw.disk = "xvda"
	default:
		f.hw.disk = pick(r, []string{"vda", "sda", "vda"})
	}

	r = newRNG(p.Seed, "net")
	ip, _ := netip.ParseAddr(p.IP)
	prefix := 24
	if ip.As4()[0] == 10 && r.chance(30) {
		prefix = 16
	}
	pfx, _ := ip.Prefix(prefix)
	gwb := pfx.Addr().As4()
	gwb[3] = 1
	gw := netip.AddrFrom4(gwb)
	if gw == ip {
		gwb[3] = 254
		gw = netip.AddrFrom4(gwb)
	}
	iface := "eth0"
	alt := ""
	switch d.family {
	case "debian", "arch":
		iface = pick(r, []string{"eth0", "ens3", "ens18", "ens160", "enp0s3", "ens5"})
	case "rhel":
		iface = pick(r, []string{"eth0", "ens192", "ens33", "enp1s0", "ens3"})
	}
	if iface == "eth0" && d.family != "alpine" && r.chance(50) {
		alt = "enp0s3"
	}
	macPrefix := map[string]string{"KVM": "52:54:00", "VMware": "00:50:56", "Microsoft": "00:15:5d", "Xen": "00:16:3e"}[f.hw.hyper]
	dns := gw.String()
	if p.Distro == "ubuntu22" || p.Distro == "ubuntu20" {
		dns = "127.0.0.53"
	}
	f.net = netConf{
		iface: iface, alt: alt, ip: ip, prefix: prefix, gw: gw,
		mac:   fmt.Sprintf("%s:%02x:%02x:%02x", macPrefix, r.intn(256), r.intn(256), r.intn(256)),
		gwMAC: fmt.Sprintf("%s:%02x:%02x:%02x", macPrefix, r.intn(256), r.intn(256), r.intn(256)),
		dns:   dns,
		rxPk:  int64(r.between(200000, 9000000)), txPk: int64(r.between(100000, 5000000)),
	}
	f.net.rxB = f.net.rxPk * int64(r.between(300, 1200))
	f.net.txB = f.net.txPk * int64(r.between(150, 900))

	r = newRNG(p.Seed, "boot")
	uptime := time.Duration(r.between(2, 190))*24*time.Hour + time.Duration(r.intn(86400))*time.Second
	f.boot = f.built.Add(-uptime).Truncate(time.Second)

	f.buildAccounts()
	f.buildProcs()
	f.buildLogins()
}

// buildAccounts gives the persona users seeded uids and decides who may
// use sudo.
func (f *FS) buildAccounts() {
	r := newRNG(f.p.Seed, "accounts")
	uid := 1000 + r.intn(25)
	f.accts = []account{{name: "root", uid: 0, gid: 0, home: "/root", shell: f.d.loginShell, gecos: "root", sudo: true, hash: fakeHash(r)}}
	for i, u := range f.p.Users {
		gecos := ""
		if f.d.family == "debian" {
			gecos = ",,,"
		}
		if u == "ubuntu" {
			gecos = "Ubuntu"
		}
		f.accts = append(f.accts, account{
			name: u, uid: uid, gid: uid, home: "/home/" + u, shell: f.d.loginShell, gecos: gecos,
			sudo: i == 0 && r.chance(75) || i > 0 && r.chance(30), hash: fakeHash(r),
		})
		uid += 1 + pick(r, []int{0, 0, 0, 1, 2})
	}
}

// fakeHash is a SHA-512 crypt string in shape only: it is the hash of no
// password, so cracking it wastes the intruder's time, which is the point.
func fakeHash(r *prng) string {
	if r.chance(40) {
		return "$y$j9T$" + r.chars(22, cryptChars) + "$" + r.chars(43, cryptChars)
	}
	return "$6$" + r.chars(16, cryptChars) + "$" + r.chars(86, cryptChars)
}

func (f *FS) users() []account { return f.accts }

// daemon describes a service process a decky service adds.
type daemon struct {
	user, comm, args string
	listens          []listener
	children         []daemon
}

func any4(proto string, port int) listener { return listener{proto, "0.0.0.0", port} }
func any6(proto string, port int) listener { return listener{proto + "6", "::", port} }

// serviceDaemons maps decnet service slugs to the daemons a real host
// would run for them, so ps and netstat agree with a port scan.
func (f *FS) serviceDaemons(slug string) []daemon {
	rhel := f.d.family == "rhel"
	www := "www-data"
	if rhel {
		www = "nginx"
	}
	if f.d.family == "alpine" {
		www = "nginx"
	}
	sbin := "/usr/sbin"
	if f.d.family == "arch" {
		sbin = "/usr/bin"
	}
	switch slug {
	case "ssh":
		args := "sshd: " + sbin + "/sshd -D [listener] 0 of 10-100 startups"
		switch f.p.Distro {
		case "centos7":
			args = "/usr/sbin/sshd -D"
		case "alpine":
			args = "sshd: /usr/sbin/sshd [listener] 0 of 10-100 startups"
		}
		return []daemon{{user: "root", comm: "sshd", args: args, listens: []listener{any4("tcp", 22), any6("tcp", 22)}}}
	case "telnet":
		if f.d.family == "alpine" {
			return []daemon{{user: "root", comm: "telnetd", args: "/usr/sbin/telnetd -F -l /bin/login", listens: []listener{any6("tcp", 23)}}}
		}
		return []daemon{{user: "root", comm: "inetd", args: "/usr/sbin/inetd -i", listens: []listener{any4("tcp", 23)}}}
	case "http", "https":
		ports := []listener{any4("tcp", 80), any6("tcp", 80)}
		if slug == "https" {
			ports = []listener{any4("tcp", 443), any6("tcp", 443)}
		}
		var kids []daemon
		for range min(f.hw.cores, 4) {
			kids = append(kids, daemon{user: www, comm: "nginx", args: "nginx: worker process"})
		}
		return []daemon{{user: "root", comm: "nginx", args: "nginx: master process /usr/sbin/nginx -g daemon on; master_process on;", listens: ports, children: kids}}
	case "ftp":
		return []daemon{{user: "root", comm: "vsftpd", args: "/usr/sbin/vsftpd /etc/vsftpd.conf", listens: []listener{any4("tcp", 21)}}}
	case "mysql":
		return []daemon{{user: "mysql", comm: "mysqld", args: "/usr/sbin/mysqld", listens: []listener{any4("tcp", 3306), {"tcp", "127.0.0.1", 33060}}}}
	case "postgres":
		base := "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main -c config_file=/etc/postgresql/15/main/postgresql.conf"
		if rhel {
			base = "/usr/bin/postgres -D /var/lib/pgsql/data"
		}
		var kids []daemon
		for _, k := range []string{"checkpointer", "background writer", "walwriter", "autovacuum launcher", "logical replication launcher"} {
			kids = append(kids, daemon{user: "postgres", comm: "postgres", args: "postgres: 15/main: " + k})
		}
		return []daemon{{user: "postgres", comm: "postgres", args: base, listens: []listener{any4("tcp", 5432), any6("tcp", 5432)}, children: kids}}
	case "redis":
		return []daemon{{user: "redis", comm: "redis-server", args: "/usr/bin/redis-server 0.0.0.0:6379", listens: []listener{any4("tcp", 6379)}}}
	case "mongodb":
		return []daemon{{user: "mongodb", comm: "mongod", args: "/usr/bin/mongod --config /etc/mongod.conf", listens: []listener{any4("tcp", 27017)}}}
	case "smtp", "smtp_relay":
		return []daemon{{user: "root", comm: "master", args: "/usr/lib/postfix/sbin/master -w", listens: []listener{any4("tcp", 25), any6("tcp", 25)},
			children: []daemon{{user: "postfix", comm: "pickup", args: "pickup -l -t unix -u -c"}, {user: "postfix", comm: "qmgr", args: "qmgr -l -t unix -u"}}}}
	case "pop3", "imap":
		ports := []listener{any4("tcp", 110), any4("tcp", 995)}
		if slug == "imap" {
			ports = []listener{any4("tcp", 143), any4("tcp", 993)}
		}
		return []daemon{{user: "root", comm: "dovecot", args: "/usr/sbin/dovecot -F", listens: ports}}
	case "docker_api":
		return []daemon{
			{user: "root", comm: "containerd", args: "/usr/bin/containerd"},
			{user: "root", comm: "dockerd", args: "/usr/bin/dockerd -H fd:// -H tcp://0.0.0.0:2375 --containerd=/run/containerd/containerd.sock", listens: []listener{any6("tcp", 2375)}},
		}
	case "smb":
		return []daemon{{user: "root", comm: "smbd", args: "/usr/sbin/smbd --foreground --no-process-group", listens: []listener{any4("tcp", 445), any4("tcp", 139)}},
			{user: "root", comm: "nmbd", args: "/usr/sbin/nmbd --foreground --no-process-group", listens: []listener{any4("udp", 137), any4("udp", 138)}}}
	case "snmp":
		return []daemon{{user: "Debian-snmp", comm: "snmpd", args: "/usr/sbin/snmpd -LOw -u Debian-snmp -g Debian-snmp -I -smux mteTrigger mteTriggerConf -f -p /run/snmpd.pid", listens: []listener{any4("udp", 161)}}}
	case "mqtt":
		return []daemon{{user: "mosquitto", comm: "mosquitto", args: "/usr/sbin/mosquitto -c /etc/mosquitto/mosquitto.conf", listens: []listener{any4("tcp", 1883), any6("tcp", 1883)}}}
	case "ldap":
		return []daemon{{user: "openldap", comm: "slapd", args: "/usr/sbin/slapd -h ldap:/// ldapi:/// -g openldap -u openldap -F /etc/ldap/slapd.d", listens: []listener{any4("tcp", 389), any6("tcp", 389)}}}
	case "rdp":
		return []daemon{{user: "xrdp", comm: "xrdp", args: "/usr/sbin/xrdp", listens: []listener{any6("tcp", 3389)}}}
	case "sip":
		return []daemon{{user: "asterisk", comm: "asterisk", args: "/usr/sbin/asterisk -U asterisk -G asterisk", listens: []listener{any4("udp", 5060)}}}
	case "vnc":
		return []daemon{{user: "root", comm: "Xtigervnc", args: "/usr/bin/Xtigervnc :1 -desktop " + f.p.Hostname + ":1 -auth /root/.Xauthority -geometry 1280x800 -depth 24 -rfbport 5901", listens: []listener{any4("tcp", 5901)}}}
	case "k8s":
		return []daemon{{user: "root", comm: "k3s-server", args: "/usr/local/bin/k3s server", listens: []listener{any6("tcp", 6443), {"tcp", "127.0.0.1", 10248}}}}
	case "elasticsearch":
		return []daemon{{user: "elastic+", comm: "java", args: "/usr/share/elasticsearch/jdk/bin/java -Xms1g -Xmx1g -Des.path.home=/usr/share/elasticsearch org.elasticsearch.bootstrap.Elasticsearch", listens: []listener{any6("tcp", 9200), any6("tcp", 9300)}}}
	case "memcached":
		return []daemon{{user: "memcache", comm: "memcached", args: "/usr/bin/memcached -m 64 -p 11211 -u memcache -l 0.0.0.0", listens: []listener{any4("tcp", 11211)}}}
	case "mssql":
		return []daemon{{user: "mssql", comm: "sqlservr", args: "/opt/mssql/bin/sqlservr", listens: []listener{any4("tcp", 1433)}}}
	case "tftp":
		return []daemon{{user: "root", comm: "in.tftpd", args: "/usr/sbin/in.tftpd --listen --user tftp --address :69 --secure /srv/tftp", listens: []listener{any4("udp", 69)}}}
	case "vsftpd":
		return f.serviceDaemons("ftp")
	}
	return nil
}

// buildProcs lays out the process table: kernel threads, the distro's
// init and daemons, the decky's services and one seeded local app.
func (f *FS) buildProcs() {
	r := newRNG(f.p.Seed, "procs")
	boot := f.boot
	pid := 1
	var ps []proc
	add := func(user, comm, args string, ppid int, stat string, vsz, rss int, l []listener) int {
		startAfter := time.Duration(r.between(1, 40)) * time.Second
		if pid > 600 {
			startAfter += time.Duration(r.between(0, 30)) * time.Second
		}
		ps = append(ps, proc{pid: pid, ppid: ppid, user: user, comm: comm, args: args, tty: "?", stat: stat,
			vsz: vsz, rss: rss, start: boot.Add(startAfter), cpuTime: time.Duration(r.between(0, 900)) * time.Second / 10, listens: l})
		pid++
		return pid - 1
	}
	fam := f.d.family
	switch fam {
	case "alpine":
		add("root", "init", "/sbin/init", 0, "Ss", 1632, 1024, nil)
	case "rhel":
		deser := pick(r, []int{18, 22, 28, 31})
		add("root", "systemd", fmt.Sprintf("/usr/lib/systemd/systemd --switched-root --system --deserialize %d", deser), 0, "Ss", 174900+r.intn(20000), 13000+r.intn(4000), nil)
	default:
		add("root", "systemd", "/sbin/init", 0, "Ss", 167000+r.intn(20000), 11000+r.intn(4000), nil)
	}
	if fam != "alpine" {
		kthreads := []string{"kthreadd", "rcu_gp", "rcu_par_gp", "slub_flushwq", "netns", "kworker/0:0H-events_highpri",
			"mm_percpu_wq", "rcu_tasks_rude_kthread", "rcu_tasks_trace_kthread", "ksoftirqd/0", "rcu_sched", "migration/0", "idle_inject/0", "cpuhp/0"}
		for c := 1; c < min(f.hw.cores, 8); c++ {
			kthreads = append(kthreads, fmt.Sprintf("cpuhp/%d", c), fmt.Sprintf("idle_inject/%d", c), fmt.Sprintf("migration/%d", c), fmt.Sprintf("ksoftirqd/%d", c))
		}
		kthreads = append(kthreads, "kdevtmpfs", "inet_frag_wq", "kauditd", "khungtaskd", "oom_reaper", "writeback", "kcompactd0",
			"ksmd", "khugepaged", "kintegrityd", "kblockd", "blkcg_punt_bio", "tpm_dev_wq", "ata_sff", "md", "edac-poller",
			"devfreq_wq", "watchdogd", "kswapd0", "kthrotld", "scsi_eh_0", "scsi_tmf_0", "jbd2/"+f.hw.disk+"1-8", "ext4-rsv-conver",
			"kworker/u"+fmt.Sprint(f.hw.cores*2)+":1-events_unbound", "kworker/0:1-events", "kworker/1:2-mm_percpu_wq")
		for i, k := range kthreads {
			stat := "S"
			if strings.Contains(k, "wq") || strings.HasPrefix(k, "rcu_gp") || strings.HasPrefix(k, "rcu_par") || k == "netns" || k == "kblockd" || k == "md" || k == "ata_sff" || k == "kthrotld" || k == "edac-poller" || k == "devfreq_wq" || k == "kintegrityd" || k == "blkcg_punt_bio" {
				stat = "I<"
			}
			if strings.HasPrefix(k, "kworker") {
				stat = "I"
			}
			ppid := 2
			if i == 0 {
				ppid = 0
			}
			ps = append(ps, proc{pid: pid, ppid: ppid, user: "root", comm: k, args: "[" + k + "]", tty: "?", stat: stat, start: boot})
			pid++
			if i > 12 {
				pid += r.intn(6)
			}
		}
	}
	pid += r.between(60, 250)
	type d struct {
		user, comm, args, stat string
		vsz, rss               int
		l                      []listener
	}
	var sys []d
	switch fam {
	case "debian":
		sys = []d{
			{"root", "systemd-journal", "/lib/systemd/systemd-journald", "S<s", 48000, 15000, nil},
			{"root", "systemd-udevd", "/lib/systemd/systemd-udevd", "Ss", 25000, 6500, nil},
		}
		if strings.HasPrefix(f.p.Distro, "ubuntu") {
			sys = append(sys,
				d{"root", "multipathd", "/sbin/multipathd -d -s", "SLsl", 280000, 27000, nil},
				d{"systemd+", "systemd-network", "/lib/systemd/systemd-networkd", "Ss", 16000, 8000, nil},
				d{"systemd+", "systemd-resolve", "/lib/systemd/systemd-resolved", "Ss", 25500, 12500, []listener{{"tcp", "127.0.0.53", 53}, {"udp", "127.0.0.53", 53}}},
				d{"systemd+", "systemd-timesyn", "/lib/systemd/systemd-timesyncd", "Ssl", 89000, 6800, nil},
				d{"root", "networkd-dispat", "/usr/bin/python3 /usr/bin/networkd-dispatcher --run-startup-triggers", "Ss", 32000, 19000, nil},
				d{"root", "polkitd", "/usr/libexec/polkitd --no-debug", "Ssl", 234000, 9000, nil},
				d{"root", "unattended-upgr", "/usr/bin/python3 /usr/share/unattended-upgrades/unattended-upgrade-shutdown --wait-for-signal", "Ssl", 110000, 21000, nil},
			)
		} else {
			sys = append(sys, d{"systemd+", "systemd-timesyn", "/lib/systemd/systemd-timesyncd", "Ssl", 90000, 6600, nil},
				d{"root", "dhclient", "/sbin/dhclient -4 -v -i -pf /run/dhclient." + f.net.iface + ".pid -lf /var/lib/dhcp/dhclient." + f.net.iface + ".leases -I -df /var/lib/dhcp/dhclient6." + f.net.iface + ".leases " + f.net.iface, "Ss", 5800, 3900, []listener{any4("udp", 68)}})
		}
		cron := "/usr/sbin/cron -f"
		if f.p.Distro != "debian" {
			cron = "/usr/sbin/cron -f -P"
		}
		sysUser := "root"
		if strings.HasPrefix(f.p.Distro, "ubuntu") {
			sysUser = "syslog"
		}
		sys = append(sys,
			d{"root", "cron", cron, "Ss", 6600, 2700, nil},
			d{"message+", "dbus-daemon", "@dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only", "Ss", 8600, 4800, nil},
			d{sysUser, "rsyslogd", "/usr/sbin/rsyslogd -n -iNONE", "Ssl", 222000, 5800, nil},
			d{"root", "systemd-logind", "/lib/systemd/systemd-logind", "Ss", 15000, 7200, nil},
			d{"root", "agetty", "/sbin/agetty -o -p -- \\u --noclear tty1 linux", "Ss+", 6200, 1900, nil},
		)
	case "rhel":
		sys = []d{
			{"root", "systemd-journal", "/usr/lib/systemd/systemd-journald", "Ss", 35000, 12000, nil},
			{"root", "systemd-udevd", "/usr/lib/systemd/systemd-udevd", "Ss", 33000, 9800, nil},
			{"root", "auditd", "/sbin/auditd", "S<sl", 19000, 4200, nil},
		}
		if f.p.Distro == "centos7" {
			sys = append(sys, d{"dbus", "dbus-daemon", "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation", "Ssl", 66000, 2500, nil},
				d{"polkitd", "polkitd", "/usr/lib/polkit-1/polkitd --no-debug", "Ssl", 612000, 13000, nil},
				d{"root", "NetworkManager", "/usr/sbin/NetworkManager --no-daemon", "Ssl", 554000, 9500, nil},
				d{"root", "tuned", "/usr/bin/python2 -Es /usr/sbin/tuned -l -P", "Ssl", 574000, 17000, nil})
		} else {
			sys = append(sys, d{"dbus", "dbus-broker-lau", "/usr/bin/dbus-broker-launch --scope system --audit", "Ss", 20000, 4300, nil},
				d{"root", "NetworkManager", "/usr/sbin/NetworkManager --no-daemon", "Ssl", 260000, 18000, nil},
				d{"root", "systemd-logind", "/usr/lib/systemd/systemd-logind", "Ss", 18000, 9000, nil})
		}
		sys = append(sys,
			d{"chrony", "chronyd", "/usr/sbin/chronyd -F 2", "S", 84000, 3700, []listener{{"udp", "127.0.0.1", 323}, {"udp6", "::1", 323}}},
			d{"root", "rsyslogd", "/usr/sbin/rsyslogd -n", "Ssl", 160000, 5600, nil},
			d{"root", "crond", "/usr/sbin/crond -n", "Ss", 222000, 3500, nil},
			d{"root", "agetty", "/sbin/agetty -o -p -- \\u --noclear - linux", "Ss+", 3000, 1900, nil},
		)
	case "arch":
		sys = []d{
			{"root", "systemd-journal", "/usr/lib/systemd/systemd-journald", "Ss", 50000, 16000, nil},
			{"root", "systemd-udevd", "/usr/lib/systemd/systemd-udevd", "Ss", 33000, 10000, nil},
			{"systemd+", "systemd-network", "/usr/lib/systemd/systemd-networkd", "Ss", 18000, 8700, nil},
			{"systemd+", "systemd-resolve", "/usr/lib/systemd/systemd-resolved", "Ss", 21000, 12000, []listener{{"tcp", "127.0.0.53", 53}, {"udp", "127.0.0.53", 53}}},
			{"systemd+", "systemd-timesyn", "/usr/lib/systemd/systemd-timesyncd", "Ssl", 91000, 7100, nil},
			{"dbus", "dbus-daemon", "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only", "Ss", 9000, 4600, nil},
			{"root", "systemd-logind", "/usr/lib/systemd/systemd-logind", "Ss", 17000, 8000, nil},
			{"root", "agetty", "/sbin/agetty -o -p -- \\u --noclear - linux", "Ss+", 6300, 2100, nil},
		}
	case "alpine":
		sys = []d{
			{"root", "syslogd", "/sbin/syslogd -t -n", "S", 1632, 980, nil},
			{"root", "udhcpc", "udhcpc -b -R -p /var/run/udhcpc." + f.net.iface + ".pid -i " + f.net.iface + " -x hostname:" + f.p.Hostname, "S", 1632, 920, nil},
			{"root", "crond", "/usr/sbin/crond -c /etc/crontabs -f", "S", 1632, 880, nil},
			{"root", "getty", "/sbin/getty 38400 tty1", "S", 1632, 860, nil},
		}
	}
	for _, s := range sys {
		pid += r.between(1, 40)
		add(s.user, s.comm, s.args, 1, s.stat, s.vsz+r.intn(2000), s.rss+r.intn(1500), s.l)
	}
	svcs := f.p.Services
	if len(svcs) == 0 {
		svcs = []string{"ssh"}
	}
	for _, slug := range svcs {
		for _, dm := range f.serviceDaemons(slug) {
			pid += r.between(1, 60)
			parent := add(dm.user, dm.comm, dm.args, 1, "Ss", r.between(9000, 300000), r.between(4000, 30000), dm.listens)
			for _, k := range dm.children {
				add(k.user, k.comm, k.args, parent, "S", r.between(9000, 120000), r.between(3000, 20000), k.listens)
			}
		}
	}
	switch r.intn(5) {
	case 0:
		pid += r.between(100, 3000)
		add(f.p.Users[0], "node", "node /srv/app/server.js", 1, "Ssl", 1120000+r.intn(90000), 68000+r.intn(20000), []listener{{"tcp", "127.0.0.1", 3000}})
	case 1:
		pid += r.between(100, 3000)
		add("root", "python3", "/usr/bin/python3 /opt/monitor/agent.py --interval 60", 1, "Ss", 31000, 22000, nil)
	case 2:
		pid += r.between(100, 3000)
		add("root", "tmux: server", "tmux new -s main", 1, "Ss", 9000, 3900, nil)
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i].args, "[") && r.chance(30) {
			ps[i].cpu = float64(r.between(1, 9)) / 10
		}
	}
	f.procs = ps
	f.lastPID.Store(int64(pid + r.between(800, 20000)))
}

// nextPID hands out process ids for session processes, shared by every
// session so pids only grow, as on a real host.
func (f *FS) nextPID(step int) int {
	return int(f.lastPID.Add(int64(step)))
}

// buildLogins invents the recent logins `last` shows: admins coming in
// from a management subnet on working days.
func (f *FS) buildLogins() {
	r := newRNG(f.p.Seed, "logins")
	adminNet := fmt.Sprintf("10.%d.%d.", r.between(0, 30), r.between(0, 254))
	n := r.between(3, 9)
	t := f.built.Add(-time.Duration(r.between(2, 30)) * time.Hour)
	var recs []loginRec
	for i := 0; i < n && t.After(f.boot); i++ {
		u := pick(r, f.accts).name
		dur := time.Duration(r.between(2, 180)) * time.Minute
		recs = append(recs, loginRec{user: u, tty: fmt.Sprintf("pts/%d", r.intn(2)), from: adminNet + fmt.Sprint(r.between(2, 250)), at: t, dur: dur})
		t = t.Add(-time.Duration(r.between(5, 70)) * time.Hour)
	}
	f.logins = recs
}

// account looks up an account by name among the persona's accounts.
func (f *FS) account(name string) (account, bool) {
	i := slices.IndexFunc(f.accts, func(a account) bool { return a.name == name })
	if i < 0 {
		return account{}, false
	}
	return f.accts[i], true
}
