package services

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var testSchema = Schema{
	{Key: "name", Type: TypeString},
	{Key: "secret", Type: TypePassword},
	{Key: "count", Type: TypeInt, Default: "3"},
	{Key: "on", Type: TypeBool},
	{Key: "body", Type: TypeTextarea},
	{Key: "mode", Type: TypeEnum, Enum: []string{"auth", "open"}},
	{Key: "versions", Type: TypeMultiEnum, Enum: []string{"http/1.1", "http/2"}},
}

func TestValidateCoercesLikeTheOriginal(t *testing.T) {
	got, err := testSchema.Validate(map[string]string{
		"name": "web", "secret": "", "count": " 42 ", "on": "YES", "body": "b64:aGVsbG8=",
		"mode": "open", "versions": "http/2, http/1.1,http/2", "unknown": "dropped",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "web", "count": "42", "on": "true", "body": "hello", "mode": "open", "versions": "http/2,http/1.1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("validated (-want +got):\n%s", diff)
	}
}

func TestValidateNamesTheKeyAndTheProblem(t *testing.T) {
	tests := []struct {
		raw  map[string]string
		want string
	}{
		{map[string]string{"count": "many"}, `count: expected int, got "many"`},
		{map[string]string{"on": "maybe"}, "on: expected a bool"},
		{map[string]string{"body": "b64:!!!"}, "body: malformed b64: payload"},
		{map[string]string{"mode": "closed"}, `mode: "closed" is not one of auth, open`},
		{map[string]string{"versions": " , "}, "versions: needs at least one of"},
		{map[string]string{"versions": "http/3"}, `versions: "http/3" is not one of`},
		{map[string]string{"name": strings.Repeat("x", maxValueLen+1)}, "name: value of"},
	}
	for _, tt := range tests {
		_, err := testSchema.Validate(tt.raw)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Validate(%v) = %v, want prefix %q", tt.raw, err, tt.want)
		}
	}
}

func TestResolveAppliesDefaultsUnderValues(t *testing.T) {
	c := testSchema.Resolve(map[string]string{"on": "true"})
	if c.Int("count", 0) != 3 || !c.Bool("on") || c.String("name") != "" {
		t.Errorf("config %v", c)
	}
	c = testSchema.Resolve(map[string]string{"count": "7", "versions": "http/1.1,http/2"})
	if c.Int("count", 0) != 7 || !cmp.Equal(c.List("versions"), []string{"http/1.1", "http/2"}) {
		t.Errorf("config %v", c)
	}
}

func TestCredentialFieldsAreTheUniversalShape(t *testing.T) {
	f := CredentialFields(map[string]string{"method": "password"}, "root", []byte("p\x00ss\xff"), KindPlaintext, Outcome(false))
	want := map[string]string{
		"method": "password", "username": "root", "principal": "root", "secret_kind": "plaintext",
		"secret_printable": "p?ss?", "secret_b64": "cABzc/8=", "outcome": "failure",
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
