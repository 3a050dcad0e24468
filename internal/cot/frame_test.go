package cot

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// chunkReader returns its data in reads of the sizes in pattern, cycling.
type chunkReader struct {
	data    []byte
	pattern []int
	n       int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	size := 1
	if len(r.pattern) > 0 {
		size = max(1, r.pattern[r.n%len(r.pattern)])
	}
	r.n++
	size = min(size, len(p), len(r.data))
	copy(p, r.data[:size])
	r.data = r.data[size:]
	return size, nil
}

type split struct {
	format Format
	msg    string
}

// splitAll runs a Splitter over data read in the given chunk sizes and
// returns the messages and the reasons reported.
func splitAll(data []byte, pattern []int, maxXML, maxProto int) ([]split, []Reason) {
	sp := NewSplitter(&chunkReader{data: data, pattern: pattern}, maxXML, maxProto)
	var msgs []split
	var reasons []Reason
	for {
		for {
			f, m, ok, err := sp.Next()
			if err != nil {
				reasons = append(reasons, ReasonOf(err))
				if errors.Is(err, ReasonTooLarge) {
					return msgs, reasons
				}
				continue
			}
			if !ok {
				break
			}
			msgs = append(msgs, split{f, string(m)})
		}
		if _, err := sp.Fill(); err != nil {
			if r := ReasonOf(err); r != "" {
				reasons = append(reasons, r)
			}
			return msgs, reasons
		}
	}
}

// streamCapture is a realistic mixed stream: what ATAK, pytak and a TAK
// Server peer send on one connection, built from the golden frames.
func streamCapture(t testing.TB) ([]byte, []split) {
	t.Helper()
	var stream []byte
	var want []split
	add := func(name string, f Format, junkBefore string) {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name))
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, junkBefore...)
		stream = append(stream, b...)
		switch f {
		case FormatXML:
			want = append(want, split{f, string(b[bytes.Index(b, []byte("<event")):])})
		case FormatProto:
			_, k := uvarintLen(b[1:])
			want = append(want, split{f, string(b[1+k:])})
		}
	}
	add("atak-sa.xml", FormatXML, "<auth><cot username='p12' password='x' uid='ANDROID-6f3a9c21d4e8b7a0'/></auth>\n")
	add("ping.xml", FormatXML, "\n\n")
	add("spot.xml", FormatXML, "\r\n<!-- comment between events -->")
	add("chat.xml", FormatXML, "")
	add("takp-q.xml", FormatXML, "\n")
	add("atak-sa.stream.bin", FormatProto, "")
	add("spot.stream.bin", FormatProto, "")
	add("ping.stream.bin", FormatProto, "")
	add("sensor-hit.xml", FormatXML, "")
	add("chat.stream.bin", FormatProto, "")
	return stream, want
}

func uvarintLen(b []byte) (uint64, int) {
	var x uint64
	for i, c := range b {
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

func TestSplitterStream(t *testing.T) {
	stream, want := streamCapture(t)
	patterns := map[string][]int{
		"whole":        {len(stream)},
		"byte by byte": {1},
		"7 bytes":      {7},
		"uneven":       {3, 100, 1, 17, 2, 511},
		"512":          {512},
	}
	for name, p := range patterns {
		t.Run(name, func(t *testing.T) {
			got, reasons := splitAll(stream, p, 0, 0)
			if len(reasons) != 0 {
				t.Errorf("reasons %v, want none", reasons)
			}
			if len(got) != len(want) {
				t.Fatalf("%d messages, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("message %d:\n got %s %q\nwant %s %q", i, got[i].format, got[i].msg, want[i].format, want[i].msg)
				}
			}
		})
	}
}

func TestSplitterBadInput(t *testing.T) {
	ev := `<event uid="a" type="a-f-G"><point lat="1" lon="2"/></event>`
	tests := []struct {
		name     string
		in       string
		maxXML   int
		maxProto int
		msgs     int
		reasons  []Reason
	}{
		{"junk then event", "hello" + ev, 0, 0, 1, []Reason{ReasonJunk}},
		{"junk inside tag run", "<foo>x</foo>" + ev, 0, 0, 1, []Reason{ReasonJunk}},
		{"stray end tag", "</event>" + ev, 0, 0, 1, []Reason{ReasonJunk}},
		{"xml too large", ev + "<event " + string(bytes.Repeat([]byte("a"), 200)), 100, 0, 1, []Reason{ReasonTooLarge}},
		{"proto too large", "\xbf\xc8\x01", 0, 100, 0, []Reason{ReasonTooLarge}},
		{"varint overflow", "\xbf\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" + ev, 0, 0, 1, []Reason{ReasonJunk, ReasonJunk}},
		{"truncated frame at EOF", "\xbf\x10abc", 0, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, reasons := splitAll([]byte(tt.in), []int{5}, tt.maxXML, tt.maxProto)
			if len(msgs) != tt.msgs {
				t.Errorf("%d messages %v, want %d", len(msgs), msgs, tt.msgs)
			}
			if !equalReasons(reasons, tt.reasons) {
				t.Errorf("reasons %v, want %v", reasons, tt.reasons)
			}
		})
	}
}

func equalReasons(a, b []Reason) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSplitDatagram(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		format  Format
		payload string
		err     Reason
	}{
		{"mesh", []byte("\xbf\x01\xbfPAYLOAD"), FormatProto, "PAYLOAD", ""},
		{"xml", []byte("<event/>"), FormatXML, "<event/>", ""},
		{"version 2", []byte("\xbf\x02\xbfx"), 0, "", ReasonBadMagic},
		{"short", []byte("\xbf\x01"), 0, "", ReasonBadMagic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p, err := SplitDatagram(tt.in)
			if ReasonOf(err) != tt.err || f != tt.format || string(p) != tt.payload {
				t.Fatalf("got %v %q %v", f, p, err)
			}
		})
	}
}
