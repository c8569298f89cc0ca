package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the decnet command tree in-process with env applied.
func runCLI(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestVersionPrintsTheBuildVersion(t *testing.T) {
	out, err := runCLI(t, nil, "version")
	if err != nil || out != "decnet dev\n" {
		t.Fatalf("version = %q, %v", out, err)
	}
}

func TestConfigShowRedactsSecretsAndNamesSources(t *testing.T) {
	out, err := runCLI(t, map[string]string{
		"DECNET_JWT_SECRET":     "0123456789abcdef0123456789abcdef-secret",
		"DECNET_ADMIN_PASSWORD": "a-very-secret-password",
		"DECNET_API_PORT":       "9100",
	}, "config", "show")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "secret-password") || strings.Contains(out, "abcdef-secret") {
		t.Fatalf("secret printed:\n%s", out)
	}
	for _, want := range []string{"DECNET_JWT_SECRET", "<redacted>", "DECNET_API_PORT", "9100", "env", "DECNET_DATA_DIR", "default"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDBMigrateCreatesTheSchema(t *testing.T) {
	dir := t.TempDir()
	out, err := runCLI(t, map[string]string{"DECNET_DATA_DIR": dir}, "db", "migrate")
	if err != nil {
		t.Fatalf("db migrate: %v\n%s", err, out)
	}
	if !strings.Contains(out, "schema up to date") {
		t.Errorf("output = %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "decnet.db")); err != nil {
		t.Errorf("database file: %v", err)
	}
	// A second run finds nothing to do and still succeeds.
	if _, err := runCLI(t, map[string]string{"DECNET_DATA_DIR": dir}, "db", "migrate"); err != nil {
		t.Errorf("second migrate: %v", err)
	}
}

func TestStartupErrorsAreOneActionableLine(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    []string
		mustNot string
	}{
		{"invalid value", map[string]string{"DECNET_API_PORT": "eighty"}, []string{"up"},
			[]string{"DECNET_API_PORT", "want a port number"}, ""},
		{"unreachable mysql", map[string]string{
			"DECNET_DATA_DIR": t.TempDir(), "DECNET_DB_TYPE": "mysql",
			"DECNET_DB_URL": "decnet:hunter2@tcp(127.0.0.1:1)/decnet",
		}, []string{"db", "migrate"}, []string{"database unreachable", "127.0.0.1:1", "***"}, "hunter2"},
		{"data dir not creatable", map[string]string{"DECNET_DATA_DIR": filepath.Join(blocker, "data")}, []string{"up"},
			[]string{"data dir", "DECNET_DATA_DIR"}, ""},
		{"unknown config file", nil, []string{"--config", filepath.Join(t.TempDir(), "none.ini"), "config", "show"},
			[]string{"none.ini"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCLI(t, tt.env, tt.args...)
			if err == nil {
				t.Fatal("command succeeded")
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if tt.mustNot != "" && strings.Contains(msg, tt.mustNot) {
				t.Errorf("error %q leaks %q", msg, tt.mustNot)
			}
			if strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") {
				t.Errorf("error is not one line: %q", msg)
			}
		})
	}
}
