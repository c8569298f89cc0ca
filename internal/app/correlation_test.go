package app

import (
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/correlation"
	"github.com/decnet/decnet/internal/store"
)

func TestOnePasswordOnTwoDeckiesIsACredentialReuseFinding(t *testing.T) {
	a, deckies := startDemoWith(t, "127.79.5.0/24", nil)
	var mu sync.Mutex
	var got []correlation.ReuseDetectedPayload
	if _, err := a.Bus().Subscribe(bus.CredentialReuseDetected, "", func(e bus.Envelope) {
		var p correlation.ReuseDetectedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Errorf("payload: %v", err)
		}
		mu.Lock()
		got = append(got, p)
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"linux-server-01", "devops-host-01"} {
		d := deckies[name]
		addr := net.JoinHostPort(d.IP, strconv.Itoa(d.Services[0].Ports[0].Port))
		_, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{
			User: "admin", Auth: []gossh.AuthMethod{gossh.Password("Summer2026!")},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		})
		if err == nil {
			t.Fatalf("%s accepted a password it should not", name)
		}
	}
	checkFor(t, 15*time.Second, func() error {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range got {
			if p.TargetCount == 2 && p.Principal == "admin" && p.AttackerIP == "127.0.0.1" &&
				slices.Equal(p.Targets, []string{"devops-host-01:ssh", "linux-server-01:ssh"}) {
				return nil
			}
		}
		return errors.New("no credential.reuse.detected for admin on both deckies yet")
	})
	rows, total, err := a.Store().ListReuse(t.Context(), store.ReuseQuery{Limit: 10})
	if err != nil || total != 1 || rows[0].AttemptCount != 2 {
		t.Errorf("credential_reuse rows %+v (total %d): %v", rows, total, err)
	}
}
