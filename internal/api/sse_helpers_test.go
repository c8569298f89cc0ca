package api

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
)

// sseWait bounds every wait for a frame: generous, since tests assert
// what arrives, never how fast.
const sseWait = 10 * time.Second

// openBus starts an embedded bus for one test, the way the bus and app
// tests do.
func openBus(t testing.TB) *bus.Bus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	b, err := bus.Open(ctx, bus.Options{DataDir: t.TempDir(), Name: "api-sse-test", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("bus.Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// newSSEEnv starts a server whose stores are the test's SQLite store and
// whose bus is b (nil: no bus), with a short keep-alive, and returns it
// with a viewer's token.
func newSSEEnv(t *testing.T, b *bus.Bus, opt func(*Options)) (*env, string) {
	t.Helper()
	e := newEnv(t, func(o *Options) {
		st := o.Users.(sqlUsers).Store
		o.Logs, o.Attackers, o.Intel, o.Identities, o.TTP, o.Campaigns = st, st, st, st, st, st
		if b != nil {
			o.Bus = b
		}
		o.LimiterEnabled = false
		if opt != nil {
			opt(o)
		}
	})
	e.addUser("viewer", viewerPW, model.RoleViewer, false)
	return e, e.token("viewer", viewerPW)
}

// sseFrame is one dispatched event, or a comment (event ":").
type sseFrame struct {
	id, event, data string
	at              time.Time
}

// sseClient is an open stream whose frames a goroutine parses.
type sseClient struct {
	t      testing.TB
	resp   *http.Response
	frames chan sseFrame
	cancel context.CancelFunc
}

// openSSE requests path with the headers given and returns the response;
// the stream is read only when it is one (status 200, text/event-stream).
func openSSE(t testing.TB, e *env, path string, header map[string]string) (*sseClient, *http.Response) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(hr)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		return nil, resp
	}
	c := &sseClient{t: t, resp: resp, frames: make(chan sseFrame, 4096), cancel: cancel}
	t.Cleanup(c.close)
	go c.read()
	return c, resp
}

// mustOpenSSE is openSSE requiring a stream.
func mustOpenSSE(t testing.TB, e *env, path string, header map[string]string) *sseClient {
	t.Helper()
	c, resp := openSSE(t, e, path, header)
	if c == nil {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	return c
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

func (c *sseClient) close() {
	c.cancel()
	c.resp.Body.Close()
}

// read parses the event-stream format (id, event, data fields; blank line
// dispatches; ':' starts a comment).
func (c *sseClient) read() {
	defer close(c.frames)
	r := bufio.NewReader(c.resp.Body)
	var f sseFrame
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if f.event != "" || f.data != "" {
				f.at = time.Now()
				c.frames <- f
			}
			f = sseFrame{}
		case strings.HasPrefix(line, ":"):
			c.frames <- sseFrame{event: ":", data: strings.TrimSpace(line[1:]), at: time.Now()}
		default:
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "id":
				f.id = v
			case "event":
				f.event = v
			case "data":
				f.data += v
			}
		}
	}
}

// next returns the next frame that is not a comment.
func (c *sseClient) next() sseFrame {
	c.t.Helper()
	return c.waitFor("any frame", func(f sseFrame) bool { return f.event != ":" })
}

// waitFor returns the first frame satisfying ok, skipping the others.
func (c *sseClient) waitFor(what string, ok func(sseFrame) bool) sseFrame {
	c.t.Helper()
	deadline := time.After(sseWait)
	for {
		select {
		case f, open := <-c.frames:
			if !open {
				c.t.Fatalf("stream ended while waiting for %s", what)
			}
			if ok(f) {
				return f
			}
		case <-deadline:
			c.t.Fatalf("no %s within %v", what, sseWait)
		}
	}
}

// nothingBut fails when a frame that is not a comment arrives within d.
func (c *sseClient) nothingBut(d time.Duration) {
	c.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, open := <-c.frames:
			if !open {
				return
			}
			if f.event != ":" {
				c.t.Fatalf("unexpected frame %s %s", f.event, f.data)
			}
		case <-deadline:
			return
		}
	}
}

// streamMsg is the data of a /stream message frame.
type streamMsg struct {
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
}

func decodeMsg(t testing.TB, f sseFrame) streamMsg {
	t.Helper()
	var m streamMsg
	if err := json.Unmarshal([]byte(f.data), &m); err != nil {
		t.Fatalf("frame %s: undecodable data %q: %v", f.event, f.data, err)
	}
	return m
}

// logsOf returns the rows of a logs frame.
func logsOf(t testing.TB, f sseFrame) []model.LogEntry {
	t.Helper()
	m := decodeMsg(t, f)
	if m.Type != "logs" {
		t.Fatalf("frame type %q, want logs", m.Type)
	}
	var rows []model.LogEntry
	if err := json.Unmarshal(m.Data, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// isType matches /stream message frames of one type.
func isType(typ string) func(sseFrame) bool {
	return func(f sseFrame) bool {
		if f.event != sseStreamMessage {
			return false
		}
		var m streamMsg
		return json.Unmarshal([]byte(f.data), &m) == nil && m.Type == typ
	}
}

// waitLive reads the opening stats and histogram frames of /stream, after
// which its tail is known to exist.
func (c *sseClient) waitLive() {
	c.t.Helper()
	c.waitFor("stats frame", isType("stats"))
	c.waitFor("histogram frame", isType("histogram"))
}

// liveEvent is an attacker event as a service would publish it.
func liveEvent(service, ip string, fields map[string]string) model.Event {
	return model.Event{
		ID: uuid.Must(uuid.NewV7()).String(), TS: time.Now().UTC(), Decky: "decky-01", Service: service,
		EventType: "login_attempt", SrcIP: ip, SrcPort: 40000, DstIP: "127.77.0.10", DstPort: 22,
		Fields: fields, Msg: "failed password",
	}
}
