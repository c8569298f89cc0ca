package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// apiJSON sends a JSON request (body may be nil) and decodes the answer.
func apiJSON(t *testing.T, method, url, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, req)
}

// servicePort is where the running decky's service listens now, or "".
func servicePort(a *App, name, service string) string {
	sts, err := a.fleet.Status(context.Background())
	if err != nil {
		return ""
	}
	for _, st := range sts {
		if st.Name != name || !st.Serving {
			continue
		}
		for _, s := range st.Services {
			if s.Name == service && s.Error == "" && len(s.Ports) > 0 {
				return net.JoinHostPort(st.IP, strconv.Itoa(s.Ports[0].Port))
			}
		}
	}
	return ""
}

func answers(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// waitLifecycle polls GET /deckies/lifecycle until the row is terminal and
// returns it.
func waitLifecycle(t *testing.T, base, token, id string) map[string]any {
	t.Helper()
	var row map[string]any
	checkFor(t, 60*time.Second, func() error {
		_, body := apiJSON(t, http.MethodGet, base+"/deckies/lifecycle?"+url.Values{"ids": {id}}.Encode(), token, nil)
		rows, _ := body["rows"].([]any)
		if len(rows) != 1 {
			return fmt.Errorf("lifecycle answer %v", body)
		}
		row = rows[0].(map[string]any)
		if s := row["status"]; s != model.LifecycleSucceeded && s != model.LifecycleFailed {
			return fmt.Errorf("lifecycle %s is %v", id, s)
		}
		return nil
	})
	return row
}

// TestDeckyOperationsThroughTheAPI drives a real decnet: a deploy through
// the API is served (its lifecycle row succeeds and its SSH port answers),
// a service added live answers and stops answering once removed, a
// mutation is stored as a decky_mutated log row, and DELETE stops the
// decky.
func TestDeckyOperationsThroughTheAPI(t *testing.T) {
	a, _ := startApp(t, testConfig(t, nil))
	base := a.APIURL()
	tok := login(t, base, "admin", testAdminPassword)

	resp, body := apiJSON(t, http.MethodPost, base+"/deckies/deploy", tok, map[string]any{
		"ini_content": "[general]\nnet = 127.94.0.0/24\n\n[e2e-01]\nservices = ssh\nmutate_interval = 0\n",
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("deploy: %d %v", resp.StatusCode, body)
	}
	ids, _ := body["lifecycle_ids"].([]any)
	if len(ids) != 1 {
		t.Fatalf("deploy answer %v", body)
	}
	if row := waitLifecycle(t, base, tok, ids[0].(string)); row["status"] != model.LifecycleSucceeded || row["completed_at"] == nil {
		t.Fatalf("deploy lifecycle = %v", row)
	}
	sshAddr := servicePort(a, "e2e-01", "ssh")
	if sshAddr == "" || !answers(sshAddr) {
		t.Fatalf("the deployed decky's ssh does not answer (%q)", sshAddr)
	}

	resp, body = apiJSON(t, http.MethodPost, base+"/deckies/e2e-01/services", tok,
		map[string]any{"name": "telnet", "config": map[string]any{"user": "admin"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("add telnet: %d %v", resp.StatusCode, body)
	}
	var telnetAddr string
	checkFor(t, 60*time.Second, func() error {
		if telnetAddr = servicePort(a, "e2e-01", "telnet"); telnetAddr == "" || !answers(telnetAddr) {
			return fmt.Errorf("telnet not answering yet (%q)", telnetAddr)
		}
		return nil
	})

	resp, body = apiJSON(t, http.MethodDelete, base+"/deckies/e2e-01/services/telnet", tok, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("remove telnet: %d %v", resp.StatusCode, body)
	}
	checkFor(t, 60*time.Second, func() error {
		if answers(telnetAddr) {
			return fmt.Errorf("telnet still answers on %s", telnetAddr)
		}
		if servicePort(a, "e2e-01", "ssh") == "" {
			return fmt.Errorf("ssh is not back yet")
		}
		return nil
	})

	resp, body = apiJSON(t, http.MethodPost, base+"/deckies/e2e-01/mutate", tok, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("mutate: %d %v", resp.StatusCode, body)
	}
	mids, _ := body["lifecycle_ids"].([]any)
	if row := waitLifecycle(t, base, tok, mids[0].(string)); row["status"] != model.LifecycleSucceeded {
		t.Fatalf("mutate lifecycle = %v", row)
	}
	rows := logsOf(t, a.store, "e2e-01", "decky_mutated", 1)
	if got := ofType(rows, "decky_mutated")[0]; got.Service != "mutator" {
		t.Errorf("decky_mutated row = %+v", got)
	}

	resp, _ = apiJSON(t, http.MethodDelete, base+"/deckies/e2e-01", tok, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	checkFor(t, 60*time.Second, func() error {
		for _, svc := range []string{"ssh", "telnet"} {
			if addr := servicePort(a, "e2e-01", svc); addr != "" {
				return fmt.Errorf("%s still runs on %s", svc, addr)
			}
		}
		if answers(sshAddr) {
			return fmt.Errorf("%s still answers", sshAddr)
		}
		open, err := a.store.OpenLifecycles(context.Background(), model.LocalHost)
		if err != nil || len(open) != 0 {
			return fmt.Errorf("open lifecycle rows %+v, %v", open, err)
		}
		return nil
	})
}
