package shell

import (
	"fmt"
	"strings"
)

// Bait content: files an intruder looks for first. Every value is drawn from
// the persona seed, so two deckies never share a password, key or bucket
// name (which would mark them as decoys), and one decky keeps its secrets
// across restarts.

var companyStems = []string{
	"northgate", "bluepeak", "ironbridge", "silverleaf", "meridian", "corvex", "talonis", "nordhaven",
	"brightline", "quantix", "halvorsen", "redmoor", "kestrel", "oakridge", "vantara", "lumion",
	"stratus", "pinecrest", "helix", "arcadia", "westbrook", "cobalt", "granite", "summit",
}

var companySuffixes = []string{"", "-corp", "tech", "-labs", "-group", "-systems", "-logistics", "-health"}

var pwWords = []string{
	"Summer", "Winter", "Spring", "Autumn", "Welcome", "Company", "Dragon", "Monkey", "Falcon", "Tiger",
	"Orange", "Purple", "Server", "Backup", "Admin", "Secure", "Passw0rd", "Letmein", "Sunshine", "Shadow",
}

// secrets are the seeded credentials the bait files and history share, so
// that what notes.txt says matches what .env and .bash_history say.
type secrets struct {
	company   string
	domain    string
	dbHost    string
	dbName    string
	dbUser    string
	dbPass    string
	dbRoot    string
	redisPass string
	awsKey    string
	awsSecret string
	awsRegion string
	bucket    string
	appKey    string
	mailUser  string
	mailPass  string
	jenkins   string
	vpnPSK    string
	ticket    int
	apiToken  string
	gitlab    string
}

func password(r *prng) string {
	switch r.intn(4) {
	case 0:
		return pick(r, pwWords) + fmt.Sprint(r.between(2019, 2025)) + pick(r, []string{"!", "#", "$", "@", ""})
	case 1:
		return r.chars(r.between(12, 20), alnumChars)
	case 2:
		return strings.ToLower(pick(r, pwWords)) + "_" + r.chars(4, "0123456789") + pick(r, []string{"!", "?", "%", "*"})
	}
	return pick(r, pwWords) + pick(r, []string{"#", "@", "."}) + r.chars(6, alnumChars)
}

func newSecrets(p Persona, subnet string) secrets {
	r := newRNG(p.Seed, "secrets")
	stem := pick(r, companyStems)
	company := stem + pick(r, companySuffixes)
	domain := strings.ReplaceAll(company, "-", "") + pick(r, []string{".com", ".io", ".net", ".co", ".internal"})
	s := secrets{
		company:   company,
		domain:    domain,
		dbHost:    subnet + fmt.Sprint(r.between(2, 250)),
		dbName:    strings.ReplaceAll(stem, "-", "_") + pick(r, []string{"_prod", "_production", "_app", "_main", ""}),
		dbUser:    pick(r, []string{"app", "app_rw", "webapp", "svc_app", "django", "laravel", stem}),
		dbPass:    password(r),
		dbRoot:    password(r),
		redisPass: r.chars(32, lowerHex),
		awsKey:    "AKIA" + r.chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		awsSecret: r.chars(40, alnumChars+"+/"),
		awsRegion: pick(r, []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1"}),
		bucket:    stem + pick(r, []string{"-prod-backups", "-uploads", "-assets-prod", "-db-dumps", "-media"}),
		appKey:    "base64:" + r.chars(43, base64Chars) + "=",
		mailUser:  "postmaster@mg." + domain,
		mailPass:  r.chars(32, lowerHex) + "-" + r.chars(8, lowerHex) + "-" + r.chars(8, lowerHex),
		jenkins:   password(r),
		vpnPSK:    r.chars(24, alnumChars),
		ticket:    r.between(100, 4999),
		apiToken:  r.chars(40, lowerHex),
		gitlab:    "glpat-" + r.chars(20, alnumChars+"-_"),
	}
	return s
}

func (s secrets) notes(p Persona) string {
	r := newRNG(p.Seed, "notes")
	var b strings.Builder
	fmt.Fprintf(&b, "TODO %s\n", pick(r, []string{"(server migration)", "", "- before go-live", "q3"}))
	todo := []string{
		fmt.Sprintf("- rotate db creds after migration (OPS-%d)", s.ticket),
		"- move nightly backups to s3://" + s.bucket,
		"- disable password auth on ssh once keys are deployed everywhere",
		"- renew wildcard cert for *." + s.domain,
		"- ask finance about the reserved instances",
		"- patch openssl on the staging boxes",
		"- clean up old docker images (disk at 80%)",
	}
	for i := len(todo) - 1; i > 0; i-- {
		j := r.intn(i + 1)
		todo[i], todo[j] = todo[j], todo[i]
	}
	for _, t := range todo[:r.between(2, 4)] {
		b.WriteString(t + "\n")
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "db (%s): mysql -h %s -u %s -p'%s'\n", s.dbName, s.dbHost, s.dbUser, s.dbPass)
	fmt.Fprintf(&b, "mysql root: %s\n", s.dbRoot)
	if r.chance(70) {
		fmt.Fprintf(&b, "jenkins: https://ci.%s  admin / %s\n", s.domain, s.jenkins)
	}
	if r.chance(60) {
		fmt.Fprintf(&b, "vpn psk: %s\n", s.vpnPSK)
	}
	if r.chance(50) {
		fmt.Fprintf(&b, "gitlab deploy token: %s\n", s.gitlab)
	}
	fmt.Fprintf(&b, "aws (backup user): %s / %s\n", s.awsKey, s.awsSecret)
	return b.String()
}

func (s secrets) env(p Persona) string {
	r := newRNG(p.Seed, "env")
	var b strings.Builder
	name := strings.ToUpper(strings.ReplaceAll(s.company, "-", "_"))
	fmt.Fprintf(&b, "APP_NAME=%s\nAPP_ENV=production\nAPP_KEY=%s\nAPP_DEBUG=false\nAPP_URL=https://%s\n\n", name, s.appKey, s.domain)
	b.WriteString("LOG_CHANNEL=stack\nLOG_LEVEL=error\n\n")
	fmt.Fprintf(&b, "DB_CONNECTION=mysql\nDB_HOST=%s\nDB_PORT=3306\nDB_DATABASE=%s\nDB_USERNAME=%s\nDB_PASSWORD=%s\n\n", s.dbHost, s.dbName, s.dbUser, s.dbPass)
	fmt.Fprintf(&b, "REDIS_HOST=127.0.0.1\nREDIS_PASSWORD=%s\nREDIS_PORT=6379\n\n", s.redisPass)
	fmt.Fprintf(&b, "MAIL_MAILER=smtp\nMAIL_HOST=smtp.mailgun.org\nMAIL_PORT=587\nMAIL_USERNAME=%s\nMAIL_PASSWORD=%s\nMAIL_FROM_ADDRESS=noreply@%s\n\n", s.mailUser, s.mailPass, s.domain)
	fmt.Fprintf(&b, "AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\nAWS_DEFAULT_REGION=%s\nAWS_BUCKET=%s\n", s.awsKey, s.awsSecret, s.awsRegion, s.bucket)
	if r.chance(50) {
		fmt.Fprintf(&b, "\nSTRIPE_KEY=pk_live_%s\nSTRIPE_SECRET=sk_live_%s\n", r.chars(24, alnumChars), r.chars(24, alnumChars))
	}
	if r.chance(50) {
		fmt.Fprintf(&b, "\nSENTRY_DSN=https://%s@o%d.ingest.sentry.io/%d\n", r.chars(32, lowerHex), r.between(100000, 999999), r.between(1000000, 9999999))
	}
	return b.String()
}

func (s secrets) awsCredentials() string {
	return fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", s.awsKey, s.awsSecret)
}

func (s secrets) awsConfig() string {
	return fmt.Sprintf("[default]\nregion = %s\noutput = json\n", s.awsRegion)
}

func (s secrets) myCnf() string {
	return fmt.Sprintf("[client]\nuser=root\npassword=%s\n", s.dbRoot)
}

// history returns a believable shell history for an admin of this host.
func (s secrets) history(p Persona, d *distro, user string, root bool) string {
	r := newRNG(p.Seed, "history:"+user)
	install := "apt install -y"
	update := "apt update && apt upgrade -y"
	switch d.pkg {
	case "dnf":
		install, update = "dnf install -y", "dnf update -y"
	case "yum":
		install, update = "yum install -y", "yum update -y"
	case "apk":
		install, update = "apk add", "apk update && apk upgrade"
	case "pacman":
		install, update = "pacman -S --noconfirm", "pacman -Syu --noconfirm"
	}
	sudo := ""
	if !root {
		sudo = "sudo "
	}
	pool := []string{
		"ls -la", "df -h", "free -m", "uptime", "top", "htop", "ps aux | grep " + pick(r, []string{"nginx", "java", "node", "python", "mysql"}),
		sudo + update, sudo + install + " " + pick(r, []string{"htop", "vim", "net-tools", "curl jq", "tmux", "git"}),
		sudo + "systemctl status nginx", sudo + "systemctl restart nginx", "tail -f /var/log/" + pick(r, []string{"nginx/error.log", "syslog", "messages", "auth.log"}),
		"cd /root/projects", "vim .env", "cat .env", "git pull", "git status", "docker ps", "docker compose up -d", "docker logs -f app",
		"mysql -h " + s.dbHost + " -u " + s.dbUser + " -p", "mysqldump -u root -p " + s.dbName + " > /tmp/" + s.dbName + ".sql",
		"aws s3 ls s3://" + s.bucket, "aws s3 cp /tmp/" + s.dbName + ".sql s3://" + s.bucket + "/",
		"crontab -l", "crontab -e", "ss -tulpn", "netstat -tulpn", "ip a", "ping -c 3 " + s.dbHost, "ssh " + user + "@" + s.dbHost,
		"history", "exit", "cd ~", "du -sh /var/log/*", sudo + "journalctl -xe", "who", "w", "last", "uname -a",
		"cat /etc/os-release", "openssl x509 -in /etc/ssl/certs/" + s.domain + ".pem -noout -dates", "certbot renew --dry-run",
		"ls /var/www/html", "chmod 600 ~/.ssh/authorized_keys", "passwd", sudo + "reboot",
	}
	n := r.between(18, 45)
	var b strings.Builder
	for range n {
		b.WriteString(pick(r, pool))
		b.WriteByte('\n')
	}
	return b.String()
}

// sshKey returns a believable OpenSSH public key line; the key material is
// random bytes behind a valid ssh-ed25519 header.
func sshKey(r *prng, comment string) string {
	if r.chance(50) {
		return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + r.chars(43, base64Chars) + " " + comment + "\n"
	}
	return "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQ" + r.chars(507, base64Chars) + "= " + comment + "\n"
}
