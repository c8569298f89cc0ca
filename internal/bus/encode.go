package bus

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/decnet/decnet/internal/jsonwrite"
	"github.com/decnet/decnet/internal/model"
)

// appendEventEnvelope appends the envelope of ev exactly as json.Marshal
// writes eventEnvelope: every service event is encoded once, and
// reflection was most of that cost (docs/benchmarks.md, HTTP decoy). The
// bytes must not differ, because a retried publish is recognised by them
// and decodeEvent's fast path expects this shape; FuzzAppendEventEnvelope
// pins the equality. ok is false when json.Marshal would fail (a time it
// cannot format, a timestamp that is not finite); the caller then uses it
// for its error.
func appendEventEnvelope(dst []byte, topic string, ts float64, ev *model.Event) (out []byte, ok bool) {
	if math.IsNaN(ts) || math.IsInf(ts, 0) {
		return dst, false
	}
	if y := ev.TS.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	if _, off := ev.TS.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return dst, false // zones RFC 3339 cannot write: time.MarshalJSON refuses them
	}
	dst = append(dst, `{"v":`...)
	dst = strconv.AppendInt(dst, EnvelopeVersion, 10)
	dst = append(dst, `,"id":`...)
	dst = jsonwrite.AppendString(dst, ev.ID, true)
	dst = append(dst, `,"topic":`...)
	dst = jsonwrite.AppendString(dst, topic, true)
	dst = append(dst, `,"type":`...)
	dst = jsonwrite.AppendString(dst, ev.EventType, true)
	dst = append(dst, `,"ts":`...)
	dst = jsonwrite.AppendFloat(dst, ts)

	dst = append(dst, `,"payload":{"id":`...)
	dst = jsonwrite.AppendString(dst, ev.ID, true)
	dst = append(dst, `,"ts":"`...)
	dst = ev.TS.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","decky":`...)
	dst = jsonwrite.AppendString(dst, ev.Decky, true)
	dst = append(dst, `,"service":`...)
	dst = jsonwrite.AppendString(dst, ev.Service, true)
	dst = append(dst, `,"event_type":`...)
	dst = jsonwrite.AppendString(dst, ev.EventType, true)
	dst = append(dst, `,"src_ip":`...)
	dst = jsonwrite.AppendString(dst, ev.SrcIP, true)
	if ev.SrcPort != 0 {
		dst = append(dst, `,"src_port":`...)
		dst = strconv.AppendInt(dst, int64(ev.SrcPort), 10)
	}
	if ev.DstIP != "" {
		dst = append(dst, `,"dst_ip":`...)
		dst = jsonwrite.AppendString(dst, ev.DstIP, true)
	}
	if ev.DstPort != 0 {
		dst = append(dst, `,"dst_port":`...)
		dst = strconv.AppendInt(dst, int64(ev.DstPort), 10)
	}
	if ev.SessionID != "" {
		dst = append(dst, `,"session_id":`...)
		dst = jsonwrite.AppendString(dst, ev.SessionID, true)
	}
	if len(ev.Fields) > 0 {
		dst = append(dst, `,"fields":{`...)
		var buf [keysOnStack]string
		keys := buf[:0]
		for k := range ev.Fields {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonwrite.AppendString(dst, k, true)
			dst = append(dst, ':')
			dst = jsonwrite.AppendString(dst, ev.Fields[k], true)
		}
		dst = append(dst, '}')
	}
	if ev.Msg != "" {
		dst = append(dst, `,"msg":`...)
		dst = jsonwrite.AppendString(dst, ev.Msg, true)
	}
	if ev.Raw != "" {
		dst = append(dst, `,"raw":`...)
		dst = jsonwrite.AppendString(dst, ev.Raw, true)
	}
	return append(dst, "}}"...), true
}

// keysOnStack is how many field names are sorted without a heap slice:
// the services' bound on fields per event.
const keysOnStack = 64

// marshalEventEnvelope is the envelope of ev, by hand when it can be.
func marshalEventEnvelope(topic string, ts float64, ev *model.Event) ([]byte, error) {
	// Sized for the common case of no escapes, so the buffer rarely grows.
	size := 320 + len(ev.ID)*2 + len(topic) + len(ev.EventType)*2 + len(ev.Decky) + len(ev.Service) +
		len(ev.SrcIP) + len(ev.DstIP) + len(ev.SessionID) + len(ev.Msg) + len(ev.Raw)
	for k, v := range ev.Fields {
		size += len(k) + len(v) + 6
	}
	if out, ok := appendEventEnvelope(make([]byte, 0, size), topic, ts, ev); ok {
		return out, nil
	}
	return json.Marshal(eventEnvelope{V: EnvelopeVersion, ID: ev.ID, Topic: topic, Type: ev.EventType, TS: ts, Payload: ev})
}
