package mavlink

import (
	"bytes"
	"context"
	"encoding/binary"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// decodeNaive is the baseline of Decode: the same framing with the bitwise
// CRC of the MAVLink C library instead of the table.
func decodeNaive(b []byte) (Frame, int, bool) {
	if len(b) < headerLenV2+checksumLen || b[0] != MagicV2 {
		return Frame{}, 0, false
	}
	plen := int(b[1])
	end := headerLenV2 + plen
	n := end + checksumLen
	if b[2]&incompatSigned != 0 {
		n += signatureLen
	}
	if len(b) < n {
		return Frame{}, 0, false
	}
	msgid := uint32(b[7]) | uint32(b[8])<<8 | uint32(b[9])<<16
	extra, ok := crcExtra(msgid)
	if !ok {
		return Frame{}, 0, false
	}
	crc := crcInit
	for _, c := range b[1:end] {
		crc = crcAccumulateNaive(crc, c)
	}
	crc = crcAccumulateNaive(crc, extra)
	if crc != binary.LittleEndian.Uint16(b[end:]) {
		return Frame{}, 0, false
	}
	return Frame{Version: 2, Seq: b[4], SystemID: b[5], ComponentID: b[6], MessageID: msgid, Payload: b[headerLenV2:end]}, n, true
}

// reportCPU adds cpu-ns/op: the process CPU time per operation.
func reportCPU(b *testing.B, c0 time.Duration) {
	b.ReportMetric(float64(cpuTime()-c0)/float64(b.N), "cpu-ns/op")
}

func benchFrame(b *testing.B) []byte {
	fr, err := AppendFrame(nil, Header{SystemID: 1, ComponentID: 1}, &GlobalPositionInt{
		TimeBootMs: 123456, Lat: 333000000, Lon: 411000000, Alt: 350000, RelativeAlt: 100000, VX: 300, VY: -200, VZ: 5, Hdg: 9000})
	if err != nil {
		b.Fatal(err)
	}
	return fr
}

// BenchmarkDecode is frame decoding plus the GLOBAL_POSITION_INT payload.
func BenchmarkDecode(b *testing.B) {
	fr := benchFrame(b)
	b.Run("table", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(fr)))
		var s payload
		var m GlobalPositionInt
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			f, _, err := Decode(fr)
			if err != nil {
				b.Fatal(err)
			}
			m.decode(&s, f.Payload)
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(fr)))
		var s payload
		var m GlobalPositionInt
		defer reportCPU(b, cpuTime())
		for b.Loop() {
			f, _, ok := decodeNaive(fr)
			if !ok {
				b.Fatal("decode")
			}
			m.decode(&s, f.Payload)
		}
	})
}

// BenchmarkParser splits the captured node-mavlink telemetry (all four
// captures joined into one stream), per frame.
func BenchmarkParser(b *testing.B) {
	var stream []byte
	frames := 0
	for _, c := range captures {
		for _, d := range readCapture(b, c.name) {
			stream = append(stream, d...)
		}
	}
	var p Parser
	p.Parse(stream, func(*Frame) { frames++ })
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	n := 0
	count := func(*Frame) { n++ }
	c0 := cpuTime()
	for b.Loop() {
		p.Parse(stream, count)
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/frame")
	b.ReportMetric(float64(frames), "frames/op")
}

// telemetryMix is one second of a vehicle's stream at rates like
// ArduPilot's defaults scaled to 20 frames: GLOBAL_POSITION_INT 4,
// ATTITUDE 8, VFR_HUD 4, SYS_STATUS 2, GPS_RAW_INT 1, HEARTBEAT 1.
func telemetryMix(sys uint8) [][]byte {
	var out [][]byte
	seq := uint8(0)
	add := func(m Message) {
		b, err := AppendFrame(nil, Header{Seq: seq, SystemID: sys, ComponentID: 1}, m)
		if err != nil {
			panic(err)
		}
		seq++
		out = append(out, b)
	}
	add(copterHeartbeat(arduCopterGuided, true))
	for i := range 4 {
		add(&GlobalPositionInt{TimeBootMs: uint32(i), Lat: 333000000 + int32(i), Lon: 411000000, Alt: 350000, RelativeAlt: 100000, VX: 300, Hdg: 9000})
		add(&Attitude{TimeBootMs: uint32(i), Yaw: 1.5})
		add(&Attitude{TimeBootMs: uint32(i), Yaw: 1.5})
		add(&VFRHUD{Groundspeed: 12, Heading: 90, Alt: 350})
	}
	add(&SysStatus{VoltageBattery: 15800, BatteryRemaining: 64})
	add(&SysStatus{VoltageBattery: 15800, BatteryRemaining: 64})
	add(&GPSRawInt{Lat: 333000000, Lon: 411000000, Alt: 350000, AltEllipsoid: 330000, FixType: 3, HAcc: 1500})
	return out
}

// BenchmarkUDP measures parse+handle over real UDP loopback: 16 vehicles
// send the telemetry mix to a started server whose Handler receives the
// observations in batches. One op is one MAVLink message received and
// applied. frames_per_datagram=1 is how autopilots send; 10 is a router or
// serial bridge packing frames. reads=recvmmsg is the server as built
// (up to 32 datagrams per system call); reads=single is the naive baseline
// (one ReadFromUDPAddrPort per datagram). The load generator writes 8
// datagrams per sendmmsg so it leaves the second core to the server.
func BenchmarkUDP(b *testing.B) {
	for _, bc := range []struct {
		name        string
		perDatagram int
		single      bool
	}{
		{"frames_per_datagram=1/reads=recvmmsg", 1, false},
		{"frames_per_datagram=1/reads=single", 1, true},
		{"frames_per_datagram=10/reads=recvmmsg", 10, false},
	} {
		b.Run(bc.name, func(b *testing.B) { benchUDP(b, 16, bc.perDatagram, bc.single) })
	}
}

func benchUDP(b *testing.B, vehicles, perDatagram int, single bool) {
	var got atomic.Int64
	s, err := New(Options{
		Addr: "127.0.0.1:0", StreamRate: -1, GCSHeartbeat: -1, MaxRate: -1, HeartbeatTimeout: time.Hour,
		Handler: func(_ context.Context, obs []borderwatch.Observation) error {
			got.Add(int64(len(obs)))
			return nil
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	s.singleReads = single
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const burst = 8
	type sender struct {
		conn   *net.UDPConn
		out    *batchSender
		dgram  [][]byte // the mix as datagrams, repeated to a multiple of burst
		frames []int
		next   int
	}
	var senders []*sender
	for v := range vehicles {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.Addr()))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		out, err := newBatchSender(c, burst)
		if err != nil {
			b.Fatal(err)
		}
		mix := telemetryMix(uint8(v + 1))
		sd := &sender{conn: c, out: out}
		for len(sd.dgram) == 0 || len(sd.dgram)%burst != 0 {
			for i := 0; i < len(mix); i += perDatagram {
				j := min(i+perDatagram, len(mix))
				sd.dgram = append(sd.dgram, bytes.Join(mix[i:j], nil))
				sd.frames = append(sd.frames, j-i)
			}
		}
		senders = append(senders, sd)
	}
	// Warm up: every vehicle known.
	for _, sd := range senders {
		sd.conn.Write(sd.dgram[0])
	}
	for len(s.Drones()) < vehicles {
		time.Sleep(time.Millisecond)
	}
	frames := s.m.frames
	base := frames.Value()
	b.ReportAllocs()
	b.ResetTimer()
	start, c0 := time.Now(), cpuTime()
	sent := 0
	for i := 0; sent < b.N; i++ {
		sd := senders[i%len(senders)]
		k := sd.next
		n, err := sd.out.send(sd.dgram[k : k+burst])
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range sd.frames[k : k+n] {
			sent += f
		}
		sd.next = (k + burst) % len(sd.dgram)
		// Stay below what the socket buffer holds (a loopback datagram
		// takes about 1 KiB of it): at most 2,000 datagrams in flight, so
		// the figure is the server's rate, not a drop rate.
		for int(frames.Value()-base) < sent-2000*perDatagram {
			time.Sleep(50 * time.Microsecond)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for int(frames.Value()-base) < sent && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	el, cpu := time.Since(start), cpuTime()-c0
	b.StopTimer()
	recv := frames.Value() - base
	b.ReportMetric(float64(recv)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu)/float64(recv), "cpu-ns/msg")
	b.ReportMetric(float64(got.Load())/el.Seconds(), "obs/s")
	b.ReportMetric(100*float64(uint64(sent)-recv)/float64(sent), "loss%")
}
