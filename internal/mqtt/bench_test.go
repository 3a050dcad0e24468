package mqtt

import (
	"bufio"
	"bytes"
	"testing"
)

// BenchmarkDecodePublish decodes a 600-byte camera message.
func BenchmarkDecodePublish(b *testing.B) {
	pkt := appendPublish(nil, "borderwatch/cameras/tc-ninewa-sinjar-04-2/detections", bytes.Repeat([]byte("x"), 600), 1, false, 7)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for range b.N {
		if _, _, err := Decode(pkt, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadPacket reads the same packets from a buffered stream (the
// connection's reader: header byte by byte, then the body).
func BenchmarkReadPacket(b *testing.B) {
	pkt := appendPublish(nil, "borderwatch/cameras/tc-ninewa-sinjar-04-2/detections", bytes.Repeat([]byte("x"), 600), 1, false, 7)
	stream := bytes.Repeat(pkt, 1000)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	r := bufio.NewReader(bytes.NewReader(stream))
	for i := range b.N {
		if i%1000 == 0 {
			r.Reset(bytes.NewReader(stream))
		}
		if _, err := readPacket(r, 1<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodePublish builds the same packet.
func BenchmarkEncodePublish(b *testing.B) {
	payload := bytes.Repeat([]byte("x"), 600)
	var buf []byte
	b.ReportAllocs()
	for range b.N {
		buf = appendPublish(buf[:0], "borderwatch/cameras/tc-ninewa-sinjar-04-2/detections", payload, 1, false, 7)
	}
}
