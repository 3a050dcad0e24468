package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// movement is one step of a track.
type movement struct{ a, b borderwatch.LatLon }

// movements returns n track steps of 1–30 m in random directions whose
// start lies minOff..maxOff metres from the line (either side) at a random
// chainage: the load a tracker puts on Cross.
func movements(l *Line, n int, minOff, maxOff float64, seed uint64) []movement {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]movement, n)
	for i := range out {
		p, az := l.pointAz(rng.Float64()*l.Length(), false)
		off := minOff + rng.Float64()*(maxOff-minOff)
		if rng.IntN(2) == 0 {
			off = -off
		}
		a := Direct(p, az+90, off)
		b := Direct(a, rng.Float64()*360, 1+rng.Float64()*29)
		out[i] = movement{a, b}
	}
	return out
}

// naiveCross is the baseline: the same exact test against every segment,
// no index.
func naiveCross(l *Line, a, b borderwatch.LatLon) (seg int, into Side, ok bool) {
	ea, eb := ecef(a), ecef(b)
	best := math.Inf(1)
	for i := range l.ix.segs {
		t, _, side, hit := l.ix.segs[i].crossing(ea, eb)
		if hit && t < best {
			best, seg, into, ok = t, i, side, true
		}
	}
	return seg, into, ok
}

func benchCross(b *testing.B, minOff, maxOff float64) {
	l := border(b)
	ms := movements(l, 1<<14, minOff, maxOff, 1)
	b.ReportAllocs()
	n := 0
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		m := &ms[i&(len(ms)-1)]
		if _, ok := l.Cross(m.a, m.b); ok {
			n++
		}
		i++
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(n)/float64(b.N), "crossings/op")
}

func benchNaive(b *testing.B, minOff, maxOff float64) {
	l := border(b)
	ms := movements(l, 1<<14, minOff, maxOff, 1)
	b.ReportAllocs()
	n := 0
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		m := &ms[i&(len(ms)-1)]
		if _, _, ok := naiveCross(l, m.a, m.b); ok {
			n++
		}
		i++
	}
	reportCPU(b, cpu0)
	b.ReportMetric(float64(n)/float64(b.N), "crossings/op")
}

// reportCPU reports the process CPU time per operation since cpu0.
func reportCPU(b *testing.B, cpu0 int64) {
	if cpu0 > 0 && b.N > 0 {
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// Near: starts within 200 m of the line. Mid: 200 m to 5 km (the same or
// a neighbouring grid cell). Far: 5 to 50 km. All: 0 to 50 km.
func BenchmarkCrossNear(b *testing.B)      { benchCross(b, 0, 200) }
func BenchmarkCrossMid(b *testing.B)       { benchCross(b, 200, 5000) }
func BenchmarkCrossFar(b *testing.B)       { benchCross(b, 5000, 50000) }
func BenchmarkCrossAll(b *testing.B)       { benchCross(b, 0, 50000) }
func BenchmarkCrossNaiveNear(b *testing.B) { benchNaive(b, 0, 200) }
func BenchmarkCrossNaiveFar(b *testing.B)  { benchNaive(b, 5000, 50000) }

func BenchmarkLocate(b *testing.B) {
	l := border(b)
	ms := movements(l, 1<<12, 0, 20000, 2)
	b.ReportAllocs()
	i := 0
	var s float64
	cpu0 := processCPU()
	for b.Loop() {
		s += l.Locate(ms[i&(len(ms)-1)].a).Chainage
		i++
	}
	reportCPU(b, cpu0)
	_ = s
}

func BenchmarkSide(b *testing.B) {
	l := border(b)
	ms := movements(l, 1<<12, 0, 20000, 2)
	b.ReportAllocs()
	i := 0
	n := 0
	cpu0 := processCPU()
	for b.Loop() {
		if l.Side(ms[i&(len(ms)-1)].a) == Right {
			n++
		}
		i++
	}
	reportCPU(b, cpu0)
}

// BenchmarkNewLine measures building the border's line: geodesic lengths,
// arcs, the index and the candidate grid.
func BenchmarkNewLine(b *testing.B) {
	pts := loadBorder(b)
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		if _, err := NewLine(pts); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}
