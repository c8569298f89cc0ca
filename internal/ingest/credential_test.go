package ingest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/decnet/decnet/internal/model"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestDeriveCredentialFromSSHAuthAttempt(t *testing.T) {
	f := map[string]string{
		"username":         "root",
		"principal":        "root",
		"secret_printable": "hunter2",
		"secret_b64":       b64("hunter2"),
		"outcome":          "failure",
	}
	rec := Derive(event("ssh", "auth_attempt", f), DeriveOptions{})
	want := &model.Credential{
		AttackerIP:      "198.51.100.23",
		DeckyName:       "decky-01",
		Service:         "ssh",
		Principal:       "root",
		PrincipalKey:    "root",
		SecretKind:      "plaintext",
		SecretSHA256:    sha("hunter2"),
		SecretB64:       b64("hunter2"),
		SecretPrintable: "hunter2",
		Outcome:         "failure",
		Fields:          f,
		FirstSeen:       testTS,
		LastSeen:        testTS,
		AttemptCount:    1,
	}
	if diff := cmp.Diff(want, rec.Credential); diff != "" {
		t.Errorf("credential mismatch (-want +got):\n%s", diff)
	}
}

func TestDeriveCredentialValidation(t *testing.T) {
	long := func(r string, n int) string { return strings.Repeat(r, n) }
	tests := []struct {
		name   string
		fields map[string]string
		// wantNil means the event must yield no credential.
		wantNil bool
		check   func(t *testing.T, c *model.Credential)
	}{
		{name: "no secret_b64 means no credential", fields: map[string]string{"username": "root", "password": "x"}, wantNil: true},
		{name: "characters outside the alphabet are rejected", fields: map[string]string{"secret_b64": "aGk*"}, wantNil: true},
		{name: "embedded newline is rejected although the decoder would skip it", fields: map[string]string{"secret_b64": "aGVs\nbG8="}, wantNil: true},
		{name: "url-safe alphabet is rejected", fields: map[string]string{"secret_b64": "-_8="}, wantNil: true},
		{name: "three padding characters are rejected", fields: map[string]string{"secret_b64": "QQ==="}, wantNil: true},
		{name: "missing padding is rejected", fields: map[string]string{"secret_b64": "QQ"}, wantNil: true},
		{name: "non-canonical padding bits are rejected", fields: map[string]string{"secret_b64": "QR=="}, wantNil: true},
		{name: "padding in the middle is rejected", fields: map[string]string{"secret_b64": "QQ==QQ=="}, wantNil: true},
		{
			name:   "empty secret is a real attempt with the hash of nothing",
			fields: map[string]string{"secret_b64": "", "username": "admin"},
			check: func(t *testing.T, c *model.Credential) {
				if c.SecretSHA256 != sha("") || c.SecretPrintable != "" || c.Principal != "admin" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "hash covers the decoded bytes, not the base64 text",
			fields: map[string]string{"secret_b64": base64.StdEncoding.EncodeToString([]byte{0, 0xff, 'a'})},
			check: func(t *testing.T, c *model.Credential) {
				if c.SecretSHA256 != sha("\x00\xffa") {
					t.Errorf("sha = %s", c.SecretSHA256)
				}
				if c.SecretPrintable != "??a" {
					t.Errorf("derived printable = %q, want ??a", c.SecretPrintable)
				}
			},
		},
		{
			name:   "principal falls back to username",
			fields: map[string]string{"secret_b64": b64("p"), "username": "ubuntu"},
			check: func(t *testing.T, c *model.Credential) {
				if c.Principal != "ubuntu" || c.PrincipalKey != "ubuntu" {
					t.Errorf("principal = %q key %q", c.Principal, c.PrincipalKey)
				}
			},
		},
		{
			name:   "principal wins over username",
			fields: map[string]string{"secret_b64": b64("p"), "username": "u", "principal": `CORP\u`},
			check: func(t *testing.T, c *model.Credential) {
				if c.Principal != `CORP\u` {
					t.Errorf("principal = %q", c.Principal)
				}
			},
		},
		{
			name:   "absent principal is empty in both principal and key",
			fields: map[string]string{"secret_b64": b64("tok"), "secret_kind": "http_bearer"},
			check: func(t *testing.T, c *model.Credential) {
				if c.Principal != "" || c.PrincipalKey != "" || c.SecretKind != "http_bearer" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "principal is capped at 256 bytes on a rune boundary",
			fields: map[string]string{"secret_b64": b64("p"), "principal": "x" + long("é", 200)},
			check: func(t *testing.T, c *model.Credential) {
				if len(c.Principal) > 256 || len(c.Principal) < 253 || !utf8.ValidString(c.Principal) {
					t.Errorf("principal len %d valid %v", len(c.Principal), utf8.ValidString(c.Principal))
				}
				if c.PrincipalKey != c.Principal {
					t.Errorf("key %q differs from principal", c.PrincipalKey)
				}
			},
		},
		{
			name:   "secret_printable is capped at 512 bytes on a rune boundary",
			fields: map[string]string{"secret_b64": b64("p"), "secret_printable": "a" + long("€", 300)},
			check: func(t *testing.T, c *model.Credential) {
				if len(c.SecretPrintable) != 511 || !utf8.ValidString(c.SecretPrintable) {
					t.Errorf("printable len %d", len(c.SecretPrintable))
				}
			},
		},
		{
			name:   "derived printable is capped at 512 bytes",
			fields: map[string]string{"secret_b64": b64(long("z", 5000))},
			check: func(t *testing.T, c *model.Credential) {
				if len(c.SecretPrintable) != 512 {
					t.Errorf("printable len %d", len(c.SecretPrintable))
				}
				if c.SecretSHA256 != sha(long("z", 5000)) {
					t.Errorf("hash must cover the whole secret")
				}
			},
		},
		{
			name:   "secret_b64 is capped at 2048 bytes",
			fields: map[string]string{"secret_b64": b64(long("z", 3000))},
			check: func(t *testing.T, c *model.Credential) {
				if len(c.SecretB64) != 2048 {
					t.Errorf("b64 len %d", len(c.SecretB64))
				}
			},
		},
		{
			name:   "secret_kind is capped at 32 bytes",
			fields: map[string]string{"secret_b64": b64("p"), "secret_kind": long("k", 100)},
			check: func(t *testing.T, c *model.Credential) {
				if c.SecretKind != long("k", 32) {
					t.Errorf("kind %q", c.SecretKind)
				}
			},
		},
		{
			name:   "unknown outcome is dropped",
			fields: map[string]string{"secret_b64": b64("p"), "outcome": "pwned"},
			check: func(t *testing.T, c *model.Credential) {
				if c.Outcome != "" {
					t.Errorf("outcome %q", c.Outcome)
				}
			},
		},
		{
			name:   "success outcome is kept",
			fields: map[string]string{"secret_b64": b64("p"), "outcome": "success"},
			check: func(t *testing.T, c *model.Credential) {
				if c.Outcome != model.OutcomeSuccess {
					t.Errorf("outcome %q", c.Outcome)
				}
			},
		},
		{
			name:   "observed outcome is kept",
			fields: map[string]string{"secret_b64": b64("p"), "outcome": "observed"},
			check: func(t *testing.T, c *model.Credential) {
				if c.Outcome != model.OutcomeObserved {
					t.Errorf("outcome %q", c.Outcome)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := Derive(event("ftp", "auth_attempt", tt.fields), DeriveOptions{})
			if tt.wantNil {
				if rec.Credential != nil {
					t.Fatalf("want no credential, got %+v", rec.Credential)
				}
				if rec.Log.EventID == "" {
					t.Fatalf("the logs row must remain")
				}
				return
			}
			if rec.Credential == nil {
				t.Fatal("want a credential, got none")
			}
			tt.check(t, rec.Credential)
		})
	}
}

func TestDeriveCredentialFiledUnderUnknownWithoutSource(t *testing.T) {
	ev := event("mqtt", "auth", map[string]string{"secret_b64": b64("p"), "username": "u"})
	ev.SrcIP = ""
	rec := Derive(ev, DeriveOptions{})
	if rec.Credential.AttackerIP != model.UnknownIP || rec.Log.AttackerIP != model.UnknownIP {
		t.Errorf("attacker ip = %q / %q, want %q", rec.Credential.AttackerIP, rec.Log.AttackerIP, model.UnknownIP)
	}
}

func TestCapStringNeverSplitsRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"},
		{"a€b", 3, "a"},
		{"a€b", 4, "a€"},
		{"𝄞𝄞", 5, "𝄞"},
		{"\xff\xff\xff\xff\xff\xff", 4, "\xff\xff\xff\xff"},
		{"\x80\x80\x80\x80\x80\x80", 5, "\x80\x80\x80\x80\x80"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := capString(tt.in, tt.n); got != tt.want {
			t.Errorf("capString(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
