package services

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FieldType is the type of a config field, as the API and dashboard show it.
type FieldType string

// Field types of fleet.md §1.1.
const (
	TypeString    FieldType = "string"
	TypePassword  FieldType = "password"
	TypeInt       FieldType = "int"
	TypeBool      FieldType = "bool"
	TypeTextarea  FieldType = "textarea"
	TypeEnum      FieldType = "enum"
	TypeMultiEnum FieldType = "multi_enum"
)

// Field describes one config key of a service.
type Field struct {
	Key         string    `json:"key"`
	Label       string    `json:"label"`
	Type        FieldType `json:"type"`
	Default     string    `json:"default,omitempty"`
	Secret      bool      `json:"secret,omitempty"`
	Help        string    `json:"help,omitempty"`
	Enum        []string  `json:"enum,omitempty"`
	Placeholder string    `json:"placeholder,omitempty"`
}

// Schema is a service's config fields in display order.
type Schema []Field

// maxValueLen bounds one config value (a textarea holding a PEM certificate
// or a custom page fits easily).
const maxValueLen = 1 << 20

// Validate coerces raw config the way fleet.md §1.1 specifies: unknown keys
// and empty values are dropped (unset is not empty), `b64:` textareas are
// decoded strictly, ints and bools are parsed, enums checked, multi-enums
// split on commas, checked and de-duplicated in order. Values come back in
// canonical form ("true"/"false", decimal ints, comma-joined lists). The
// first problem is returned as "<key>: <what is wrong>".
func (s Schema) Validate(raw map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(raw))
	for _, f := range s {
		v, ok := raw[f.Key]
		if !ok || v == "" {
			continue
		}
		if len(v) > maxValueLen {
			return nil, fmt.Errorf("%s: value of %d bytes exceeds %d", f.Key, len(v), maxValueLen)
		}
		c, err := f.coerce(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Key, err)
		}
		out[f.Key] = c
	}
	return out, nil
}

func (f Field) coerce(v string) (string, error) {
	switch f.Type {
	case TypeInt:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "", fmt.Errorf("expected int, got %q", clipForError(v))
		}
		return strconv.FormatInt(n, 10), nil
	case TypeBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true", "1", "yes", "on":
			return "true", nil
		case "false", "0", "no", "off":
			return "false", nil
		}
		return "", fmt.Errorf("expected a bool (true/false, yes/no, on/off, 1/0), got %q", clipForError(v))
	case TypeTextarea:
		if rest, ok := strings.CutPrefix(v, "b64:"); ok {
			b, err := base64.StdEncoding.Strict().DecodeString(rest)
			if err != nil || !utf8.Valid(b) {
				return "", fmt.Errorf("malformed b64: payload")
			}
			return string(b), nil
		}
		return v, nil
	case TypeEnum:
		if !slices.Contains(f.Enum, v) {
			return "", fmt.Errorf("%q is not one of %s", clipForError(v), strings.Join(f.Enum, ", "))
		}
		return v, nil
	case TypeMultiEnum:
		var picked []string
		for item := range strings.SplitSeq(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if !slices.Contains(f.Enum, item) {
				return "", fmt.Errorf("%q is not one of %s", clipForError(item), strings.Join(f.Enum, ", "))
			}
			if !slices.Contains(picked, item) {
				picked = append(picked, item)
			}
		}
		if len(picked) == 0 {
			return "", fmt.Errorf("needs at least one of %s", strings.Join(f.Enum, ", "))
		}
		return strings.Join(picked, ","), nil
	}
	return v, nil
}

// clipForError keeps an echoed bad value short in error messages.
func clipForError(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}

// Resolve returns the effective config: validated values over the schema's
// defaults.
func (s Schema) Resolve(validated map[string]string) Config {
	c := make(Config, len(s))
	for _, f := range s {
		if f.Default != "" {
			c[f.Key] = f.Default
		}
	}
	for k, v := range validated {
		c[k] = v
	}
	return c
}

// Config is a service's effective config: canonical strings by key.
type Config map[string]string

// String is the value of key, "" when unset.
func (c Config) String(key string) string { return c[key] }

// Int is the value of key as an int, def when unset or not a number.
func (c Config) Int(key string, def int) int {
	n, err := strconv.Atoi(c[key])
	if err != nil {
		return def
	}
	return n
}

// Bool reports whether key is "true".
func (c Config) Bool(key string) bool { return c[key] == "true" }

// List is a multi-enum or comma-separated value split into its items.
func (c Config) List(key string) []string {
	var out []string
	for item := range strings.SplitSeq(c[key], ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
