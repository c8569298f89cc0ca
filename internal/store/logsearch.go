package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/decnet/decnet/internal/model"
)

// Bounds of a log search (api_db.md §3.2).
const (
	// MaxLogSearchLen caps a search string, in characters, as the
	// original's API does.
	MaxLogSearchLen = 512
	// MaxLogSearchTerms caps the terms of one search: each is another
	// predicate (a substring scan for free text) evaluated on every row a
	// query visits, so a long list only costs the database more.
	MaxLogSearchTerms = 16
)

// ErrBadLogSearch marks a search ParseLogSearch refuses (too long, too many
// terms); the API answers it with a 422 carrying the message.
var ErrBadLogSearch = errors.New("invalid log search")

// LogTermKind says how a LogTerm matches a logs row.
type LogTermKind int

// Term kinds.
const (
	// LogTermText keeps rows where raw_line, decky, service, attacker_ip,
	// msg or event_type contains Value, literally and ignoring case.
	LogTermText LogTermKind = iota
	// LogTermColumn keeps rows whose column Key equals Value exactly.
	LogTermColumn
	// LogTermField keeps rows whose fields object has Key set to exactly
	// Value.
	LogTermField
)

// Columns a LogTermColumn names: the logs columns a key:value term can
// select exactly.
const (
	LogColumnDecky      = "decky"
	LogColumnService    = "service"
	LogColumnEventType  = "event_type"
	LogColumnAttackerIP = "attacker_ip"
)

// logColumnKeys maps the search keys that name a column to that column.
var logColumnKeys = map[string]string{
	"decky":       LogColumnDecky,
	"service":     LogColumnService,
	"event":       LogColumnEventType,
	"attacker":    LogColumnAttackerIP,
	"attacker-ip": LogColumnAttackerIP,
	"attacker_ip": LogColumnAttackerIP,
}

// LogTerm is one condition of a log search; a search keeps the rows every
// term matches.
type LogTerm struct {
	Kind LogTermKind
	// Key is a LogColumn* constant for LogTermColumn and the field name,
	// of characters [A-Za-z0-9_] only, for LogTermField; empty for
	// LogTermText.
	Key string
	// Value is compared literally: never a pattern, never SQL.
	Value string
}

// LogSearch selects log rows (SearchLogs) or the rows a histogram counts
// (LogHistogram).
type LogSearch struct {
	// Terms are AND-ed; see ParseLogSearch.
	Terms []LogTerm
	// Since and Until bound the timestamp, inclusive; zero is unbounded.
	Since, Until time.Time
	// Limit and Offset page SearchLogs; LogHistogram ignores them.
	Limit, Offset int
}

// HistogramBucket is the number of log rows whose timestamp falls in
// [Time, Time+interval).
type HistogramBucket struct {
	Time  time.Time
	Count int64
}

// Stats is the dashboard's summary of the logs and the fleet.
type Stats struct {
	TotalLogs int64
	// UniqueAttackers counts distinct logs.attacker_ip, leaving out
	// events with no known source.
	UniqueAttackers int64
	// ActiveDeckies counts fleet deckies running or degraded.
	ActiveDeckies int64
	// DeployedDeckies counts every fleet decky row.
	DeployedDeckies int64
}

// LogSearchRepository is what the API's log, histogram and stats routes
// read.
type LogSearchRepository interface {
	// SearchLogs returns a page of the rows matching q, newest first
	// (timestamp, then id), and the number matching without paging.
	SearchLogs(ctx context.Context, q LogSearch) ([]model.LogEntry, int64, error)
	// LogHistogram counts the rows matching q (paging ignored) per
	// interval, buckets starting at multiples of interval since the Unix
	// epoch, oldest first; empty buckets are absent. interval is whole
	// seconds, at least one.
	LogHistogram(ctx context.Context, q LogSearch, interval time.Duration) ([]HistogramBucket, error)
	// Stats returns the dashboard summary.
	Stats(ctx context.Context) (Stats, error)
}

// ParseLogSearch turns the dashboard's search string into terms, AND-ed:
//
//   - the string is split into shell-style tokens (quotes group words, a
//     backslash escapes outside single quotes); one with an unbalanced quote
//     or a trailing backslash is split on whitespace instead, as the
//     original did when shlex failed;
//   - key:value, with key decky, service, event, attacker, attacker-ip or
//     attacker_ip, matches that column exactly (event is event_type, the
//     attacker keys attacker_ip);
//   - any other key:value matches the event field key exactly, the key
//     reduced to [A-Za-z0-9_]; a key with none of those is free text;
//   - anything else is free text, a case-insensitive substring.
//
// Empty tokens are dropped. A string over MaxLogSearchLen characters or of
// more than MaxLogSearchTerms terms is ErrBadLogSearch.
func ParseLogSearch(s string) ([]LogTerm, error) {
	if utf8.RuneCountInString(s) > MaxLogSearchLen {
		return nil, fmt.Errorf("%w: search must be at most %d characters", ErrBadLogSearch, MaxLogSearchLen)
	}
	tokens, ok := shellSplit(s)
	if !ok {
		tokens = strings.FieldsFunc(s, unicode.IsSpace)
	}
	var terms []LogTerm
	for _, tok := range tokens {
		if tok == "" {
			continue
		}
		if len(terms) == MaxLogSearchTerms {
			return nil, fmt.Errorf("%w: search must have at most %d terms", ErrBadLogSearch, MaxLogSearchTerms)
		}
		terms = append(terms, parseLogTerm(tok))
	}
	return terms, nil
}

// parseLogTerm classifies one non-empty token.
func parseLogTerm(tok string) LogTerm {
	key, value, found := strings.Cut(tok, ":")
	if !found {
		return LogTerm{Kind: LogTermText, Value: tok}
	}
	if col, ok := logColumnKeys[key]; ok {
		return LogTerm{Kind: LogTermColumn, Key: col, Value: value}
	}
	if k := SanitizeLogFieldKey(key); k != "" {
		return LogTerm{Kind: LogTermField, Key: k, Value: value}
	}
	return LogTerm{Kind: LogTermText, Value: tok}
}

// SanitizeLogFieldKey keeps the characters [A-Za-z0-9_] of key, the only
// ones a field name may bring into a JSON path.
func SanitizeLogFieldKey(key string) string {
	return strings.Map(func(r rune) rune {
		if IsLogFieldKeyChar(r) {
			return r
		}
		return -1
	}, key)
}

// IsLogFieldKeyChar reports whether r may appear in a LogTermField key;
// stores rely on it to build JSON paths without quoting.
func IsLogFieldKeyChar(r rune) bool {
	return r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
}

// shellSplit splits s like Python's shlex.split (POSIX mode, no comments):
// whitespace separates tokens; single quotes keep everything up to the next
// single quote; double quotes keep everything up to the next unescaped
// double quote, where a backslash escapes only '"' and '\'; outside quotes a
// backslash keeps the next character. Quotes may sit inside a token
// (key:"a b" is the token key:a b), and "" is an empty token. ok is false
// for an unclosed quote or a trailing backslash.
func shellSplit(s string) (tokens []string, ok bool) {
	var (
		cur     strings.Builder
		inToken bool
	)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			if inToken {
				tokens = append(tokens, cur.String())
				cur.Reset()
				inToken = false
			}
			i += size
		case r == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, false
			}
			cur.WriteString(s[i+1 : i+1+end])
			inToken = true
			i += end + 2
		case r == '"':
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '"' {
					closed = true
					i++
					break
				}
				if c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					cur.WriteByte(s[i+1])
					i += 2
					continue
				}
				cur.WriteByte(c)
				i++
			}
			if !closed {
				return nil, false
			}
			inToken = true
		case r == '\\':
			if i+size >= len(s) {
				return nil, false
			}
			_, n := utf8.DecodeRuneInString(s[i+size:])
			cur.WriteString(s[i+size : i+size+n])
			inToken = true
			i += size + n
		default:
			cur.WriteString(s[i : i+size])
			inToken = true
			i += size
		}
	}
	if inToken {
		tokens = append(tokens, cur.String())
	}
	return tokens, true
}

// Match reports whether e is a row q selects, with the SQL store's
// semantics, for rows that never pass through the database (the API's live
// log stream): Since and Until are inclusive, compared at the microsecond
// the stores keep; free text is a literal substring of raw_line, decky,
// service, attacker_ip, msg or event_type ignoring ASCII case (SQLite's
// LOWER folds no other letters); columns and fields compare exactly, and an
// absent field matches nothing. Paging is ignored. A test runs the same
// searches through SearchLogs and Match so the two cannot drift.
func (q LogSearch) Match(e model.LogEntry) bool {
	ts := e.Timestamp.Truncate(time.Microsecond)
	if !q.Since.IsZero() && ts.Before(q.Since.Truncate(time.Microsecond)) {
		return false
	}
	if !q.Until.IsZero() && ts.After(q.Until.Truncate(time.Microsecond)) {
		return false
	}
	for _, t := range q.Terms {
		if !t.match(e) {
			return false
		}
	}
	return true
}

func (t LogTerm) match(e model.LogEntry) bool {
	switch t.Kind {
	case LogTermText:
		if t.Value == "" {
			return true // the SQL store adds no condition for it either
		}
		v := asciiLower(t.Value)
		for _, s := range [...]string{e.RawLine, e.Decky, e.Service, e.AttackerIP, e.Msg, e.EventType} {
			if strings.Contains(asciiLower(s), v) {
				return true
			}
		}
		return false
	case LogTermColumn:
		switch t.Key {
		case LogColumnDecky:
			return e.Decky == t.Value
		case LogColumnService:
			return e.Service == t.Value
		case LogColumnEventType:
			return e.EventType == t.Value
		case LogColumnAttackerIP:
			return e.AttackerIP == t.Value
		}
		return false
	case LogTermField:
		v, ok := e.Fields[t.Key]
		return ok && v == t.Value
	}
	return false
}

// asciiLower lowers ASCII letters only, as SQLite's LOWER does.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
