package store

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func text(v string) LogTerm         { return LogTerm{Kind: LogTermText, Value: v} }
func column(k, v string) LogTerm    { return LogTerm{Kind: LogTermColumn, Key: k, Value: v} }
func jsonField(k, v string) LogTerm { return LogTerm{Kind: LogTermField, Key: k, Value: v} }

func TestParseLogSearch(t *testing.T) {
	tests := []struct {
		name, in string
		want     []LogTerm
	}{
		{"empty", "", nil},
		{"blank", " \t\n ", nil},
		{"bare words", "root  admin", []LogTerm{text("root"), text("admin")}},
		{"double quotes group", `"failed login" ssh`, []LogTerm{text("failed login"), text("ssh")}},
		{"single quotes group", `'a "b" c'`, []LogTerm{text(`a "b" c`)}},
		{"quotes inside a token", `username:"root admin"`, []LogTerm{jsonField("username", "root admin")}},
		{"escaped quote in double quotes", `"say \"hi\""`, []LogTerm{text(`say "hi"`)}},
		{"other backslash in double quotes kept", `"a\nb"`, []LogTerm{text(`a\nb`)}},
		{"backslash outside quotes", `a\ b`, []LogTerm{text("a b")}},
		{"empty quoted token dropped", `'' x ""`, []LogTerm{text("x")}},
		{"unclosed quote falls back to whitespace", `"failed login`, []LogTerm{text(`"failed`), text("login")}},
		{"trailing backslash falls back", `a b\`, []LogTerm{text("a"), text(`b\`)}},
		{"decky", "decky:decky-01", []LogTerm{column(LogColumnDecky, "decky-01")}},
		{"service", "service:ssh", []LogTerm{column(LogColumnService, "ssh")}},
		{"event is event_type", "event:login_attempt", []LogTerm{column(LogColumnEventType, "login_attempt")}},
		{"attacker keys", "attacker:1.2.3.4 attacker-ip:5.6.7.8 attacker_ip:9.9.9.9", []LogTerm{
			column(LogColumnAttackerIP, "1.2.3.4"), column(LogColumnAttackerIP, "5.6.7.8"), column(LogColumnAttackerIP, "9.9.9.9"),
		}},
		{"value keeps later colons", "attacker:2001:db8::1", []LogTerm{column(LogColumnAttackerIP, "2001:db8::1")}},
		{"empty value is exact empty", "decky:", []LogTerm{column(LogColumnDecky, "")}},
		{"column keys are case-sensitive", "Decky:x", []LogTerm{jsonField("Decky", "x")}},
		{"JSON field", "username:root", []LogTerm{jsonField("username", "root")}},
		{"JSON field key sanitised", `user.name'):x`, []LogTerm{jsonField("username", "x")}},
		{"key with nothing left is free text", "$.-:x", []LogTerm{text("$.-:x")}},
		{"leading colon is free text", ":x", []LogTerm{text(":x")}},
		{"wildcards are plain text", "50% a_b", []LogTerm{text("50%"), text("a_b")}},
		{"mixed", `decky:d1 "GET /admin" src_port:4444 root`, []LogTerm{
			column(LogColumnDecky, "d1"), text("GET /admin"), jsonField("src_port", "4444"), text("root"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLogSearch(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLogSearch(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseLogSearchRefusesTooMuch(t *testing.T) {
	tests := []struct {
		name, in, wantMsg string
	}{
		{"too many terms", strings.Repeat("x ", MaxLogSearchTerms+1), "at most 16 terms"},
		{"too long", strings.Repeat("é", MaxLogSearchLen+1), "at most 512 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLogSearch(tt.in)
			if !errors.Is(err, ErrBadLogSearch) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want ErrBadLogSearch saying %q", err, tt.wantMsg)
			}
		})
	}
	// The limits themselves are accepted; empty tokens do not count.
	for _, in := range []string{strings.Repeat("x ", MaxLogSearchTerms) + `'' ""`, strings.Repeat("é", MaxLogSearchLen)} {
		if _, err := ParseLogSearch(in); err != nil {
			t.Errorf("ParseLogSearch(%.20q…): %v", in, err)
		}
	}
}

// FuzzParseLogSearch checks that any input parses without panicking into
// at most MaxLogSearchTerms non-empty terms whose keys are safe to put into
// SQL: a known column, or a field name of [A-Za-z0-9_].
func FuzzParseLogSearch(f *testing.F) {
	for _, s := range []string{
		"", "root", `decky:d1 "GET /admin" src_port:4444`, `'unclosed`, `"a\"b" c\`, `x:'); DROP TABLE logs;--`,
		"attacker:2001:db8::1", "ü:ü \xff:\xfe", `$.a"b:1`, strings.Repeat("a:b ", 20),
	} {
		f.Add(s)
	}
	columns := map[string]bool{LogColumnDecky: true, LogColumnService: true, LogColumnEventType: true, LogColumnAttackerIP: true}
	f.Fuzz(func(t *testing.T, s string) {
		terms, err := ParseLogSearch(s)
		if err != nil {
			if !errors.Is(err, ErrBadLogSearch) {
				t.Fatalf("error %v is not ErrBadLogSearch", err)
			}
			return
		}
		if utf8.RuneCountInString(s) > MaxLogSearchLen || len(terms) > MaxLogSearchTerms {
			t.Fatalf("accepted %d characters, %d terms", utf8.RuneCountInString(s), len(terms))
		}
		for _, term := range terms {
			switch term.Kind {
			case LogTermText:
				if term.Key != "" || term.Value == "" {
					t.Fatalf("text term %+v", term)
				}
			case LogTermColumn:
				if !columns[term.Key] {
					t.Fatalf("column term names %q", term.Key)
				}
			case LogTermField:
				if term.Key == "" {
					t.Fatal("field term with an empty key")
				}
				for _, r := range term.Key {
					if !IsLogFieldKeyChar(r) {
						t.Fatalf("field key %q has %q", term.Key, r)
					}
				}
			default:
				t.Fatalf("unknown kind %d", term.Kind)
			}
		}
	})
}
