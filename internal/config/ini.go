package config

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// MaxINISize bounds an INI file read from disk; host and deploy files are
// hand-written and small, so anything larger is a mistake.
const MaxINISize = 1 << 20

// Section is one [name] block of an INI file, keys in file order.
type Section struct {
	Name string
	// Keys holds key names in the order they first appear.
	Keys []string
	// Values maps a lowercased key to its value.
	Values map[string]string
	// Lines maps a lowercased key to the line it was defined on.
	Lines map[string]int
}

// File is a parsed INI document. Keys before the first section header land in
// a section named "".
type File struct {
	Sections []*Section
}

// Section returns the named section (case-insensitive) or nil.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections {
		if strings.EqualFold(s.Name, name) {
			return s
		}
	}
	return nil
}

// ParseINI reads an INI document: `[section]` headers, `key = value` or
// `key: value` lines, `#` and `;` comment lines, and indented continuation
// lines appended to the previous value with a newline. Keys are
// case-insensitive; a repeated key in one section is an error, as is a
// repeated section, because silently taking one of them hides mistakes.
func ParseINI(r io.Reader) (*File, error) {
	f := &File{}
	var cur *Section
	var lastKey string
	sc := bufio.NewScanner(io.LimitReader(r, MaxINISize+1))
	sc.Buffer(make([]byte, 0, 4096), MaxINISize)
	read := 0
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		read += len(raw) + 1
		if read > MaxINISize {
			return nil, fmt.Errorf("line %d: file larger than %d bytes", n, MaxINISize)
		}
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if raw[0] == ' ' || raw[0] == '\t' {
			if cur == nil || lastKey == "" {
				return nil, fmt.Errorf("line %d: continuation line without a key above it", n)
			}
			cur.Values[lastKey] += "\n" + line
			continue
		}
		if line[0] == '[' {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: section header %q is missing its closing ]", n, line)
			}
			name := strings.TrimSpace(line[1 : len(line)-1])
			if name == "" {
				return nil, fmt.Errorf("line %d: empty section name", n)
			}
			if f.Section(name) != nil {
				return nil, fmt.Errorf("line %d: section [%s] appears twice", n, name)
			}
			cur = newSection(name)
			f.Sections = append(f.Sections, cur)
			lastKey = ""
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("line %d: expected key = value, got %q", n, line)
		}
		key := strings.ToLower(strings.TrimSpace(line[:i]))
		val := strings.TrimSpace(line[i+1:])
		if cur == nil {
			cur = newSection("")
			f.Sections = append(f.Sections, cur)
		}
		if _, dup := cur.Values[key]; dup {
			return nil, fmt.Errorf("line %d: key %q repeated in section [%s]", n, key, cur.Name)
		}
		cur.Keys = append(cur.Keys, key)
		cur.Values[key] = val
		cur.Lines[key] = n
		lastKey = key
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

func newSection(name string) *Section {
	return &Section{Name: name, Values: map[string]string{}, Lines: map[string]int{}}
}
