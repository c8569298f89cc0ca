package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/model"
)

// ticketFor asks for an SSE ticket with tok.
func ticketFor(t *testing.T, e *env, tok string) string {
	t.Helper()
	r := e.do(req{method: "POST", path: "/api/v1/auth/sse-ticket", token: tok})
	wantStatus(t, r, http.StatusOK, "")
	tk, _ := r.body["ticket"].(string)
	if len(tk) != 43 || r.body["expires_in"] != float64(60) {
		t.Fatalf("ticket response %s", r.raw)
	}
	return tk
}

func TestSSETicketOpensOneStreamOnce(t *testing.T) {
	e, tok := newSSEEnv(t, nil, nil)
	tk := ticketFor(t, e, tok)
	c := mustOpenSSE(t, e, pathIdentityEvents+"?ticket="+tk, nil)
	if f := c.next(); f.event != "snapshot" {
		t.Fatalf("first frame %q, want snapshot", f.event)
	}
	c.close()
	want401(t, e.do(req{method: "GET", path: pathIdentityEvents + "?ticket=" + tk}))
	if n := e.s.tickets.size(); n != 0 {
		t.Fatalf("%d tickets left after redeeming the only one", n)
	}
}

func TestSSETicketExpiresAfterAMinuteAndIsDeletedAnyway(t *testing.T) {
	e, tok := newSSEEnv(t, nil, nil)
	tk := ticketFor(t, e, tok)
	e.clk.Advance(59 * time.Second)
	tk2 := ticketFor(t, e, tok)
	e.clk.Advance(2 * time.Second)
	want401(t, e.do(req{method: "GET", path: pathIdentityEvents + "?ticket=" + tk}))
	if n := e.s.tickets.size(); n != 1 {
		t.Fatalf("tickets held = %d, want only the unexpired one", n)
	}
	mustOpenSSE(t, e, pathIdentityEvents+"?ticket="+tk2, nil).next()
}

func TestSSEAuthRefusals(t *testing.T) {
	e, tok := newSSEEnv(t, nil, nil)
	e.addUser("pending", viewerPW, model.RoleViewer, true)
	pending := e.token("pending", viewerPW)

	want401(t, e.do(req{method: "GET", path: pathIdentityEvents}))
	want401(t, e.do(req{method: "GET", path: pathIdentityEvents + "?ticket=not-a-ticket"}))
	want401(t, e.do(req{method: "GET", path: pathIdentityEvents + "?token=" + url.QueryEscape(tok)}))
	wantStatus(t, e.do(req{method: "GET", path: pathStream, token: pending}), http.StatusForbidden, detailMustChange)
	wantStatus(t, e.do(req{method: "POST", path: "/api/v1/auth/sse-ticket", token: pending}), http.StatusForbidden, detailMustChange)

	// A ticket is not a credential for other routes, and trying it there
	// does not use it up.
	tk := ticketFor(t, e, tok)
	want401(t, e.do(req{method: "GET", path: "/api/v1/logs?ticket=" + tk}))
	mustOpenSSE(t, e, pathIdentityEvents+"?ticket="+tk, nil).next()

	// The user is read again at redemption: a role change, a password
	// change requirement or deletion since the ticket was issued refuses.
	id := "uuid-viewer"
	tk = ticketFor(t, e, tok)
	e.users.setRole(t, id, "auditor")
	want401(t, e.do(req{method: "GET", path: pathIdentityEvents + "?ticket=" + tk}))
	e.users.setRole(t, id, model.RoleViewer)

	tk = ticketFor(t, e, tok)
	if _, err := e.users.DB().ExecContext(context.Background(), "UPDATE users SET must_change_password = 1 WHERE uuid = ?", id); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "GET", path: pathIdentityEvents + "?ticket=" + tk}), http.StatusForbidden, detailMustChange)
}

func TestSSETicketStoreIsBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	ts := newTicketStore(clk.Now)
	var first string
	for i := 0; i < maxTicketsPerUser+5; i++ {
		id, err := ts.issue("u1", model.RoleViewer)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = id
		}
	}
	if n := ts.size(); n != maxTicketsPerUser {
		t.Fatalf("one user holds %d tickets, want at most %d", n, maxTicketsPerUser)
	}
	if _, ok := ts.redeem(first); ok {
		t.Fatal("the user's oldest ticket survived eviction")
	}
	for i := ts.size(); i < maxTickets; i++ {
		if _, err := ts.issue(fmt.Sprint("user-", i), model.RoleViewer); err != nil {
			t.Fatalf("ticket %d: %v", i, err)
		}
	}
	if _, err := ts.issue("late", model.RoleViewer); err == nil {
		t.Fatal("a full store issued another ticket")
	}
	clk.Advance(ticketTTL)
	if _, err := ts.issue("late", model.RoleViewer); err != nil {
		t.Fatalf("expired tickets were not evicted: %v", err)
	}
	if n := ts.size(); n != 1 {
		t.Fatalf("size after eviction = %d, want 1", n)
	}
}

func TestSSEPerUserCapAnswers429AndFreesTheSlotOnDisconnect(t *testing.T) {
	e, tok := newSSEEnv(t, nil, func(o *Options) { o.SSEMaxPerUser = 2 })
	a := mustOpenSSE(t, e, pathIdentityEvents, bearer(tok))
	mustOpenSSE(t, e, pathTTPEvents, bearer(tok))
	r := e.do(req{method: "GET", path: pathStream, token: tok})
	wantStatus(t, r, http.StatusTooManyRequests, "SSE connection limit (2) reached")

	a.close()
	deadline := time.Now().Add(sseWait)
	for e.s.sseSlots.inUse("uuid-viewer") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the closed stream's slot was not released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustOpenSSE(t, e, pathIdentityEvents, bearer(tok)).next()
}

func TestStreamHeadersAndOpeningFrames(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	c := mustOpenSSE(t, e, pathStream, bearer(tok))
	h := c.resp.Header
	if h.Get("Cache-Control") == "" || h.Get("X-Accel-Buffering") != "no" || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("headers %v", h)
	}
	if f := <-c.frames; f.event != ":" || f.data != "keepalive" {
		t.Fatalf("first write %+v, want the keepalive comment", f)
	}
	stats := decodeMsg(t, c.next())
	hist := decodeMsg(t, c.next())
	if stats.Type != "stats" || hist.Type != "histogram" || string(hist.Data) != "[]" {
		t.Fatalf("opening frames %+v %+v", stats, hist)
	}
}

// TestStreamDeliversAPublishedEvent is the acceptance test of issue 7: a
// client on /stream gets a log frame for an event published on the bus.
// The latency is logged, never asserted (docs/benchmarks.md has numbers).
func TestStreamDeliversAPublishedEvent(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	c := mustOpenSSE(t, e, pathStream, bearer(tok))
	c.waitLive()

	ev := liveEvent("ssh", "203.0.113.7", map[string]string{"username": "root"})
	start := time.Now()
	if err := b.PublishEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	f := c.waitFor("logs frame", isType("logs"))
	t.Logf("publish → logs frame: %v", f.at.Sub(start))
	rows := logsOf(t, f)
	if len(rows) != 1 || rows[0].EventID != ev.ID || rows[0].AttackerIP != "203.0.113.7" ||
		rows[0].Fields["username"] != "root" || rows[0].RawLine == "" || rows[0].ID != 0 {
		t.Fatalf("rows %+v", rows)
	}
	if seq, err := strconv.ParseUint(f.id, 10, 64); err != nil || seq == 0 {
		t.Fatalf("logs frame id %q, want the stream sequence", f.id)
	}
}

func TestStreamResumesAfterLastEventID(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	var evs []model.Event
	for i := range 5 {
		ev := liveEvent("ssh", "203.0.113.7", map[string]string{"n": fmt.Sprint(i)})
		if err := b.PublishEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	ids := func(c *sseClient, n int) (got []string, lastID string) {
		for len(got) < n {
			f := c.waitFor("logs frame", isType("logs"))
			for _, r := range logsOf(t, f) {
				got = append(got, r.EventID)
			}
			lastID = f.id
		}
		c.nothingBut(300 * time.Millisecond)
		return got, lastID
	}
	want := []string{evs[2].ID, evs[3].ID, evs[4].ID}

	c := mustOpenSSE(t, e, pathStream, map[string]string{"Authorization": "Bearer " + tok, "Last-Event-ID": "2"})
	got, last := ids(c, 3)
	if !slices.Equal(got, want) || last != "5" {
		t.Fatalf("after Last-Event-ID 2: %v (last id %s), want %v (last id 5)", got, last, want)
	}
	c.close()

	c = mustOpenSSE(t, e, pathStream+"?lastEventId=4", bearer(tok))
	if got, _ := ids(c, 1); !slices.Equal(got, []string{evs[4].ID}) {
		t.Fatalf("after lastEventId 4: %v", got)
	}
	c.close()

	// A position the stream does not hold (here: past its end, as after
	// the bus was reset) is said so, then the stream carries on from now.
	c = mustOpenSSE(t, e, pathStream, map[string]string{"Authorization": "Bearer " + tok, "Last-Event-ID": "1000"})
	gap := decodeMsg(t, c.waitFor("gap frame", isType("gap")))
	if string(gap.Data) != `{"requested_from":1001,"resumed_from":6}` {
		t.Fatalf("gap frame %s", gap.Data)
	}
	wantStatus(t, e.do(req{method: "GET", path: pathStream, token: tok, header: map[string]string{"Last-Event-ID": "x"}}),
		http.StatusUnprocessableEntity, "")
}

// TestStreamResumesInsideABatchMessage pins resume ids of batched events:
// a frame that ends inside a batch message is "seq:index", and resuming
// from it sends exactly the rest of that message and what follows.
func TestStreamResumesInsideABatchMessage(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	e.s.sse.batchMax = 3
	var evs []model.Event
	for i := range 5 {
		evs = append(evs, liveEvent("ssh", "203.0.113.7", map[string]string{"n": fmt.Sprint(i)}))
	}
	if err := b.PublishEvents(context.Background(), evs); err != nil { // one message: seq 1
		t.Fatal(err)
	}
	rows := func(f sseFrame) (ids []string) {
		for _, r := range logsOf(t, f) {
			ids = append(ids, r.EventID)
		}
		return ids
	}

	c := mustOpenSSE(t, e, pathStream+"?lastEventId=1:1", bearer(tok))
	f := c.waitFor("logs frame", isType("logs"))
	if got := rows(f); !slices.Equal(got, []string{evs[2].ID, evs[3].ID, evs[4].ID}) || f.id != "1" {
		t.Fatalf("after 1:1: %v (id %q), want events 2..4 (id 1)", got, f.id)
	}
	c.close()

	// Replaying the whole message from before it: the first frame is full
	// (batchMax 3) and ends inside the message, so its id says where.
	c = mustOpenSSE(t, e, pathStream+"?lastEventId=1:0", bearer(tok))
	f = c.waitFor("logs frame", isType("logs"))
	if got := rows(f); !slices.Equal(got, []string{evs[1].ID, evs[2].ID, evs[3].ID}) || f.id != "1:3" {
		t.Fatalf("after 1:0: %v (id %q), want events 1..3 (id 1:3)", got, f.id)
	}
	f = c.waitFor("logs frame", isType("logs"))
	if got := rows(f); !slices.Equal(got, []string{evs[4].ID}) || f.id != "1" {
		t.Fatalf("second frame %v (id %q), want event 4 (id 1)", got, f.id)
	}
	c.close()

	for _, bad := range []string{"1:", "1:-1", ":1", "1:x", "0:1"} {
		wantStatus(t, e.do(req{method: "GET", path: pathStream, token: tok, header: map[string]string{"Last-Event-ID": bad}}),
			http.StatusUnprocessableEntity, "")
	}
}

func TestStreamAppliesSearchAndTimeFilters(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	c := mustOpenSSE(t, e, pathStream+"?"+url.Values{"search": {"service:ssh username:root"}, "start_time": {since}}.Encode(), bearer(tok))
	c.waitLive()
	old := liveEvent("ssh", "203.0.113.1", map[string]string{"username": "root"})
	old.TS = time.Now().Add(-time.Hour)
	skip := []model.Event{
		liveEvent("http", "203.0.113.2", map[string]string{"username": "root"}),
		liveEvent("ssh", "203.0.113.3", map[string]string{"username": "admin"}),
		old,
	}
	keep := liveEvent("ssh", "203.0.113.4", map[string]string{"username": "root"})
	for _, ev := range append(skip, keep) {
		if err := b.PublishEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	rows := logsOf(t, c.waitFor("logs frame", isType("logs")))
	if len(rows) != 1 || rows[0].EventID != keep.ID {
		t.Fatalf("rows %+v, want only %s", rows, keep.ID)
	}
}

func TestStreamSaysInterruptedWhenTheBusFails(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	c := mustOpenSSE(t, e, pathStream, bearer(tok))
	c.waitLive()
	b.Close()
	f := c.waitFor("error frame", func(f sseFrame) bool { return f.event == "error" })
	if f.data != `{"type":"error","message":"Stream interrupted"}` {
		t.Fatalf("error frame %s", f.data)
	}
}

func TestStreamSurvivesTheServersWriteTimeout(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, func(o *Options) { o.SSEKeepAlive = 20 * time.Millisecond })
	srv := httptest.NewUnstartedServer(e.s.Handler())
	srv.Config.WriteTimeout = 100 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	e.srv = srv
	c := mustOpenSSE(t, e, pathStream, bearer(tok))
	c.waitLive()
	time.Sleep(300 * time.Millisecond)
	ev := liveEvent("ssh", "203.0.113.7", nil)
	if err := b.PublishEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if rows := logsOf(t, c.waitFor("logs frame", isType("logs"))); rows[0].EventID != ev.ID {
		t.Fatalf("rows %+v", rows)
	}
}

func TestEntityStreamKeepAlive(t *testing.T) {
	e, tok := newSSEEnv(t, nil, func(o *Options) { o.SSEKeepAlive = 20 * time.Millisecond })
	c := mustOpenSSE(t, e, pathIdentityEvents, bearer(tok))
	<-c.frames // the opening comment
	if f := c.next(); f.event != "snapshot" || f.data != `{"identities":[]}` {
		t.Fatalf("snapshot %+v", f)
	}
	c.waitFor("keep-alive", func(f sseFrame) bool { return f.event == ":" && f.data == "keepalive" })
}

// entityData is the data of a live entity frame.
type entityData struct {
	Topic   string         `json:"topic"`
	Type    string         `json:"type"`
	TS      float64        `json:"ts"`
	Payload map[string]any `json:"payload"`
}

func decodeEntity(t *testing.T, f sseFrame) entityData {
	t.Helper()
	var d entityData
	if err := json.Unmarshal([]byte(f.data), &d); err != nil {
		t.Fatalf("frame %s: %q: %v", f.event, f.data, err)
	}
	return d
}

func TestAttackerEventsStreamsOnlyThatAttacker(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	ids := seedAttackers(t, e)
	mine, other := ids["192.0.2.10"], ids["192.0.2.20"]

	r := e.do(req{method: "GET", path: "/api/v1/attackers/nosuch/events", token: tok})
	wantStatus(t, r, http.StatusNotFound, "Attacker not found")

	c := mustOpenSSE(t, e, "/api/v1/attackers/"+mine+"/events", bearer(tok))
	snap := c.next()
	var s struct {
		AttackerUUID string         `json:"attacker_uuid"`
		Attacker     map[string]any `json:"attacker"`
	}
	if err := json.Unmarshal([]byte(snap.data), &s); snap.event != "snapshot" || err != nil ||
		s.AttackerUUID != mine || s.Attacker["ip"] != "192.0.2.10" || s.Attacker["behavior"] == nil {
		t.Fatalf("snapshot %s %s", snap.event, snap.data)
	}
	ctx := context.Background()
	publish := func(topic, typ string, p any) {
		t.Helper()
		if err := b.Publish(ctx, topic, typ, p); err != nil {
			t.Fatal(err)
		}
	}
	publish(bus.AttackerScored, "scored", map[string]any{"attacker_uuid": other, "attacker_ip": "192.0.2.20"})
	publish(bus.IdentityFormed, "formed", map[string]any{"attacker_uuid": mine}) // not an attacker topic
	publish(bus.AttackerScored, "scored", map[string]any{"attacker_uuid": mine, "event_count": 11})
	publish(bus.AttackerSessionEnded, "session.ended", map[string]any{"attacker_uuid": nil, "attacker_ip": "192.0.2.10"})
	publish(bus.TTPTagged, "tagged", map[string]any{"attacker_uuid": mine, "techniques_added": []string{"T1110"}})

	// attacker.> and ttp.tagged are separate subscriptions, each delivered
	// in order but not ordered against the other: the tagged frame may come
	// anywhere among the three.
	var got []string
	for range 3 {
		f := c.next()
		d := decodeEntity(t, f)
		if d.Topic != f.event || d.TS == 0 {
			t.Fatalf("frame %s %s: topic %q, ts %v", f.event, f.data, d.Topic, d.TS)
		}
		got = append(got, f.event+" "+d.Type)
	}
	attackerOrder := slices.DeleteFunc(slices.Clone(got), func(s string) bool { return s == bus.TTPTagged+" tagged" })
	if want := []string{bus.AttackerScored + " scored", bus.AttackerSessionEnded + " session.ended"}; !slices.Equal(attackerOrder, want) ||
		!slices.Contains(got, bus.TTPTagged+" tagged") {
		t.Fatalf("frames %q, want %q in that order and %s tagged", got, want, bus.TTPTagged)
	}
	c.nothingBut(200 * time.Millisecond)
}

func TestIdentityAndTTPEventsNameFramesByTopic(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	ids := mustOpenSSE(t, e, pathIdentityEvents, bearer(tok))
	ttps := mustOpenSSE(t, e, pathTTPEvents, bearer(tok))
	if f := ids.next(); f.event != "snapshot" {
		t.Fatalf("identities snapshot %+v", f)
	}
	if f := ttps.next(); f.event != "snapshot" || f.data != `{"techniques":[]}` {
		t.Fatalf("ttp snapshot %+v", f)
	}
	ctx := context.Background()
	for _, m := range []struct{ topic, typ string }{
		{bus.IdentityObservationLinked, "observation.linked"}, {bus.TTPTagged, "tagged"},
		{"ttp.rule.fired.T1110", "rule.fired"}, {bus.AttackerScored, "scored"},
	} {
		if err := b.Publish(ctx, m.topic, m.typ, map[string]string{"k": "v"}); err != nil {
			t.Fatal(err)
		}
	}
	if f := ids.next(); f.event != "observation.linked" || decodeEntity(t, f).Payload["k"] != "v" {
		t.Fatalf("identity frame %s %s", f.event, f.data)
	}
	// Two subscriptions: their frames may come in either order.
	got := map[string]string{}
	for range 2 {
		f := ttps.next()
		got[f.event] = decodeEntity(t, f).Topic
	}
	if got["tagged"] != bus.TTPTagged || got["rule.fired"] != "ttp.rule.fired.T1110" {
		t.Fatalf("ttp frames (event → topic) %v", got)
	}
	ids.nothingBut(200 * time.Millisecond)
	ttps.nothingBut(0)
}

func TestCampaignEventsSnapshotThenCampaignNotifications(t *testing.T) {
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	c := mustOpenSSE(t, e, pathCampaignEvents, bearer(tok))
	if f := c.next(); f.event != "snapshot" || f.data != `{"campaigns":[]}` {
		t.Fatalf("campaigns snapshot %+v", f)
	}
	ctx := context.Background()
	for _, topic := range []string{bus.IdentityFormed, bus.CampaignIdentityAssigned, bus.CampaignMerged} {
		if err := b.Publish(ctx, topic, "notice", map[string]string{"campaign_uuid": "c-1"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"identity.assigned", "merged"} {
		if f := c.next(); f.event != want || decodeEntity(t, f).Payload["campaign_uuid"] != "c-1" {
			t.Fatalf("frame %s %s, want event %s", f.event, f.data, want)
		}
	}
	c.nothingBut(200 * time.Millisecond)
}

// A client that does not keep up loses notifications; the bus callback
// never waits for it.
func TestEntityQueueDropsInsteadOfBlocking(t *testing.T) {
	q := newEnvQueue(256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			q.push(bus.Envelope{Topic: "identity.formed", Type: fmt.Sprint(i)})
		}
	}()
	select {
	case <-done:
	case <-time.After(sseWait):
		t.Fatal("push blocked on a full queue")
	}
	if len(q.ch) != 256 || q.takeDropped() != 44 || q.takeDropped() != 0 {
		t.Fatalf("queued %d, want 256 and 44 dropped (counted once)", len(q.ch))
	}
	if env := <-q.ch; env.Type != "0" {
		t.Fatalf("oldest kept is %s, want 0: the newest are dropped", env.Type)
	}
}

// TestStreamPublishToFrameLatency measures publish → logs frame over many
// events for docs/benchmarks.md; it runs only when asked:
//
//	DECNET_SSE_LATENCY_EVENTS=1000 [DECNET_SSE_LATENCY_GAP=50ms] go test ./internal/api -run TestStreamPublishToFrameLatency -v
func TestStreamPublishToFrameLatency(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("DECNET_SSE_LATENCY_EVENTS"))
	if n <= 0 {
		t.Skip("set DECNET_SSE_LATENCY_EVENTS=1000 to measure")
	}
	b := openBus(t)
	e, tok := newSSEEnv(t, b, nil)
	// The gap between one event's frame and the next publish: 0 measures
	// back-to-back events (each waits out the frame-rate limit, batchWindow),
	// a gap above batchWindow isolated ones.
	gap, _ := time.ParseDuration(os.Getenv("DECNET_SSE_LATENCY_GAP"))
	c := mustOpenSSE(t, e, pathStream, bearer(tok))
	c.waitLive()
	lat := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		time.Sleep(gap)
		ev := liveEvent("ssh", "203.0.113.7", map[string]string{"n": fmt.Sprint(i)})
		start := time.Now()
		if err := b.PublishEvent(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		f := c.waitFor("logs frame", isType("logs"))
		if rows := logsOf(t, f); rows[len(rows)-1].EventID != ev.ID {
			t.Fatalf("frame for %s carries %s", ev.ID, rows[len(rows)-1].EventID)
		}
		lat = append(lat, f.at.Sub(start))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("publish → /stream logs frame over %d events, %v apart: p50 %v  p90 %v  p99 %v  max %v",
		n, gap, pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1])
}
