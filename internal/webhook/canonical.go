package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/decnet/decnet/internal/bus"
	"github.com/decnet/decnet/internal/jsonwrite"
)

// Canonical re-encodes the JSON document raw in canonical form: object keys
// sorted (byte order) at every depth, no insignificant whitespace, no HTML
// escaping, numbers kept as their original literals. Equal values give equal
// bytes whatever key order or spacing the input had.
func Canonical(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("webhook: canonical json: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("webhook: canonical json: trailing data")
	}
	return AppendCanonical(nil, v)
}

// AppendCanonical appends v in canonical form. It takes the values
// encoding/json decodes into an any (map[string]any, []any, string, bool,
// nil, float64, json.Number) plus integers; anything else goes through
// json.Marshal first. The output is what encoding/json would write with
// SetEscapeHTML(false) and no trailing newline.
func AppendCanonical(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return jsonwrite.AppendString(dst, x, false), nil
	case json.Number:
		if !validNumber(string(x)) {
			return nil, fmt.Errorf("webhook: canonical json: invalid number %q", string(x))
		}
		return append(dst, x...), nil
	case float64:
		return appendFloat(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonwrite.AppendString(dst, k, false)
			dst = append(dst, ':')
			var err error
			if dst, err = AppendCanonical(dst, x[k]); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendCanonical(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case json.RawMessage:
		c, err := Canonical(x)
		if err != nil {
			return nil, err
		}
		return append(dst, c...), nil
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("webhook: canonical json: %w", err)
		}
		c, err := Canonical(raw)
		if err != nil {
			return nil, err
		}
		return append(dst, c...), nil
	}
}

// appendFloat writes a finite f as encoding/json does and refuses NaN and
// infinities, which JSON cannot hold.
func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("webhook: canonical json: unsupported float %v", f)
	}
	return jsonwrite.AppendFloat(dst, f), nil
}

// validNumber reports whether s is a JSON number literal.
func validNumber(s string) bool {
	if s == "" || (s[0] != '-' && (s[0] < '0' || s[0] > '9')) {
		return false
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return false
	}
	n, ok := v.(json.Number)
	return ok && string(n) == s
}

// TimeFormat is the body's ts: ISO-8601 UTC with microseconds, as Python's
// datetime.isoformat() writes an aware UTC time.
const TimeFormat = "2006-01-02T15:04:05.000000+00:00"

// Body is the exact bytes POSTed for env (pipeline.md §9): canonical JSON of
// {v, id, ts, topic, type, payload} with ts converted from epoch seconds to
// ISO-8601 UTC. A missing payload is sent as {}.
func Body(env bus.Envelope) ([]byte, error) {
	var payload any = map[string]any{}
	if len(env.Payload) > 0 && string(env.Payload) != "null" {
		dec := json.NewDecoder(bytes.NewReader(env.Payload))
		dec.UseNumber()
		if err := dec.Decode(&payload); err != nil {
			return nil, fmt.Errorf("webhook: payload of %s: %w", env.Topic, err)
		}
	}
	v := env.V
	if v == 0 {
		v = bus.EnvelopeVersion
	}
	doc := map[string]any{
		"v":       v,
		"id":      env.ID,
		"ts":      env.Time().Round(time.Microsecond).Format(TimeFormat),
		"topic":   env.Topic,
		"type":    env.Type,
		"payload": payload,
	}
	return AppendCanonical(nil, doc)
}
