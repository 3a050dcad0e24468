// Package yamlnode decodes YAML documents strictly, field by field, from
// yaml.v3 node trees, so that every mistake is reported with its file,
// line, field path, value and reason, and all mistakes of a file are
// collected instead of stopping at the first.
//
// Strict means: unknown keys are errors, duplicate keys are errors, a
// required field must be present and non-null, numbers must be finite,
// durations must carry units, and anchors/aliases are refused (they make
// error lines ambiguous and allow expansion bombs).
package yamlnode

import (
	"bytes"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds the size of a document Parse accepts.
const MaxFileSize = 16 << 20

// Error is one problem in one input file.
type Error struct {
	File string
	// Line is 1-based; 0 when no line is known.
	Line int
	// Field is the path of the field, e.g. "sensors[3].fov_deg"; empty for
	// a problem with the whole file.
	Field string
	// Value is the offending value as written (shortened), if any.
	Value  string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Value != "" {
			b.WriteString(" = ")
			b.WriteString(strconv.Quote(e.Value))
		}
		b.WriteString(": ")
	} else if e.Value != "" {
		b.WriteString(strconv.Quote(e.Value))
		b.WriteString(": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Errors is a list of problems; as an error it prints one per line.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Sort orders the errors by file, line and field.
func (es Errors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Field < b.Field
	})
}

// Err returns nil for an empty list and the sorted list otherwise.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.Sort()
	return es
}

// Short shortens a value for an error message.
func Short(s string) string {
	const limit = 60
	if len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}

var lineRE = regexp.MustCompile(`line (\d+)`)

// Parse parses one YAML document and returns its root node, which must be
// a mapping. A syntax error is returned with its line.
func Parse(file string, b []byte) (*yaml.Node, *Error) {
	if len(b) > MaxFileSize {
		return nil, &Error{File: file, Reason: fmt.Sprintf("file is %d bytes, larger than the limit of %d", len(b), MaxFileSize)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		e := &Error{File: file, Reason: "YAML syntax: " + strings.TrimPrefix(err.Error(), "yaml: ")}
		if err.Error() == "EOF" {
			e.Reason = "empty document"
		}
		if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
		}
		return nil, e
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Reason: "more than one YAML document (---); write one"}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, &Error{File: file, Line: doc.Line, Reason: "empty document"}
	}
	root := doc.Content[0]
	if e := checkAliases(file, root, 0); e != nil {
		return nil, e
	}
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: file, Line: root.Line, Reason: "the document must be a mapping of keys to values"}
	}
	return root, nil
}

func checkAliases(file string, n *yaml.Node, depth int) *Error {
	if depth > 64 {
		return &Error{File: file, Line: n.Line, Reason: "nesting deeper than 64 levels"}
	}
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return &Error{File: file, Line: n.Line, Value: n.Value, Reason: "YAML anchors and aliases are not supported; write values out"}
	}
	for _, c := range n.Content {
		if e := checkAliases(file, c, depth+1); e != nil {
			return e
		}
	}
	return nil
}

// Decoder collects the errors of one file.
type Decoder struct {
	File string
	errs Errors
}

// NewDecoder returns a decoder for the named file.
func NewDecoder(file string) *Decoder { return &Decoder{File: file} }

// Errors returns the problems found so far.
func (d *Decoder) Errors() Errors { return d.errs }

// Add records a problem at a line.
func (d *Decoder) Add(line int, field, value, reason string) {
	d.errs = append(d.errs, &Error{File: d.File, Line: line, Field: field, Value: Short(value), Reason: reason})
}

// Map is a YAML mapping being decoded; Done reports keys nobody asked for.
type Map struct {
	d    *Decoder
	Path string
	Line int
	keys []string
	key  map[string]*yaml.Node
	val  map[string]*yaml.Node
	used map[string]bool
}

// Map starts decoding n, which must be a mapping, as the field path. A
// non-mapping is reported and yields an empty Map, so decoding continues.
func (d *Decoder) Map(n *yaml.Node, path string) *Map {
	m := &Map{d: d, Path: path, key: map[string]*yaml.Node{}, val: map[string]*yaml.Node{}, used: map[string]bool{}}
	if n == nil {
		return m
	}
	m.Line = n.Line
	if n.Kind != yaml.MappingNode {
		d.Add(n.Line, path, scalar(n), "must be a mapping of keys to values, got "+kindName(n))
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Add(k.Line, path, "", "keys must be plain strings")
			continue
		}
		if _, dup := m.key[k.Value]; dup {
			d.Add(k.Line, m.Field(k.Value), "", fmt.Sprintf("duplicate key (first at line %d)", m.key[k.Value].Line))
			continue
		}
		m.keys = append(m.keys, k.Value)
		m.key[k.Value] = k
		m.val[k.Value] = v
	}
	return m
}

func scalar(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	return ""
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a " + strings.TrimPrefix(n.Tag, "!!") + " scalar"
	}
	return "something else"
}

// Field returns the path of key in m.
func (m *Map) Field(key string) string {
	if m.Path == "" {
		return key
	}
	return m.Path + "." + key
}

// Keys returns the keys in document order.
func (m *Map) Keys() []string { return m.keys }

// Has reports whether key is present (even if null).
func (m *Map) Has(key string) bool { _, ok := m.val[key]; return ok }

// LineOf returns the line of key, or of the mapping if key is absent.
func (m *Map) LineOf(key string) int {
	if k, ok := m.key[key]; ok {
		return k.Line
	}
	return m.Line
}

// Value returns key's value as written, "" if absent or not a scalar.
func (m *Map) Value(key string) string {
	if v, ok := m.val[key]; ok {
		return scalar(v)
	}
	return ""
}

// Errorf records a problem with key's value.
func (m *Map) Errorf(key, format string, args ...any) {
	m.d.Add(m.LineOf(key), m.Field(key), m.Value(key), fmt.Sprintf(format, args...))
}

// Node returns key's value node, reporting a missing required key. A null
// value counts as missing.
func (m *Map) Node(key string, required bool) *yaml.Node {
	m.used[key] = true
	v, ok := m.val[key]
	if ok && v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		if required {
			m.d.Add(v.Line, m.Field(key), "", "required, but null")
		}
		return nil
	}
	if !ok {
		if required {
			m.d.Add(m.Line, m.Field(key), "", "required field is missing")
		}
		return nil
	}
	return v
}

func (m *Map) scalar(key string, required bool, want string) *yaml.Node {
	v := m.Node(key, required)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.ScalarNode {
		m.d.Add(v.Line, m.Field(key), "", "must be "+want+", got "+kindName(v))
		return nil
	}
	return v
}

// String decodes a string. Quoted or plain scalars are accepted; a plain
// number or boolean is refused so that "id: 12" or "name: yes" is caught.
func (m *Map) String(key string, required bool) string {
	v := m.scalar(key, required, "a string")
	if v == nil {
		return ""
	}
	if v.Tag != "!!str" {
		m.d.Add(v.Line, m.Field(key), v.Value, "must be a string, got a "+strings.TrimPrefix(v.Tag, "!!")+"; quote it")
		return ""
	}
	if required && strings.TrimSpace(v.Value) == "" {
		m.d.Add(v.Line, m.Field(key), "", "required, but empty")
	}
	return v.Value
}

// Float decodes a finite number; ok is false if absent or invalid.
func (m *Map) Float(key string, required bool) (f float64, ok bool) {
	v := m.scalar(key, required, "a number")
	if v == nil {
		return 0, false
	}
	if v.Tag != "!!int" && v.Tag != "!!float" {
		m.d.Add(v.Line, m.Field(key), v.Value, "must be a number")
		return 0, false
	}
	if err := v.Decode(&f); err != nil {
		var i int64
		if err2 := v.Decode(&i); err2 != nil {
			m.d.Add(v.Line, m.Field(key), v.Value, "must be a number")
			return 0, false
		}
		f = float64(i)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		m.d.Add(v.Line, m.Field(key), v.Value, "must be a finite number")
		return 0, false
	}
	return f, true
}

// Int decodes an integer.
func (m *Map) Int(key string, required bool) (int, bool) {
	v := m.scalar(key, required, "an integer")
	if v == nil {
		return 0, false
	}
	var i int
	if v.Tag != "!!int" || v.Decode(&i) != nil {
		m.d.Add(v.Line, m.Field(key), v.Value, "must be an integer")
		return 0, false
	}
	return i, true
}

// Bool decodes true or false.
func (m *Map) Bool(key string, required bool) (bool, bool) {
	v := m.scalar(key, required, "true or false")
	if v == nil {
		return false, false
	}
	var b bool
	if v.Tag != "!!bool" || v.Decode(&b) != nil {
		m.d.Add(v.Line, m.Field(key), v.Value, "must be true or false")
		return false, false
	}
	return b, true
}

// Duration decodes a non-negative Go duration with units ("90s", "4m",
// "2h30m").
func (m *Map) Duration(key string, required bool) (time.Duration, bool) {
	v := m.scalar(key, required, "a duration")
	if v == nil {
		return 0, false
	}
	d, err := time.ParseDuration(v.Value)
	if err != nil || v.Tag != "!!str" {
		m.d.Add(v.Line, m.Field(key), v.Value, `must be a duration with units, e.g. "90s", "4m", "2h30m"`)
		return 0, false
	}
	if d < 0 {
		m.d.Add(v.Line, m.Field(key), v.Value, "must not be negative")
		return 0, false
	}
	return d, true
}

// List returns the items of a list.
func (m *Map) List(key string, required bool) []*yaml.Node {
	v := m.Node(key, required)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		m.d.Add(v.Line, m.Field(key), scalar(v), "must be a list, got "+kindName(v))
		return nil
	}
	if required && len(v.Content) == 0 {
		m.d.Add(v.Line, m.Field(key), "", "required, but the list is empty")
	}
	return v.Content
}

// Strings decodes a list of strings.
func (m *Map) Strings(key string, required bool) []string {
	items := m.List(key, required)
	out := make([]string, 0, len(items))
	for i, it := range items {
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
			m.d.Add(it.Line, fmt.Sprintf("%s[%d]", m.Field(key), i), scalar(it), "must be a string")
			continue
		}
		out = append(out, it.Value)
	}
	return out
}

// Sub decodes a nested mapping; it returns nil if absent.
func (m *Map) Sub(key string, required bool) *Map {
	v := m.Node(key, required)
	if v == nil {
		return nil
	}
	return m.d.Map(v, m.Field(key))
}

// Done reports every key that was never asked for as unknown.
func (m *Map) Done() {
	for _, k := range m.keys {
		if !m.used[k] {
			m.d.Add(m.key[k].Line, m.Field(k), "", "unknown field")
		}
	}
}

// Decoder returns the decoder m reports to.
func (m *Map) Decoder() *Decoder { return m.d }

// File returns the file m was read from.
func (m *Map) File() string { return m.d.File }
