package web

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// perfTracks places n tracks within ±40 km of the border, moving at 1–15
// m/s; step k is k seconds later. Deterministic.
func perfTracks(line []borderwatch.LatLon, n, k int) []borderwatch.Track {
	rng := rand.New(rand.NewPCG(42, 1))
	ts := make([]borderwatch.Track, n)
	affs := []borderwatch.Affiliation{borderwatch.AffUnknown, borderwatch.AffUnknown, borderwatch.AffUnknown, borderwatch.AffSuspect, borderwatch.AffHostile, borderwatch.AffFriend, borderwatch.AffNeutral}
	for i := range ts {
		seg := rng.IntN(len(line) - 1)
		f := rng.Float64()
		a, b := line[seg], line[seg+1]
		lat := a.Lat + f*(b.Lat-a.Lat) + (rng.Float64()-0.5)*0.7
		lon := a.Lon + f*(b.Lon-a.Lon) + (rng.Float64()-0.5)*0.8
		speed := 1 + rng.Float64()*14
		dir := rng.Float64() * 2 * math.Pi
		ve, vn := speed*math.Sin(dir), speed*math.Cos(dir)
		lat += vn * float64(k) / 111320
		lon += ve * float64(k) / (111320 * math.Cos(lat*math.Pi/180))
		tr := borderwatch.Track{
			ID: fmt.Sprintf("T%05d", i), Sector: "north", Time: t0.Add(time.Duration(k) * time.Second), Status: borderwatch.TrackConfirmed,
			Position: borderwatch.LatLon{Lat: lat, Lon: lon}, Velocity: borderwatch.Velocity{East: ve, North: vn},
			Class: borderwatch.Classes[i%3], Affiliation: affs[i%len(affs)], Updates: k, Chainage: float64(i % 599),
			Label:   borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{borderwatch.AllAgencies}},
			Sources: []string{"cam-12", "radar-3"},
		}
		if i%10 == 0 {
			tr.Contact = &borderwatch.BorderContact{Chainage: float64(i % 599), Point: b, Time: t0.Add(10 * time.Minute)}
		}
		ts[i] = tr
	}
	return ts
}

type frameStats struct {
	Frames                       int
	FPS                          float64
	P50, P95, P99, Max           float64 // frame interval, ms
	Long                         int     // intervals > 50 ms
	DrawP50, DrawP95, DrawMax    float64 // LiveLayer._draw, ms
	ApplyP50, ApplyP95, ApplyMax float64 // parse + apply one batch, ms
	Batches                      int
	BatchKB                      float64
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// TestUIFrameTimes measures frame times in headless Chromium with 5,000
// live tracks moving at 1 Hz, the whole border in view: 10 s idle (the map
// redraws on each batch) and 10 s with an animated pan every second. It takes
// ~40 s, so it runs only with BORDERWATCH_UI_PERF=1:
//
//	BORDERWATCH_UI_PERF=1 go test -run TestUIFrameTimes -v ./internal/web/
func TestUIFrameTimes(t *testing.T) {
	if os.Getenv("BORDERWATCH_UI_PERF") == "" {
		t.Skip("set BORDERWATCH_UI_PERF=1 to measure UI frame times (~40 s)")
	}
	bin := needChromium(t)
	const n = 5000
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	line := testBorder(t)
	pic := newTestPicture()
	must(t, pic.PutTracks(perfTracks(line, n, 0)...))
	addr := serveUI(t, pic)

	// The feeder: every track moves once a second, as a tracker at 1 Hz.
	feedCtx, stopFeed := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for k := 1; ; k++ {
			select {
			case <-feedCtx.Done():
				return
			case <-tick.C:
				if err := pic.PutTracks(perfTracks(line, n, k)...); err != nil {
					t.Error(err)
					return
				}
			}
		}
	}()
	defer func() { stopFeed(); wg.Wait() }()

	b := launch(t, bin)
	p := b.OpenPage(ctx, t, addr, 1366, 768)
	p.Navigate(ctx, "http://"+addr+"/?hz=1")
	p.WaitFor(ctx, "ready", "window.bw && window.bw.ready")
	p.MustEval(ctx, "window.bw.map.fitBounds([[32.6, 37.9], [37.6, 43.2]], {animate: false}), true", nil)
	p.WaitFor(ctx, "5000 tracks", fmt.Sprintf("window.bw.stores.tracks.size === %d", n))
	p.MustEval(ctx, `(() => {
		const bw = window.bw; bw.perf = {draw: [], apply: [], bytes: 0, batches: 0};
		const draw = bw.live._draw.bind(bw.live);
		bw.live._draw = function() { const t = performance.now(); draw(); bw.perf.draw.push(performance.now() - t); };
		bw.stream.onTiming = (parse, apply) => { bw.perf.apply.push(parse + apply); bw.perf.batches++; bw.perf.bytes += bw.stream.lastBytes || 0; };
		return true; })()`, nil)

	measure := func(name, perFrame string) frameStats {
		var r struct {
			D     []float64 `json:"d"`
			Draw  []float64 `json:"draw"`
			Apply []float64 `json:"apply"`
			Bytes float64   `json:"bytes"`
			N     int       `json:"batches"`
		}
		p.MustEval(ctx, `window.bw.perf.draw = []; window.bw.perf.apply = []; window.bw.perf.bytes = 0; window.bw.perf.batches = 0;
			new Promise((resolve) => {
				const d = []; let last = performance.now(); const end = last + 10000; let i = 0;
				function f(t) { d.push(t - last); last = t; i++; `+perFrame+`; if (t < end) requestAnimationFrame(f);
					else resolve({d, draw: window.bw.perf.draw, apply: window.bw.perf.apply, bytes: window.bw.perf.bytes, batches: window.bw.perf.batches}); }
				requestAnimationFrame(f);
			})`, &r)
		st := frameStats{Frames: len(r.D), P50: pct(r.D, .5), P95: pct(r.D, .95), P99: pct(r.D, .99), Max: slices.Max(r.D),
			DrawP50: pct(r.Draw, .5), DrawP95: pct(r.Draw, .95), ApplyP50: pct(r.Apply, .5), ApplyP95: pct(r.Apply, .95),
			Batches: r.N}
		if len(r.Draw) > 0 {
			st.DrawMax = slices.Max(r.Draw)
		}
		if len(r.Apply) > 0 {
			st.ApplyMax = slices.Max(r.Apply)
		}
		if r.N > 0 {
			st.BatchKB = r.Bytes / float64(r.N) / 1024
		}
		total := 0.0
		for _, x := range r.D {
			total += x
			if x > 50 {
				st.Long++
			}
		}
		st.FPS = float64(len(r.D)) / total * 1000
		t.Logf("%s: %d frames in 10 s = %.1f fps; interval p50 %.1f p95 %.1f p99 %.1f max %.1f ms; %d > 50 ms; draw p50 %.1f p95 %.1f max %.1f ms; batch parse+apply p50 %.1f p95 %.1f max %.1f ms over %d batches of %.0f KB",
			name, st.Frames, st.FPS, st.P50, st.P95, st.P99, st.Max, st.Long, st.DrawP50, st.DrawP95, st.DrawMax, st.ApplyP50, st.ApplyP95, st.ApplyMax, st.Batches, st.BatchKB)
		return st
	}
	idle := measure("idle, updates at 1 Hz", "")
	pan := measure("panning (an animated 300 px pan every second), updates at 1 Hz",
		"if (i % 60 === 1) window.bw.map.panBy([(i % 240 < 120 ? 300 : -300), 0], {animate: true, duration: 0.8})")
	p.Screenshot(ctx, filepath.Join(artefacts(t), "perf-5000.png"))
	if idle.Batches < 5 || pan.Batches < 5 {
		t.Fatalf("measurement did not see the load: %+v %+v", idle, pan)
	}
}
