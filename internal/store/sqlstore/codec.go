package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/jsonwrite"
)

// Column limits, in bytes. The DDL of both dialects declares these sizes
// (MySQL VARCHAR counts characters, so a byte-cut value always fits). The
// credential dedup key sums to 608 characters, 2 432 bytes in utf8mb4,
// inside InnoDB's 3 072-byte index limit.
const (
	maxEventID    = 64
	maxIP         = 64
	maxDecky      = 128
	maxService    = 64
	maxEventType  = 64
	maxSessionID  = 128
	maxPrincipal  = 256
	maxSecretKind = 32
	maxSHA256     = 64
	maxSecretB64  = 2048
	maxPrintable  = 512
	maxOutcome    = 16
	maxBountyType = 32
	maxUUID       = 36
	maxName       = 255
	maxJTI        = 128
	maxRole       = 16
	// maxText is MySQL's TEXT size, the type of logs.raw_line and msg.
	maxText = 65535
)

// clip returns s as valid UTF-8 cut to at most n bytes on a rune boundary.
// The common case, short valid input, costs one scan and no allocation.
func clip(s string, n int) string {
	if len(s) <= n && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// nullString maps "" to SQL NULL for optional columns.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// dbTime scans a timestamp column from either engine: SQLite hands back the
// stored text, MySQL (parseTime=true) a time.Time. NULL scans as the zero
// time.
type dbTime time.Time

// Scan implements sql.Scanner.
func (t *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = dbTime{}
	case time.Time:
		*t = dbTime(v.UTC())
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a timestamp", src)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	v, err := time.ParseInLocation(sqliteTimeLayout, s, time.UTC)
	if err != nil {
		return fmt.Errorf("sqlstore: bad stored timestamp %q: %w", s, err)
	}
	*t = dbTime(v)
	return nil
}

var _ sql.Scanner = (*dbTime)(nil)

// nullTimeArg encodes t for the dialect, or NULL when t is zero, for the
// optional timestamp columns.
func (s *Store) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.timeArg(t)
}

// jsonText is a JSON value stored in a TEXT column. It scans the text and
// decodes it into the pointed-to value.
type jsonText struct{ v any }

// Scan implements sql.Scanner.
func (j jsonText) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", src)
	}
	if err := json.Unmarshal(b, j.v); err != nil {
		return fmt.Errorf("sqlstore: bad stored JSON: %w", err)
	}
	return nil
}

// rawJSON scans a JSON TEXT column as-is, NULL as nil.
type rawJSON json.RawMessage

// Scan implements sql.Scanner.
func (r *rawJSON) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*r = nil
	case string:
		*r = rawJSON(v)
	case []byte:
		*r = append(rawJSON(nil), v...)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", src)
	}
	return nil
}

// jsonArg encodes v for a JSON TEXT column.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// rawJSONArg stores raw, or def when raw is empty, rejecting invalid JSON
// so every JSON column decodes on the way out.
func rawJSONArg(raw json.RawMessage, def string) (string, error) {
	if len(raw) == 0 {
		return def, nil
	}
	if !json.Valid(raw) {
		return "", fmt.Errorf("invalid JSON %.40q", raw)
	}
	return string(raw), nil
}

// appendFieldsJSON encodes a string map as a JSON object with sorted keys,
// the form json.Marshal produces, without its reflection: the ingest path
// encodes one per event. Invalid UTF-8 becomes U+FFFD, as with json.Marshal.
func appendFieldsJSON(dst []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return append(dst, "{}"...)
	}
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	dst = append(dst, '{')
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonwrite.AppendString(dst, k, false)
		dst = append(dst, ':')
		dst = jsonwrite.AppendString(dst, m[k], false)
	}
	return append(dst, '}')
}

// sortStrings is an insertion sort: field maps hold a handful of keys, where
// it beats slices.Sort's setup.
func sortStrings(a []string) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
