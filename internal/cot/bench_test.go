package cot

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// benchUnits is how many distinct phones the benchmark stream carries.
const benchUnits = 1000

// benchXML returns benchUnits ATAK self-SA messages, as ATAK writes them
// (prolog, single quotes), each from a different phone.
func benchXML(b *testing.B) [][]byte {
	b.Helper()
	sa := string(readCapture(b, "atak-sa.xml"))
	out := make([][]byte, benchUnits)
	for i := range out {
		s := strings.ReplaceAll(sa, "6f3a9c21d4e8b7a0", fmt.Sprintf("%016x", i))
		s = strings.ReplaceAll(s, "IBG-P12", fmt.Sprintf("IBG-P%03d", i))
		s = strings.Replace(s, "34.4512835", fmt.Sprintf("34.%07d", 4000000+i*97), 1)
		out[i] = []byte(s)
	}
	return out
}

func benchProto(b *testing.B) [][]byte {
	b.Helper()
	xs := benchXML(b)
	out := make([][]byte, len(xs))
	for i, x := range xs {
		var ev Event
		if err := DecodeXML(x, &ev); err != nil {
			b.Fatal(err)
		}
		out[i] = AppendProto(nil, &ev)
	}
	return out
}

// cpuTime returns the user+system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type meter struct {
	wall time.Time
	cpu  time.Duration
}

func startMeter() meter { return meter{time.Now(), cpuTime()} }

// reportRate reports events per wall-clock second, and the process CPU
// time per event, which stays meaningful when the machine is shared.
func reportRate(b *testing.B, m meter) {
	b.ReportMetric(float64(b.N)/time.Since(m.wall).Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-m.cpu)/float64(b.N), "cpu-ns/event")
}

func BenchmarkDecodeXML(b *testing.B) {
	msgs := benchXML(b)
	var d Decoder
	var ev Event
	b.ReportAllocs()
	b.SetBytes(int64(len(msgs[0])))
	start := startMeter()
	for i := 0; b.Loop(); i++ {
		if err := d.Decode(msgs[i%len(msgs)], &ev); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
}

// stdEvent is the naive baseline: encoding/xml with struct tags.
type stdEvent struct {
	XMLName xml.Name `xml:"event"`
	Version string   `xml:"version,attr"`
	UID     string   `xml:"uid,attr"`
	Type    string   `xml:"type,attr"`
	How     string   `xml:"how,attr"`
	Time    string   `xml:"time,attr"`
	Start   string   `xml:"start,attr"`
	Stale   string   `xml:"stale,attr"`
	Point   struct {
		Lat float64 `xml:"lat,attr"`
		Lon float64 `xml:"lon,attr"`
		HAE float64 `xml:"hae,attr"`
		CE  float64 `xml:"ce,attr"`
		LE  float64 `xml:"le,attr"`
	} `xml:"point"`
	Detail struct {
		Contact struct {
			Callsign string `xml:"callsign,attr"`
		} `xml:"contact"`
		Track struct {
			Course float64 `xml:"course,attr"`
			Speed  float64 `xml:"speed,attr"`
		} `xml:"track"`
		Inner string `xml:",innerxml"`
	} `xml:"detail"`
}

func (e *stdEvent) times() error {
	for _, s := range []string{e.Time, e.Start, e.Stale} {
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return err
		}
	}
	return nil
}

func BenchmarkDecodeXMLStdlib(b *testing.B) {
	msgs := benchXML(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(msgs[0])))
	start := startMeter()
	for i := 0; b.Loop(); i++ {
		var ev stdEvent
		if err := xml.Unmarshal(msgs[i%len(msgs)], &ev); err != nil {
			b.Fatal(err)
		}
		if err := ev.times(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
}

func BenchmarkDecodeProto(b *testing.B) {
	msgs := benchProto(b)
	var d Decoder
	var ev Event
	b.ReportAllocs()
	b.SetBytes(int64(len(msgs[0])))
	start := startMeter()
	for i := 0; b.Loop(); i++ {
		if err := d.DecodeProto(msgs[i%len(msgs)], &ev); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, start)
}

func BenchmarkEncode(b *testing.B) {
	var ev Event
	if err := DecodeXML(readCapture(b, "atak-sa.xml"), &ev); err != nil {
		b.Fatal(err)
	}
	for _, enc := range []struct {
		name string
		fn   func([]byte, *Event) []byte
	}{{"xml", AppendXMLFrame}, {"proto", AppendStreamFrame}} {
		b.Run(enc.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				buf = enc.fn(buf[:0], &ev)
			}
		})
	}
}

// BenchmarkTCP is the end-to-end figure: a client on 127.0.0.1 writes a
// stream of ATAK self-SA (benchUnits phones) as fast as it can; the server
// splits, decodes, maps to observations, relays (latest-state cache) and
// hands batches to a Handler that appends them to a slice. One op is one
// event.
func xmlStreamFor(b *testing.B) []byte { return bytes.Join(benchXML(b), nil) }

func BenchmarkTCP(b *testing.B) {
	xmlStream := xmlStreamFor
	protoStream := func(b *testing.B) []byte {
		var s []byte
		for _, p := range benchProto(b) {
			s = append(s, Magic)
			s = appendUvarint(s, uint64(len(p)))
			s = append(s, p...)
		}
		return s
	}
	b.Run("xml", func(b *testing.B) { benchTCP(b, xmlStream(b), false) })
	b.Run("xml-norelay", func(b *testing.B) { benchTCP(b, xmlStream(b), true) })
	b.Run("proto", func(b *testing.B) { benchTCP(b, protoStream(b), false) })
	b.Run("proto-norelay", func(b *testing.B) { benchTCP(b, protoStream(b), true) })
	b.Run("xml-stdlib-baseline", func(b *testing.B) { benchTCPStdlib(b, xmlStream(b)) })
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// logSink stands in for the log: it keeps the observations in a slice.
type logSink struct {
	mu     sync.Mutex
	obs    []borderwatch.Observation
	n      atomic.Int64
	target int64
	done   chan struct{}
	once   sync.Once
}

func (l *logSink) handle(_ context.Context, obs []borderwatch.Observation) error {
	l.mu.Lock()
	if len(l.obs) > 1<<16 {
		l.obs = l.obs[:0]
	}
	l.obs = append(l.obs, obs...)
	l.mu.Unlock()
	if l.n.Add(int64(len(obs))) >= l.target {
		l.once.Do(func() { close(l.done) })
	}
	return nil
}

func benchTCP(b *testing.B, block []byte, noRelay bool) {
	sink := &logSink{target: int64(b.N), done: make(chan struct{})}
	now := mustTime(b, "2026-11-22T08:14:05Z")
	s, err := NewServer(Options{
		TCPAddr: "127.0.0.1:0", Handler: sink.handle, Now: func() time.Time { return now },
		Rate: -1, NoNegotiate: true, NoRelay: noRelay,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	go io.Copy(io.Discard, conn)
	b.ReportAllocs()
	b.ResetTimer()
	start := startMeter()
	go func() {
		for sent := 0; sent < b.N; sent += benchUnits {
			if _, err := conn.Write(block); err != nil {
				return
			}
		}
	}()
	select {
	case <-sink.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d events arrived", sink.n.Load(), b.N)
	}
	b.StopTimer()
	reportRate(b, start)
}

// benchTCPStdlib is the naive baseline: the same stream read from a TCP
// socket with encoding/xml's Decoder.
func benchTCPStdlib(b *testing.B, block []byte) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	sink := &logSink{target: int64(b.N), done: make(chan struct{})}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		d := xml.NewDecoder(conn)
		batch := make([]borderwatch.Observation, 0, 1)
		for {
			var ev stdEvent
			if err := d.Decode(&ev); err != nil {
				return
			}
			if ev.times() != nil {
				continue
			}
			t, _ := time.Parse(time.RFC3339Nano, ev.Time)
			p := &borderwatch.LatLon{Lat: ev.Point.Lat, Lon: ev.Point.Lon}
			batch = append(batch[:0], borderwatch.Observation{
				ID: "cot:" + ev.UID, Time: t, Position: p, Cov: borderwatch.Isotropic(ev.Point.CE),
				Friendly: true, UnitID: ev.Detail.Contact.Callsign,
			})
			sink.handle(context.Background(), batch)
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.ReportAllocs()
	b.ResetTimer()
	start := startMeter()
	go func() {
		for sent := 0; sent < b.N; sent += benchUnits {
			if _, err := conn.Write(block); err != nil {
				return
			}
		}
	}()
	<-sink.done
	b.StopTimer()
	reportRate(b, start)
}
