package fleet

import (
	"net"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// hostKey returns the fingerprint of the Ed25519 host key the SSH server at
// a presents.
func hostKey(t *testing.T, a string) string {
	t.Helper()
	var fp string
	cfg := &ssh.ClientConfig{
		User:              "probe",
		Auth:              []ssh.AuthMethod{ssh.Password("x")},
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			fp = ssh.FingerprintSHA256(k)
			return nil
		},
		Timeout: 10 * time.Second,
	}
	c, err := ssh.Dial("tcp", a, cfg)
	if err == nil {
		c.Close()
	}
	if fp == "" {
		t.Fatalf("no host key from %s: %v", a, err)
	}
	return fp
}
