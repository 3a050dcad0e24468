package live

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

const (
	benchTracks  = 5000
	benchClients = 50
)

func benchWorld() ([]borderwatch.Track, []*BBox) {
	rng := rand.New(rand.NewPCG(1, 2))
	ts := make([]borderwatch.Track, benchTracks)
	for i := range ts {
		ts[i] = track(fmt.Sprintf("T%05d", i), 32+rng.Float64()*5, 38.5+rng.Float64()*4, "ibg")
		ts[i].Velocity = borderwatch.Velocity{East: rng.NormFloat64(), North: rng.NormFloat64()}
		ts[i].Sources = []string{"cam-12", "radar-3"}
	}
	boxes := make([]*BBox, benchClients)
	for i := range boxes {
		if i%5 == 0 {
			continue // a fifth watch the whole border
		}
		w, s := 38.5+rng.Float64()*3, 32+rng.Float64()*4
		boxes[i] = &BBox{W: w, S: s, E: w + 1.5, N: s + 1}
	}
	return ts, boxes
}

// cpuTime is the process's user+system CPU time: on a shared, loaded
// machine it is a steadier cost figure than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

func move(ts []borderwatch.Track) {
	for i := range ts {
		ts[i].Position.Lat += 1e-5
		ts[i].Updates++
	}
}

// BenchmarkFanOut is one second of the reference load: 5,000 tracks each
// updated once (1 Hz), delivered to 50 viewers (a fifth seeing everything,
// the rest a viewport), each flushing once. One op = one second of traffic.
func BenchmarkFanOut(b *testing.B) {
	ts, boxes := benchWorld()
	allow := func(l borderwatch.Label) bool { return l.ReleasableToAgency("ibg") }
	p := New(Options{})
	must(b, p.PutTracks(ts...))
	subs := make([]*Subscription, len(boxes))
	for i, box := range boxes {
		subs[i] = p.Subscribe(Filter{BBox: box, Allow: allow}, "")
		subs[i].Next()
	}
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	var bytes int64
	for b.Loop() {
		move(ts)
		must(b, p.PutTracks(ts...))
		for _, s := range subs {
			bt := s.Next()
			bytes += int64(len(bt.Data))
			io.Discard.Write(bt.Data)
		}
	}
	b.ReportMetric(float64(bytes)/float64(b.N)/benchClients, "B/client/s")
}

// BenchmarkFanOutNaive is the baseline: every viewer filters every track
// and encodes it itself, as a handler that marshals per client would.
func BenchmarkFanOutNaive(b *testing.B) {
	ts, boxes := benchWorld()
	allow := func(l borderwatch.Label) bool { return l.ReleasableToAgency("ibg") }
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		move(ts)
		for _, box := range boxes {
			var out []borderwatch.Track
			for _, t := range ts {
				if allow(t.Label) && (box == nil || box.Contains(t.Position)) {
					out = append(out, t)
				}
			}
			data, err := json.Marshal(out)
			must(b, err)
			io.Discard.Write(data)
		}
	}
}

// BenchmarkPutTracks is the tracker's side: 5,000 track updates in batches
// of 100.
func BenchmarkPutTracks(b *testing.B) {
	ts, _ := benchWorld()
	p := New(Options{})
	b.ReportAllocs()
	defer reportCPU(b, cpuTime())
	for b.Loop() {
		move(ts)
		for i := 0; i < len(ts); i += 100 {
			must(b, p.PutTracks(ts[i:i+100]...))
		}
	}
}
