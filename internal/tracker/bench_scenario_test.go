package tracker

import (
	"bytes"
	"context"
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
	in, err := mtt.Open(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	res, err := mtt.Evaluate(in, &out, 50, 1)
	if err != nil {
		t.Fatal(err)
	}
	return res, st, el
}

func TestExperiment(t *testing.T) {
	if os.Getenv("BW_EXP") == "" {
		t.Skip("experiment")
	}
	for _, f := range []string{"s10", "s100", "s1000"} {
		for _, mode := range []Mode{ModeGNN, ModeJPDA} {
			res, st, el := scoreScenario(t, filepath.Join("..", "mtt", "testdata", f+".jsonl.gz"), ScenarioOptions{Mode: mode})
			t.Logf("%s %s: %v  %v det/s  stats %+v", f, mode, res, float64(st.Detections)/el.Seconds(), st.Engine)
		}
	}
}
