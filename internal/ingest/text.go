package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/jsonwrite"
)

// Size caps for values copied from events into bounty payloads. Events come
// from attackers (through services or a syslog listener), so every copied
// string is bounded; the numbers are generous for real values (a JA3 cipher
// list, a certificate SAN list) and small enough that one event cannot make
// a bounty row larger than a few tens of kilobytes.
const (
	// maxValue bounds an ordinary payload string (hashes, banners, SANs).
	maxValue = 1024
	// maxShort bounds names, ports, flags and other short scalars.
	maxShort = 256
)

// capString returns s cut to at most n bytes, never splitting a UTF-8
// sequence, so a capped value stays valid text when s was.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A rune is at most utf8.UTFMax bytes, so its start is at most three
	// bytes back; further back means s is not UTF-8 there and any cut works.
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = n
	}
	return s[:i]
}

// shortHash is the first 16 hex digits of SHA-256(s): short enough to show,
// long enough that distinct header layouts do not collide in practice.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// marshalPayload serialises a typed payload. Struct fields encode in
// declaration order, so identical findings give identical bytes, which is
// what the bounty table deduplicates on. HTML escaping is off so captured
// markup stays readable in the row; the dashboard escapes on display.
func marshalPayload(v any) json.RawMessage {
	if a, ok := v.(payloadAppender); ok {
		return a.appendJSON(make([]byte, 0, 256))
	}
	buf := payloadBufs.Get().(*bytes.Buffer)
	defer payloadBufs.Put(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Payloads are structs of strings, ints and bools; encoding them
		// cannot fail. An empty object keeps the row well-formed regardless.
		return json.RawMessage(`{}`)
	}
	return json.RawMessage(bytes.Clone(bytes.TrimRight(buf.Bytes(), "\n")))
}

// payloadBufs recycles encoding buffers; payloads are encoded for most web
// events, and growing a fresh buffer each time was a large share of it.
var payloadBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// payloadAppender is a payload type that encodes itself, writing exactly
// the bytes marshalPayload's encoder would (field order, omitempty, null
// for a nil slice) without its reflection. Only the payloads of every web
// request implement it: they are most of the bounties derived.
type payloadAppender interface {
	appendJSON(dst []byte) []byte
}

// appendJSONField appends `,"name":"value"` (without the comma for the
// first field of an object).
func appendJSONField(dst []byte, first bool, name, value string) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return jsonwrite.AppendString(dst, value, false)
}

// appendJSONStrings appends a string slice as a JSON array, nil as null.
func appendJSONStrings(dst []byte, a []string) []byte {
	if a == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonwrite.AppendString(dst, s, false)
	}
	return append(dst, ']')
}
