package decky

import (
	"bytes"
	"crypto/rsa"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestKeysPersistPerDecky(t *testing.T) {
	dir := t.TempDir()
	ip := []net.IP{net.ParseIP("127.77.0.2")}
	a, err := LoadOrCreateKeys(dir, "decky-01", "SRV-WEB-42", ip, []string{"SRV-WEB-42"})
	if err != nil {
		t.Fatal(err)
	}

	var types []string
	for _, s := range a.HostKeys {
		types = append(types, s.PublicKey().Type())
	}
	if want := []string{ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoRSA}; !slices.Equal(types, want) {
		t.Errorf("host key types %v, want %v", types, want)
	}
	if n := a.TLS.Leaf.PublicKey.(*rsa.PublicKey).N.BitLen(); n != 2048 {
		t.Errorf("tls key is %d bits", n)
	}
	rsaKey, _ := os.ReadFile(filepath.Join(dir, "deckies", "decky-01", SSHRSAKeyFile))
	if s, err := ssh.ParseRawPrivateKey(rsaKey); err != nil || s.(*rsa.PrivateKey).N.BitLen() != 3072 {
		t.Errorf("rsa host key not 3072 bits (%v)", err)
	}
	if !bytes.HasPrefix(rsaKey, []byte("-----BEGIN OPENSSH PRIVATE KEY-----")) {
		t.Error("host keys must be in OpenSSH format")
	}

	leaf := a.TLS.Leaf
	if leaf.Subject.CommonName != "SRV-WEB-42" || !slices.Equal(leaf.DNSNames, []string{"SRV-WEB-42"}) ||
		len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(ip[0]) {
		t.Errorf("certificate names: CN %q DNS %v IP %v", leaf.Subject.CommonName, leaf.DNSNames, leaf.IPAddresses)
	}
	if v := leaf.NotAfter.Sub(leaf.NotBefore); v != 3650*24*time.Hour {
		t.Errorf("validity %v, want 3650 days", v)
	}
	if age := time.Since(leaf.NotBefore); age < 29*24*time.Hour {
		t.Errorf("certificate is not backdated (%v old)", age)
	}

	// Files are the owner's alone.
	ddir := DeckyDir(dir, "decky-01")
	if fi, err := os.Stat(ddir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v (%v)", fi.Mode().Perm(), err)
	}
	entries, _ := os.ReadDir(ddir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		fi, _ := e.Info()
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", e.Name(), fi.Mode().Perm())
		}
	}
	if want := []string{SSHECDSAKeyFile, SSHEd25519KeyFile, SSHRSAKeyFile, TLSFile}; !slices.Equal(names, want) {
		t.Errorf("files %v, want %v (no temp files left)", names, want)
	}

	// A restart loads the same keys.
	again, err := LoadOrCreateKeys(dir, "decky-01", "SRV-WEB-42", ip, []string{"SRV-WEB-42"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.HostKeys {
		if !bytes.Equal(a.HostKeys[i].PublicKey().Marshal(), again.HostKeys[i].PublicKey().Marshal()) {
			t.Errorf("host key %d changed across restarts", i)
		}
	}
	if !bytes.Equal(a.TLS.Certificate[0], again.TLS.Certificate[0]) {
		t.Error("certificate changed across restarts")
	}

	// Another decky gets its own keys.
	b, err := LoadOrCreateKeys(dir, "decky-02", "SRV-DB-17", ip, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.HostKeys {
		if bytes.Equal(a.HostKeys[i].PublicKey().Marshal(), b.HostKeys[i].PublicKey().Marshal()) {
			t.Errorf("deckies share host key %d", i)
		}
	}

	// Moving the decky reissues the certificate on the same key.
	moved, err := LoadOrCreateKeys(dir, "decky-01", "SRV-WEB-42", []net.IP{net.ParseIP("127.77.0.9")}, []string{"SRV-WEB-42"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(moved.TLS.Certificate[0], a.TLS.Certificate[0]) || !moved.TLS.Leaf.IPAddresses[0].Equal(net.ParseIP("127.77.0.9")) {
		t.Error("certificate not reissued for the new address")
	}
	if !moved.TLS.Leaf.PublicKey.(*rsa.PublicKey).Equal(a.TLS.Leaf.PublicKey) {
		t.Error("reissue changed the tls key")
	}
}

func TestKeysCorruptFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{SSHEd25519KeyFile, TLSFile} {
		t.Run(f, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(DeckyDir(dir, "d1"), f)
			if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "delete the file") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %v should name %s and the fix on one line", err, path)
			}
			os.Remove(path)
			if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err != nil {
				t.Fatalf("after deleting the corrupt file: %v", err)
			}
		})
	}
	// A key of the wrong type in a file is corrupt too.
	ed := filepath.Join(DeckyDir(dir, "d1"), SSHEd25519KeyFile)
	ecdsa, _ := os.ReadFile(filepath.Join(DeckyDir(dir, "d1"), SSHECDSAKeyFile))
	os.WriteFile(ed, ecdsa, 0o600)
	if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err == nil || !strings.Contains(err.Error(), "want ssh-ed25519") {
		t.Errorf("wrong key type: %v", err)
	}
}

func TestKeysTightenLoosePermissions(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err != nil {
		t.Fatal(err)
	}
	ddir := DeckyDir(dir, "d1")
	os.Chmod(ddir, 0o755)
	os.Chmod(filepath.Join(ddir, TLSFile), 0o644)
	if _, err := LoadOrCreateKeys(dir, "d1", "h", nil, nil); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{ddir: 0o700, filepath.Join(ddir, TLSFile): 0o600} {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", path, fi.Mode().Perm(), want)
		}
	}
}

func TestKeysRejectUnsafeNames(t *testing.T) {
	for _, name := range []string{"", "../etc", "a/b", ".hidden", "a..b"} {
		if _, err := LoadOrCreateKeys(t.TempDir(), name, "h", nil, nil); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}

func TestCreateExclusiveKeepsTheFirstWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if ok, err := createExclusive(path, []byte("first")); !ok || err != nil {
		t.Fatalf("first create: %v %v", ok, err)
	}
	if ok, err := createExclusive(path, []byte("second")); ok || err != nil {
		t.Fatalf("second create: %v %v", ok, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Errorf("file holds %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temp files left: %v", entries)
	}
}
