package mavlink

import (
	"bytes"
	"context"
	"encoding/hex"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// fuzzSeeds returns realistic streams: each capture's datagrams joined,
// every node-mavlink vector, and a few with garbage spliced in.
func fuzzSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	for _, c := range captures {
		seeds = append(seeds, bytes.Join(readCapture(t, c.name), nil))
	}
	var all []byte
	for _, v := range readVectors(t) {
		b, err := hex.DecodeString(v.Hex)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
		all = append(all, b...)
	}
	seeds = append(seeds, all)
	junk := append([]byte("\x00\xfd\x05garbage\xfe"), all[:40]...)
	junk = append(junk, 0xFD, 0xFF, 0x01)
	seeds = append(seeds, append(junk, all...))
	return seeds
}

// chunks splits b into pieces whose lengths come from sizes (a zero size
// is one byte; sizes repeat), as reads or datagrams would.
func chunks(b, sizes []byte) [][]byte {
	if len(sizes) == 0 {
		return [][]byte{b}
	}
	var out [][]byte
	for i := 0; len(b) > 0; i++ {
		n := min(max(int(sizes[i%len(sizes)]), 1), len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

type seenFrame struct {
	ver, seq, sys, comp uint8
	id                  uint32
	payload             string
}

func collect(p *Parser, pieces [][]byte) []seenFrame {
	var out []seenFrame
	for _, c := range pieces {
		p.Parse(c, func(f *Frame) {
			out = append(out, seenFrame{f.Version, f.Seq, f.SystemID, f.ComponentID, f.MessageID, string(f.Payload)})
			if m := decodeMessage(f); m != nil {
				_ = m.AppendPayload(nil)
			}
		})
	}
	return out
}

// FuzzParser: any stream, split anywhere, yields the same frames as the
// stream in one piece, and every frame re-decodes on its own.
func FuzzParser(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, []byte{})
		f.Add(s, []byte{1})
		f.Add(s, []byte{7, 13, 29, 3})
		f.Add(s, []byte{40, 0, 255})
	}
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		var whole, split Parser
		a := collect(&whole, [][]byte{stream})
		b := collect(&split, chunks(stream, sizes))
		if !slices.Equal(a, b) {
			t.Fatalf("split changes the frames:\nwhole %v\nsplit %v", a, b)
		}
		if whole.Pending() != split.Pending() || whole.Pending() >= MaxFrameLen {
			t.Fatalf("pending %d vs %d", whole.Pending(), split.Pending())
		}
	})
}

// FuzzDecode: Decode never panics, never reads past its input, and what it
// accepts re-encodes (when the message is ours) to a frame that decodes to
// the same fields.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, n, err := Decode(b)
		if err != nil {
			return
		}
		if n > len(b) || n < headerLenV1+checksumLen {
			t.Fatalf("consumed %d of %d", n, len(b))
		}
		m := decodeMessage(&fr)
		if m == nil {
			return
		}
		out, err := AppendFrame(nil, Header{Version: fr.Version, Seq: fr.Seq, SystemID: fr.SystemID, ComponentID: fr.ComponentID}, m)
		if err != nil {
			t.Fatal(err)
		}
		fr2, _, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded frame does not decode: %v", err)
		}
		if fr.Version == 1 {
			// MAVLink 1 carries no extensions (node-mavlink sends them anyway).
			m = decodeMessage(&Frame{MessageID: fr.MessageID, Payload: m.AppendPayload(nil)[:infos[fr.MessageID].minLen]})
		}
		if m2 := decodeMessage(&fr2); !equalMessages(m, m2) {
			t.Fatalf("round trip: %+v != %+v", m, m2)
		}
	})
}

// FuzzServer feeds datagrams from a few channels into a server's datagram
// handler: it must never panic (the recover would count internal_panic)
// and must keep its limits. The server is not started: its background
// goroutines would make coverage nondeterministic; the target sweeps and
// flushes itself.
func FuzzServer(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, []byte{}, uint8(0))
		f.Add(s, []byte{17, 5, 60}, uint8(3))
	}
	addrs := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:9"), netip.MustParseAddrPort("127.0.0.2:9"),
		netip.MustParseAddrPort("[::1]:9"), netip.MustParseAddrPort("[::ffff:127.0.0.1]:9"),
		netip.MustParseAddrPort("10.0.0.1:9"),
	}
	f.Fuzz(func(t *testing.T, stream, sizes []byte, chans uint8) {
		// A fresh server per input keeps every run independent of the last.
		s, err := New(Options{Addr: "127.0.0.1:0", StreamRate: -1, GCSHeartbeat: -1, MaxVehicles: 8, MaxChannels: 4,
			HeartbeatTimeout: time.Second, Now: newFakeClock().Now, MaxBacklog: 256})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range chunks(stream, sizes) {
			s.handleDatagram(addrs[(i*int(chans))%len(addrs)], c)
		}
		s.sweep(s.opts.Now().Add(time.Duration(chans) * time.Second))
		s.flush(context.Background())
		if n := s.Stats().Dropped[ReasonPanic]; n != 0 {
			t.Fatalf("%d panics while handling datagrams", n)
		}
		s.mu.Lock()
		nch, nveh := len(s.channels), s.nveh
		s.mu.Unlock()
		if nch > 4 || nveh > 8 {
			t.Fatalf("limits broken: %d channels, %d vehicles", nch, nveh)
		}
		for _, d := range s.Drones() {
			if !(d.Battery == -1 || d.Battery >= 0 && d.Battery <= 100) || d.Link.Loss < 0 || d.Link.Loss > 1 {
				t.Fatalf("drone state out of range: %+v", d)
			}
		}
	})
}
