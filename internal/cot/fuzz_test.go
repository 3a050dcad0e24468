package cot

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets for every decoder of outside bytes. Seeds are the
// captures in testdata (ATAK self-SA, a spot report, a ping, GeoChat, the
// negotiation request, a sensor hit) and their golden frames; crashers
// found by `go test -fuzz` are kept under testdata/fuzz/.

func FuzzDecodeXML(f *testing.F) {
	for _, name := range captures {
		f.Add(readCapture(f, name))
	}
	f.Add([]byte(`<event uid='a' type='a-f-G' time='2026-11-22T08:14:03Z'><point lat='1' lon='2'/><detail><remarks><![CDATA[x]]>&#x41;</remarks><a><b/></a></detail></event>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		var ev Event
		if err := d.Decode(data, &ev); err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		// What we accept we can write, and what we write reads back the same.
		x1 := AppendXML(nil, &ev)
		var ev2 Event
		if err := d.Decode(x1, &ev2); err != nil {
			t.Fatalf("re-decode: %v\ninput %q\nwritten %q", err, data, x1)
		}
		if x2 := AppendXML(nil, &ev2); !bytes.Equal(x1, x2) {
			t.Fatalf("not stable:\n%q\n%q", x1, x2)
		}
		if ev.Detail.XML != "" && !bytes.Contains(x1, []byte(ev.Detail.XML)) {
			t.Fatalf("unknown detail not kept verbatim")
		}
		p1 := AppendProto(nil, &ev)
		var ev3 Event
		if err := d.DecodeProto(p1, &ev3); err != nil {
			t.Fatalf("decode own protobuf: %v", err)
		}
		x3 := AppendXML(nil, &ev3)
		if x4 := AppendXML(nil, roundTripXML(t, x3)); !bytes.Equal(x3, x4) {
			t.Fatalf("protobuf round trip not stable:\n%q\n%q", x3, x4)
		}
	})
}

func roundTripXML(t *testing.T, x []byte) *Event {
	var ev Event
	if err := DecodeXML(x, &ev); err != nil {
		t.Fatalf("decode %q: %v", x, err)
	}
	return &ev
}

func FuzzDecodeProto(f *testing.F) {
	for _, name := range captures {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", name[:len(name)-len(".xml")]+".mesh.bin"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[3:])
	}
	f.Add([]byte{0x0a, 0x04, 0x08, 0x01, 0x10, 0x01}) // TakControl only
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Decoder
		var ev Event
		if err := d.DecodeProto(data, &ev); err != nil {
			if ReasonOf(err) == "" {
				t.Fatalf("error without a reason: %v", err)
			}
			return
		}
		p1 := AppendProto(nil, &ev)
		var ev2 Event
		if err := d.DecodeProto(p1, &ev2); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if p2 := AppendProto(nil, &ev2); !bytes.Equal(p1, p2) {
			t.Fatalf("not stable:\n% x\n% x", p1, p2)
		}
		// Anything received as protobuf can be sent to an XML client.
		x := AppendXML(nil, &ev)
		var ev3 Event
		if err := d.Decode(x, &ev3); err != nil {
			t.Fatalf("protobuf event written as XML does not decode: %v\n%q", err, x)
		}
	})
}

func FuzzSplitter(f *testing.F) {
	stream, _ := streamCapture(f)
	f.Add(stream, []byte{1})
	f.Add(stream, []byte{7, 1, 200, 3})
	f.Add(stream[:len(stream)/2], []byte{64})
	f.Add([]byte("\xbf\x05\x12\x03\x0a\x01a<?xml?><event></event>junk\xbf"), []byte{2})
	f.Fuzz(func(t *testing.T, data, chunks []byte) {
		pattern := make([]int, len(chunks))
		for i, c := range chunks {
			pattern[i] = int(c)
		}
		const maxXML, maxProto = 4096, 4096
		whole, wr := splitAll(data, []int{len(data)}, maxXML, maxProto)
		parts, pr := splitAll(data, pattern, maxXML, maxProto)
		tooLarge := len(wr) > 0 && wr[len(wr)-1] == ReasonTooLarge || len(pr) > 0 && pr[len(pr)-1] == ReasonTooLarge
		if tooLarge {
			// Where the limit trips can depend on the reads; messages before it cannot.
			n := min(len(whole), len(parts))
			whole, parts = whole[:n], parts[:n]
		}
		if len(whole) != len(parts) {
			t.Fatalf("%d messages whole, %d in chunks %v", len(whole), len(parts), pattern)
		}
		for i := range whole {
			if whole[i] != parts[i] {
				t.Fatalf("message %d differs:\n%q\n%q", i, whole[i].msg, parts[i].msg)
			}
			m := parts[i]
			if m.format == FormatXML && (!bytes.HasPrefix([]byte(m.msg), []byte("<event")) || !bytes.HasSuffix([]byte(m.msg), endEvent) || len(m.msg) > maxXML) {
				t.Fatalf("bad XML message %q", m.msg)
			}
			if m.format == FormatProto && len(m.msg) > maxProto {
				t.Fatalf("protobuf message of %d bytes over the limit", len(m.msg))
			}
		}
	})
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"34.4512835", "-72.045306", "9999999.0", "0.000001", "1e5", "00012.50"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFloat([]byte(s))
		want, werr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if werr != nil || len(strings.TrimSpace(s)) > 64 {
			return
		}
		if err != nil || (math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want)) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv %v", s, got, err, want)
		}
	})
}
