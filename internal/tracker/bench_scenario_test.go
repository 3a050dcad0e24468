package tracker

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/mtt"
)

// scoreScenario tracks a scenario file and scores it with mtt.Evaluate.
func scoreScenario(t testing.TB, path string, o ScenarioOptions) (mtt.Result, ScenarioStats, time.Duration) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	st, err := RunScenario(context.Background(), bytes.NewReader(raw), &out, o)
	el := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	return evaluate(t, raw, &out), st, el
}

func evaluate(t testing.TB, scenario []byte, tracks *bytes.Buffer) mtt.Result {
	t.Helper()
	in, err := mtt.Open(bytes.NewReader(scenario))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mtt.Evaluate(in, tracks, 50, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func scoreBaseline(t testing.TB, path string) mtt.Result {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runBaseline(bytes.NewReader(raw), &out); err != nil {
		t.Fatal(err)
	}
	return evaluate(t, raw, &out)
}

// TestSharedS10 holds the bar of issue 4 on the shared S10 scenario: mean
// GOSPA at or below the reference tracker's JPDA figure, 64.36.
func TestSharedS10(t *testing.T) {
	const bar = 64.36
	for _, mode := range []Mode{ModeGNN, ModeJPDA} {
		t.Run(string(mode), func(t *testing.T) {
			res, _, _ := scoreScenario(t, filepath.Join("..", "mtt", "testdata", "s10.jsonl.gz"), ScenarioOptions{Mode: mode})
			t.Logf("%v", res)
			if res.Scans != 300 {
				t.Fatalf("scored %d scans, want 300", res.Scans)
			}
			if res.GOSPA > bar {
				t.Errorf("mean GOSPA %.2f > bar %.2f", res.GOSPA, bar)
			}
		})
	}
}

// TestSharedLarge runs S100 and S1000 against their bars; opt-in
// (BORDERWATCH_BENCH=1) because S1000 takes seconds under -race.
func TestSharedLarge(t *testing.T) {
	if os.Getenv("BORDERWATCH_BENCH") != "1" {
		t.Skip("set BORDERWATCH_BENCH=1 to run S100 and S1000")
	}
	for _, c := range []struct {
		name string
		bar  float64
	}{{"s100", 659.13}, {"s1000", 7083.0}} {
		for _, mode := range []Mode{ModeGNN, ModeJPDA} {
			t.Run(c.name+"/"+string(mode), func(t *testing.T) {
				res, st, el := scoreScenario(t, filepath.Join("..", "mtt", "testdata", c.name+".jsonl.gz"), ScenarioOptions{Mode: mode})
				t.Logf("%v; %.0f detections/s (wall, tracking only)", res, float64(st.Detections)/el.Seconds())
				if res.GOSPA > c.bar {
					t.Errorf("mean GOSPA %.2f > bar %.2f", res.GOSPA, c.bar)
				}
			})
		}
	}
}

// TestGeneralises runs scenarios of the same generator with other seeds,
// clutter rates, noise, detection probabilities and scan periods
// (testdata/g_*.jsonl.gz; parameters in testdata/README.md) and requires
// both modes to beat the naive baseline by a clear margin, with the clutter
// density given by the header and estimated online.
func TestGeneralises(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "g_*.jsonl.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated scenarios: %v", err)
	}
	for _, f := range files {
		base := scoreBaseline(t, f)
		for _, mode := range []Mode{ModeGNN, ModeJPDA} {
			for _, est := range []bool{false, true} {
				name := filepath.Base(f) + "/" + string(mode)
				if est {
					name += "/estimated-clutter"
				}
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					res, _, _ := scoreScenario(t, f, ScenarioOptions{Mode: mode, Estimate: est})
					t.Logf("ours     %v", res)
					t.Logf("baseline %v", base)
					if res.GOSPA > 0.92*base.GOSPA {
						t.Errorf("mean GOSPA %.2f: want <= 92%% of the baseline's %.2f", res.GOSPA, base.GOSPA)
					}
				})
			}
		}
	}
}

func TestBaselineCalibre(t *testing.T) {
	// The baseline should be about as good as the reference tracker on S10
	// (64.5 GNN), or the bars relative to it would mean little.
	res := scoreBaseline(t, filepath.Join("..", "mtt", "testdata", "s10.jsonl.gz"))
	t.Logf("baseline on S10: %v", res)
	if res.GOSPA > 90 {
		t.Errorf("baseline mean GOSPA %.2f on S10: far worse than the reference's 64.5", res.GOSPA)
	}
}

func benchScenario(b *testing.B, name string, mode Mode) {
	raw, err := os.ReadFile(filepath.Join("..", "mtt", "testdata", name+".jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var dets int64
	for b.Loop() {
		st, err := RunScenario(context.Background(), bytes.NewReader(raw), io.Discard, ScenarioOptions{Mode: mode})
		if err != nil {
			b.Fatal(err)
		}
		dets = st.Detections
	}
	b.ReportMetric(float64(dets)*float64(b.N)/b.Elapsed().Seconds(), "detections/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkScenario measures reading (gunzip + parse), tracking and writing
// a shared scenario, single-threaded.
func BenchmarkScenario(b *testing.B) {
	for _, name := range []string{"s10", "s100", "s1000"} {
		for _, mode := range []Mode{ModeGNN, ModeJPDA} {
			b.Run(name+"/"+string(mode), func(b *testing.B) { benchScenario(b, name, mode) })
		}
	}
}

// BenchmarkBaselineS100 is the naive baseline on S100, for comparison.
func BenchmarkBaselineS100(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("..", "mtt", "testdata", "s100.jsonl.gz"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := runBaseline(bytes.NewReader(raw), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(56897*float64(b.N)/b.Elapsed().Seconds(), "detections/s")
}
