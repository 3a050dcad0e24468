package e2e

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/web/webtest"
)

// replayTracks returns n tracks near the border for each of secs seconds
// from t0 (every track moves once a second), deterministic.
func replayTracks(line []borderwatch.LatLon, n, secs int, t0 time.Time) []borderwatch.Track {
	rng := rand.New(rand.NewPCG(7, 1))
	type base struct{ lat, lon, ve, vn float64 }
	bs := make([]base, n)
	for i := range bs {
		seg := rng.IntN(len(line) - 1)
		a, b := line[seg], line[seg+1]
		f := rng.Float64()
		dir, speed := rng.Float64()*2*math.Pi, 1+rng.Float64()*14
		bs[i] = base{a.Lat + f*(b.Lat-a.Lat) + (rng.Float64()-0.5)*0.5, a.Lon + f*(b.Lon-a.Lon) + (rng.Float64()-0.5)*0.5, speed * math.Sin(dir), speed * math.Cos(dir)}
	}
	out := make([]borderwatch.Track, 0, n*secs)
	for k := range secs {
		for i, b := range bs {
			lat := b.lat + b.vn*float64(k)/111320
			out = append(out, borderwatch.Track{
				ID: fmt.Sprintf("R%05d", i), Time: t0.Add(time.Duration(k) * time.Second), Status: borderwatch.TrackConfirmed,
				Position: borderwatch.LatLon{Lat: lat, Lon: b.lon + b.ve*float64(k)/(111320*math.Cos(lat*math.Pi/180))},
				Velocity: borderwatch.Velocity{East: b.ve, North: b.vn}, Class: borderwatch.ClassVehicle, Affiliation: borderwatch.AffUnknown,
				Sector: "ninewa-baaj", Updates: k + 1, Label: borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{borderwatch.AllAgencies}},
			})
		}
	}
	return out
}

// TestUIReplayThroughput measures replay in the browser against the whole
// node: n tracks, every one moving once a second, are put into the node's
// store for a 2-minute window, then the UI replays the window at 1, 10
// and 60× with the whole border in view. It reports, per speed, how fast
// the replay clock advanced (the speed achieved), frames received per
// second and the animation frame intervals. Slow (~1 min per size), so
// only with BORDERWATCH_UI_PERF=1:
//
//	BORDERWATCH_UI_PERF=1 go test -run TestUIReplayThroughput -v ./internal/e2e/
func TestUIReplayThroughput(t *testing.T) {
	if os.Getenv("BORDERWATCH_UI_PERF") == "" {
		t.Skip("set BORDERWATCH_UI_PERF=1 to measure replay throughput in the browser")
	}
	bin := webtest.NeedChromium(t)
	for _, n := range []int{500, 5000} {
		t.Run(fmt.Sprint(n, " tracks"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
			defer cancel()
			s := startServer(t)
			base := "https://" + s.HTTPAddr()
			hc, trustFlag := trust(t, s)
			t0 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
			const secs = 120
			ts := replayTracks(s.Deployment().Border.Line, n, secs, t0)
			for i := 0; i < len(ts); i += 50_000 {
				must(t, s.Store().AppendTracks(ctx, "e2e-perf", uint64(i/50_000+1), ts[i:min(len(ts), i+50_000)]))
			}
			oneTime := newOperator(t, s, hc, base, "perf")
			b := webtest.LaunchWith(t, bin, trustFlag)
			p := b.OpenPage(ctx, t, s.HTTPAddr(), 1366, 768)
			p.Navigate(ctx, base+"/")
			browserSignIn(ctx, p, "perf", oneTime, "replay-measure-pass-3", "")
			p.MustEval(ctx, "window.bw.map.fitBounds([[32.6, 37.9], [37.6, 43.2]], {animate: false}), true", nil)
			p.MustEval(ctx, fmt.Sprintf(`(window.bw.replay.enter(%d, %d), true)`, t0.UnixMilli(), t0.Add(secs*time.Second).UnixMilli()), nil)
			p.WaitFor(ctx, "the first picture", fmt.Sprintf(`window.bw.replay.stores.tracks.size === %d && !window.bw.replay.st.es`, n))
			for _, speed := range []int{1, 10, 60} {
				p.MustEval(ctx, fmt.Sprintf(`(window.bw.replay.pause(), window.bw.replay.seek(%d), true)`, t0.Add(32*time.Second).UnixMilli()), nil)
				p.WaitFor(ctx, "seeked", `!window.bw.replay.st.es`)
				var r struct {
					D      []float64 `json:"d"`
					Clock  float64   `json:"clock"`
					Frames int       `json:"frames"`
					Wall   float64   `json:"wall"`
					Busy   float64   `json:"busy"`
					Bytes  float64   `json:"bytes"`
				}
				p.MustEval(ctx, fmt.Sprintf(`new Promise((resolve) => {
					const rp = window.bw.replay; rp.setSpeed(%d); const c0 = rp.st.cur, f0 = rp.st.frames, b0 = rp.st.busyMs, y0 = rp.st.bytes;
					rp.play();
					const d = []; const t0 = performance.now(); let last = t0; const end = t0 + 8000;
					function f(t) { d.push(t - last); last = t; if (t < end && rp.st.cur < rp.st.to - 1000) requestAnimationFrame(f);
						else resolve({d, clock: rp.st.cur - c0, frames: rp.st.frames - f0, wall: t - t0, busy: rp.st.busyMs - b0, bytes: rp.st.bytes - y0}); }
					requestAnimationFrame(f);
				})`, speed), &r)
				p.MustEval(ctx, "(window.bw.replay.pause(), true)", nil)
				long := 0
				for _, x := range r.D {
					if x > 50 {
						long++
					}
				}
				s := slices.Clone(r.D)
				slices.Sort(s)
				q := func(f float64) float64 { return s[min(len(s)-1, int(f*float64(len(s))))] }
				t.Logf("%d tracks at %d×: replay clock advanced %.1f s in %.1f s wall = %.1f× achieved; %.1f frames/s received (%.0f KB each); parse+apply %.0f %% of the time; "+
					"animation %.1f fps, interval p50 %.1f p95 %.1f max %.1f ms, %d > 50 ms",
					n, speed, r.Clock/1000, r.Wall/1000, r.Clock/r.Wall, float64(r.Frames)/(r.Wall/1000), r.Bytes/max(1, float64(r.Frames))/1024, 100*r.Busy/r.Wall,
					float64(len(r.D))/(r.Wall/1000), q(.5), q(.95), s[len(s)-1], long)
			}
			p.Frames(ctx)
			p.Screenshot(ctx, filepath.Join(webtest.Artefacts(t), fmt.Sprintf("perf-replay-%d.png", n)))
		})
	}
}
