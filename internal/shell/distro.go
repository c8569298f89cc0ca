package shell

import (
	"strings"
	"time"
)

// distro holds what differs between the distros of fleet.md §2.2: release
// files, account tables, paths, tool flavours and package lists. Text follows
// the real releases closely, because `cat /etc/os-release` is the first thing
// most intruders run.
type distro struct {
	slug   string
	family string // debian, rhel, alpine or arch
	// hostStyle is the original's hostname style: generic, rhel, minimal
	// or rolling.
	hostStyle string
	osRelease string
	issue     string
	issueNet  string
	// etc holds further release files, by path under /etc.
	etc map[string]string
	// lsb is lsb_release's Distributor ID, Description, Release, Codename.
	lsb [4]string
	// usrMerge says /bin, /sbin and /lib are links into /usr.
	usrMerge   bool
	loginShell string
	nologin    string
	// pkg is the package tool: apt, dnf, yum, apk or pacman.
	pkg     string
	mirror  string
	kernels []kernelBuild
	// kernelFallback is uname -v for an operator-given release.
	kernelFallback string
	sudoGroup      string
	sshUnit        string
	cronSpool      string
	authLog        string
	sysLog         string
	// passwd and group are the system accounts after root, with @NOLOGIN@
	// for the nologin shell and @SUDO@ for the sudo group's members.
	passwd       string
	group        string
	shadowMode   uint32
	defaultUsers []string
	// notFound is how an unknown command is answered: bash, ubuntu (the
	// command-not-found helper) or ash.
	notFound    string
	prompt      string // debian, rhel or ash
	bashVersion string
	python3     string // "" when not installed
	python2     string
	perl        bool
	released    time.Time
	// packages are "name version arch description" lines; rpm-style
	// distros give name-version-release.arch as one field.
	packages string
}

// kernelBuild pairs a kernel release with the uname -v string it shipped
// with. Release placeholders: {deb} is amd64/arm64, {m} x86_64/aarch64.
type kernelBuild struct{ release, version string }

func (d *distro) kernel(r *prng, arch string) string {
	return expandArch(pick(r, d.kernels).release, arch)
}

// kernelVersion returns uname -v for a release.
func (d *distro) kernelVersion(release, arch string) string {
	for _, k := range d.kernels {
		if expandArch(k.release, arch) == release {
			return k.version
		}
	}
	return d.kernelFallback
}

func expandArch(s, arch string) string {
	deb := "amd64"
	if arch == "aarch64" {
		deb = "arm64"
	}
	return strings.NewReplacer("{deb}", deb, "{m}", arch).Replace(s)
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

const debianPasswd = `daemon:x:1:1:daemon:/usr/sbin:@NOLOGIN@
bin:x:2:2:bin:/bin:@NOLOGIN@
sys:x:3:3:sys:/dev:@NOLOGIN@
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:@NOLOGIN@
man:x:6:12:man:/var/cache/man:@NOLOGIN@
lp:x:7:7:lp:/var/spool/lpd:@NOLOGIN@
mail:x:8:8:mail:/var/mail:@NOLOGIN@
news:x:9:9:news:/var/spool/news:@NOLOGIN@
uucp:x:10:10:uucp:/var/spool/uucp:@NOLOGIN@
proxy:x:13:13:proxy:/bin:@NOLOGIN@
www-data:x:33:33:www-data:/var/www:@NOLOGIN@
backup:x:34:34:backup:/var/backups:@NOLOGIN@
list:x:38:38:Mailing List Manager:/var/list:@NOLOGIN@
irc:x:39:39:ircd:/run/ircd:@NOLOGIN@
_apt:x:42:65534::/nonexistent:@NOLOGIN@
nobody:x:65534:65534:nobody:/nonexistent:@NOLOGIN@
systemd-network:x:998:998:systemd Network Management:/:@NOLOGIN@
systemd-timesync:x:997:997:systemd Time Synchronization:/:@NOLOGIN@
messagebus:x:100:107::/nonexistent:@NOLOGIN@
sshd:x:101:65534::/run/sshd:@NOLOGIN@
`

const ubuntuPasswd = `daemon:x:1:1:daemon:/usr/sbin:@NOLOGIN@
bin:x:2:2:bin:/bin:@NOLOGIN@
sys:x:3:3:sys:/dev:@NOLOGIN@
sync:x:4:65534:sync:/bin:/bin/sync
games:x:5:60:games:/usr/games:@NOLOGIN@
man:x:6:12:man:/var/cache/man:@NOLOGIN@
lp:x:7:7:lp:/var/spool/lpd:@NOLOGIN@
mail:x:8:8:mail:/var/mail:@NOLOGIN@
news:x:9:9:news:/var/spool/news:@NOLOGIN@
uucp:x:10:10:uucp:/var/spool/uucp:@NOLOGIN@
proxy:x:13:13:proxy:/bin:@NOLOGIN@
www-data:x:33:33:www-data:/var/www:@NOLOGIN@
backup:x:34:34:backup:/var/backups:@NOLOGIN@
list:x:38:38:Mailing List Manager:/var/list:@NOLOGIN@
irc:x:39:39:ircd:/run/ircd:@NOLOGIN@
gnats:x:41:41:Gnats Bug-Reporting System (admin):/var/lib/gnats:@NOLOGIN@
nobody:x:65534:65534:nobody:/nonexistent:@NOLOGIN@
_apt:x:100:65534::/nonexistent:@NOLOGIN@
systemd-network:x:101:102:systemd Network Management,,,:/run/systemd:@NOLOGIN@
systemd-resolve:x:102:103:systemd Resolver,,,:/run/systemd:@NOLOGIN@
messagebus:x:103:104::/nonexistent:@NOLOGIN@
systemd-timesync:x:104:105:systemd Time Synchronization,,,:/run/systemd:@NOLOGIN@
pollinate:x:105:1::/var/cache/pollinate:/bin/false
sshd:x:106:65534::/run/sshd:@NOLOGIN@
syslog:x:107:113::/home/syslog:@NOLOGIN@
uuidd:x:108:114::/run/uuidd:@NOLOGIN@
tcpdump:x:109:115::/nonexistent:@NOLOGIN@
tss:x:110:116:TPM software stack,,,:/var/lib/tpm:/bin/false
landscape:x:111:117::/var/lib/landscape:@NOLOGIN@
usbmux:x:112:46:usbmux daemon,,,:/var/lib/usbmux:@NOLOGIN@
lxd:x:999:100::/var/snap/lxd/common/lxd:/bin/false
`

const debianGroup = `daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:syslog@SUDO@
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
news:x:9:
uucp:x:10:
man:x:12:
proxy:x:13:
kmem:x:15:
dialout:x:20:
fax:x:21:
voice:x:22:
cdrom:x:24:@SUDO0@
floppy:x:25:
tape:x:26:
sudo:x:27:@SUDO0@
audio:x:29:
dip:x:30:@SUDO0@
www-data:x:33:
backup:x:34:
operator:x:37:
list:x:38:
irc:x:39:
src:x:40:
shadow:x:42:
utmp:x:43:
video:x:44:
sasl:x:45:
plugdev:x:46:@SUDO0@
staff:x:50:
games:x:60:
users:x:100:
nogroup:x:65534:
systemd-journal:x:101:
systemd-network:x:102:
systemd-resolve:x:103:
messagebus:x:104:
systemd-timesync:x:105:
crontab:x:106:
input:x:107:
kvm:x:108:
render:x:109:
sgx:x:110:
_ssh:x:111:
syslog:x:113:
uuidd:x:114:
tcpdump:x:115:
tss:x:116:
landscape:x:117:
`

const rhelPasswd = `bin:x:1:1:bin:/bin:@NOLOGIN@
daemon:x:2:2:daemon:/sbin:@NOLOGIN@
adm:x:3:4:adm:/var/adm:@NOLOGIN@
lp:x:4:7:lp:/var/spool/lpd:@NOLOGIN@
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/spool/mail:@NOLOGIN@
operator:x:11:0:operator:/root:@NOLOGIN@
games:x:12:100:games:/usr/games:@NOLOGIN@
ftp:x:14:50:FTP User:/var/ftp:@NOLOGIN@
nobody:x:65534:65534:Kernel Overflow User:/:@NOLOGIN@
systemd-coredump:x:999:997:systemd Core Dumper:/:@NOLOGIN@
dbus:x:81:81:System message bus:/:@NOLOGIN@
tss:x:59:59:Account used for TPM access:/dev/null:@NOLOGIN@
sssd:x:998:995:User for sssd:/:@NOLOGIN@
chrony:x:997:994::/var/lib/chrony:@NOLOGIN@
sshd:x:74:74:Privilege-separated SSH:/usr/share/empty.sshd:@NOLOGIN@
`

const centosPasswd = `bin:x:1:1:bin:/bin:@NOLOGIN@
daemon:x:2:2:daemon:/sbin:@NOLOGIN@
adm:x:3:4:adm:/var/adm:@NOLOGIN@
lp:x:4:7:lp:/var/spool/lpd:@NOLOGIN@
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/spool/mail:@NOLOGIN@
operator:x:11:0:operator:/root:@NOLOGIN@
games:x:12:100:games:/usr/games:@NOLOGIN@
ftp:x:14:50:FTP User:/var/ftp:@NOLOGIN@
nobody:x:99:99:Nobody:/:@NOLOGIN@
systemd-network:x:192:192:systemd Network Management:/:@NOLOGIN@
dbus:x:81:81:System message bus:/:@NOLOGIN@
polkitd:x:999:998:User for polkitd:/:@NOLOGIN@
sshd:x:74:74:Privilege-separated SSH:/var/empty/sshd:@NOLOGIN@
postfix:x:89:89::/var/spool/postfix:@NOLOGIN@
chrony:x:998:996::/var/lib/chrony:@NOLOGIN@
`

const rhelGroup = `bin:x:1:
daemon:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mem:x:8:
kmem:x:9:
wheel:x:10:@SUDO0@
cdrom:x:11:
mail:x:12:
man:x:15:
dialout:x:18:
floppy:x:19:
games:x:20:
tape:x:33:
video:x:39:
ftp:x:50:
lock:x:54:
audio:x:63:
users:x:100:
nobody:x:65534:
utmp:x:22:
utempter:x:35:
input:x:999:
kvm:x:36:
render:x:998:
systemd-journal:x:190:
systemd-coredump:x:997:
dbus:x:81:
tss:x:59:
ssh_keys:x:996:
sssd:x:995:
chrony:x:994:
sshd:x:74:
`

const alpinePasswd = `bin:x:1:1:bin:/bin:@NOLOGIN@
daemon:x:2:2:daemon:/sbin:@NOLOGIN@
adm:x:3:4:adm:/var/adm:@NOLOGIN@
lp:x:4:7:lp:/var/spool/lpd:@NOLOGIN@
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/mail:@NOLOGIN@
news:x:9:13:news:/usr/lib/news:@NOLOGIN@
uucp:x:10:14:uucp:/var/spool/uucppublic:@NOLOGIN@
operator:x:11:0:operator:/root:@NOLOGIN@
man:x:13:15:man:/usr/man:@NOLOGIN@
postmaster:x:14:12:postmaster:/var/mail:@NOLOGIN@
cron:x:16:16:cron:/var/spool/cron:@NOLOGIN@
ftp:x:21:21::/var/lib/ftp:@NOLOGIN@
sshd:x:22:22:sshd:/dev/null:@NOLOGIN@
at:x:25:25:at:/var/spool/cron/atjobs:@NOLOGIN@
squid:x:31:31:Squid:/var/cache/squid:@NOLOGIN@
xfs:x:33:33:X Font Server:/etc/X11/fs:@NOLOGIN@
games:x:35:35:games:/usr/games:@NOLOGIN@
cyrus:x:85:12::/usr/cyrus:@NOLOGIN@
vpopmail:x:89:89::/var/vpopmail:@NOLOGIN@
ntp:x:123:123:NTP:/var/empty:@NOLOGIN@
smmsp:x:209:209:smmsp:/var/spool/mqueue:@NOLOGIN@
guest:x:405:100:guest:/dev/null:@NOLOGIN@
nobody:x:65534:65534:nobody:/:@NOLOGIN@
`

const alpineGroup = `bin:x:1:root,bin,daemon
daemon:x:2:root,bin,daemon
sys:x:3:root,bin,adm
adm:x:4:root,adm,daemon
tty:x:5:
disk:x:6:root,adm
lp:x:7:lp
mem:x:8:
kmem:x:9:
wheel:x:10:root@SUDO@
floppy:x:11:root
mail:x:12:mail
news:x:13:news
uucp:x:14:uucp
man:x:15:man
cron:x:16:cron
console:x:17:
audio:x:18:
cdrom:x:19:
dialout:x:20:root
ftp:x:21:
sshd:x:22:
input:x:23:
at:x:25:at
tape:x:26:root
video:x:27:root
netdev:x:28:
readproc:x:30:
squid:x:31:squid
xfs:x:33:xfs
kvm:x:34:kvm
games:x:35:
shadow:x:42:
cdrw:x:80:
www-data:x:82:
usb:x:85:
vpopmail:x:89:
users:x:100:games
ntp:x:123:
nofiles:x:200:
smmsp:x:209:smmsp
locate:x:245:
abuild:x:300:
utmp:x:406:
ping:x:999:
nogroup:x:65533:
nobody:x:65534:
`

const archPasswd = `bin:x:1:1::/:@NOLOGIN@
daemon:x:2:2::/:@NOLOGIN@
mail:x:8:12::/var/spool/mail:@NOLOGIN@
ftp:x:14:11::/srv/ftp:@NOLOGIN@
http:x:33:33::/srv/http:@NOLOGIN@
nobody:x:65534:65534:Kernel Overflow User:/:@NOLOGIN@
dbus:x:81:81:System Message Bus:/:@NOLOGIN@
systemd-coredump:x:984:984:systemd Core Dumper:/:@NOLOGIN@
systemd-network:x:982:982:systemd Network Management:/:@NOLOGIN@
systemd-oom:x:981:981:systemd Userspace OOM Killer:/:@NOLOGIN@
systemd-journal-remote:x:980:980:systemd Journal Remote:/:@NOLOGIN@
systemd-resolve:x:979:979:systemd Resolver:/:@NOLOGIN@
systemd-timesync:x:978:978:systemd Time Synchronization:/:@NOLOGIN@
tss:x:977:977:tss user for tpm2:/:@NOLOGIN@
uuidd:x:68:68::/:@NOLOGIN@
sshd:x:976:976:sshd user:/var/empty:@NOLOGIN@
`

const archGroup = `sys:x:3:bin
mem:x:8:
ftp:x:11:
mail:x:12:
log:x:19:
smmsp:x:25:
proc:x:26:
games:x:50:
lock:x:54:
network:x:90:
floppy:x:94:
scanner:x:96:
power:x:98:
nobody:x:65534:
adm:x:999:daemon
wheel:x:998:@SUDO0@
utmp:x:997:
audio:x:996:
disk:x:995:
input:x:994:
kmem:x:993:
kvm:x:992:
lp:x:991:
optical:x:990:
render:x:989:
sgx:x:988:
storage:x:987:
tty:x:5:
uucp:x:986:
video:x:985:
users:x:984:
rfkill:x:982:
bin:x:1:daemon
daemon:x:2:bin
http:x:33:
dbus:x:81:
systemd-coredump:x:983:
systemd-network:x:981:
systemd-journal:x:980:
tss:x:977:
uuidd:x:68:
sshd:x:976:
`

const ubuntuOSURLs = `HOME_URL="https://www.ubuntu.com/"
SUPPORT_URL="https://help.ubuntu.com/"
BUG_REPORT_URL="https://bugs.launchpad.net/ubuntu/"
PRIVACY_POLICY_URL="https://www.ubuntu.com/legal/terms-and-policies/privacy-policy"
`

const debianPackages = `adduser 3.134 all add and remove users and groups
apt 2.6.1 amd64 commandline package manager
base-files 12.4+deb12u4 amd64 Debian base system miscellaneous files
bash 5.2.15-2+b2 amd64 GNU Bourne Again SHell
ca-certificates 20230311 all Common CA certificates
coreutils 9.1-1 amd64 GNU core utilities
cron 3.0pl1-162 amd64 process scheduling daemon
curl 7.88.1-10+deb12u5 amd64 command line tool for transferring data with URL syntax
dpkg 1.21.22 amd64 Debian package management system
grep 3.8-5 amd64 GNU grep, egrep and fgrep
gzip 1.12-1 amd64 GNU compression utilities
hostname 3.23+nmu1 amd64 utility to set/show the host name or domain name
iproute2 6.1.0-3 amd64 networking and traffic control tools
iputils-ping 3:20221126-1 amd64 Tools to test the reachability of network hosts
less 590-2 amd64 pager program similar to more
libc6 2.36-9+deb12u4 amd64 GNU C Library: Shared libraries
login 1:4.13+dfsg1-1+b1 amd64 system login tools
net-tools 2.10-0.1 amd64 NET-3 networking toolkit
openssh-client 1:9.2p1-2+deb12u2 amd64 secure shell (SSH) client, for secure access to remote machines
openssh-server 1:9.2p1-2+deb12u2 amd64 secure shell (SSH) server, for secure access from remote machines
openssl 3.0.11-1~deb12u2 amd64 Secure Sockets Layer toolkit - cryptographic utility
passwd 1:4.13+dfsg1-1+b1 amd64 change and administer password and group data
perl-base 5.36.0-7+deb12u1 amd64 minimal Perl system
procps 2:4.0.2-3 amd64 /proc file system utilities
python3 3.11.2-1+b1 amd64 interactive high-level object-oriented language (default python3 version)
rsyslog 8.2302.0-1 amd64 reliable system and kernel logging daemon
sed 4.9-1 amd64 GNU stream editor for filtering/transforming text
sudo 1.9.13p3-1+deb12u1 amd64 Provide limited super user privileges to specific users
systemd 252.22-1~deb12u1 amd64 system and service manager
tar 1.34+dfsg-1.2+deb12u1 amd64 GNU version of the tar archiving utility
util-linux 2.38.1-5+b1 amd64 miscellaneous system utilities
vim-tiny 2:9.0.1378-2 amd64 Vi IMproved - enhanced vi editor - compact version
wget 1.21.3-1+b2 amd64 retrieves files from the web
`

const ubuntu22Packages = `adduser 3.118ubuntu5 all add and remove users and groups
apt 2.4.11 amd64 commandline package manager
base-files 12ubuntu4.4 amd64 Debian base system miscellaneous files
bash 5.1-6ubuntu1 amd64 GNU Bourne Again SHell
ca-certificates 20230311ubuntu0.22.04.1 all Common CA certificates
coreutils 8.32-4.1ubuntu1 amd64 GNU core utilities
cron 3.0pl1-137ubuntu3 amd64 process scheduling daemon
curl 7.81.0-1ubuntu1.15 amd64 command line tool for transferring data with URL syntax
dpkg 1.21.1ubuntu2.2 amd64 Debian package management system
grep 3.7-1build1 amd64 GNU grep, egrep and fgrep
gzip 1.10-4ubuntu4.1 amd64 GNU compression utilities
hostname 3.23ubuntu2 amd64 utility to set/show the host name or domain name
iproute2 5.15.0-1ubuntu2 amd64 networking and traffic control tools
iputils-ping 3:20211215-1 amd64 Tools to test the reachability of network hosts
less 590-1ubuntu0.22.04.1 amd64 pager program similar to more
libc6 2.35-0ubuntu3.5 amd64 GNU C Library: Shared libraries
login 1:4.8.1-2ubuntu2.1 amd64 system login tools
net-tools 1.60+git20181103.0eebece-1ubuntu5 amd64 NET-3 networking toolkit
openssh-client 1:8.9p1-3ubuntu0.6 amd64 secure shell (SSH) client, for secure access to remote machines
openssh-server 1:8.9p1-3ubuntu0.6 amd64 secure shell (SSH) server, for secure access from remote machines
openssl 3.0.2-0ubuntu1.12 amd64 Secure Sockets Layer toolkit - cryptographic utility
passwd 1:4.8.1-2ubuntu2.1 amd64 change and administer password and group data
perl-base 5.34.0-3ubuntu1.3 amd64 minimal Perl system
procps 2:3.3.17-6ubuntu2.1 amd64 /proc file system utilities
python3 3.10.6-1~22.04 amd64 interactive high-level object-oriented language (default python3 version)
rsyslog 8.2112.0-2ubuntu2.2 amd64 reliable system and kernel logging daemon
sed 4.8-1ubuntu2 amd64 GNU stream editor for filtering/transforming text
sudo 1.9.9-1ubuntu2.4 amd64 Provide limited super user privileges to specific users
systemd 249.11-0ubuntu3.11 amd64 system and service manager
tar 1.34+dfsg-1ubuntu0.1.22.04.2 amd64 GNU version of the tar archiving utility
util-linux 2.37.2-4ubuntu3 amd64 miscellaneous system utilities
vim-tiny 2:8.2.3995-1ubuntu2.13 amd64 Vi IMproved - enhanced vi editor - compact version
wget 1.21.2-2ubuntu1 amd64 retrieves files from the web
`

const ubuntu20Packages = `adduser 3.118ubuntu2 all add and remove users and groups
apt 2.0.10 amd64 commandline package manager
base-files 11ubuntu5.8 amd64 Debian base system miscellaneous files
bash 5.0-6ubuntu1.2 amd64 GNU Bourne Again SHell
ca-certificates 20230311ubuntu0.20.04.1 all Common CA certificates
coreutils 8.30-3ubuntu2 amd64 GNU core utilities
cron 3.0pl1-136ubuntu1 amd64 process scheduling daemon
curl 7.68.0-1ubuntu2.21 amd64 command line tool for transferring data with URL syntax
dpkg 1.19.7ubuntu3.2 amd64 Debian package management system
grep 3.4-1 amd64 GNU grep, egrep and fgrep
gzip 1.10-0ubuntu4.1 amd64 GNU compression utilities
hostname 3.23 amd64 utility to set/show the host name or domain name
iproute2 5.5.0-1ubuntu1 amd64 networking and traffic control tools
iputils-ping 3:20190709-3 amd64 Tools to test the reachability of network hosts
less 551-1ubuntu0.1 amd64 pager program similar to more
libc6 2.31-0ubuntu9.14 amd64 GNU C Library: Shared libraries
login 1:4.8.1-1ubuntu5.20.04.5 amd64 system login tools
net-tools 1.60+git20180626.aebd88e-1ubuntu1 amd64 NET-3 networking toolkit
openssh-client 1:8.2p1-4ubuntu0.11 amd64 secure shell (SSH) client, for secure access to remote machines
openssh-server 1:8.2p1-4ubuntu0.11 amd64 secure shell (SSH) server, for secure access from remote machines
openssl 1.1.1f-1ubuntu2.20 amd64 Secure Sockets Layer toolkit - cryptographic utility
passwd 1:4.8.1-1ubuntu5.20.04.5 amd64 change and administer password and group data
perl-base 5.30.0-9ubuntu0.5 amd64 minimal Perl system
procps 2:3.3.16-1ubuntu2.4 amd64 /proc file system utilities
python3 3.8.2-0ubuntu2 amd64 interactive high-level object-oriented language (default python3 version)
rsyslog 8.2001.0-1ubuntu1.3 amd64 reliable system and kernel logging daemon
sed 4.7-1 amd64 GNU stream editor for filtering/transforming text
sudo 1.8.31-1ubuntu1.5 amd64 Provide limited super user privileges to specific users
systemd 245.4-4ubuntu3.23 amd64 system and service manager
tar 1.30+dfsg-7ubuntu0.20.04.4 amd64 GNU version of the tar archiving utility
util-linux 2.34-0.1ubuntu9.4 amd64 miscellaneous system utilities
vim-tiny 2:8.1.2269-1ubuntu5.20 amd64 Vi IMproved - enhanced vi editor - compact version
wget 1.20.3-1ubuntu2 amd64 retrieves files from the web
`

const kaliPackages = `adduser 3.137 all add and remove users and groups
apt 2.7.12 amd64 commandline package manager
base-files 1:2024.1.0 amd64 Kali Linux base system miscellaneous files
bash 5.2.21-2 amd64 GNU Bourne Again SHell
ca-certificates 20240203 all Common CA certificates
coreutils 9.4-3+b1 amd64 GNU core utilities
curl 8.5.0-2 amd64 command line tool for transferring data with URL syntax
dpkg 1.22.4 amd64 Debian package management system
grep 3.11-4 amd64 GNU grep, egrep and fgrep
gzip 1.12-1 amd64 GNU compression utilities
hostname 3.23+nmu2 amd64 utility to set/show the host name or domain name
iproute2 6.7.0-2 amd64 networking and traffic control tools
libc6 2.37-15 amd64 GNU C Library: Shared libraries
net-tools 2.10-0.1 amd64 NET-3 networking toolkit
nmap 7.94+git20230807.3be01efb1+dfsg-2+kali1 amd64 The Network Mapper
openssh-server 1:9.6p1-3 amd64 secure shell (SSH) server, for secure access from remote machines
openssl 3.1.5-1 amd64 Secure Sockets Layer toolkit - cryptographic utility
perl-base 5.38.2-3 amd64 minimal Perl system
python3 3.11.8-1 amd64 interactive high-level object-oriented language (default python3 version)
sudo 1.9.15p5-3 amd64 Provide limited super user privileges to specific users
systemd 255.3-2 amd64 system and service manager
tar 1.35+dfsg-3 amd64 GNU version of the tar archiving utility
wget 1.21.4-1+b1 amd64 retrieves files from the web
`

const rockyPackages = `bash-5.1.8-6.el9_1.x86_64
chrony-4.3-1.el9.x86_64
coreutils-8.32-34.el9.x86_64
cronie-1.5.7-8.el9.x86_64
curl-7.76.1-26.el9_3.2.x86_64
dnf-4.14.0-8.el9.noarch
glibc-2.34-83.el9.7.x86_64
grep-3.6-5.el9.x86_64
gzip-1.12-1.el9.x86_64
hostname-3.23-6.el9.x86_64
iproute-6.2.0-5.el9.x86_64
iputils-20210202-9.el9.x86_64
kernel-core-5.14.0-362.8.1.el9_3.x86_64
less-590-2.el9_2.x86_64
net-tools-2.0-0.62.20160912git.el9.x86_64
openssh-8.7p1-34.el9.x86_64
openssh-server-8.7p1-34.el9.x86_64
openssl-3.0.7-24.el9.x86_64
passwd-0.80-12.el9.x86_64
perl-interpreter-5.32.1-480.el9.x86_64
procps-ng-3.3.17-13.el9.x86_64
python3-3.9.18-1.el9_3.x86_64
rocky-release-9.3-1.2.el9.noarch
rpm-4.16.1.3-25.el9.x86_64
rsyslog-8.2102.0-117.el9.x86_64
sed-4.8-9.el9.x86_64
sudo-1.9.5p2-9.el9.x86_64
systemd-252-18.el9.x86_64
tar-1.34-6.el9_1.x86_64
util-linux-2.37.4-15.el9.x86_64
vim-minimal-8.2.2637-20.el9_1.x86_64
wget-1.21.1-7.el9.x86_64
`

const centosPackages = `bash-4.2.46-35.el7_9.x86_64
centos-release-7-9.2009.1.el7.centos.x86_64
chrony-3.4-1.el7.x86_64
coreutils-8.22-24.el7_9.2.x86_64
cronie-1.4.11-25.el7_9.x86_64
curl-7.29.0-59.el7_9.2.x86_64
glibc-2.17-326.el7_9.x86_64
grep-2.20-3.el7.x86_64
gzip-1.5-11.el7_9.x86_64
hostname-3.13-3.el7_7.1.x86_64
iproute-4.11.0-30.el7.x86_64
kernel-3.10.0-1160.el7.x86_64
net-tools-2.0-0.25.20131004git.el7.x86_64
openssh-7.4p1-23.el7_9.x86_64
openssh-server-7.4p1-23.el7_9.x86_64
openssl-1.0.2k-26.el7_9.x86_64
passwd-0.79-6.el7.x86_64
perl-5.16.3-299.el7_9.x86_64
procps-ng-3.3.10-28.el7.x86_64
python-2.7.5-94.el7_9.x86_64
rpm-4.11.3-48.el7_9.x86_64
rsyslog-8.24.0-57.el7_9.3.x86_64
sed-4.2.2-7.el7.x86_64
sudo-1.8.23-10.el7_9.3.x86_64
systemd-219-78.el7_9.9.x86_64
tar-1.26-35.el7.x86_64
util-linux-2.23.2-65.el7_9.1.x86_64
vim-minimal-7.4.629-8.el7_9.x86_64
wget-1.14-18.el7_6.1.x86_64
yum-3.4.3-168.el7.centos.noarch
`

const fedoraPackages = `bash-5.2.26-1.fc39.x86_64
coreutils-9.3-5.fc39.x86_64
curl-8.2.1-5.fc39.x86_64
dnf-4.18.2-1.fc39.noarch
fedora-release-server-39-36.noarch
glibc-2.38-16.fc39.x86_64
grep-3.11-3.fc39.x86_64
gzip-1.12-6.fc39.x86_64
hostname-3.23-9.fc39.x86_64
iproute-6.4.0-2.fc39.x86_64
kernel-core-6.7.5-200.fc39.x86_64
less-643-3.fc39.x86_64
net-tools-2.0-0.67.20160912git.fc39.x86_64
openssh-9.3p1-10.fc39.x86_64
openssh-server-9.3p1-10.fc39.x86_64
openssl-3.1.1-4.fc39.x86_64
perl-interpreter-5.38.2-502.fc39.x86_64
procps-ng-4.0.3-5.fc39.x86_64
python3-3.12.1-2.fc39.x86_64
rpm-4.19.1-1.fc39.x86_64
sed-4.8-14.fc39.x86_64
sudo-1.9.14-1.p3.fc39.x86_64
systemd-254.9-1.fc39.x86_64
tar-1.35-2.fc39.x86_64
util-linux-2.39.3-5.fc39.x86_64
vim-minimal-9.1.031-1.fc39.x86_64
wget-1.21.3-7.fc39.x86_64
`

const alpinePackages = `alpine-baselayout-3.4.3-r2
alpine-keys-2.4-r1
apk-tools-2.14.0-r5
busybox-1.36.1-r15
busybox-binsh-1.36.1-r15
ca-certificates-bundle-20240226-r0
libc-utils-0.7.2-r5
libcrypto3-3.1.4-r5
libssl3-3.1.4-r5
musl-1.2.4_git20230717-r4
musl-utils-1.2.4_git20230717-r4
openssh-keygen-9.6_p1-r0
openssh-server-9.6_p1-r0
openssh-server-common-9.6_p1-r0
scanelf-1.3.7-r2
ssl_client-1.36.1-r15
zlib-1.3.1-r0
`

const archPackages = `bash 5.2.026-2
coreutils 9.4-3
curl 8.6.0-3
glibc 2.39-1
grep 3.11-1
gzip 1.13-2
iproute2 6.7.0-2
less 1:643-1
linux 6.7.5.arch1-1
net-tools 2.10-2
openssh 9.6p1-1
openssl 3.2.1-1
pacman 6.0.2-9
perl 5.38.2-1
procps-ng 4.0.4-2
python 3.11.7-1
sed 4.9-3
sudo 1.9.15.p5-1
systemd 255.3-3
tar 1.35-2
util-linux 2.39.3-2
vim 9.1.0016-1
wget 1.21.4-1
`

// distros is the table of fleet.md §2.2.
var distros = map[string]*distro{
	"debian": {
		slug: "debian", family: "debian", hostStyle: "generic",
		osRelease: `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
`,
		issue:    "Debian GNU/Linux 12 \\n \\l\n\n",
		issueNet: "Debian GNU/Linux 12\n",
		etc:      map[string]string{"debian_version": "12.4\n"},
		lsb:      [4]string{"Debian", "Debian GNU/Linux 12 (bookworm)", "12", "bookworm"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/sbin/nologin",
		pkg: "apt", mirror: "deb.debian.org",
		kernels: []kernelBuild{
			{"6.1.0-13-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"},
			{"6.1.0-15-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.66-1 (2023-12-09)"},
			{"6.1.0-17-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.69-1 (2023-12-30)"},
			{"6.1.0-18-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"},
			{"6.1.0-20-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.85-1 (2024-04-11)"},
			{"6.1.0-21-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.90-1 (2024-05-03)"},
		},
		kernelFallback: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
		sudoGroup:      "sudo", sshUnit: "ssh", cronSpool: "/var/spool/cron/crontabs",
		authLog: "/var/log/auth.log", sysLog: "/var/log/syslog",
		passwd: debianPasswd, group: debianGroup, shadowMode: 0o640,
		defaultUsers: []string{"debian", "admin", "deploy", "sysadmin", "backup01"},
		notFound:     "bash", prompt: "debian", bashVersion: "5.2.15(1)-release",
		python3: "3.11.2", perl: true, released: date(2023, time.December, 10),
		packages: debianPackages,
	},
	"ubuntu22": {
		slug: "ubuntu22", family: "debian", hostStyle: "generic",
		osRelease: `PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
` + ubuntuOSURLs + `UBUNTU_CODENAME=jammy
`,
		issue:    "Ubuntu 22.04.3 LTS \\n \\l\n\n",
		issueNet: "Ubuntu 22.04.3 LTS\n",
		etc: map[string]string{
			"debian_version": "bookworm/sid\n",
			"lsb-release":    "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n",
		},
		lsb:      [4]string{"Ubuntu", "Ubuntu 22.04.3 LTS", "22.04", "jammy"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/sbin/nologin",
		pkg: "apt", mirror: "archive.ubuntu.com",
		kernels: []kernelBuild{
			{"5.15.0-86-generic", "#96-Ubuntu SMP Wed Sep 20 08:23:49 UTC 2023"},
			{"5.15.0-88-generic", "#98-Ubuntu SMP Mon Oct 2 15:18:56 UTC 2023"},
			{"5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023"},
			{"5.15.0-94-generic", "#104-Ubuntu SMP Tue Jan 9 15:25:40 UTC 2024"},
			{"5.15.0-97-generic", "#107-Ubuntu SMP Wed Feb 7 13:26:48 UTC 2024"},
			{"5.15.0-101-generic", "#111-Ubuntu SMP Tue Mar 5 20:16:58 UTC 2024"},
			{"5.15.0-105-generic", "#115-Ubuntu SMP Mon Apr 15 09:52:04 UTC 2024"},
		},
		kernelFallback: "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
		sudoGroup:      "sudo", sshUnit: "ssh", cronSpool: "/var/spool/cron/crontabs",
		authLog: "/var/log/auth.log", sysLog: "/var/log/syslog",
		passwd: ubuntuPasswd, group: debianGroup, shadowMode: 0o640,
		defaultUsers: []string{"ubuntu", "admin", "deploy", "devops"},
		notFound:     "ubuntu", prompt: "debian", bashVersion: "5.1.16(1)-release",
		python3: "3.10.12", perl: true, released: date(2023, time.August, 10),
		packages: ubuntu22Packages,
	},
	"ubuntu20": {
		slug: "ubuntu20", family: "debian", hostStyle: "generic",
		osRelease: `NAME="Ubuntu"
VERSION="20.04.6 LTS (Focal Fossa)"
ID=ubuntu
ID_LIKE=debian
PRETTY_NAME="Ubuntu 20.04.6 LTS"
VERSION_ID="20.04"
` + ubuntuOSURLs + `VERSION_CODENAME=focal
UBUNTU_CODENAME=focal
`,
		issue:    "Ubuntu 20.04.6 LTS \\n \\l\n\n",
		issueNet: "Ubuntu 20.04.6 LTS\n",
		etc: map[string]string{
			"debian_version": "bullseye/sid\n",
			"lsb-release":    "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=20.04\nDISTRIB_CODENAME=focal\nDISTRIB_DESCRIPTION=\"Ubuntu 20.04.6 LTS\"\n",
		},
		lsb:      [4]string{"Ubuntu", "Ubuntu 20.04.6 LTS", "20.04", "focal"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/sbin/nologin",
		pkg: "apt", mirror: "archive.ubuntu.com",
		kernels: []kernelBuild{
			{"5.4.0-163-generic", "#180-Ubuntu SMP Tue Sep 5 13:21:23 UTC 2023"},
			{"5.4.0-166-generic", "#183-Ubuntu SMP Mon Oct 2 11:28:33 UTC 2023"},
			{"5.4.0-169-generic", "#187-Ubuntu SMP Thu Nov 23 14:52:28 UTC 2023"},
			{"5.4.0-172-generic", "#190-Ubuntu SMP Fri Feb 2 23:24:22 UTC 2024"},
			{"5.4.0-174-generic", "#193-Ubuntu SMP Thu Mar 7 14:29:28 UTC 2024"},
		},
		kernelFallback: "#187-Ubuntu SMP Thu Nov 23 14:52:28 UTC 2023",
		sudoGroup:      "sudo", sshUnit: "ssh", cronSpool: "/var/spool/cron/crontabs",
		authLog: "/var/log/auth.log", sysLog: "/var/log/syslog",
		passwd: ubuntuPasswd, group: debianGroup, shadowMode: 0o640,
		defaultUsers: []string{"ubuntu", "admin", "deploy", "jenkins"},
		notFound:     "ubuntu", prompt: "debian", bashVersion: "5.0.17(1)-release",
		python3: "3.8.10", perl: true, released: date(2023, time.March, 14),
		packages: ubuntu20Packages,
	},
	"rocky9": {
		slug: "rocky9", family: "rhel", hostStyle: "rhel",
		osRelease: `NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
`,
		issue:    "\\S\nKernel \\r on an \\m\n\n",
		issueNet: "\\S\nKernel \\r on an \\m\n",
		etc: map[string]string{
			"redhat-release": "Rocky Linux release 9.3 (Blue Onyx)\n",
			"rocky-release":  "Rocky Linux release 9.3 (Blue Onyx)\n",
			"system-release": "Rocky Linux release 9.3 (Blue Onyx)\n",
		},
		lsb:      [4]string{"Rocky", "Rocky Linux release 9.3 (Blue Onyx)", "9.3", "BlueOnyx"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/sbin/nologin",
		pkg: "dnf", mirror: "mirrors.rockylinux.org",
		kernels: []kernelBuild{
			{"5.14.0-362.8.1.el9_3.{m}", "#1 SMP PREEMPT_DYNAMIC Wed Nov 8 17:36:32 UTC 2023"},
			{"5.14.0-362.13.1.el9_3.{m}", "#1 SMP PREEMPT_DYNAMIC Wed Dec 13 14:07:45 UTC 2023"},
			{"5.14.0-362.18.1.el9_3.{m}", "#1 SMP PREEMPT_DYNAMIC Mon Jan 29 07:05:48 UTC 2024"},
			{"5.14.0-362.24.1.el9_3.{m}", "#1 SMP PREEMPT_DYNAMIC Thu Mar 28 16:25:06 UTC 2024"},
		},
		kernelFallback: "#1 SMP PREEMPT_DYNAMIC Wed Nov 8 17:36:32 UTC 2023",
		sudoGroup:      "wheel", sshUnit: "sshd", cronSpool: "/var/spool/cron",
		authLog: "/var/log/secure", sysLog: "/var/log/messages",
		passwd: rhelPasswd, group: rhelGroup, shadowMode: 0,
		defaultUsers: []string{"rocky", "admin", "ansible", "sysadmin"},
		notFound:     "bash", prompt: "rhel", bashVersion: "5.1.8(1)-release",
		python3: "3.9.18", perl: true, released: date(2023, time.November, 20),
		packages: rockyPackages,
	},
	"centos7": {
		slug: "centos7", family: "rhel", hostStyle: "rhel",
		osRelease: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
ANSI_COLOR="0;31"
CPE_NAME="cpe:/o:centos:centos:7"
HOME_URL="https://www.centos.org/"
BUG_REPORT_URL="https://bugs.centos.org/"

CENTOS_MANTISBT_PROJECT="CentOS-7"
CENTOS_MANTISBT_PROJECT_VERSION="7"
REDHAT_SUPPORT_PRODUCT="centos"
REDHAT_SUPPORT_PRODUCT_VERSION="7"

`,
		issue:    "\\S\nKernel \\r on an \\m\n\n",
		issueNet: "\\S\nKernel \\r on an \\m\n",
		etc: map[string]string{
			"redhat-release": "CentOS Linux release 7.9.2009 (Core)\n",
			"centos-release": "CentOS Linux release 7.9.2009 (Core)\n",
			"system-release": "CentOS Linux release 7.9.2009 (Core)\n",
		},
		lsb:      [4]string{"CentOS", "CentOS Linux release 7.9.2009 (Core)", "7.9.2009", "Core"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/sbin/nologin",
		pkg: "yum", mirror: "mirrorlist.centos.org",
		kernels: []kernelBuild{
			{"3.10.0-1160.99.1.el7.{m}", "#1 SMP Wed Sep 13 14:19:20 UTC 2023"},
			{"3.10.0-1160.102.1.el7.{m}", "#1 SMP Tue Oct 17 15:42:21 UTC 2023"},
			{"3.10.0-1160.105.1.el7.{m}", "#1 SMP Thu Dec 7 15:39:45 UTC 2023"},
			{"3.10.0-1160.108.1.el7.{m}", "#1 SMP Thu Jan 25 16:17:31 UTC 2024"},
			{"3.10.0-1160.114.2.el7.{m}", "#1 SMP Wed Mar 20 15:54:52 UTC 2024"},
		},
		kernelFallback: "#1 SMP Thu Jan 25 16:17:31 UTC 2024",
		sudoGroup:      "wheel", sshUnit: "sshd", cronSpool: "/var/spool/cron",
		authLog: "/var/log/secure", sysLog: "/var/log/messages",
		passwd: centosPasswd, group: rhelGroup, shadowMode: 0,
		defaultUsers: []string{"centos", "admin", "oracle", "ansible"},
		notFound:     "bash", prompt: "rhel", bashVersion: "4.2.46(2)-release",
		python2: "2.7.5", perl: true, released: date(2020, time.November, 12),
		packages: centosPackages,
	},
	"alpine": {
		slug: "alpine", family: "alpine", hostStyle: "minimal",
		osRelease: `NAME="Alpine Linux"
ID=alpine
VERSION_ID=3.19.1
PRETTY_NAME="Alpine Linux v3.19"
HOME_URL="https://alpinelinux.org/"
BUG_REPORT_URL="https://gitlab.alpinelinux.org/alpine/aports/-/issues"
`,
		issue:    "Welcome to Alpine Linux 3.19\nKernel \\r on an \\m (\\l)\n\n",
		issueNet: "Welcome to Alpine Linux 3.19\n",
		etc:      map[string]string{"alpine-release": "3.19.1\n"},
		lsb:      [4]string{"Alpine", "Alpine Linux v3.19", "3.19.1", "n/a"},
		usrMerge: false, loginShell: "/bin/ash", nologin: "/sbin/nologin",
		pkg: "apk", mirror: "dl-cdn.alpinelinux.org",
		kernels: []kernelBuild{
			{"6.6.14-0-lts", "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000"},
			{"6.6.16-0-lts", "#1-Alpine SMP PREEMPT_DYNAMIC Tue, 13 Feb 2024 08:36:11 +0000"},
			{"6.6.22-0-lts", "#1-Alpine SMP PREEMPT_DYNAMIC Mon, 18 Mar 2024 09:31:42 +0000"},
			{"6.6.14-0-virt", "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:26:37 +0000"},
		},
		kernelFallback: "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000",
		sudoGroup:      "wheel", sshUnit: "sshd", cronSpool: "/etc/crontabs",
		authLog: "/var/log/messages", sysLog: "/var/log/messages",
		passwd: alpinePasswd, group: alpineGroup, shadowMode: 0o640,
		defaultUsers: []string{"admin", "alpine", "pi", "operator1"},
		notFound:     "ash", prompt: "ash", released: date(2024, time.January, 26),
		packages: alpinePackages,
	},
	"fedora": {
		slug: "fedora", family: "rhel", hostStyle: "rhel",
		osRelease: `NAME="Fedora Linux"
VERSION="39 (Server Edition)"
ID=fedora
VERSION_ID=39
VERSION_CODENAME=""
PLATFORM_ID="platform:f39"
PRETTY_NAME="Fedora Linux 39 (Server Edition)"
ANSI_COLOR="0;38;2;60;110;180"
LOGO=fedora-logo-icon
CPE_NAME="cpe:/o:fedoraproject:fedora:39"
HOME_URL="https://fedoraproject.org/"
DOCUMENTATION_URL="https://docs.fedoraproject.org/en-US/fedora/f39/system-administrators-guide/"
SUPPORT_URL="https://ask.fedoraproject.org/"
BUG_REPORT_URL="https://bugzilla.redhat.com/"
REDHAT_BUGZILLA_PRODUCT="Fedora"
REDHAT_BUGZILLA_PRODUCT_VERSION=39
REDHAT_SUPPORT_PRODUCT="Fedora"
REDHAT_SUPPORT_PRODUCT_VERSION=39
SUPPORT_END=2024-11-12
VARIANT="Server Edition"
VARIANT_ID=server
`,
		issue:    "\\S\nKernel \\r on an \\m (\\l)\n\n",
		issueNet: "\\S\nKernel \\r on an \\m (\\l)\n",
		etc: map[string]string{
			"fedora-release": "Fedora release 39 (Thirty Nine)\n",
			"redhat-release": "Fedora release 39 (Thirty Nine)\n",
			"system-release": "Fedora release 39 (Thirty Nine)\n",
		},
		lsb:      [4]string{"Fedora", "Fedora release 39 (Thirty Nine)", "39", "ThirtyNine"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/sbin/nologin",
		pkg: "dnf", mirror: "mirrors.fedoraproject.org",
		kernels: []kernelBuild{
			{"6.5.6-300.fc39.{m}", "#1 SMP PREEMPT_DYNAMIC Fri Oct  6 19:57:21 UTC 2023"},
			{"6.6.9-200.fc39.{m}", "#1 SMP PREEMPT_DYNAMIC Wed Jan  3 21:19:30 UTC 2024"},
			{"6.7.5-200.fc39.{m}", "#1 SMP PREEMPT_DYNAMIC Sat Feb 17 17:53:08 UTC 2024"},
			{"6.7.9-200.fc39.{m}", "#1 SMP PREEMPT_DYNAMIC Wed Mar  6 19:31:02 UTC 2024"},
		},
		kernelFallback: "#1 SMP PREEMPT_DYNAMIC Sat Feb 17 17:53:08 UTC 2024",
		sudoGroup:      "wheel", sshUnit: "sshd", cronSpool: "/var/spool/cron",
		authLog: "/var/log/secure", sysLog: "/var/log/messages",
		passwd: rhelPasswd, group: rhelGroup, shadowMode: 0,
		defaultUsers: []string{"fedora", "admin", "deploy"},
		notFound:     "bash", prompt: "rhel", bashVersion: "5.2.26(1)-release",
		python3: "3.12.1", perl: true, released: date(2023, time.November, 7),
		packages: fedoraPackages,
	},
	"kali": {
		slug: "kali", family: "debian", hostStyle: "rolling",
		osRelease: `PRETTY_NAME="Kali GNU/Linux Rolling"
NAME="Kali GNU/Linux"
VERSION_ID="2024.1"
VERSION="2024.1"
VERSION_CODENAME=kali-rolling
ID=kali
ID_LIKE=debian
HOME_URL="https://www.kali.org/"
SUPPORT_URL="https://forums.kali.org/"
BUG_REPORT_URL="https://bugs.kali.org/"
ANSI_COLOR="1;31"
`,
		issue:    "Kali GNU/Linux Rolling \\n \\l\n\n",
		issueNet: "Kali GNU/Linux Rolling\n",
		etc:      map[string]string{"debian_version": "kali-rolling\n"},
		lsb:      [4]string{"Kali", "Kali GNU/Linux Rolling", "2024.1", "kali-rolling"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/sbin/nologin",
		pkg: "apt", mirror: "http.kali.org",
		kernels: []kernelBuild{
			{"6.5.0-kali3-{deb}", "#1 SMP PREEMPT_DYNAMIC Debian 6.5.6-1kali1 (2023-10-09)"},
			{"6.6.9-{deb}", "#1 SMP PREEMPT_DYNAMIC Kali 6.6.9-1kali1 (2024-01-08)"},
			{"6.6.15-{deb}", "#1 SMP PREEMPT_DYNAMIC Kali 6.6.15-2kali1 (2024-04-09)"},
		},
		kernelFallback: "#1 SMP PREEMPT_DYNAMIC Kali 6.6.9-1kali1 (2024-01-08)",
		sudoGroup:      "sudo", sshUnit: "ssh", cronSpool: "/var/spool/cron/crontabs",
		authLog: "/var/log/auth.log", sysLog: "/var/log/syslog",
		passwd: debianPasswd, group: debianGroup, shadowMode: 0o640,
		defaultUsers: []string{"kali"},
		notFound:     "bash", prompt: "debian", bashVersion: "5.2.21(1)-release",
		python3: "3.11.8", perl: true, released: date(2024, time.February, 27),
		packages: kaliPackages,
	},
	"arch": {
		slug: "arch", family: "arch", hostStyle: "rolling",
		osRelease: `NAME="Arch Linux"
PRETTY_NAME="Arch Linux"
ID=arch
BUILD_ID=rolling
ANSI_COLOR="38;2;23;147;209"
HOME_URL="https://archlinux.org/"
DOCUMENTATION_URL="https://wiki.archlinux.org/"
SUPPORT_URL="https://bbs.archlinux.org/"
BUG_REPORT_URL="https://gitlab.archlinux.org/groups/archlinux/-/issues"
PRIVACY_POLICY_URL="https://terms.archlinux.org/docs/privacy-policy/"
LOGO=archlinux-logo
`,
		issue:    "Arch Linux \\r (\\l)\n\n",
		issueNet: "Arch Linux \\r (\\l)\n",
		etc:      map[string]string{"arch-release": ""},
		lsb:      [4]string{"Arch", "Arch Linux", "rolling", "n/a"},
		usrMerge: true, loginShell: "/bin/bash", nologin: "/usr/bin/nologin",
		pkg: "pacman", mirror: "geo.mirror.pkgbuild.com",
		kernels: []kernelBuild{
			{"6.7.4-arch1-1", "#1 SMP PREEMPT_DYNAMIC Mon, 05 Feb 2024 22:07:49 +0000"},
			{"6.7.5-arch1-1", "#1 SMP PREEMPT_DYNAMIC Sat, 17 Feb 2024 14:02:33 +0000"},
			{"6.7.6-arch1-1", "#1 SMP PREEMPT_DYNAMIC Fri, 23 Feb 2024 16:31:48 +0000"},
			{"6.7.9-arch1-1", "#1 SMP PREEMPT_DYNAMIC Wed, 06 Mar 2024 19:35:04 +0000"},
		},
		kernelFallback: "#1 SMP PREEMPT_DYNAMIC Sat, 17 Feb 2024 14:02:33 +0000",
		sudoGroup:      "wheel", sshUnit: "sshd", cronSpool: "/var/spool/cron",
		authLog: "/var/log/auth.log", sysLog: "/var/log/messages",
		passwd: archPasswd, group: archGroup, shadowMode: 0o600,
		defaultUsers: []string{"arch", "admin", "dev"},
		notFound:     "bash", prompt: "rhel", bashVersion: "5.2.26(1)-release",
		python3: "3.11.7", perl: true, released: date(2024, time.February, 1),
		packages: archPackages,
	},
}
