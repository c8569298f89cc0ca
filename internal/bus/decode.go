package bus

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

// fieldsHint is the size a decoded fields map is made with: room for the
// busiest events (HTTP requests) without growing, small enough not to
// matter for the rest.
const fieldsHint = 24

// positionIndexBits is how many low bits of an ordinal hold the index of an
// event in its message (maxBatchEvents < 1<<positionIndexBits).
const positionIndexBits = 16

// EventPos is where an event sits in the EVENTS stream: the stream sequence
// of its message and its index among the Count events of that message (a
// batch message carries several events; a single event has Count 1).
type EventPos struct {
	Seq   uint64
	Index int
	Count int
}

// Ordinal is one number that orders positions: later events have larger
// ordinals, and the events of one message are consecutive.
func (p EventPos) Ordinal() uint64 { return p.Seq<<positionIndexBits | uint64(p.Index) }

// OrdinalSeq is the stream sequence of the message an ordinal points into.
func OrdinalSeq(ordinal uint64) uint64 { return ordinal >> positionIndexBits }

// Last reports whether p is the last event of its message.
func (p EventPos) Last() bool { return p.Index >= p.Count-1 }

// decodeMessage calls fn for every event of one EVENTS message, in order:
// one envelope per line (a batch), or a single envelope. A line that does
// not decode is reported with ok false at its index, so positions stay the
// same on every delivery. A message that is one envelope spread over
// several lines (another producer's pretty-printed JSON) is one event.
func decodeMessage(data []byte, seq uint64, fn func(p EventPos, ev model.Event, ok bool)) {
	n := bytes.Count(data, []byte{'\n'}) + 1
	for i := 0; i < n; i++ {
		line, rest := data, []byte(nil)
		if j := bytes.IndexByte(data, '\n'); j >= 0 {
			line, rest = data[:j], data[j+1:]
		}
		ev, ok := decodeEvent(line)
		ok = ok && ev.ID != ""
		if !ok && i == 0 && n > 1 {
			// Our batches never split an envelope, so a first line that
			// does not decode may be one envelope over several lines.
			if whole, wok := decodeEvent(data); wok && whole.ID != "" {
				fn(EventPos{Seq: seq, Count: 1}, whole, true)
				return
			}
		}
		fn(EventPos{Seq: seq, Index: i, Count: n}, ev, ok)
		data = rest
	}
}

// decodeEvent decodes an event envelope body, the hot path of every consumer.
// encoding/json costs several µs per event in reflection, so the exact shape
// eventMsg writes is parsed by hand; anything else (unknown or differently
// cased keys, nulls, invalid UTF-8 …) goes to encoding/json, so the two paths
// never disagree about what is accepted. FuzzDecodeEvent pins that.
func decodeEvent(data []byte) (model.Event, bool) {
	var ev model.Event
	if fastDecodeEvent(data, &ev) {
		return ev, true
	}
	var env eventEnvelope
	if err := json.Unmarshal(data, &env); err != nil || env.Payload == nil {
		return model.Event{}, false
	}
	return *env.Payload, true
}

// fastDecodeEvent reports false whenever it is not certain to produce what
// encoding/json would; ev is then garbage.
func fastDecodeEvent(data []byte, ev *model.Event) bool {
	if !utf8.Valid(data) {
		return false
	}
	// One copy of the body backs every decoded string, instead of one
	// allocation per field.
	s := scanner{b: string(data)}
	payload := false
	ok := s.object(func(key string) bool {
		switch key {
		case "v":
			_, ok := s.int()
			return ok
		case "ts":
			return s.float()
		case "id", "topic", "type":
			_, ok := s.str()
			return ok
		case "payload":
			payload = true
			return s.event(ev)
		}
		return false
	})
	s.ws()
	return ok && payload && s.i == len(s.b)
}

// scanner walks a JSON document that is already known to be valid UTF-8.
type scanner struct {
	b string
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// object parses {"key": value, …}, calling member for each key with the
// scanner positioned on its value.
func (s *scanner) object(member func(key string) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		tok, escaped, ok := s.strToken()
		// An escaped key could alias a known one; leave that to encoding/json.
		if !ok || escaped || !s.eat(':') || !member(tok[1:len(tok)-1]) {
			return false
		}
		if s.eat(',') {
			continue
		}
		return s.eat('}')
	}
}

// strPlain marks the bytes a JSON string holds as themselves: not the
// quote, the backslash or a control character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// strToken returns the quoted string at the cursor, quotes included, and
// whether it holds escapes.
func (s *scanner) strToken() (tok string, escaped, ok bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", false, false
	}
	start := s.i
	for i := start + 1; i < len(s.b); i++ {
		// Skip plain bytes by table: most of a string is plain, and one
		// lookup is cheaper than the three tests below.
		for i < len(s.b) && strPlain[s.b[i]] {
			i++
		}
		if i >= len(s.b) {
			break
		}
		switch c := s.b[i]; {
		case c == '"':
			s.i = i + 1
			return s.b[start:s.i], escaped, true
		case c == '\\':
			escaped = true
			i++
		case c < 0x20:
			return "", false, false
		}
	}
	return "", false, false
}

func (s *scanner) str() (string, bool) {
	tok, escaped, ok := s.strToken()
	if !ok {
		return "", false
	}
	if !escaped {
		return tok[1 : len(tok)-1], true
	}
	if v, ok := unescapeSimple(tok[1 : len(tok)-1]); ok {
		return v, true
	}
	// \u escapes (HTML characters, lone surrogates …) are rarer; encoding/json's
	// exact unescaping is worth its cost there.
	var v string
	if json.Unmarshal([]byte(tok), &v) != nil {
		return "", false
	}
	return v, true
}

// unescapeSimple decodes a string body whose escapes are all single
// characters (\" \\ \/ \b \f \n \r \t), as encoding/json would: they are
// common (a JSON document carried in a field, such as an HTTP request's
// headers, escapes every quote) and cheap. It reports false on any \u
// escape, leaving that to encoding/json. s is valid UTF-8 without control
// characters and without a closing quote, which strToken checked.
func unescapeSimple(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for {
		j := strings.IndexByte(s, '\\')
		if j < 0 {
			return string(append(b, s...)), true
		}
		if j+1 == len(s) {
			return "", false
		}
		b = append(b, s[:j]...)
		switch c := s[j+1]; c {
		case '"', '\\', '/':
			b = append(b, c)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		default:
			return "", false
		}
		s = s[j+2:]
	}
}

// number returns a JSON number token, validated against the JSON grammar
// (stricter than strconv: no '+', no leading zeros, no bare '.').
func (s *scanner) number() (string, bool) {
	s.ws()
	b, i := s.b, s.i
	start := i
	digits := func() bool {
		n := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if !digits() {
		return "", false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return "", false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return "", false
		}
	}
	s.i = i
	return b[start:i], true
}

// int parses a number into an int field the way encoding/json does.
func (s *scanner) int() (int, bool) {
	tok, ok := s.number()
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(tok, 10, strconv.IntSize)
	return int(n), err == nil
}

func (s *scanner) float() bool {
	tok, ok := s.number()
	if !ok {
		return false
	}
	_, err := strconv.ParseFloat(tok, 64)
	return err == nil
}

func (s *scanner) event(ev *model.Event) bool {
	return s.object(func(key string) bool {
		var (
			dst *string
			ok  bool
		)
		switch key {
		case "id":
			dst = &ev.ID
		case "decky":
			dst = &ev.Decky
		case "service":
			dst = &ev.Service
		case "event_type":
			dst = &ev.EventType
		case "src_ip":
			dst = &ev.SrcIP
		case "dst_ip":
			dst = &ev.DstIP
		case "session_id":
			dst = &ev.SessionID
		case "msg":
			dst = &ev.Msg
		case "raw":
			dst = &ev.Raw
		case "src_port":
			ev.SrcPort, ok = s.int()
			return ok
		case "dst_port":
			ev.DstPort, ok = s.int()
			return ok
		case "ts":
			tok, _, ok := s.strToken()
			return ok && ev.TS.UnmarshalJSON([]byte(tok)) == nil
		case "fields":
			if ev.Fields == nil {
				// Sized up front: growing the map field by field was a third
				// of decoding an HTTP request event (about twenty fields).
				ev.Fields = make(map[string]string, fieldsHint)
			}
			return s.object(func(k string) bool {
				v, ok := s.str()
				ev.Fields[k] = v
				return ok
			})
		default:
			return false
		}
		*dst, ok = s.str()
		return ok
	})
}
