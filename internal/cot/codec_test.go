package cot

import (
	"bytes"
	"encoding/binary"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/golden")

var captures = []string{"atak-sa.xml", "spot.xml", "ping.xml", "chat.xml", "takp-q.xml", "sensor-hit.xml"}

func readCapture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC()
}

func TestDecodeXMLCaptures(t *testing.T) {
	t.Run("atak-sa", func(t *testing.T) {
		var ev Event
		if err := DecodeXML(readCapture(t, "atak-sa.xml"), &ev); err != nil {
			t.Fatal(err)
		}
		want := Event{
			Version: "2.0", UID: "ANDROID-6f3a9c21d4e8b7a0", Type: "a-f-G-U-C", How: "m-g",
			Time:  mustTime(t, "2026-11-22T08:14:03.913Z"),
			Start: mustTime(t, "2026-11-22T08:14:03.913Z"),
			Stale: mustTime(t, "2026-11-22T08:15:18.913Z"),
			Point: Point{Lat: 34.4512835, Lon: 40.9176421, HAE: 181.3, CE: 4.9, LE: 9999999},
			Detail: Detail{
				Has:               ElemContact | ElemGroup | ElemPrecisionLocation | ElemStatus | ElemTakv | ElemTrack,
				Raw:               ElemContact, // it has a phone attribute
				Contact:           Contact{Callsign: "IBG-P12", Endpoint: "*:-1:stcp"},
				Group:             Group{Name: "Cyan", Role: "Team Lead"},
				PrecisionLocation: PrecisionLocation{GeoPointSrc: "GPS", AltSrc: "GPS"},
				Status:            Status{Battery: 87},
				Takv:              Takv{Device: "SAMSUNG SM-G781B", Platform: "ATAK-CIV", OS: "34", Version: "5.2.0.6 (2c6d4e57).1731427300-CIV"},
				Track:             Track{Course: 143.27, Speed: 1.35},
				XML:               `<contact endpoint='*:-1:stcp' phone='+9647701234567' callsign='IBG-P12'/><uid Droid='IBG-P12'/>`,
			},
		}
		if !reflect.DeepEqual(ev, want) {
			t.Errorf("decoded\n%+v\nwant\n%+v", ev, want)
		}
	})
	t.Run("spot", func(t *testing.T) {
		var ev Event
		if err := DecodeXML(readCapture(t, "spot.xml"), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type != "a-h-G-E-V-C" || ev.Point.CE != 35 || !IsUnknown(ev.Point.HAE) {
			t.Errorf("event %+v", ev)
		}
		if got, want := ev.Detail.Remarks.Text, "Pickup truck, 2 pax, heading west toward berm & fence <km 41>"; got != want {
			t.Errorf("remarks %q, want %q", got, want)
		}
		if ev.Detail.Producer() != "ANDROID-6f3a9c21d4e8b7a0" {
			t.Errorf("producer %q", ev.Detail.Producer())
		}
		if ev.Detail.Contact.Callsign != "H.1 pickup" || ev.Detail.Raw&ElemContact != 0 {
			t.Errorf("contact %+v raw %b", ev.Detail.Contact, ev.Detail.Raw)
		}
		for _, keep := range []string{`<status readiness="true"/>`, `<archive/>`, `<color argb="-65536"/>`, `parent_callsign="IBG-P12"`} {
			if !strings.Contains(ev.Detail.XML, keep) {
				t.Errorf("raw detail lost %s: %s", keep, ev.Detail.XML)
			}
		}
	})
	t.Run("chat", func(t *testing.T) {
		var ev Event
		if err := DecodeXML(readCapture(t, "chat.xml"), &ev); err != nil {
			t.Fatal(err)
		}
		if got, want := ev.Detail.Remarks.Text, "Vehicle stopped at km 41 <berm>, moving to check"; got != want {
			t.Errorf("remarks %q, want %q", got, want)
		}
		if ev.Detail.Raw&ElemRemarks == 0 || !strings.Contains(ev.Detail.XML, "<![CDATA[") {
			t.Errorf("remarks with attributes must stay verbatim: %s", ev.Detail.XML)
		}
		if !strings.HasPrefix(ev.Detail.XML, "<__chat ") || !strings.HasSuffix(ev.Detail.XML, "</marti>") {
			t.Errorf("raw detail %s", ev.Detail.XML)
		}
	})
	t.Run("sensor-hit nanoseconds and char refs", func(t *testing.T) {
		var ev Event
		if err := DecodeXML(readCapture(t, "sensor-hit.xml"), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Time.Nanosecond() != 123456789 || ev.Detail.Remarks.Text != "IR motion, AB 2 objects" || ev.Opex != "e-DRILL7" {
			t.Errorf("event %+v", ev)
		}
	})
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 or "" for invalid
	}{
		{"2026-11-22T08:14:03Z", "2026-11-22T08:14:03Z"},
		{"2026-11-22T08:14:03.9Z", "2026-11-22T08:14:03.9Z"},
		{"2026-11-22T08:14:03.913Z", "2026-11-22T08:14:03.913Z"},
		{"2026-11-22T08:14:03.123456Z", "2026-11-22T08:14:03.123456Z"},
		{"2026-11-22T08:14:03.123456789Z", "2026-11-22T08:14:03.123456789Z"},
		{"2026-11-22T08:14:03+03:00", "2026-11-22T05:14:03Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2026-11-22T08:14:03.1234567891Z", ""},
		{"2026-11-22T08:14:03.Z", ""},
		{"2026-11-22T08:14:03", ""},
		{"2026-02-29T00:00:00Z", ""},
		{"2026-13-01T00:00:00Z", ""},
		{"2026-11-22 08:14:03Z", ""},
		{"2026-11-22T08:14:03ZZ", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseTime([]byte(tt.in))
			if tt.want == "" {
				if ok {
					t.Fatalf("parsed %v, want error", got)
				}
				return
			}
			if !ok || !got.Equal(mustTime(t, tt.want)) {
				t.Fatalf("got %v %v, want %s", got, ok, tt.want)
			}
		})
	}
}

func TestDecodeXMLErrors(t *testing.T) {
	const pt = `<point lat="1" lon="2" hae="0" ce="1" le="1"/>`
	const head = `<event version="2.0" uid="u" type="a-f-G" how="m-g" time="2026-11-22T08:14:03Z" start="2026-11-22T08:14:03Z" stale="2026-11-22T08:15:03Z">`
	tests := []struct {
		name string
		in   string
		want Reason
	}{
		{"not event", `<auth><cot username="a"/></auth>`, ReasonNoEvent},
		{"empty", ``, ReasonNoEvent},
		{"no point", head + `</event>`, ReasonNoPoint},
		{"bad time", strings.Replace(head, `time="2026-11-22T08:14:03Z"`, `time="yesterday"`, 1) + pt + `</event>`, ReasonBadTime},
		{"bad lat", head + `<point lat="north" lon="2"/></event>`, ReasonBadNumber},
		{"missing lon", head + `<point lat="1"/></event>`, ReasonBadPoint},
		{"unterminated", head + pt + `<detail><x>`, ReasonSyntax},
		{"mismatched", head + pt + `<detail><a></b></detail></event>`, ReasonSyntax},
		{"bad entity", head + pt + `<detail><remarks>&bogus;</remarks></detail></event>`, ReasonEntity},
		{"doctype", `<!DOCTYPE event [<!ENTITY x "y">]>` + head + pt + `</event>`, ReasonDoctype},
		{"trailing", head + pt + `</event><event>`, ReasonTrailing},
		{"no uid", strings.Replace(head, `uid="u"`, `uid=""`, 1) + pt + `</event>`, ReasonMissingField},
		{"unquoted attr", `<event uid=u>` + pt + `</event>`, ReasonSyntax},
		{"lt in attr", `<event uid="<">` + pt + `</event>`, ReasonSyntax},
		{"too deep", head + pt + `<detail>` + strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70) + `</detail></event>`, ReasonTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			err := DecodeXML([]byte(tt.in), &ev)
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("error %v (%q), want %q", err, got, tt.want)
			}
		})
	}
}

func TestDecodeXMLLexical(t *testing.T) {
	// The same event written in the ways XML allows must decode the same.
	const want = `<event version="2.0" uid="u&amp;1" type="a-u-G" how="h-e" time="2026-11-22T08:14:03Z" start="2026-11-22T08:14:03Z" stale="2026-11-22T08:15:03Z"><point lat="1" lon="2" hae="0" ce="1" le="1"/><detail><remarks>a &lt;b&gt;</remarks></detail></event>`
	tests := []struct{ name, in string }{
		{"canonical", want},
		{"single quotes", strings.ReplaceAll(want, `"`, `'`)},
		{"spaces around =", strings.ReplaceAll(want, `uid="u&amp;1"`, "uid \n=\t\"u&#38;1\"")},
		{"prolog and comments", `<?xml version="1.0"?>` + "\n<!-- hi -->" + strings.Replace(want, `<detail>`, `<detail><!-- c -->`, 1) + "\n<!-- bye -->\n"},
		{"open-close point", strings.Replace(want, `le="1"/>`, `le="1"></point>`, 1)},
		{"cdata remarks", strings.Replace(want, `a &lt;b&gt;`, `<![CDATA[a <b>]]>`, 1)},
		{"split cdata", strings.Replace(want, `a &lt;b&gt;`, `a <![CDATA[<b]]>&gt;`, 1)},
		{"space before close", strings.Replace(want, `le="1"/>`, `le="1" />`, 1)},
		{"bom", "\xef\xbb\xbf" + want},
	}
	var ref Event
	if err := DecodeXML([]byte(want), &ref); err != nil {
		t.Fatal(err)
	}
	if ref.UID != "u&1" || ref.Detail.Remarks.Text != "a <b>" {
		t.Fatalf("reference decoded as %+v", ref)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			if err := DecodeXML([]byte(tt.in), &ev); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ev, ref) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", ev, ref)
			}
		})
	}
}

// truncMillis returns ev with times cut to milliseconds, what both wire
// formats carry.
func truncMillis(ev Event) Event {
	ev.Time = ev.Time.Truncate(time.Millisecond)
	ev.Start = ev.Start.Truncate(time.Millisecond)
	ev.Stale = ev.Stale.Truncate(time.Millisecond)
	return ev
}

func TestRoundTrip(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var ev Event
			if err := DecodeXML(readCapture(t, name), &ev); err != nil {
				t.Fatal(err)
			}
			want := truncMillis(ev.Clone())

			var x Event
			xb := AppendXML(nil, &ev)
			if err := DecodeXML(xb, &x); err != nil {
				t.Fatalf("re-decode XML: %v\n%s", err, xb)
			}
			if !reflect.DeepEqual(x, want) {
				t.Errorf("XML round trip\n got %+v\nwant %+v\n%s", x, want, xb)
			}
			if ev.Detail.XML != "" && !bytes.Contains(xb, []byte(ev.Detail.XML)) {
				t.Errorf("unknown detail not written verbatim:\n%s\nin\n%s", ev.Detail.XML, xb)
			}

			var p Event
			pb := AppendProto(nil, &ev)
			if err := DecodeProto(pb, &p); err != nil {
				t.Fatalf("decode proto: %v", err)
			}
			if !reflect.DeepEqual(p, want) {
				t.Errorf("proto round trip\n got %+v\nwant %+v", p, want)
			}
		})
	}
}

func TestProtoXMLDetailWins(t *testing.T) {
	// A Detail carrying <contact> both typed and in xmlDetail: xmlDetail wins.
	var ev Event
	ev.UID, ev.Type = "u", "a-f-G"
	ev.Detail.Has = ElemContact
	ev.Detail.Contact = Contact{Callsign: "typed"}
	ev.Detail.XML = `<contact callsign="from-xml" phone="1"/>`
	var got Event
	if err := DecodeProto(AppendProto(nil, &ev), &got); err != nil {
		t.Fatal(err)
	}
	if got.Detail.Contact.Callsign != "from-xml" || got.Detail.Raw&ElemContact == 0 {
		t.Fatalf("contact %+v raw %b", got.Detail.Contact, got.Detail.Raw)
	}
}

func TestEncodeGolden(t *testing.T) {
	for _, name := range captures {
		t.Run(name, func(t *testing.T) {
			var ev Event
			if err := DecodeXML(readCapture(t, name), &ev); err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(name, ".xml")
			outs := []struct {
				ext string
				b   []byte
			}{
				{".xml", AppendXMLFrame(nil, &ev)},
				{".stream.bin", AppendStreamFrame(nil, &ev)},
				{".mesh.bin", AppendMeshFrame(nil, &ev)},
			}
			for _, o := range outs {
				path := filepath.Join("testdata", "golden", base+o.ext)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, o.b, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -run TestEncodeGolden -update)", err)
				}
				if !bytes.Equal(o.b, want) {
					t.Errorf("%s differs from golden file\n got %q\nwant %q", path, o.b, want)
				}
			}
		})
	}
}

func TestFramesExact(t *testing.T) {
	var ev Event
	if err := DecodeXML(readCapture(t, "atak-sa.xml"), &ev); err != nil {
		t.Fatal(err)
	}
	t.Run("stream", func(t *testing.T) {
		f := AppendStreamFrame([]byte("prefix"), &ev)
		f = f[len("prefix"):]
		if f[0] != Magic {
			t.Fatalf("first byte %x", f[0])
		}
		n, k := binary.Uvarint(f[1:])
		if k <= 0 || 1+k+int(n) != len(f) {
			t.Fatalf("length %d (%d bytes) in a frame of %d bytes", n, k, len(f))
		}
		if !bytes.Equal(f[1+k:], AppendProto(nil, &ev)) {
			t.Fatal("payload differs from AppendProto")
		}
	})
	t.Run("mesh", func(t *testing.T) {
		f := AppendMeshFrame(nil, &ev)
		if !bytes.Equal(f[:3], MeshHeader[:]) || !bytes.Equal(f[3:], AppendProto(nil, &ev)) {
			t.Fatalf("mesh frame % x", f[:8])
		}
	})
	t.Run("xml", func(t *testing.T) {
		f := AppendXMLFrame(nil, &ev)
		if !bytes.HasPrefix(f, []byte("<?xml ")) || !bytes.HasSuffix(f, []byte("</event>")) {
			t.Fatalf("xml frame %q", f)
		}
	})
}

func TestParseFloatMatchesStrconv(t *testing.T) {
	tests := []string{"0", "-0", "0.0", "34.4512835", "-72.045306", "9999999.0", "999999", "4.9",
		"+1.5", "0.000001", "123456789012345", "1234567890123456", "1e5", "1.5E-3", ".5", "5.",
		"00012.50", "-.0", "0.1", "0.30000000000000004", "NaN", "Inf", "", ".", "-", "1.2.3", "1_0", "0x10"}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			got, err := parseFloat([]byte(s))
			want, werr := strconv.ParseFloat(s, 64)
			if (err != nil) != (werr != nil) {
				t.Fatalf("error %v, strconv %v", err, werr)
			}
			if err == nil && math.Float64bits(got) != math.Float64bits(want) && !(got != got && want != want) {
				t.Fatalf("got %v (%x), strconv %v (%x)", got, math.Float64bits(got), want, math.Float64bits(want))
			}
		})
	}
}
