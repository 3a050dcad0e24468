package rules

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

const (
	benchTracks = 10000
	benchSteps  = 64
)

// benchWorld places benchTracks unknown tracks over the whole Iraq–Syria
// border, 0.4-15 km either side of the line (clear of the barriers, which
// stand 75-300 m inside Iraq), each walking along the line at 1.5 m/s: the
// common case, a track update that fires nothing. Each track has
// benchSteps precomputed positions.
func benchWorld(b *testing.B) (*Engine, []borderwatch.Track, [][]borderwatch.LatLon) {
	dep := reference(b)
	e, err := New(dep, Options{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	tracks := make([]borderwatch.Track, benchTracks)
	paths := make([][]borderwatch.LatLon, benchTracks)
	for i := range tracks {
		km := 1 + rng.Float64()*(e.line.Length()-2)
		off := 400 + rng.Float64()*14600
		if rng.IntN(2) == 0 {
			off = -off
		}
		paths[i] = make([]borderwatch.LatLon, benchSteps)
		for k := range paths[i] {
			paths[i][k] = at(e.line, km+float64(k)*0.0015, off)
		}
		a, c := e.line.PointAt(km-0.05), e.line.PointAt(km+0.05)
		_, az, _ := geo.Inverse(a, c)
		tracks[i] = borderwatch.Track{
			ID: "T" + string(rune('a'+i%26)) + itoa(i), Status: borderwatch.TrackConfirmed,
			Time: day, Position: paths[i][0], Class: borderwatch.ClassPerson, Affiliation: borderwatch.AffUnknown,
			Velocity: borderwatch.Velocity{East: 1.5 * math.Sin(az*math.Pi/180), North: 1.5 * math.Cos(az*math.Pi/180)},
			Sources:  []string{"cam-x"},
		}
	}
	// Warm up: every track seen once (first sight may fire geofences).
	for i := range tracks {
		e.Track(&tracks[i])
	}
	return e, tracks, paths
}

// reportRates reports wall-clock updates/s and, where the OS gives thread
// CPU time, CPU ns per update and updates per CPU-second (per core), which
// hold on a loaded shared machine where wall-clock time does not.
func reportRates(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "updates/cpu-s")
	}
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// BenchmarkTrackUpdate is the hot path: one track update against the full
// reference deployment (599 km, 13 barriers, 4 crossings, 409 sensors),
// firing nothing.
func BenchmarkTrackUpdate(b *testing.B) {
	e, tracks, paths := benchWorld(b)
	fired := 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := threadCPU()
	for i := 0; i < b.N; i++ {
		j := i % benchTracks
		tr := &tracks[j]
		step := i / benchTracks
		tr.Position = paths[j][step%benchSteps]
		tr.Time = day.Add(time.Duration(step) * time.Second)
		fired += len(e.Track(tr))
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	reportRates(b, cpu)
	if fired > benchTracks/100 {
		b.Fatalf("%d events fired; the benchmark is meant to measure the quiet path", fired)
	}
}

// naiveUpdate is the baseline: the same questions answered without the
// grid — geo's exact Locate, then every barrier segment, crossing and zone
// of the deployment.
func naiveUpdate(e *Engine, t *borderwatch.Track) int {
	st := e.line.Locate(t.Position)
	hits := 0
	if math.Abs(st.Offset) < 3000 {
		hits++
	}
	for i := range e.g.barSegs {
		s := &e.g.barSegs[i]
		ky, kx := metresPerDeg(t.Position.Lat)
		if segDist2(t.Position, s.a, s.b, ky, kx) < 150*150 {
			hits++
		}
	}
	for i := range e.crossings {
		if geo.Distance(t.Position, e.crossings[i].c.Position) < 1500 {
			hits++
		}
	}
	for i := range e.zones {
		if geo.PolygonContains(e.zones[i].zone.Ring, t.Position) {
			hits++
		}
	}
	return hits
}

func BenchmarkTrackUpdateNaive(b *testing.B) {
	e, tracks, paths := benchWorld(b)
	b.ReportAllocs()
	b.ResetTimer()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	for i := 0; i < b.N; i++ {
		j := i % benchTracks
		tr := &tracks[j]
		tr.Position = paths[j][(i/benchTracks)%benchSteps]
		naiveUpdate(e, tr)
	}
	reportRates(b, threadCPU()-cpu0)
}

// BenchmarkLocate is the grid's border lookup alone.
func BenchmarkLocate(b *testing.B) {
	e, _, paths := benchWorld(b)
	b.ReportAllocs()
	b.ResetTimer()
	var s float64
	for i := 0; i < b.N; i++ {
		s += e.g.locate(paths[i%benchTracks][0]).km
	}
	_ = s
}

// BenchmarkNew is building an engine for the full reference deployment
// (grid index, densified border and barriers).
func BenchmarkNew(b *testing.B) {
	dep := reference(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(dep, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
