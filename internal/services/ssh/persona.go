package ssh

import (
	"fmt"
	"math/rand/v2"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// openSSHVersions are the identification strings the distros ship, newest
// security update last; a decky picks one by seed so a fleet of the same
// distro does not look stamped from one image.
var openSSHVersions = map[string][]string{
	"ubuntu22": {"OpenSSH_8.9p1 Ubuntu-3ubuntu0.4", "OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"},
	"ubuntu20": {"OpenSSH_8.2p1 Ubuntu-4ubuntu0.9", "OpenSSH_8.2p1 Ubuntu-4ubuntu0.11"},
	"debian":   {"OpenSSH_9.2p1 Debian-2+deb12u2", "OpenSSH_9.2p1 Debian-2+deb12u3"},
	"rocky9":   {"OpenSSH_8.7"},
	"centos7":  {"OpenSSH_7.4"},
	"alpine":   {"OpenSSH_9.6"},
	"fedora":   {"OpenSSH_9.3"},
	"kali":     {"OpenSSH_9.7p1 Debian-5", "OpenSSH_9.9p1 Debian-3"},
	"arch":     {"OpenSSH_9.7", "OpenSSH_9.8"},
}

// serverVersion is the decky's SSH identification string: the banner
// config key when set, else a seeded pick for its distro.
func serverVersion(banner, distro string, rng *rand.Rand) string {
	if banner != "" {
		if len(banner) > 4 && banner[:4] == "SSH-" {
			return banner
		}
		return "SSH-2.0-" + banner
	}
	vs, ok := openSSHVersions[distro]
	if !ok {
		vs = openSSHVersions["ubuntu22"]
	}
	return "SSH-2.0-" + vs[rng.IntN(len(vs))]
}

// Algorithm lists in OpenSSH's order (ssh -Q / sshd -T of 8.x–9.x),
// restricted to what x/crypto/ssh implements: a scanner comparing the
// KEXINIT with a real OpenSSH sees the same preferences, minus the
// post-quantum and umac entries.
var (
	kexAlgos = []string{
		gossh.KeyExchangeCurve25519, "curve25519-sha256@libssh.org",
		gossh.KeyExchangeECDHP256, gossh.KeyExchangeECDHP384, gossh.KeyExchangeECDHP521,
		gossh.KeyExchangeDHGEXSHA256, gossh.KeyExchangeDH16SHA512, gossh.KeyExchangeDH14SHA256,
	}
	ciphers = []string{
		gossh.CipherChaCha20Poly1305, gossh.CipherAES128CTR, gossh.CipherAES192CTR, gossh.CipherAES256CTR,
		gossh.CipherAES128GCM, gossh.CipherAES256GCM,
	}
	macs = []string{
		gossh.HMACSHA256ETM, gossh.HMACSHA512ETM, gossh.HMACSHA256, gossh.HMACSHA512, gossh.HMACSHA1,
	}
)

// motd is what a login shell prints first, per distro family.
func motd(distro string, now time.Time, rng *rand.Rand) string {
	switch distro {
	case "ubuntu22", "ubuntu20":
		release, kernel := "22.04.3 LTS", "5.15.0-91-generic"
		if distro == "ubuntu20" {
			release, kernel = "20.04.6 LTS", "5.4.0-169-generic"
		}
		return fmt.Sprintf("Welcome to Ubuntu %s (GNU/Linux %s x86_64)\n\n"+
			" * Documentation:  https://help.ubuntu.com\n"+
			" * Management:     https://landscape.canonical.com\n"+
			" * Support:        https://ubuntu.com/pro\n\n"+
			"  System information as of %s\n\n"+
			"  System load:  0.%02d               Processes:             %d\n"+
			"  Usage of /:   %d.%d%% of 38.58GB   Users logged in:       0\n"+
			"  Memory usage: %d%%                \n"+
			"  Swap usage:   0%%\n\n"+
			"%d updates can be applied immediately.\n\n",
			release, kernel, now.UTC().Format("Mon Jan _2 15:04:05 MST 2006"),
			rng.IntN(40), 110+rng.IntN(80), 18+rng.IntN(50), rng.IntN(10), 12+rng.IntN(40), rng.IntN(40))
	case "debian", "kali":
		return "\nThe programs included with the Debian GNU/Linux system are free software;\n" +
			"the exact distribution terms for each program are described in the\n" +
			"individual files in /usr/share/doc/*/copyright.\n\n" +
			"Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\n" +
			"permitted by applicable law.\n"
	case "alpine":
		return "Welcome to Alpine!\n\n" +
			"The Alpine Wiki contains a large amount of how-to guides and general\n" +
			"information about administrating Alpine systems.\n" +
			"See <https://wiki.alpinelinux.org/>.\n\n"
	}
	return ""
}
