package yamlnode

import (
	"strings"
	"testing"
	"time"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "d.yaml", Line: 3, Field: "a.b", Value: "x", Reason: "bad"}, `d.yaml:3: a.b = "x": bad`},
		{Error{File: "d.yaml", Field: "a", Reason: "missing"}, `d.yaml: a: missing`},
		{Error{File: "d.yaml", Line: 1, Reason: "empty document"}, `d.yaml:1: empty document`},
		{Error{File: "b.geojson", Value: "7", Reason: "odd"}, `b.geojson: "7": odd`},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
	if got := Short(strings.Repeat("é", 40)); !strings.HasSuffix(got, "…") || !strings.HasPrefix(got, "éé") || len(got) > 64 {
		t.Errorf("Short = %q", got)
	}
	var none Errors
	if none.Err() != nil {
		t.Error("empty Errors is not a nil error")
	}
}

func TestDecode(t *testing.T) {
	src := `s: text
n: 12
f: 1.5
b: true
d: 90s
l: [a, b]
m: {k: v}
`
	root, perr := Parse("t.yaml", []byte(src))
	if perr != nil {
		t.Fatal(perr)
	}
	d := NewDecoder("t.yaml")
	m := d.Map(root, "")
	if s := m.String("s", true); s != "text" {
		t.Errorf("s = %q", s)
	}
	if n, ok := m.Int("n", true); n != 12 || !ok {
		t.Errorf("n = %v", n)
	}
	if f, ok := m.Float("f", true); f != 1.5 || !ok {
		t.Errorf("f = %v", f)
	}
	if b, ok := m.Bool("b", true); !b || !ok {
		t.Errorf("b = %v", b)
	}
	if dd, ok := m.Duration("d", true); dd != 90*time.Second || !ok {
		t.Errorf("d = %v", dd)
	}
	if l := m.Strings("l", true); len(l) != 2 {
		t.Errorf("l = %v", l)
	}
	if sm := m.Sub("m", true); sm == nil || sm.String("k", true) != "v" {
		t.Error("m.k")
	} else {
		sm.Done()
	}
	m.String("absent", false)
	m.Done()
	if len(d.Errors()) != 0 {
		t.Fatalf("errors: %v", d.Errors())
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		src, want string
		read      func(m *Map)
	}{
		{"n: 1.5\n", `t.yaml:1: n = "1.5": must be an integer`, func(m *Map) { m.Int("n", true) }},
		{"f: abc\n", `t.yaml:1: f = "abc": must be a number`, func(m *Map) { m.Float("f", true) }},
		{"f: .inf\n", `must be a finite number`, func(m *Map) { m.Float("f", true) }},
		{"b: yes\n", `b = "yes": must be true or false`, func(m *Map) { m.Bool("b", true) }},
		{"d: 5\n", `must be a duration with units`, func(m *Map) { m.Duration("d", true) }},
		{"s: [1]\n", `s: must be a string, got a list`, func(m *Map) { m.String("s", true) }},
		{"s: ''\n", `s: required, but empty`, func(m *Map) { m.String("s", true) }},
		{"x: 1\n", `t.yaml:1: s: required field is missing`, func(m *Map) { m.String("s", true) }},
		{"x: 1\n", `t.yaml:1: x: unknown field`, func(m *Map) {}},
		{"l: 3\n", `l = "3": must be a list, got a int scalar`, func(m *Map) { m.List("l", true) }},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			root, perr := Parse("t.yaml", []byte(tt.src))
			if perr != nil {
				t.Fatal(perr)
			}
			d := NewDecoder("t.yaml")
			m := d.Map(root, "")
			tt.read(m)
			m.Done()
			err := d.Errors().Err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseRefuses(t *testing.T) {
	for src, want := range map[string]string{
		"a: &x 1\nb: *x\n":      "anchors and aliases are not supported",
		"a: [\n":                "YAML syntax",
		"":                      "empty document",
		"- 1\n":                 "must be a mapping",
		"a: 1\n---\nb: 2\n":     "more than one YAML document",
		"a:\n  b:\n    c: [[[[": "YAML syntax",
	} {
		_, err := Parse("t.yaml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", src, err, want)
		}
	}
}
