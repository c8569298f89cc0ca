package decky

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/model"
)

// Key store layout under <dataDir>/deckies/<name>/, named like OpenSSH's so
// an operator recognises them.
const (
	// SSHEd25519KeyFile holds the Ed25519 host key (OpenSSH PEM).
	SSHEd25519KeyFile = "ssh_host_ed25519_key"
	// SSHECDSAKeyFile holds the ECDSA P-256 host key (OpenSSH PEM).
	SSHECDSAKeyFile = "ssh_host_ecdsa_key"
	// SSHRSAKeyFile holds the RSA 3072 host key (OpenSSH PEM).
	SSHRSAKeyFile = "ssh_host_rsa_key"
	// TLSFile holds the certificate and its PKCS#8 key in one PEM file, so
	// the pair is created and replaced in one atomic rename.
	TLSFile = "tls.pem"
)

const (
	// rsaHostKeyBits matches ssh-keygen's default RSA host key since 8.8.
	rsaHostKeyBits = 3072
	// tlsKeyBits is what `openssl req -x509 -newkey rsa` makes by default,
	// the most common self-signed certificate on real hosts.
	tlsKeyBits = 2048
	// tlsValidity is the ten years operators tend to give self-signed certs.
	tlsValidity = 3650 * 24 * time.Hour
	// A certificate issued the second a decky appeared gives it away, so
	// NotBefore is backdated by a per-decky 30–400 days.
	tlsMinAge = 30 * 24 * time.Hour
	tlsMaxAge = 400 * 24 * time.Hour
)

// Keys are a decky's long-lived secrets. They are generated on first start,
// never shared between deckies, and reloaded unchanged on every restart, so an
// attacker who comes back sees the same host.
type Keys struct {
	// HostKeys are the SSH host keys: Ed25519, ECDSA P-256, RSA 3072.
	HostKeys []ssh.Signer
	// TLS is a self-signed certificate for the decky's TLS services; its
	// Leaf is set.
	TLS tls.Certificate
}

// DeckyDir is where a decky's persisted files live.
func DeckyDir(dataDir, name string) string {
	return filepath.Join(dataDir, "deckies", name)
}

// LoadOrCreateKeys loads the keys of decky name from dataDir, creating any
// that are missing. The certificate's subject CN is commonName and its SANs
// are ips and dnsNames; if a stored certificate names different ones (the
// decky moved), it is reissued with the same key.
func LoadOrCreateKeys(dataDir, name, commonName string, ips []net.IP, dnsNames []string) (*Keys, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	dir := DeckyDir(dataDir, name)
	if err := ensureDir(dir); err != nil {
		return nil, err
	}
	k := &Keys{}
	gens := []struct {
		file, typ string
		gen       func() (crypto.Signer, error)
	}{
		{SSHEd25519KeyFile, ssh.KeyAlgoED25519, func() (crypto.Signer, error) {
			_, priv, err := ed25519.GenerateKey(rand.Reader)
			return priv, err
		}},
		{SSHECDSAKeyFile, ssh.KeyAlgoECDSA256, func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
		{SSHRSAKeyFile, ssh.KeyAlgoRSA, func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, rsaHostKeyBits) }},
	}
	for _, g := range gens {
		s, err := loadOrCreateHostKey(filepath.Join(dir, g.file), g.typ, "root@"+commonName, g.gen)
		if err != nil {
			return nil, err
		}
		k.HostKeys = append(k.HostKeys, s)
	}
	cert, err := loadOrCreateCert(filepath.Join(dir, TLSFile), name, commonName, ips, dnsNames)
	if err != nil {
		return nil, err
	}
	k.TLS = cert
	return k, nil
}

func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create key directory %s: %w", dir, err)
	}
	// MkdirAll leaves an existing directory's mode alone; keys must not be
	// readable by other users whatever created the directory.
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("restrict key directory %s to its owner: %w", dir, err)
	}
	return nil
}

func corrupt(what, path string, err error) error {
	return fmt.Errorf("%s %s is unreadable (%v): delete the file and a new one is generated on the next start", what, path, err)
}

func loadOrCreateHostKey(path, wantType, comment string, gen func() (crypto.Signer, error)) (ssh.Signer, error) {
	for attempt := 0; ; attempt++ {
		data, err := readSecret(path)
		if err == nil {
			s, err := ssh.ParsePrivateKey(data)
			if err != nil {
				return nil, corrupt("ssh host key", path, err)
			}
			if got := s.PublicKey().Type(); got != wantType {
				return nil, corrupt("ssh host key", path, fmt.Errorf("holds a %s key, want %s", got, wantType))
			}
			return s, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt > 0 {
			return nil, fmt.Errorf("read ssh host key %s: %w", path, err)
		}
		key, err := gen()
		if err != nil {
			return nil, fmt.Errorf("generate ssh host key %s: %w", path, err)
		}
		block, err := ssh.MarshalPrivateKey(key, comment)
		if err != nil {
			return nil, fmt.Errorf("encode ssh host key %s: %w", path, err)
		}
		created, err := createExclusive(path, pem.EncodeToMemory(block))
		if err != nil {
			return nil, err
		}
		if created {
			return ssh.NewSignerFromKey(key)
		}
		// Another process created it first: use theirs, so both agree.
	}
}

func loadOrCreateCert(path, name, cn string, ips []net.IP, dnsNames []string) (tls.Certificate, error) {
	for attempt := 0; ; attempt++ {
		data, err := readSecret(path)
		if err == nil {
			cert, err := tls.X509KeyPair(data, data)
			if err != nil {
				return tls.Certificate{}, corrupt("tls certificate", path, err)
			}
			if certMatches(cert.Leaf, cn, ips, dnsNames) {
				return cert, nil
			}
			signer, ok := cert.PrivateKey.(crypto.Signer)
			if !ok {
				return tls.Certificate{}, corrupt("tls certificate", path, errors.New("key cannot sign"))
			}
			pemData, cert, err := issueCert(signer, name, cn, ips, dnsNames)
			if err != nil {
				return tls.Certificate{}, fmt.Errorf("reissue tls certificate %s: %w", path, err)
			}
			if err := replaceFile(path, pemData); err != nil {
				return tls.Certificate{}, err
			}
			return cert, nil
		}
		if !errors.Is(err, fs.ErrNotExist) || attempt > 0 {
			return tls.Certificate{}, fmt.Errorf("read tls certificate %s: %w", path, err)
		}
		key, err := rsa.GenerateKey(rand.Reader, tlsKeyBits)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("generate tls key for %s: %w", path, err)
		}
		pemData, cert, err := issueCert(key, name, cn, ips, dnsNames)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("issue tls certificate %s: %w", path, err)
		}
		created, err := createExclusive(path, pemData)
		if err != nil {
			return tls.Certificate{}, err
		}
		if created {
			return cert, nil
		}
	}
}

// certMatches reports whether a stored certificate still names this decky.
func certMatches(leaf *x509.Certificate, cn string, ips []net.IP, dnsNames []string) bool {
	if leaf == nil || leaf.Subject.CommonName != cn {
		return false
	}
	ipStrings := func(l []net.IP) []string {
		s := make([]string, 0, len(l))
		for _, ip := range l {
			s = append(s, ip.String())
		}
		slices.Sort(s)
		return slices.Compact(s)
	}
	sorted := func(l []string) []string {
		s := slices.Clone(l)
		slices.Sort(s)
		return slices.Compact(s)
	}
	return slices.Equal(ipStrings(leaf.IPAddresses), ipStrings(ips)) &&
		slices.Equal(sorted(leaf.DNSNames), sorted(dnsNames))
}

func issueCert(key crypto.Signer, name, cn string, ips []net.IP, dnsNames []string) ([]byte, tls.Certificate, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	span := uint64((tlsMaxAge - tlsMinAge) / time.Second)
	age := tlsMinAge + time.Duration(binary.BigEndian.Uint64(DeriveBytes(name, "tls-age", 8))%(span+1))*time.Second
	notBefore := time.Now().Add(-age).UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(tlsValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           slices.Clone(ips),
		DNSNames:              slices.Clone(dnsNames),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	data = append(data, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})...)
	cert, err := tls.X509KeyPair(data, data)
	return data, cert, err
}

// readSecret reads a key file, first taking group and other access away if
// something loosened it: these files are secrets.
func readSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("restrict %s to its owner: %w", path, err)
		}
	}
	return os.ReadFile(path)
}

// writeTemp writes data to a 0600 temporary file beside path and syncs it.
func writeTemp(path string, data []byte) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", path, werr)
	}
	return tmp, nil
}

// createExclusive publishes data at path only if nothing is there yet, so two
// processes starting the same decky cannot end up with different keys; it
// reports false when another writer won.
func createExclusive(path string, data []byte) (bool, error) {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	err = os.Link(tmp, path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrExist):
		return false, nil
	default:
		// Filesystems without hard links: rename is still atomic, only the
		// create-race protection is lost.
		if err := os.Rename(tmp, path); err != nil {
			return false, fmt.Errorf("write %s: %w", path, err)
		}
	}
	syncDir(filepath.Dir(path))
	return true, nil
}

// replaceFile atomically replaces path with data.
func replaceFile(path string, data []byte) error {
	tmp, err := writeTemp(path, data)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir makes a new directory entry durable; failure only costs durability
// across a power cut, so it is not reported.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// KeysFor loads or creates the keys of d: host keys, and a certificate for
// its hostname and address. The fleet and `decnet deploy` both call it, so
// the certificate they make is the same.
func KeysFor(dataDir string, d model.Decky) (*Keys, error) {
	var ips []net.IP
	if ip := net.ParseIP(d.IP); ip != nil {
		ips = []net.IP{ip}
	}
	return LoadOrCreateKeys(dataDir, d.Name, d.Hostname, ips, []string{d.Hostname})
}

// PrepareKeys creates the keys of every decky in ds that has none yet,
// several at a time. RSA key generation takes a few hundred milliseconds a
// decky; doing it when a fleet is planned keeps it out of `decnet up`'s
// start.
func PrepareKeys(dataDir string, ds []model.Decky) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, runtime.GOMAXPROCS(0))
	)
	for _, d := range ds {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := KeysFor(dataDir, d); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
