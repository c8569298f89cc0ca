package bus

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/decnet/decnet/internal/model"
)

// seedEnvelopes are bodies as eventMsg writes them plus the shapes the fast
// path must hand to encoding/json.
func seedEnvelopes(t testing.TB) [][]byte {
	ev := mkEvent(7)
	ev.Fields["cmd"] = `echo "<x>" > /tmp/a & \ ünï 🙂`
	ev.Msg = "tab\there\nnewline"
	ev.Raw = `<13>1 2024-01-01T00:00:00Z host app - - [relay@55555 k="v\]"] msg`
	var out [][]byte
	for _, e := range []model.Event{ev, mkEvent(1), {ID: "x"}} {
		data, err := json.Marshal(eventEnvelope{V: 1, ID: e.ID, Topic: "events.d.s", Type: e.EventType,
			TS: epoch(time.Now()), Payload: &e})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	for _, s := range []string{
		`{"payload":{"id":"a","ID":"b"}}`,
		`{"payload":{"id":"a"},"payload":{"decky":"d","fields":{"k":"1"}},"payload":{"fields":{"j":"2"}}}`,
		`{"payload":null}`,
		`{"payload":{"id":"a","src_port":1.5}}`,
		`{"payload":{"id":"a","src_port":01}}`,
		`{"v":1e0,"payload":{"id":"a"}}`,
		`{"ts":-0.5e+3,"payload":{"id":"a","ts":"2024-01-01T00:00:00.123456789Z"}}`,
		`{"payload":{"id":"a","ts":"not a time"}}`,
		`{"payload":{"id":"a","fields":{"k":null}}}`,
		`{"payload":{"id":"\u0061\ud83d\ude00","fields":{"\u006b":"v"}}}`,
		`{"payload":{"id":"a"}} trailing`,
		"{\"payload\":{\"id\":\"\xff\"}}",
		` { "payload" : { "id" : "a" , "dst_port" : -1 } } `,
		`{"payload":{"id":"a","src_port":99999999999999999999}}`,
		`{"payload":{"id":"a","unknown":[1,{"x":2}]}}`,
		`[]`, `{}`, `{"payload":{}}`, `{"payload":{"id":"a",}}`, `{"payload":{"id":"a"`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// FuzzDecodeEvent checks that the hand-written fast path accepts nothing that
// encoding/json rejects and decodes everything it accepts identically.
func FuzzDecodeEvent(f *testing.F) {
	for _, s := range seedEnvelopes(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxMessageSize {
			return
		}
		var fast model.Event
		if !fastDecodeEvent(data, &fast) {
			return
		}
		var env eventEnvelope
		if err := json.Unmarshal(data, &env); err != nil || env.Payload == nil {
			t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, data)
		}
		if !reflect.DeepEqual(fast, *env.Payload) {
			t.Fatalf("fast path decoded %q as\n%+v\nencoding/json as\n%+v", data, fast, *env.Payload)
		}
	})
}

func TestDecodeEventMatchesEncodingJSON(t *testing.T) {
	fastHits := 0
	for _, data := range seedEnvelopes(t) {
		var env eventEnvelope
		slowErr := json.Unmarshal(data, &env)
		slowOK := slowErr == nil && env.Payload != nil
		got, ok := decodeEvent(data)
		if ok != slowOK {
			t.Errorf("decodeEvent(%s) ok = %v, encoding/json ok = %v (%v)", data, ok, slowOK, slowErr)
			continue
		}
		if ok && !reflect.DeepEqual(got, *env.Payload) {
			t.Errorf("decodeEvent(%s) = %+v, want %+v", data, got, *env.Payload)
		}
		var scratch model.Event
		if fastDecodeEvent(data, &scratch) {
			fastHits++
		}
	}
	// The bodies eventMsg writes must take the fast path, or it buys nothing.
	if fastHits < 3 {
		t.Errorf("fast path taken %d times, want at least the 3 marshalled events", fastHits)
	}
}

func BenchmarkDecodeEvent(b *testing.B) {
	data := seedEnvelopes(b)[1]
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeEvent(data); !ok {
				b.Fatal("decode failed")
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var env eventEnvelope
			if err := json.Unmarshal(data, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// httpRequestEvent is shaped like the HTTP decoy's request event: about
// twenty fields, one of them the request headers as a JSON object.
func httpRequestEvent() model.Event {
	f := map[string]string{
		"method": "GET", "path": "/index.php", "query": "id=1", "version": "HTTP/1.1",
		"headers":         `{"Host":"10.0.0.5","User-Agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36","Accept":"*/*","Accept-Encoding":"gzip, deflate","Connection":"keep-alive"}`,
		"headers_ordered": "host,user-agent,accept,accept-encoding,connection",
		"ja4h":            "ge11nn05enus_6a2e3b5f1c0d_000000000000_000000000000",
		"status":          "200", "bytes": "2872", "body_len": "0", "host": "10.0.0.5", "user_agent": "Mozilla/5.0",
		"server_header": "nginx/1.24.0", "fake_app": "none", "tls": "false", "proto": "http/1.1",
		"content_type": "", "referer": "", "cookie": "", "x_forwarded_for": "",
	}
	return model.Event{ID: "0193a0c2-7b4e-7cc3-9a8e-0d1f2e3a4b5c", TS: time.Date(2026, 11, 26, 22, 0, 0, 123456789, time.UTC),
		Decky: "web-server", Service: "http", EventType: "request", SrcIP: "127.0.0.1", SrcPort: 51514,
		DstIP: "127.0.0.1", DstPort: 80, Fields: f}
}

func BenchmarkHTTPRequestEvent(b *testing.B) {
	ev := httpRequestEvent()
	data, err := marshalEventEnvelope("events.web-server.http", 1.7e9, &ev)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalEventEnvelope("events.web-server.http", 1.7e9, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode_encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: "events.web-server.http", Type: ev.EventType, TS: 1.7e9, Payload: &ev}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeEvent(data); !ok {
				b.Fatal("decode failed")
			}
		}
	})
}
