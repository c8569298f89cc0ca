package shell

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

func init() {
	register("ifconfig", cmdSpec{fn: cmdIfconfig, bin: "sbin", size: 80472, busybox: true})
	register("ip", cmdSpec{fn: cmdIP, bin: "sbin", size: 744392, busybox: true})
	register("netstat", cmdSpec{fn: cmdNetstat, bin: "bin", size: 154048, busybox: true})
	register("ss", cmdSpec{fn: cmdSs, bin: "usr/bin", size: 137752, avail: notFamily("alpine")})
	register("route", cmdSpec{fn: cmdRoute, bin: "sbin", size: 67304, busybox: true})
	register("arp", cmdSpec{fn: cmdArp, bin: "usr/sbin", size: 63264, busybox: true})
	register("ping", cmdSpec{fn: cmdPing, bin: "bin", size: 76672, busybox: true})
	register("wget", cmdSpec{fn: cmdWget, bin: "usr/bin", size: 498728, busybox: true})
	register("curl", cmdSpec{fn: cmdCurl, bin: "usr/bin", size: 260328, avail: notFamily("alpine")})
	register("tftp", cmdSpec{fn: cmdTftp, bin: "usr/bin", size: 39384, busybox: true})
	register("ftpget", cmdSpec{fn: cmdFtpget, bin: "usr/bin", size: 0, busybox: true, avail: onlyFamily("alpine")})
	register("ftpput", cmdSpec{fn: cmdFtpget, bin: "usr/bin", size: 0, busybox: true, avail: onlyFamily("alpine")})
	register("scp", cmdSpec{fn: cmdScp, bin: "usr/bin", size: 125688, busybox: false})
	register("ssh", cmdSpec{fn: cmdSSH, bin: "usr/bin", size: 846968})
	register("nc", cmdSpec{fn: cmdNc, bin: "bin", size: 39400, busybox: true})
	register("netcat", cmdSpec{fn: cmdNc, bin: "bin", size: 39400, avail: onlyFamily("debian")})
	register("ncat", cmdSpec{fn: cmdNc, bin: "usr/bin", size: 457536, avail: onlyFamily("rhel")})
	register("telnet", cmdSpec{fn: cmdTelnet, bin: "usr/bin", size: 100784, busybox: true, avail: onlyFamily("debian", "alpine")})
	register("busybox", cmdSpec{fn: cmdBusybox, bin: "bin", size: 2048632, avail: func(d *distro) bool { return strings.HasPrefix(d.slug, "ubuntu") }})
}

// The decky has no route out (outbound fetching is off unless the operator
// configured a Fetcher): names do not resolve, and connections to
// addresses outside the local subnet time out after a short real wait.

// netWait waits as a connect attempt would before timing out, capped.
func (c *cmdCtx) netWait() { c.s.sleep(c.ctx, MaxSleep) }

// local reports whether host is on the decky's own subnet or loopback,
// which answer even without an outside route.
func (c *cmdCtx) local(host string) bool {
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host == "localhost" || host == c.fsys().p.Hostname || host == shortHost(c.fsys().p.Hostname)
	}
	if a.IsLoopback() {
		return true
	}
	pfx, _ := c.fsys().net.ip.Prefix(c.fsys().net.prefix)
	return pfx.Contains(a)
}

func isIP(h string) bool { _, err := netip.ParseAddr(h); return err == nil }

func cmdBusybox(c *cmdCtx) int {
	if len(c.args) == 0 {
		c.print("BusyBox v1.30.1 (Ubuntu 1:1.30.1-7ubuntu3) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --install [-s] [DIR]\n   or: function [arguments]...\n")
		return 0
	}
	spec := cmdTable[c.args[0]]
	if spec == nil || !spec.busybox {
		fmt.Fprintf(c.stderr, "%s: applet not found\n", c.args[0])
		return 127
	}
	return c.in.invoke(spec.fn, c.args[0], c.args, c.io, c.text)
}

func (c *cmdCtx) ifaceAddrs() (ip, mask, bcast string) {
	n := c.fsys().net
	pfx, _ := n.ip.Prefix(n.prefix)
	m := net.CIDRMask(n.prefix, 32)
	b := pfx.Addr().As4()
	for i := range b {
		b[i] |= ^m[i]
	}
	return n.ip.String(), net.IP(m).String(), netip.AddrFrom4(b).String()
}

// linkLocal derives the EUI-64 IPv6 link-local address from the MAC.
func linkLocal(mac string) string {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return "fe80::1"
	}
	return fmt.Sprintf("fe80::%x:%x:%x:%x", uint16(hw[0]^2)<<8|uint16(hw[1]), uint16(hw[2])<<8|0xff, 0xfe00|uint16(hw[3]), uint16(hw[4])<<8|uint16(hw[5]))
}

func byteUnit(n int64) string {
	switch {
	case n >= 1e12:
		return fmt.Sprintf("%.1f TB", float64(n)/1e12)
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f KB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d.0 B", n)
}

func cmdIfconfig(c *cmdCtx) int {
	f := c.fsys()
	n := f.net
	ip, mask, bcast := c.ifaceAddrs()
	if len(c.args) > 1 && !c.root() {
		return c.fail(1, "SIOCSIFADDR: Operation not permitted")
	}
	if len(c.args) > 1 {
		return 0
	}
	only := ""
	if len(c.args) == 1 && c.args[0] != "-a" {
		only = c.args[0]
		if only != n.iface && only != "lo" {
			fmt.Fprintf(c.stderr, "%s: error fetching interface information: Device not found\n", only)
			return 1
		}
	}
	if f.d.family == "alpine" {
		if only == "" || only == n.iface {
			c.printf("%-10sLink encap:Ethernet  HWaddr %s  \n          inet addr:%s  Bcast:%s  Mask:%s\n          inet6 addr: %s/64 Scope:Link\n          UP BROADCAST RUNNING MULTICAST  MTU:1500  Metric:1\n          RX packets:%d errors:0 dropped:0 overruns:0 frame:0\n          TX packets:%d errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:1000 \n          RX bytes:%d (%s)  TX bytes:%d (%s)\n\n",
				n.iface, strings.ToUpper(n.mac), ip, bcast, mask, linkLocal(n.mac), n.rxPk, n.txPk, n.rxB, byteUnit(n.rxB), n.txB, byteUnit(n.txB))
		}
		if only == "" || only == "lo" {
			c.printf("lo        Link encap:Local Loopback  \n          inet addr:127.0.0.1  Mask:255.0.0.0\n          inet6 addr: ::1/128 Scope:Host\n          UP LOOPBACK RUNNING  MTU:65536  Metric:1\n          RX packets:%d errors:0 dropped:0 overruns:0 frame:0\n          TX packets:%d errors:0 dropped:0 overruns:0 carrier:0\n          collisions:0 txqueuelen:1000 \n          RX bytes:%d (%s)  TX bytes:%d (%s)\n\n", n.txPk/20, n.txPk/20, n.txB/40, byteUnit(n.txB/40), n.txB/40, byteUnit(n.txB/40))
		}
		return 0
	}
	if only == "" || only == n.iface {
		c.printf("%s: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet %s  netmask %s  broadcast %s\n        inet6 %s  prefixlen 64  scopeid 0x20<link>\n        ether %s  txqueuelen 1000  (Ethernet)\n        RX packets %d  bytes %d (%s)\n        RX errors 0  dropped %d  overruns 0  frame 0\n        TX packets %d  bytes %d (%s)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n",
			n.iface, ip, mask, bcast, linkLocal(n.mac), n.mac, n.rxPk, n.rxB, byteUnit(n.rxB), n.rxPk/9000, n.txPk, n.txB, byteUnit(n.txB))
	}
	if only == "" || only == "lo" {
		c.printf("lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n        loop  txqueuelen 1000  (Local Loopback)\n        RX packets %d  bytes %d (%s)\n        RX errors 0  dropped 0  overruns 0  frame 0\n        TX packets %d  bytes %d (%s)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n",
			n.txPk/20, n.txB/40, byteUnit(n.txB/40), n.txPk/20, n.txB/40, byteUnit(n.txB/40))
	}
	return 0
}

func cmdIP(c *cmdCtx) int {
	f := c.fsys()
	n := f.net
	args := slices.Clone(c.args)
	brief, family := false, ""
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-br", "-brief":
			brief = true
		case "-4":
			family = "4"
		case "-6":
			family = "6"
		}
		args = args[1:]
	}
	if len(args) == 0 {
		c.print("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n       ip [ -force ] -batch filename\nwhere  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp | link |\n                   macsec | maddress | monitor | mptcp | mroute | mrule |\n                   neighbor | neighbour | netconf | netns | nexthop | ntable |\n                   ntbl | route | rule | sr | tap | tcpmetrics |\n                   token | tunnel | tuntap | vrf | xfrm }\n")
		return 255
	}
	obj := args[0]
	sub := ""
	if len(args) > 1 {
		sub = args[1]
	}
	if sub != "" && sub != "show" && sub != "list" && sub != "ls" && sub != "s" && !strings.HasPrefix(sub, "dev") && sub != n.iface && sub != "lo" {
		if !c.root() {
			fmt.Fprintf(c.stderr, "RTNETLINK answers: Operation not permitted\n")
			return 2
		}
		return 0
	}
	ip, _, bcast := c.ifaceAddrs()
	dhcp := "dynamic "
	if f.d.family == "rhel" {
		dhcp = "dynamic noprefixroute "
	}
	lft := 86400 - int(c.now.Unix()%86400)
	switch {
	case strings.HasPrefix("address", obj) || obj == "a" || obj == "addr":
		if brief {
			c.printf("%-16s UNKNOWN        127.0.0.1/8 ::1/128 \n%-16s UP             %s/%d %s/64 \n", "lo", n.iface, ip, n.prefix, linkLocal(n.mac))
			return 0
		}
		alt := ""
		if n.alt != "" {
			alt = "    altname " + n.alt + "\n"
		}
		lo := "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
		if family != "6" {
			lo += "    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n"
		}
		if family != "4" {
			lo += "    inet6 ::1/128 scope host \n       valid_lft forever preferred_lft forever\n"
		}
		eth := fmt.Sprintf("2: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n%s", n.iface, n.mac, alt)
		if family != "6" {
			eth += fmt.Sprintf("    inet %s/%d brd %s scope global %s%s\n       valid_lft %dsec preferred_lft %dsec\n", ip, n.prefix, bcast, dhcp, n.iface, lft, lft)
		}
		if family != "4" {
			eth += fmt.Sprintf("    inet6 %s/64 scope link \n       valid_lft forever preferred_lft forever\n", linkLocal(n.mac))
		}
		c.print(lo + eth)
	case strings.HasPrefix("link", obj) || obj == "l":
		if brief {
			c.printf("%-16s UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \n%-16s UP             %s <BROADCAST,MULTICAST,UP,LOWER_UP> \n", "lo", n.iface, n.mac)
			return 0
		}
		c.printf("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: %s: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n    link/ether %s brd ff:ff:ff:ff:ff:ff\n", n.iface, n.mac)
		if n.alt != "" {
			c.printf("    altname %s\n", n.alt)
		}
	case strings.HasPrefix("route", obj) || obj == "r":
		pfx, _ := n.ip.Prefix(n.prefix)
		if f.d.family == "rhel" {
			c.printf("default via %s dev %s proto dhcp src %s metric 100 \n%s dev %s proto kernel scope link src %s metric 100 \n", n.gw, n.iface, ip, pfx, n.iface, ip)
		} else {
			c.printf("default via %s dev %s proto dhcp src %s metric 100 \n%s dev %s proto kernel scope link src %s metric 100 \n%s dev %s proto dhcp scope link src %s metric 100 \n", n.gw, n.iface, ip, pfx, n.iface, ip, n.gw, n.iface, ip)
		}
	case strings.HasPrefix("neighbour", obj) || strings.HasPrefix("neighbor", obj) || obj == "n":
		c.printf("%s dev %s lladdr %s REACHABLE\n", n.gw, n.iface, n.gwMAC)
	default:
		fmt.Fprintf(c.stderr, "Object \"%s\" is unknown, try \"ip help\".\n", obj)
		return 1
	}
	return 0
}

// sockets lists listening sockets and the attacker's own connection.
type socket struct {
	proto, local, peer, state string
	pid                       int
	prog, user                string
	sendQ                     int
}

func (c *cmdCtx) sockets() []socket {
	var out []socket
	for _, p := range c.fsys().procs {
		if c.s.killed[p.pid] {
			continue
		}
		for _, l := range p.listens {
			peer := "0.0.0.0:*"
			if strings.HasSuffix(l.proto, "6") {
				peer = ":::*"
			}
			addr := l.addr + ":" + strconv.Itoa(l.port)
			if strings.HasSuffix(l.proto, "6") {
				addr = l.addr + ":" + strconv.Itoa(l.port)
				if l.addr == "::" {
					addr = ":::" + strconv.Itoa(l.port)
				}
			}
			state := "LISTEN"
			if strings.HasPrefix(l.proto, "udp") {
				state = ""
			}
			out = append(out, socket{proto: l.proto, local: addr, peer: peer, state: state, pid: p.pid, prog: p.comm, user: p.user})
		}
	}
	if c.s.remoteIP != "" {
		out = append(out, socket{proto: "tcp", local: c.fsys().net.ip.String() + ":22", peer: net.JoinHostPort(c.s.remoteIP, strconv.Itoa(c.s.remotePrt)),
			state: "ESTABLISHED", pid: c.s.sshdPID, prog: "sshd: " + c.s.loginName(), user: "root", sendQ: 36})
	}
	return out
}

func cmdNetstat(c *cmdCtx) int {
	flags := strings.Join(c.args, "")
	flags = strings.ReplaceAll(flags, "-", "")
	f := c.fsys()
	n := f.net
	if strings.Contains(flags, "r") {
		pfx, _ := n.ip.Prefix(n.prefix)
		_, mask, _ := c.ifaceAddrs()
		c.printf("Kernel IP routing table\nDestination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n0.0.0.0         %-15s 0.0.0.0         UG        0 0          0 %s\n%-15s 0.0.0.0         %-15s U         0 0          0 %s\n", n.gw, n.iface, pfx.Addr(), mask, n.iface)
		return 0
	}
	if strings.Contains(flags, "i") {
		c.printf("Kernel Interface table\nIface      MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n%-10s 1500 %8d      0      0 0      %8d      0      0      0 BMRU\nlo        65536 %8d      0      0 0      %8d      0      0      0 LRU\n", n.iface, n.rxPk, n.txPk, n.txPk/20, n.txPk/20)
		return 0
	}
	listenOnly := strings.Contains(flags, "l")
	tcp, udp := strings.Contains(flags, "t"), strings.Contains(flags, "u")
	if !tcp && !udp {
		tcp, udp = true, true
	}
	withPID := strings.Contains(flags, "p")
	numeric := strings.Contains(flags, "n")
	if withPID && !c.root() {
		fmt.Fprint(c.stderr, "(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n")
	}
	if listenOnly {
		c.print("Active Internet connections (only servers)\n")
	} else if strings.Contains(flags, "a") {
		c.print("Active Internet connections (servers and established)\n")
	} else {
		c.print("Active Internet connections (w/o servers)\n")
	}
	hdr := "Proto Recv-Q Send-Q Local Address           Foreign Address         State      "
	if withPID {
		hdr += " PID/Program name    "
	}
	c.print(hdr + "\n")
	name := func(a string) string {
		if numeric {
			return a
		}
		a = strings.Replace(a, ":22", ":ssh", 1)
		return strings.Replace(a, "0.0.0.0:*", "0.0.0.0:*", 1)
	}
	for _, s := range c.sockets() {
		isUDP := strings.HasPrefix(s.proto, "udp")
		if isUDP && !udp || !isUDP && !tcp {
			continue
		}
		if listenOnly && s.state == "ESTABLISHED" || !listenOnly && !strings.Contains(flags, "a") && s.state != "ESTABLISHED" {
			continue
		}
		line := fmt.Sprintf("%-5s %6d %6d %-23s %-23s %-11s", s.proto, 0, s.sendQ, name(s.local), name(s.peer), s.state)
		if withPID {
			prog := "-"
			if c.root() || s.user == c.st.acct.name {
				prog = capUTF8(fmt.Sprintf("%d/%s", s.pid, s.prog), 19)
			}
			line += " " + prog
		}
		c.print(strings.TrimRight(line, " ") + " \n")
	}
	return 0
}

func cmdSs(c *cmdCtx) int {
	flags := strings.ReplaceAll(strings.Join(c.args, ""), "-", "")
	listenOnly := strings.Contains(flags, "l")
	tcp, udp := strings.Contains(flags, "t"), strings.Contains(flags, "u")
	if !tcp && !udp {
		tcp, udp = true, true
	}
	withPID := strings.Contains(flags, "p")
	rows := [][]string{{"Netid", "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "Process"}}
	for _, s := range c.sockets() {
		isUDP := strings.HasPrefix(s.proto, "udp")
		if isUDP && !udp || !isUDP && !tcp {
			continue
		}
		if listenOnly && s.state == "ESTABLISHED" || !listenOnly && !strings.Contains(flags, "a") && s.state != "ESTABLISHED" {
			continue
		}
		state := s.state
		if isUDP {
			state = "UNCONN"
		}
		local := strings.Replace(s.local, ":::", "[::]:", 1)
		if strings.HasPrefix(local, "0.0.0.0") && s.proto == "tcp" || true {
			local = strings.Replace(local, "::1:", "[::1]:", 1)
		}
		peer := strings.Replace(strings.Replace(s.peer, ":::*", "[::]:*", 1), "0.0.0.0:*", "0.0.0.0:*", 1)
		proc := ""
		if withPID && (c.root() || s.user == c.st.acct.name) {
			proc = fmt.Sprintf("users:((\"%s\",pid=%d,fd=%d))", strings.Fields(s.prog)[0], s.pid, 3+s.pid%5)
		}
		netid := strings.TrimSuffix(s.proto, "6")
		backlog := "128"
		if isUDP {
			backlog = "0"
		} else if s.state == "ESTABLISHED" {
			backlog = strconv.Itoa(s.sendQ)
		}
		rows = append(rows, []string{netid, state, "0", backlog, local, peer, proc})
	}
	c.print(alignColumns(rows, func(i int) bool { return i == 2 || i == 3 || i == 4 }))
	return 0
}

func cmdRoute(c *cmdCtx) int {
	n := c.fsys().net
	pfx, _ := n.ip.Prefix(n.prefix)
	_, mask, _ := c.ifaceAddrs()
	gw := n.gw.String()
	if !slices.Contains(c.args, "-n") {
		gw = "_gateway"
	}
	if len(c.args) > 0 && (c.args[0] == "add" || c.args[0] == "del") {
		if !c.root() {
			return c.fail(1, "SIOCADDRT: Operation not permitted")
		}
		return 0
	}
	c.printf("Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n")
	dest := "default"
	if slices.Contains(c.args, "-n") {
		dest = "0.0.0.0"
	}
	c.printf("%-15s %-15s 0.0.0.0         UG    100    0        0 %s\n%-15s 0.0.0.0         %-15s U     100    0        0 %s\n", dest, gw, n.iface, pfx.Addr(), mask, n.iface)
	return 0
}

func cmdArp(c *cmdCtx) int {
	n := c.fsys().net
	if slices.Contains(c.args, "-a") || len(c.args) == 0 && c.fsys().d.family == "alpine" {
		c.printf("_gateway (%s) at %s [ether] on %s\n", n.gw, n.gwMAC, n.iface)
		return 0
	}
	c.printf("Address                  HWtype  HWaddress           Flags Mask            Iface\n%-24s ether   %s   C                     %s\n", n.gw, n.gwMAC, n.iface)
	return 0
}

func cmdPing(c *cmdCtx) int {
	count := 4
	var host string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-c" && i+1 < len(c.args):
			count, _ = strconv.Atoi(c.args[i+1])
			i++
		case strings.HasPrefix(a, "-c") && len(a) > 2:
			count, _ = strconv.Atoi(a[2:])
		case (a == "-i" || a == "-W" || a == "-w" || a == "-s" || a == "-t" || a == "-I") && i+1 < len(c.args):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			host = a
		}
	}
	if host == "" {
		return c.fail(1, "usage error: Destination address required")
	}
	count = max(1, min(count, 10))
	ip := host
	if host == "localhost" {
		ip = "127.0.0.1"
	} else if host == c.fsys().p.Hostname {
		ip = c.fsys().net.ip.String()
	}
	if !isIP(ip) {
		fmt.Fprintf(c.stderr, "ping: %s: Temporary failure in name resolution\n", host)
		return 2
	}
	c.printf("PING %s (%s) 56(84) bytes of data.\n", host, ip)
	start := time.Now()
	if c.local(ip) {
		r := c.s.rng
		var rtts []float64
		for i := range count {
			rtt := 0.030 + float64(r.intn(60))/1000
			if !strings.HasPrefix(ip, "127.") {
				rtt = 0.2 + float64(r.intn(500))/1000
			}
			rtts = append(rtts, rtt)
			c.printf("64 bytes from %s: icmp_seq=%d ttl=64 time=%.3f ms\n", ip, i+1, rtt)
		}
		c.s.sleep(c.ctx, time.Duration(count-1)*time.Second)
		mn, mx, sum := rtts[0], rtts[0], 0.0
		for _, x := range rtts {
			mn, mx, sum = min(mn, x), max(mx, x), sum+x
		}
		c.printf("\n--- %s ping statistics ---\n%d packets transmitted, %d received, 0%% packet loss, time %dms\nrtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", host, count, count, (count-1)*1000+c.s.rng.intn(9), mn, sum/float64(count), mx, (mx-mn)/2)
		return 0
	}
	c.netWait()
	_ = start
	c.printf("\n--- %s ping statistics ---\n%d packets transmitted, 0 received, 100%% packet loss, time %dms\n\n", host, count, (count-1)*1000+c.s.rng.intn(60))
	return 1
}

// parseURL splits a command-line URL as wget and curl do (scheme optional).
func parseURL(raw string) (u *url.URL, host string, ok bool) {
	s := raw
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, "", false
	}
	return u, u.Hostname(), true
}

func defaultPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch u.Scheme {
	case "https":
		return "443"
	case "ftp":
		return "21"
	}
	return "80"
}

// fetch downloads with the operator's Fetcher, if any; nil means the
// attempt must fail as the network does.
func (c *cmdCtx) fetch(raw string) ([]byte, error, bool) {
	if c.s.cfg.Fetch == nil {
		return nil, nil, false
	}
	data, err := c.s.cfg.Fetch(c.ctx, raw, MaxFileSize)
	if len(data) > MaxFileSize {
		data = data[:MaxFileSize]
	}
	return data, err, true
}

func (c *cmdCtx) recordDownload(tool, raw, host, p string, size int64, errText string) {
	c.s.recordDownload(Download{Tool: tool, URL: raw, Host: host, Path: p, Command: c.text, Size: size, Err: errText, At: c.now})
}

func cmdWget(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "O:o:qP:cbt:T:U:nvNS4x", false, "output-document=", "output-file=", "quiet", "directory-prefix=", "continue", "background",
		"tries=", "timeout=", "user-agent=", "no-check-certificate", "no-verbose", "header=", "post-data=", "user=", "password=", "http-user=", "http-password=",
		"no-cache", "inet4-only", "spider", "server-response", "method=", "body-data=", "help", "version", "progress=", "show-progress", "limit-rate=", "read-timeout=", "wait=", "recursive", "mirror")
	if !ok {
		return 2
	}
	if o.hasLong("version") {
		c.print("GNU Wget 1.21.2 built on linux-gnu.\n")
		return 0
	}
	if len(o.rest) == 0 {
		c.print("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n")
		return 1
	}
	quiet := o.has('q') || o.hasLong("quiet")
	outDoc := o.val('O') + o.longVal("output-document")
	_, hasOut := o.vals['O']
	if _, l := o.long["output-document"]; l {
		hasOut = true
	}
	prefix := o.val('P') + o.longVal("directory-prefix")
	busybox := c.fsys().d.family == "alpine" || c.argv0 == "busybox"
	status := 0
	if (o.has('b') || o.hasLong("background")) && !quiet {
		pid := c.fsys().nextPID(2)
		c.printf("Continuing in background, pid %d.\nOutput will be written to ‘wget-log’.\n", pid)
		quiet = true
	}
	for _, raw := range o.rest {
		u, host, okURL := parseURL(raw)
		if !okURL {
			fmt.Fprintf(c.stderr, "%s: Invalid URL %s: Invalid host name\n", raw, raw)
			status = 1
			continue
		}
		target := outDoc
		if !hasOut {
			target = path.Base(u.Path)
			if target == "/" || target == "." || target == "" {
				target = "index.html"
			}
			if prefix != "" {
				target = path.Join(prefix, target)
			}
		}
		vfsPath := ""
		if target != "-" {
			vfsPath = c.abs(target)
		}
		stamp := c.now.Format("2006-01-02 15:04:05")
		say := func(format string, a ...any) {
			if !quiet {
				fmt.Fprintf(c.stderr, format, a...)
			}
		}
		if busybox {
			say("Connecting to %s (%s:%s)\n", host, host, defaultPort(u))
		} else {
			say("--%s--  %s\n", stamp, u.String())
		}
		// wget -O truncates the output file before it connects.
		if hasOut && vfsPath != "" {
			if err := c.writeFile(target, nil, false); err != nil {
				say("%s: %s\n", target, strerror(err))
				c.recordDownload("wget", raw, host, vfsPath, 0, strerror(err))
				status = 3
				continue
			}
		}
		data, ferr, fetched := c.fetch(u.String())
		if fetched && ferr == nil {
			if !busybox {
				say("Connecting to %s:%s... connected.\nHTTP request sent, awaiting response... 200 OK\nLength: %d (%s) [application/octet-stream]\n", host, defaultPort(u), len(data), lsHuman(int64(len(data))))
				if vfsPath != "" {
					say("Saving to: ‘%s’\n\n", target)
				}
			}
			if vfsPath == "" {
				c.stdout.Write(data)
			} else if err := c.writeFile(target, data, false); err != nil {
				say("%s: %s\n", target, strerror(err))
				c.recordDownload("wget", raw, host, vfsPath, 0, strerror(err))
				status = 3
				continue
			}
			if busybox {
				say("saving to '%s'\n%-20s 100%% |********************************| %s  0:00:00 ETA\n'%s' saved\n", target, path.Base(target), lsHuman(int64(len(data))), target)
			} else if vfsPath != "" {
				say("%-18s 100%%[===================>] %7s  --.-KB/s    in 0s      \n\n%s (%.1f MB/s) - ‘%s’ saved [%d/%d]\n\n", path.Base(target), lsHuman(int64(len(data))), c.now.Format("2006-01-02 15:04:05"), 12.4, target, len(data), len(data))
			}
			c.recordDownload("wget", raw, host, vfsPath, int64(len(data)), "")
			continue
		}
		errText := "connection timed out"
		switch {
		case fetched:
			errText = ferr.Error()
			c.netWait()
			if busybox {
				say("wget: can't connect to remote host (%s): Connection refused\n", host)
			} else {
				say("Connecting to %s:%s... failed: Connection refused.\n", host, defaultPort(u))
			}
		case !isIP(host) && !c.local(host):
			errText = "name resolution failed"
			if busybox {
				say("wget: bad address '%s'\n", host)
			} else {
				say("Resolving %s (%s)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address ‘%s’\n", host, host, host)
			}
		default:
			c.netWait()
			if busybox {
				say("wget: can't connect to remote host (%s): Connection timed out\n", host)
			} else {
				say("Connecting to %s:%s... failed: Connection timed out.\nRetrying.\n\n--%s--  (try: 2)  %s\nConnecting to %s:%s... failed: Connection timed out.\nGiving up.\n\n",
					host, defaultPort(u), c.now.Add(MaxSleep).Format("2006-01-02 15:04:05"), u.String(), host, defaultPort(u))
			}
		}
		c.recordDownload("wget", raw, host, vfsPath, 0, errText)
		status = 4
		if busybox {
			status = 1
		}
	}
	return status
}

// curlVersion7_81 says the distro's curl prints "after N ms" in connect
// errors (curl 7.75 and later).
func (c *cmdCtx) newCurl() bool {
	switch c.fsys().p.Distro {
	case "ubuntu20", "rocky9", "centos7":
		return false
	}
	return true
}

func cmdCurl(c *cmdCtx) int {
	o, ok := c.getopt(c.args, "o:OsSLkfX:d:H:A:IivqmC:u:x:w:e:b:c:F:T:Y:y:#n4gN", false, "output=", "remote-name", "silent", "show-error", "location",
		"insecure", "fail", "request=", "data=", "data-binary=", "data-raw=", "header=", "user-agent=", "head", "include", "verbose", "max-time=",
		"connect-timeout=", "user=", "proxy=", "write-out=", "referer=", "cookie=", "cookie-jar=", "form=", "upload-file=", "compressed", "retry=",
		"create-dirs", "output-dir=", "progress-bar", "help", "version", "url=", "http1.1", "tlsv1.2", "no-progress-meter", "ipv4", "globoff")
	if !ok {
		return 2
	}
	if o.hasLong("version") {
		c.print("curl 7.81.0 (x86_64-pc-linux-gnu) libcurl/7.81.0 OpenSSL/3.0.2 zlib/1.2.11 brotli/1.0.9 zstd/1.4.8 libidn2/2.3.2 libpsl/0.21.0 (+libidn2/2.3.2) libssh/0.9.6/openssl/zlib nghttp2/1.43.0 librtmp/2.3 OpenLDAP/2.5.16\nRelease-Date: 2022-01-05\nProtocols: dict file ftp ftps gopher gophers http https imap imaps ldap ldaps mqtt pop3 pop3s rtmp rtsp scp sftp smb smbs smtp smtps telnet tftp \nFeatures: alt-svc AsynchDNS brotli GSS-API HSTS HTTP2 HTTPS-proxy IDN IPv6 Kerberos Largefile libz NTLM NTLM_WB PSL SPNEGO SSL TLS-SRP UnixSockets zstd\n")
		return 0
	}
	urls := o.rest
	if u := o.longVal("url"); u != "" {
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		c.print("curl: try 'curl --help' or 'curl --manual' for more information\n")
		return 2
	}
	silent := o.has('s') || o.hasLong("silent")
	showErr := o.has('S') || o.hasLong("show-error")
	out := o.val('o') + o.longVal("output")
	remoteName := o.has('O') || o.hasLong("remote-name")
	status := 0
	for _, raw := range urls {
		u, host, okURL := parseURL(raw)
		if !okURL {
			if !silent || showErr {
				fmt.Fprintf(c.stderr, "curl: (3) URL using bad/illegal format or missing URL\n")
			}
			status = 3
			continue
		}
		target := out
		if remoteName && target == "" {
			target = path.Base(u.Path)
			if target == "/" || target == "." {
				target = ""
			}
			if target == "" {
				if !silent || showErr {
					fmt.Fprint(c.stderr, "curl: Remote file name has no length!\ncurl: (23) Failed writing received data to disk/application\n")
				}
				c.recordDownload("curl", raw, host, "", 0, "remote file name has no length")
				status = 23
				continue
			}
		}
		vfsPath := ""
		if target != "" && target != "-" {
			vfsPath = c.abs(target)
		}
		progress := vfsPath != "" && !silent && !o.hasLong("no-progress-meter")
		if progress {
			fmt.Fprint(c.stderr, "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n")
		}
		data, ferr, fetched := c.fetch(u.String())
		if fetched && ferr == nil {
			if progress {
				fmt.Fprintf(c.stderr, "100 %5s  100 %5s    0     0  %5s      0 --:--:-- --:--:-- --:--:-- %5s\n", lsHuman(int64(len(data))), lsHuman(int64(len(data))), lsHuman(int64(len(data))*9), lsHuman(int64(len(data))*9))
			}
			if vfsPath == "" {
				c.stdout.Write(data)
			} else if err := c.writeFile(target, data, false); err != nil {
				if !silent || showErr {
					fmt.Fprintf(c.stderr, "Warning: Failed to open the file %s: %s\ncurl: (23) Failure writing output to destination\n", target, strerror(err))
				}
				c.recordDownload("curl", raw, host, vfsPath, 0, strerror(err))
				status = 23
				continue
			}
			c.recordDownload("curl", raw, host, vfsPath, int64(len(data)), "")
			continue
		}
		var msg string
		code := 28
		switch {
		case fetched:
			c.netWait()
			code = 7
			msg = fmt.Sprintf("curl: (7) Failed to connect to %s port %s after %d ms: Connection refused", host, defaultPort(u), 2000+c.s.rng.intn(100))
		case !isIP(host) && !c.local(host):
			code = 6
			msg = "curl: (6) Could not resolve host: " + host
		default:
			c.netWait()
			ms := 129000 + c.s.rng.intn(4000)
			if c.newCurl() {
				msg = fmt.Sprintf("curl: (28) Failed to connect to %s port %s after %d ms: Connection timed out", host, defaultPort(u), ms)
			} else {
				code = 7
				msg = fmt.Sprintf("curl: (7) Failed to connect to %s port %s: Connection timed out", host, defaultPort(u))
			}
		}
		if progress {
			spent := fmt.Sprintf(" 0:02:%02d", 9+c.s.rng.intn(3))
			if code == 6 {
				spent = "--:--:--"
			}
			fmt.Fprintf(c.stderr, "  0     0    0     0    0     0      0      0 --:--:-- %s --:--:--     0\n", spent)
		}
		if !silent || showErr {
			fmt.Fprintln(c.stderr, msg)
		}
		c.recordDownload("curl", raw, host, vfsPath, 0, strings.TrimPrefix(msg[strings.IndexByte(msg, ')')+2:], " "))
		status = code
	}
	return status
}

func cmdTftp(c *cmdCtx) int {
	var host, remote, local string
	get := false
	args := c.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-g":
			get = true
		case a == "-p":
		case a == "-r" && i+1 < len(args):
			remote = args[i+1]
			i++
		case a == "-l" && i+1 < len(args):
			local = args[i+1]
			i++
		case a == "-c" && i+2 < len(args):
			get = args[i+1] == "get"
			remote = args[i+2]
			if i+3 < len(args) {
				local = args[i+3]
			}
			i = len(args)
		case strings.HasPrefix(a, "-"):
		default:
			if host == "" {
				host = a
			}
		}
	}
	if host == "" {
		c.print("BusyBox v1.36.1 (2024-01-16 16:09:26 UTC) multi-call binary.\n\nUsage: tftp [OPTIONS] HOST [PORT]\n\nTransfer a file from/to tftp server\n\n\t-l FILE\tLocal FILE\n\t-r FILE\tRemote FILE\n\t-g\tGet file\n\t-p\tPut file\n\t-b SIZE\tTransfer blocks in bytes\n")
		return 1
	}
	if remote == "" {
		remote = local
	}
	if local == "" {
		local = path.Base(remote)
	}
	raw := "tftp://" + host + "/" + strings.TrimPrefix(remote, "/")
	if get {
		c.netWait()
		if err := c.writeFile(local, nil, false); err != nil {
			c.errorf("can't open '%s': %s", local, strerror(err))
		}
		c.recordDownload("tftp", raw, host, c.abs(local), 0, "timeout")
		c.errorf("timeout")
		_ = c.v().remove(c.cred(), c.abs(local), false, c.now)
		return 1
	}
	c.recordDownload("tftp", raw, host, c.abs(local), 0, "timeout")
	c.netWait()
	c.errorf("timeout")
	return 1
}

func cmdFtpget(c *cmdCtx) int {
	var pos []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if (a == "-u" || a == "-p" || a == "-P") && i+1 < len(c.args) {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
		}
	}
	if len(pos) < 2 {
		c.printf("BusyBox v1.36.1 (2024-01-16 16:09:26 UTC) multi-call binary.\n\nUsage: %s [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n", c.name)
		return 1
	}
	host := pos[0]
	local, remote := pos[1], pos[len(pos)-1]
	if len(pos) == 2 {
		local = path.Base(remote)
	}
	p := c.abs(local)
	if c.name == "ftpput" {
		p = ""
	}
	c.recordDownload(c.name, "ftp://"+host+"/"+strings.TrimPrefix(remote, "/"), host, p, 0, "connection timed out")
	c.netWait()
	c.errorf("can't connect to remote host (%s): Connection timed out", host)
	return 1
}

func cmdScp(c *cmdCtx) int {
	var pos []string
	sink := false
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "-t":
			sink = true
		case (a == "-P" || a == "-i" || a == "-o" || a == "-l" || a == "-c" || a == "-F" || a == "-S" || a == "-J") && i+1 < len(c.args):
			i++
		case strings.HasPrefix(a, "-"):
		default:
			pos = append(pos, a)
		}
	}
	if sink {
		// scp -t is the receiving end of an upload: the client would now
		// stream the file on stdin. Record where it was headed.
		target := "."
		if len(pos) > 0 {
			target = pos[len(pos)-1]
		}
		c.s.recordDownload(Download{Tool: "scp", Host: c.s.remoteIP, Path: c.abs(target), Command: c.text, Err: "no data", At: c.now})
		return 1
	}
	if len(pos) < 2 {
		c.print("usage: scp [-346ABCOpqRrsTv] [-c cipher] [-D sftp_server_path] [-F ssh_config]\n           [-i identity_file] [-J destination] [-l limit]\n           [-o ssh_option] [-P port] [-S program] source ... target\n")
		return 1
	}
	remoteSpec := ""
	local := ""
	for _, p := range pos {
		if strings.Contains(p, ":") && !strings.HasPrefix(p, "/") {
			remoteSpec = p
		} else {
			local = p
		}
	}
	if remoteSpec == "" {
		for _, src := range pos[:len(pos)-1] {
			if err := c.copyTo(c.abs(src), c.abs(pos[len(pos)-1]), false, false); err != nil {
				c.errorf("%s: %s", src, strerror(err))
				return 1
			}
		}
		return 0
	}
	hostPart, rpath, _ := strings.Cut(remoteSpec, ":")
	host := hostPart
	if i := strings.LastIndexByte(hostPart, '@'); i >= 0 {
		host = hostPart[i+1:]
	}
	raw := "scp://" + hostPart + "/" + strings.TrimPrefix(rpath, "/")
	download := strings.Contains(pos[0], ":") && !strings.HasPrefix(pos[0], "/")
	p := ""
	if local != "" {
		p = c.abs(local)
	}
	if download && p != "" {
		if n, _, err := c.v().lookup(c.cred(), p, true); err == nil && n.isDir() {
			p = path.Join(p, path.Base(rpath))
		}
	}
	if !isIP(host) && !c.local(host) {
		c.recordDownload("scp", raw, host, p, 0, "name resolution failed")
		fmt.Fprintf(c.stderr, "ssh: Could not resolve hostname %s: Temporary failure in name resolution\nlost connection\n", host)
		return 1
	}
	c.netWait()
	c.recordDownload("scp", raw, host, p, 0, "connection timed out")
	fmt.Fprintf(c.stderr, "ssh: connect to host %s port 22: Connection timed out\nlost connection\n", host)
	return 1
}

func cmdSSH(c *cmdCtx) int {
	var host string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		if (a == "-p" || a == "-i" || a == "-o" || a == "-l" || a == "-L" || a == "-R" || a == "-D" || a == "-F" || a == "-J" || a == "-W" || a == "-b" || a == "-c" || a == "-E" || a == "-m") && i+1 < len(c.args) {
			i++
			continue
		}
		if a == "-V" {
			c.print("OpenSSH_8.9p1 Ubuntu-3ubuntu0.6, OpenSSL 3.0.2 15 Mar 2022\n")
			return 0
		}
		if !strings.HasPrefix(a, "-") {
			host = a
			break
		}
	}
	if host == "" {
		c.print("usage: ssh [-46AaCfGgKkMNnqsTtVvXxYy] [-B bind_interface]\n           [-b bind_address] [-c cipher_spec] [-D [bind_address:]port]\n           [-E log_file] [-e escape_char] [-F configfile] [-I pkcs11]\n           [-i identity_file] [-J [user@]host[:port]] [-L address]\n           [-l login_name] [-m mac_spec] [-O ctl_cmd] [-o option] [-p port]\n           [-Q query_option] [-R address] [-S ctl_path] [-W host:port]\n           [-w local_tun[:remote_tun]] destination [command [argument ...]]\n")
		return 255
	}
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if !isIP(host) && !c.local(host) {
		fmt.Fprintf(c.stderr, "ssh: Could not resolve hostname %s: Temporary failure in name resolution\n", host)
		return 255
	}
	c.netWait()
	fmt.Fprintf(c.stderr, "ssh: connect to host %s port 22: Connection timed out\n", host)
	return 255
}

func cmdNc(c *cmdCtx) int {
	fam := c.fsys().d.family
	listen, verbose := false, false
	var pos []string
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if strings.Contains(a, "e") && fam == "debian" {
				c.errorf("invalid option -- 'e'")
				c.print("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n")
				return 1
			}
			listen = listen || strings.Contains(a, "l")
			verbose = verbose || strings.Contains(a, "v")
			if strings.ContainsAny(a[len(a)-1:], "pewqsxiIMmOPTVWX") && i+1 < len(c.args) {
				if strings.HasSuffix(a, "p") && listen {
					pos = append(pos, c.args[i+1])
				}
				i++
			}
		default:
			pos = append(pos, a)
		}
	}
	if listen {
		port := ""
		if len(pos) > 0 {
			port = pos[len(pos)-1]
		}
		if verbose {
			switch fam {
			case "rhel":
				fmt.Fprintf(c.stderr, "Ncat: Version 7.92 ( https://nmap.org/ncat )\nNcat: Listening on :::%s\nNcat: Listening on 0.0.0.0:%s\n", port, port)
			default:
				fmt.Fprintf(c.stderr, "Listening on 0.0.0.0 %s\n", port)
			}
		}
		c.netWait()
		return 0
	}
	if len(pos) < 2 {
		if fam == "rhel" {
			fmt.Fprint(c.stderr, "Ncat: You must specify a host to connect to. QUITTING.\n")
			return 2
		}
		c.print("usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]\n")
		return 1
	}
	host, port := pos[0], pos[1]
	if !isIP(host) && !c.local(host) {
		switch fam {
		case "rhel":
			fmt.Fprintf(c.stderr, "Ncat: Could not resolve hostname \"%s\": Name or service not known. QUITTING.\n", host)
		case "alpine":
			fmt.Fprintf(c.stderr, "nc: bad address '%s'\n", host)
		default:
			fmt.Fprintf(c.stderr, "nc: getaddrinfo for host \"%s\" port %s: Temporary failure in name resolution\n", host, port)
		}
		return 1
	}
	c.netWait()
	switch fam {
	case "rhel":
		fmt.Fprint(c.stderr, "Ncat: TIMEOUT.\n")
	case "alpine":
		fmt.Fprintf(c.stderr, "nc: can't connect to remote host (%s): Connection timed out\n", host)
	default:
		if verbose {
			fmt.Fprintf(c.stderr, "nc: connect to %s port %s (tcp) failed: Connection timed out\n", host, port)
		}
	}
	return 1
}

func cmdTelnet(c *cmdCtx) int {
	if len(c.args) == 0 {
		return 0
	}
	host := c.args[0]
	port := "23"
	if len(c.args) > 1 {
		port = c.args[1]
	}
	if !isIP(host) && !c.local(host) {
		fmt.Fprintf(c.stderr, "telnet: could not resolve %s/%s: Temporary failure in name resolution\n", host, port)
		return 1
	}
	c.printf("Trying %s...\n", host)
	c.netWait()
	fmt.Fprint(c.stderr, "telnet: Unable to connect to remote host: Connection timed out\n")
	return 1
}
