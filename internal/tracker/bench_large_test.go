package tracker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"

	"github.com/borderwatch/borderwatch/internal/mtt"
)

type mttDet = mtt.Detection

// synthetic generates scans of n targets (30% vehicles) in a square region
// sized for the shared scenarios' densities (one target per 4e5 m²), with pd
// 0.9, 10 m noise and clutter false detections per scan.
func synthetic(n, clutter, scans int, seed uint64) (Rect, [][]Detection) {
	rng := rand.New(rand.NewPCG(seed, 7))
	side := math.Sqrt(float64(n) * 4e5)
	region := Rect{0, 0, side, side}
	type tgt struct{ x, y, vx, vy float64 }
	born := func() tgt {
		speed, h := 1.4, rng.Float64()*2*math.Pi
		if rng.Float64() < 0.3 {
			speed = 15
		}
		return tgt{rng.Float64() * side, rng.Float64() * side, speed * math.Cos(h), speed * math.Sin(h)}
	}
	ts := make([]tgt, n)
	for i := range ts {
		ts[i] = born()
	}
	r := Cov2{XX: 100, YY: 100}
	out := make([][]Detection, scans)
	for k := range out {
		dets := make([]Detection, 0, n+clutter)
		for i := range ts {
			if rng.Float64() < 0.9 {
				dets = append(dets, Detection{X: ts[i].x + 10*rng.NormFloat64(), Y: ts[i].y + 10*rng.NormFloat64(), R: r})
			}
		}
		for c := 0; c < clutter; c++ {
			dets = append(dets, Detection{X: rng.Float64() * side, Y: rng.Float64() * side, R: r})
		}
		rng.Shuffle(len(dets), func(i, j int) { dets[i], dets[j] = dets[j], dets[i] })
		out[k] = dets
		for i := range ts {
			t := &ts[i]
			t.vx += 0.1 * rng.NormFloat64()
			t.vy += 0.1 * rng.NormFloat64()
			t.x += t.vx
			t.y += t.vy
			if t.x < 0 || t.x > side || t.y < 0 || t.y > side {
				*t = born()
			}
		}
	}
	return region, out
}

// BenchmarkLarge is the scale bar: 10,000 live targets and 10,000
// clutter detections per scan, steady state (tracks confirmed during a
// warm-up), one op = one scan. Workers=2 uses both cores.
func BenchmarkLarge(b *testing.B) {
	const warm = 8
	for _, c := range []struct {
		targets, clutter, workers int
		mode                      Mode
	}{
		{10000, 10000, 2, ModeGNN},
		{10000, 10000, 2, ModeJPDA},
		{10000, 10000, 1, ModeGNN},
	} {
		name := fmt.Sprintf("targets=%d/clutter=%d/%s/workers=%d", c.targets, c.clutter, c.mode, c.workers)
		b.Run(name, func(b *testing.B) {
			region, scans := synthetic(c.targets, c.clutter, warm+40, 1)
			e, err := NewEngine(Config{Mode: c.mode, Region: region, ClutterDensity: float64(c.clutter) / region.Area(), Workers: c.workers})
			if err != nil {
				b.Fatal(err)
			}
			for k := 0; k < warm; k++ {
				if err := e.Step(float64(k), scans[k], nil); err != nil {
					b.Fatal(err)
				}
			}
			var ndet int64
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			cpu0 := cpuSeconds()
			b.ResetTimer()
			k := warm
			for i := 0; i < b.N; i++ {
				s := scans[warm+(k-warm)%(len(scans)-warm)]
				// Past the generated scans, replay them shifted in time:
				// tracks then see targets jump, so keep b.N within them.
				if err := e.Step(float64(k), s, nil); err != nil {
					b.Fatal(err)
				}
				ndet += int64(len(s))
				k++
			}
			b.StopTimer()
			cpu := cpuSeconds() - cpu0
			runtime.ReadMemStats(&ms1)
			b.ReportMetric(float64(ndet)/cpu, "detections/CPU-s")
			b.ReportMetric(float64(ndet)/b.Elapsed().Seconds(), "detections/s")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(ndet), "allocs/detection")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(ndet), "B/detection")
			b.ReportMetric(float64(len(e.Tracks(nil, false))), "confirmed")
		})
	}
}

// cpuSeconds returns the process's user+system CPU time: on a shared
// machine wall time overstates the cost, so the benchmarks report both.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// BenchmarkNaiveBaseline is the naive tracker (all-pairs gating, greedy
// assignment) at a tenth of the scale, for comparison.
func BenchmarkNaiveBaseline(b *testing.B) {
	_, scans := synthetic(1000, 1000, 20, 1)
	var ndet int64
	for b.Loop() {
		bl := &baseline{r: 100}
		for k, s := range scans {
			md := make([]mttDet, len(s))
			for i, d := range s {
				md[i] = mttDet{X: d.X, Y: d.Y}
			}
			bl.step(float64(min(k, 1)), md)
			ndet += int64(len(s))
		}
	}
	b.ReportMetric(float64(ndet)/b.Elapsed().Seconds(), "detections/s")
}
