package mavlink

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
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

// BenchmarkHandle is parse+handle without the socket: the telemetry mix of
// 16 vehicles applied in batches of 32 datagrams (one frame each), the
// observations flushed to a counting Handler. allocs/msg is exact (the
// ops column rounds).
func BenchmarkHandle(b *testing.B) {
	var got int
	s, err := New(Options{Addr: "127.0.0.1:0", StreamRate: -1, GCSHeartbeat: -1, MaxRate: -1, HeartbeatTimeout: time.Hour,
		Handler: func(_ context.Context, obs []borderwatch.Observation) error { got += len(obs); return nil }})
	if err != nil {
		b.Fatal(err)
	}
	var all []datagram
	for v := range 16 {
		for _, d := range telemetryMix(uint8(v + 1)) {
			all = append(all, datagram{from: netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(5000+v)), b: d})
		}
	}
	// Interleave vehicles as they would arrive.
	mixed := make([]datagram, 0, len(all))
	per := len(all) / 16
	for i := range per {
		for v := range 16 {
			mixed = append(mixed, all[v*per+i])
		}
	}
	s.handleBatch(mixed) // every vehicle known
	ctx := context.Background()
	s.flush(ctx)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	n := 0
	for n < b.N {
		for i := 0; i < len(mixed); i += 32 {
			s.handleBatch(mixed[i:min(i+32, len(mixed))])
		}
		n += len(mixed)
		s.flush(ctx)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(cpuTime()-c0)/float64(n), "cpu-ns/msg")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(n), "allocs/msg")
	b.ReportMetric(float64(got)/float64(n), "obs/msg")
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

// BenchmarkUDP measures parse+handle over real UDP loopback: a load
// generator process (this test binary running TestLoadGenerator) sends the
// telemetry mix of 16 vehicles from 16 sockets to a started server whose
// Handler receives the observations in batches. One op is one MAVLink
// message received and applied. cpu-ns/msg is the server process's CPU
// time per message (the sender is another process).
//
//   - mode=live: the generator sends while the server reads (at most 1,536
//     datagrams in flight), so msgs/s is the end-to-end rate of the two
//     processes sharing the two cores.
//   - mode=drain: the generator fills the socket buffer (2,048 datagrams)
//     while the server is held, then the server drains it; only the drain
//     is timed, so msgs/s is what the server sustains when it is the
//     bottleneck.
//
// frames_per_datagram=1 is how autopilots send; 10 is a router or serial
// bridge packing frames. reads=recvmmsg is the server as built (up to 32
// datagrams per system call); reads=single is the naive baseline (one
// ReadFromUDPAddrPort per datagram).
func BenchmarkUDP(b *testing.B) {
	for _, bc := range []struct {
		name        string
		perDatagram int
		single      bool
		drain       bool
	}{
		{"mode=live/frames_per_datagram=1/reads=recvmmsg", 1, false, false},
		{"mode=live/frames_per_datagram=1/reads=single", 1, true, false},
		{"mode=live/frames_per_datagram=10/reads=recvmmsg", 10, false, false},
		{"mode=drain/frames_per_datagram=1/reads=recvmmsg", 1, false, true},
		{"mode=drain/frames_per_datagram=1/reads=single", 1, true, true},
	} {
		b.Run(bc.name, func(b *testing.B) { benchUDP(b, 16, bc.perDatagram, bc.single, bc.drain) })
	}
}

const (
	loadGenEnv   = "BORDERWATCH_MAVLINK_LOADGEN" // addr:vehicles:frames per datagram
	creditDgrams = 256                           // datagrams sent per credit byte
)

func benchUDP(b *testing.B, vehicles, perDatagram int, single, drain bool) {
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

	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadGenerator$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d:%d", loadGenEnv, s.Addr(), vehicles, perDatagram))
	cmd.Stderr = os.Stderr
	credit, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	acks, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		credit.Close()
		io.Copy(io.Discard, acks)
		cmd.Wait()
	}()
	// The generator announces every vehicle first.
	deadline := time.Now().Add(waitLimit)
	for len(s.Drones()) < vehicles {
		if time.Now().After(deadline) {
			b.Fatalf("load generator: %d of %d vehicles seen", len(s.Drones()), vehicles)
		}
		time.Sleep(time.Millisecond)
	}
	frames := s.m.frames
	base := frames.Value()
	perCredit := creditDgrams * perDatagram
	credits := (b.N + perCredit - 1) / perCredit
	waitFor := func(want uint64) {
		deadline := time.Now().Add(5 * time.Second)
		for frames.Value()-base < want && time.Now().Before(deadline) {
			time.Sleep(20 * time.Microsecond)
		}
	}
	ack := make([]byte, 1)
	b.ReportAllocs()
	b.ResetTimer()
	var el, cpu time.Duration
	if drain {
		const fill = 8 // credits per round: 2,048 datagrams
		b.StopTimer()
		for granted := 0; granted < credits; {
			n := min(fill, credits-granted)
			s.mu.Lock() // hold the server: the socket buffer fills
			for range n {
				if _, err := credit.Write(ack); err != nil {
					b.Fatal(err)
				}
			}
			for range n {
				if _, err := io.ReadFull(acks, ack); err != nil {
					b.Fatal(err)
				}
			}
			granted += n
			b.StartTimer()
			start, c0 := time.Now(), cpuTime()
			s.mu.Unlock()
			waitFor(uint64(granted * perCredit))
			el, cpu = el+time.Since(start), cpu+cpuTime()-c0
			b.StopTimer()
		}
	} else {
		start, c0 := time.Now(), cpuTime()
		for granted := 0; granted < credits; {
			// At most 6 credits (1,536 datagrams, about 1.5 MiB of socket
			// buffer) in flight, so the figure is the server's rate and
			// not a drop rate.
			if granted*perCredit-int(frames.Value()-base) <= 6*perCredit {
				if _, err := credit.Write(ack); err != nil {
					b.Fatal(err)
				}
				granted++
				continue
			}
			time.Sleep(20 * time.Microsecond)
		}
		waitFor(uint64(credits * perCredit))
		el, cpu = time.Since(start), cpuTime()-c0
		b.StopTimer()
	}
	want := uint64(credits * perCredit)
	recv := frames.Value() - base
	b.ReportMetric(float64(recv)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu)/float64(recv), "cpu-ns/msg")
	b.ReportMetric(float64(got.Load())/el.Seconds(), "obs/s")
	b.ReportMetric(100*float64(want-recv)/float64(want), "loss%")
}

// TestLoadGenerator is BenchmarkUDP's sender, run as a separate process:
// it announces each vehicle, then for every byte on stdin sends
// creditDgrams datagrams of telemetry (8 per sendmmsg, vehicles in turn)
// and writes a byte to stdout.
func TestLoadGenerator(t *testing.T) {
	spec := os.Getenv(loadGenEnv)
	if spec == "" {
		t.Skip("the sending side of BenchmarkUDP; runs only as its subprocess")
	}
	i := strings.LastIndexByte(spec, ':')
	j := strings.LastIndexByte(spec[:i], ':')
	addr, vehicles, perDatagram := spec[:j], atoi(t, spec[j+1:i]), atoi(t, spec[i+1:])
	to, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	const burst = 8
	type sender struct {
		out   *batchSender
		dgram [][]byte // the mix as datagrams, repeated to a multiple of burst
		next  int
	}
	var senders []*sender
	for v := range vehicles {
		c, err := net.DialUDP("udp", nil, to)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		out, err := newBatchSender(c, burst)
		if err != nil {
			t.Fatal(err)
		}
		mix := telemetryMix(uint8(v + 1))
		sd := &sender{out: out}
		for len(sd.dgram) == 0 || len(sd.dgram)%burst != 0 {
			for i := 0; i < len(mix); i += perDatagram {
				sd.dgram = append(sd.dgram, bytes.Join(mix[i:min(i+perDatagram, len(mix))], nil))
			}
		}
		if _, err := c.Write(mix[0]); err != nil { // the HEARTBEAT: the vehicle appears
			t.Fatal(err)
		}
		senders = append(senders, sd)
	}
	in := bufio.NewReader(os.Stdin)
	k := 0
	for {
		if _, err := in.ReadByte(); err != nil {
			return // the benchmark is done
		}
		for sent := 0; sent < creditDgrams; sent += burst {
			sd := senders[k%len(senders)]
			k++
			if _, err := sd.out.send(sd.dgram[sd.next : sd.next+burst]); err != nil {
				t.Fatal(err)
			}
			sd.next = (sd.next + burst) % len(sd.dgram)
		}
		if _, err := os.Stdout.Write([]byte{1}); err != nil { // sent: tell the benchmark
			return
		}
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
