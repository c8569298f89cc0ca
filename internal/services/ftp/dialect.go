package ftp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// dialect is one FTP daemon's wording: a scanner or a human that knows
// vsftpd from ProFTPD sees the replies of the daemon the banner claims,
// not a mix.
type dialect struct {
	name string
	// banner renders the greeting for a connection to port at now.
	banner func(port int, now time.Time) string

	userOK, anonUserOK  func(user string) string
	loginOK, anonLogin  func(user string) string
	loginFailed         string
	notLoggedIn         string
	syst                string
	feat                string
	pwd                 func(dir string) string
	cwdOK               func(dir string) string
	cwdFailed           func(arg string) string
	typeI, typeA        string
	pasv                func(h1, h2, h3, h4, p1, p2 int) string
	epsv                func(port int) string
	portOK              string
	portIllegal         func(target, client string) string
	noDataConn          string
	dataFailed          string
	listStart, listDone string
	retrStart           func(name string, size int64) string
	retrDone            string
	retrMissing         func(arg string) string
	storStart           func(name string) string
	storDone            string
	denied              func(arg string) string
	noop                string
	quit                string
	unknown             func(cmd string) string
	tooManyFails        string
}

// Banners of fleet.md §1.4. The spec's "220 Pure-FTPd Service ready." is
// not what Pure-FTPd sends and no scanner recognises it (fixed: the
// pure-ftpd dialect greets with its real multi-line welcome).
var defaultBanners = []string{
	"220 (vsFTPd 3.0.3)", "220 (vsFTPd 3.0.5)",
	"220 ProFTPD 1.3.7a Server ready.", "220 ProFTPD 1.3.6 Server ready.",
	"pure-ftpd",
}

// pickDialect returns the dialect for the configured banner, or a seeded
// pick from defaultBanners when none is configured. A daemon name alone
// ("vsftpd", "proftpd", "pure-ftpd") picks that daemon's stock greeting;
// any other banner is used verbatim (a missing "220 " is added) and
// chooses the dialect by the daemon it names.
func pickDialect(banner string, rng *rand.Rand) dialect {
	pick := rng.IntN(len(defaultBanners))
	switch strings.ToLower(strings.TrimSpace(banner)) {
	case "":
		banner = defaultBanners[pick]
	case "vsftpd":
		banner = defaultBanners[pick%2]
	case "proftpd":
		banner = defaultBanners[2+pick%2]
	case "pure-ftpd", "pureftpd":
		banner = "pure-ftpd"
	default:
		if !strings.HasPrefix(banner, "220") {
			banner = "220 " + banner
		}
	}
	lower := strings.ToLower(banner)
	switch {
	case banner == "pure-ftpd":
		return pureFTPd(pureBanner)
	case strings.Contains(lower, "pure-ftpd"):
		return pureFTPd(func(int, time.Time) string { return banner })
	case strings.Contains(lower, "proftpd"):
		return proFTPD(banner)
	}
	return vsFTPd(banner)
}

func vsFTPd(banner string) dialect {
	return dialect{
		name:        "vsftpd",
		banner:      func(int, time.Time) string { return banner },
		userOK:      func(string) string { return "331 Please specify the password." },
		anonUserOK:  func(string) string { return "331 Please specify the password." },
		loginOK:     func(string) string { return "230 Login successful." },
		anonLogin:   func(string) string { return "230 Login successful." },
		loginFailed: "530 Login incorrect.",
		notLoggedIn: "530 Please login with USER and PASS.",
		syst:        "215 UNIX Type: L8",
		feat: "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n" +
			"211 End",
		pwd:       func(d string) string { return fmt.Sprintf("257 %q is the current directory", d) },
		cwdOK:     func(string) string { return "250 Directory successfully changed." },
		cwdFailed: func(string) string { return "550 Failed to change directory." },
		typeI:     "200 Switching to Binary mode.",
		typeA:     "200 Switching to ASCII mode.",
		pasv: func(h1, h2, h3, h4, p1, p2 int) string {
			return fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).", h1, h2, h3, h4, p1, p2)
		},
		epsv:        func(p int) string { return fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p) },
		portOK:      "200 PORT command successful. Consider using PASV.",
		portIllegal: func(string, string) string { return "500 Illegal PORT command." },
		noDataConn:  "425 Use PORT or PASV first.",
		dataFailed:  "425 Failed to establish connection.",
		listStart:   "150 Here comes the directory listing.",
		listDone:    "226 Directory send OK.",
		retrStart: func(n string, s int64) string {
			return fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", n, s)
		},
		retrDone:     "226 Transfer complete.",
		retrMissing:  func(string) string { return "550 Failed to open file." },
		storStart:    func(string) string { return "150 Ok to send data." },
		storDone:     "226 Transfer complete.",
		denied:       func(string) string { return "550 Permission denied." },
		noop:         "200 NOOP ok.",
		quit:         "221 Goodbye.",
		unknown:      func(string) string { return "500 Unknown command." },
		tooManyFails: "530 Login incorrect.",
	}
}

func proFTPD(banner string) dialect {
	return dialect{
		name:   "proftpd",
		banner: func(int, time.Time) string { return banner },
		userOK: func(u string) string { return "331 Password required for " + u },
		anonUserOK: func(string) string {
			return "331 Anonymous login ok, send your complete email address as your password"
		},
		loginOK:     func(u string) string { return "230 User " + u + " logged in" },
		anonLogin:   func(string) string { return "230 Anonymous access granted, restrictions apply" },
		loginFailed: "530 Login incorrect.",
		notLoggedIn: "530 Please login with USER and PASS",
		syst:        "215 UNIX Type: L8",
		feat: "211-Features:\r\n LANG en-US*\r\n MDTM\r\n MFMT\r\n TVFS\r\n UTF8\r\n" +
			" MFF modify;UNIX.group;UNIX.mode;\r\n" +
			" MLST modify*;perm*;size*;type*;unique*;UNIX.group*;UNIX.mode*;UNIX.owner*;\r\n" +
			" REST STREAM\r\n SIZE\r\n211 End",
		pwd:       func(d string) string { return fmt.Sprintf("257 %q is the current directory", d) },
		cwdOK:     func(string) string { return "250 CWD command successful" },
		cwdFailed: func(a string) string { return "550 " + a + ": No such file or directory" },
		typeI:     "200 Type set to I",
		typeA:     "200 Type set to A",
		pasv: func(h1, h2, h3, h4, p1, p2 int) string {
			return fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).", h1, h2, h3, h4, p1, p2)
		},
		epsv:        func(p int) string { return fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", p) },
		portOK:      "200 PORT command successful",
		portIllegal: func(string, string) string { return "500 Illegal PORT command" },
		noDataConn:  "425 Unable to build data connection: No PORT or PASV command",
		dataFailed:  "425 Unable to build data connection: Connection refused",
		listStart:   "150 Opening ASCII mode data connection for file list",
		listDone:    "226 Transfer complete",
		retrStart: func(n string, s int64) string {
			return fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes)", n, s)
		},
		retrDone:     "226 Transfer complete",
		retrMissing:  func(a string) string { return "550 " + a + ": No such file or directory" },
		storStart:    func(n string) string { return "150 Opening BINARY mode data connection for " + n },
		storDone:     "226 Transfer complete",
		denied:       func(a string) string { return "550 " + a + ": Permission denied" },
		noop:         "200 NOOP command successful",
		quit:         "221 Goodbye.",
		unknown:      func(c string) string { return "500 " + c + " not understood" },
		tooManyFails: "530 Login incorrect.",
	}
}

// pureBanner is Pure-FTPd's stock welcome, which nmap's service probes
// recognise by its first line.
func pureBanner(port int, now time.Time) string {
	return "220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------\r\n" +
		"220-You are user number 1 of 50 allowed.\r\n" +
		fmt.Sprintf("220-Local time is now %s. Server port: %d.\r\n", now.Format("15:04"), port) +
		"220-This is a private system - No anonymous login\r\n" +
		"220-IPv6 connections are also welcome on this server.\r\n" +
		"220 You will be disconnected after 15 minutes of inactivity."
}

func pureFTPd(banner func(int, time.Time) string) dialect {
	return dialect{
		name:        "pure-ftpd",
		banner:      banner,
		userOK:      func(u string) string { return "331 User " + u + " OK. Password required" },
		anonUserOK:  func(string) string { return "331 Any password will work" },
		loginOK:     func(string) string { return "230 OK. Current directory is /" },
		anonLogin:   func(string) string { return "230 Anonymous user logged in" },
		loginFailed: "530 Login authentication failed",
		notLoggedIn: "530 You aren't logged in",
		syst:        "215 UNIX Type: L8",
		feat: "211-Extensions supported:\r\n EPRT\r\n IDLE\r\n MDTM\r\n SIZE\r\n MFMT\r\n REST STREAM\r\n" +
			" MLST type*;size*;sizd*;modify*;UNIX.mode*;UNIX.uid*;UNIX.gid*;unique*;\r\n MLSD\r\n PRET\r\n" +
			" ESTP\r\n PASV\r\n EPSV\r\n UTF8\r\n211 End.",
		pwd:       func(d string) string { return fmt.Sprintf("257 %q is your current location", d) },
		cwdOK:     func(d string) string { return "250 OK. Current directory is " + d },
		cwdFailed: func(a string) string { return "550 Can't change directory to " + a + ": No such file or directory" },
		typeI:     "200 TYPE is now 8-bit binary",
		typeA:     "200 TYPE is now ASCII",
		pasv: func(h1, h2, h3, h4, p1, p2 int) string {
			return fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d)", h1, h2, h3, h4, p1, p2)
		},
		epsv:   func(p int) string { return fmt.Sprintf("229 Extended Passive mode OK (|||%d|)", p) },
		portOK: "200 PORT command successful",
		portIllegal: func(target, client string) string {
			return "500 I won't open a connection to " + target + " (only to " + client + ")"
		},
		noDataConn: "425 No data connection",
		dataFailed: "425 Could not open data connection to port",
		listStart:  "150 Accepted data connection",
		listDone:   "226 Options: -a -l",
		retrStart: func(_ string, s int64) string {
			return fmt.Sprintf("150-Accepted data connection\r\n150 %.1f kbytes to download", float64(s)/1024)
		},
		retrDone:     "226 File successfully transferred",
		retrMissing:  func(a string) string { return "550 Can't open " + a + ": No such file or directory" },
		storStart:    func(string) string { return "150 Accepted data connection" },
		storDone:     "226 File successfully transferred",
		denied:       func(string) string { return "550 Permission denied" },
		noop:         "200 Zzz...",
		quit:         "221-Goodbye. You uploaded 0 and downloaded 0 kbytes.\r\n221 Logout.",
		unknown:      func(string) string { return "500 Unknown command" },
		tooManyFails: "421 Too many authentication failures",
	}
}
