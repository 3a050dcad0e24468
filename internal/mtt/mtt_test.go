package mtt

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestReadScenario(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "small.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, truth := range []bool{false, true} {
		t.Run(strconv.FormatBool(truth), func(t *testing.T) {
			f.Seek(0, io.SeekStart)
			r, err := NewScenarioReader(f, truth)
			if err != nil {
				t.Fatal(err)
			}
			h := r.Header()
			if h.PD != 0.9 || h.ClutterDensity != 2.5e-6 || h.Region.XMax != 2000 || h.SensorIDs[0] != "s1" || h.Sensors["s1"].Sigma != 10 {
				t.Fatalf("header %+v", h)
			}
			var s Scan
			n := 0
			for {
				err := r.Next(&s)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if s.T != float64(n) {
					t.Errorf("scan %d: t = %v", n, s.T)
				}
				if n == 0 {
					if len(s.Detections) != 21 || s.Detections[0].X != 524.99 || s.Detections[0].Y != 842.38 {
						t.Errorf("scan 0 detections: %d, first %+v", len(s.Detections), s.Detections[0])
					}
					if truth && (len(s.Truth) != 10 || s.Truth[0].ID != "0" || s.Truth[0].Kind == "") {
						t.Errorf("scan 0 truth: %+v", s.Truth)
					}
					if !truth && len(s.Truth) != 0 {
						t.Errorf("truth decoded although not asked for")
					}
				}
				n++
			}
			if n != 3 {
				t.Errorf("%d scans, want 3", n)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	header := `{"header": {"format": "mtt-jsonl/1", "dt": 1, "pd": 0.9, "clutter_density": 1e-6, "sensors": {"s1": {"sigma": 10}}}}` + "\n"
	cases := []struct {
		name, in, want string
	}{
		{"no-header", `{"t": 0, "detections": []}`, "no \"header\""},
		{"bad-format", `{"header": {"format": "other", "pd": 0.9}}`, "header.format"},
		{"bad-pd", `{"header": {"format": "mtt-jsonl/1", "pd": 1.5}}`, "header.pd"},
		{"bad-sigma", `{"header": {"format": "mtt-jsonl/1", "pd": 0.5, "sensors": {"a": {"sigma": -1}}}}`, "sigma"},
		{"unknown-sensor", header + `{"t": 0, "detections": [{"x": 1, "y": 2, "sensor": "s9"}]}`, "line 2"},
		{"no-t", header + `{"detections": []}`, "no \"t\""},
		{"missing-y", header + `{"t": 0, "detections": [{"x": 1, "sensor": "s1"}]}`, "lacks x or y"},
		{"truncated", header + `{"t": 0, "detections": [{"x": 1,`, "line 2"},
		{"bad-number", header + `{"t": 0, "detections": [{"x": 1e999, "y": 1, "sensor": "s1"}]}`, "bad number"},
		{"trailing", header + `{"t": 0, "detections": []} x`, "trailing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := NewScenarioReader(strings.NewReader(c.in), false)
			if err == nil {
				var s Scan
				err = r.Next(&s)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestTracksRoundTrip(t *testing.T) {
	var b bytes.Buffer
	w := NewTracksWriter(&b)
	if err := w.Header(map[string]string{"tracker": "test"}); err != nil {
		t.Fatal(err)
	}
	in := []Estimate{{ID: "7", X: 1.234, Y: -5.5, VX: 0.1234, VY: -2}, {ID: "a\"b", X: 1e6, Y: 0}}
	if err := w.Write(12, in); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteInts(13.5, []int64{3}, [][4]float64{{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"header": {"tracker": "test"}}` + "\n" +
		`{"t": 12.0, "tracks": [{"id": 7, "x": 1.23, "y": -5.50, "vx": 0.123, "vy": -2.000}, {"id": "a\"b", "x": 1000000.00, "y": 0.00, "vx": 0.000, "vy": 0.000}]}` + "\n" +
		`{"t": 13.5, "tracks": [{"id": 3, "x": 1.00, "y": 2.00, "vx": 3.000, "vy": 4.000}]}` + "\n"
	if b.String() != want {
		t.Fatalf("wrote\n%s\nwant\n%s", b.String(), want)
	}
	r := NewTracksReader(&b)
	var s TrackScan
	if err := r.Next(&s); err != nil {
		t.Fatal(err)
	}
	if s.T != 12 || len(s.Tracks) != 2 || s.Tracks[1].ID != `a"b` || s.Tracks[0].X != 1.23 {
		t.Fatalf("read %+v", s)
	}
}

// bruteGOSPA enumerates every partial assignment.
func bruteGOSPA(x, y []Point, c, p float64) float64 {
	best := math.Inf(1)
	var rec func(i int, used []bool, cost float64, matched int)
	rec = func(i int, used []bool, cost float64, matched int) {
		if i == len(x) {
			best = math.Min(best, cost+math.Pow(c, p)/2*float64(len(x)+len(y)-2*matched))
			return
		}
		rec(i+1, used, cost, matched)
		for j := range y {
			d := math.Hypot(x[i].X-y[j].X, x[i].Y-y[j].Y)
			if !used[j] && d < c {
				used[j] = true
				rec(i+1, used, cost+math.Pow(d, p), matched+1)
				used[j] = false
			}
		}
	}
	rec(0, make([]bool, len(y)), 0, 0)
	return math.Pow(best, 1/p)
}

func TestGOSPAMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := 0; trial < 500; trial++ {
		nx, ny := rng.IntN(6), rng.IntN(6)
		pts := func(n int) []Point {
			out := make([]Point, n)
			for i := range out {
				out[i] = Point{rng.Float64() * 150, rng.Float64() * 150}
			}
			return out
		}
		x, y := pts(nx), pts(ny)
		p := []float64{1, 2}[trial%2]
		got := NewScorer(50, p).Score(x, y)
		want := bruteGOSPA(x, y, 50, p)
		if math.Abs(got.Value-want) > 1e-9*math.Max(1, want) {
			t.Fatalf("trial %d: GOSPA %v, brute force %v (x=%v y=%v)", trial, got.Value, want, x, y)
		}
	}
}

// TestEvaluateMatchesPython scores a tracks file with our Evaluate and with
// the shared gospa.py (copied into testdata) and requires the mean GOSPA to
// agree to 1e-9 relative. It needs python3 with numpy and scipy.
func TestEvaluateMatchesPython(t *testing.T) {
	py := "/usr/bin/python3"
	check := exec.Command(py, "-c", "import numpy, scipy")
	if err := check.Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3 with numpy and scipy is required in CI: %v", err)
		}
		t.Skipf("python3 with numpy and scipy not available: %v", err)
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "s10.jsonl")
	raw, err := os.ReadFile(filepath.Join("testdata", "s10.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := Open(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(scen, plain, 0o644); err != nil {
		t.Fatal(err)
	}
	// Tracks: truth perturbed, some dropped, some clutter added, some
	// scans missing, so that every part of the metric is exercised.
	rng := rand.New(rand.NewPCG(2, 2))
	sr, err := NewScenarioReader(bytes.NewReader(plain), true)
	if err != nil {
		t.Fatal(err)
	}
	var tb bytes.Buffer
	w := NewTracksWriter(&tb)
	var s Scan
	for k := 0; ; k++ {
		if err := sr.Next(&s); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if k%17 == 5 {
			continue
		}
		var est []Estimate
		for i, g := range s.Truth {
			if rng.IntN(10) == 0 {
				continue
			}
			sd := []float64{3, 20, 60}[rng.IntN(3)]
			est = append(est, Estimate{ID: strconv.Itoa(i), X: g.X + rng.NormFloat64()*sd, Y: g.Y + rng.NormFloat64()*sd})
		}
		for i := 0; i < rng.IntN(3); i++ {
			est = append(est, Estimate{ID: "c" + strconv.Itoa(i), X: rng.Float64() * 2000, Y: rng.Float64() * 2000})
		}
		w.Write(s.T, est)
	}
	w.Flush()
	tracks := filepath.Join(dir, "tracks.jsonl")
	if err := os.WriteFile(tracks, tb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ c, p float64 }{{50, 1}, {30, 2}} {
		script := "import sys; sys.path.insert(0, sys.argv[1]); import gospa\n" +
			"_, sc = gospa.read_jsonl(sys.argv[2]); _, tr = gospa.read_jsonl(sys.argv[3])\n" +
			"truth = {round(s['t'], 6): [(o['x'], o['y']) for o in s['truth']] for s in sc}\n" +
			"tracks = {round(s['t'], 6): [(o['x'], o['y']) for o in s['tracks']] for s in tr}\n" +
			"m = gospa.evaluate(truth, tracks, float(sys.argv[4]), float(sys.argv[5]))\n" +
			"print(repr(m['gospa']), m['scans'])\n"
		abs, _ := filepath.Abs("testdata")
		out, err := exec.Command(py, "-c", script, abs, scen, tracks, strconv.FormatFloat(c.c, 'g', -1, 64), strconv.FormatFloat(c.p, 'g', -1, 64)).CombinedOutput()
		if err != nil {
			t.Fatalf("gospa.py: %v\n%s", err, out)
		}
		f := strings.Fields(string(out))
		want, _ := strconv.ParseFloat(f[0], 64)
		sf, _ := os.Open(scen)
		tf, _ := os.Open(tracks)
		got, err := Evaluate(sf, tf, c.c, c.p)
		sf.Close()
		tf.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strconv.Itoa(got.Scans) != f[1] {
			t.Errorf("c=%v p=%v: scored %d scans, gospa.py %s", c.c, c.p, got.Scans, f[1])
		}
		if math.Abs(got.GOSPA-want) > 1e-9*want {
			t.Errorf("c=%v p=%v: mean GOSPA %.15g, gospa.py %.15g", c.c, c.p, got.GOSPA, want)
		}
		t.Logf("c=%v p=%v: mean GOSPA %.15g, gospa.py %.15g", c.c, c.p, got.GOSPA, want)
	}
}

func FuzzScenarioReader(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("testdata", "small.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	lines := bytes.SplitAfter(raw, []byte("\n"))
	f.Add(bytes.Join(lines[:2], nil))
	f.Add(append(append([]byte{}, lines[0]...), []byte(`{"t": 1, "detections": [{"x": -1e3, "y": 2E+2, "sensor": "s1", "z": [1, {"a": "\"]"}]}], "truth": null}`)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, truth := range []bool{false, true} {
			r, err := NewScenarioReader(bytes.NewReader(b), truth)
			if err != nil {
				continue
			}
			var s Scan
			for i := 0; i < 100; i++ {
				if err := r.Next(&s); err != nil {
					break
				}
				for _, d := range s.Detections {
					if math.IsNaN(d.X) || math.IsInf(d.Y, 0) || d.Sensor < 0 || d.Sensor >= len(r.Header().SensorIDs) {
						t.Fatalf("bad detection %+v", d)
					}
				}
			}
		}
	})
}

func FuzzTracksReader(f *testing.F) {
	f.Add([]byte(`{"header": {"tracker": "x"}}` + "\n" + `{"t": 1.0, "tracks": [{"id": 3, "x": 1.5, "y": 2, "vx": 0, "vy": 1}]}` + "\n"))
	f.Add([]byte(`{"t": 2, "tracks": []}`))
	f.Add([]byte(`{"t": 2, "tracks": [{"id": "a\u0041", "x": 1, "y": 1, "extra": {"k": [true, false, null]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewTracksReader(bytes.NewReader(b))
		var s TrackScan
		for i := 0; i < 100; i++ {
			if err := r.Next(&s); err != nil {
				return
			}
			if math.IsNaN(s.T) {
				t.Fatal("NaN time accepted")
			}
		}
	})
}

func TestFastDecimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cases := []string{"0", "-0", "1", "524.99", "-3.5", "0.001", "123456789012345", "1.5e3", "12345678901234567", ".5", "5.", "1.2.3", "-", ""}
	for range 20000 {
		cases = append(cases, strconv.FormatFloat((rng.Float64()-0.5)*math.Pow(10, float64(rng.IntN(10))), 'f', rng.IntN(6), 64))
	}
	for _, c := range cases {
		v, ok := fastDecimal([]byte(c))
		want, err := strconv.ParseFloat(c, 64)
		if ok && (err != nil || v != want) {
			t.Errorf("%q: fast %v ok, strconv %v %v", c, v, want, err)
		}
	}
}
