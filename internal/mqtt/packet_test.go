package mqtt

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Packet
		n    int
		err  error
	}{
		{"connack", []byte{0x20, 2, 0, 0}, Packet{Type: typeConnack}, 4, nil},
		{"connack session present refused", []byte{0x20, 2, 1, 4}, Packet{Type: typeConnack, SessionPresent: true, ReturnCode: 4}, 4, nil},
		{"puback", []byte{0x40, 2, 0x12, 0x34}, Packet{Type: typePuback, ID: 0x1234}, 4, nil},
		{"pingresp then more", []byte{0xd0, 0, 0x40}, Packet{Type: typePingresp}, 2, nil},
		{"publish qos0", append([]byte{0x30, 8, 0, 3, 'a', '/', 'b'}, "hi!"...), Packet{Type: typePublish, Topic: "a/b", Payload: []byte("hi!")}, 10, nil},
		{"publish qos1 retain dup", []byte{0x3b, 7, 0, 1, 't', 0, 9, 'x', 'y'}, Packet{Type: typePublish, Flags: 0xb, Topic: "t", QoS: 1, Retain: true, Dup: true, ID: 9, Payload: []byte("xy")}, 9, nil},
		{"suback", []byte{0x90, 4, 0, 5, 1, 0x80}, Packet{Type: typeSuback, ID: 5, Granted: []byte{1, 0x80}}, 6, nil},
		{"empty", nil, Packet{}, 0, ErrShort},
		{"header only", []byte{0x40}, Packet{}, 0, ErrShort},
		{"length continues", []byte{0x30, 0x80}, Packet{}, 0, ErrShort},
		{"body short", []byte{0x40, 2, 0}, Packet{}, 0, ErrShort},
		{"five length bytes", []byte{0x30, 0x80, 0x80, 0x80, 0x80, 1}, Packet{}, 0, ErrMalformed},
		{"too large", []byte{0x30, 0xff, 0x7f}, Packet{}, 0, ErrTooLarge},
		{"connack long", []byte{0x20, 3, 0, 0, 0}, Packet{}, 0, ErrMalformed},
		{"connack flags", []byte{0x21, 2, 0, 0}, Packet{}, 0, ErrMalformed},
		{"publish qos3", []byte{0x36, 3, 0, 1, 't'}, Packet{}, 0, ErrMalformed},
		{"publish topic beyond", []byte{0x30, 3, 0, 9, 't'}, Packet{}, 0, ErrMalformed},
		{"publish wildcard topic", []byte{0x30, 3, 0, 1, '#'}, Packet{}, 0, ErrMalformed},
		{"publish qos1 id 0", []byte{0x32, 5, 0, 1, 't', 0, 0}, Packet{}, 0, ErrMalformed},
		{"publish qos1 no id", []byte{0x32, 4, 0, 1, 't', 0}, Packet{}, 0, ErrMalformed},
		{"suback bad code", []byte{0x90, 3, 0, 1, 3}, Packet{}, 0, ErrMalformed},
		{"connect from a server", []byte{0x10, 0}, Packet{}, 0, ErrMalformed},
		{"pingresp with body", []byte{0xd0, 1, 0}, Packet{}, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, n, err := Decode(tt.in, 1000)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if n != tt.n {
				t.Errorf("n %d, want %d", n, tt.n)
			}
			if p.Type != tt.want.Type || p.ID != tt.want.ID || p.Topic != tt.want.Topic || !bytes.Equal(p.Payload, tt.want.Payload) ||
				p.QoS != tt.want.QoS || p.Retain != tt.want.Retain || p.Dup != tt.want.Dup || p.ReturnCode != tt.want.ReturnCode ||
				p.SessionPresent != tt.want.SessionPresent || !bytes.Equal(p.Granted, tt.want.Granted) {
				t.Errorf("got %+v, want %+v", p, tt.want)
			}
		})
	}
}

func TestPublishRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 100, 127 - 5, 128, 16383, 16384, 2097151, 2097152} {
		payload := bytes.Repeat([]byte{'x'}, size)
		for _, qos := range []byte{0, 1} {
			b := appendPublish(nil, "borderwatch/cameras/c/detections", payload, qos, false, 42)
			p, n, err := Decode(b, 0)
			if err != nil || n != len(b) {
				t.Fatalf("size %d qos %d: %v, n %d of %d", size, qos, err, n, len(b))
			}
			if p.Topic != "borderwatch/cameras/c/detections" || !bytes.Equal(p.Payload, payload) || p.QoS != qos {
				t.Fatalf("size %d qos %d: got topic %q, %d bytes, qos %d", size, qos, p.Topic, len(p.Payload), p.QoS)
			}
			if qos == 1 && p.ID != 42 {
				t.Fatalf("id %d", p.ID)
			}
		}
	}
}

func TestConnectEncoding(t *testing.T) {
	got := appendConnect(nil, "cam", "u", "pw", 30, true)
	want := []byte{0x10, 22, 0, 4, 'M', 'Q', 'T', 'T', 4, 0xc2, 0, 30, 0, 3, 'c', 'a', 'm', 0, 1, 'u', 0, 2, 'p', 'w'}
	if !bytes.Equal(got, want) {
		t.Fatalf("CONNECT\n got % x\nwant % x", got, want)
	}
	got = appendSubscribe(nil, 7, "a/+", 1)
	want = []byte{0x82, 8, 0, 7, 0, 3, 'a', '/', '+', 1}
	if !bytes.Equal(got, want) {
		t.Fatalf("SUBSCRIBE\n got % x\nwant % x", got, want)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		filter, topic string
		want          bool
	}{
		{"a/b", "a/b", true},
		{"a/b", "a/c", false},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/#", "a", true},
		{"a/#", "a/b/c", true},
		{"#", "a/b", true},
		{"#", "$SYS/x", false},
		{"+/b", "$SYS/b", false},
		{"$SYS/#", "$SYS/x", true},
		{"+/+", "a/", true},
		{"borderwatch/cameras/+/detections", "borderwatch/cameras/cam-7/detections", true},
	}
	for _, tt := range tests {
		t.Run(tt.filter+" "+tt.topic, func(t *testing.T) {
			if got := Match(tt.filter, tt.topic); got != tt.want {
				t.Errorf("Match(%q, %q) = %v", tt.filter, tt.topic, got)
			}
		})
	}
	for _, bad := range []string{"", "a/#/b", "a+", "a/b#"} {
		if validFilter(bad) == nil {
			t.Errorf("filter %q accepted", bad)
		}
	}
}

// TestCaptures decodes every packet in testdata/packets, whole and as a
// stream.
func TestCaptures(t *testing.T) {
	files, _ := filepath.Glob("testdata/packets/*.bin")
	if len(files) == 0 {
		t.Fatal("no captures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			whole := decodeAll(t, b)
			r := bufio.NewReader(&oneByteReader{b: b})
			for i := range whole {
				p, err := readPacket(r, 1<<20)
				if err != nil {
					t.Fatalf("packet %d read byte by byte: %v", i, err)
				}
				if p.Type != whole[i].Type || p.ID != whole[i].ID || !bytes.Equal(p.Payload, whole[i].Payload) {
					t.Fatalf("packet %d differs read byte by byte", i)
				}
			}
		})
	}
}

func decodeAll(t *testing.T, b []byte) []Packet {
	t.Helper()
	var out []Packet
	for len(b) > 0 {
		p, n, err := Decode(b, 1<<20)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		out = append(out, p)
		b = b[n:]
	}
	return out
}

type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errEOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}
