package mqtt

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

var errEOF = io.EOF

func seed(f *testing.F) {
	files, _ := filepath.Glob("testdata/packets/*.bin")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(3))
	}
}

// FuzzDecode: Decode never panics, never reads past what it says it used,
// and a packet it accepts decodes the same from any prefix that holds it.
func FuzzDecode(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte, _ uint8) {
		p, n, err := Decode(b, 1<<16)
		if err != nil {
			if n != 0 {
				t.Fatalf("error %v with n %d", err, n)
			}
			return
		}
		if n < 2 || n > len(b) {
			t.Fatalf("n %d of %d", n, len(b))
		}
		q, m, err := Decode(b[:n], 1<<16)
		if err != nil || m != n || q.Type != p.Type || q.ID != p.ID || q.Topic != p.Topic || !bytes.Equal(q.Payload, p.Payload) {
			t.Fatalf("the packet alone decodes differently: %v", err)
		}
		if p.Type == typePublish {
			// What we would send decodes to the same message.
			re := appendPublish(nil, p.Topic, p.Payload, min(p.QoS, 1), p.Retain, max(p.ID, 1))
			r, _, err := Decode(re, 0)
			if err != nil || r.Topic != p.Topic || !bytes.Equal(r.Payload, p.Payload) {
				t.Fatalf("re-encoded publish: %v", err)
			}
		}
	})
}

// FuzzReadSplit: packets read from a stream split at arbitrary points are
// the packets Decode finds in the whole buffer.
func FuzzReadSplit(f *testing.F) {
	seed(f)
	f.Fuzz(func(t *testing.T, b []byte, chunk uint8) {
		var want []Packet
		rest := b
		for len(rest) > 0 {
			p, n, err := Decode(rest, 1<<16)
			if err != nil {
				break
			}
			want = append(want, p)
			rest = rest[n:]
		}
		r := bufio.NewReaderSize(&chunkReader{b: b, n: int(chunk%7) + 1}, 16)
		for i, w := range want {
			p, err := readPacket(r, 1<<16)
			if err != nil {
				t.Fatalf("packet %d: %v", i, err)
			}
			if p.Type != w.Type || p.ID != w.ID || p.Topic != w.Topic || !bytes.Equal(p.Payload, w.Payload) {
				t.Fatalf("packet %d differs", i)
			}
		}
		if _, err := readPacket(r, 1<<16); err == nil && len(rest) == 0 {
			t.Fatal("a packet after the end")
		} else if err != nil && len(rest) == 0 && !errors.Is(err, io.EOF) {
			t.Fatalf("at the end: %v", err)
		}
	})
}

type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}
