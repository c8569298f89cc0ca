package ftp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strings"
	"time"
)

// file is one entry of the bait tree.
type file struct {
	name  string
	dir   bool
	mtime time.Time
	size  int64
	data  []byte // nil for an attacker's upload, which is never served
}

// tree is the anonymous area: read-only, built once per decky from its
// seed (fleet.md §1.4: 2–5 `<company>-<env>-<YYYYMMDD>.tar.gz`, README.txt,
// .htaccess), so every connection to a decky sees the same files and two
// deckies see different ones.
type tree struct {
	dirs map[string][]*file // directory path → entries, sorted by name
}

var (
	companies = []string{"acme", "globex", "initech", "umbrella", "hooli", "vandelay", "stark", "wayne", "tyrell",
		"cyberdyne", "soylent", "aperture", "massive", "wonka", "oscorp"}
	environments = []string{"prod", "staging", "dev", "backup", "db", "web"}
)

// newTree builds the seeded tree with dates counted back from now: a
// backup drop whose newest archive is years old would look abandoned.
func newTree(rng *rand.Rand, now time.Time) *tree {
	company := companies[rng.IntN(len(companies))]
	day := now.UTC().Truncate(24 * time.Hour)
	root := []*file{
		{name: "README.txt", mtime: day.AddDate(0, -3-rng.IntN(9), -rng.IntN(28)).Add(time.Duration(rng.IntN(86400)) * time.Second),
			data: []byte(readme(company))},
		{name: ".htaccess", mtime: day.AddDate(-1, -rng.IntN(12), 0).Add(time.Duration(rng.IntN(86400)) * time.Second),
			data: []byte("AuthType Basic\nAuthName \"Restricted Area\"\nAuthUserFile /var/www/.htpasswd\nRequire valid-user\n")},
		{name: "pub", dir: true, mtime: day.AddDate(0, -1, -rng.IntN(28))},
	}
	n := 2 + rng.IntN(4)
	back := 0
	for range n {
		back += 1 + rng.IntN(6)
		env := environments[rng.IntN(len(environments))]
		d := day.AddDate(0, 0, -back)
		name := fmt.Sprintf("%s-%s-%s.tar.gz", company, env, d.Format("20060102"))
		mtime := d.Add(2*time.Hour + time.Duration(rng.IntN(3600))*time.Second)
		root = append(root, &file{name: name, mtime: mtime, data: archive(rng, company, env, mtime)})
	}
	for _, f := range root {
		f.size = int64(len(f.data))
	}
	sortFiles(root)
	return &tree{dirs: map[string][]*file{"/": root, "/pub": nil}}
}

func sortFiles(fs []*file) {
	slices.SortFunc(fs, func(a, b *file) int { return strings.Compare(a.name, b.name) })
}

func readme(company string) string {
	return "Internal file drop - " + strings.ToUpper(company[:1]) + company[1:] + " IT Operations\n\n" +
		"Nightly backups are copied here by the backup job and kept for 30 days.\n" +
		"Do not upload anything else. Contact ops@" + company + ".local for access.\n"
}

// archive is a real, small tar.gz (a SQL dump and an env file with fake
// secrets), so a downloaded backup opens like one. Fixed header times keep
// it identical across restarts.
func archive(rng *rand.Rand, company, env string, mtime time.Time) []byte {
	var sql strings.Builder
	sql.WriteString("-- MySQL dump 10.13  Distrib 8.0.35\n-- Host: localhost    Database: " + company + "_" + env + "\n\n")
	sql.WriteString("CREATE TABLE `users` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `email` varchar(255),\n  `password_hash` varchar(255),\n  PRIMARY KEY (`id`)\n);\n")
	sql.WriteString("INSERT INTO `users` VALUES ")
	for i := 1; i <= 5+rng.IntN(10); i++ {
		if i > 1 {
			sql.WriteString(",")
		}
		fmt.Fprintf(&sql, "(%d,'user%d@%s.local','$2y$10$%s')", i, i, company, hexString(rng, 26))
	}
	sql.WriteString(";\n")
	dotenv := fmt.Sprintf("APP_ENV=%s\nDB_HOST=10.%d.%d.%d\nDB_USER=%s_app\nDB_PASSWORD=%s\nAWS_ACCESS_KEY_ID=AKIA%s\nAWS_SECRET_ACCESS_KEY=%s\n",
		env, rng.IntN(255), rng.IntN(255), 2+rng.IntN(250), company, hexString(rng, 16), strings.ToUpper(hexString(rng, 8)), hexString(rng, 40))

	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	gz.ModTime = mtime
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{{"backup/db.sql", sql.String()}, {"backup/.env", dotenv}} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o640, Size: int64(len(f.body)), ModTime: mtime,
			Uname: "root", Gname: "root", Typeflag: tar.TypeReg, Format: tar.FormatUSTAR})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func hexString(rng *rand.Rand, n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[rng.IntN(16)]
	}
	return string(b)
}

// resolve joins arg to cwd and cleans it, confined to the tree's root: an
// attacker's "../../etc/passwd" stays inside it, as under a chroot.
func resolve(cwd, arg string) string {
	if arg == "" {
		return cwd
	}
	if !strings.HasPrefix(arg, "/") {
		arg = cwd + "/" + arg
	}
	return path.Clean("/" + arg)
}

// lookup returns the entry at p (nil for the root directory) and whether
// it exists.
func (t *tree) lookup(p string) (*file, bool) {
	if p == "/" {
		return nil, true
	}
	dir, name := path.Split(p)
	dir = path.Clean(dir)
	for _, f := range t.dirs[dir] {
		if f.name == name {
			return f, true
		}
	}
	return nil, false
}

// isDir reports whether p is a directory of the tree.
func (t *tree) isDir(p string) bool {
	_, ok := t.dirs[p]
	return ok
}

// listLine formats one entry as ls -l does in the anonymous area (files
// owned by ftp:ftp), with the year for entries older than six months.
func listLine(f *file, now time.Time) string {
	mode, size, links := "-rw-r--r--", f.size, 1
	if f.dir {
		mode, size, links = "drwxr-xr-x", 4096, 2
	}
	when := f.mtime.Format("Jan 02 15:04")
	if now.Sub(f.mtime) > 182*24*time.Hour || f.mtime.After(now) {
		when = f.mtime.Format("Jan 02  2006")
	}
	return fmt.Sprintf("%s    %d ftp      ftp      %8d %s %s\r\n", mode, links, size, when, f.name)
}
